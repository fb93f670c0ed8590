/**
 * Low-level encoding of the WebAssembly binary format: LEB128 integers, little-endian floats,
 * names and vectors, written into a growable byte buffer.
 *
 * @module
 */

const U32_MAX = 0xffff_ffff;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * A growable byte buffer with the primitive encoders of the binary format. Every writer method
 * returns the buffer, so calls chain: `new ByteWriter().u32(3).f32(1.5).toBytes()`.
 */
export class ByteWriter {
  #buf = new Uint8Array(64);
  #len = 0;
  #view = new DataView(this.#buf.buffer);

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Writes one byte (0–255). */
  byte(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new RangeError(`byte out of range 0..255: ${value}`);
    }
    this.#reserve(1);
    this.#buf[this.#len++] = value;
    return this;
  }

  /** Writes raw bytes. */
  bytes(values: ArrayLike<number>): this {
    this.#reserve(values.length);
    if (values instanceof Uint8Array) {
      this.#buf.set(values, this.#len);
      this.#len += values.length;
      return this;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v > 0xff) {
        throw new RangeError(`byte out of range 0..255 at index ${i}: ${v}`);
      }
      this.#buf[this.#len++] = v;
    }
    return this;
  }

  /** Writes an unsigned LEB128 integer, 0 ≤ value ≤ 2^32 − 1 (`u32` in the spec). */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      throw new RangeError(`u32 out of range 0..${U32_MAX}: ${value}`);
    }
    this.#reserve(5);
    let v = value;
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.#buf[this.#len++] = b;
    } while (v !== 0);
    return this;
  }

  /** Writes a signed LEB128 integer, −2^31 ≤ value ≤ 2^31 − 1 (`s32` in the spec). */
  s32(value: number): this {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new RangeError(`s32 out of range -2^31..2^31-1: ${value}`);
    }
    this.#reserve(5);
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.#buf[this.#len++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  /**
   * Writes a signed LEB128 integer, −2^63 ≤ value ≤ 2^63 − 1 (`s64` in the spec). Numbers must
   * be safe integers; use a bigint for the full range.
   */
  s64(value: bigint | number): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`s64 from a number must be a safe integer: ${value}`);
    }
    let v = BigInt(value);
    if (v < I64_MIN || v > I64_MAX) throw new RangeError(`s64 out of range -2^63..2^63-1: ${v}`);
    this.#reserve(10);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.#buf[this.#len++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  /** Writes an IEEE 754 binary32, little-endian (the value is rounded to f32 first). */
  f32(value: number): this {
    this.#reserve(4);
    this.#view.setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** Writes an IEEE 754 binary64, little-endian. */
  f64(value: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#len, value, true);
    this.#len += 8;
    return this;
  }

  /** Writes a name: its UTF-8 byte length as u32, then the bytes. */
  name(value: string): this {
    const utf8 = new TextEncoder().encode(value);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** Writes a vector: the element count as u32, then each element with `write`. */
  vector<T>(items: readonly T[], write: (out: this, item: T) => void): this {
    this.u32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  /** Writes the bytes written so far to `content`. */
  append(content: ByteWriter): this {
    return this.bytes(content.#buf.subarray(0, content.#len));
  }

  /** Writes `content`'s bytes prefixed by their length as u32 (sections, code bodies). */
  sized(content: ByteWriter): this {
    return this.u32(content.length).append(content);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array<ArrayBuffer> {
    return this.#buf.slice(0, this.#len);
  }
}
