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
 * A kernel-memory allocation that could not be made: it names what the memory was for (and, once
 * a kernel set's boundary has seen it, the op), the bytes asked for and the limit. Nothing was
 * allocated and the allocator is unchanged, so the runtime stays fully usable.
 */
export class KernelMemoryError extends RangeError {
  /** What the block was for (`scratch qlinear.c`, `packed linear weight`). */
  readonly purpose: string;
  /** The bytes asked for. */
  readonly bytes: number;
  /** The memory's size when the allocation failed. */
  readonly heldBytes: number;
  /** The most the memory can grow to. */
  readonly limitBytes: number;
  /** The public op that asked (`x86.linear`), once known. */
  readonly op?: string;
  /** Whether the engine refused to grow within the limit (out of memory). */
  readonly engineRefused: boolean;

  /** A failure described by its fields (see their documentation). */
  constructor(fields: {
    purpose: string;
    bytes: number;
    heldBytes: number;
    limitBytes: number;
    engineRefused: boolean;
    op?: string;
  }) {
    const { purpose, bytes, heldBytes, limitBytes, engineRefused, op } = fields;
    super(
      `${op === undefined ? "" : `${op}: `}cannot allocate ${bytes} bytes of kernel memory ` +
        `(${purpose}): the WebAssembly memory holds ${mib(heldBytes)} and may grow to at most ` +
        `${mib(limitBytes)}${engineRefused ? ", but the engine refused to grow it" : ""}; ` +
        `nothing was allocated and the kernels stay usable (use smaller batches or layers)`,
    );
    this.name = "KernelMemoryError";
    this.purpose = purpose;
    this.bytes = bytes;
    this.heldBytes = heldBytes;
    this.limitBytes = limitBytes;
    this.engineRefused = engineRefused;
    this.op = op;
  }

  /** The same failure, attributed to the public op `op` (kept if one is named already). */
  withOp(op: string): KernelMemoryError {
    return this.op === undefined ? new KernelMemoryError({ ...this, op }) : this;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 0)} MiB`;
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
  /** The most bytes the memory can grow to (`maximumPages` pages). */
  readonly limitBytes: number;

  /**
   * Creates a memory of `initialPages` pages (64 KiB each), growable up to `maximumPages`
   * (65536 pages: 4 GiB, all wasm32 can address).
   */
  constructor(initialPages = 16, maximumPages = 65536) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
    this.limitBytes = maximumPages * PAGE;
  }

  /**
   * Allocates `bytes` (rounded up to the alignment), growing the memory if needed.
   * @param purpose what the block is for, named by the error when it cannot be allocated
   * @throws {KernelMemoryError} when the memory cannot grow enough (the allocator is unchanged).
   */
  alloc(bytes: number, purpose = "a block"): Block {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`alloc: bad size ${bytes} for ${purpose}`);
    }
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
      this.grow(ptr + size, bytes, purpose);
      this.top = ptr + size; // only once the memory holds it
    }
    this.live.set(ptr, size);
    return { ptr, bytes: size };
  }

  /**
   * Allocates one block per request, all or none: when one fails, the blocks allocated before it
   * are released and the error is rethrown.
   */
  allocAll(requests: readonly (readonly [bytes: number, purpose: string])[]): Block[] {
    const blocks: Block[] = [];
    try {
      for (const [bytes, purpose] of requests) blocks.push(this.alloc(bytes, purpose));
    } catch (e) {
      for (const b of blocks.reverse()) this.release(b);
      throw e;
    }
    return blocks;
  }

  /** Grows the memory to hold `end` bytes, or throws a KernelMemoryError. */
  private grow(end: number, bytes: number, purpose: string): void {
    const heldBytes = this.memory.buffer.byteLength;
    const fail = (engineRefused: boolean) =>
      new KernelMemoryError({
        purpose,
        bytes,
        heldBytes,
        limitBytes: this.limitBytes,
        engineRefused,
      });
    if (end > this.limitBytes) throw fail(false);
    const needed = Math.ceil(end / PAGE) - heldBytes / PAGE;
    if (needed <= 0) return;
    try {
      this.memory.grow(needed);
    } catch {
      throw fail(true);
    }
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

/**
 * Runs `build` (one more pack); if it throws, frees `handles`, the weights packed before it, and
 * rethrows, so a pack that fails half way leaks no kernel memory.
 */
export function packAllOrNone<T>(handles: readonly { free(): void }[], build: () => T): T {
  try {
    return build();
  } catch (e) {
    for (const h of handles) h.free();
    throw e;
  }
}
