/**
 * The kernel runtime: one shared memory, the engine's probed features, and a cache of
 * instantiated generated modules (kernels are generated at load time, specialised to tile sizes
 * and to the padded K of the weights they run on).
 * @module
 */
import { type WasmFeatures, wasmFeatures } from "./features.ts";
import { type Block, KernelMemory } from "./memory.ts";
import { type InstructionRewrite, ModuleBuilder } from "./wasm/mod.ts";

/** Shared state of all kernel sets. */
export class KernelRuntime {
  /** The memory every module imports. */
  /** The memory every generated module imports as `env.memory`. */
  readonly memory: KernelMemory;
  /** What this engine supports (SIMD128, relaxed SIMD and its semantics). */
  readonly features: WasmFeatures;
  private readonly modules = new Map<string, WebAssembly.Instance>();
  private readonly scratch = new Map<string, Block>();

  /** Rewrites every instruction of the modules this runtime builds (tests only). */
  private readonly rewrite?: InstructionRewrite;

  /**
   * A runtime with its own memory; `features` defaults to this engine's probed features.
   * `options.rewrite` plants a slip in every module it builds (mutation tests; see
   * `InstructionRewrite`); `options.maximumPages` caps its memory (default 65536 pages, 4 GiB).
   */
  constructor(
    features: WasmFeatures = wasmFeatures(),
    options: { rewrite?: InstructionRewrite; maximumPages?: number } = {},
  ) {
    this.memory = new KernelMemory(16, options.maximumPages);
    this.features = features;
    this.rewrite = options.rewrite;
  }

  /**
   * The exports of a generated module, built and instantiated once per key.
   * @param key identifies the kernel and its specialisation, e.g. `name|k768`
   * @param build generates the module on first use
   */
  instance<T>(key: string, build: () => ModuleBuilder): T {
    let inst = this.modules.get(key);
    if (inst === undefined) {
      inst = ModuleBuilder.rewriting(this.rewrite, build).instantiateSync({
        env: { memory: this.memory.memory },
      });
      this.modules.set(key, inst);
    }
    return inst.exports as unknown as T;
  }

  /** Keys of the modules generated so far (for reports). */
  get moduleKeys(): string[] {
    return [...this.modules.keys()];
  }

  /**
   * A scratch block of at least `bytes` for the named purpose, reused across calls (grown when
   * too small). Its contents do not survive the next call that asks for the same name.
   * @param name the purpose, e.g. `qlinear.a`
   * @param bytes the size needed
   * @throws {KernelMemoryError} when the memory cannot grow enough (the runtime stays usable).
   */
  scratchBlock(name: string, bytes: number): Block {
    const current = this.scratch.get(name);
    if (current !== undefined && current.bytes >= bytes) return current;
    if (current !== undefined) {
      this.scratch.delete(name); // released first, so a failed alloc leaves no stale entry
      this.memory.release(current);
    }
    const block = this.memory.alloc(Math.max(bytes, 1024), `scratch ${name}`);
    this.scratch.set(name, block);
    return block;
  }
}

let shared: KernelRuntime | undefined;

/** The process-wide runtime (created on first use). */
export function defaultRuntime(): KernelRuntime {
  return shared ??= new KernelRuntime();
}
