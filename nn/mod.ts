/**
 * Eager-mode models and PyTorch's three quantization flows: float modules with PyTorch's
 * state-dict names (`Linear`, `Conv2d`, `BatchNorm2d`, …), safetensors I/O, `fuseModules`,
 * `quantizeDynamic`, `prepare` → calibrate → `convert` (static PTQ) and `prepareQat` → train →
 * `convert` (QAT), the quantized modules that run on a KernelSet, a minimal autograd
 * (`GradTape`, `sgdStep`) for QAT, and graph mode (`symbolicTrace`, `prepareFx`,
 * `prepareQatFx`, `convertFx`, `GraphModule`; see fx/mod.ts).
 *
 * @example
 * ```ts
 * import { bestKernelSet, getDefaultQConfig } from "../mod.ts";
 * import { convert, fuseModules, prepare } from "./mod.ts";
 * const fused = fuseModules(model.eval(), [["conv1", "bn1", "relu1"]]);
 * fused.qconfig = getDefaultQConfig("qnnpack");
 * const prepared = prepare(fused);
 * for (const batch of calibration) prepared.forward(batch);
 * const int8 = convert(prepared, { kernels: bestKernelSet("qnnpack") });
 * ```
 * @module
 */
export * from "./module.ts";
export * from "./typed_tensor.ts";
export * from "./safetensors.ts";
export * from "./float16.ts";
export * from "./random.ts";
export * from "./autograd.ts";
export * as F from "./functional/mod.ts";
export type { IntPair } from "./_util.ts";
export type {
  AvgPool2dOptions,
  Conv2dOptions,
  ConvPadding,
  MaxPool2dOptions,
} from "./functional/mod.ts";
export * from "./modules/mod.ts";
export * from "./fuse.ts";
export * from "./observer_module.ts";
export * from "./quantized/mod.ts";
export * from "./qat/mod.ts";
export * from "./flows/mod.ts";
export { DIGITS_CNN_FUSION, DIGITS_MLP_FUSION, DigitsCNN, DigitsMLP } from "./models/digits.ts";
export * from "./fx/mod.ts";
