/**
 * NCHW ↔ NHWC permutations of 4-D data, for every layer: the reference reasons in PyTorch's
 * logical NCHW order, the kernels and nn's quantized activations store NHWC.
 * @module
 */

/** The element arrays the permutations handle. */
export type LayoutData = Uint8Array | Int8Array | Int32Array | Float32Array;

/**
 * NCHW data of `shape` `[N, C, H, W]` → NHWC: into `out` when given (an array of the same type
 * and length, e.g. reused scratch: the first writes to a fresh large array cost page faults),
 * else into a new array of the same type.
 * @throws {RangeError} when `out` has another length.
 */
export function toNhwc<T extends LayoutData>(data: T, shape: readonly number[], out?: T): T {
  const [n, c, h, w] = shape;
  if (out === undefined) out = new (data.constructor as new (length: number) => T)(data.length);
  else if (out.length !== data.length) {
    throw new RangeError(`out: expected ${data.length} elements, got ${out.length}`);
  }
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
 * `toNhwc` of a float image into `out` (reused scratch of the same length), for models on the
 * fp32 kernels. A loop of its own: V8 specialises a loop to the array types it has seen, and the
 * shared permutations run on quantized codes.
 * @throws {RangeError} when `out` has another length.
 */
export function imageToNhwc(
  data: Float32Array,
  shape: readonly number[],
  out: Float32Array,
): Float32Array {
  if (out.length !== data.length) {
    throw new RangeError(`out: expected ${data.length} elements, got ${out.length}`);
  }
  const [n, c, h, w] = shape;
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (i * c + ch) * hw;
      for (let p = 0, k = i * hw * c + ch; p < hw; p++, k += c) out[k] = data[src + p];
    }
  }
  return out;
}
