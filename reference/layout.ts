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
