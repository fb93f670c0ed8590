/**
 * Validation and encoding of instruction immediates: memory arguments, lane indices, shuffle
 * patterns and constants. Everything is checked before anything is written, so a rejected
 * instruction leaves the code unchanged.
 *
 * @module
 */

import { ByteWriter } from "./encoding.ts";
import type { InstructionInfo } from "./opcodes.ts";
import type { MemArg, V128Shape } from "./types.ts";

/** Reports an invalid immediate; throws. */
export type Fail = (message: string, kind?: new (message: string) => Error) => never;

function checkLane(lane: unknown, lanes: number, fail: Fail): number {
  if (typeof lane !== "number" || !Number.isInteger(lane) || lane < 0 || lane >= lanes) {
    return fail(`lane index ${String(lane)} out of range 0..${lanes - 1}`, RangeError);
  }
  return lane;
}

function writeMemArg(out: ByteWriter, arg: unknown, natural: number, fail: Fail): void {
  if (arg !== undefined && (typeof arg !== "object" || arg === null)) {
    fail(`memory argument must be an object { offset?, align? }, got ${String(arg)}`);
  }
  const { offset = 0, align = natural } = (arg ?? {}) as MemArg;
  if (!Number.isInteger(align) || align < 1 || (align & (align - 1)) !== 0) {
    fail(`align ${align} is not a power of two`, RangeError);
  }
  if (align > natural) {
    fail(`align ${align} exceeds the natural alignment ${natural}`, RangeError);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xffff_ffff) {
    fail(`offset ${offset} out of range 0..2^32-1`, RangeError);
  }
  out.u32(Math.log2(align)).u32(offset);
}

const SHAPES: Record<V128Shape, { lanes: number; min: number; max: number }> = {
  i8x16: { lanes: 16, min: -0x80, max: 0xff },
  i16x8: { lanes: 8, min: -0x8000, max: 0xffff },
  i32x4: { lanes: 4, min: -0x8000_0000, max: 0xffff_ffff },
  i64x2: { lanes: 2, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  f32x4: { lanes: 4, min: -Infinity, max: Infinity },
  f64x2: { lanes: 2, min: -Infinity, max: Infinity },
};

/** The 16 little-endian bytes of a v128 constant given as `shape` lanes. */
export function v128Bytes(
  shape: V128Shape,
  lanes: ArrayLike<number | bigint>,
  fail: Fail,
): number[] {
  const spec = SHAPES[shape];
  if (spec === undefined) fail(`unknown v128 shape ${JSON.stringify(shape)}`);
  if (lanes.length !== spec.lanes) {
    fail(`v128.const ${shape} needs ${spec.lanes} lanes, got ${lanes.length}`, RangeError);
  }
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < spec.lanes; i++) {
    const v = lanes[i];
    if (shape === "i64x2") {
      const big = typeof v === "bigint" ? v : undefined;
      if (big === undefined && !(Number.isInteger(v) && Math.abs(v as number) <= spec.max)) {
        fail(`v128.const i64x2 lane ${i}: ${v} is not a bigint or safe integer`, RangeError);
      }
      const value = big ?? BigInt(v);
      if (value < -(1n << 63n) || value >= (1n << 64n)) {
        fail(`v128.const i64x2 lane ${i}: ${value} out of range -2^63..2^64-1`, RangeError);
      }
      view.setBigUint64(8 * i, BigInt.asUintN(64, value), true);
      continue;
    }
    if (typeof v !== "number") fail(`v128.const ${shape} lane ${i}: ${v} is not a number`);
    if (shape === "f32x4") view.setFloat32(4 * i, v, true);
    else if (shape === "f64x2") view.setFloat64(8 * i, v, true);
    else {
      if (!Number.isInteger(v) || v < spec.min || v > spec.max) {
        fail(
          `v128.const ${shape} lane ${i}: ${v} out of range ${spec.min}..${spec.max}`,
          RangeError,
        );
      }
      if (shape === "i8x16") view.setUint8(i, v & 0xff);
      else if (shape === "i16x8") view.setUint16(2 * i, v & 0xffff, true);
      else view.setUint32(4 * i, v >>> 0, true);
    }
  }
  return Array.from(bytes);
}

/**
 * Validates `args` against the immediate kind of `info` and returns the encoded immediates.
 * `fail` is called (and throws) on the first invalid argument.
 */
export function encodeImmediates(
  info: InstructionInfo,
  args: readonly unknown[],
  fail: Fail,
): ByteWriter {
  const out = new ByteWriter();
  switch (info.imm) {
    case "none":
      break;
    case "memarg":
      writeMemArg(out, args[0], info.natural!, fail);
      break;
    case "lane":
      out.byte(checkLane(args[0], info.lanes!, fail));
      break;
    case "memlane": {
      const lane = checkLane(args[0], info.lanes!, fail);
      writeMemArg(out, args[1], info.natural!, fail);
      out.byte(lane);
      break;
    }
    case "shuffle": {
      const lanes = args[0] as ArrayLike<number>;
      if (lanes?.length !== 16) fail(`needs 16 lane indices, got ${lanes?.length}`, RangeError);
      for (let i = 0; i < 16; i++) out.byte(checkLane(lanes[i], 32, fail));
      break;
    }
    case "i32": {
      const v = args[0];
      if (typeof v !== "number" || !Number.isInteger(v) || v < -0x8000_0000 || v > 0xffff_ffff) {
        fail(`i32 constant ${String(v)} is not an integer in -2^31..2^32-1`, RangeError);
      }
      out.s32(v | 0);
      break;
    }
    case "i64": {
      const v = args[0];
      if (typeof v === "number" && !Number.isSafeInteger(v)) {
        fail(`i64 constant ${v} must be a bigint or a safe integer`, RangeError);
      }
      if (typeof v !== "number" && typeof v !== "bigint") {
        fail(`i64 constant ${String(v)} is not a number`);
      }
      const big = BigInt(v);
      if (big < -(1n << 63n) || big >= (1n << 64n)) {
        fail(`i64 constant ${big} out of range -2^63..2^64-1`, RangeError);
      }
      out.s64(BigInt.asIntN(64, big));
      break;
    }
    case "f32":
    case "f64": {
      const v = args[0];
      if (typeof v !== "number") fail(`${info.imm} constant ${String(v)} is not a number`);
      if (info.imm === "f32") out.f32(v);
      else out.f64(v);
      break;
    }
    case "v128":
      out.bytes(v128Bytes(args[0] as V128Shape, args[1] as ArrayLike<number | bigint>, fail));
      break;
    case "memory":
      out.byte(0);
      break;
    case "memory2":
      out.byte(0).byte(0);
      break;
  }
  return out;
}
