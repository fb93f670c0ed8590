/**
 * `DynamicQuantizedLinear` (`nnqd.Linear`) and `DynamicQuantizedLinearReLU` (`nniqd.LinearReLU`):
 * float in, float out; the activations are quantized per call.
 *
 * - qint8 weights: `quantized::linear_dynamic(x, packed, reduce_range=True)` on the dynamic
 *   linear kernel of the chosen path (bit-exact with the reference of its engine; QNNPACK
 *   ignores reduce_range).
 * - float16 weights (`quantized::linear_dynamic_fp16`, FBGEMM only in PyTorch): the weights are
 *   clamped to ±65504 and rounded to float16 once (as FBGEMM's fp16 packing), activations stay
 *   float32, and the product is accumulated in float64 and rounded once, plus the bias.
 *   FBGEMM's fp16 GEMM accumulates in float32 with FMAs in its own order, so these outputs are
 *   close to PyTorch's but not bit-exact; the rounded weights are exact.
 * @module
 */
import { linearWeight } from "../../reference/quantized_linear.ts";
import { type QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { PackedLinearWeight } from "../../kernels/kernel_set.ts";
import type { QuantizedOps } from "./ops.ts";
import { show } from "../_util.ts";
import { checkTensor, showShape } from "../functional/_shape.ts";
import { float16Bits, float16Value, roundArrayToFloat16 } from "../float16.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import { readOutputQParams, readQuantizedWeight, saveQuantizedWeight } from "./state_dict.ts";

const PACKED = new WeakMap<object, PackedLinearWeight>();
const FLOAT16_MAX = 65504;

/** The weight of a dynamic linear: qint8 codes, or float16 values (held as float32). */
export type DynamicWeight =
  | { dtype: "qint8"; weight: QuantizedTensor }
  | { dtype: "float16"; weight: Tensor };

/** `torch.ao.nn.quantized.dynamic.Linear`. */
export class DynamicQuantizedLinear extends Module {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** The kernels (for qint8 weights). */
  ops: QuantizedOps;
  /** Whether a ReLU is fused. */
  protected readonly fusedRelu: boolean = false;
  private qweight!: DynamicWeight;
  private qbias: Tensor | null = null;

  /**
   * A dynamic linear layer. A float16 weight is rounded to float16 here.
   * @throws {TypeError|RangeError} for a bad weight or bias.
   */
  constructor(weight: DynamicWeight, bias: Tensor | null, ops: QuantizedOps) {
    super();
    this.setWeightBias(weight, bias);
    [this.outFeatures, this.inFeatures] = weight.weight.shape;
    this.ops = ops;
  }

  /** The dtype of the weights. */
  get dtype(): "qint8" | "float16" {
    return this.qweight.dtype;
  }

  /** The weight. */
  weight(): DynamicWeight {
    return this.qweight;
  }

  /** The bias, or null. */
  bias(): Tensor | null {
    return this.qbias;
  }

  /** Replaces the weight and bias (float16 weights are clamped and rounded to float16). */
  setWeightBias(weight: DynamicWeight, bias: Tensor | null): void {
    if (weight.dtype === "qint8") {
      linearWeight(weight.weight, bias);
      this.qweight = weight;
    } else if (weight.dtype === "float16") {
      checkTensor("weight", weight.weight);
      if (weight.weight.shape.length !== 2) {
        throw new RangeError(`weight: expected [out, in], got ${showShape(weight.weight.shape)}`);
      }
      const clamped = weight.weight.data.map((v) =>
        Math.min(Math.max(v, -FLOAT16_MAX), FLOAT16_MAX)
      );
      this.qweight = {
        dtype: "float16",
        weight: new Tensor(roundArrayToFloat16(clamped), weight.weight.shape),
      };
    } else {
      throw new TypeError(`weight: dtype must be "qint8" or "float16", got ${show(weight)}`);
    }
    if (bias !== null && bias.size !== weight.weight.shape[0]) {
      throw new RangeError(`bias: expected ${weight.weight.shape[0]} values, got ${bias.size}`);
    }
    this.qbias = bias;
    PACKED.get(this)?.free();
    PACKED.delete(this);
  }

  /** The float output `[…, out]` of a float input `[…, in]`. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    const k = this.inFeatures;
    if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== k) {
      throw new RangeError(`x: the last dimension of ${showShape(x.shape)} must be ${k}`);
    }
    const m = x.size / k;
    const shape = [...x.shape.slice(0, -1), this.outFeatures];
    if (this.qweight.dtype === "float16") return new Tensor(this.fp16Linear(x.data, m), shape);
    let packed = PACKED.get(this);
    if (packed === undefined) {
      packed = this.ops.kernels.packLinear(linearWeight(this.qweight.weight, this.qbias));
      PACKED.set(this, packed);
    }
    const y = this.ops.kernels.linearDynamic(x.data, m, packed, {
      reduceRange: true,
      relu: this.fusedRelu,
    });
    return new Tensor(y, shape);
  }

  /** The float16-weight linear: float64 accumulation, one rounding, the bias, ReLU. */
  private fp16Linear(x: Float32Array, m: number): Float32Array {
    const { inFeatures: k, outFeatures: n } = this;
    const w = (this.qweight.weight as Tensor).data;
    const out = new Float32Array(m * n);
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < k; i++) acc += x[r * k + i] * w[j * k + i];
        let y = Math.fround(acc);
        if (this.qbias !== null) y = Math.fround(y + this.qbias.data[j]);
        out[r * n + j] = this.fusedRelu && y < 0 ? 0 : y;
      }
    }
    return out;
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts` for quantized ones). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    if (this.qweight.dtype === "qint8") {
      saveQuantizedWeight(destination, prefix, this.qweight.weight, this.qbias);
      return;
    }
    const w = this.qweight.weight;
    destination.set(prefix + "weight", {
      dtype: "F16",
      shape: w.shape,
      data: Uint16Array.from(w.data, float16Bits),
    });
    if (this.qbias !== null) {
      destination.set(prefix + "bias", {
        dtype: "F32",
        shape: this.qbias.shape,
        data: this.qbias.data,
      });
    }
  }

  /**
   * Reads this module's entries, checking dtypes and shapes. PyTorch's `nnqd.Linear` also saves
   * the output qparams it inherits from `nnq.Linear` and never uses (`scale` 1.0, `zero_point`
   * 0): they are accepted when present and ignored.
   */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    if (reader.has(prefix + "scale") || reader.has(prefix + "zero_point")) {
      readOutputQParams(reader, prefix);
    }
    const shape = this.qweight.weight.shape;
    if (this.qweight.dtype === "qint8") {
      const w = readQuantizedWeight(reader, prefix, shape, this.qbias !== null);
      if (w !== undefined) {
        reader.defer(() => this.setWeightBias({ dtype: "qint8", weight: w.weight }, w.bias));
      }
      return;
    }
    const w = reader.expect(prefix + "weight", { dtype: "F16", shape, data: new Uint16Array(0) });
    const b = this.qbias === null ? null : reader.expect(prefix + "bias", this.qbias);
    if (w === undefined || b === undefined) return;
    const weight = new Tensor(Float32Array.from(w.data as Uint16Array, float16Value), shape);
    const bias = b === null ? null : new Tensor(Float32Array.from(b.data as Float32Array));
    reader.defer(() => this.setWeightBias({ dtype: "float16", weight }, bias));
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, dtype=torch.${this.dtype}`;
  }
}

/** `torch.ao.nn.intrinsic.quantized.dynamic.LinearReLU`: ReLU on the float output. */
export class DynamicQuantizedLinearReLU extends DynamicQuantizedLinear {
  /** Whether a ReLU is fused. */
  protected override readonly fusedRelu: boolean = true;
}
