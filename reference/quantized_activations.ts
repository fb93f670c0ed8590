/**
 * Quantized activations — relu, relu6, hardswish, sigmoid, tanh — bit for bit as PyTorch 1.13
 * computes them (shared/NUMERICS.md §8), with the fixed output qparams PyTorch picks for sigmoid
 * and tanh. Two families, as for the elementwise ops (`reference/quantized_elementwise.ts`):
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
import { checkInteger, checkScale, checkZeroPoint, show } from "./_check.ts";
import { dtypeRange, type QuantizedDType } from "./dtype.ts";
import type { Engine } from "./engine.ts";
import { clamp, f32, reciprocalF32, roundHalfEven } from "./float32.ts";
import { quantizeVal } from "./quantize.ts";
import { QuantizedTensor } from "./tensor.ts";
import { expf, tanhf } from "./_libm.ts";
import { sleefExpf, sleefTanhf } from "./_sleef.ts";
import {
  dequantizeScalar,
  dequantizeVector,
  elementwiseFamily,
  quantizeVector,
  vectorPrefix,
} from "./quantized_elementwise.ts";

/** Per-tensor qparams. */
export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

function input8(x: QuantizedTensor): QParams {
  if (x.dtype !== "quint8" && x.dtype !== "qint8") {
    throw new TypeError(`x: must be quint8 or qint8, got ${x.dtype}`);
  }
  if (x.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(`x: must be quantized per tensor, got ${x.qparams.qscheme}`);
  }
  checkScale("x scale", x.qparams.scale);
  checkZeroPoint("x zero point", x.qparams.zeroPoint, x.dtype);
  return x.qparams;
}

function alloc(x: QuantizedTensor): Uint8Array | Int8Array {
  return x.dtype === "quint8" ? new Uint8Array(x.size) : new Int8Array(x.size);
}

function withQParams(
  x: QuantizedTensor,
  data: Uint8Array | Int8Array,
  qp: QParams,
): QuantizedTensor {
  return new QuantizedTensor(data, x.shape, x.dtype, {
    qscheme: "per_tensor_affine",
    scale: qp.scale,
    zeroPoint: qp.zeroPoint,
  });
}

/** Whether the qnnpack lookup table applies: the qnnpack engine and a quint8 input. */
function usesQnnpack(x: QuantizedTensor, engine: Engine): boolean {
  return elementwiseFamily(engine) === "qnnpack" && x.dtype === "quint8";
}

function checkBlock(vectorBlock: number | undefined): number {
  const block = vectorBlock ?? 64;
  checkInteger("vectorBlock", block);
  if (block < 0) throw new RangeError(`vectorBlock: must be >= 0, got ${block}`);
  return block;
}

// ---------------------------------------------------------------------------------------------
// relu, relu6

/**
 * `torch.relu` of a quantized tensor (qrelu.cpp; QNNPACK's clamp under the qnnpack engine):
 * `max(q, zp)`, qparams unchanged. Every engine gives the same.
 */
export function quantizedRelu(x: QuantizedTensor): QuantizedTensor {
  const { zeroPoint } = input8(x);
  const out = alloc(x);
  for (let i = 0; i < x.size; i++) out[i] = Math.max(x.intRepr[i], zeroPoint);
  return withQParams(x, out, x.qparams as QParams);
}

/**
 * `torch.nn.functional.relu6` of a quantized tensor (`hardtanh(0, 6)` → qclamp.cpp, and
 * `quantized::relu6`): `min(max(q, zp), six)` with `six = quantize_val(scale, zp, 6.0)`, qparams
 * unchanged. Every engine gives the same.
 */
export function quantizedRelu6(x: QuantizedTensor): QuantizedTensor {
  const { scale, zeroPoint } = input8(x);
  const { min, max } = dtypeRange(x.dtype);
  const six = quantizeVal(6, reciprocalF32(scale), zeroPoint, min, max);
  const out = alloc(x);
  for (let i = 0; i < x.size; i++) out[i] = Math.min(Math.max(x.intRepr[i], zeroPoint), six);
  return withQParams(x, out, x.qparams as QParams);
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
  input: QParams,
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
  const qp = input8(x);
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, x.dtype);
  const block = checkBlock(options.vectorBlock);
  const out = alloc(x);
  const { outputScale: so, outputZeroPoint: zo } = options;
  if (usesQnnpack(x, options.engine)) {
    const table = qnnpackHardswishTable(qp, so, zo);
    for (let i = 0; i < x.size; i++) out[i] = table[x.intRepr[i]];
  } else {
    atenUnary(x, out, qp, { scale: so, zeroPoint: zo }, block, hardswishF32, hardswishF32);
  }
  return withQParams(x, out, { scale: so, zeroPoint: zo });
}

/**
 * The aten_avx2 unary kernel shape shared by hardswish, sigmoid and tanh: vector lanes
 * `quantizeVector(fVector(dequantizeVector(q)), f32(1.0/so))`, scalar tail
 * `quantize_val(fScalar(dequantize_val(q)))`.
 */
function atenUnary(
  x: QuantizedTensor,
  out: Uint8Array | Int8Array,
  input: QParams,
  output: QParams,
  block: number,
  fVector: (v: number) => number,
  fScalar: (v: number) => number,
): void {
  const { min, max } = dtypeRange(x.dtype);
  const invVector = f32(1 / output.scale); // `1.0 / output_scale`: a double division
  const invScalar = reciprocalF32(output.scale);
  const nv = vectorPrefix(x.size, block);
  for (let i = 0; i < x.size; i++) {
    const q = x.intRepr[i];
    out[i] = i < nv
      ? quantizeVector(
        fVector(dequantizeVector(q, input.scale, input.zeroPoint)),
        invVector,
        output.zeroPoint,
        min,
        max,
      )
      : quantizeVal(
        fScalar(dequantizeScalar(q, input.scale, input.zeroPoint)),
        invScalar,
        output.zeroPoint,
        min,
        max,
      );
  }
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
export function sigmoidOutputQParams(dtype: QuantizedDType): QParams {
  if (dtype === "quint8") return { scale: 1 / 256, zeroPoint: 0 };
  if (dtype === "qint8") return { scale: 1 / 256, zeroPoint: -128 };
  throw new TypeError(`dtype: sigmoid of ${show(dtype)} is not reproduced (quint8, qint8)`);
}

/**
 * The output qparams PyTorch fixes for tanh (qtanh.cpp, QNNPACK tanh): scale 2/256, zero point
 * 128 for quint8 and 0 for qint8 (`FixedQParamsObserver` neg1to1).
 */
export function tanhOutputQParams(dtype: QuantizedDType): QParams {
  if (dtype === "quint8") return { scale: 2 / 256, zeroPoint: 128 };
  if (dtype === "qint8") return { scale: 2 / 256, zeroPoint: 0 };
  throw new TypeError(`dtype: tanh of ${show(dtype)} is not reproduced (quint8, qint8)`);
}

/**
 * QNNPACK's sigmoid table (sigmoid.c), output (1/256, 0):
 * `lrintf(clamp(f32(256 / f32(1 + expf(−x))), 0, 255))` with `x = f32(s·(i − zp))`.
 */
export function qnnpackSigmoidTable(input: QParams): Uint8Array {
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
export function qnnpackTanhTable(input: QParams): Uint8Array {
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

/**
 * `torch.sigmoid` of a quantized tensor (qsigmoid.cpp): QNNPACK's table under the qnnpack engine
 * for quint8, else ATen's kernel (SLEEF vector lanes, glibc scalar tail). Output qparams from
 * `sigmoidOutputQParams`.
 */
export function quantizedSigmoid(
  x: QuantizedTensor,
  options: QuantizedFixedQParamsOptions,
): QuantizedTensor {
  const qp = input8(x);
  const block = checkBlock(options.vectorBlock);
  const oq = sigmoidOutputQParams(x.dtype);
  const out = alloc(x);
  if (usesQnnpack(x, options.engine)) {
    const table = qnnpackSigmoidTable(qp);
    for (let i = 0; i < x.size; i++) out[i] = table[x.intRepr[i]];
  } else {
    atenUnary(x, out, qp, oq, block, sigmoidVectorF32, sigmoidScalarF32);
  }
  return withQParams(x, out, oq);
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
  const qp = input8(x);
  const block = checkBlock(options.vectorBlock);
  const oq = tanhOutputQParams(x.dtype);
  const out = alloc(x);
  if (usesQnnpack(x, options.engine)) {
    const table = qnnpackTanhTable(qp);
    for (let i = 0; i < x.size; i++) out[i] = table[x.intRepr[i]];
  } else {
    atenUnary(x, out, qp, oq, block, sleefTanhf, tanhf);
  }
  return withQParams(x, out, oq);
}
