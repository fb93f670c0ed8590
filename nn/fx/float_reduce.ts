/**
 * `torch.sum` over dimensions of a float32 tensor in the order PyTorch 1.13 adds on one thread
 * with AVX2 (8-float vectors): the reduction's TensorIterator (`tensor_iterator.ts`: reduced
 * dimensions moved innermost, the rest ordered by stride, adjacent dimensions coalesced), walked
 * two dimensions at a time, each step taking one of the cascade sum's four loops (contiguous
 * inner, contiguous outer, scalar inner, scalar outer) and adding its result into the output.
 * `torch.mean` is this sum divided by the element count.
 *
 * Two accumulation shapes make up every loop, both from `reference/torch_sum.ts`'s
 * `multiRowSum`: `cascade` (one accumulator, flushed up four levels every 2^max(4, ⌈log2 n⌉/4)
 * rows) and `rowSum` (four interleaved cascades, the tail added to the first, then the four
 * added in order). `reference/torch_reduce.ts` covers one dimension of a contiguous tensor; this
 * covers any set of dimensions in any memory format. Eight lanes of a vector are eight independent sums,
 * so a vector loop is the scalar arithmetic per column.
 * @module
 */
import { f32 } from "../../reference/float32.ts";
import { multiRowSum } from "../../reference/torch_sum.ts";
import { contiguousStrides, forEach2d, iterationDims, type IterDim } from "./tensor_iterator.ts";

const ILP = 4;
const LANES = 8;

/** One accumulator over `size` rows with the cascade's level flushes (`multi_row_sum`). */
function cascade(size: number, load: (i: number) => number): number {
  return multiRowSum(size, 1, (r, k) => (k === 0 ? load(r) : 0))[0][0];
}

/** `row_sum`: four interleaved cascades, the tail into the first, then the four in order. */
function rowSum(size: number, load: (i: number) => number): number {
  const rows = Math.floor(size / ILP);
  const partial = rows > 0
    ? multiRowSum(rows, 1, (r, k) => load(r * ILP + k)).map((a) => a[0])
    : [0, 0, 0, 0];
  for (let i = rows * ILP; i < size; i++) partial[0] = f32(partial[0] + load(i));
  let total = partial[0];
  for (let k = 1; k < ILP; k++) total = f32(total + partial[k]);
  return total;
}

/** One two-dimensional step of `cascade_sum`, adding into `out`. */
function sumStep(
  x: Float32Array,
  inBase: number,
  out: Float32Array,
  outBase: number,
  d0: IterDim,
  d1: IterDim,
): void {
  let [size0, size1] = [d0.size, d1.size];
  let inS = [d0.strides[1], d1.strides[1]];
  let outS = [d0.strides[0], d1.strides[0]];
  if (outS[0] !== 0 && outS[1] === 0) {
    inS = [inS[1], inS[0]];
    outS = [outS[1], outS[0]];
    [size0, size1] = [size1, size0];
  }
  if (outS[0] !== 0 && outS[1] !== 0) {
    // Not a true reduction: out += in.
    for (let j = 0; j < size1; j++) {
      for (let i = 0; i < size0; i++) {
        const o = outBase + j * outS[1] + i * outS[0];
        out[o] = f32(out[o] + x[inBase + j * inS[1] + i * inS[0]]);
      }
    }
    return;
  }
  const outStride = outS[1];
  const store = (j: number, v: number) => {
    const o = outBase + j * outStride;
    out[o] = f32(out[o] + v);
  };
  const column = (j: number, sum: (size: number, load: (i: number) => number) => number) =>
    store(j, sum(size0, (i) => x[inBase + j * inS[1] + i * inS[0]]));
  if (inS[0] === 1 && size0 >= LANES) {
    // vectorized_inner_sum: 8-float vectors in a row sum, the scalar tail, then the lanes.
    const vectors = Math.floor(size0 / LANES);
    for (let j = 0; j < size1; j++) {
      const row = inBase + j * inS[1];
      const lanes = Array.from(
        { length: LANES },
        (_, l) => rowSum(vectors, (v) => x[row + v * LANES + l]),
      );
      let total = 0;
      for (let k = vectors * LANES; k < size0; k++) total = f32(total + x[row + k]);
      for (const v of lanes) total = f32(total + v);
      store(j, total);
    }
  } else if (inS[1] === 1 && size1 >= LANES) {
    // vectorized_outer_sum: blocks of 4 vectors (one cascade per column), single vectors and
    // scalar columns (row sums).
    const blocks = size1 - (size1 % (ILP * LANES));
    for (let j = 0; j < size1; j++) column(j, j < blocks ? cascade : rowSum);
  } else if (inS[0] < inS[1]) {
    for (let j = 0; j < size1; j++) column(j, rowSum);
  } else {
    const blocks = size1 - (size1 % ILP);
    for (let j = 0; j < size1; j++) column(j, j < blocks ? cascade : rowSum);
  }
}

/**
 * `torch.sum(x, dims)` of a float32 tensor, as PyTorch 1.13 adds on one thread with AVX2;
 * returns the sums in the output's row-major order.
 * @param data the elements in memory order
 * @param shape the logical shape
 * @param dims sorted, distinct dimensions to reduce (all of them for a full sum)
 * @param strides each dimension's stride into `data` (row-major by default; channels-last for a
 * 4-D tensor in NHWC memory order, which changes PyTorch's order of additions)
 */
export function sumOverDims(
  data: Float32Array,
  shape: readonly number[],
  dims: readonly number[],
  strides: readonly number[] = contiguousStrides(shape),
): Float32Array {
  const outSize = shape.filter((_, i) => !dims.includes(i)).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outSize);
  if (data.length === 0) return out;
  const kept = [...Array(shape.length).keys()].filter((d) => !dims.includes(d));
  const outStrides = new Array<number>(shape.length).fill(0);
  let stride = 1;
  for (let k = kept.length - 1; k >= 0; k--) {
    outStrides[kept[k]] = stride;
    stride *= shape[kept[k]];
  }
  const it = iterationDims(shape, [outStrides, strides], true);
  forEach2d(it, 2, ([outBase, inBase], d0, d1) => sumStep(data, inBase, out, outBase, d0, d1));
  return out;
}
