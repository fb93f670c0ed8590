/**
 * `QuantizedConv2d` and `QuantizedConvReLU2d` (`nnq.Conv2d`, `nniq.ConvReLU2d`): quint8 NHWC in
 * and out on the conv kernel of the chosen path, qint8 OIHW weights. State dict:
 * `nn/quantized/state_dict.ts`.
 * @module
 */
import { type Conv2dGeometry, convWeight } from "../../reference/quantized_conv2d.ts";
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { PackedConvWeight } from "../../kernels/kernel_set.ts";
import type { QuantizedOps } from "./ops.ts";
import type { ActivationQParams, QTensor } from "./qtensor.ts";
import { QuantizedWeightedModule } from "./weighted.ts";

/** `torch.ao.nn.quantized.Conv2d` (zero padding). */
export class QuantizedConv2d extends QuantizedWeightedModule<PackedConvWeight> {
  /** Stride, padding, dilation and groups. */
  readonly geometry: Conv2dGeometry;

  /**
   * A quantized conv from its qint8 weight `[O, I/groups, kH, kW]`, float bias, geometry and
   * output qparams.
   * @throws {TypeError|RangeError} for a bad weight, bias or qparams.
   */
  constructor(
    weight: QuantizedTensor,
    bias: Tensor | null,
    geometry: Conv2dGeometry,
    output: ActivationQParams,
    ops: QuantizedOps,
  ) {
    super(weight, bias, output, ops);
    this.geometry = geometry;
  }

  /** Checks as `convWeight`. */
  protected checkWeightBias(weight: QuantizedTensor, bias: Tensor | null): void {
    convWeight(weight, bias);
  }

  /** Packs for the conv kernel with this module's geometry. */
  protected pack(): PackedConvWeight {
    return this.ops.kernels.packConv2d(convWeight(this.qweight, this.qbias), this.geometry);
  }

  /** `quantized::conv2d(x, packed, scale, zero_point)` (or `conv2d_relu`). */
  forward(x: QTensor): QTensor {
    return this.ops.conv2d(x, this.packed(), this.callParams(x));
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const [o, i, kh, kw] = this.qweight.shape;
    const g = this.geometry;
    return `${i * g.groups}, ${o}, kernel_size=(${kh}, ${kw}), stride=(${g.stride}), ` +
      `scale=${this.scale}, zero_point=${this.zeroPoint}, padding=(${g.padding})` +
      (g.groups !== 1 ? `, groups=${g.groups}` : "");
  }
}

/** `torch.ao.nn.intrinsic.quantized.ConvReLU2d`. */
export class QuantizedConvReLU2d extends QuantizedConv2d {
  /** Whether a ReLU is fused. */
  protected override readonly fusedRelu: boolean = true;
}
