/**
 * The float modules (`torch.nn`), with PyTorch's state-dict key names.
 * @module
 */
export * from "./linear.ts";
export * from "./conv.ts";
export * from "./batchnorm.ts";
export * from "./activation.ts";
export * from "./pool.ts";
export * from "./container.ts";
export * from "./stubs.ts";
export * from "./float_functional.ts";
export * from "./fused.ts";
export * from "./rnn.ts";
export * from "./embedding.ts";
