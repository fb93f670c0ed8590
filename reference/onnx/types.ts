/**
 * Tensors and element types of the `onnx` numerics profile: ONNX's 8-bit quantized types, a
 * row-major tensor, and the argument checks every entry point of `reference/onnx/` shares.
 * @module
 */
import { show } from "../_check.ts";

/** The 8-bit integer types ONNX's quantization operators take (`T1`/`T2`/`T3` constraints). */
export type OnnxInt8Type = "uint8" | "int8";

/** A row-major tensor: its data and its shape. */
export interface OnnxTensor<T extends ArrayLike<number> = ArrayLike<number>> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** The typed array of an 8-bit type. */
export type Int8Data = Uint8Array | Int8Array;

/** The representable range of an 8-bit type. */
export function int8Range(type: OnnxInt8Type): { min: number; max: number } {
  return type === "uint8" ? { min: 0, max: 255 } : { min: -128, max: 127 };
}

/** A new array of `type` with `length` elements. */
export function allocInt8(type: OnnxInt8Type, length: number): Int8Data {
  return type === "uint8" ? new Uint8Array(length) : new Int8Array(length);
}

/** The 8-bit type of a typed array. */
export function int8TypeOf(name: string, data: unknown): OnnxInt8Type {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  throw new TypeError(
    `${name}: expected a Uint8Array (uint8) or Int8Array (int8), got ${show(data)}`,
  );
}

/** Throws unless `t` is a tensor whose data length matches its shape; returns the element count. */
export function checkTensor(name: string, t: OnnxTensor): number {
  if (t === null || typeof t !== "object" || !Array.isArray(t.shape)) {
    throw new TypeError(`${name}: expected a tensor { data, shape }, got ${show(t)}`);
  }
  let count = 1;
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${name}: shape dimensions must be integers >= 0, got ${show(t.shape)}`);
    }
    count *= d;
  }
  if (t.data === null || typeof t.data !== "object" || t.data.length !== count) {
    throw new RangeError(
      `${name}: shape [${t.shape}] needs ${count} elements, data holds ${
        t.data?.length ?? show(t.data)
      }`,
    );
  }
  return count;
}

/**
 * Checks an ONNX scale (a float32 tensor element) and returns it as float32. ONNX does not
 * constrain scales; a scale that is not finite and > 0 in float32 makes every quantization
 * operator meaningless (onnxruntime divides by it unchecked), so the reference refuses it.
 */
export function checkOnnxScale(name: string, scale: number): number {
  const s = Math.fround(scale);
  if (typeof scale !== "number" || !(s > 0) || !Number.isFinite(s)) {
    throw new RangeError(
      `${name}: a scale must be finite and > 0 as a float32, got ${show(scale)}`,
    );
  }
  return s;
}

/** Throws unless `zeroPoint` is an integer inside the range of `type`. */
export function checkOnnxZeroPoint(name: string, zeroPoint: number, type: OnnxInt8Type): number {
  const { min, max } = int8Range(type);
  if (!Number.isInteger(zeroPoint) || zeroPoint < min || zeroPoint > max) {
    throw new RangeError(
      `${name}: a ${type} zero point must be an integer in [${min}, ${max}], got ${
        show(zeroPoint)
      }`,
    );
  }
  return zeroPoint;
}

/** Throws unless a function's options argument is an object. */
export function checkOnnxOptions(args: unknown): void {
  if (args === null || typeof args !== "object") {
    throw new TypeError(`args: expected an options object, got ${show(args)}`);
  }
}

/** The element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
