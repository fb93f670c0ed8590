/**
 * Argument checks shared by the reference and the kernel sets' checked boundary: one function per
 * kind of argument, so every entry point refuses a bad value with the same error class and
 * message. Every error names the argument, shows the bad value and says what is allowed (like
 * PyTorch's TORCH_CHECK messages). TypeError: the value has the wrong type (a `number[]` where a
 * Float32Array or a Tensor belongs, a string scale, no options object); RangeError: the type is
 * right and the value is not (a scale of 0, a zero point outside the dtype). Every check is O(1)
 * in the size of a tensor (per-channel qparams are checked once per channel), so entry points run
 * them on every call and never inside element loops.
 * @module
 */
import { dtypeRange, type IntRepr, parseQuantizedDType, type QuantizedDType } from "./dtype.ts";

/**
 * Formats a value for an error message: numbers as written (`-0`, `NaN`), strings quoted, typed
 * arrays as `Float64Array(3)`, tensors as `Tensor [2, 3]`, other class instances by class name,
 * arrays and plain objects as (shortened) JSON.
 */
export function show(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as Uint8Array).length})`;
  }
  if (typeof value === "function") return `function ${value.name}`.trimEnd();
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const brand = brandOf(value);
    if (brand !== undefined) return `${brand} [${(value as { shape?: unknown }).shape}]`;
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    if (ctor !== undefined && ctor !== Object && ctor.name) return `a ${ctor.name}`;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? text.slice(0, 77) + "..." : text;
  } catch {
    return String(value);
  }
}

/** Throws unless `scale` is a finite number > 0 that stays so in float32. */
export function checkScale(name: string, scale: number): void {
  if (typeof scale !== "number") {
    throw new TypeError(`${name}: a scale must be a finite number > 0, got ${show(scale)}`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) {
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
  const given = value === undefined ? fallback : value; // null is not "absent"
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

/**
 * The brand the reference's tensor classes carry on their prototypes (tensor.ts sets it), so
 * these checks recognise a Tensor or a QuantizedTensor without importing the classes.
 */
export const TENSOR_BRAND: unique symbol = Symbol("qint8 tensor class");

/** Throws a TypeError unless `value` is a plain object (not null, an array or a typed array). */
export function checkObject(name: string, value: unknown, what = "an object"): void {
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    ArrayBuffer.isView(value)
  ) {
    throw new TypeError(`${name}: expected ${what}, got ${show(value)}`);
  }
}

/**
 * Throws a TypeError unless `options` is an options object; `fields` lists what it holds, for
 * the message (`"scale, zeroPoint, dtype"`).
 */
export function checkOptions(name: string, options: unknown, fields: string): void {
  checkObject(name, options, `an options object { ${fields} }`);
}

/** Throws unless `value` is a finite number (TypeError for another type, RangeError otherwise). */
export function checkFinite(name: string, value: number): void {
  if (typeof value !== "number") {
    throw new TypeError(`${name}: expected a finite number, got ${show(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`${name}: expected a finite number, got ${show(value)}`);
  }
}

/** Throws unless `value` is a number (NaN and ±Infinity allowed). */
export function checkNumber(name: string, value: number): void {
  if (typeof value !== "number") {
    throw new TypeError(`${name}: expected a number, got ${show(value)}`);
  }
}

/** Throws a TypeError unless `value` is a boolean. */
export function checkBoolean(name: string, value: boolean): void {
  if (typeof value !== "boolean") {
    throw new TypeError(`${name}: expected true or false, got ${show(value)}`);
  }
}

/** An optional boolean option: `fallback` when undefined, else it must be a boolean. */
export function optionalBoolean(name: string, value: boolean | undefined, fallback: boolean) {
  if (value === undefined) return fallback;
  checkBoolean(name, value);
  return value;
}

/** Throws unless `value` is one of `allowed` (TypeError for a non-string, RangeError otherwise). */
export function checkOneOf<T extends string>(
  name: string,
  value: T,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value)) {
    const expected = allowed.map((a) => JSON.stringify(a)).join(", ");
    const Err = typeof value === "string" ? RangeError : TypeError;
    throw new Err(`${name}: expected one of ${expected}, got ${show(value)}`);
  }
  return value;
}

/** Throws a TypeError unless `value` is an instance of the typed array `type`. */
export function checkTypedArray<T extends ArrayBufferView>(
  name: string,
  value: unknown,
  type: abstract new (...args: never[]) => T,
  what: string,
): asserts value is T {
  if (!(value instanceof type)) {
    throw new TypeError(
      `${name}: expected a ${type.name} of ${what}, got ${show(value)}`,
    );
  }
}

/**
 * Throws unless `value` is a list of numbers: an array of numbers or a typed array other than a
 * BigInt one (O(length) for a plain array; use it for per-channel qparams, not tensor data).
 * With `length`, also that it holds exactly that many.
 */
export function checkNumbers(name: string, value: ArrayLike<number>, length?: number): void {
  const ok = Array.isArray(value)
    ? value.every((v) => typeof v === "number")
    : ArrayBuffer.isView(value) && !(value instanceof DataView) &&
      !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
  if (!ok) {
    throw new TypeError(
      `${name}: expected an array or typed array of numbers, got ${show(value)}`,
    );
  }
  if (length !== undefined) checkLength(name, value, length);
}

/** Throws a TypeError unless `value` is a float Tensor (`Tensor.from(values, shape)` builds one). */
export function checkTensor(name: string, value: unknown): void {
  if (brandOf(value) !== "Tensor") {
    const hint = brandOf(value) === "QuantizedTensor"
      ? " (a quantized tensor: dequantize() it first)"
      : " (Tensor.from(values, shape) builds one from numbers)";
    throw new TypeError(`${name}: expected a Tensor, got ${show(value)}${hint}`);
  }
}

/** Throws a TypeError unless `value` is a QuantizedTensor (`quantizePerTensor` makes one). */
export function checkQuantizedTensor(name: string, value: unknown): void {
  if (brandOf(value) !== "QuantizedTensor") {
    const hint = brandOf(value) === "Tensor"
      ? " (a float tensor: quantize it first, e.g. with quantizePerTensor)"
      : "";
    throw new TypeError(
      `${name}: expected a QuantizedTensor, got ${show(value)}${hint}`,
    );
  }
}

function brandOf(value: unknown): unknown {
  return typeof value === "object" && value !== null
    ? (value as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND]
    : undefined;
}

const INT_REPR_TYPES = {
  quint8: Uint8Array,
  quint4x2: Uint8Array,
  qint8: Int8Array,
  qint32: Int32Array,
} as const;

/**
 * Throws a TypeError unless `intRepr` is the typed array of `dtype`'s integers (Uint8Array for
 * quint8 and quint4x2, Int8Array for qint8, Int32Array for qint32).
 */
export function checkIntRepr(name: string, intRepr: IntRepr, dtype: QuantizedDType): void {
  const type = INT_REPR_TYPES[parseQuantizedDType(dtype)];
  checkTypedArray<IntRepr>(name, intRepr, type, `${dtype} codes`);
}
