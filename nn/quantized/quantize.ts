/**
 * `Quantize` and `DeQuantize` (torch/ao/nn/quantized/modules/__init__.py): what `convert` puts
 * in place of QuantStub and DeQuantStub. Quantize is where a float NCHW tensor becomes a quint8
 * NHWC `QTensor` on the chosen kernels; DeQuantize turns it back into float NCHW.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import { loadOutputQParams, saveOutputQParams } from "./state_dict.ts";
import type { QuantizedOps } from "./ops.ts";
import type { QTensor } from "./qtensor.ts";
import { checkQTensor } from "./qtensor.ts";

/**
 * `nnq.Quantize(scale, zero_point, torch.quint8)`: `torch.quantize_per_tensor(x, scale,
 * zero_point)` on the kernels of `ops`. State dict: `scale` (F64 `[]`), `zero_point` (I64 `[]`).
 */
export class Quantize extends Module {
  /** The kernels. */
  ops: QuantizedOps;
  /** The scale (a double; PyTorch's `float(scale)`). */
  scale: number;
  /** The zero point. */
  zeroPoint: number;

  /**
   * A quantize step.
   * @throws {RangeError} for a bad scale or a zero point outside quint8.
   */
  constructor(scale: number, zeroPoint: number, ops: QuantizedOps) {
    super();
    checkScale("scale", scale);
    checkZeroPoint("zeroPoint", zeroPoint, "quint8");
    this.scale = scale;
    this.zeroPoint = zeroPoint;
    this.ops = ops;
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts` for quantized ones). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    saveOutputQParams(destination, prefix, this.scale, this.zeroPoint);
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    loadOutputQParams(reader, prefix, this);
  }

  /** Quantizes `x` (NCHW float) to a QTensor. */
  forward(x: Tensor): QTensor {
    return this.ops.quantize(x, { scale: this.scale, zeroPoint: this.zeroPoint });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `scale=tensor([${this.scale}]), zero_point=tensor([${this.zeroPoint}]), ` +
      `dtype=torch.quint8`;
  }
}

/** `nnq.DeQuantize()`: `x.dequantize()`. */
export class DeQuantize extends Module {
  /** The float tensor (NCHW) of `x`. */
  forward(x: QTensor): Tensor {
    checkQTensor("x", x);
    return x.dequantize();
  }
}
