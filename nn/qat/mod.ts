/**
 * Quantization-aware-training modules, and the helpers PyTorch applies with `model.apply`
 * (`disable_observer`, `freeze_bn_stats`, …).
 * @module
 */
export * from "./linear.ts";
export * from "./conv.ts";
export * from "./helpers.ts";
