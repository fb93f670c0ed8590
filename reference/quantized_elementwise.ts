/**
 * Quantized elementwise ops — `torch.ops.quantized.add[_relu]`, `mul[_relu]`, `add_scalar`,
 * `mul_scalar` and `cat` — bit for bit as PyTorch 1.13 computes them (docs/numerics/elementwise.md,
 * docs/numerics/vectorized.md). Two families of numerics:
 *
 * - **qnnpack** (the `qnnpack` engine, quint8 operands of equal shape; aten/src/ATen/native/
 *   quantized/cpu/BinaryOps.cpp `qnnpack_add`, qnnpack/src/add.c, q8vadd/sse2.c,
 *   qnnpack/requantization.h `pytorch_qnnp_compute_add_quantization_params`): add in 21-bit fixed
 *   point with round-half-away-from-zero.
 * - **aten_avx2** (every other engine — `onednn`, `fbgemm`, `x86` — on an x86 CPU with AVX2:
 *   cpu/kernels/QuantizedOpKernels.cpp `qadd_kernel`, `qmul_kernel`, `qcat_nhwc_kernel` with
 *   aten/src/ATen/cpu/vec/vec256/vec256_qint.h and native/cpu/Loops.h `cpu_kernel_vec`): each
 *   contiguous run of `n` elements is split at `floor(n / 64)·64` (two 32-lane vectors per step,
 *   `vectorBlock`); the leading elements are dequantized with one FMA
 *   (`fma(s, q, f32(s·−zp))`) and requantized with `cvtps2dq`, the tail with the scalar
 *   `dequantize_val` / `quantize_val`. AVX-512 builds step by 128 (`vectorBlock: 128`); results
 *   are recorded single-threaded (each thread's chunk has its own tail).
 *
 * Mul and cat of NCHW tensors have one formula for every engine. Inputs are per-tensor
 * quantized; same-shape operands only (PyTorch broadcasts, but a broadcast operand is strided
 * and takes the scalar path, which this reference does not model).
 * @module
 */
import {
  checkAxis,
  checkInteger,
  checkOptions,
  checkQuantizedTensor,
  checkScale,
  checkZeroPoint,
  optionalBoolean,
  show,
} from "./_check.ts";
import { dtypeRange, type IntRepr, type QuantizedDType } from "./dtype.ts";
import { checkEngine, type Engine } from "./engine.ts";
import { clamp, f32, float32Bits, fmaF32, reciprocalF32, roundHalfEven } from "./float32.ts";
import { dequantize, quantizePerTensor, quantizeVal } from "./quantize.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

/**
 * The elementwise numerics an engine selects: `qnnpack`, or `aten_avx2` — ATen's AVX2-vectorized
 * quantized kernels, which every other engine (`onednn`, `fbgemm`, `x86`, `fbgemm_avx512_vnni`)
 * runs on x86 CPUs: PyTorch 1.13 picks AVX2 on AVX-512 CPUs too unless `ATEN_CPU_CAPABILITY`
 * opts in (`vectorBlock: 128` models that).
 */
export type ElementwiseFamily = "qnnpack" | "aten_avx2";

/**
 * The elementwise family of an engine.
 * @throws {RangeError} for an unknown engine name.
 */
export function elementwiseFamily(engine: Engine): ElementwiseFamily {
  return checkEngine(engine) === "qnnpack" ? "qnnpack" : "aten_avx2";
}

/** Output quantization of a binary op. */
export interface QuantizedBinaryOptions {
  /** Which engine's numerics to reproduce. */
  engine: Engine;
  /** The output scale. */
  outputScale: number;
  /** The output zero point. */
  outputZeroPoint: number;
  /**
   * Elements per vectorized step of the aten_avx2 family: 64 (AVX2, the default) or 128
   * (AVX-512). 0 makes every element take the scalar path.
   */
  vectorBlock?: number;
}

/** The per-tensor qparams of an 8-bit quantized tensor, checked. */
/** A scale and a zero point. */
type QParamsLike = { scale: number; zeroPoint: number };

function perTensor8(name: string, q: QuantizedTensor): QParamsLike {
  checkQuantizedTensor(name, q);
  if (q.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(`${name}: must be quantized per tensor, got ${q.qparams.qscheme}`);
  }
  if (q.dtype !== "quint8" && q.dtype !== "qint8") {
    throw new TypeError(`${name}: must be quint8 or qint8, got ${q.dtype}`);
  }
  checkScale(`${name} scale`, q.qparams.scale);
  checkZeroPoint(`${name} zero point`, q.qparams.zeroPoint, q.dtype);
  return q.qparams;
}

/**
 * Checks the operands and options of a binary op (add, mul): per-tensor quint8/qint8 tensors of
 * one dtype and shape, valid output qparams and vector block. Returns the operands' qparams.
 */
export function checkBinary(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: Omit<QuantizedBinaryOptions, "engine">,
): { pa: QParamsLike; pb: QParamsLike; block: number } {
  const pa = perTensor8("a", a);
  const pb = perTensor8("b", b);
  checkOptions("options", options, "engine, outputScale, outputZeroPoint, vectorBlock?");
  if (a.dtype !== b.dtype) throw new TypeError(`b: dtype ${b.dtype} differs from a's ${a.dtype}`);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(
      `b: shape [${b.shape}] differs from a's [${a.shape}] (broadcasting is not supported)`,
    );
  }
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, a.dtype);
  const block = options.vectorBlock ?? 64;
  checkInteger("vectorBlock", block);
  if (block < 0) throw new RangeError(`vectorBlock: must be >= 0, got ${block}`);
  return { pa, pb, block };
}

function output(
  data: IntRepr,
  like: QuantizedTensor,
  scale: number,
  zeroPoint: number,
): QuantizedTensor {
  return new QuantizedTensor(data, like.shape, like.dtype, {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
}

/** Elements per vectorised step of ATen's AVX2 kernels (two 32-lane vectors). */
export const VECTOR_BLOCK = 64;

/** The number of leading elements of an `n`-element run that take the vector path. */
export function vectorPrefix(n: number, vectorBlock = VECTOR_BLOCK): number {
  return vectorBlock > 0 ? Math.floor(n / vectorBlock) * vectorBlock : 0;
}

/**
 * The AVX2 vector dequantize of one lane: `fma(f32(s), f32(q), f32(f32(s)·f32(−zp)))`
 * (`Vectorized<quint8>::dequantize` with the premultiplied `scale_zp_premul`).
 */
export function dequantizeVector(q: number, scale: number, zeroPoint: number): number {
  const s = f32(scale);
  return fmaF32(s, q, f32(s * -zeroPoint));
}

/** The scalar dequantize `f32(f32(s)·f32(q − zp))` (`dequantize_val`). */
export function dequantizeScalar(q: number, scale: number, zeroPoint: number): number {
  return f32(f32(scale) * (q - zeroPoint));
}

/** x86's `cvtps2dq`: round half to even; NaN and values outside int32 give INT32_MIN. */
function cvtps2dq(t: number): number {
  return t >= -2147483648 && t < 2147483648 ? roundHalfEven(t) : -2147483648;
}

/** glibc's `lrintf` on x86-64 (`cvtss2si` to 64 bits): outside int64, and NaN, give INT64_MIN. */
function lrintf(t: number): number {
  return t >= -(2 ** 63) && t < 2 ** 63 ? roundHalfEven(t) : -(2 ** 63);
}

/** `cvtps2dq(min(f32(x·inv), 2147483520))`: a vector lane's int32 before the zero point. */
function vectorLaneInt32(x: number, inverseScale: number): number {
  const t = f32(x * inverseScale);
  return cvtps2dq(t <= 2147483520 ? t : 2147483520); // minps returns its second operand for NaN
}

/**
 * The AVX2 vector quantize of one lane (`QuantizeAvx2`) exactly: `t = min(f32(x·inv),
 * 2147483520)` (NaN gives the limit, as `minps` does), `cvtps2dq(t)`, the zero point added in
 * wrapping int32 arithmetic (`_mm256_add_epi32`), then clamped by saturating packs. A value at the
 * top of int32 (or NaN) with a zero point >= 128 wraps negative and gives qmin.
 * @param inverseScale the float32 reciprocal the kernel was given
 */
export function quantizeVector(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  return clamp((vectorLaneInt32(x, inverseScale) + zeroPoint) | 0, qmin, qmax);
}

// ---------------------------------------------------------------------------------------------
// add

/** QNNPACK's add parameters (requantization.h `pytorch_qnnp_compute_add_quantization_params`). */
export interface QnnpackAddParams {
  /** Fixed-point multipliers of a and b. */
  readonly aMultiplier: number;
  readonly bMultiplier: number;
  /** The right shift, in [13, 31]. */
  readonly shift: number;
  /** `−(aMultiplier·za + bMultiplier·zb)`. */
  readonly zeroPointProduct: number;
}

/**
 * Computes QNNPACK's fixed-point add parameters: `aos = f32(f32(sa)/f32(so))`,
 * `bos = f32(f32(sb)/f32(so))`, `shift = 21 − exponent(max(aos, bos))`, multipliers
 * `lrintf(aos·2^shift)`, `lrintf(bos·2^shift)`.
 * @throws {RangeError} where QNNPACK refuses (a ratio outside [2^-14, 2^8)) or its shift would
 * leave [13, 31] (undefined behaviour in C).
 */
export function qnnpackAddParams(
  aScale: number,
  aZeroPoint: number,
  bScale: number,
  bZeroPoint: number,
  outputScale: number,
): QnnpackAddParams {
  const aos = f32(f32(aScale) / f32(outputScale));
  const bos = f32(f32(bScale) / f32(outputScale));
  for (const [name, r] of [["a", aos], ["b", bos]] as const) {
    if (!(r >= 2 ** -14 && r < 2 ** 8)) {
      throw new RangeError(
        `${name} scale / outputScale = ${r} is outside QNNPACK's supported range [2^-14, 2^8)`,
      );
    }
  }
  const exponent = ((float32Bits(Math.max(aos, bos)) >>> 23) & 0xff) - 127;
  const shift = 21 - exponent;
  if (shift > 31) {
    throw new RangeError(
      `a and b scales are both below 2^-10 of outputScale (shift ${shift}): QNNPACK's add is ` +
        `undefined there`,
    );
  }
  const aMultiplier = roundHalfEven(f32(aos * 2 ** shift));
  const bMultiplier = roundHalfEven(f32(bos * 2 ** shift));
  return {
    aMultiplier,
    bMultiplier,
    shift,
    zeroPointProduct: -(aMultiplier * aZeroPoint + bMultiplier * bZeroPoint),
  };
}

/**
 * One QNNPACK add: `acc = zpp + am·qa + bm·qb` (int32), shifted right with round half away from
 * zero, plus the output zero point, clamped to `[lo, 255]`.
 */
export function qnnpackAddValue(
  qa: number,
  qb: number,
  p: QnnpackAddParams,
  outputZeroPoint: number,
  lo: number,
): number {
  const acc = (p.zeroPointProduct + p.aMultiplier * qa + p.bMultiplier * qb) | 0;
  const divisor = 2 ** p.shift;
  const q = Math.floor(acc / divisor);
  const remainder = acc - q * divisor - (acc < 0 ? 1 : 0);
  const threshold = Math.floor((divisor - 1) / 2);
  const r = q + (remainder > threshold ? 1 : 0);
  return clamp(r + outputZeroPoint, lo, 255);
}

function addImpl(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: QuantizedBinaryOptions,
  relu: boolean,
): QuantizedTensor {
  const { pa, pb, block } = checkBinary(a, b, options);
  const family = elementwiseFamily(options.engine);
  const { outputScale: so, outputZeroPoint: zo } = options;
  const n = a.size;
  const { min, max } = dtypeRange(a.dtype);
  const out = a.dtype === "quint8" ? new Uint8Array(n) : new Int8Array(n);
  if (family === "qnnpack") {
    if (a.dtype !== "quint8") {
      throw new TypeError(`a: the qnnpack engine adds quint8 tensors (qint8 goes to XNNPACK)`);
    }
    const p = qnnpackAddParams(pa.scale, pa.zeroPoint, pb.scale, pb.zeroPoint, so);
    const lo = relu ? zo : 0;
    if (lo >= 255) {
      throw new RangeError(
        `outputZeroPoint: QNNPACK's add_relu refuses the empty output range [${lo}, 255]`,
      );
    }
    for (let i = 0; i < n; i++) out[i] = qnnpackAddValue(a.intRepr[i], b.intRepr[i], p, zo, lo);
    return output(out, a, so, zo);
  }
  const inv = reciprocalF32(so);
  const nv = vectorPrefix(n, block);
  for (let i = 0; i < n; i++) {
    const vector = i < nv;
    const da = vector
      ? dequantizeVector(a.intRepr[i], pa.scale, pa.zeroPoint)
      : dequantizeScalar(a.intRepr[i], pa.scale, pa.zeroPoint);
    const db = vector
      ? dequantizeVector(b.intRepr[i], pb.scale, pb.zeroPoint)
      : dequantizeScalar(b.intRepr[i], pb.scale, pb.zeroPoint);
    let c = f32(da + db);
    if (relu && c < 0) c = 0;
    out[i] = vector ? quantizeVector(c, inv, zo, min, max) : quantizeVal(c, inv, zo, min, max);
  }
  return output(out, a, so, zo);
}

/**
 * `torch.ops.quantized.add(a, b, scale, zero_point)`: quint8 (or, outside qnnpack, qint8)
 * tensors of one shape. qnnpack: QNNPACK's fixed-point add; aten_avx2: `c = f32(da + db)`
 * requantized, with the vector/scalar split of the module documentation.
 * @throws {TypeError}/{RangeError} for mismatched dtypes or shapes, bad qparams, or scale
 * ratios QNNPACK refuses.
 */
export function quantizedAdd(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: QuantizedBinaryOptions,
): QuantizedTensor {
  return addImpl(a, b, options, false);
}

/**
 * `torch.ops.quantized.add_relu`: as `quantizedAdd` with a ReLU — QNNPACK clamps the output below
 * at its zero point; aten_avx2 takes `max(c, 0)` in float before requantizing.
 */
export function quantizedAddRelu(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: QuantizedBinaryOptions,
): QuantizedTensor {
  return addImpl(a, b, options, true);
}

// ---------------------------------------------------------------------------------------------
// mul

/** The float multiplier of `qmul_kernel`: `f32(f32(f32(sa)·f32(sb)) · f32(1/f32(so)))`. */
export function mulMultiplier(aScale: number, bScale: number, outputScale: number): number {
  return f32(f32(f32(aScale) * f32(bScale)) * reciprocalF32(outputScale));
}

function mulImpl(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: QuantizedBinaryOptions,
  relu: boolean,
): QuantizedTensor {
  const { pa, pb } = checkBinary(a, b, options);
  elementwiseFamily(options.engine);
  const { outputScale: so, outputZeroPoint: zo } = options;
  const m = mulMultiplier(pa.scale, pb.scale, so);
  const { min, max } = dtypeRange(a.dtype);
  const lo = relu ? Math.max(zo, min) : min;
  const n = a.size;
  const nv = vectorPrefix(n, options.vectorBlock);
  const out = a.dtype === "quint8" ? new Uint8Array(n) : new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const prod = (a.intRepr[i] - pa.zeroPoint) * (b.intRepr[i] - pb.zeroPoint);
    const t = f32(f32(prod) * m);
    out[i] = i < nv
      ? clamp((cvtps2dq(t) + zo) | 0, lo, max) // RequantizeAvx2: wrapping _mm256_add_epi32
      : clamp(lrintf(t) + zo, lo, max);
  }
  return output(out, a, so, zo);
}

/**
 * `torch.ops.quantized.mul(a, b, scale, zero_point)` (QuantizedOpKernels.cpp `qmul_kernel`,
 * `requantize_from_int`): `t = f32(f32((qa−za)(qb−zb))·m)` with `m = mulMultiplier(sa, sb, so)`,
 * then `clamp(rne(t) + zo)`. 1.13 has no QNNPACK mul, so every engine runs ATen's kernel. Its
 * vector prefix (`vectorPrefix`) rounds with `cvtps2dq` and adds the zero point in wrapping int32,
 * so a `t` beyond int32 gives qmin there; the scalar tail's `lrintf` is 64-bit and saturates to
 * qmax. `vectorBlock: 0` (a build without AVX2) takes the scalar form everywhere [V].
 */
export function quantizedMul(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: QuantizedBinaryOptions,
): QuantizedTensor {
  return mulImpl(a, b, options, false);
}

/** `torch.ops.quantized.mul_relu`: `max(quantizedMul, zo)`. */
export function quantizedMulRelu(
  a: QuantizedTensor,
  b: QuantizedTensor,
  options: QuantizedBinaryOptions,
): QuantizedTensor {
  return mulImpl(a, b, options, true);
}

// ---------------------------------------------------------------------------------------------
// scalar add / mul

/**
 * `torch.ops.quantized.add_scalar(q, c)` (BinaryOps.cpp `_add_scalar_out`):
 * `cq = rne(c / s)` (double); when `z − cq` is a valid zero point the codes are copied and the
 * zero point becomes `z − cq`; otherwise the output saturates one end of the range:
 * `s' = s·(qmax − (z − cq)) / (qmax − qmin)` with `z' = qmin` (c > 0), or
 * `s' = s·((z − cq) − qmin) / (qmax − qmin)` with `z' = qmax` (c < 0), and every code is
 * requantized from `q − z + cq` with `m = f32(f32(s)·f32(1/f32(s')))`:
 * `clamp(z' + rne(f32(f32(q − z + cq)·m)))`. Same for every engine [V].
 */
export function quantizedAddScalar(q: QuantizedTensor, c: number): QuantizedTensor {
  const { scale: s, zeroPoint: z } = perTensor8("q", q);
  if (typeof c !== "number" || !Number.isFinite(c)) {
    throw new RangeError(`c: expected a finite number, got ${show(c)}`);
  }
  const { min, max } = dtypeRange(q.dtype);
  const cq = roundHalfEven(c / s);
  const shifted = z - cq;
  if (shifted >= min && shifted <= max) {
    return output(q.intRepr.slice(), q, s, shifted);
  }
  let scale: number;
  let zeroPoint: number;
  if (shifted < min) {
    scale = (max - shifted) / (max - min) * s;
    zeroPoint = min;
  } else {
    scale = (shifted - min) / (max - min) * s;
    zeroPoint = max;
  }
  const m = f32(f32(s) * reciprocalF32(scale));
  const out = q.dtype === "quint8" ? new Uint8Array(q.size) : new Int8Array(q.size);
  for (let i = 0; i < q.size; i++) {
    out[i] = clamp(zeroPoint + roundHalfEven(f32(f32(q.intRepr[i] - z + cq) * m)), min, max);
  }
  return output(out, q, scale, zeroPoint);
}

/**
 * `torch.ops.quantized.mul_scalar(q, c)` (BinaryOps.cpp `_mul_scalar_out`): only the
 * qparams change — `c > 0`: scale `s·c`, codes copied; `c < 0`: scale `s·|c|`, zero point
 * `qmax − (z − qmin)`, codes `qmax − (q − qmin)`; `c = 0`: scale 1, zero point 0, every code 0.
 * Scales are doubles; every engine gives the same result [V].
 */
export function quantizedMulScalar(q: QuantizedTensor, c: number): QuantizedTensor {
  const { scale: s, zeroPoint: z } = perTensor8("q", q);
  if (typeof c !== "number" || !Number.isFinite(c)) {
    throw new RangeError(`c: expected a finite number, got ${show(c)}`);
  }
  const { min, max } = dtypeRange(q.dtype);
  if (c === 0) {
    const zeros = q.dtype === "quint8" ? new Uint8Array(q.size) : new Int8Array(q.size);
    return output(zeros, q, 1, 0);
  }
  if (c > 0) return output(q.intRepr.slice(), q, s * c, z);
  const out = q.dtype === "quint8" ? new Uint8Array(q.size) : new Int8Array(q.size);
  for (let i = 0; i < q.size; i++) out[i] = max - (q.intRepr[i] - min);
  return output(out, q, s * -c, max - (z - min));
}

// ---------------------------------------------------------------------------------------------
// cat

/** Options of `quantizedCat`. */
export interface QuantizedCatOptions {
  /** The dimension to concatenate along (negative counts from the end). */
  dim: number;
  /** The output scale (`quantized::cat`'s `scale`). */
  outputScale: number;
  /** The output zero point. */
  outputZeroPoint: number;
  /**
   * Whether the inputs are stored channels-last (NHWC). PyTorch takes its NHWC fast path when
   * `dim == 1` and every input is 4-D and channels-last contiguous — which an NCHW-contiguous
   * tensor with C == 1 or H·W == 1 also is; `false` (the default) means NCHW-contiguous storage.
   */
  channelsLast?: boolean;
  /**
   * Float lanes of the NHWC path's vectors: 8 (AVX2, the default) or 16 (AVX-512). The first
   * `floor(C / lanes)·lanes` channels of each input take the vector path.
   */
  vectorLanes?: number;
}

/** Whether a 4-D NCHW-contiguous shape is also channels-last contiguous (C == 1 or H·W == 1). */
export function isChannelsLastContiguous(shape: readonly number[]): boolean {
  return shape.length === 4 && (shape[1] === 1 || shape[2] * shape[3] === 1);
}

/**
 * `torch.ops.quantized.cat(xs, dim, scale, zero_point)` (TensorShape.cpp `quantized_cat_impl`,
 * QuantizedOpKernels.cpp `qcat_nhwc_kernel`):
 * - the NHWC fast path (dim 1, 4-D channels-last inputs): for each pixel and input, channels are
 *   copied when the input's qparams equal the output's, otherwise requantized — blocks of 32
 *   channels and then one block of 8·k channels (so the first `floor(C/8)·8`) with the AVX2 vector
 *   dequantize/quantize (the quantize uses `f32(1.0/scale)`, a double reciprocal), the last
 *   `C mod 8` with the scalar ones [V: a crafted tie shows the split at every C from 1 to 70];
 * - otherwise `quantize_per_tensor(cat(dequantize(x_i)), scale, zero_point)` with the scalar
 *   `quantize_val` / `dequantize_val` (which reproduce the codes when the qparams are equal).
 * @throws {RangeError}/{TypeError} for no inputs, mismatched dtypes, ranks or sizes, a bad dim
 * or qparams.
 */
export function quantizedCat(
  xs: readonly QuantizedTensor[],
  options: QuantizedCatOptions,
): QuantizedTensor {
  if (!Array.isArray(xs) || xs.length === 0) {
    throw new RangeError(`xs: expected at least one tensor, got ${show(xs)}`);
  }
  checkQuantizedTensor("xs[0]", xs[0]);
  checkOptions("options", options, "dim, outputScale, outputZeroPoint, channelsLast?");
  const dtype: QuantizedDType = xs[0].dtype;
  const rank = xs[0].shape.length;
  xs.forEach((x, i) => {
    perTensor8(`xs[${i}]`, x);
    if (x.dtype !== dtype) {
      throw new TypeError(`xs[${i}]: dtype ${x.dtype} differs from xs[0]'s ${dtype}`);
    }
    if (x.shape.length !== rank) {
      throw new RangeError(`xs[${i}]: rank ${x.shape.length} differs from xs[0]'s ${rank}`);
    }
  });
  const dim = checkAxis("dim", options.dim, rank);
  xs.forEach((x: QuantizedTensor, i: number) => {
    x.shape.forEach((d: number, k: number) => {
      if (k !== dim && d !== xs[0].shape[k]) {
        throw new RangeError(
          `xs[${i}]: shape [${x.shape}] differs from xs[0]'s [${xs[0].shape}] outside dim ${dim}`,
        );
      }
    });
  });
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, dtype);
  const outShape = [...xs[0].shape];
  outShape[dim] = xs.reduce((sum, x) => sum + x.shape[dim], 0);
  const channelsLast = optionalBoolean("channelsLast", options.channelsLast, false);
  const nhwc = dim === 1 && rank === 4 &&
    xs.every((x) => channelsLast || isChannelsLastContiguous(x.shape));
  if (nhwc) return catNhwc(xs, outShape, options);
  // quantize_per_tensor(cat(dequantize(x_i))): exact float concatenation in between.
  const outer = outShape.slice(0, dim).reduce((p, d) => p * d, 1);
  const inner = outShape.slice(dim + 1).reduce((p, d) => p * d, 1);
  const floats = new Float32Array(outer * outShape[dim] * inner);
  let offset = 0;
  for (const x of xs) {
    const d = dequantize(x).data;
    const run = x.shape[dim] * inner;
    for (let o = 0; o < outer; o++) {
      floats.set(d.subarray(o * run, (o + 1) * run), (o * outShape[dim]) * inner + offset);
    }
    offset += run;
  }
  return quantizePerTensor(new Tensor(floats, outShape), {
    scale: options.outputScale,
    zeroPoint: options.outputZeroPoint,
    dtype,
  });
}

function catNhwc(
  xs: readonly QuantizedTensor[],
  outShape: number[],
  options: QuantizedCatOptions,
): QuantizedTensor {
  const [n, cOut, h, w] = outShape;
  const { outputScale: so, outputZeroPoint: zo } = options;
  const lanes = options.vectorLanes ?? 8;
  checkInteger("vectorLanes", lanes);
  if (lanes < 0) throw new RangeError(`vectorLanes: must be >= 0, got ${lanes}`);
  const dtype = xs[0].dtype;
  const { min, max } = dtypeRange(dtype);
  const out = dtype === "quint8"
    ? new Uint8Array(n * cOut * h * w)
    : new Int8Array(n * cOut * h * w);
  // qcat_nhwc_kernel passes `float inv_scale = 1.0 / scale` (a double reciprocal) to the vector
  // quantize; the scalar quantize_val computes 1.0f / float(scale).
  const invVector = f32(1 / so);
  const invScalar = reciprocalF32(so);
  let cBase = 0;
  for (const x of xs) {
    const c = x.shape[1];
    const { scale: s, zeroPoint: z } = x.qparams as { scale: number; zeroPoint: number };
    const copy = s === so && z === zo;
    const nv = lanes > 0 ? Math.floor(c / lanes) * lanes : 0;
    for (let img = 0; img < n; img++) {
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < h * w; p++) {
          const q = x.intRepr[(img * c + ch) * h * w + p];
          let y: number;
          if (copy) y = q;
          else if (ch < nv) y = quantizeVector(dequantizeVector(q, s, z), invVector, zo, min, max);
          else y = quantizeVal(dequantizeScalar(q, s, z), invScalar, zo, min, max);
          out[(img * cOut + cBase + ch) * h * w + p] = y;
        }
      }
    }
    cBase += c;
  }
  return new QuantizedTensor(out, outShape, dtype, {
    qscheme: "per_tensor_affine",
    scale: so,
    zeroPoint: zo,
  });
}
