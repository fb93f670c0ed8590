/**
 * Training losses with their gradients: `F.cross_entropy` (mean reduction) over logits `[N, C]`
 * (computed in float64), and `F.mse_loss` (bit for bit with PyTorch's CPU kernel).
 * @module
 */
import { torchSumFloat32 } from "../../reference/torch_sum.ts";
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { show } from "../_util.ts";
import { checkTensor, sameShape, showShape } from "./_shape.ts";

/**
 * `F.cross_entropy(logits, target)`: the mean over the batch of `−log softmax(logits)[target]`,
 * computed in float64 (a scalar tensor). Its gradient is `(softmax − onehot) / N`.
 * @throws {RangeError} for logits that are not `[N, C]` or a target outside `[0, C)`.
 */
export function crossEntropy(logits: Tensor, target: ArrayLike<number>): Tensor {
  checkTensor("logits", logits);
  if (logits.shape.length !== 2) {
    throw new RangeError(`logits: expected shape [N, C], got ${showShape(logits.shape)}`);
  }
  const [n, c] = logits.shape;
  if (target.length !== n) {
    throw new RangeError(`target: expected ${n} class indices, got ${target.length}`);
  }
  const probs = new Float64Array(n * c);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const t = target[r];
    if (!Number.isInteger(t) || t < 0 || t >= c) {
      throw new RangeError(`target[${r}]: expected a class index in [0, ${c}), got ${show(t)}`);
    }
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, logits.data[r * c + j]);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(logits.data[r * c + j] - max);
    for (let j = 0; j < c; j++) probs[r * c + j] = Math.exp(logits.data[r * c + j] - max) / sum;
    loss += -(logits.data[r * c + t] - max - Math.log(sum));
  }
  const y = new Tensor(Float32Array.of(loss / n), []);
  recordOp([logits], y, (g) => {
    const gx = new Float64Array(n * c);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < c; j++) {
        gx[r * c + j] = g[0] * (probs[r * c + j] - (j === target[r] ? 1 : 0)) / n;
      }
    }
    return [gx];
  });
  return y;
}

/**
 * `F.mse_loss(input, target, reduction)`: the squares `f32(d·d)` of `d = f32(input − target)`,
 * then their mean ("mean", the default), sum ("sum", PyTorch's summation order) or the squares
 * themselves ("none") — bit for bit with PyTorch 1.13's CPU kernel. Its gradient is
 * `2·d/N` (mean), `2·d` (sum) or `2·d·g` (none), evaluated in float64.
 * @throws {RangeError} for shapes that differ (PyTorch would broadcast with a warning) or an
 * unknown reduction.
 */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: "mean" | "sum" | "none" } = {},
): Tensor {
  checkTensor("input", input);
  checkTensor("target", target);
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `target: expected the shape of input ${showShape(input.shape)}, got ${
        showShape(target.shape)
      }`,
    );
  }
  const reduction = options.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(`reduction: expected "mean", "sum" or "none", got ${show(reduction)}`);
  }
  const d = new Float32Array(input.size);
  for (let i = 0; i < d.length; i++) d[i] = input.data[i] - target.data[i];
  const squares = d.map((v) => v * v);
  const n = input.size;
  const y = reduction === "none" ? new Tensor(squares, input.shape) : new Tensor(
    Float32Array.of(
      reduction === "sum" ? torchSumFloat32(squares) : torchSumFloat32(squares) / Math.fround(n),
    ),
    [],
  );
  recordOp([input, target], y, (g, needs) => {
    const gi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      gi[i] = 2 * d[i] * (reduction === "none" ? g[i] : reduction === "mean" ? g[0] / n : g[0]);
    }
    return [needs[0] ? gi : null, needs[1] ? gi.map((v) => -v) : null];
  });
  return y;
}
