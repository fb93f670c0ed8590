/**
 * Float activations beside relu/relu6 (`F.leaky_relu`, `F.elu`, `F.hardswish`, `F.hardtanh`,
 * `F.hardsigmoid`): the values are the reference's float32 counterparts of the quantized ops
 * (bit for bit with PyTorch's CPU kernels), the gradients PyTorch's backward formulas, recorded
 * on an active `GradTape`.
 * @module
 */
import { floatElu } from "../../reference/quantized_elu.ts";
import { floatHardsigmoid } from "../../reference/quantized_hardsigmoid.ts";
import { floatHardtanh } from "../../reference/quantized_clamp.ts";
import { floatLeakyRelu } from "../../reference/quantized_leaky_relu.ts";
import { hardswishF32 } from "../../reference/quantized_activation.ts";
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { checkTensor } from "./_shape.ts";

/** Records `y = f(x)` with the pointwise derivative `d(x, y)`. */
function pointwise(x: Tensor, y: Tensor, d: (x: number, y: number) => number): Tensor {
  recordOp([x], y, (g) => [g.map((gi, i) => gi * d(x.data[i], y.data[i]))]);
  return y;
}

/** `F.leaky_relu(x, negative_slope)`. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor("x", x);
  const slope = Math.fround(negativeSlope);
  return pointwise(x, floatLeakyRelu(x, negativeSlope), (v) => (v > 0 ? 1 : slope));
}

/** `F.elu(x, alpha)`. */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor("x", x);
  // elu_backward on the output: x > 0 ? 1 : y + alpha.
  const a = Math.fround(alpha);
  return pointwise(x, floatElu(x, { alpha }), (v, y) => (v > 0 ? 1 : y + a));
}

/** `F.hardswish(x)`: `x·clamp(x + 3, 0, 6)/6`. */
export function hardswish(x: Tensor): Tensor {
  checkTensor("x", x);
  const y = new Tensor(x.data.map(hardswishF32), x.shape);
  // hardswish_backward: 0 below −3, 1 above 3, (2x + 3)/6 between.
  return pointwise(x, y, (v) => (v < -3 ? 0 : v <= 3 ? (2 * v + 3) / 6 : 1));
}

/** `F.hardtanh(x, min_val, max_val)`. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  checkTensor("x", x);
  return pointwise(
    x,
    floatHardtanh(x, { minVal, maxVal }),
    (v) => (v > minVal && v < maxVal ? 1 : 0),
  );
}

/** `F.hardsigmoid(x)`: `clamp(x + 3, 0, 6)/6`. */
export function hardsigmoid(x: Tensor): Tensor {
  checkTensor("x", x);
  return pointwise(x, floatHardsigmoid(x), (v) => (v > -3 && v < 3 ? 1 / 6 : 0));
}
