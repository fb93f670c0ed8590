/**
 * The quantized modules a converted model is made of, the quantized activation `QTensor`, and
 * `QuantizedOps` (the kernels they run on).
 * @module
 */
export * from "./qtensor.ts";
export * from "./ops.ts";
export * from "./quantize.ts";
export * from "./linear.ts";
export * from "./conv.ts";
export * from "./functional_modules.ts";
export * from "./activation.ts";
export * from "./dynamic_linear.ts";
export * from "./dynamic_rnn.ts";
export * from "./embedding.ts";
export * from "./weights.ts";
export {
  readOutputQParams,
  readQuantizedWeight,
  saveOutputQParams,
  saveQuantizedWeight,
  WEIGHT_KEYS,
  type WeightKeys,
} from "./state_dict.ts";
