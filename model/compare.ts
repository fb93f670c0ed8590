/**
 * Bitwise comparison of a graph value computed here with the one PyTorch recorded: quantized
 * tensors by their codes (logical order), scale and zero point; float tensors by their float32
 * bit patterns (−0 and NaN payloads included); integers and shapes by value.
 * @module
 */
import { indexToCoords } from "../conformance/compare.ts";
import { float32Bits } from "../reference/float32.ts";
import { Tensor } from "../reference/tensor.ts";
import { QTensor } from "../nn/quantized/qtensor.ts";
import type { TypedTensor } from "../nn/typed_tensor.ts";

/** What PyTorch recorded for one node: a tensor, and for quantized ones their qparams. */
export interface Recorded {
  /** The values (codes for a quantized tensor). */
  readonly tensor: TypedTensor;
  /** The scale, for a quantized tensor. */
  readonly scale?: number;
  /** The zero point, for a quantized tensor. */
  readonly zeroPoint?: number;
}

/** The outcome: equal, or the first difference. */
export type Comparison = { equal: true } | { equal: false; reason: string };

const EQUAL: Comparison = { equal: true };

function shapeDiffers(a: readonly number[], b: readonly number[]): boolean {
  return a.length !== b.length || a.some((d, i) => d !== b[i]);
}

/** Compares a value with its recording. */
export function compareValue(value: unknown, want: Recorded): Comparison {
  const t = want.tensor;
  if (value instanceof QTensor) {
    if (want.scale === undefined) {
      return { equal: false, reason: "quantized here, float in PyTorch" };
    }
    if (shapeDiffers(value.shape, t.shape)) {
      return { equal: false, reason: `shape [${value.shape}] vs PyTorch's [${t.shape}]` };
    }
    if (Math.fround(value.scale) !== Math.fround(want.scale) || value.scale !== want.scale) {
      return { equal: false, reason: `scale ${value.scale} vs PyTorch's ${want.scale}` };
    }
    if (value.zeroPoint !== want.zeroPoint) {
      return {
        equal: false,
        reason: `zero point ${value.zeroPoint} vs PyTorch's ${want.zeroPoint}`,
      };
    }
    const codes = value.logicalCodes();
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] !== Number(t.data[i])) {
        const diff = codes.filter((c, j) => c !== Number(t.data[j])).length;
        return {
          equal: false,
          reason:
            `${diff} of ${codes.length} codes differ; first at ${indexToCoords(i, t.shape)}: ` +
            `${codes[i]} vs PyTorch's ${t.data[i]}`,
        };
      }
    }
    return EQUAL;
  }
  if (want.scale !== undefined) return { equal: false, reason: "float here, quantized in PyTorch" };
  if (isTyped(value)) return compareEntries(value, t);
  if (value instanceof Tensor) {
    if (t.dtype !== "F32") {
      return { equal: false, reason: `a float tensor here, ${t.dtype} in PyTorch` };
    }
    if (shapeDiffers(value.shape, t.shape)) {
      return { equal: false, reason: `shape [${value.shape}] vs PyTorch's [${t.shape}]` };
    }
    const d = t.data as Float32Array;
    let differing = 0;
    let first = -1;
    for (let i = 0; i < d.length; i++) {
      if (float32Bits(value.data[i]) !== float32Bits(d[i])) {
        differing++;
        if (first < 0) first = i;
      }
    }
    if (differing === 0) return EQUAL;
    return {
      equal: false,
      reason:
        `${differing} of ${d.length} floats differ; first at ${indexToCoords(first, t.shape)}: ` +
        `${value.data[first]} vs PyTorch's ${d[first]}`,
    };
  }
  const ints = Array.from(t.data as BigInt64Array, Number);
  const got = typeof value === "number" ? [value] : Array.isArray(value) ? value : undefined;
  if (got === undefined) return { equal: false, reason: `a ${typeof value} here` };
  if (got.length !== ints.length || got.some((v, i) => v !== ints[i])) {
    return { equal: false, reason: `[${got}] vs PyTorch's [${ints}]` };
  }
  return EQUAL;
}

function isTyped(v: unknown): v is TypedTensor {
  return typeof v === "object" && v !== null && !(v instanceof Tensor) && "dtype" in v &&
    "shape" in v && ArrayBuffer.isView((v as TypedTensor).data);
}

/** Compares two state-dict entries byte for byte (dtype and shape first). */
export function compareEntries(got: TypedTensor | undefined, want: TypedTensor): Comparison {
  if (got === undefined) return { equal: false, reason: "missing here" };
  if (got.dtype !== want.dtype) {
    return { equal: false, reason: `dtype ${got.dtype} vs PyTorch's ${want.dtype}` };
  }
  const scalar = (s: readonly number[]) => s.length === 0 || (s.length === 1 && s[0] === 1);
  if (shapeDiffers(got.shape, want.shape) && !(scalar(got.shape) && scalar(want.shape))) {
    return { equal: false, reason: `shape [${got.shape}] vs PyTorch's [${want.shape}]` };
  }
  const a = new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength);
  const b = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
  if (a.length !== b.length) return { equal: false, reason: `${a.length} bytes vs ${b.length}` };
  const size = got.data.BYTES_PER_ELEMENT;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const k = Math.floor(i / size);
      return {
        equal: false,
        reason: `element ${indexToCoords(k, want.shape)}: ${got.data[k]} vs PyTorch's ${
          want.data[k]
        }`,
      };
    }
  }
  return EQUAL;
}
