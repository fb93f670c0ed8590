/**
 * `prepareQat` (torch/ao/quantization/quantize.py `prepare_qat`): float and fused modules
 * swapped for QAT modules (fake-quantized weights), then fake-quantize observers attached to
 * activations; train with `GradTape` and `sgdStep`, then `convert`.
 * @module
 */
import type { Module } from "../module.ts";
import { convertModules } from "./convert.ts";
import type { Converter } from "./from_float.ts";
import { QAT_MODULE_MAPPINGS } from "./mappings.ts";
import { prepare } from "./prepare.ts";
import { type ModuleClass, propagateQConfig } from "./propagate.ts";
import { QatConv2d, QatConvBn2d, QatConvBnReLU2d, QatConvReLU2d } from "../qat/conv.ts";
import { QatLinear, QatLinearBn1d, QatLinearReLU } from "../qat/linear.ts";

/** Options of `prepareQat`. */
export interface PrepareQatOptions {
  /** Prepare in place (default false: a copy, as PyTorch). */
  inplace?: boolean;
  /** Float → QAT module mapping (default `QAT_MODULE_MAPPINGS`). */
  mapping?: ReadonlyMap<ModuleClass, Converter>;
  /** The QAT module classes observed as a whole (default `QAT_CLASSES`). */
  qatModules?: ReadonlySet<ModuleClass>;
}

/**
 * `torch.ao.quantization.prepare_qat(model)`: propagates qconfigs, swaps Conv2d, Linear and the
 * fused ConvBn2d / ConvBnReLU2d / ConvReLU2d / LinearReLU / LinearBn1d for their QAT versions
 * (sharing the float parameters), then `prepare`s with the QAT modules observed as a whole.
 * @returns the QAT model (a copy unless `inplace`)
 * @throws {Error} when the model is in eval mode (PyTorch's assertion).
 * @example
 * ```ts
 * model.qconfig = getDefaultQatQConfig("qnnpack");
 * const qat = prepareQat(fuseModules(model.train(), groups, { qat: true }));
 * // … train qat with GradTape / sgdStep …
 * const quantized = convert(qat.eval(), { kernels });
 * ```
 */
export function prepareQat<M extends Module>(model: M, options: PrepareQatOptions = {}): M {
  if (!model.training) throw new Error("prepare_qat only works on models in training mode");
  const target = options.inplace ? model : model.clone();
  propagateQConfig(target);
  convertModules(target, options.mapping ?? QAT_MODULE_MAPPINGS, {});
  prepare(target, {
    inplace: true,
    observerNonLeafModuleList: options.qatModules ?? new Set(QAT_CLASSES),
  });
  return target;
}

/** The QAT module classes (`set(mapping.values())` of PyTorch's default QAT mapping). */
export const QAT_CLASSES: readonly ModuleClass[] = [
  QatConv2d,
  QatLinear,
  QatConvBn2d,
  QatConvBnReLU2d,
  QatConvReLU2d,
  QatLinearReLU,
  QatLinearBn1d,
];
