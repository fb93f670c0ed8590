/**
 * `QuantizedLinear` and `QuantizedLinearReLU` (`nnq.Linear`, `nniq.LinearReLU`): quint8 in,
 * quint8 out, qint8 weights, on the static linear kernel of the chosen path. State dict:
 * `nn/quantized/state_dict.ts`.
 * @module
 */
import { linearWeight } from "../../reference/quantized_linear.ts";
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { PackedLinearWeight } from "../../kernels/kernel_set.ts";
import type { QuantizedOps } from "./ops.ts";
import type { ActivationQParams, QTensor } from "./qtensor.ts";
import { QuantizedWeightedModule } from "./weighted.ts";

/** `torch.ao.nn.quantized.Linear`. */
export class QuantizedLinear extends QuantizedWeightedModule<PackedLinearWeight> {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;

  /**
   * A quantized linear layer from its qint8 weight `[out, in]` (per tensor or per channel on
   * axis 0), float bias and output qparams.
   * @throws {TypeError|RangeError} for a bad weight, bias or qparams.
   */
  constructor(
    weight: QuantizedTensor,
    bias: Tensor | null,
    output: ActivationQParams,
    ops: QuantizedOps,
  ) {
    super(weight, bias, output, ops);
    [this.outFeatures, this.inFeatures] = weight.shape;
  }

  /** Checks as `linearWeight`. */
  protected checkWeightBias(weight: QuantizedTensor, bias: Tensor | null): void {
    linearWeight(weight, bias);
  }

  /** Packs for the static linear kernel. */
  protected pack(): PackedLinearWeight {
    return this.ops.kernels.packLinear(linearWeight(this.qweight, this.qbias));
  }

  /** `quantized::linear(x, packed, scale, zero_point)` (or `linear_relu`). */
  forward(x: QTensor): QTensor {
    return this.ops.linear(x, this.packed(), this.callParams(x));
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const qp = this.qweight.qparams;
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, ` +
      `scale=${this.scale}, zero_point=${this.zeroPoint}, qscheme=${
        qp.qscheme === "per_tensor_affine" ? "torch.per_tensor_affine" : "torch.per_channel_affine"
      }`;
  }
}

/** `torch.ao.nn.intrinsic.quantized.LinearReLU`: the output clamped below at its zero point. */
export class QuantizedLinearReLU extends QuantizedLinear {
  /** Whether a ReLU is fused. */
  protected override readonly fusedRelu: boolean = true;
}
