/**
 * Pooling modules. Like PyTorch's, they also run on quantized tensors (convert leaves them in
 * place; the output keeps the input's qparams).
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { type IntPair, pair } from "../_util.ts";
import {
  adaptiveAvgPool2d,
  avgPool2d,
  type AvgPool2dOptions,
  maxPool2d,
  type MaxPool2dOptions,
} from "../functional/pool.ts";
import { Module } from "../module.ts";
import { QTensor } from "../quantized/qtensor.ts";

const tuple = (p: readonly number[]) => `(${p.join(", ")})`;

/** `torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)`. */
export class MaxPool2d extends Module {
  /** The pooling options. */
  readonly options: Readonly<MaxPool2dOptions>;

  /** A max pooling; `stride` defaults to the kernel size. */
  constructor(kernelSize: IntPair, options: Omit<MaxPool2dOptions, "kernelSize"> = {}) {
    super();
    pair("kernelSize", kernelSize, 1);
    this.options = Object.freeze({ ...options, kernelSize });
  }

  /** `F.max_pool2d`. */
  forward(x: Tensor): Tensor;
  /** Quantized max pooling. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    if (x instanceof QTensor) {
      const { stride, ...rest } = this.options;
      return x.ops.maxPool2d(x, { ...rest, stride: stride ?? undefined });
    }
    return maxPool2d(x, this.options);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${o.kernelSize}, stride=${o.stride ?? o.kernelSize}, padding=${
      o.padding ?? 0
    }, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ? "True" : "False"}`;
  }
}

/**
 * `torch.nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
 * count_include_pad=True, divisor_override=None)`.
 */
export class AvgPool2d extends Module {
  /** The pooling options. */
  readonly options: Readonly<AvgPool2dOptions>;

  /** An average pooling; `stride` defaults to the kernel size. */
  constructor(kernelSize: IntPair, options: Omit<AvgPool2dOptions, "kernelSize"> = {}) {
    super();
    pair("kernelSize", kernelSize, 1);
    this.options = Object.freeze({ ...options, kernelSize });
  }

  /** `F.avg_pool2d`. */
  forward(x: Tensor): Tensor;
  /** Quantized average pooling. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    if (x instanceof QTensor) {
      const { stride, ...rest } = this.options;
      return x.ops.avgPool2d(x, { ...rest, stride: stride ?? undefined });
    }
    return avgPool2d(x, this.options);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${o.kernelSize}, stride=${o.stride ?? o.kernelSize}, padding=${
      o.padding ?? 0
    }`;
  }
}

/** `torch.nn.AdaptiveAvgPool2d(output_size)`. */
export class AdaptiveAvgPool2d extends Module {
  /** The output `[H, W]`. */
  readonly outputSize: [number, number];

  /** An adaptive average pooling to `outputSize`. */
  constructor(outputSize: IntPair) {
    super();
    this.outputSize = pair("outputSize", outputSize, 1);
  }

  /** `F.adaptive_avg_pool2d`. */
  forward(x: Tensor): Tensor;
  /** Quantized adaptive average pooling. */
  forward(x: QTensor): QTensor;
  forward(x: Tensor | QTensor): Tensor | QTensor {
    if (x instanceof QTensor) return x.ops.adaptiveAvgPool2d(x, this.outputSize);
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const [h, w] = this.outputSize;
    return `output_size=${h === w ? h : tuple(this.outputSize)}`;
  }
}
