/**
 * The `onnx` numerics profile: ONNX's quantization operators (QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv) and
 * onnxruntime's com.microsoft QLinearAdd / QLinearMul, each computed as the ONNX operator
 * definition says and, where it leaves the float arithmetic open, as onnxruntime's portable CPU
 * code computes it (docs/numerics/onnx.md lists every such choice).
 * @module
 */
export * from "./types.ts";
export * from "./quantize_linear.ts";
export * from "./matmul.ts";
export * from "./conv.ts";
export * from "./qlinear_binary.ts";
export { outputMultiplier, requantizeValue } from "./requantize.ts";
