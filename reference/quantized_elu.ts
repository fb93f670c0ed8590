/**
 * `torch.ops.quantized.elu(x, output_scale, output_zero_point, alpha)` (what
 * `torch.ao.nn.quantized.functional.elu` calls) bit for bit as PyTorch 1.13 computes it, and its
 * float32 counterpart `F.elu`.
 *
 * Every engine runs ATen's kernel (qelu.cpp `quantized_elu` → cpu/kernels/
 * QuantizedOpKernels.cpp `qelu_kernel`, with `scale = input_scale = 1`), split as
 * `reference/_aten_unary.ts` describes; `a = Scalar::to<float>(alpha)`:
 *
 * - vector lanes: `x = fma(s, q, f32(s·−zp))`; `y = x > 0 ? x : f32(f32(expf(x) − 1) · a)` with
 *   SLEEF's AVX2 `expf` (`Vectorized<float>::exp`); `QuantizeAvx2` with `f32(1.0 / so)`;
 * - scalar tail: `x = dequantize_val`; `y = x >= 0 ? x : f32(f32(expf(x) − 1) · a)` with glibc's
 *   `expf` (`std::exp`); `quantize_val`.
 *
 * Kernel note: on each path the output is a pure function of the code, so a 256-entry table for
 * the vector lanes (SLEEF) and one for the scalar tail (glibc) reproduce it exactly.
 * @module
 */
import { checkOptions, show } from "./_check.ts";
import { expf } from "./_libm.ts";
import { sleefExpf } from "./_sleef.ts";
import {
  atenUnary,
  checkOutputQParams,
  checkVectorBlock,
  input8,
  scalarToFloat,
  withQParams,
} from "./_aten_unary.ts";
import { f32, reciprocalF32 } from "./float32.ts";
import { vectorPrefix } from "./quantized_elementwise.ts";
import { type QuantizedTensor, Tensor } from "./tensor.ts";

/** Options of `quantizedElu`. */
export interface QuantizedEluOptions {
  /** ELU's alpha (any float PyTorch accepts: |alpha| <= FLT_MAX or ±Infinity). */
  alpha: number;
  /** The output scale. */
  outputScale: number;
  /** The output zero point, inside the dtype's range. */
  outputZeroPoint: number;
  /** Elements per vector step of ATen's kernel: 64 (AVX2, default), 128 (AVX-512), 0. */
  vectorBlock?: number;
}

/** ELU's negative branch `f32(f32(exp(x) − 1) · alpha)` with a given float `exp`. */
function eluNegative(x: number, alpha: number, exp: (x: number) => number): number {
  return f32(f32(exp(x) - 1) * alpha);
}

/**
 * `torch.ops.quantized.elu` of a per-tensor quint8 or qint8 tensor: every engine gives the same
 * (ATen's kernel).
 * @throws {RangeError} for a bad scale, zero point, alpha or vectorBlock.
 */
export function quantizedElu(x: QuantizedTensor, options: QuantizedEluOptions): QuantizedTensor {
  const input = input8("x", x);
  checkOptions("options", options, "alpha, outputScale, outputZeroPoint, vectorBlock?");
  const alpha = scalarToFloat("alpha", options.alpha);
  checkOutputQParams(x, options.outputScale, options.outputZeroPoint);
  const output = { scale: options.outputScale, zeroPoint: options.outputZeroPoint };
  const out = atenUnary(x, {
    input,
    output,
    vectorInverseScale: reciprocalF32(output.scale), // `float(1.0 / float(o_scale))`
    vector: (v) => v > 0 ? v : eluNegative(v, alpha, sleefExpf),
    scalar: (v) => v >= 0 ? v : eluNegative(v, alpha, expf),
    vectorBlock: checkVectorBlock(options.vectorBlock),
  });
  return withQParams(x, out, output);
}

/** Options of `floatElu`. */
export interface FloatEluOptions {
  /** ELU's alpha (|alpha| <= FLT_MAX or ±Infinity). */
  alpha: number;
  /** Floats per vector step of `cpu_kernel_vec`: 16 (AVX2, default), 32 (AVX-512), 0. */
  vectorBlock?: number;
}

/**
 * `F.elu(x, alpha)` on float32 (cpu/Activation.cpp `elu_kernel`): vector lanes (the first
 * `floor(n/16)·16` elements) `x > 0 ? x : f32(f32(sleef_expf(x) − 1) · a)`, scalar tail
 * `x <= 0 ? f32(f32(expf(x) − 1) · a) : x`. NaN stays NaN (its payload is not modelled).
 */
export function floatElu(x: Tensor, options: FloatEluOptions): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`x: expected a Tensor, got ${show(x)}`);
  checkOptions("options", options, "alpha, vectorBlock?");
  const alpha = scalarToFloat("alpha", options.alpha);
  const block = checkVectorBlock(options.vectorBlock ?? 16);
  const nv = vectorPrefix(x.size, block);
  const out = new Float32Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    out[i] = i < nv
      ? (v > 0 ? v : eluNegative(v, alpha, sleefExpf))
      : (v <= 0 ? eluNegative(v, alpha, expf) : v);
  }
  return new Tensor(out, x.shape);
}
