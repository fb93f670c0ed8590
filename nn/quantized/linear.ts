/**
 * `QuantizedLinear` and `QuantizedLinearReLU` (`nnq.Linear`, `nniq.LinearReLU`): quint8 in,
 * quint8 out, qint8 weights, on the static linear kernel of the chosen path. State dict:
 * `nn/quantized/state_dict.ts`.
 * @module
 */
import { linearWeight } from "../../reference/quantized_linear.ts";
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import type { PackedLinearWeight } from "../../kernels/kernel_set.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import type { QuantizedOps } from "./ops.ts";
import type { ActivationQParams, QTensor } from "./qtensor.ts";
import {
  readOutputQParams,
  readQuantizedWeight,
  saveOutputQParams,
  saveQuantizedWeight,
} from "./state_dict.ts";

/** Packed weights live outside the module, so that copies pack their own. */
const PACKED = new WeakMap<object, PackedLinearWeight>();

/** `torch.ao.nn.quantized.Linear`. */
export class QuantizedLinear extends Module {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** The output scale (a float32 value). */
  scale: number;
  /** The output zero point. */
  zeroPoint: number;
  /** The kernels. */
  ops: QuantizedOps;
  /** Whether a ReLU is fused (`QuantizedLinearReLU`). */
  protected readonly fusedRelu: boolean = false;
  private qweight!: QuantizedTensor;
  private qbias: Tensor | null = null;

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
    super();
    this.setWeightBias(weight, bias);
    [this.outFeatures, this.inFeatures] = weight.shape;
    checkScale("scale", output.scale);
    checkZeroPoint("zeroPoint", output.zeroPoint, "quint8");
    this.scale = output.scale;
    this.zeroPoint = output.zeroPoint;
    this.ops = ops;
  }

  /** The qint8 weight. */
  weight(): QuantizedTensor {
    return this.qweight;
  }

  /** The float bias, or null. */
  bias(): Tensor | null {
    return this.qbias;
  }

  /**
   * Replaces the weight and bias (`set_weight_bias`); the old packed weight is freed.
   * @throws as `linearWeight` for a bad weight or bias.
   */
  setWeightBias(weight: QuantizedTensor, bias: Tensor | null): void {
    linearWeight(weight, bias);
    this.qweight = weight;
    this.qbias = bias;
    PACKED.get(this)?.free();
    PACKED.delete(this);
  }

  /** The weight packed for `ops.kernels` (packed once, on first use). */
  packed(): PackedLinearWeight {
    let p = PACKED.get(this);
    if (p === undefined) {
      p = this.ops.kernels.packLinear(linearWeight(this.qweight, this.qbias));
      PACKED.set(this, p);
    }
    return p;
  }

  /** `quantized::linear(x, packed, scale, zero_point)` (or `linear_relu`). */
  forward(x: QTensor): QTensor {
    return this.ops.linear(x, this.packed(), {
      inputScale: x.scale,
      inputZeroPoint: x.zeroPoint,
      outputScale: this.scale,
      outputZeroPoint: this.zeroPoint,
      relu: this.fusedRelu,
    });
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts` for quantized ones). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    saveQuantizedWeight(destination, prefix, this.qweight, this.qbias);
    saveOutputQParams(destination, prefix, this.scale, this.zeroPoint);
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const w = readQuantizedWeight(reader, prefix, this.qweight.shape, this.qbias !== null);
    const out = readOutputQParams(reader, prefix);
    if (w === undefined || out === undefined) return;
    reader.defer(() => {
      this.setWeightBias(w.weight, w.bias);
      this.scale = out.scale;
      this.zeroPoint = out.zeroPoint;
    });
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
