/**
 * `torch.sum` / `torch.mean` of a contiguous float32 tensor over one dimension, in the order
 * PyTorch 1.13's AVX2 sum kernel adds (aten/src/ATen/native/cpu/SumKernel.cpp, float
 * accumulators):
 *
 * - over the last dimension (an "inner" reduction): every row is summed as a whole contiguous
 *   tensor is (`reference/torch_sum.ts`);
 * - over another dimension (an "outer" reduction, the output contiguous): the outputs are taken
 *   in groups of 32 lanes summed down the reduced dimension with the 4-level cascade
 *   (`multi_row_sum`), then groups of 8 and single lanes with `row_sum` (4 partial sums of every
 *   4th row, the leftover rows added to the first, then combined).
 *
 * `mean` is the sum divided by the count (`sum_out(...).div_(n)`), in float32.
 * @module
 */
import { f32 } from "./float32.ts";
import { multiRowSum, torchSumFloat32 } from "./torch_sum.ts";

const LANES = 8;
const ILP = 4;

/** `row_sum` of `rows` values at `load(row, lane)` for `width` lanes (width 1: the scalar one). */
function rowSum(rows: number, width: number, load: (row: number, lane: number) => number) {
  const groups = Math.floor(rows / ILP);
  const partial = groups > 0
    ? multiRowSum(groups, width, (r, k, l) => load(r * ILP + k, l))
    : Array.from({ length: ILP }, () => new Float32Array(width));
  for (let r = groups * ILP; r < rows; r++) {
    for (let l = 0; l < width; l++) partial[0][l] = f32(partial[0][l] + load(r, l));
  }
  for (let k = 1; k < ILP; k++) {
    for (let l = 0; l < width; l++) partial[0][l] = f32(partial[0][l] + partial[k][l]);
  }
  return partial[0];
}

/** Sums `[rows, cols]` (row-major, starting at `offset`) down its rows: `cols` outputs. */
function outerSum(x: ArrayLike<number>, offset: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(cols);
  let j = 0;
  for (; j + ILP * LANES <= cols; j += ILP * LANES) {
    const sums = multiRowSum(rows, LANES, (r, k, l) => x[offset + r * cols + j + k * LANES + l]);
    sums.forEach((s, k) => out.set(s, j + k * LANES));
  }
  for (; j + LANES <= cols; j += LANES) {
    out.set(rowSum(rows, LANES, (r, l) => x[offset + r * cols + j + l]), j);
  }
  for (; j < cols; j++) out[j] = rowSum(rows, 1, (r) => x[offset + r * cols + j])[0];
  return out;
}

/**
 * `torch.sum(x, dim)` of a contiguous float32 tensor of `shape`: the reduced shape (without
 * `dim`) and the sums.
 * @throws {RangeError} for a dimension out of range.
 */
export function torchSumDim(
  x: ArrayLike<number>,
  shape: readonly number[],
  dim: number,
): { shape: number[]; data: Float32Array } {
  const rank = shape.length;
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) {
    throw new RangeError(
      `dim: Dimension out of range (expected to be in range of [${-rank}, ${
        rank - 1
      }], but got ${dim})`,
    );
  }
  const d = dim < 0 ? dim + rank : dim;
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const size = shape[d];
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    if (inner === 1) {
      const row = Array.from({ length: size }, (_, i) => x[o * size + i]);
      out[o] = torchSumFloat32(row);
    } else {
      out.set(outerSum(x, o * size * inner, size, inner), o * inner);
    }
  }
  return { shape: [...shape.slice(0, d), ...shape.slice(d + 1)], data: out };
}

/** `torch.mean(x)` of a contiguous float32 tensor: `f32(sum / f32(n))` (NaN for n = 0). */
export function torchMeanFloat32(x: ArrayLike<number>): number {
  return f32(torchSumFloat32(x) / f32(x.length));
}

/** `torch.mean(x, dim)`: `torchSumDim` divided by the size of `dim` in float32. */
export function torchMeanDim(
  x: ArrayLike<number>,
  shape: readonly number[],
  dim: number,
): { shape: number[]; data: Float32Array } {
  const sum = torchSumDim(x, shape, dim);
  const count = f32(shape[dim < 0 ? dim + shape.length : dim]);
  return { shape: sum.shape, data: sum.data.map((v) => v / count) };
}
