/**
 * The `from_float` conversions of convert (torch/ao/nn/quantized/modules/*.py): each builds the
 * quantized module from an observed float (or QAT) module — output qparams from its
 * `activation_post_process`, the weight quantized with a fresh weight observer from its qconfig
 * (or, after QAT, its `weight_fake_quant`), run once over the weight as PyTorch does.
 * @module
 */
import { fuseConvBnWeights, fuseLinearBnWeights } from "../../reference/fusion.ts";
import type { Observer } from "../../reference/observers/observer.ts";
import { checkObservedQParams, isDefaultQParams } from "../../reference/observers/uniform.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { show, typeName } from "../_util.ts";
import type { Module } from "../module.ts";
import { Conv2d } from "../modules/conv.ts";
import { Dropout } from "../modules/container.ts";
import { BNReLU2d, ConvReLU2d, LinearReLU } from "../modules/fused.ts";
import { Linear } from "../modules/linear.ts";
import {
  type ActivationPostProcess,
  FakeQuantizeModule,
  isActivationPostProcess,
  ObserverModule,
  wrapObserver,
} from "../observer_module.ts";
import { QatConv2d, QatConvBn2d } from "../qat/conv.ts";
import { QatLinear, QatLinearBn1d } from "../qat/linear.ts";
import {
  QuantizedActivation,
  type QuantizedActivationSpec,
  QuantizedDropout,
  QuantizedReLU6,
} from "../quantized/activation.ts";
import { QuantizedBatchNorm2d, QuantizedBNReLU2d } from "../quantized/batchnorm.ts";
import type { BatchNorm2d } from "../modules/batchnorm.ts";
import { QuantizedConv2d, QuantizedConvReLU2d } from "../quantized/conv.ts";
import { DynamicQuantizedLinear, DynamicQuantizedLinearReLU } from "../quantized/dynamic_linear.ts";
import { QFunctional } from "../quantized/functional_modules.ts";
import { QuantizedLinear, QuantizedLinearReLU } from "../quantized/linear.ts";
import {
  DynamicQuantizedGRU,
  DynamicQuantizedGRUCell,
  DynamicQuantizedLSTM,
  DynamicQuantizedLSTMCell,
  DynamicQuantizedRNNCell,
  type QuantizedCellWeights,
} from "../quantized/dynamic_rnn.ts";
import { QuantizedEmbedding, QuantizedEmbeddingBag } from "../quantized/embedding.ts";
import { Embedding, EmbeddingBag } from "../modules/embedding.ts";
import {
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  type RnnBase,
  RNNCell,
  type RnnCellBase,
} from "../modules/rnn.ts";
import { quantizeEmbeddingWeight } from "../../reference/quantized_embedding.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import type { ActivationQParams } from "../quantized/qtensor.ts";
import { DeQuantize, Quantize } from "../quantized/quantize.ts";
import { quantizeWeight } from "../quantized/weights.ts";

/**
 * What convert does with an observer that has seen no data (PyTorch warns "must run observer
 * before calling calculate_qparams" and uses scale 1, zero point 0): `warn` once per observer
 * (the default, as PyTorch), `error` (throw), or `ignore` (e.g. a model converted only to load a
 * quantized state dict into).
 */
export type UncalibratedPolicy = "warn" | "error" | "ignore";

/** What a conversion needs besides the module: the kernels of the converted model. */
export interface ConvertContext {
  /** The quantized ops (kernel set) the converted modules run on (not needed by QAT swaps). */
  ops?: QuantizedOps;
  /** The module's dotted name in the model (`features.0`), for messages. */
  path?: string;
  /** What to do with an observer that has seen no data (default `warn`). */
  uncalibrated?: UncalibratedPolicy;
  /** The observers warned about so far in this conversion (each is warned about once). */
  warned?: Set<object>;
}

function opsOf(context: ConvertContext): QuantizedOps {
  if (context.ops === undefined) throw new Error("convert: no kernels given for quantized modules");
  return context.ops;
}

/** Builds the replacement of one module. */
export type Converter = (mod: Module, context: ConvertContext) => Module;

/** The reference observer or fake quant inside a wrapper. */
function reference(m: ActivationPostProcess): Observer {
  return m instanceof FakeQuantizeModule ? m.fakeQuant : (m as ObserverModule).observer;
}

/** The module's `activation_post_process`. @throws {Error} when it has none. */
function activationPostProcess(mod: Module): ActivationPostProcess {
  const found = mod.namedChildren().find(([n]) => n === "activation_post_process")?.[1];
  if (!isActivationPostProcess(found)) {
    throw new Error(
      `${mod.getName()} has no observer (activation_post_process): run prepare() (or ` +
        `prepareQat()) and calibrate before convert()`,
    );
  }
  return found;
}

/** How messages name a module: its dotted name in the model and its class. */
function moduleName(mod: Module, context: ConvertContext): string {
  return context.path ? `${context.path} (${mod.getName()})` : mod.getName();
}

/** Warns about (or refuses) an observer that has seen no data, as `context.uncalibrated` says. */
function uncalibrated(mod: Module, observer: Observer, context: ConvertContext): void {
  const policy = context.uncalibrated ?? "warn";
  if (policy === "ignore" || context.warned?.has(observer)) return;
  const message = `convert: ${moduleName(mod, context)}: its observer (${observer.className}) ` +
    `has seen no data, so it gets scale 1 and zero point 0 (PyTorch warns: "must run observer ` +
    `before calling calculate_qparams"); run the prepared model on calibration data before ` +
    `convert()`;
  if (policy === "error") throw new Error(message);
  context.warned?.add(observer);
  console.warn(
    `Warning: ${message} (convert(model, { uncalibrated: "error" }) makes this an error)`,
  );
}

/** The output qparams from an observer; only quint8 activations are supported. */
function outputQParams(mod: Module, context: ConvertContext): ActivationQParams {
  const obs = activationPostProcess(mod);
  if (obs.dtype !== "quint8") {
    throw new TypeError(
      `${mod.getName()}: activations must be observed as quint8 (the kernels' activation ` +
        `dtype), got ${show(obs.dtype)}`,
    );
  }
  const qparams = obs.calculateQParams();
  if (isDefaultQParams(qparams)) uncalibrated(mod, reference(obs), context);
  checkObservedQParams(`convert: ${moduleName(mod, context)}`, reference(obs), qparams);
  return { scale: qparams.scale[0], zeroPoint: qparams.zeroPoint[0] };
}

/** Runs the weight observer over the weight (outside any gradient tape) and quantizes. */
function observeAndQuantize(weight: Tensor, observer: ActivationPostProcess, owner: string) {
  observer.forward(weight);
  if (observer.dtype !== "qint8") {
    throw new TypeError(`weight observer: dtype must be qint8, got ${show(observer.dtype)}`);
  }
  return quantizeWeight(weight, reference(observer), owner);
}

/** The weight observer of a float module: a fresh one from `mod.qconfig.weight`. */
function freshWeightObserver(mod: Module): ActivationPostProcess {
  if (mod.qconfig === undefined || mod.qconfig === null) {
    throw new Error(`${mod.getName()} has no qconfig to build its weight observer from`);
  }
  return wrapObserver(mod.qconfig.weight.create());
}

/** `nnq.Quantize.from_float`: the QuantStub's observed qparams. */
export function quantizeFromFloat(mod: Module, context: ConvertContext): Module {
  const { scale, zeroPoint } = outputQParams(mod, context);
  return new Quantize(scale, zeroPoint, opsOf(context));
}

/** `nnq.DeQuantize.from_float`. */
export function dequantizeFromFloat(): Module {
  return new DeQuantize();
}

/** `nnq.Dropout.from_float`. */
export function dropoutFromFloat(mod: Module): Module {
  return new QuantizedDropout((mod as Dropout).p);
}

/** `nnq.ReLU6.from_float`. */
export function relu6FromFloat(): Module {
  return new QuantizedReLU6();
}

/** `nnq.QFunctional.from_float`: the FloatFunctional's observed output qparams. */
export function functionalFromFloat(mod: Module, context: ConvertContext): Module {
  const { scale, zeroPoint } = outputQParams(mod, context);
  return new QFunctional(scale, zeroPoint);
}

/**
 * `nnq.Linear.from_float` / `nniq.LinearReLU.from_float` (`relu`): from Linear, LinearReLU or
 * a QAT linear (a LinearBn1d has its BN folded in first, replacing its weight and bias as
 * PyTorch does).
 */
export function linearFromFloat(relu: boolean): Converter {
  return (mod, context) => {
    let float: Linear;
    let weightObserver: ActivationPostProcess;
    if (mod instanceof QatLinear) {
      if (mod instanceof QatLinearBn1d) {
        const { bn } = mod;
        const fused = fuseLinearBnWeights(mod.weight, mod.bias, {
          bnRm: bn.runningMean!,
          bnRv: bn.runningVar!,
          bnEps: bn.eps,
          bnW: bn.weight!,
          bnB: bn.bias!,
        });
        mod.registerParameter("weight", fused.weight);
        mod.registerParameter("bias", fused.bias);
      }
      float = mod;
      weightObserver = mod.weight_fake_quant;
    } else {
      const inner = mod instanceof LinearReLU ? mod.at(0) : mod;
      if (inner.constructor !== Linear) {
        throw new TypeError(
          `mod: QuantizedLinear.fromFloat only works for Linear, got ${typeName(mod)}`,
        );
      }
      float = inner as Linear;
      weightObserver = freshWeightObserver(float);
    }
    const output = outputQParams(mod, context);
    const qweight = observeAndQuantize(
      float.weight,
      weightObserver,
      `convert: ${moduleName(mod, context)}.weight`,
    );
    const Cls = relu ? QuantizedLinearReLU : QuantizedLinear;
    return new Cls(qweight, float.bias, output, opsOf(context));
  };
}

/** The integer padding of a conv (`"valid"` is 0, `"same"` when symmetric). */
export function intPadding(conv: Conv2d): [number, number] {
  if (conv.padding === "valid") return [0, 0];
  if (conv.padding === "same") {
    const pads = conv.kernelSize.map((k, i) => conv.dilation[i] * (k - 1));
    if (pads.some((p) => p % 2 !== 0)) {
      throw new RangeError(
        `padding: a quantized conv needs symmetric padding; padding='same' with kernel ` +
          `[${conv.kernelSize}] and dilation [${conv.dilation}] pads one side more`,
      );
    }
    return [pads[0] / 2, pads[1] / 2];
  }
  return conv.padding;
}

/**
 * `nnq.Conv2d.from_float` / `nniq.ConvReLU2d.from_float` (`relu`): from Conv2d, ConvReLU2d or
 * a QAT conv (a ConvBn2d / ConvBnReLU2d has its BN folded in first, replacing its weight and
 * bias, as PyTorch does).
 */
export function convFromFloat(relu: boolean): Converter {
  return (mod, context) => {
    let conv: Conv2d;
    let weightObserver: ActivationPostProcess;
    if (mod instanceof QatConv2d) {
      if (mod instanceof QatConvBn2d) {
        const { bn } = mod;
        const fused = fuseConvBnWeights(mod.weight, mod.bias, {
          bnRm: bn.runningMean!,
          bnRv: bn.runningVar!,
          bnEps: bn.eps,
          bnW: bn.weight,
          bnB: bn.bias,
        });
        mod.registerParameter("weight", fused.weight);
        mod.registerParameter("bias", fused.bias);
      }
      conv = mod;
      weightObserver = mod.weight_fake_quant;
    } else {
      const inner = mod instanceof ConvReLU2d ? mod.at(0) : mod;
      if (inner.constructor !== Conv2d) {
        throw new TypeError(
          `mod: QuantizedConv2d.fromFloat only works for Conv2d, got ${typeName(mod)}`,
        );
      }
      conv = inner as Conv2d;
      weightObserver = freshWeightObserver(conv);
    }
    const output = outputQParams(mod, context);
    const qweight = observeAndQuantize(
      conv.weight,
      weightObserver,
      `convert: ${moduleName(mod, context)}.weight`,
    );
    const geometry = {
      stride: conv.stride,
      padding: intPadding(conv),
      dilation: conv.dilation,
      groups: conv.groups,
    };
    const Cls = relu ? QuantizedConvReLU2d : QuantizedConv2d;
    return new Cls(qweight, conv.bias, geometry, output, opsOf(context));
  };
}

/** A conversion PyTorch has and this library does not: a clear error. */
export function unsupported(what: string, advice: string): Converter {
  return (mod) => {
    throw new Error(`convert: ${mod.getName()} → ${what} is not supported; ${advice}`);
  };
}

/**
 * `nnqd.Linear.from_float` / `nniqd.LinearReLU.from_float` (`relu`): the weight quantized to
 * qint8 or rounded to float16, by the dtype of the qconfig's weight observer.
 */
export function dynamicLinearFromFloat(relu: boolean): Converter {
  return (mod, context) => {
    const inner = mod instanceof LinearReLU ? mod.at(0) : mod;
    if (inner.constructor !== Linear) {
      throw new TypeError(
        `mod: DynamicQuantizedLinear.fromFloat only works for Linear, got ${typeName(mod)}`,
      );
    }
    const float = inner as Linear;
    const observer = freshWeightObserver(float);
    observer.forward(float.weight);
    const Cls = relu ? DynamicQuantizedLinearReLU : DynamicQuantizedLinear;
    if (observer.dtype === "qint8") {
      const owner = `quantizeDynamic: ${moduleName(mod, context)}.weight`;
      const weight = quantizeWeight(float.weight, reference(observer), owner);
      return new Cls({ dtype: "qint8", weight }, float.bias, opsOf(context));
    }
    if (observer.dtype === "float16") {
      return new Cls({ dtype: "float16", weight: float.weight }, float.bias, opsOf(context));
    }
    throw new TypeError(
      `weight observer: dynamic linear weights must be qint8 or float16, got ${
        show(observer.dtype)
      }`,
    );
  };
}

/** The qint8 weight observer of a dynamic RNN (its qconfig's); float16 is refused. */
function rnnWeightObserver(mod: Module): () => ActivationPostProcess {
  const probe = freshWeightObserver(mod);
  if (probe.dtype !== "qint8") {
    throw new TypeError(
      `${mod.getName()}: dynamic RNN weights must be qint8 here, got ${show(probe.dtype)} ` +
        `(PyTorch's float16 RNNs need FBGEMM's fp16 GEMM, not reproduced)`,
    );
  }
  return () => freshWeightObserver(mod);
}

/** PyTorch's `assert mod.bias` of the dynamic RNN `from_float`s, as a clear error. */
function requireRnnBias(mod: RnnBase | RnnCellBase): void {
  if (!mod.bias) {
    throw new RangeError(
      `${mod.getName()}: PyTorch 1.13's dynamic quantized RNNs require biases (from_float asserts ` +
        `mod.bias); build the float module with bias: true`,
    );
  }
}

/**
 * Each weight observed by a fresh observer and quantized (`quantize_and_pack`); `owner` names
 * the module in errors.
 */
function quantizeCell(
  weights: { ih: [Tensor, Tensor | null]; hh: [Tensor, Tensor | null] },
  observer: () => ActivationPostProcess,
  owner: string,
): QuantizedCellWeights {
  const part = ([w, b]: [Tensor, Tensor | null], which: string) => ({
    weight: observeAndQuantize(w, observer(), `${owner}.weight_${which}`),
    bias: b!,
  });
  return { ih: part(weights.ih, "ih"), hh: part(weights.hh, "hh") };
}

/**
 * `nnqd.LSTM.from_float` / `nnqd.GRU.from_float`: every weight observed by a fresh weight
 * observer of the qconfig (qint8) and quantized; the float biases kept.
 * @throws {TypeError|RangeError} for another module, float16 weights or a module without biases.
 */
export function dynamicRnnFromFloat(mod: Module, context: ConvertContext): Module {
  if (mod.constructor !== LSTM && mod.constructor !== GRU) {
    throw new TypeError(
      `mod: nn.quantized.dynamic.RNNBase.from_float only works for LSTM and GRU, got ${
        typeName(mod)
      }`,
    );
  }
  const rnn = mod as LSTM | GRU;
  const observer = rnnWeightObserver(rnn);
  requireRnnBias(rnn);
  const weights: QuantizedCellWeights[] = [];
  for (let layer = 0; layer < rnn.numLayers; layer++) {
    for (const reverse of rnn.bidirectional ? [false, true] : [false]) {
      weights.push(quantizeCell(
        {
          ih: rnn.parameterPair(layer, reverse, "ih"),
          hh: rnn.parameterPair(layer, reverse, "hh"),
        },
        observer,
        `quantizeDynamic: ${moduleName(mod, context)}`,
      ));
    }
  }
  const Cls = rnn instanceof LSTM ? DynamicQuantizedLSTM : DynamicQuantizedGRU;
  return new Cls(rnn, weights, opsOf(context));
}

/**
 * `nnqd.LSTMCell` / `GRUCell` / `RNNCell.from_float`.
 * @throws {TypeError|RangeError} as `dynamicRnnFromFloat`.
 */
export function dynamicRnnCellFromFloat(mod: Module, context: ConvertContext): Module {
  if (mod.constructor !== LSTMCell && mod.constructor !== GRUCell && mod.constructor !== RNNCell) {
    throw new TypeError(
      `mod: nn.quantized.dynamic.RNNCellBase.from_float only works for LSTMCell, GRUCell and ` +
        `RNNCell, got ${typeName(mod)}`,
    );
  }
  const cell = mod as LSTMCell | GRUCell | RNNCell;
  const observer = rnnWeightObserver(cell);
  requireRnnBias(cell);
  const weights = quantizeCell(
    {
      ih: [cell.weight_ih, cell.bias_ih],
      hh: [cell.weight_hh, cell.bias_hh],
    },
    observer,
    `quantizeDynamic: ${moduleName(mod, context)}`,
  );
  const sizes = { inputSize: cell.inputSize, hiddenSize: cell.hiddenSize };
  if (cell instanceof RNNCell) {
    return new DynamicQuantizedRNNCell(
      { ...sizes, nonlinearity: cell.nonlinearity },
      weights,
      opsOf(context),
    );
  }
  const Cls = cell instanceof LSTMCell ? DynamicQuantizedLSTMCell : DynamicQuantizedGRUCell;
  return new Cls(sizes, weights, opsOf(context));
}

/** The float-qparams weight observer of an embedding's qconfig, checked as PyTorch does. */
function embeddingObserverDtype(mod: Module, what: string): "quint8" | "quint4x2" {
  const observer = freshWeightObserver(mod);
  const o = observer instanceof ObserverModule ? observer.observer : undefined;
  const qscheme = (o as { qscheme?: string } | undefined)?.qscheme;
  if (qscheme !== "per_channel_affine_float_qparams") {
    throw new TypeError(
      `${what} quantization is only supported with float_qparams_weight_only_qconfig, got a ` +
        `weight observer with qscheme ${show(qscheme)}`,
    );
  }
  const dtype = observer.dtype;
  if (dtype !== "quint8" && dtype !== "quint4x2") {
    throw new TypeError(`${what}: weights must be quint8 or quint4x2, got ${show(dtype)}`);
  }
  return dtype;
}

/**
 * `nnq.Embedding.from_float`: the table quantized by the qconfig's float-qparams observer.
 * @throws {TypeError} for another module or qconfig, and for quint4x2 (PyTorch 1.13's
 * `from_float` builds a quint8 module and then fails on a 4-bit weight).
 */
export function embeddingFromFloat(mod: Module): Module {
  if (mod.constructor !== Embedding) {
    throw new TypeError(
      `mod: nnq.Embedding.from_float only works for Embedding, got ${typeName(mod)}`,
    );
  }
  const dtype = embeddingObserverDtype(mod, "Embedding");
  if (dtype !== "quint8") {
    throw new TypeError(
      `Embedding: PyTorch 1.13's nnq.Embedding.from_float supports quint8 weights only (it fails ` +
        `on quint4x2); use EmbeddingBag for 4-bit tables`,
    );
  }
  return new QuantizedEmbedding(quantizeEmbeddingWeight((mod as Embedding).weight, dtype));
}

/**
 * `nnq.EmbeddingBag.from_float`: as PyTorch 1.13, the quantized module sums and takes offsets as
 * bag starts (`mode` and `include_last_offset` of the float module are dropped; a warning says
 * so when that changes the result).
 */
export function embeddingBagFromFloat(mod: Module): Module {
  if (mod.constructor !== EmbeddingBag) {
    throw new TypeError(
      `mod: nnq.EmbeddingBag.from_float only works for EmbeddingBag, got ${typeName(mod)}`,
    );
  }
  const bag = mod as EmbeddingBag;
  const dtype = embeddingObserverDtype(mod, "EmbeddingBag");
  if (bag.mode !== "sum" || bag.includeLastOffset) {
    console.warn(
      `EmbeddingBag → QuantizedEmbeddingBag: PyTorch 1.13's from_float drops mode='${bag.mode}' ` +
        `and include_last_offset=${bag.includeLastOffset ? "True" : "False"}; the quantized ` +
        `module sums and reads offsets as bag starts, as PyTorch's does`,
    );
  }
  return new QuantizedEmbeddingBag(quantizeEmbeddingWeight(bag.weight, dtype));
}

/**
 * `from_float` of an activation whose class declares `static quantized` (nnq.LeakyReLU,
 * nnq.ELU, nnq.Hardswish): its parameters and the observed output qparams.
 */
export function activationFromFloat(mod: Module, context: ConvertContext): Module {
  const spec = (mod.constructor as { quantized?: QuantizedActivationSpec<unknown> }).quantized;
  if (spec === undefined) {
    throw new TypeError(`${mod.getName()}: has no quantized activation to convert to`);
  }
  const { scale, zeroPoint } = outputQParams(mod, context);
  return new QuantizedActivation(spec, spec.params(mod), scale, zeroPoint);
}

/**
 * `nnq.BatchNorm2d.from_float` / `nniq.BNReLU2d.from_float`: the float module's parameters and
 * running statistics (shared, as PyTorch assigns them) and the observed output qparams.
 */
export function batchNormFromFloat(mod: Module, context: ConvertContext): Module {
  const { scale, zeroPoint } = outputQParams(mod, context);
  const relu = mod instanceof BNReLU2d;
  const bn = (relu ? mod.getSubmodule("0") : mod) as BatchNorm2d;
  const q = relu
    ? new QuantizedBNReLU2d(bn.numFeatures, { eps: bn.eps, scale, zeroPoint })
    : new QuantizedBatchNorm2d(bn.numFeatures, { eps: bn.eps, scale, zeroPoint });
  q.weight = bn.weight;
  q.bias = bn.bias;
  q.registerBuffer("running_mean", bn.runningMean);
  q.registerBuffer("running_var", bn.runningVar);
  return q;
}
