/**
 * `torch.sum` of a contiguous float32 tensor, in the exact order PyTorch 1.13's AVX2 kernel adds
 * (aten/src/ATen/native/cpu/SumKernel.cpp; docs/numerics/float_ops.md §torch.sum): 8-lane
 * vectors in rows of 4, a 4-level cascade, then the scalar tail and the lanes in order. Float
 * summation is not associative, so this order is what makes HistogramObserver and LSQ gradients
 * bit-exact.
 * (An AVX512 build uses 16 lanes and gives different bits.)
 * @module
 */
import { checkNumbers } from "./_check.ts";
import { f32 } from "./float32.ts";

const LANES = 8;
const ILP = 4;
const LEVELS = 4;

function ceilLog2(x: number): number {
  return x <= 1 ? 0 : Math.ceil(Math.log2(x));
}

/**
 * Sums `rows` rows of 4 (`ILP`) accumulators of `width` lanes (row r, accumulator k, lane l at
 * `load(r, k, l)`) with PyTorch's multi-level cascade; returns the `ILP` partial sums.
 */
export function multiRowSum(
  rows: number,
  width: number,
  load: (row: number, k: number, lane: number) => number,
): Float32Array[] {
  const levelPower = Math.max(4, Math.floor(ceilLog2(rows) / LEVELS));
  const levelStep = 1 << levelPower;
  const levelMask = levelStep - 1;
  const acc = Array.from(
    { length: LEVELS },
    () => Array.from({ length: ILP }, () => new Float32Array(width)),
  );
  const addRow = (row: number) => {
    for (let k = 0; k < ILP; k++) {
      const a = acc[0][k];
      for (let l = 0; l < width; l++) a[l] = f32(a[l] + load(row, k, l));
    }
  };
  let i = 0;
  while (i + levelStep <= rows) {
    for (let s = 0; s < levelStep; s++) addRow(i++);
    for (let j = 1; j < LEVELS; j++) {
      for (let k = 0; k < ILP; k++) {
        const hi = acc[j][k];
        const lo = acc[j - 1][k];
        for (let l = 0; l < width; l++) hi[l] = f32(hi[l] + lo[l]);
        lo.fill(0);
      }
      // Carry further up only when the lower levels have completed a full cycle.
      if ((i & (levelMask << (j * levelPower))) !== 0) break;
    }
  }
  while (i < rows) addRow(i++);
  for (let j = 1; j < LEVELS; j++) {
    for (let k = 0; k < ILP; k++) {
      const a = acc[0][k];
      for (let l = 0; l < width; l++) a[l] = f32(a[l] + acc[j][k][l]);
    }
  }
  return acc[0];
}

/** `torch.sum(x)` of a contiguous float32 tensor, bit-exact with PyTorch 1.13 on AVX2. */
export function torchSumFloat32(x: ArrayLike<number>): number {
  checkNumbers("x", x);
  const n = x.length;
  if (n < LANES) {
    // The scalar path: the same cascade with one-lane "vectors".
    const rows = Math.floor(n / ILP);
    const partial = rows > 0
      ? multiRowSum(rows, 1, (r, k) => x[r * ILP + k]).map((a) => a[0])
      : [0, 0, 0, 0];
    for (let i = rows * ILP; i < n; i++) partial[0] = f32(partial[0] + x[i]);
    let total = partial[0];
    for (let k = 1; k < ILP; k++) total = f32(total + partial[k]);
    return total;
  }
  const vectors = Math.floor(n / LANES);
  const rows = Math.floor(vectors / ILP);
  const partial = rows > 0
    ? multiRowSum(rows, LANES, (r, k, l) => x[(r * ILP + k) * LANES + l])
    : Array.from({ length: ILP }, () => new Float32Array(LANES));
  for (let v = rows * ILP; v < vectors; v++) {
    for (let l = 0; l < LANES; l++) partial[0][l] = f32(partial[0][l] + x[v * LANES + l]);
  }
  for (let k = 1; k < ILP; k++) {
    for (let l = 0; l < LANES; l++) partial[0][l] = f32(partial[0][l] + partial[k][l]);
  }
  let total = 0;
  for (let i = vectors * LANES; i < n; i++) total = f32(total + x[i]);
  for (let l = 0; l < LANES; l++) total = f32(total + partial[0][l]);
  return total;
}
