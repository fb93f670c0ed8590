/**
 * `F.batch_norm` in float32, bit for bit with PyTorch 1.13's CPU kernel on a contiguous input
 * (aten/src/ATen/native/Normalization.cpp `batch_norm_cpu_update_stats_template`,
 * cpu/batch_norm_kernel.cpp, AVX2 build with GCC's FMA contraction), measured against
 * `torch.native_batch_norm` on this machine:
 *
 * - batch statistics (training): with spatial size > 1, the mean is `f32(Σx / n)` summed in
 *   double in memory order, and `var_sum` the double sum of `f32(d·d)`, `d = f32(x − mean)`,
 *   rounded to float; with spatial size 1 (`[N, C]` inputs: the channels-last kernel), the sum
 *   is a float32 running sum, `mean = f32(sum / n)`, and `var_sum` a float32 running
 *   `fma(d, d, acc)`;
 * - `invstd = f32(1 / √(f32(var_sum / n) + eps))` in double (the division is a FLOAT one:
 *   `var_sum` is a float and `n` an integer), or, in evaluation, `1 / sqrtf(running_var +
 *   f32(eps))` in float;
 * - running statistics, with `m = f32(momentum)`: `mean' = f32(m·mean) + f32((1−m)·mean)` in
 *   float; `var' = f32(m·f32(var_sum/(n−1)) + f32((1−m)·var))` with the sum in double;
 * - the output `y = fma(x, α, β)` with `α = f32(invstd·γ)` and `β = fma(−mean, α, b)` (GCC
 *   contracts both).
 *
 * The gradient (recorded on an active `GradTape`, through the batch statistics when training)
 * is computed in float64.
 * @module
 */
import { fmaF32 } from "../../reference/float32.ts";
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { checkTensor, numel, showShape } from "./_shape.ts";

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** `running_mean` (updated in place when training), or null. */
  runningMean: Tensor | null;
  /** `running_var` (updated in place when training), or null. */
  runningVar: Tensor | null;
  /** γ, or null (ones). */
  weight?: Tensor | null;
  /** β, or null (zeros). */
  bias?: Tensor | null;
  /** Normalise with the batch statistics (and update the running ones). */
  training: boolean;
  /** The running-average factor (PyTorch's `exponential_average_factor`). */
  momentum: number;
  /** Added to the variance. */
  eps: number;
}

const f32 = Math.fround;

/**
 * The batch mean and `var_sum` of channel `ch` of `[n, c, inner]` data, in PyTorch's order (see
 * the module documentation).
 */
function batchStatistics(
  xd: Float32Array,
  shape: { n: number; c: number; inner: number; ch: number },
): { mean: number; varSum: number } {
  const { n, c, inner, ch } = shape;
  const count = n * inner;
  const value = (b: number, i: number) => xd[(b * c + ch) * inner + i];
  let mean: number;
  let varSum: number;
  if (inner > 1) {
    let sum = 0; // double
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) sum += value(b, i);
    mean = f32(sum / count);
    let sq = 0; // double
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < inner; i++) {
        const d = f32(value(b, i) - mean);
        sq += f32(d * d);
      }
    }
    varSum = f32(sq);
  } else {
    let sum = 0;
    for (let b = 0; b < n; b++) sum = f32(sum + value(b, 0));
    mean = f32(sum / count);
    let sq = 0;
    for (let b = 0; b < n; b++) {
      const d = f32(value(b, 0) - mean);
      sq = fmaF32(d, d, sq);
    }
    varSum = sq;
  }
  return { mean, varSum };
}

/**
 * `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)` over
 * dimension 1 of `x` `[N, C, …]`. Training (or no running statistics): normalises with the batch
 * mean and biased variance and, given running statistics, updates them in place as
 * `r ← (1 − m)·r + m·s` with the unbiased variance. Evaluation: the running statistics.
 * @throws {RangeError} for per-channel tensors of the wrong size, or when training with one
 * value per channel (as PyTorch).
 */
export function batchNorm(x: Tensor, options: BatchNormOptions): Tensor {
  checkTensor("x", x);
  if (x.shape.length < 2) {
    throw new RangeError(`x: batch norm expects [N, C, ...], got ${showShape(x.shape)}`);
  }
  const [n, c] = x.shape;
  const inner = numel(x.shape.slice(2));
  const { runningMean, runningVar, training, momentum, eps } = options;
  const weight = options.weight ?? null;
  const bias = options.bias ?? null;
  const vectors = { runningMean, runningVar, weight, bias };
  for (const [name, v] of Object.entries(vectors)) {
    if (v !== null && v.size !== c) {
      throw new RangeError(`${name}: expected ${c} values (one per channel), got ${v.size}`);
    }
  }
  const useBatchStats = training || runningMean === null || runningVar === null;
  const count = n * inner;
  if (useBatchStats && count <= 1) {
    throw new RangeError(
      `x: Expected more than 1 value per channel when training, got input size ${
        showShape(x.shape)
      }`,
    );
  }
  const xd = x.data;
  const means = new Float64Array(c);
  const invStds = new Float64Array(c);
  const out = new Float32Array(x.size);
  const at = (b: number, ch: number) => (b * c + ch) * inner;
  const m = f32(momentum);
  for (let ch = 0; ch < c; ch++) {
    let mean: number;
    let invStd: number;
    if (useBatchStats) {
      const { mean: batchMean, varSum } = batchStatistics(xd, { n, c, inner, ch });
      mean = batchMean;
      const variance = f32(varSum / f32(count)); // a float division
      invStd = variance === 0 && eps === 0 ? 0 : f32(1 / Math.sqrt(variance + eps));
      if (training && runningMean !== null && runningVar !== null) {
        runningMean.data[ch] = f32(f32(m * mean) + f32(f32(1 - m) * runningMean.data[ch]));
        runningVar.data[ch] = f32(
          m * f32(varSum / f32(count - 1)) + f32(f32(1 - m) * runningVar.data[ch]),
        );
      }
    } else {
      mean = runningMean!.data[ch];
      invStd = f32(1 / f32(Math.sqrt(f32(runningVar!.data[ch] + f32(eps)))));
    }
    means[ch] = mean;
    invStds[ch] = invStd;
    const alpha = f32(invStd * (weight === null ? 1 : weight.data[ch]));
    const beta = fmaF32(-mean, alpha, bias === null ? 0 : bias.data[ch]);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < inner; i++) {
        const k = at(b, ch) + i;
        out[k] = fmaF32(xd[k], alpha, beta);
      }
    }
  }
  const y = new Tensor(out, x.shape);
  recordOp([x, weight, bias], y, (gy, needs) => {
    const gx = needs[0] ? new Float64Array(x.size) : null;
    const gw = needs[1] ? new Float64Array(c) : null;
    const gb = needs[2] ? new Float64Array(c) : null;
    for (let ch = 0; ch < c; ch++) {
      let sumG = 0;
      let sumGXhat = 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < inner; i++) {
          const k = at(b, ch) + i;
          sumG += gy[k];
          sumGXhat += gy[k] * (xd[k] - means[ch]) * invStds[ch];
        }
      }
      if (gw !== null) gw[ch] = sumGXhat;
      if (gb !== null) gb[ch] = sumG;
      if (gx === null) continue;
      const g = weight === null ? 1 : weight.data[ch];
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < inner; i++) {
          const k = at(b, ch) + i;
          if (useBatchStats) {
            const xhat = (xd[k] - means[ch]) * invStds[ch];
            gx[k] = g * invStds[ch] * (gy[k] - sumG / count - xhat * sumGXhat / count);
          } else {
            gx[k] = gy[k] * g * invStds[ch];
          }
        }
      }
    }
    return [gx, gw, gb];
  });
  return y;
}
