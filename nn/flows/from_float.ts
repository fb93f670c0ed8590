/**
 * The `from_float` conversions of convert (torch/ao/nn/quantized/modules/*.py): each builds the
 * quantized module from an observed float (or QAT) module — output qparams from its
 * `activation_post_process`, the weight quantized with a fresh weight observer from its qconfig
 * (or, after QAT, its `weight_fake_quant`), run once over the weight as PyTorch does.
 * @module
 */
import { fuseConvBnWeights, fuseLinearBnWeights } from "../../reference/fusion.ts";
import type { Observer } from "../../reference/observers/observer.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { show, typeName } from "../_util.ts";
import type { Module } from "../module.ts";
import { Conv2d } from "../modules/conv.ts";
import { Dropout } from "../modules/container.ts";
import { ConvReLU2d, LinearReLU } from "../modules/fused.ts";
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
import { QuantizedDropout, QuantizedReLU6 } from "../quantized/activation.ts";
import { QuantizedConv2d, QuantizedConvReLU2d } from "../quantized/conv.ts";
import { DynamicQuantizedLinear, DynamicQuantizedLinearReLU } from "../quantized/dynamic_linear.ts";
import { QFunctional } from "../quantized/functional_modules.ts";
import { QuantizedLinear, QuantizedLinearReLU } from "../quantized/linear.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import type { ActivationQParams } from "../quantized/qtensor.ts";
import { DeQuantize, Quantize } from "../quantized/quantize.ts";
import { quantizeWeight } from "../quantized/weights.ts";

/** What a conversion needs besides the module: the kernels of the converted model. */
export interface ConvertContext {
  /** The quantized ops (kernel set) the converted modules run on (not needed by QAT swaps). */
  ops?: QuantizedOps;
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

/** The output qparams from an observer; only quint8 activations are supported. */
function outputQParams(mod: Module): ActivationQParams {
  const obs = activationPostProcess(mod);
  if (obs.dtype !== "quint8") {
    throw new TypeError(
      `${mod.getName()}: activations must be observed as quint8 (the kernels' activation ` +
        `dtype), got ${show(obs.dtype)}`,
    );
  }
  const { scale, zeroPoint } = obs.calculateQParams();
  return { scale: scale[0], zeroPoint: zeroPoint[0] };
}

/** Runs the weight observer over the weight (outside any gradient tape) and quantizes. */
function observeAndQuantize(weight: Tensor, observer: ActivationPostProcess) {
  observer.forward(weight);
  if (observer.dtype !== "qint8") {
    throw new TypeError(`weight observer: dtype must be qint8, got ${show(observer.dtype)}`);
  }
  return quantizeWeight(weight, reference(observer));
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
  const { scale, zeroPoint } = outputQParams(mod);
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
export function functionalFromFloat(mod: Module): Module {
  const { scale, zeroPoint } = outputQParams(mod);
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
    const output = outputQParams(mod);
    const qweight = observeAndQuantize(float.weight, weightObserver);
    const Cls = relu ? QuantizedLinearReLU : QuantizedLinear;
    return new Cls(qweight, float.bias, output, opsOf(context));
  };
}

/** The integer padding of a conv (`"valid"` is 0, `"same"` when symmetric). */
function intPadding(conv: Conv2d): [number, number] {
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
    const output = outputQParams(mod);
    const qweight = observeAndQuantize(conv.weight, weightObserver);
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
      const weight = quantizeWeight(float.weight, reference(observer));
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
