/**
 * `torch.ops.quantized.leaky_relu(x, negative_slope, inplace, output_scale, output_zero_point)`
 * bit for bit as PyTorch 1.13 computes it, and its float32 counterpart `F.leaky_relu`.
 *
 * Every engine runs ATen's kernel (qrelu.cpp `QLeakyRelu::run` → cpu/kernels/
 * QuantizedOpKernels.cpp `leaky_qrelu_out_kernel`; PyTorch never calls QNNPACK's leaky-ReLU
 * operator), split as `reference/_aten_unary.ts` describes:
 *
 * - vector lanes: `dx = fma(s, q, f32(s·−zp))`; `dy = f32(dx · (dx > 0 ? 1 : slope))`
 *   (`Vectorized::blendv(negval, one, dx > 0)`); `QuantizeAvx2` with `f32(1.0f / so)`;
 * - scalar tail: `dx = dequantize_val`; `dy = dx > 0 ? dx : f32(dx · slope)`; `quantize_val`;
 *
 * where `slope = Scalar::to<float>(negative_slope)`.
 *
 * Kernel note: the output is a pure function of the code on each path, so one 256-entry table
 * for the vector lanes and one for the scalar tail reproduce it exactly; the two tables differ
 * only where the FMA dequantize rounds apart (ties) or at int32 saturation.
 * @module
 */
import { checkOptions, show } from "./_check.ts";
import {
  atenUnary,
  checkOutputQParams,
  checkVectorBlock,
  input8,
  scalarToFloat,
  withQParams,
} from "./_aten_unary.ts";
import { f32, reciprocalF32 } from "./float32.ts";
import { type QuantizedTensor, Tensor } from "./tensor.ts";

/** Options of `quantizedLeakyRelu`. */
export interface QuantizedLeakyReluOptions {
  /** The slope below zero (any float PyTorch accepts: |slope| <= FLT_MAX or ±Infinity). */
  negativeSlope: number;
  /** The output scale. */
  outputScale: number;
  /** The output zero point, inside the dtype's range. */
  outputZeroPoint: number;
  /** Elements per vector step of ATen's kernel: 64 (AVX2, default), 128 (AVX-512), 0. */
  vectorBlock?: number;
}

/**
 * The float op of both paths (and of `F.leaky_relu`): `x > 0 ? x : f32(x · slope)`; the vector
 * lanes' `x · blendv(slope, 1, x > 0)` is the same value.
 */
export function leakyReluF32(x: number, slope: number): number {
  return x > 0 ? x : f32(x * slope);
}

/**
 * `torch.ops.quantized.leaky_relu` of a per-tensor quint8 or qint8 tensor: every engine gives
 * the same (ATen's kernel).
 * @throws {RangeError} for a bad scale, zero point, slope or vectorBlock.
 */
export function quantizedLeakyRelu(
  x: QuantizedTensor,
  options: QuantizedLeakyReluOptions,
): QuantizedTensor {
  const input = input8("x", x);
  checkOptions("options", options, "negativeSlope, outputScale, outputZeroPoint, vectorBlock?");
  const slope = scalarToFloat("negativeSlope", options.negativeSlope);
  checkOutputQParams(x, options.outputScale, options.outputZeroPoint);
  const output = { scale: options.outputScale, zeroPoint: options.outputZeroPoint };
  const out = atenUnary(x, {
    input,
    output,
    vectorInverseScale: reciprocalF32(output.scale), // `1.0f / o_scale`
    vector: (v) => leakyReluF32(v, slope), // `dx · blendv(slope, 1, dx > 0)`: the same value
    scalar: (v) => leakyReluF32(v, slope),
    vectorBlock: checkVectorBlock(options.vectorBlock),
  });
  return withQParams(x, out, output);
}

/**
 * `F.leaky_relu(x, negative_slope)` on float32 (cpu/Activation.cpp `leaky_relu_kernel`): vector
 * lanes and scalar tail compute the same `x > 0 ? x : f32(x · slope)`.
 */
export function floatLeakyRelu(x: Tensor, negativeSlope: number): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`x: expected a Tensor, got ${show(x)}`);
  const slope = scalarToFloat("negativeSlope", negativeSlope);
  return new Tensor(x.data.map((v) => leakyReluF32(v, slope)), x.shape);
}
