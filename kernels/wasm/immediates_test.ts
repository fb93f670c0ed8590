import assert from "node:assert/strict";
import { encodeImmediates, type Fail, v128Bytes } from "./immediates.ts";
import { INSTRUCTIONS } from "./opcodes.ts";

const fail: Fail = (message, kind = TypeError) => {
  throw new kind(message);
};
const encode = (name: keyof typeof INSTRUCTIONS, ...args: unknown[]) =>
  Array.from(encodeImmediates(INSTRUCTIONS[name], args, fail).toBytes());

Deno.test("immediates: memarg encodes log2(align) then offset; defaults are natural and 0", () => {
  assert.deepEqual(encode("v128.load"), [4, 0]);
  assert.deepEqual(encode("v128.load", { offset: 128, align: 4 }), [2, 0x80, 0x01]);
  assert.deepEqual(encode("i64.load32_u", { offset: 2 ** 32 - 1 }), [
    2,
    0xff,
    0xff,
    0xff,
    0xff,
    0x0f,
  ]);
  assert.deepEqual(encode("v128.store16_lane", 7, { align: 1 }), [0, 0, 7]);
  assert.throws(() => encode("i32.load", 4), /memory argument must be an object/);
});

Deno.test("immediates: constants", () => {
  assert.deepEqual(encode("i32.const", 0xffff_ffff), [0x7f]);
  assert.deepEqual(encode("i32.const", 0x8000_0000), [0x80, 0x80, 0x80, 0x80, 0x78]);
  assert.deepEqual(encode("i64.const", 2n ** 64n - 1n), [0x7f]);
  assert.deepEqual(encode("f32.const", 1.5), [0, 0, 0xc0, 0x3f]);
  assert.deepEqual(encode("memory.copy"), [0, 0]);
  assert.throws(() => encode("i64.const", "1"), /is not a number/);
  assert.throws(() => encode("f64.const", 1n), /is not a number/);
});

Deno.test("v128Bytes: lane shapes are little-endian", () => {
  assert.deepEqual(v128Bytes("i32x4", [1, -1, 0x8000_0000, 0xffff_ffff], fail), [
    1,
    0,
    0,
    0,
    255,
    255,
    255,
    255,
    0,
    0,
    0,
    128,
    255,
    255,
    255,
    255,
  ]);
  assert.deepEqual(v128Bytes("i16x8", [-2, 0x1234, 0, 0, 0, 0, 0, 0xffff], fail).slice(0, 4), [
    0xfe,
    0xff,
    0x34,
    0x12,
  ]);
  assert.deepEqual(v128Bytes("i64x2", [-1n, 2 ** 40], fail).slice(8), [0, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(v128Bytes("f32x4", [1, 0, 0, -0], fail).slice(0, 4), [0, 0, 0x80, 0x3f]);
  assert.deepEqual(v128Bytes("i8x16", new Uint8Array(16).fill(200), fail), new Array(16).fill(200));
  assert.throws(() => v128Bytes("i64x2", [2n ** 64n, 0n], fail), /out of range/);
  assert.throws(() => v128Bytes("i64x2", [0.5, 0n], fail), /not a bigint or safe integer/);
  assert.throws(() => v128Bytes("i32x8" as "i32x4", [], fail), /unknown v128 shape/);
});
