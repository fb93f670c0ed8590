/**
 * NumPy-style (multidirectional) broadcasting, as ONNX defines it for MatMul's batch dimensions
 * and for elementwise operators.
 * @module
 */

/** The broadcast shape of two shapes, or a RangeError naming both. */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
  names: readonly [string, string],
): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${names[0]} [${a}] and ${
          names[1]
        } [${b}] do not broadcast (dimension ${i}: ${da} vs ${db})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index into a tensor of `shape` broadcast to it
 * (`shape` right-aligned, size-1 dimensions repeated).
 */
export function broadcastIndices(
  shape: readonly number[],
  outShape: readonly number[],
): Int32Array {
  const size = outShape.reduce((x, y) => x * y, 1);
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const od = rank - shape.length + d;
    strides[od] = shape[d] === 1 ? 0 : stride;
    stride *= shape[d];
  }
  const out = new Int32Array(size);
  const coord = new Array<number>(rank).fill(0);
  let index = 0;
  for (let i = 0; i < size; i++) {
    out[i] = index;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]++;
      index += strides[d];
      if (coord[d] < outShape[d]) break;
      index -= strides[d] * coord[d];
      coord[d] = 0;
    }
  }
  return out;
}
