/**
 * Argument checks shared by the reference. Every error names the argument and shows the value.
 * @module
 */
import { dtypeRange, type QuantizedDType } from "./dtype.ts";

/** Formats a value for an error message. */
export function show(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as Uint8Array).length})`;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? text.slice(0, 77) + "..." : text;
  } catch {
    return String(value);
  }
}

/** Throws a RangeError unless `scale` is a finite number > 0. */
export function checkScale(name: string, scale: number): void {
  if (typeof scale !== "number" || !(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`${name}: a scale must be a finite number > 0, got ${show(scale)}`);
  }
  if (!(Math.fround(scale) > 0) || !Number.isFinite(Math.fround(scale))) {
    throw new RangeError(
      `${name}: scale ${show(scale)} rounds to ${Math.fround(scale)} in float32, which PyTorch ` +
        `cannot use as a scale`,
    );
  }
}

/** Throws unless `value` is an integer (a JS number with no fraction). */
export function checkInteger(name: string, value: number): void {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${name}: expected an integer, got ${show(value)}`);
  }
}

/** Throws unless `zeroPoint` is an integer inside the range of `dtype`. */
export function checkZeroPoint(name: string, zeroPoint: number, dtype: QuantizedDType): void {
  checkInteger(name, zeroPoint);
  const { min, max } = dtypeRange(dtype);
  if (zeroPoint < min || zeroPoint > max) {
    throw new RangeError(
      `${name}: zero point ${zeroPoint} is outside the range of ${dtype} [${min}, ${max}]`,
    );
  }
}

/** Throws unless `[quantMin, quantMax]` is a non-empty integer range inside `dtype`'s range. */
export function checkQuantRange(
  quantMin: number,
  quantMax: number,
  dtype?: QuantizedDType,
): void {
  checkInteger("quantMin", quantMin);
  checkInteger("quantMax", quantMax);
  if (quantMin > quantMax) {
    throw new RangeError(`quantMin (${quantMin}) must be <= quantMax (${quantMax})`);
  }
  if (dtype !== undefined) {
    const { min, max } = dtypeRange(dtype);
    if (quantMin < min || quantMax > max) {
      throw new RangeError(
        `quantMin/quantMax [${quantMin}, ${quantMax}] must lie within the range of ${dtype} ` +
          `[${min}, ${max}]`,
      );
    }
  }
}

/** Checks a shape (non-negative integers) and returns its element count. */
export function checkShape(name: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new TypeError(`${name}: expected an array, got ${show(shape)}`);
  let count = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new RangeError(`${name}: dimensions must be integers >= 0, got ${show(shape)}`);
    }
    count *= dim;
  }
  return count;
}

/**
 * Checks an axis against a rank and returns it normalised to `[0, rank)`; negative axes count
 * from the end, as in PyTorch.
 */
export function checkAxis(name: string, axis: number, rank: number): number {
  checkInteger(name, axis);
  const normalised = axis < 0 ? axis + rank : axis;
  if (normalised < 0 || normalised >= rank) {
    throw new RangeError(`${name}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return normalised;
}

/** Throws unless `array.length === expected`. */
export function checkLength(name: string, array: ArrayLike<unknown>, expected: number): void {
  if (array.length !== expected) {
    throw new RangeError(`${name}: expected ${expected} values, got ${array.length}`);
  }
}

/** A pair of integers `[height, width]`; a single number means both. */
export type IntPair = number | readonly [number, number];

/**
 * Checks an `IntPair` (integers >= `min`) and returns it as `[a, b]`; `undefined` gives
 * `fallback` (a number means both), and without a fallback is an error.
 */
export function pair(
  name: string,
  value: IntPair | undefined,
  min: number,
  fallback?: IntPair,
): [number, number] {
  const given = value ?? fallback;
  const v = typeof given === "number" ? [given, given] : given;
  if (!Array.isArray(v) || v.length !== 2) {
    throw new RangeError(`${name}: expected an integer or a pair of integers, got ${show(value)}`);
  }
  for (const x of v) {
    if (typeof x !== "number" || !Number.isInteger(x) || x < min) {
      throw new RangeError(`${name}: expected integers >= ${min}, got ${show(value)}`);
    }
  }
  return [v[0], v[1]];
}

/**
 * Thrown for inputs where PyTorch's own result is undefined (it reads uninitialised memory or
 * differs between runs): the library refuses them rather than reproduce one build's garbage, and
 * the conformance suite reports a golden case refused this way as a named deviation.
 */
export class PyTorchUndefinedError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "PyTorchUndefinedError";
  }
}
