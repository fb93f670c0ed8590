/**
 * `nn.ReLU`, `nn.ReLU6`, `nn.Sigmoid` and `nn.Tanh`. Like PyTorch's, ReLU also runs on
 * quantized tensors (convert leaves it in place: `torch.relu` of a quantized tensor keeps its
 * qparams); Sigmoid and Tanh are float-only here.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { relu, relu6, sigmoid, tanh } from "../functional/elementwise.ts";
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

/** A float-only activation refuses quantized tensors with a clear error. */
function floatOnly(name: string, x: unknown): void {
  if (x instanceof QTensor) {
    throw new TypeError(
      `${name}: quantized input is not supported here (PyTorch's quantized ${name} has fixed ` +
        `output qparams); dequantize first`,
    );
  }
}

/** `torch.nn.Sigmoid()`: `torch.sigmoid` bit for bit (float tensors). */
export class Sigmoid extends Module {
  /** `sigmoid(x)`. @throws {TypeError} for a quantized tensor. */
  forward(x: Tensor): Tensor {
    floatOnly("Sigmoid", x);
    return sigmoid(x);
  }
}

/** `torch.nn.Tanh()`: `torch.tanh` bit for bit (float tensors). */
export class Tanh extends Module {
  /** `tanh(x)`. @throws {TypeError} for a quantized tensor. */
  forward(x: Tensor): Tensor {
    floatOnly("Tanh", x);
    return tanh(x);
  }
}
