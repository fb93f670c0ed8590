/**
 * What the static quantized conv and linear modules share: a qint8 weight and float bias, the
 * output qparams, the weight packed once for the chosen kernel set, an optional fused ReLU, and
 * the state-dict layout of `nn/quantized/state_dict.ts`.
 * @module
 */
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { StaticLinearParams } from "../../reference/quantized_linear.ts";
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
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
const PACKED = new WeakMap<object, { free(): void }>();

/** A static quantized module with a packed qint8 weight (conv, linear). */
export abstract class QuantizedWeightedModule<P extends { free(): void }> extends Module {
  /** The output scale (a float32 value). */
  scale: number;
  /** The output zero point. */
  zeroPoint: number;
  /** The kernels. */
  ops: QuantizedOps;
  /** Whether a ReLU is fused (the `…ReLU` subclasses). */
  protected readonly fusedRelu: boolean = false;
  /** The qint8 weight. */
  protected qweight!: QuantizedTensor;
  /** The float bias, or null. */
  protected qbias: Tensor | null = null;

  /** @throws {TypeError|RangeError} for a bad weight, bias or qparams. */
  constructor(
    weight: QuantizedTensor,
    bias: Tensor | null,
    output: ActivationQParams,
    ops: QuantizedOps,
  ) {
    super();
    this.setWeightBias(weight, bias);
    checkScale("scale", output.scale);
    checkZeroPoint("zeroPoint", output.zeroPoint, "quint8");
    this.scale = output.scale;
    this.zeroPoint = output.zeroPoint;
    this.ops = ops;
  }

  /** Checks a weight and bias (throws as the reference's weight constructors). */
  protected abstract checkWeightBias(weight: QuantizedTensor, bias: Tensor | null): void;

  /** Packs the current weight for `ops.kernels`. */
  protected abstract pack(): P;

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
   * @throws as the reference's weight constructors for a bad weight or bias.
   */
  setWeightBias(weight: QuantizedTensor, bias: Tensor | null): void {
    this.checkWeightBias(weight, bias);
    this.qweight = weight;
    this.qbias = bias;
    PACKED.get(this)?.free();
    PACKED.delete(this);
  }

  /** The weight packed for `ops.kernels` (packed once, on first use). */
  packed(): P {
    let p = PACKED.get(this) as P | undefined;
    if (p === undefined) {
      p = this.pack();
      PACKED.set(this, p);
    }
    return p;
  }

  /** The kernel parameters of a call on `x`: its qparams in, this module's out. */
  protected callParams(x: QTensor): StaticLinearParams {
    return {
      inputScale: x.scale,
      inputZeroPoint: x.zeroPoint,
      outputScale: this.scale,
      outputZeroPoint: this.zeroPoint,
      relu: this.fusedRelu,
    };
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
}
