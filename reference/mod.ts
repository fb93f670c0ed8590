/**
 * The reference: a scalar, readable, bit-exact reimplementation of PyTorch 1.13's quantization
 * numerics. Every function documents the PyTorch source it follows.
 * @module
 */
export * from "./dtype.ts";
export * from "./tensor.ts";
export * from "./float32.ts";
export * from "./engine.ts";
export * from "./quantize.ts";
export * from "./choose_qparams.ts";
export * from "./torch_sum.ts";
export * from "./fake_quantize.ts";
export * from "./observers/mod.ts";
export * from "./fake_quantize_module.ts";
export * from "./qconfig.ts";
export * from "./fusion.ts";
export * from "./quantized_linear.ts";
export * from "./quantized_leaky_relu.ts";
export * from "./quantized_clamp.ts";
export * from "./quantized_elu.ts";
export * from "./quantized_hardsigmoid.ts";
export * from "./quantized_batch_norm.ts";
export * from "./aten_float.ts";
export * from "./layout.ts";
export * from "./quantized_activation.ts";
export * from "./quantized_conv2d.ts";
export * from "./quantized_elementwise.ts";
export * from "./quantized_embedding.ts";
export * from "./quantized_pool.ts";
export * from "./quantized_rnn.ts";
export * from "./torch_reduce.ts";
export * as onnx from "./onnx/mod.ts";
export * from "./onednn.ts";
