/**
 * `QuantizedConv2d` and `QuantizedConvReLU2d` (`nnq.Conv2d`, `nniq.ConvReLU2d`): quint8 NHWC in
 * and out on the conv kernel of the chosen path, qint8 OIHW weights. State dict:
 * `nn/quantized/state_dict.ts`.
 * @module
 */
import { type Conv2dGeometry, convWeight } from "../../reference/quantized_conv2d.ts";
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import type { PackedConvWeight } from "../../kernels/kernel_set.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import type { QuantizedOps } from "./ops.ts";
import type { ActivationQParams, QTensor } from "./qtensor.ts";
import {
  readOutputQParams,
  readQuantizedWeight,
  saveOutputQParams,
  saveQuantizedWeight,
} from "./state_dict.ts";

const PACKED = new WeakMap<object, PackedConvWeight>();

/** `torch.ao.nn.quantized.Conv2d` (zero padding). */
export class QuantizedConv2d extends Module {
  /** Stride, padding, dilation and groups. */
  readonly geometry: Conv2dGeometry;
  /** The output scale (a float32 value). */
  scale: number;
  /** The output zero point. */
  zeroPoint: number;
  /** The kernels. */
  ops: QuantizedOps;
  /** Whether a ReLU is fused (`QuantizedConvReLU2d`). */
  protected readonly fusedRelu: boolean = false;
  private qweight!: QuantizedTensor;
  private qbias: Tensor | null = null;

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
    super();
    this.geometry = geometry;
    this.setWeightBias(weight, bias);
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

  /** Replaces the weight and bias; the old packed weight is freed. */
  setWeightBias(weight: QuantizedTensor, bias: Tensor | null): void {
    convWeight(weight, bias);
    this.qweight = weight;
    this.qbias = bias;
    PACKED.get(this)?.free();
    PACKED.delete(this);
  }

  /** The weight packed for `ops.kernels` (once, on first use). */
  packed(): PackedConvWeight {
    let p = PACKED.get(this);
    if (p === undefined) {
      p = this.ops.kernels.packConv2d(convWeight(this.qweight, this.qbias), this.geometry);
      PACKED.set(this, p);
    }
    return p;
  }

  /** `quantized::conv2d(x, packed, scale, zero_point)` (or `conv2d_relu`). */
  forward(x: QTensor): QTensor {
    return this.ops.conv2d(x, this.packed(), {
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
