/**
 * `convert` (torch/ao/quantization/quantize.py `convert`, `_convert`, `swap_module`): swaps
 * each module that has a qconfig and a mapping entry for its quantized counterpart, built from
 * its observers, then removes qconfigs and observers. The quantized modules run on one kernel
 * set.
 * @module
 */
import { bestKernelSet } from "../../kernels/paths.ts";
import { show } from "../../reference/_check.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import type { Module } from "../module.ts";
import { QuantizedOps } from "../quantized/ops.ts";
import type { ConvertContext, Converter, UncalibratedPolicy } from "./from_float.ts";
import { STATIC_QUANT_MAPPINGS } from "./mappings.ts";
import { isFusedModule, observerForwardHook, removeQConfig } from "./observers.ts";
import type { ModuleClass } from "./propagate.ts";

/** Options of `convert`. */
export interface ConvertOptions {
  /**
   * The kernels the quantized model runs on: a KernelSet (`bestKernelSet("qnnpack")`,
   * `bestKernelSet("x86")`, a path of `kernelSets()`) or QuantizedOps. Absent:
   * `bestKernelSet("qnnpack")`; present but not a kernel set (`undefined`): an error.
   */
  kernels?: KernelSet | QuantizedOps;
  /** Convert in place (default false: a copy is converted; the observers stay shared). */
  inplace?: boolean;
  /** Float → quantized module mapping (default `STATIC_QUANT_MAPPINGS`). */
  mapping?: ReadonlyMap<ModuleClass, Converter>;
  /** Remove qconfigs and observers at the end (default true). */
  removeQConfig?: boolean;
  /**
   * An observer that has seen no data: `warn` once per observer (default, as PyTorch), `error`,
   * or `ignore` (a model converted only to load a quantized state dict into).
   */
  uncalibrated?: UncalibratedPolicy;
}

/**
 * The QuantizedOps of a `kernels` option: the default kernel set when the option is absent; a
 * `kernels` key present but not a KernelSet or QuantizedOps (say `undefined` from a misspelt
 * lookup) is an error, never a silent default.
 * @throws {TypeError} naming the bad value.
 */
export function quantizedOps(options: { kernels?: KernelSet | QuantizedOps }): QuantizedOps {
  if (!("kernels" in options)) return new QuantizedOps(bestKernelSet("qnnpack"));
  const kernels: unknown = options.kernels;
  if (kernels instanceof QuantizedOps) return kernels;
  if (typeof kernels !== "object" || kernels === null || !("packLinear" in kernels)) {
    throw new TypeError(
      `kernels: expected a KernelSet or QuantizedOps, got ${show(kernels)}; ` +
        `bestKernelSet("fbgemm" | "x86" | "qnnpack" | "onednn") returns one`,
    );
  }
  return new QuantizedOps(kernels as KernelSet);
}

/**
 * `swap_module`: the converted module when `mod` has a qconfig and a mapping entry, else `mod`.
 * The new module keeps `mod`'s pre-hooks and its hooks other than the observer hook.
 */
export function swapModule(
  mod: Module,
  mapping: ReadonlyMap<ModuleClass, Converter>,
  context: ConvertContext,
): Module {
  if (mod.qconfig === undefined || mod.qconfig === null) return mod;
  const converter = mapping.get(mod.constructor as ModuleClass);
  if (converter === undefined) return mod;
  const swapped = converter(mod, context);
  for (const hook of mod.forwardPreHooks()) swapped.registerForwardPreHook(hook);
  for (const hook of mod.forwardHooks()) {
    if (hook !== observerForwardHook) swapped.registerForwardHook(hook);
  }
  return swapped;
}

/**
 * `_convert`: swaps the children of `module` bottom-up (fused modules are swapped whole);
 * `context.path` is `module`'s dotted name in the model.
 */
export function convertModules(
  module: Module,
  mapping: ReadonlyMap<ModuleClass, Converter>,
  context: ConvertContext,
): void {
  const reassign: [string, Module, Module][] = [];
  for (const [name, child] of module.namedChildren()) {
    const childContext = { ...context, path: context.path ? `${context.path}.${name}` : name };
    if (!isFusedModule(child)) convertModules(child, mapping, childContext);
    reassign.push([name, child, swapModule(child, mapping, childContext)]);
  }
  for (const [name, old, swapped] of reassign) {
    if (swapped !== old) module.registerModule(name, swapped);
  }
}

/**
 * `torch.ao.quantization.convert(model)`: the prepared and calibrated (or QAT-trained) model
 * with every observed module swapped for its quantized version — Quantize/DeQuantize for the
 * stubs, QuantizedConv2d/ConvReLU2d, QuantizedLinear/LinearReLU, QFunctional, QuantizedReLU6,
 * QuantizedDropout; ReLU and the pooling modules stay and run quantized tensors.
 * @returns the converted model (a copy unless `inplace`)
 * @throws {Error} for an observed module without calibration data that PyTorch would refuse, a
 * module that cannot be quantized here (a standalone BatchNorm2d), or non-quint8 activations.
 */
export function convert<M extends Module>(model: M, options: ConvertOptions = {}): M {
  const target = options.inplace ? model : model.clone({ shareHistograms: true });
  const uncalibrated = options.uncalibrated ?? "warn";
  if (!["warn", "error", "ignore"].includes(uncalibrated)) {
    throw new RangeError(
      `uncalibrated: expected "warn", "error" or "ignore", got ${JSON.stringify(uncalibrated)}`,
    );
  }
  const context = { ops: quantizedOps(options), uncalibrated, warned: new Set<object>() };
  convertModules(target, options.mapping ?? STATIC_QUANT_MAPPINGS, context);
  if (options.removeQConfig ?? true) removeQConfig(target);
  return target;
}
