/**
 * The activation modules. Like PyTorch's, ReLU, Sigmoid, Tanh, Hardtanh, Hardsigmoid and
 * LeakyReLU also run on quantized tensors (convert leaves them in place; they run the registered
 * quantized op on the kernel set — Sigmoid, Tanh and Hardsigmoid with PyTorch's fixed output
 * qparams, the others keeping the input's); ReLU6, LeakyReLU, ELU and Hardswish become their
 * quantized modules in `convert`. ELU and Hardswish refuse quantized tensors, as PyTorch's
 * functionals do.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { relu, relu6, sigmoid, tanh } from "../functional/elementwise.ts";
import { elu, hardsigmoid, hardswish, hardtanh, leakyRelu } from "../functional/activation.ts";
import * as q from "../../ops/activations.ts";
import { checkNumber } from "../_util.ts";
import type { QuantizedActivationSpec } from "../quantized/activation.ts";
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

/** A float-only activation refuses quantized tensors with PyTorch's reason. */
function floatOnly(name: string, x: unknown): void {
  if (x instanceof QTensor) {
    throw new TypeError(
      `${name}: PyTorch's functional has no quantized kernel; convert swaps this module for ` +
        `its quantized version (nn.quantized.${name}), or dequantize first`,
    );
  }
}

/** `torch.nn.Sigmoid()`: float, or quantized with output qparams (1/256, 0). */
export class Sigmoid extends Module {
  /** `sigmoid(x)`. */
  forward(x: Tensor): Tensor;
  /** `torch.sigmoid` of a quantized tensor. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    return x instanceof QTensor ? x.ops.unary(q.sigmoid, x, {}) : sigmoid(x);
  }
}

/** `torch.nn.Tanh()`: float, or quantized with output qparams (2/256, 128). */
export class Tanh extends Module {
  /** `tanh(x)`. */
  forward(x: Tensor): Tensor;
  /** `torch.tanh` of a quantized tensor. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    return x instanceof QTensor ? x.ops.unary(q.tanh, x, {}) : tanh(x);
  }
}

/** `torch.nn.LeakyReLU(negative_slope)`: float, or quantized keeping the input's qparams. */
export class LeakyReLU extends Module {
  /** convert: `nnq.LeakyReLU` (its qparams are state). */
  static readonly quantized: QuantizedActivationSpec<{ negativeSlope: number }> = {
    op: q.leakyRelu,
    name: "QuantizedLeakyReLU",
    savesQParams: true,
    params: (m) => ({ negativeSlope: (m as LeakyReLU).negativeSlope }),
    extraRepr: (p) => `negative_slope=${p.negativeSlope}`,
  };
  /** The slope below zero. */
  readonly negativeSlope: number;

  /** @param negativeSlope default 0.01 */
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNumber("negativeSlope", negativeSlope);
  }

  /** `F.leaky_relu(x)`. */
  forward(x: Tensor): Tensor;
  /** `F.leaky_relu` of a quantized tensor (output qparams = input qparams). */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    return x instanceof QTensor
      ? x.ops.unary(q.leakyRelu, x, { negativeSlope: this.negativeSlope }, x)
      : leakyRelu(x, this.negativeSlope);
  }

  /** The arguments PyTorch prints. */
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/** `torch.nn.ELU(alpha)` (float; convert swaps it for `QuantizedELU`). */
export class ELU extends Module {
  /** convert: `nnq.ELU` (its qparams are attributes). */
  static readonly quantized: QuantizedActivationSpec<{ alpha: number }> = {
    op: q.elu,
    name: "QuantizedELU",
    savesQParams: false,
    params: (m) => ({ alpha: (m as ELU).alpha }),
    extraRepr: (p) => `alpha=${p.alpha}`,
  };
  /** ELU's alpha. */
  readonly alpha: number;

  /** @param alpha default 1 */
  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber("alpha", alpha);
  }

  /** `F.elu(x)`. @throws {TypeError} for a quantized tensor (PyTorch has no such kernel). */
  forward(x: Tensor): Tensor {
    floatOnly("ELU", x);
    return elu(x, this.alpha);
  }

  /** The arguments PyTorch prints. */
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** `torch.nn.Hardswish()` (float; convert swaps it for `QuantizedHardswish`). */
export class Hardswish extends Module {
  /** convert: `nnq.Hardswish` (its qparams are attributes). */
  static readonly quantized: QuantizedActivationSpec<Record<never, number>> = {
    op: q.hardswish,
    name: "QuantizedHardswish",
    savesQParams: false,
    params: () => ({}),
    extraRepr: () => "",
  };
  /** `F.hardswish(x)`. @throws {TypeError} for a quantized tensor. */
  forward(x: Tensor): Tensor {
    floatOnly("Hardswish", x);
    return hardswish(x);
  }
}

/** `torch.nn.Hardtanh(min_val, max_val)`: float, or a quantized clamp (qparams kept). */
export class Hardtanh extends Module {
  /** The lower bound. */
  readonly minVal: number;
  /** The upper bound. */
  readonly maxVal: number;

  /** @param minVal default −1 @param maxVal default 1 */
  constructor(minVal = -1, maxVal = 1) {
    super();
    this.minVal = checkNumber("minVal", minVal);
    this.maxVal = checkNumber("maxVal", maxVal);
  }

  /** `F.hardtanh(x)`. */
  forward(x: Tensor): Tensor;
  /** The quantized hardtanh (an integer clamp). */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    return x instanceof QTensor
      ? x.ops.unary(q.hardtanh, x, { minVal: this.minVal, maxVal: this.maxVal })
      : hardtanh(x, this.minVal, this.maxVal);
  }

  /** The arguments PyTorch prints. */
  override extraRepr(): string {
    return `min_val=${this.minVal}, max_val=${this.maxVal}`;
  }
}

/** `torch.nn.Hardsigmoid()`: float, or quantized with output qparams (1/256, 0). */
export class Hardsigmoid extends Module {
  /** `F.hardsigmoid(x)`. */
  forward(x: Tensor): Tensor;
  /** The quantized hardsigmoid. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    return x instanceof QTensor ? x.ops.unary(q.hardsigmoid, x, {}) : hardsigmoid(x);
  }
}

/** The activation modules `convert` swaps for a `QuantizedActivation` (see `static quantized`). */
export const REQUANTIZING_ACTIVATIONS = [LeakyReLU, ELU, Hardswish] as const;
