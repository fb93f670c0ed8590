/**
 * `F.batch_norm` in float32 (statistics and normalisation in float64, one rounding per output:
 * close to PyTorch's CPU kernel, not bit-identical), with its gradient recorded on an active
 * `GradTape` — through the batch statistics when training.
 * @module
 */
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
  for (let ch = 0; ch < c; ch++) {
    let mean: number;
    let variance: number;
    if (useBatchStats) {
      let sum = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) sum += xd[at(b, ch) + i];
      mean = sum / count;
      let sq = 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < inner; i++) sq += (xd[at(b, ch) + i] - mean) ** 2;
      }
      variance = sq / count;
      if (training && runningMean !== null && runningVar !== null) {
        runningMean.data[ch] = momentum * mean + (1 - momentum) * runningMean.data[ch];
        runningVar.data[ch] = momentum * (sq / (count - 1)) + (1 - momentum) * runningVar.data[ch];
      }
    } else {
      mean = runningMean!.data[ch];
      variance = runningVar!.data[ch];
    }
    means[ch] = mean;
    invStds[ch] = 1 / Math.sqrt(variance + eps);
    const g = weight === null ? 1 : weight.data[ch];
    const beta = bias === null ? 0 : bias.data[ch];
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < inner; i++) {
        const k = at(b, ch) + i;
        out[k] = (xd[k] - mean) * invStds[ch] * g + beta;
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
