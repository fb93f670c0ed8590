/**
 * `nn.ReLU` and `nn.ReLU6`. Like PyTorch's, ReLU also runs on quantized tensors (convert leaves
 * it in place: `torch.relu` of a quantized tensor keeps its qparams).
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { relu, relu6 } from "../functional/elementwise.ts";
import { Module } from "../module.ts";
import { QTensor } from "../quantized/qtensor.ts";

/** `torch.nn.ReLU()`: float, or quantized (`max(q, zero_point)`) for a QTensor. */
export class ReLU extends Module {
  /** `relu(x)`. */
  forward(x: Tensor): Tensor;
  /** `torch.relu` of a quantized tensor. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    return x instanceof QTensor ? x.ops.relu(x) : relu(x);
  }
}

/** `torch.nn.ReLU6()`: float (convert swaps it for `QuantizedReLU6`). */
export class ReLU6 extends Module {
  /** `relu6(x)`. */
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}
