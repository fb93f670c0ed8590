/**
 * quantize_per_tensor, quantize_per_channel and dequantize, bit for bit as PyTorch 1.13 computes
 * them (aten/src/ATen/native/quantized/AffineQuantizerBase.cpp `quantize_val`,
 * cpu/kernels/QuantizedOpKernels.cpp; docs/numerics/quantize.md).
 *
 * Where PyTorch's answer depends on the build (NaN, ±Infinity, |x/scale| beyond int32), the
 * FBGEMM engines (`fbgemm`, `x86`, `fbgemm_avx512_vnni`: PyTorch builds with FBGEMM quantize
 * through `fbgemm::Quantize`) get FBGEMM's exact answer (`quantizeValFbgemm`). Without an engine,
 * or for `qnnpack` and `onednn`, this reference saturates: ±Infinity and overflow clamp to the
 * range, NaN gives the zero point — PyTorch's ARM (NEON) behaviour; `quantizeIsBuildDependent`
 * names those inputs.
 * @module
 */
import {
  checkAxis,
  checkNumbers,
  checkOptions,
  checkQuantizedTensor,
  checkScale,
  checkTensor,
  checkZeroPoint,
  optionalBoolean,
  show,
} from "./_check.ts";
import { allocIntRepr, dtypeRange, type IntRepr, parseQuantizedDType } from "./dtype.ts";
import type { QuantizedDType } from "./dtype.ts";
import { type Engine, quantizesLikeFbgemm } from "./engine.ts";
import { f32, reciprocalF32, roundHalfEven } from "./float32.ts";
import { QuantizedTensor, splitAtAxis, Tensor } from "./tensor.ts";

/**
 * Quantizes one float32 value: `clamp(f32(rne(f32(x * inv)) + f32(zp)), qmin, qmax)` with
 * `inv = f32(1 / f32(scale))` — the zero point is added after rounding, in float32.
 * Arguments are not checked (hot path); see `quantizePerTensor` for the checked API.
 * @param inverseScale `reciprocalF32(scale)`
 */
export function quantizeVal(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  const rounded = roundHalfEven(f32(x * inverseScale));
  if (rounded !== rounded) return zeroPoint < qmin ? qmin : zeroPoint > qmax ? qmax : zeroPoint;
  const v = f32(rounded + f32(zeroPoint));
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

/**
 * Quantizes one float32 value as FBGEMM does on an x86 CPU with AVX2 (`fbgemm::Quantize<T,
 * LEGACY=false>`):
 * - quint8/qint8 (`QuantizeAvx2`): `t = min(f32(x·inv), 2147483520)` (`min_ps`: NaN gives the
 *   bound), `cvtps2dq` (−Infinity and values below −2³¹ give INT32_MIN), `+ zp` in int32
 *   (wrapping), clamped to the dtype: NaN and +Infinity give qmax, or 0 for quint8 with a zero
 *   point ≥ 128 (the add wraps); qint8 with a negative zero point gives 127 for −Infinity;
 * - qint32 (the scalar `Quantize`): `f32(zp) + rne(f32(x·inv))` in float, clamped in double:
 *   ±Infinity saturate, NaN gives INT32_MIN (x86's conversion of NaN).
 * Other dtypes (quint4x2) are not FBGEMM's: `quantizeVal`.
 */
export function quantizeValFbgemm(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  dtype: QuantizedDType,
): number {
  const { min, max } = dtypeRange(dtype);
  const t = f32(x * inverseScale);
  if (dtype === "qint32") {
    const v = f32(f32(zeroPoint) + roundHalfEven(t));
    return v !== v ? -2147483648 : v < min ? min : v > max ? max : v;
  }
  if (dtype !== "quint8" && dtype !== "qint8") {
    return quantizeVal(x, inverseScale, zeroPoint, min, max);
  }
  const bounded = t < 2147483520 ? t : 2147483520;
  const r = roundHalfEven(bounded);
  const v = ((r < -2147483648 ? -2147483648 : r) + zeroPoint) | 0;
  return v < min ? min : v > max ? max : v;
}

/**
 * Whether PyTorch builds disagree on quantizing `x`: NaN and ±Infinity, or a value whose
 * `x/scale` leaves the int32 range FBGEMM's AVX2 path converts through (for qint32: the int64
 * range of the scalar path). This reference's answer for such inputs is a documented choice.
 */
export function quantizeIsBuildDependent(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  dtype: QuantizedDType,
): boolean {
  if (!Number.isFinite(x)) return true;
  const t = Math.abs(f32(x * inverseScale));
  if (dtype === "qint32") return !(t < 2 ** 63);
  return !(t + Math.abs(zeroPoint) < 2 ** 31);
}

/**
 * quint4x2 per-tensor quantization (`quantize_tensor_per_tensor_affine_sub_byte`):
 * `clamp(lrintf(rne(f32(x*inv)) + zp), 0, 15)` with `inv = scale == 0 ? 1 : f32(1/f32(scale))`.
 */
function quantizeValSubByte(x: number, inverseScale: number, zeroPoint: number): number {
  return quantizeVal(x, inverseScale, zeroPoint, 0, 15);
}

/** Options of `quantizePerTensor`. */
export interface QuantizePerTensorOptions {
  /** The scale (a double, as PyTorch takes it; kernels round it to float32). */
  scale: number;
  /** The integer zero point, inside the dtype's range. */
  zeroPoint: number;
  /** The quantized dtype. */
  dtype: QuantizedDType;
  /**
   * The engine whose build to model for NaN, ±Infinity and values beyond int32: the FBGEMM
   * engines (`fbgemm`, `x86`, `fbgemm_avx512_vnni`) give FBGEMM's answer; omitted, `qnnpack` or
   * `onednn`: the documented saturating choice. Finite values in range agree everywhere.
   */
  engine?: Engine;
}

/**
 * `torch.quantize_per_tensor(x, scale, zero_point, dtype)`.
 * @throws {RangeError} for a scale that is not finite and > 0, a zero point outside the dtype,
 * or an unknown engine.
 * @example
 * ```ts
 * const q = quantizePerTensor(Tensor.from([0.5, 1.5]), { scale: 1, zeroPoint: 0, dtype: "quint8" });
 * q.intRepr; // Uint8Array [0, 2]: ties round to even
 * ```
 */
export function quantizePerTensor(x: Tensor, options: QuantizePerTensorOptions): QuantizedTensor {
  checkTensor("x", x);
  checkOptions("options", options, "scale, zeroPoint, dtype");
  const dtype = parseQuantizedDType(options.dtype);
  checkScale("scale", options.scale);
  checkZeroPoint("zeroPoint", options.zeroPoint, dtype);
  const { scale, zeroPoint } = options;
  const out = allocIntRepr(dtype, x.size);
  const inv = reciprocalF32(scale);
  const { min, max } = dtypeRange(dtype);
  const data = x.data;
  if (options.engine !== undefined && quantizesLikeFbgemm(options.engine)) {
    for (let i = 0; i < data.length; i++) {
      out[i] = quantizeValFbgemm(data[i], inv, zeroPoint, dtype);
    }
  } else if (dtype === "quint4x2") {
    for (let i = 0; i < data.length; i++) out[i] = quantizeValSubByte(data[i], inv, zeroPoint);
  } else {
    for (let i = 0; i < data.length; i++) out[i] = quantizeVal(data[i], inv, zeroPoint, min, max);
  }
  return new QuantizedTensor(out, x.shape, dtype, {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
}

/** Options of `quantizePerChannel`. */
export interface QuantizePerChannelOptions {
  /** One scale per channel (doubles). */
  scales: ArrayLike<number>;
  /** One zero point per channel: integers, or floats with `floatQParams`. */
  zeroPoints: ArrayLike<number>;
  /** The channel axis (negative counts from the end). */
  axis: number;
  /** The quantized dtype. */
  dtype: QuantizedDType;
  /**
   * Float zero points (`torch.per_channel_affine_float_qparams`, what PyTorch picks when the
   * zero points tensor is floating point): the zero point is added before rounding.
   */
  floatQParams?: boolean;
}

/**
 * `torch.quantize_per_channel(x, scales, zero_points, axis, dtype)`: each element is quantized
 * as `quantizeVal` with `f32(scales[c])`; with float qparams,
 * `clamp(rne(f32(f32(x*inv) + f32(zp))), qmin, qmax)`.
 * @throws {RangeError} for a bad scale, zero point, axis or a scales length that is not the size
 * of the axis.
 */
export function quantizePerChannel(x: Tensor, options: QuantizePerChannelOptions): QuantizedTensor {
  checkTensor("x", x);
  checkOptions("options", options, "scales, zeroPoints, axis, dtype");
  const dtype = parseQuantizedDType(options.dtype);
  const axis = checkAxis("axis", options.axis, x.shape.length);
  const { outer, channels, inner } = splitAtAxis(x.shape, axis);
  checkNumbers("scales", options.scales, channels);
  checkNumbers("zeroPoints", options.zeroPoints, channels);
  const floatQParams = optionalBoolean("floatQParams", options.floatQParams, false);
  const scales = Float64Array.from(options.scales);
  const zeroPoints = Float64Array.from(options.zeroPoints);
  for (let c = 0; c < channels; c++) {
    checkScale(`scales[${c}]`, scales[c]);
    if (floatQParams) {
      if (!Number.isFinite(zeroPoints[c])) {
        throw new RangeError(`zeroPoints[${c}]: must be finite, got ${show(zeroPoints[c])}`);
      }
      zeroPoints[c] = f32(zeroPoints[c]);
    } else checkZeroPoint(`zeroPoints[${c}]`, zeroPoints[c], dtype);
  }
  if (floatQParams) { for (let c = 0; c < channels; c++) scales[c] = f32(scales[c]); }
  const out = allocIntRepr(dtype, x.size);
  const { min, max } = dtypeRange(dtype);
  forEachChannel(outer, channels, inner, (c, start, end) => {
    const inv = reciprocalF32(scales[c]);
    const zp = zeroPoints[c];
    for (let i = start; i < end; i++) {
      out[i] = floatQParams
        ? quantizeValFloatQParams(x.data[i], inv, zp, min, max)
        : quantizeVal(x.data[i], inv, zp, min, max);
    }
  });
  return new QuantizedTensor(out, x.shape, dtype, {
    qscheme: floatQParams ? "per_channel_affine_float_qparams" : "per_channel_affine",
    scales,
    zeroPoints,
    axis,
  });
}

/** `quantize_val_float_qparams`: the float zero point is added before rounding. */
function quantizeValFloatQParams(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  const v = roundHalfEven(f32(f32(x * inverseScale) + zeroPoint));
  if (v !== v) return qmin;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

/**
 * `QuantizedTensor.dequantize()`.
 * - per tensor: `f32(f32(scale) * f32(q - zp))`, with `q - zp` in int32 arithmetic that wraps
 *   on overflow (only qint32 can overflow; C++ leaves that undefined, see
 *   `dequantizeIsBuildDependent`);
 * - per channel: `f32(double(f32(q) - f32(zp)) * scale_c)`, a double product (it differs from
 *   the per-tensor formula when a scale is not exactly a float32);
 * - float qparams: `f32(f32(f32(q) - zp) * scale_c)`.
 */
export function dequantize(q: QuantizedTensor): Tensor {
  checkQuantizedTensor("q", q);
  const out = new Float32Array(q.size);
  const src = q.intRepr;
  const qp = q.qparams;
  if (qp.qscheme === "per_tensor_affine") {
    const scale = f32(qp.scale);
    const zp = qp.zeroPoint;
    for (let i = 0; i < src.length; i++) out[i] = f32(scale * f32((src[i] - zp) | 0));
    return new Tensor(out, q.shape);
  }
  const { outer, channels, inner } = splitAtAxis(q.shape, qp.axis);
  const floatQParams = qp.qscheme === "per_channel_affine_float_qparams";
  forEachChannel(outer, channels, inner, (c, start, end) => {
    const scale = qp.scales[c];
    const zp = f32(qp.zeroPoints[c]);
    for (let i = start; i < end; i++) {
      const centred = f32(f32(src[i]) - zp);
      out[i] = floatQParams ? f32(centred * f32(scale)) : f32(centred * scale);
    }
  });
  return new Tensor(out, q.shape);
}

/**
 * Whether PyTorch's per-tensor dequantize of code `q` overflows int32 in `q - zeroPoint` (signed
 * overflow, undefined in C++; the builds seen wrap, which this reference reproduces).
 */
export function dequantizeIsBuildDependent(q: number, zeroPoint: number): boolean {
  const d = q - zeroPoint;
  return d > 2147483647 || d < -2147483648;
}

/** Calls `body(channel, start, end)` for each contiguous run of one channel's elements. */
export function forEachChannel(
  outer: number,
  channels: number,
  inner: number,
  body: (channel: number, start: number, end: number) => void,
): void {
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const start = (o * channels + c) * inner;
      body(c, start, start + inner);
    }
  }
}

/**
 * Packs unpacked quint4x2 values into PyTorch's storage (`int_repr()` of a quint4x2 tensor):
 * element i goes to byte i/2, low nibble for even i.
 */
export function packQuint4x2(values: IntRepr): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= (values[i] & 15) << ((i & 1) * 4);
  return out;
}
