/**
 * Kernel-memory failures named by the op that asked: the allocator knows what a block was for
 * (`scratch qlinear.c`), only the kernel set's boundary knows which public call needed it.
 * @module
 */
import type { KernelSet } from "./kernel_set.ts";
import { KernelMemoryError } from "./memory.ts";

/**
 * `set` with every method re-throwing a KernelMemoryError as one that names the kernel set and
 * the method (`x86-relaxed.linear: cannot allocate …`); other errors and results pass unchanged.
 */
export function namingMemoryFailures(set: KernelSet): KernelSet {
  return new Proxy(set, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          return value.apply(target, args);
        } catch (e) {
          if (e instanceof KernelMemoryError) throw e.withOp(`${target.name}.${String(key)}`);
          throw e;
        }
      };
    },
  });
}
