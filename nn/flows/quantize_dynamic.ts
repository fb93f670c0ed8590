/**
 * `quantizeDynamic` (torch/ao/quantization/quantize.py `quantize_dynamic`): Linear layers
 * swapped for dynamic quantized ones (qint8 or float16 weights, activations quantized per
 * call).
 * @module
 */
import {
  defaultDynamicQConfig,
  float16DynamicQConfig,
  type QConfig,
} from "../../reference/qconfig.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { show } from "../_util.ts";
import type { Module } from "../module.ts";
import { Linear } from "../modules/linear.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { convertModules, quantizedOps } from "./convert.ts";
import { DYNAMIC_QUANT_MAPPINGS } from "./mappings.ts";
import { removeQConfig } from "./observers.ts";
import { type ModuleClass, propagateQConfig, type QConfigDict } from "./propagate.ts";

/** Options of `quantizeDynamic`. */
export interface QuantizeDynamicOptions {
  /**
   * Which modules: a Map of names or module classes to qconfigs, or a list/Set of names and
   * classes (given `dtype`'s default qconfig). Default: every Linear.
   */
  qconfigSpec?: QConfigDict | Iterable<string | ModuleClass>;
  /** `qint8` (default) or `float16` weights; ignored when `qconfigSpec` is a Map. */
  dtype?: "qint8" | "float16";
  /** The kernels (default `bestKernelSet("qnnpack")`). */
  kernels?: KernelSet | QuantizedOps;
  /** Quantize in place (default false: a copy, as PyTorch). */
  inplace?: boolean;
}

function defaultQConfigFor(dtype: string): QConfig {
  if (dtype === "qint8") return defaultDynamicQConfig;
  if (dtype === "float16") return float16DynamicQConfig;
  throw new RangeError(
    `dtype: dynamic quantization supports "qint8" and "float16", got ${show(dtype)}`,
  );
}

/**
 * `torch.ao.quantization.quantize_dynamic(model, qconfig_spec, dtype)`: the model in eval mode
 * with the selected Linear (and LinearReLU) layers replaced by `DynamicQuantizedLinear`.
 * @returns the quantized model (a copy unless `inplace`)
 * @example
 * ```ts
 * const q = quantizeDynamic(mlp, { dtype: "qint8", kernels: bestKernelSet("qnnpack") });
 * q.forward(x); // float in, float out
 * ```
 */
export function quantizeDynamic<M extends Module>(
  model: M,
  options: QuantizeDynamicOptions = {},
): M {
  const dtype = options.dtype ?? "qint8";
  const qconfig = defaultQConfigFor(dtype);
  let spec: QConfigDict;
  if (options.qconfigSpec === undefined) {
    spec = new Map([[Linear, qconfig]]);
  } else if (options.qconfigSpec instanceof Map) {
    spec = options.qconfigSpec as QConfigDict;
  } else {
    const keys = [...options.qconfigSpec as Iterable<string | ModuleClass>];
    spec = new Map(keys.map((k) => [k, qconfig]));
  }
  const target = options.inplace ? model : model.clone();
  target.eval();
  propagateQConfig(target, spec);
  convertModules(target, DYNAMIC_QUANT_MAPPINGS, { ops: quantizedOps(options.kernels) });
  removeQConfig(target);
  return target;
}
