/**
 * One growable `WebAssembly.Memory` shared by every generated kernel module, with a small
 * allocator for packed weights (long-lived) and per-call scratch (short-lived).
 * @module
 */

const PAGE = 65536;
/** Every block starts on a 64-byte boundary (a cache line; v128 loads need 16). */
export const ALIGNMENT = 64;

/** A block of kernel memory: its byte offset and size. Free it when done. */
export interface Block {
  /** The byte offset in the memory (a multiple of ALIGNMENT). */
  readonly ptr: number;
  /** The size in bytes (rounded up to ALIGNMENT). */
  readonly bytes: number;
}

/**
 * The kernels' memory. Views (`u8()`, `f32()`, …) are re-created after every growth, so take a
 * view right before using it rather than keeping one across allocations.
 */
export class KernelMemory {
  /** The memory every kernel module imports as `env.memory`. */
  readonly memory: WebAssembly.Memory;
  // Free blocks, sorted by offset; adjacent blocks are merged on free.
  private free: { ptr: number; bytes: number }[] = [];
  private top = ALIGNMENT; // offset 0 is never handed out, so 0 can mean "none"
  private live = new Map<number, number>();

  /** Creates a memory of `initialPages` pages (64 KiB each), growable up to `maximumPages`. */
  constructor(initialPages = 16, maximumPages = 65536) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
  }

  /** Allocates `bytes` (rounded up to the alignment), growing the memory if needed. */
  alloc(bytes: number): Block {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`alloc: bad size ${bytes}`);
    const size = Math.max(ALIGNMENT, Math.ceil(bytes / ALIGNMENT) * ALIGNMENT);
    const index = this.free.findIndex((b) => b.bytes >= size);
    let ptr: number;
    if (index >= 0) {
      const block = this.free[index];
      ptr = block.ptr;
      if (block.bytes === size) this.free.splice(index, 1);
      else this.free[index] = { ptr: block.ptr + size, bytes: block.bytes - size };
    } else {
      ptr = this.top;
      this.top += size;
      const needed = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (needed > 0) this.memory.grow(needed);
    }
    this.live.set(ptr, size);
    return { ptr, bytes: size };
  }

  /** Returns a block to the allocator. Freeing twice throws. */
  release(block: Block): void {
    const size = this.live.get(block.ptr);
    if (size === undefined) throw new Error(`release: block at ${block.ptr} is not allocated`);
    this.live.delete(block.ptr);
    let i = this.free.findIndex((b) => b.ptr > block.ptr);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { ptr: block.ptr, bytes: size });
    // Merge with the neighbours.
    if (
      i + 1 < this.free.length && this.free[i].ptr + this.free[i].bytes === this.free[i + 1].ptr
    ) {
      this.free[i].bytes += this.free[i + 1].bytes;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].ptr + this.free[i - 1].bytes === this.free[i].ptr) {
      this.free[i - 1].bytes += this.free[i].bytes;
      this.free.splice(i, 1);
      i--;
    }
    // A free block at the top shrinks the heap instead.
    const last = this.free[this.free.length - 1];
    if (last !== undefined && last.ptr + last.bytes === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  /** Bytes currently allocated. */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.live.values()) total += size;
    return total;
  }

  /** A byte view of the whole memory. */
  u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
  /** A signed byte view. */
  i8(): Int8Array {
    return new Int8Array(this.memory.buffer);
  }
  /** An int16 view (index = byte offset / 2). */
  i16(): Int16Array {
    return new Int16Array(this.memory.buffer);
  }
  /** An int32 view (index = byte offset / 4). */
  i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }
  /** A float32 view (index = byte offset / 4). */
  f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }
  /** A float64 view (index = byte offset / 8). */
  f64(): Float64Array {
    return new Float64Array(this.memory.buffer);
  }
}
