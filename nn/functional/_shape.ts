/**
 * Shape helpers of the float ops (internal).
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";

/** Throws a TypeError naming `name` unless `x` is a float Tensor. */
export function checkTensor(name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    const hint = typeof x === "object" && x !== null && "zeroPoint" in x
      ? " (a quantized tensor: dequantize it first, or convert this module)"
      : "";
    throw new TypeError(`${name}: expected a float Tensor, got ${show(x)}${hint}`);
  }
}

/** The number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a shape as PyTorch prints it: `[4, 3, 3, 3]`. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The broadcast shape of two shapes (NumPy rules, as `torch.add`). */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at ` +
          `non-singleton dimension ${i} (shapes ${showShape(a)} and ${showShape(b)})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * For each element of the broadcast shape `out`, the index of the element of `shape` it reads
 * (row-major).
 */
export function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = numel(out);
  const index = new Int32Array(n);
  if (sameShape(shape, out)) {
    for (let i = 0; i < n; i++) index[i] = i;
    return index;
  }
  const strides = new Array(out.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = out.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  const counter = new Array(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < out.length; d++) k += counter[d] * strides[d];
    index[i] = k;
    for (let d = out.length - 1; d >= 0; d--) {
      if (++counter[d] < out[d]) break;
      counter[d] = 0;
    }
  }
  return index;
}

/** Sums a gradient of the broadcast shape back onto an input of `size` elements. */
export function reduceBroadcast(g: Float64Array, index: Int32Array, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < g.length; i++) out[index[i]] += g[i];
  return out;
}
