/**
 * PyTorch's eager-mode quantization flows: `quantizeDynamic`, `prepare` + `convert` (static
 * PTQ), `prepareQat` + `convert` (QAT), with qconfig propagation and the module mappings.
 * @module
 */
export * from "./propagate.ts";
export * from "./mappings.ts";
export * from "./observers.ts";
export * from "./from_float.ts";
export * from "./prepare.ts";
export * from "./convert.ts";
export * from "./quantize_dynamic.ts";
export * from "./prepare_qat.ts";
