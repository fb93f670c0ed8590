/**
 * What convert does to weighted modules before lowering (fx/convert.py
 * `convert_weighted_module`): a QAT module becomes its float module (`to_float`: BatchNorm
 * folded with `fuse_conv_bn_weights` / `fuse_linear_bn_weights`), the weight observer (a fresh
 * one from the qconfig, or the QAT module's `weight_fake_quant`) runs over the float weight, and
 * the float conv/linear is replaced by a reference quantized module (`nnqr.Linear`,
 * `nnqr.Conv2d`): the float module plus its weight qparams. Lowering turns reference modules
 * into the quantized modules (`QuantizedLinear`, `QuantizedConvReLU2d`, dynamic linear).
 * @module
 */
import type { QuantizedDType } from "../../reference/dtype.ts";
import { fuseConvBnWeights, fuseLinearBnWeights } from "../../reference/fusion.ts";
import type { Observer, QuantizingObserver } from "../../reference/observers/observer.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { linear } from "../functional/linear.ts";
import { Module, type StateDict } from "../module.ts";
import type { StateDictReader } from "../state_dict.ts";
import { ReLU } from "../modules/activation.ts";
import { Conv2d } from "../modules/conv.ts";
import { ConvReLU2d, LinearReLU } from "../modules/fused.ts";
import { Linear } from "../modules/linear.ts";
import { GRUCell, LSTM, LSTMCell, RNNCell } from "../modules/rnn.ts";
import {
  type ActivationPostProcess,
  FakeQuantizeModule,
  ObserverModule,
} from "../observer_module.ts";
import { QatConv2d, QatConvBn2d, QatConvBnReLU2d, QatConvReLU2d } from "../qat/conv.ts";
import { QatLinear, QatLinearBn1d, QatLinearReLU } from "../qat/linear.ts";
import { FakeQuantize } from "../../reference/fake_quantize_module.ts";

/** A weight's qparams (`get_qparam_dict`): per tensor, or per channel along `axis`. */
export interface WeightQParams {
  /** `per_tensor_affine` or `per_channel_affine` (symmetric schemes become affine). */
  readonly qscheme: "per_tensor_affine" | "per_channel_affine";
  /** The weight dtype. */
  readonly dtype: QuantizedDType;
  /** The float32 scale(s). */
  readonly scale: Float32Array;
  /** The zero point(s). */
  readonly zeroPoint: Int32Array;
  /** The channel axis (per channel). */
  readonly axis: number;
}

/** `get_qparam_dict(observer)` after the observer has seen the weight. */
export function weightQParams(app: ActivationPostProcess): WeightQParams {
  const o: Observer = app instanceof FakeQuantizeModule
    ? app.fakeQuant
    : (app as ObserverModule).observer;
  const inner = (o instanceof FakeQuantize ? o.activationPostProcess : o) as QuantizingObserver & {
    chAxis?: number;
  };
  const { scale, zeroPoint } = o.calculateQParams();
  const perChannel = inner.qscheme.startsWith("per_channel");
  return {
    qscheme: perChannel ? "per_channel_affine" : "per_tensor_affine",
    dtype: o.dtype as QuantizedDType,
    scale: Float32Array.from(scale),
    zeroPoint: Int32Array.from(zeroPoint as Int32Array),
    axis: perChannel ? (inner.chAxis ?? 0) : 0,
  };
}

/**
 * A reference quantized linear or conv (`torch.ao.nn.quantized.reference.Linear` / `Conv2d`):
 * the float module and its weight qparams; `quantizedWeight` is PyTorch's
 * `get_quantized_weight` (no clamping to the observer's range).
 */
export class ReferenceQuantizedModule extends Module {
  readonly #float: Linear | Conv2d;
  #qparams: WeightQParams;

  /**
   * Wraps `float` with `weightQParams`. The float module is not a child: the reference module
   * owns its `weight` and `bias` (the same tensors) and saves PyTorch's entries — `weight`,
   * `bias`, `weight_scale`, `weight_zero_point`, and `weight_axis` when per channel.
   */
  constructor(float: Linear | Conv2d, qparams: WeightQParams) {
    super();
    this.#float = float;
    this.#qparams = qparams;
    this.registerParameter("weight", float.weight);
    this.registerParameter("bias", float.bias);
  }

  /** The float linear or conv (its weight and bias are this module's). */
  get float(): Linear | Conv2d {
    return this.#float;
  }

  /** The weight qparams. */
  get weightQParams(): WeightQParams {
    return this.#qparams;
  }

  /** PyTorch's entries: the float weight and bias, then the weight qparams. */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    const q = this.#qparams;
    const shape = q.qscheme === "per_tensor_affine" ? [] : [q.scale.length];
    destination.set(`${prefix}weight_scale`, { dtype: "F32", shape, data: q.scale });
    destination.set(`${prefix}weight_zero_point`, {
      dtype: "I64",
      shape,
      data: BigInt64Array.from(q.zeroPoint, (z) => BigInt(z)),
    });
    if (q.qscheme === "per_channel_affine") {
      destination.set(`${prefix}weight_axis`, {
        dtype: "I32",
        shape: [],
        data: Int32Array.of(q.axis),
      });
    }
  }

  /** Reads the entries `saveToStateDict` writes (checked for dtype and shape). */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const q = this.#qparams;
    const shape = q.qscheme === "per_tensor_affine" ? [] : [q.scale.length];
    const n = q.scale.length;
    const scale = reader.expect(`${prefix}weight_scale`, { dtype: "F32", shape, data: q.scale });
    const zp = reader.expect(`${prefix}weight_zero_point`, {
      dtype: "I64",
      shape,
      data: new BigInt64Array(n),
    });
    const axis = q.qscheme === "per_channel_affine"
      ? reader.expect(`${prefix}weight_axis`, { dtype: "I32", shape: [], data: new Int32Array(1) })
      : undefined;
    if (scale === undefined || zp === undefined) return;
    reader.defer(() => {
      this.#qparams = {
        ...q,
        scale: Float32Array.from(scale.data as Float32Array),
        zeroPoint: Int32Array.from(zp.data as BigInt64Array, (z) => Number(z)),
        axis: axis === undefined ? q.axis : Number(axis.data[0]),
      };
    });
  }

  /** The quantized weight (`_quantize_weight`). */
  quantizedWeight(): QuantizedTensor {
    const q = this.weightQParams;
    if (q.qscheme === "per_tensor_affine") {
      return quantizePerTensor(this.float.weight, {
        scale: q.scale[0],
        zeroPoint: q.zeroPoint[0],
        dtype: q.dtype as "qint8",
      });
    }
    return quantizePerChannel(this.float.weight, {
      scales: Float64Array.from(q.scale),
      zeroPoints: q.zeroPoint,
      axis: q.axis,
      dtype: q.dtype as "qint8",
    });
  }

  /**
   * The reference module's float forward (PyTorch's `nnqr.Linear` / `nnqr.Conv2d`): the op with
   * the quantized-then-dequantized weight. Lowering replaces reference modules whose input and
   * output are quantized; the others (a float input, e.g. after an op PyTorch leaves float) run
   * this.
   */
  forward(x: Tensor): Tensor {
    const w = dequantize(this.quantizedWeight());
    const f = this.float;
    if (f instanceof Linear) return linear(x, w, f.bias);
    return f.convForward(x, w, f.bias);
  }

  /** PyTorch's class name. */
  override getName(): string {
    return this.float instanceof Linear ? "Linear" : "Conv2d";
  }
}

/** A float recurrent module convert may lower to a dynamic quantized one. */
export type FloatRnn = LSTM | LSTMCell | GRUCell | RNNCell;

/** Whether `m` is a recurrent module with a reference quantized version in PyTorch 1.13's FX. */
export function isFloatRnn(m: unknown): m is FloatRnn {
  return m instanceof LSTM || m instanceof LSTMCell || m instanceof GRUCell ||
    m instanceof RNNCell;
}

/**
 * A reference quantized recurrent module (`nnqr.LSTM`, `nnqr.LSTMCell`, `nnqr.GRUCell`,
 * `nnqr.RNNCell`): the float module with its qconfig, whose weights the dynamic lowering
 * quantizes (`from_reference`, the same per-weight observers as `from_float`). It owns the
 * float module's parameters under their names. PyTorch runs an unlowered one in float with
 * quantized-then-dequantized weights; that forward is not reproduced here.
 */
export class ReferenceRnnModule extends Module {
  readonly #float: FloatRnn;

  /** Wraps `float` (which carries its qconfig). */
  constructor(float: FloatRnn) {
    super();
    this.#float = float;
    for (const [name, p] of float.namedParameters()) this.registerParameter(name, p);
  }

  /** The float module. */
  get float(): FloatRnn {
    return this.#float;
  }

  /** Not reproduced: PyTorch's float forward with quantized-then-dequantized weights. */
  forward(): never {
    throw new Error(
      `reference quantized ${this.#float.getName()}: the forward of an RNN reference module ` +
        `that was not lowered (float weights quantized then dequantized) is not reproduced`,
    );
  }

  /** PyTorch's class name. */
  override getName(): string {
    return this.#float.getName();
  }
}

/** The PyTorch name of a reference recurrent module. */
export function referenceRnnTypeName(m: ReferenceRnnModule): string {
  return `torch.ao.nn.quantized.reference.modules.rnn.${m.float.getName()}`;
}

/** The PyTorch name of a reference module. */
export function referenceTypeName(m: ReferenceQuantizedModule): string {
  return m.float instanceof Linear
    ? "torch.ao.nn.quantized.reference.modules.linear.Linear"
    : "torch.ao.nn.quantized.reference.modules.conv.Conv2d";
}

function copyConv(m: Conv2d): Conv2d {
  const conv = new Conv2d(m.inChannels, m.outChannels, m.kernelSize, {
    stride: m.stride,
    padding: m.padding,
    dilation: m.dilation,
    groups: m.groups,
    bias: m.bias !== null,
  });
  conv.registerParameter("weight", m.weight);
  conv.registerParameter("bias", m.bias);
  conv.training = m.training;
  return conv;
}

function copyLinear(m: Linear, bias = m.bias !== null): Linear {
  const linear = new Linear(m.inFeatures, m.outFeatures, { bias });
  linear.registerParameter("weight", m.weight);
  linear.registerParameter("bias", m.bias);
  linear.training = m.training;
  return linear;
}

/**
 * `to_float()` of a QAT module: the float module (fused with a ReLU where the QAT module had
 * one), BatchNorm folded in with its running statistics.
 */
export function qatToFloat(m: Module): Module {
  if (m instanceof QatConvBn2d) {
    const conv = copyConv(m);
    const { bn } = m;
    const fused = fuseConvBnWeights(m.weight, m.bias, {
      bnRm: bn.runningMean!,
      bnRv: bn.runningVar!,
      bnEps: bn.eps,
      bnW: bn.weight,
      bnB: bn.bias,
    });
    conv.registerParameter("weight", fused.weight);
    conv.registerParameter("bias", fused.bias);
    if (m instanceof QatConvBnReLU2d) {
      const f = new ConvReLU2d(conv, new ReLU());
      f.train(m.training);
      return f;
    }
    return conv;
  }
  if (m instanceof QatConv2d) {
    const conv = copyConv(m);
    if (m instanceof QatConvReLU2d) {
      const f = new ConvReLU2d(conv, new ReLU());
      f.train(m.training);
      return f;
    }
    return conv;
  }
  if (m instanceof QatLinearBn1d) {
    const linear = copyLinear(m, true);
    const { bn } = m;
    const fused = fuseLinearBnWeights(m.weight, m.bias, {
      bnRm: bn.runningMean!,
      bnRv: bn.runningVar!,
      bnEps: bn.eps,
      bnW: bn.weight!,
      bnB: bn.bias!,
    });
    linear.registerParameter("weight", fused.weight);
    linear.registerParameter("bias", fused.bias);
    return linear;
  }
  if (m instanceof QatLinear) {
    const linear = copyLinear(m);
    if (m instanceof QatLinearReLU) return new LinearReLU(linear, new ReLU());
    return linear;
  }
  throw new TypeError(`to_float: ${m.getName()} is not a QAT module`);
}

/** The QAT module's `weight_fake_quant`. */
export function weightFakeQuant(m: Module): ActivationPostProcess {
  return (m as QatConv2d | QatLinear).weight_fake_quant;
}
