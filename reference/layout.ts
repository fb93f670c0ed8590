/**
 * NCHW ↔ NHWC permutations of 4-D data, for every layer: the reference reasons in PyTorch's
 * logical NCHW order, the kernels and nn's quantized activations store NHWC.
 * @module
 */

/** The element arrays the permutations handle. */
export type LayoutData = Uint8Array | Int8Array | Int32Array | Float32Array;

/** NCHW data of `shape` `[N, C, H, W]` → NHWC (a new array of the same type). */
export function toNhwc<T extends LayoutData>(data: T, shape: readonly number[]): T {
  const [n, c, h, w] = shape;
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) out[(i * hw + p) * c + ch] = data[src + p];
    }
  }
  return out;
}

/** NHWC data of logical shape `[N, C, H, W]` → NCHW (a new array of the same type). */
export function toNchw<T extends LayoutData>(data: T, shape: readonly number[]): T {
  const [n, c, h, w] = shape;
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const dst = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) out[dst + p] = data[(i * hw + p) * c + ch];
    }
  }
  return out;
}

/**
 * The input of a model, permuted once per forward: a float image `[N, C, H, W]` (the fp32
 * kernels' models) or its quantized codes (a converted model's Quantize) → NHWC into `out`,
 * reused scratch of the same length. Loops of their own, one per element type: V8 specialises a
 * loop to the array types it has seen (the shared permutations see every type), and writing into
 * reused memory spares the page faults of a fresh large array.
 * @throws {RangeError} when `out` has another length.
 */
export function imageToNhwc(
  data: Float32Array,
  shape: readonly number[],
  out: Float32Array,
): Float32Array {
  const [n, c, hw] = inputGeometry(data, shape, out);
  for (let i = 0; i < n; i++) {
    for (let ch = 0, src = i * c * hw; ch < c; ch++) {
      for (let p = 0, k = i * c * hw + ch; p < hw; p++, k += c) out[k] = data[src++];
    }
  }
  return out;
}

/** `imageToNhwc` of quantized codes. @throws {RangeError} when `out` has another length. */
export function codesToNhwc(
  data: Uint8Array,
  shape: readonly number[],
  out: Uint8Array,
): Uint8Array {
  const [n, c, hw] = inputGeometry(data, shape, out);
  for (let i = 0; i < n; i++) {
    for (let ch = 0, src = i * c * hw; ch < c; ch++) {
      for (let p = 0, k = i * c * hw + ch; p < hw; p++, k += c) out[k] = data[src++];
    }
  }
  return out;
}

function inputGeometry(data: LayoutData, shape: readonly number[], out: LayoutData): number[] {
  if (out.length !== data.length) {
    throw new RangeError(`out: expected ${data.length} elements, got ${out.length}`);
  }
  const [n, c, h, w] = shape;
  return [n, c, h * w];
}
