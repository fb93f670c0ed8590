/**
 * Small helpers shared by the nn modules (internal).
 * @module
 */

/** Formats a value for an error message (short, JSON where possible). */
export function show(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as Uint8Array).length})`;
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const name = value.constructor?.name;
    if (name && name !== "Object") return `a ${name}`;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? text.slice(0, 77) + "..." : text;
  } catch {
    return String(value);
  }
}

/** The class name of a value, for error messages (`Conv2d`, `number`, `null`). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object" || typeof value === "function") {
    return (value as { constructor?: { name?: string } }).constructor?.name ?? typeof value;
  }
  return typeof value;
}

/** Throws unless `value` is an integer >= `min`; returns it. */
export function checkInt(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name}: expected an integer >= ${min}, got ${show(value)}`);
  }
  return value;
}

/** Pairs of integers (PyTorch's `_size_2_t`), shared with the reference. */
export { type IntPair, pair } from "../reference/_check.ts";

/** Throws unless `value` is a finite number (optionally within bounds); returns it. */
export function checkNumber(
  name: string,
  value: unknown,
  bounds: { min?: number; max?: number; minExclusive?: boolean } = {},
): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(`${name}: expected a finite number, got ${show(value)}`);
  }
  const { min, max, minExclusive } = bounds;
  if (min !== undefined && (minExclusive ? !(value > min) : !(value >= min))) {
    throw new RangeError(
      `${name}: expected a number ${minExclusive ? ">" : ">="} ${min}, got ${show(value)}`,
    );
  }
  if (max !== undefined && !(value <= max)) {
    throw new RangeError(`${name}: expected a number <= ${max}, got ${show(value)}`);
  }
  return value;
}
