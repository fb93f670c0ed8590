/**
 * `QuantizedBatchNorm2d` and `QuantizedBNReLU2d` (`nnq.BatchNorm2d`, `nniq.BNReLU2d`):
 * `quantized::batch_norm2d[_relu]` with the float module's γ, β, running statistics and ε and the
 * observed output qparams. State dict: the float BatchNorm2d's entries plus `scale` and
 * `zero_point`, as PyTorch.
 * @module
 */
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import { Tensor } from "../../reference/tensor.ts";
import { BatchNorm2d } from "../modules/batchnorm.ts";
import type { StateDict, StateDictReader } from "../module.ts";
import { checkQTensor, type QTensor } from "./qtensor.ts";
import { loadOutputQParams, saveOutputQParams } from "./state_dict.ts";

/** `nnq.BatchNorm2d`. */
export class QuantizedBatchNorm2d extends BatchNorm2d {
  /** The output scale. */
  scale: number;
  /** The output zero point. */
  zeroPoint: number;
  /** Whether a ReLU is fused (`batch_norm2d_relu`). */
  protected readonly relu: boolean = false;

  /** A quantized batch norm of `numFeatures` channels with output qparams. */
  constructor(
    numFeatures: number,
    options: { eps?: number; scale?: number; zeroPoint?: number } = {},
  ) {
    super(numFeatures, { eps: options.eps });
    this.scale = options.scale ?? 1;
    this.zeroPoint = options.zeroPoint ?? 0;
    checkScale("scale", this.scale);
    checkZeroPoint("zeroPoint", this.zeroPoint, "quint8");
    this.eval();
  }

  /** `quantized::batch_norm2d(x, weight, bias, mean, var, eps, scale, zero_point)`. */
  override forward(x: QTensor): QTensor;
  override forward(x: Tensor): Tensor;
  override forward(x: QTensor | Tensor): QTensor | Tensor {
    if (x instanceof Tensor) {
      throw new TypeError(`${this.getName()}: expected a quantized tensor (QTensor), got a Tensor`);
    }
    checkQTensor("x", x);
    const c = this.numFeatures;
    const vector = (t: Tensor | null, fill: number) => t?.data ?? new Float32Array(c).fill(fill);
    return x.ops.batchNorm2d(x, {
      params: {
        weight: vector(this.weight, 1),
        bias: vector(this.bias, 0),
        mean: vector(this.runningMean, 0),
        var: vector(this.runningVar, 1),
        eps: this.eps,
      },
      relu: this.relu,
      output: this,
    });
  }

  /** Adds `scale` and `zero_point`. */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    saveOutputQParams(destination, prefix, this.scale, this.zeroPoint);
  }

  /** Reads `scale` and `zero_point`. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    loadOutputQParams(reader, prefix, this);
  }
}

/** `nniq.BNReLU2d`: batch norm with a fused ReLU. */
export class QuantizedBNReLU2d extends QuantizedBatchNorm2d {
  protected override readonly relu = true;
}
