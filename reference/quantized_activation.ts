/**
 * Quantized activations — relu, relu6, hardswish, sigmoid, tanh — bit for bit as PyTorch 1.13
 * computes them (docs/numerics/activations.md), with the fixed output qparams PyTorch picks for
 * sigmoid and tanh. Two families, as for the elementwise ops (`reference/quantized_elementwise.ts`):
 *
 * - **qnnpack** (the `qnnpack` engine with quint8 input): QNNPACK's 256-entry lookup tables
 *   (qnnpack/src/hardswish.c, sigmoid.c, tanh.c), computed with glibc's `expf`/`tanhf`
 *   (`reference/_libm.ts`).
 * - **aten_avx2** (every other engine, and qint8 under qnnpack; cpu/kernels/
 *   QuantizedOpKernels.cpp `qhardswish_kernel`, `qsigmoid_kernel`, `qtanh_kernel`): the vector
 *   lanes (the first `floor(n/64)·64` elements) dequantize with an FMA, evaluate in float with
 *   SLEEF's AVX2 `expf`/`tanhf` (`reference/_sleef.ts`) and quantize with the kernel's reciprocal
 *   `f32(1.0 / output_scale)` (a double division); the scalar tail uses `dequantize_val`, glibc
 *   and `quantize_val`.
 *
 * relu and relu6 are integer clamps and engine-independent.
 * @module
 */
import { checkOptions, show } from "./_check.ts";
import { dtypeRange, type QuantizedDType } from "./dtype.ts";
import type { Engine } from "./engine.ts";
import { clamp, f32, reciprocalF32, roundHalfEven } from "./float32.ts";
import { quantizeVal } from "./quantize.ts";
import type { QuantizedTensor, ScaleZeroPoint } from "./tensor.ts";
import { expf, tanhf } from "./_libm.ts";
import { sleefExpf, sleefTanhf } from "./_sleef.ts";
import {
  allocCodes,
  applyTable,
  atenUnary,
  checkOutputQParams,
  checkVectorBlock,
  input8,
  usesQnnpack,
  withQParams,
} from "./_aten_unary.ts";

// ---------------------------------------------------------------------------------------------
// relu, relu6

/**
 * `torch.relu` of a quantized tensor (qrelu.cpp; QNNPACK's clamp under the qnnpack engine):
 * `max(q, zp)`, qparams unchanged. Every engine gives the same.
 */
export function quantizedRelu(x: QuantizedTensor): QuantizedTensor {
  const { zeroPoint } = input8("x", x);
  const out = allocCodes(x);
  for (let i = 0; i < x.size; i++) out[i] = Math.max(x.intRepr[i], zeroPoint);
  return withQParams(x, out, x.qparams as ScaleZeroPoint);
}

/**
 * `torch.nn.functional.relu6` of a quantized tensor (`hardtanh(0, 6)` → qclamp.cpp, and
 * `quantized::relu6`): `min(max(q, zp), six)` with `six = quantize_val(scale, zp, 6.0)`, qparams
 * unchanged. Every engine gives the same.
 */
export function quantizedRelu6(x: QuantizedTensor): QuantizedTensor {
  const { scale, zeroPoint } = input8("x", x);
  const { min, max } = dtypeRange(x.dtype);
  const six = quantizeVal(6, reciprocalF32(scale), zeroPoint, min, max);
  const out = allocCodes(x);
  for (let i = 0; i < x.size; i++) out[i] = Math.min(Math.max(x.intRepr[i], zeroPoint), six);
  return withQParams(x, out, x.qparams as ScaleZeroPoint);
}

// ---------------------------------------------------------------------------------------------
// hardswish

/** Options of `quantizedHardswish`. */
export interface QuantizedHardswishOptions {
  /** Which engine's numerics to reproduce. */
  engine: Engine;
  /** The output scale. */
  outputScale: number;
  /** The output zero point. */
  outputZeroPoint: number;
  /** Elements per vectorized step of the aten_avx2 family (default 64; 0: all scalar). */
  vectorBlock?: number;
}

/** The float hardswish of both ATen paths and QNNPACK: `f32(f32(x·clamp(f32(x+3), 0, 6)) / 6)`. */
export function hardswishF32(x: number): number {
  return f32(f32(x * clamp(f32(x + 3), 0, 6)) / 6);
}

/**
 * QNNPACK's hardswish table (hardswish.c): for each code i,
 * `lrintf(clamp(f32(f32(f32(1/so)·hardswish(f32(s·(i−zp)))) + zo), 0, 255))` — the output zero
 * point is added before rounding.
 */
export function qnnpackHardswishTable(
  input: ScaleZeroPoint,
  outputScale: number,
  outputZeroPoint: number,
): Uint8Array {
  const s = f32(input.scale);
  const inv = reciprocalF32(outputScale);
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(s * (i - input.zeroPoint));
    const y = f32(f32(inv * hardswishF32(x)) + outputZeroPoint);
    table[i] = roundHalfEven(clamp(y, 0, 255));
  }
  return table;
}

/**
 * `torch.ops.quantized.hardswish(x, scale, zero_point)` (qhardswish.cpp): QNNPACK's table under
 * the qnnpack engine for quint8, else ATen's kernel with the vector/scalar split.
 */
export function quantizedHardswish(
  x: QuantizedTensor,
  options: QuantizedHardswishOptions,
): QuantizedTensor {
  const qp = input8("x", x);
  checkOptions("options", options, "engine, outputScale, outputZeroPoint, vectorBlock?");
  checkOutputQParams(x, options.outputScale, options.outputZeroPoint);
  const vectorBlock = checkVectorBlock(options.vectorBlock);
  const { outputScale: so, outputZeroPoint: zo } = options;
  const out = usesQnnpack(x, options.engine)
    ? applyTable(x, qnnpackHardswishTable(qp, so, zo))
    : atenUnary(x, {
      input: qp,
      output: { scale: so, zeroPoint: zo },
      vectorInverseScale: f32(1 / so), // `1.0 / output_scale`: a double division
      vector: hardswishF32,
      scalar: hardswishF32,
      vectorBlock,
    });
  return withQParams(x, out, { scale: so, zeroPoint: zo });
}

// ---------------------------------------------------------------------------------------------
// sigmoid, tanh

/** Options of `quantizedSigmoid` and `quantizedTanh`. */
export interface QuantizedFixedQParamsOptions {
  /** Which engine's numerics to reproduce. */
  engine: Engine;
  /** Elements per vectorized step of the aten_avx2 family (default 64; 0: all scalar). */
  vectorBlock?: number;
}

/**
 * The output qparams PyTorch fixes for sigmoid (qsigmoid.cpp): scale 1/256, zero point 0 for
 * quint8 and −128 for qint8 (`FixedQParamsObserver` 0to1: (1/256, 0)).
 */
export function sigmoidOutputQParams(dtype: QuantizedDType): ScaleZeroPoint {
  if (dtype === "quint8") return { scale: 1 / 256, zeroPoint: 0 };
  if (dtype === "qint8") return { scale: 1 / 256, zeroPoint: -128 };
  throw new TypeError(`dtype: sigmoid of ${show(dtype)} is not reproduced (quint8, qint8)`);
}

/**
 * The output qparams PyTorch fixes for tanh (qtanh.cpp, QNNPACK tanh): scale 2/256, zero point
 * 128 for quint8 and 0 for qint8 (`FixedQParamsObserver` neg1to1).
 */
export function tanhOutputQParams(dtype: QuantizedDType): ScaleZeroPoint {
  if (dtype === "quint8") return { scale: 2 / 256, zeroPoint: 128 };
  if (dtype === "qint8") return { scale: 2 / 256, zeroPoint: 0 };
  throw new TypeError(`dtype: tanh of ${show(dtype)} is not reproduced (quint8, qint8)`);
}

/**
 * QNNPACK's sigmoid table (sigmoid.c), output (1/256, 0):
 * `lrintf(clamp(f32(256 / f32(1 + expf(−x))), 0, 255))` with `x = f32(s·(i − zp))`.
 */
export function qnnpackSigmoidTable(input: ScaleZeroPoint): Uint8Array {
  const s = f32(input.scale);
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(s * (i - input.zeroPoint));
    const y = f32(256 / f32(1 + expf(-x)));
    table[i] = roundHalfEven(clamp(y, 0, 255));
  }
  return table;
}

/**
 * QNNPACK's tanh table (tanh.c), output (2/256, 128):
 * `lrintf(clamp(f32(f32(128·tanhf(x)) + 128), 0, 255))` with `x = f32(s·(i − zp))`.
 */
export function qnnpackTanhTable(input: ScaleZeroPoint): Uint8Array {
  const s = f32(input.scale);
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(s * (i - input.zeroPoint));
    const y = f32(f32(128 * tanhf(x)) + 128);
    table[i] = roundHalfEven(clamp(y, 0, 255));
  }
  return table;
}

/** The vector-lane sigmoid of `qsigmoid_kernel`: `f32(1 / f32(1 + sleef_expf(−x)))`. */
export function sigmoidVectorF32(x: number): number {
  return f32(1 / f32(1 + sleefExpf(-x)));
}

/**
 * The scalar sigmoid of `qsigmoid_kernel`: `1.0f / (1.0 + std::exp(−x))` — glibc `expf` widened
 * to double, the sum and quotient in double, rounded to float by `quantize_val`.
 */
export function sigmoidScalarF32(x: number): number {
  return f32(1 / (1 + expf(-x)));
}

/** A fixed-output-qparams activation: QNNPACK's table, or ATen's kernel with the split. */
function fixedQParamsUnary(
  x: QuantizedTensor,
  options: QuantizedFixedQParamsOptions,
  op: {
    output: (dtype: QuantizedDType) => ScaleZeroPoint;
    table: (input: ScaleZeroPoint) => Uint8Array;
    vector: (x: number) => number;
    scalar: (x: number) => number;
  },
): QuantizedTensor {
  const qp = input8("x", x);
  checkOptions("options", options, "engine, vectorBlock?");
  const vectorBlock = checkVectorBlock(options.vectorBlock);
  const oq = op.output(x.dtype);
  const out = usesQnnpack(x, options.engine) ? applyTable(x, op.table(qp)) : atenUnary(x, {
    input: qp,
    output: oq,
    vectorInverseScale: f32(1 / oq.scale),
    vector: op.vector,
    scalar: op.scalar,
    vectorBlock,
  });
  return withQParams(x, out, oq);
}

/**
 * `torch.sigmoid` of a quantized tensor (qsigmoid.cpp): QNNPACK's table under the qnnpack engine
 * for quint8, else ATen's kernel (SLEEF vector lanes, glibc scalar tail). Output qparams from
 * `sigmoidOutputQParams`.
 */
export function quantizedSigmoid(
  x: QuantizedTensor,
  options: QuantizedFixedQParamsOptions,
): QuantizedTensor {
  return fixedQParamsUnary(x, options, {
    output: sigmoidOutputQParams,
    table: qnnpackSigmoidTable,
    vector: sigmoidVectorF32,
    scalar: sigmoidScalarF32,
  });
}

/**
 * `torch.tanh` of a quantized tensor (qtanh.cpp): QNNPACK's table under the qnnpack engine for
 * quint8, else ATen's kernel (SLEEF `tanhf` vector lanes, glibc `tanhf` scalar tail). Output
 * qparams from `tanhOutputQParams`.
 */
export function quantizedTanh(
  x: QuantizedTensor,
  options: QuantizedFixedQParamsOptions,
): QuantizedTensor {
  return fixedQParamsUnary(x, options, {
    output: tanhOutputQParams,
    table: qnnpackTanhTable,
    vector: sleefTanhf,
    scalar: tanhf,
  });
}
