/**
 * `F.dropout` with a seeded random source, its mask recorded for the gradient.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { show } from "../_util.ts";
import { checkTensor } from "./_shape.ts";

const f32 = Math.fround;

/**
 * `F.dropout(x, p, training)`: in training each element is kept with probability `1 − p` and
 * scaled by `f32(1 / f32(1 − p))` (PyTorch's `noise.div_(1 − p)`); `p = 1` gives `x · 0`;
 * identity when not training. The random stream is not PyTorch's, so the masks differ.
 * @param options.random numbers uniform in [0, 1)
 * @throws {RangeError} for `p` outside [0, 1].
 */
export function dropout(
  x: Tensor,
  options: { p: number; training: boolean; random: () => number },
): Tensor {
  checkTensor("x", x);
  const { p, training, random } = options;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`p: dropout probability has to be between 0 and 1, but got ${show(p)}`);
  }
  if (!training || p === 0) return x;
  const scale = p === 1 ? 0 : f32(1 / f32(1 - p));
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = p < 1 && random() < 1 - p ? scale : 0;
  const y = new Tensor(x.data.map((v, i) => v * mask[i]), x.shape);
  recordOp([x], y, (g) => [g.map((gi, i) => gi * mask[i])]);
  return y;
}
