/**
 * Compares what an implementation produced with what PyTorch recorded: bit for bit by default,
 * within a bound where the golden case says so.
 * @module
 */
import { float32Bits, float64BitsHex } from "../reference/float32.ts";
import type { CompareSpec, GoldenDType, GoldenTensor } from "./golden_file.ts";

/** An implementation's output for one golden output. */
export interface Produced {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number> | BigInt64Array;
  /**
   * 1 where the element's input lies where PyTorch builds disagree (NaN, ±Infinity, overflow):
   * there a difference is a named deviation, not a failure.
   */
  readonly buildDependent?: Uint8Array;
}

/** The first element that differs, formatted for a report. */
export interface Mismatch {
  readonly index: number;
  readonly expected: string;
  readonly actual: string;
}

/** The outcome of comparing one output. */
export interface OutputComparison {
  readonly status: "pass" | "fail" | "deviation";
  /** Why it failed: a shape difference or the first differing element. */
  readonly reason?: string;
  readonly mismatch?: Mismatch;
  /** Elements that differ (all of them, build-dependent or not). */
  readonly differing: number;
  /** Build-dependent elements (those that make this output a deviation). */
  readonly buildDependent: number;
  /** Build-dependent elements whose value differs from the recorded one. */
  readonly buildDependentDiffering: number;
}

/** Compares `actual` with the recorded tensor `expected` under `spec`. */
export function compareOutput(
  expected: GoldenTensor,
  actual: Produced,
  spec: CompareSpec,
): OutputComparison {
  const none = { differing: 0, buildDependent: 0, buildDependentDiffering: 0 };
  const kinds = recordableDTypes(actual.data);
  if (!kinds.includes(expected.dtype)) {
    return {
      status: "fail",
      reason: `dtype: PyTorch recorded ${expected.dtype}, this implementation produced ` +
        `${typeName(actual.data)} values (${kinds.join(" or ") || "no golden dtype"})`,
      ...none,
    };
  }
  if (!sameShape(expected.shape, actual.shape)) {
    return {
      status: "fail",
      reason: `shape [${actual.shape}] differs from the recorded [${expected.shape}]`,
      ...none,
    };
  }
  const n = expected.data.length;
  if (actual.data.length !== n) {
    return {
      status: "fail",
      reason: `${actual.data.length} elements produced, ${n} recorded`,
      ...none,
    };
  }
  const equal = elementEquality(expected, spec);
  const mask = actual.buildDependent;
  let differing = 0;
  let buildDependent = 0;
  let buildDependentDiffering = 0;
  let firstFailure = -1;
  for (let i = 0; i < n; i++) {
    const same = equal(expected.data[i], actual.data[i]);
    if (mask !== undefined && mask[i]) {
      buildDependent++;
      if (!same) {
        buildDependentDiffering++;
        differing++;
      }
      continue;
    }
    if (!same) {
      differing++;
      if (firstFailure < 0) firstFailure = i;
    }
  }
  if (firstFailure >= 0) {
    const mismatch = {
      index: firstFailure,
      expected: formatElement(expected, expected.data[firstFailure]),
      actual: formatElement(expected, actual.data[firstFailure]),
    };
    return {
      status: "fail",
      reason: `${differing} of ${n} elements differ; first at index ${firstFailure} ` +
        `(${indexToCoords(firstFailure, expected.shape)}): expected ${mismatch.expected}, ` +
        `got ${mismatch.actual}`,
      mismatch,
      differing,
      buildDependent,
      buildDependentDiffering,
    };
  }
  return {
    status: buildDependent > 0 ? "deviation" : "pass",
    differing,
    buildDependent,
    buildDependentDiffering,
  };
}

/**
 * The golden dtypes an output array can stand for: each typed array its own (Int32Array also
 * int64: PyTorch's observers give int32 or int64 zero points by qscheme, and the values are
 * compared exactly), a plain array of JS numbers the double and integer scalars.
 */
function recordableDTypes(data: Produced["data"]): readonly GoldenDType[] {
  if (data instanceof Uint8Array) return ["uint8", "bool"];
  if (data instanceof Int8Array) return ["int8"];
  if (data instanceof Int32Array) return ["int32", "int64"];
  if (data instanceof BigInt64Array) return ["int64"];
  if (data instanceof Float32Array) return ["float32"];
  if (data instanceof Float64Array) return ["float64"];
  if (Array.isArray(data)) return ["float64", "int64", "int32"];
  return [];
}

function typeName(data: Produced["data"]): string {
  return Array.isArray(data) ? "number[]" : (data as object).constructor.name;
}

type Element = number | bigint;

function elementEquality(
  expected: GoldenTensor,
  spec: CompareSpec,
): (e: Element, a: Element) => boolean {
  const isFloat = expected.dtype === "float32" || expected.dtype === "float64";
  if (!isFloat) return (e, a) => Number(e) === Number(a);
  if (spec === "exact") {
    if (expected.dtype === "float64") {
      return (e, a) => bothNaN(e, a) || float64BitsHex(Number(e)) === float64BitsHex(Number(a));
    }
    return (e, a) =>
      bothNaN(e, a) || float32Bits(Number(e)) === float32Bits(Math.fround(Number(a)));
  }
  if ("max_abs" in spec) {
    return (e, a) =>
      bothNaN(e, a) || Number(e) === Number(a) || Math.abs(Number(e) - Number(a)) <= spec.max_abs;
  }
  return (e, a) => bothNaN(e, a) || ulpDistance(Number(e), Number(a)) <= spec.max_ulp;
}

function bothNaN(e: Element, a: Element): boolean {
  return Number.isNaN(Number(e)) && Number.isNaN(Number(a));
}

/** Distance in float32 units in the last place (signed zeros are 0 apart). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  return Math.abs(orderedFloat32(a) - orderedFloat32(b));
}

function orderedFloat32(x: number): number {
  const bits = float32Bits(x);
  return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
}

/** Formats an element; floats also show their bit pattern. */
export function formatElement(t: GoldenTensor, value: Element): string {
  if (t.dtype === "float32") {
    const v = Math.fround(Number(value));
    return `${showFloat(v)} (0x${float32Bits(v).toString(16).padStart(8, "0")})`;
  }
  if (t.dtype === "float64") {
    return `${showFloat(Number(value))} (0x${float64BitsHex(Number(value))})`;
  }
  return String(value);
}

function showFloat(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `[i, j, …]` coordinates of a flat row-major index. */
export function indexToCoords(index: number, shape: readonly number[]): string {
  if (shape.length <= 1) return `[${index}]`;
  const coords: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    coords.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${coords.join(", ")}]`;
}
