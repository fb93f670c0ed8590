/**
 * Moving operands in and out of kernel memory for the elementwise, pooling and activation
 * kernels, which work on whole 16-byte vectors: staged copies carry zeroed slack up to the next
 * multiple of 16 bytes plus one extra vector, so kernels may read (and spill) past the end.
 * @module
 */
import type { Block } from "./memory.ts";
import type { KernelRuntime } from "./runtime.ts";

/** `n` rounded up to a multiple of 16. */
export function pad16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** A scratch block for `bytes` bytes plus the slack the kernels need. */
export function scratchWithSlack(runtime: KernelRuntime, name: string, bytes: number): Block {
  return runtime.scratchBlock(name, pad16(bytes) + 16);
}

/** Copies `data` into the scratch block `name` and zeroes its slack; returns the block. */
export function stage(
  runtime: KernelRuntime,
  name: string,
  data: Uint8Array | Float32Array,
): Block {
  const bytes = data.byteLength;
  const block = scratchWithSlack(runtime, name, bytes);
  const u8 = runtime.memory.u8();
  u8.set(new Uint8Array(data.buffer, data.byteOffset, bytes), block.ptr);
  u8.fill(0, block.ptr + bytes, block.ptr + pad16(bytes) + 16);
  return block;
}

/** Copies `table` into the scratch block `name`; returns the block. */
export function stageTable(runtime: KernelRuntime, name: string, table: Int32Array): Block {
  const block = runtime.scratchBlock(name, table.byteLength);
  runtime.memory.i32().set(table, block.ptr / 4);
  return block;
}

/** A copy of `length` bytes of kernel memory at `ptr`. */
export function readBytes(runtime: KernelRuntime, ptr: number, length: number): Uint8Array {
  return runtime.memory.u8().slice(ptr, ptr + length);
}

/** A copy of `length` floats of kernel memory at byte offset `ptr`. */
export function readFloats(runtime: KernelRuntime, ptr: number, length: number): Float32Array {
  return runtime.memory.f32().slice(ptr / 4, ptr / 4 + length);
}

/**
 * A small map that forgets everything when it grows past `limit` entries (tables and indirection
 * buffers keyed by their parameters: models reuse a handful).
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  /** A cache of at most `limit` entries. */
  constructor(private readonly limit = 64) {}

  /** The value for `key`, computed by `make` on a miss. */
  get(key: string, make: () => V): V {
    let v = this.entries.get(key);
    if (v === undefined) {
      if (this.entries.size >= this.limit) this.entries.clear();
      v = make();
      this.entries.set(key, v);
    }
    return v;
  }
}
