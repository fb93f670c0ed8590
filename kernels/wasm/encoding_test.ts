import assert from "node:assert/strict";
import { ByteWriter } from "./encoding.ts";

const bytes = (write: (w: ByteWriter) => void) => {
  const w = new ByteWriter();
  write(w);
  return Array.from(w.toBytes());
};

function decodeSigned(b: number[]): bigint {
  let result = 0n, shift = 0n, i = 0, byte: number;
  do {
    byte = b[i++];
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte & 0x80);
  assert.equal(i, b.length, "no trailing bytes");
  if (byte & 0x40) result -= 1n << shift;
  return result;
}

Deno.test("u32 LEB128 edge cases", () => {
  assert.deepEqual(bytes((w) => w.u32(0)), [0x00]);
  assert.deepEqual(bytes((w) => w.u32(127)), [0x7f]);
  assert.deepEqual(bytes((w) => w.u32(128)), [0x80, 0x01]);
  assert.deepEqual(bytes((w) => w.u32(624485)), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(bytes((w) => w.u32(2 ** 31 - 1)), [0xff, 0xff, 0xff, 0xff, 0x07]);
  assert.deepEqual(bytes((w) => w.u32(2 ** 32 - 1)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  for (const bad of [-1, 2 ** 32, 1.5, NaN]) {
    assert.throws(() => new ByteWriter().u32(bad), RangeError);
  }
});

Deno.test("s32 LEB128 edge cases", () => {
  assert.deepEqual(bytes((w) => w.s32(0)), [0x00]);
  assert.deepEqual(bytes((w) => w.s32(63)), [0x3f]);
  assert.deepEqual(bytes((w) => w.s32(64)), [0xc0, 0x00]);
  assert.deepEqual(bytes((w) => w.s32(127)), [0xff, 0x00]);
  assert.deepEqual(bytes((w) => w.s32(128)), [0x80, 0x01]);
  assert.deepEqual(bytes((w) => w.s32(-1)), [0x7f]);
  assert.deepEqual(bytes((w) => w.s32(-64)), [0x40]);
  assert.deepEqual(bytes((w) => w.s32(-65)), [0xbf, 0x7f]);
  assert.deepEqual(bytes((w) => w.s32(-123456)), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(bytes((w) => w.s32(2 ** 31 - 1)), [0xff, 0xff, 0xff, 0xff, 0x07]);
  assert.deepEqual(bytes((w) => w.s32(-(2 ** 31))), [0x80, 0x80, 0x80, 0x80, 0x78]);
  for (const bad of [2 ** 31, -(2 ** 31) - 1, 2 ** 32 - 1, 0.5]) {
    assert.throws(() => new ByteWriter().s32(bad), RangeError);
  }
});

Deno.test("s64 LEB128 edge cases, bigint and number", () => {
  assert.deepEqual(bytes((w) => w.s64(0n)), [0x00]);
  assert.deepEqual(bytes((w) => w.s64(-1)), [0x7f]);
  assert.deepEqual(bytes((w) => w.s64(-65n)), [0xbf, 0x7f]);
  assert.deepEqual(bytes((w) => w.s64(2 ** 32 - 1)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.deepEqual(bytes((w) => w.s64(-(1n << 63n))), [...new Array(9).fill(0x80), 0x7f]);
  assert.deepEqual(bytes((w) => w.s64((1n << 63n) - 1n)), [...new Array(9).fill(0xff), 0x00]);
  assert.throws(() => new ByteWriter().s64(1n << 63n), RangeError);
  assert.throws(() => new ByteWriter().s64(2 ** 53), RangeError);
});

Deno.test("signed LEB128 round-trips and is minimal", () => {
  const values = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 8191n, 8192n, -8192n, -8193n];
  for (let k = 0n; k < 63n; k++) values.push(1n << k, -(1n << k), (1n << k) - 1n);
  for (const v of values) {
    const b = bytes((w) => w.s64(v));
    assert.equal(decodeSigned(b), v);
    const magnitude = v < 0n ? -v - 1n : v;
    const bits = (magnitude === 0n ? 0 : magnitude.toString(2).length) + 1;
    assert.equal(b.length, Math.ceil(bits / 7), `minimal length for ${v}`);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) assert.deepEqual(bytes((w) => w.s32(Number(v))), b);
  }
});

Deno.test("floats are little-endian IEEE 754", () => {
  assert.deepEqual(bytes((w) => w.f32(1.5)), [0x00, 0x00, 0xc0, 0x3f]);
  assert.deepEqual(bytes((w) => w.f32(-0)), [0x00, 0x00, 0x00, 0x80]);
  assert.deepEqual(bytes((w) => w.f64(1.5)), [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  assert.deepEqual(bytes((w) => w.f64(-Infinity)), [0, 0, 0, 0, 0, 0, 0xf0, 0xff]);
});

Deno.test("names, vectors, sized content and growth", () => {
  assert.deepEqual(bytes((w) => w.name("ab")), [0x02, 0x61, 0x62]);
  assert.deepEqual(bytes((w) => w.name("é")), [0x02, 0xc3, 0xa9]);
  assert.deepEqual(bytes((w) => w.vector([1, 300], (v, x) => v.u32(x))), [0x02, 0x01, 0xac, 0x02]);
  const inner = new ByteWriter().bytes([7, 8, 9]);
  assert.deepEqual(bytes((w) => w.sized(inner).append(inner)), [3, 7, 8, 9, 7, 8, 9]);
  const big = new ByteWriter();
  for (let i = 0; i < 5000; i++) big.byte(i & 0xff);
  big.bytes(new Uint8Array(3000).fill(1));
  assert.equal(big.length, 8000);
  assert.equal(big.toBytes()[4999], 4999 & 0xff);
  assert.throws(() => new ByteWriter().byte(256), RangeError);
  assert.throws(() => new ByteWriter().bytes([1, -1]), RangeError);
});
