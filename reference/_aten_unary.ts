/**
 * What the quantized unary ops share: the input checks, the engine test for QNNPACK's lookup
 * tables, and ATen's vectorised unary kernel shape (`cpu_kernel_vec` in aten/src/ATen/native/cpu/
 * Loops.h with the AVX2 `Vectorized<quint8|qint8>` of aten/src/ATen/cpu/vec/vec256/
 * vec256_qint.h): the first `floor(n/64)·64` elements (`vectorBlock`; 128 on AVX-512) are vector
 * lanes — FMA dequantize, float op, `QuantizeAvx2` — and the rest a scalar tail — `dequantize_val`,
 * float op, `quantize_val`. Every lane is a function of its code alone, so a kernel may use one
 * 256-entry table for the lanes and one for the tail.
 * @module
 */
import { checkInteger, checkScale, checkZeroPoint, show } from "./_check.ts";
import { dtypeRange } from "./dtype.ts";
import type { Engine } from "./engine.ts";
import { clamp, f32, roundHalfEven } from "./float32.ts";
import {
  dequantizeScalar,
  dequantizeVector,
  elementwiseFamily,
  quantizeVector,
  VECTOR_BLOCK,
  vectorPrefix,
} from "./quantized_elementwise.ts";
import { QuantizedTensor, type ScaleZeroPoint } from "./tensor.ts";

/** The codes of an 8-bit quantized tensor. */
export type Codes8 = Uint8Array | Int8Array;

/**
 * Checks that `x` is a per-tensor quint8 or qint8 tensor with a usable scale and zero point and
 * returns its qparams.
 */
export function input8(name: string, x: QuantizedTensor): ScaleZeroPoint {
  if (!(x instanceof QuantizedTensor)) {
    throw new TypeError(`${name}: expected a QuantizedTensor, got ${show(x)}`);
  }
  if (x.dtype !== "quint8" && x.dtype !== "qint8") {
    throw new TypeError(`${name}: must be quint8 or qint8, got ${x.dtype}`);
  }
  if (x.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(`${name}: must be quantized per tensor, got ${x.qparams.qscheme}`);
  }
  checkScale(`${name} scale`, x.qparams.scale);
  checkZeroPoint(`${name} zero point`, x.qparams.zeroPoint, x.dtype);
  return x.qparams;
}

/** Checks an output scale and zero point for `x`'s dtype. */
export function checkOutputQParams(x: QuantizedTensor, scale: number, zeroPoint: number): void {
  checkScale("outputScale", scale);
  checkZeroPoint("outputZeroPoint", zeroPoint, x.dtype);
}

/** A zeroed code array of `x`'s dtype and size. */
export function allocCodes(x: QuantizedTensor): Codes8 {
  return x.dtype === "quint8" ? new Uint8Array(x.size) : new Int8Array(x.size);
}

/** `data` as a per-tensor quantized tensor of `x`'s shape and dtype with qparams `qp`. */
export function withQParams(x: QuantizedTensor, data: Codes8, qp: ScaleZeroPoint): QuantizedTensor {
  return new QuantizedTensor(data, x.shape, x.dtype, {
    qscheme: "per_tensor_affine",
    scale: qp.scale,
    zeroPoint: qp.zeroPoint,
  });
}

/** QNNPACK's lookup-table operator: `y[i] = table[x[i]]` (quint8 only). */
export function applyTable(x: QuantizedTensor, table: Uint8Array): Uint8Array {
  const out = new Uint8Array(x.size);
  for (let i = 0; i < x.size; i++) out[i] = table[x.intRepr[i]];
  return out;
}

/** Whether PyTorch hands `x` to QNNPACK: the qnnpack engine and a quint8 tensor. */
export function usesQnnpack(x: QuantizedTensor, engine: Engine): boolean {
  return elementwiseFamily(engine) === "qnnpack" && x.dtype === "quint8";
}

/** The vector step of ATen's kernels: 64 (AVX2, the default), 128 (AVX-512), 0 (all scalar). */
export function checkVectorBlock(vectorBlock: number | undefined): number {
  const block = vectorBlock ?? VECTOR_BLOCK;
  checkInteger("vectorBlock", block);
  if (block < 0) throw new RangeError(`vectorBlock: must be >= 0, got ${block}`);
  return block;
}

const FLT_MAX = 3.4028234663852886e38;

/**
 * A Python float turned into a C++ `float` the way PyTorch's `Scalar::to<float>()` does: NaN and
 * ±Infinity pass, a finite value beyond ±FLT_MAX is refused ("value cannot be converted to type
 * float without overflow"), anything else is rounded to float32.
 */
export function scalarToFloat(name: string, value: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name}: expected a number, got ${show(value)}`);
  }
  if (Number.isFinite(value) && Math.abs(value) > FLT_MAX) {
    throw new RangeError(
      `${name}: ${show(value)} cannot be converted to float without overflow ` +
        `(PyTorch accepts |${name}| <= ${FLT_MAX}, or ±Infinity)`,
    );
  }
  return f32(value);
}

const INT64_LIMIT = 9223372036854775808; // 2^63

/**
 * `quantize_val` (AffineQuantizerBase.cpp) as compiled for x86-64, the scalar path of ATen's
 * kernels: `static_cast<int64_t>(f32(zp + rne(f32(x·inv))))`, clamped to the dtype. A value that
 * is NaN or lies outside int64 converts (`cvttss2si`) to INT64_MIN and so gives the lowest code;
 * ARM builds saturate instead (`reference/quantize.ts`'s `quantizeVal` models those).
 * @param inverseScale `reciprocalF32(scale)`
 */
export function quantizeValX86(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  const v = f32(roundHalfEven(f32(x * inverseScale)) + zeroPoint);
  return v >= -INT64_LIMIT && v < INT64_LIMIT ? clamp(v, qmin, qmax) : qmin;
}

/** How `atenUnary` evaluates one op. */
export interface AtenUnaryOp {
  /** Input qparams (checked). */
  readonly input: ScaleZeroPoint;
  /** Output qparams. */
  readonly output: ScaleZeroPoint;
  /** The float reciprocal the vector quantize is given (each kernel computes its own). */
  readonly vectorInverseScale: number;
  /** The op on a vector lane's dequantized value. */
  readonly vector: (x: number) => number;
  /** The op on a scalar-tail element's dequantized value. */
  readonly scalar: (x: number) => number;
  /** Elements per vector step (see `checkVectorBlock`). */
  readonly vectorBlock: number;
}

/**
 * ATen's unary kernel: vector lanes `quantizeVector(vector(dequantizeVector(q)))`,
 * scalar tail `quantizeValX86(scalar(dequantizeScalar(q)))`.
 */
export function atenUnary(x: QuantizedTensor, op: AtenUnaryOp): Codes8 {
  const { input } = op;
  const { min, max } = dtypeRange(x.dtype);
  const out = allocCodes(x);
  const invScalar = f32(1 / f32(op.output.scale)); // quantize_val's `1.0f / float(scale)`
  const zo = op.output.zeroPoint;
  const nv = vectorPrefix(x.size, op.vectorBlock);
  for (let i = 0; i < x.size; i++) {
    const q = x.intRepr[i];
    out[i] = i < nv
      ? quantizeVector(
        op.vector(dequantizeVector(q, input.scale, input.zeroPoint)),
        op.vectorInverseScale,
        zo,
        min,
        max,
      )
      : quantizeValX86(
        op.scalar(dequantizeScalar(q, input.scale, input.zeroPoint)),
        invScalar,
        zo,
        min,
        max,
      );
  }
  return out;
}
