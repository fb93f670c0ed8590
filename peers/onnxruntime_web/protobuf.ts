/**
 * A minimal Protocol Buffers encoder (proto3 wire format): just what building an ONNX ModelProto
 * needs — varints (int32/int64/enums), fixed32 floats, length-delimited strings, bytes, nested
 * messages and packed repeated int64.
 * @module
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Appends fields to a message, in the order they are written. */
export class ProtoWriter {
  private readonly chunks: number[] = [];

  /** An integer field (int32, int64, enum); negative values take ten bytes, as in protobuf. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** A float field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    this.chunks.push(...bytes);
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.length);
    for (let i = 0; i < value.length; i++) this.chunks.push(value[i]);
    return this;
  }

  /** A nested message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 536870911) {
      throw new RangeError(`field: a protobuf field number is in [1, 2^29), got ${field}`);
    }
    this.varint(field * 8 + wire);
  }

  private varint(value: number | bigint): void {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`value: a varint needs a safe integer, got ${value}`);
    }
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      this.chunks.push(v === 0n ? byte : byte | 0x80);
    } while (v !== 0n);
  }
}
