/**
 * Classification loss for training: `F.cross_entropy` (mean reduction) over logits `[N, C]`,
 * with its gradient.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { show } from "../_util.ts";
import { checkTensor, showShape } from "./_shape.ts";

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
