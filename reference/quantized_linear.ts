/**
 * Quantized linear layers — `torch.ops.quantized.linear[_relu]` (static) and
 * `torch.ops.quantized.linear_dynamic` — with the integer arithmetic of each numerics
 * (docs/numerics/linear_conv.md):
 *
 * - **fbgemm** (FBGEMM on AVX2, GCC-built; aten/src/ATen/native/quantized/cpu/qlinear.cpp with
 *   FBGEMM's `PackAWithRowOffset`, the u8s8s32acc32 kernel and `requantizeOutputProcessingAvx2`):
 *   raw u8 activations times s8 weights, each even-aligned pair of products summed with int16
 *   saturation (`vpmaddubsw`), int32 accumulation, zero points removed with row/column offsets.
 *   The float bias enters per tensor as `fma(bias, f32(1/aw), f32(acc))` (GCC contracts FBGEMM's
 *   multiply and add), per channel as `f32(f32(acc) + f32(bias/aw_n))`; then `× M = aw / y_scale`,
 *   `cvtps2dq` (outside int32: INT32_MIN), int16 then uint8 saturation.
 * - **fbgemm_avx512_vnni** (FBGEMM on an AVX-512 VNNI CPU): the same, with an exact dot product
 *   (`vpdpbusd` does not saturate pairs).
 * - **onednn** (oneDNN on a VNNI CPU): exact accumulation and oneDNN's float requantization
 *   (`reference/onednn.ts`).
 * - **qnnpack** (ARM; qnnpack/src/q8gemm, QnnpackUtils.h): weights shifted to uint8, zero points
 *   subtracted, exact int32 accumulation, the bias quantized to int32, multiplied by
 *   `(ws·x_scale)·(1/y_scale)`, rounded, packed with int16 then uint8 saturation.
 *
 * Dynamic linear quantizes the activations per call with `quant_utils::ChooseQuantizationParams`
 * (every engine) and each engine's own quantizer, then returns floats.
 *
 * Where QNNPACK builds disagree (a scaled accumulator beyond int32: x86 converts it to
 * INT32_MIN, ARM saturates), this reference saturates; `linearIsBuildDependent` names those
 * outputs.
 * @module
 */
import {
  checkBoolean,
  checkInteger,
  checkNumbers,
  checkOptions,
  checkQuantizedTensor,
  checkScale,
  checkTensor,
  checkTypedArray,
  checkZeroPoint,
  optionalBoolean,
  PyTorchUndefinedError,
  show,
} from "./_check.ts";
import { chooseQuantizationParams } from "./choose_qparams.ts";
import { type Engine, linearNumerics, type Numerics } from "./engine.ts";
import { f32, fmaF32, reciprocalF32, roundHalfEven, saturateInt16 } from "./float32.ts";
import {
  checkOnednnWeight,
  onednnQuantizeU8,
  onednnScaled,
  onednnScaleTerms,
  onednnToUint8,
} from "./onednn.ts";
import { quantizeVal } from "./quantize.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

/** A quantized linear layer's weight: qint8 `[N, K]`, per tensor or per output channel. */
export interface LinearWeight {
  /** Weight codes, row-major `[N, K]`. */
  readonly data: Int8Array;
  /** Output features. */
  readonly outFeatures: number;
  /** Input features. */
  readonly inFeatures: number;
  /**
   * Per output channel (`per_channel_affine` on axis 0) or per tensor. Explicit because a
   * per-channel weight with one output channel also has one scale, and FBGEMM treats the bias of
   * the two differently.
   */
  readonly perChannel: boolean;
  /** One scale (per tensor) or `outFeatures` scales (per channel), as doubles. */
  readonly scales: Float64Array;
  /** One zero point or `outFeatures` zero points (qint8 codes). */
  readonly zeroPoints: Int32Array;
  /** The float32 bias `[N]`, or null. */
  readonly bias: Float32Array | null;
}

/**
 * Builds a LinearWeight from a qint8 QuantizedTensor `[N, K]` (per tensor, or per channel on
 * axis 0) and an optional float bias, checking shapes and qparams.
 */
export function linearWeight(w: QuantizedTensor, bias: Tensor | null = null): LinearWeight {
  checkQuantizedTensor("w", w);
  if (bias !== null) checkTensor("bias", bias);
  if (w.dtype !== "qint8") throw new TypeError(`weight: must be qint8, got ${w.dtype}`);
  if (w.shape.length !== 2) {
    throw new RangeError(`weight: must be 2-D [out, in], got shape [${w.shape}]`);
  }
  const [n, k] = w.shape;
  const qp = w.qparams;
  let scales: Float64Array;
  let zeroPoints: Int32Array;
  if (qp.qscheme === "per_tensor_affine") {
    scales = Float64Array.of(qp.scale);
    zeroPoints = Int32Array.of(qp.zeroPoint);
  } else if (qp.qscheme === "per_channel_affine" && qp.axis === 0) {
    scales = qp.scales;
    zeroPoints = Int32Array.from(qp.zeroPoints);
  } else {
    throw new RangeError(
      `weight: must be per tensor or per channel on axis 0, got ${qp.qscheme}` +
        ("axis" in qp ? ` on axis ${qp.axis}` : ""),
    );
  }
  const weight: LinearWeight = {
    data: w.intRepr as Int8Array,
    outFeatures: n,
    inFeatures: k,
    perChannel: qp.qscheme !== "per_tensor_affine",
    scales,
    zeroPoints,
    bias: bias?.data ?? null,
  };
  checkLinearWeight(weight);
  return weight;
}

/**
 * Checks a LinearWeight (however it was built): sizes, codes, qparams and bias. The reference and
 * every kernel set's `packLinear` call it.
 */
export function checkLinearWeight(weight: LinearWeight): void {
  if (typeof weight !== "object" || weight === null) {
    throw new TypeError(`weight: expected a LinearWeight, got ${show(weight)}`);
  }
  const { outFeatures: n, inFeatures: k } = weight;
  for (const [name, v] of [["outFeatures", n], ["inFeatures", k]] as const) {
    checkInteger(`weight.${name}`, v);
    if (v < 1) throw new RangeError(`weight.${name}: must be >= 1, got ${v}`);
  }
  if (!(weight.data instanceof Int8Array)) {
    throw new TypeError(
      `weight.data: expected an Int8Array of qint8 codes, got ${show(weight.data)}`,
    );
  }
  if (weight.data.length !== n * k) {
    throw new RangeError(
      `weight.data: expected ${n * k} codes for [${n}, ${k}], got ${weight.data.length}`,
    );
  }
  if (typeof weight.perChannel !== "boolean") {
    throw new TypeError(`weight.perChannel: expected a boolean, got ${show(weight.perChannel)}`);
  }
  const channels = weight.perChannel ? n : 1;
  const { scales, zeroPoints, bias } = weight;
  checkNumbers("weight.scales", scales);
  checkNumbers("weight.zeroPoints", zeroPoints);
  if (scales.length !== channels || zeroPoints.length !== channels) {
    throw new RangeError(
      `weight: ${weight.perChannel ? "per-channel" : "per-tensor"} qparams need ${channels} ` +
        `scale(s) and zero point(s), got ${show(scales)} and ${show(zeroPoints)}`,
    );
  }
  scales.forEach((s, i) => checkScale(`weight scales[${i}]`, s));
  zeroPoints.forEach((z, i) => checkZeroPoint(`weight zero points[${i}]`, z, "qint8"));
  if (bias !== null && !(bias instanceof Float32Array)) {
    throw new TypeError(`bias: expected a Float32Array or null, got ${show(bias)}`);
  }
  if (bias !== null && bias.length !== n) {
    throw new RangeError(`bias: expected ${n} values (one per output feature), got ${bias.length}`);
  }
}

/** Output quantization and activation of a static quantized linear. */
export interface QuantizedLinearOptions {
  /** Which arithmetic to reproduce: a numerics, or a backend on its modelled CPU. */
  engine: Engine;
  /** The output scale. */
  outputScale: number;
  /** The output zero point (quint8). */
  outputZeroPoint: number;
  /** Fuse a ReLU (`quantized::linear_relu`): the output is clamped below at its zero point. */
  relu?: boolean;
}

/**
 * `torch.ops.quantized.linear(x, packed_weight, y_scale, y_zero_point)` (or `linear_relu`):
 * quint8 activations `[..., K]` (per tensor) times a qint8 weight, quint8 output `[..., N]`.
 * @throws {RangeError} for an unknown engine, bad qparams or shapes, and (onednn) a weight zero
 * point other than 0.
 */
export function quantizedLinear(
  x: QuantizedTensor,
  weight: LinearWeight,
  options: QuantizedLinearOptions,
): QuantizedTensor {
  checkQuantizedTensor("x", x);
  checkOptions("options", options, "engine, outputScale, outputZeroPoint, relu?");
  if (x.dtype !== "quint8" || x.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(
      `x: must be a per-tensor quint8 tensor, got ${x.dtype} ${x.qparams.qscheme}`,
    );
  }
  checkLinearWeight(weight);
  const numerics = linearNumerics(options.engine);
  const k = weight.inFeatures;
  const m = checkActivationShape(x.shape, k);
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, "quint8");
  if (numerics === "onednn") checkOnednnWeight(weight.zeroPoints);
  const params: StaticLinearParams = {
    inputScale: x.qparams.scale,
    inputZeroPoint: x.qparams.zeroPoint,
    outputScale: options.outputScale,
    outputZeroPoint: options.outputZeroPoint,
    relu: optionalBoolean("relu", options.relu, false),
  };
  const y = REFERENCE_LINEAR[numerics](x.intRepr as Uint8Array, m, weight, params);
  return new QuantizedTensor(y, [...x.shape.slice(0, -1), weight.outFeatures], "quint8", {
    qscheme: "per_tensor_affine",
    scale: options.outputScale,
    zeroPoint: options.outputZeroPoint,
  });
}

/** Static linear parameters in the form the engine formulas take. */
export interface StaticLinearParams {
  /** The input (activation) scale. */
  inputScale: number;
  /** The input zero point (quint8). */
  inputZeroPoint: number;
  /** The output scale. */
  outputScale: number;
  /** The output zero point (quint8). */
  outputZeroPoint: number;
  /** Fuse a ReLU: clamp the output below at its zero point. */
  relu: boolean;
}

function checkActivationShape(shape: readonly number[], k: number): number {
  if (shape.length < 1 || shape[shape.length - 1] !== k) {
    throw new RangeError(
      `x: the last dimension must be the weight's in-features ${k}, got shape [${shape}]`,
    );
  }
  return shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

/** `clamp(sat16(sat16(r) + zo), lo, 255)`: the int16-then-uint8 pack of FBGEMM and QNNPACK. */
export function packToUint8(rounded: number, zeroPoint: number, lo: number): number {
  const v = saturateInt16(saturateInt16(rounded) + zeroPoint);
  return v < lo ? lo : v > 255 ? 255 : v;
}

/**
 * `cvtps2dq` / `vcvtnq` of a float32 product as QNNPACK's builds disagree on it: round half to
 * even, and outside int32 saturate (ARM; x86 gives INT32_MIN — see the module documentation).
 */
export function roundToInt32(x: number): number {
  if (x !== x) return 0;
  const r = roundHalfEven(x);
  return r > 2147483647 ? 2147483647 : r < -2147483648 ? -2147483648 : r;
}

/**
 * x86 `cvtps2dq` exactly (FBGEMM's rounding): round half to even; NaN and values outside int32
 * give the "integer indefinite" INT32_MIN.
 */
export function cvtps2dq(x: number): number {
  const r = roundHalfEven(x);
  return r >= -2147483648 && r <= 2147483647 ? r : -2147483648;
}

/**
 * The FBGEMM u8·s8 dot product of the AVX2 (non-VNNI) kernel: `vpmaddubsw` sums each
 * even-aligned pair of products with int16 saturation; `vpmaddwd`/`vpaddd` add the pairs
 * exactly in int32 (wrapping). `a` holds raw uint8 codes.
 */
export function fbgemmDot(
  a: Uint8Array,
  aOffset: number,
  w: Int8Array,
  wOffset: number,
  k: number,
): number {
  let acc = 0;
  let i = 0;
  for (; i + 1 < k; i += 2) {
    acc = (acc +
      saturateInt16(a[aOffset + i] * w[wOffset + i] + a[aOffset + i + 1] * w[wOffset + i + 1])) |
      0;
  }
  if (i < k) acc = (acc + a[aOffset + i] * w[wOffset + i]) | 0; // paired with zero padding
  return acc;
}

/**
 * The exact u8·s8 dot product `Σ a·w` of raw codes in int32 (wrapping): AVX-512 VNNI's
 * `vpdpbusd`, oneDNN's and QNNPACK's accumulators before the zero points are removed.
 */
export function exactDot(
  a: Uint8Array,
  aOffset: number,
  w: Int8Array,
  wOffset: number,
  k: number,
): number {
  let acc = 0;
  for (let i = 0; i < k; i++) acc = (acc + a[aOffset + i] * w[wOffset + i]) | 0;
  return acc;
}

/** A dot product of raw u8 activation codes and s8 weight codes. */
export type RawDot = typeof exactDot;

/**
 * FBGEMM's column offsets `Σ_k w[n,k] − wz_n·K` (computed once at prepack). The other engines'
 * exact accumulators need the same quantity to remove the activation zero point from raw products.
 */
export function columnOffsets(weight: LinearWeight): Int32Array {
  const { outFeatures: n, inFeatures: k, data, zeroPoints } = weight;
  const perChannel = weight.perChannel;
  const out = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += data[c * k + i];
    out[c] = sum - zeroPoints[perChannel ? c : 0] * k;
  }
  return out;
}

/**
 * The zero-point-corrected accumulator of row `row` and column `c` from a raw dot product:
 * `dot − za·colOffset_c − rowSum·wz_c` in int32 (wrapping, as the kernels), which for an exact
 * dot equals `Σ (a − za)·(w − wz)`.
 */
function correctedAccumulator(
  dot: number,
  inputZeroPoint: number,
  colOffset: number,
  rowSum: number,
  weightZeroPoint: number,
): number {
  return (dot - Math.imul(inputZeroPoint, colOffset) - Math.imul(rowSum, weightZeroPoint)) | 0;
}

/** The scale-dependent per-column constants of FBGEMM's requantization. */
export interface FbgemmScaleTerms {
  /**
   * The bias term's two factors, `xf = fma(biasTerms[n], biasScales[n], f32(acc))`: per tensor
   * the bias and `f32(1/aw)` (GCC contracts FBGEMM's `bias·(1/aw) + acc` into one FMA); per
   * channel `f32(bias/aw_n)` and 1 (a plain add). Null without bias.
   */
  readonly biasTerms: Float32Array | null;
  /** The second factor of the bias term (see `biasTerms`); null without bias. */
  readonly biasScales: Float32Array | null;
  /** `M_n = f32(aw_n / f32(y_scale))` with `aw_n = f32(f32(x_scale)·f32(ws_n))`. */
  readonly multipliers: Float32Array;
}

/**
 * Computes FBGEMM's per-column requantization constants for input and output scales (the bias
 * is divided by `aw_n` per channel, multiplied by the double reciprocal `1/aw` per tensor).
 */
export function fbgemmScaleTerms(
  weight: LinearWeight,
  inputScale: number,
  outputScale: number,
): FbgemmScaleTerms {
  const { outFeatures: n, scales, bias, perChannel } = weight;
  const multipliers = new Float32Array(n);
  const aw = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    aw[c] = f32(f32(inputScale) * f32(scales[perChannel ? c : 0]));
    multipliers[c] = f32(aw[c] / f32(outputScale));
  }
  if (bias === null) return { biasTerms: null, biasScales: null, multipliers };
  const biasTerms = new Float32Array(n);
  const biasScales = new Float32Array(n);
  const reciprocal = f32(1 / aw[0]);
  for (let c = 0; c < n; c++) {
    biasTerms[c] = perChannel ? f32(bias[c] / aw[c]) : bias[c];
    biasScales[c] = perChannel ? 1 : reciprocal;
  }
  return { biasTerms, biasScales, multipliers };
}

/**
 * FBGEMM's requantization of one corrected accumulator of column `c` (see the module docs):
 * the float bias term (one FMA), `× M`, `cvtps2dq`, int16 then uint8 saturation, ReLU as the lower
 * clamp `lo`.
 */
export function fbgemmRequantize(
  acc: number,
  c: number,
  terms: FbgemmScaleTerms,
  outputZeroPoint: number,
  lo: number,
): number {
  const xf = terms.biasTerms === null
    ? f32(acc)
    : fmaF32(terms.biasTerms[c], terms.biasScales![c], f32(acc));
  return packToUint8(cvtps2dq(f32(xf * terms.multipliers[c])), outputZeroPoint, lo);
}

/** The scale-dependent per-column constants of QNNPACK's static requantization. */
export interface QnnpackScaleTerms {
  /** The bias quantized to int32 with scale `ws_n · x_scale` (double), zero point 0. */
  readonly biasInt32: Int32Array;
  /** `f32(f32(f32(ws_n)·f32(x_scale)) · f32(1/f32(y_scale)))`. */
  readonly multipliers: Float32Array;
}

/** Computes QNNPACK's per-column constants (PyTorch repacks when x_scale changes). */
export function qnnpackScaleTerms(
  weight: LinearWeight,
  inputScale: number,
  outputScale: number,
): QnnpackScaleTerms {
  const n = weight.outFeatures;
  const perChannel = weight.perChannel;
  const biasInt32 = new Int32Array(n);
  const multipliers = new Float32Array(n);
  const inverseOutput = reciprocalF32(outputScale);
  for (let c = 0; c < n; c++) {
    const ws = weight.scales[perChannel ? c : 0];
    if (weight.bias !== null) {
      // QuantizeBias: quantize_per_tensor(bias, w_scale * input_scale (double), 0, kQInt32).
      biasInt32[c] = quantizeVal(
        weight.bias[c],
        reciprocalF32(ws * inputScale),
        0,
        -2147483648,
        2147483647,
      );
    }
    multipliers[c] = f32(f32(f32(ws) * f32(inputScale)) * inverseOutput);
  }
  return { biasInt32, multipliers };
}

/**
 * QNNPACK's exact dot product `Σ (a − za)·((w + 128) − (wz + 128))` in int32 (wrapping).
 * The +128 shift to uint8 cancels in the difference.
 */
export function qnnpackDot(
  a: Uint8Array,
  aOffset: number,
  aZeroPoint: number,
  w: Int8Array,
  wOffset: number,
  wZeroPoint: number,
  k: number,
): number {
  let acc = 0;
  for (let i = 0; i < k; i++) {
    acc = (acc + (a[aOffset + i] - aZeroPoint) * (w[wOffset + i] - wZeroPoint)) | 0;
  }
  return acc;
}

/**
 * Maps a corrected int32 accumulator of column `c` to its quint8 code with one numerics'
 * requantization, for given static parameters (shared by linear and conv).
 */
export type StaticRequantizer = (acc: number, c: number) => number;

/**
 * The requantization of a numerics for a weight and static parameters: FBGEMM's (both ISAs),
 * oneDNN's or QNNPACK's (the int32 bias added to the accumulator first). QNNPACK's overflowing
 * bias values can be replaced through `qnnpackBias` (see quantized_conv2d.ts).
 */
export function staticRequantizer(
  numerics: Numerics,
  weight: LinearWeight,
  p: StaticLinearParams,
  qnnpackBias?: Int32Array,
): StaticRequantizer {
  const zo = p.outputZeroPoint;
  const lo = p.relu ? zo : 0;
  if (numerics === "fbgemm" || numerics === "fbgemm_avx512_vnni") {
    const terms = fbgemmScaleTerms(weight, p.inputScale, p.outputScale);
    return (acc, c) => fbgemmRequantize(acc, c, terms, zo, lo);
  }
  if (numerics === "onednn") {
    const terms = onednnScaleTerms({
      weightScales: weight.scales,
      perChannel: weight.perChannel,
      columns: weight.outFeatures,
      bias: weight.bias,
      inputScale: p.inputScale,
      outputScale: p.outputScale,
    });
    return (acc, c) =>
      onednnToUint8(
        onednnScaled(acc, terms.biasTerms?.[c] ?? 0, terms.multipliers[c], p.relu),
        zo,
      );
  }
  const terms = qnnpackScaleTerms(weight, p.inputScale, p.outputScale);
  const bias = qnnpackBias ?? terms.biasInt32;
  return (acc, c) =>
    packToUint8(roundToInt32(f32(f32((acc + bias[c]) | 0) * terms.multipliers[c])), zo, lo);
}

/** The raw dot product a numerics' GEMM computes (FBGEMM AVX2 saturates int16 pairs). */
export function gemmDot(numerics: Numerics): RawDot {
  return numerics === "fbgemm" ? fbgemmDot : exactDot;
}

/** A static linear on raw codes: quint8 `[m, K]` → quint8 `[m, N]`. */
export type StaticLinearImpl = (
  a: Uint8Array,
  m: number,
  weight: LinearWeight,
  p: StaticLinearParams,
) => Uint8Array;

/** Static linear with one numerics' dot product and requantization (module documentation). */
function linearWith(
  numerics: Numerics,
  a: Uint8Array,
  m: number,
  weight: LinearWeight,
  p: StaticLinearParams,
): Uint8Array {
  const { outFeatures: n, inFeatures: k, data, zeroPoints, perChannel } = weight;
  const dot = gemmDot(numerics);
  const colOffsets = columnOffsets(weight);
  const requantize = staticRequantizer(numerics, weight, p);
  const out = new Uint8Array(m * n);
  for (let row = 0; row < m; row++) {
    let rowSum = 0;
    for (let i = 0; i < k; i++) rowSum += a[row * k + i];
    for (let c = 0; c < n; c++) {
      const acc = correctedAccumulator(
        dot(a, row * k, data, c * k, k),
        p.inputZeroPoint,
        colOffsets[c],
        rowSum,
        zeroPoints[perChannel ? c : 0],
      );
      out[row * n + c] = requantize(acc, c);
    }
  }
  return out;
}

/** FBGEMM (AVX2) static linear: see the module documentation. */
export const linearFbgemm: StaticLinearImpl = (a, m, weight, p) =>
  linearWith("fbgemm", a, m, weight, p);

/** FBGEMM on AVX-512 VNNI: exact dot, FBGEMM's requantization. */
export const linearFbgemmAvx512Vnni: StaticLinearImpl = (a, m, weight, p) =>
  linearWith("fbgemm_avx512_vnni", a, m, weight, p);

/** oneDNN static linear (weights must be symmetric: see `reference/onednn.ts`). */
export const linearOnednn: StaticLinearImpl = (a, m, weight, p) =>
  linearWith("onednn", a, m, weight, p);

/** QNNPACK static linear: see the module documentation. */
export const linearQnnpack: StaticLinearImpl = (a, m, weight, p) =>
  linearWith("qnnpack", a, m, weight, p);

/** The reference static linear of each numerics. */
export const REFERENCE_LINEAR: Readonly<Record<Numerics, StaticLinearImpl>> = {
  fbgemm: linearFbgemm,
  fbgemm_avx512_vnni: linearFbgemmAvx512Vnni,
  onednn: linearOnednn,
  qnnpack: linearQnnpack,
};

/**
 * Whether a QNNPACK static linear output lies where builds disagree: the scaled accumulator is
 * beyond int32 (x86 converts it to INT32_MIN, ARM saturates; this reference saturates).
 */
export function linearIsBuildDependent(scaled: number): boolean {
  return !(Math.abs(scaled) < 2147483520);
}

/** Options of `quantizedLinearDynamic`. */
export interface QuantizedLinearDynamicOptions {
  /** Which arithmetic to reproduce: a numerics, or a backend on its modelled CPU. */
  engine: Engine;
  /**
   * Quantize activations to [0, 127] (`nn.quantized.dynamic.Linear` always passes true).
   * QNNPACK ignores it.
   */
  reduceRange?: boolean;
  /** `linear_relu_dynamic`: ReLU on the float output. */
  relu?: boolean;
}

/** The activation quantization a dynamic linear chose at run time (for inspection). */
export interface DynamicActivationQParams {
  /** The chosen scale, rounded to float32 as the kernels use it. */
  scale: number;
  /** The scale as ChooseQuantizationParams computed it (a double). */
  exactScale: number;
  /** The chosen zero point. */
  zeroPoint: number;
  /** The quantized activations. */
  codes: Uint8Array;
}

/**
 * The min and max a dynamic linear quantizes its activations with: a sequential scan in which a
 * later NaN never replaces the extreme (FBGEMM's FindMinMax); 0 and 0 for no elements.
 */
export function dynamicMinMax(x: Float32Array): { min: number; max: number } {
  if (x.length === 0) return { min: 0, max: 0 };
  let min = x[0];
  let max = x[0];
  for (let i = 1; i < x.length; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  return { min, max };
}

/**
 * Quantizes activations as `quantized::linear_dynamic` does at run time: min/max of `x`,
 * `quant_utils::ChooseQuantizationParams` on [0, 255] (halved by reduce_range, which QNNPACK
 * ignores), then the engine's quantizer — FBGEMM's legacy `fma(x, 1/s, zp)` with the zero point
 * before rounding, oneDNN's reorder `f32(f32(x·f32(1/s)) + zp)`, QNNPACK's `quantize_val`.
 */
export function quantizeDynamicActivations(
  x: Float32Array,
  engine: Engine,
  reduceRange: boolean,
): DynamicActivationQParams {
  checkTypedArray("x", x, Float32Array, "float32 activations");
  checkBoolean("reduceRange", reduceRange);
  const numerics = linearNumerics(engine);
  const { min, max } = dynamicMinMax(x);
  const { scale, exactScale, zeroPoint } = chooseDynamicQParams(min, max, numerics, reduceRange);
  const codes = new Uint8Array(x.length);
  if (numerics === "qnnpack") {
    const inv = reciprocalF32(scale);
    for (let i = 0; i < x.length; i++) codes[i] = quantizeVal(x[i], inv, zeroPoint, 0, 255);
  } else if (numerics === "onednn") {
    const src = f32(1 / exactScale);
    for (let i = 0; i < x.length; i++) codes[i] = onednnQuantizeU8(x[i], src, zeroPoint);
  } else {
    const inv = reciprocalF32(scale);
    const zp = f32(zeroPoint);
    for (let i = 0; i < x.length; i++) {
      // `min_ps(t, 2147483520)` returns its second operand for NaN.
      const t = fmaF32(x[i], inv, zp);
      const r = cvtps2dq(t < 2147483520 ? t : 2147483520);
      codes[i] = r < 0 ? 0 : r > 255 ? 255 : r;
    }
  }
  return { scale, exactScale, zeroPoint, codes };
}

/**
 * The activation qparams a dynamic linear chooses from the input's min and max:
 * `quant_utils::ChooseQuantizationParams` on [0, 255] (qlinear_dynamic.cpp, every engine),
 * reduce_range halving the range except on QNNPACK. `scale` is rounded to float32, as the FBGEMM
 * and QNNPACK kernels use it; `exactScale` is the double (oneDNN takes `1/exactScale`).
 */
export function chooseDynamicQParams(
  min: number,
  max: number,
  engine: Engine,
  reduceRange: boolean,
): { scale: number; exactScale: number; zeroPoint: number } {
  const numerics = linearNumerics(engine);
  const { scale, zeroPoint } = chooseQuantizationParams(min, max, {
    qmin: 0,
    qmax: 255,
    reduceRange: numerics !== "qnnpack" && reduceRange,
    variant: "quant_utils",
  });
  return { scale: f32(scale), exactScale: scale, zeroPoint };
}

/** The float multiplier of a dynamic linear's output column: `f32(f32(w_scale)·f32(x_scale))`. */
export function dynamicMultiplier(weightScale: number, activationScale: number): number {
  return f32(f32(weightScale) * f32(activationScale));
}

/**
 * FBGEMM's dynamic output of one column: `fma(f32(acc), mult, bias)` (GCC contracts
 * `ReQuantizeForFloat`'s multiply and add), `f32(acc)·mult` without bias; QNNPACK rounds twice:
 * `f32(f32(f32(acc)·mult) + bias)`.
 */
export function dynamicOutput(
  numerics: "fbgemm" | "fbgemm_avx512_vnni" | "qnnpack",
  acc: number,
  multiplier: number,
  bias: number | null,
): number {
  if (bias === null) return f32(f32(acc) * multiplier);
  return numerics === "qnnpack"
    ? f32(f32(f32(acc) * multiplier) + bias)
    : fmaF32(f32(acc), multiplier, bias);
}

/**
 * Refuses oneDNN's dynamic linear with `reduce_range`: PyTorch 1.13's `PackedLinearWeightsOnednn`
 * was reported to return uninitialised memory for it. (On the machine the goldens were recorded
 * on it returned deterministic values — `golden/linear_onednn.json` keeps those cases, reported as
 * deviations — but an answer PyTorch does not guarantee is not one to reproduce.)
 * @throws {PyTorchUndefinedError} for `onednn` with `reduceRange`.
 */
export function checkDynamicReduceRange(numerics: Numerics, reduceRange: boolean): void {
  if (numerics === "onednn" && reduceRange) {
    throw new PyTorchUndefinedError(
      `reduceRange: oneDNN's dynamic linear with reduce_range=True is undefined in PyTorch 1.13 ` +
        `(reported to return uninitialised memory); use reduceRange: false on the onednn engine`,
    );
  }
}

/**
 * `torch.ops.quantized.linear_dynamic(x, packed_weight, reduce_range)` (or
 * `linear_relu_dynamic`): float activations are quantized per call
 * (`quantizeDynamicActivations`), multiplied in int32, and the float output is the engine's
 * (`dynamicOutput`; oneDNN: `reference/onednn.ts` with an output scale of 1), ReLU as
 * `max(y, 0)` (a NaN stays NaN, except on oneDNN).
 * @throws {RangeError} for an unknown engine, a shape mismatch, and (onednn) a weight zero point
 * other than 0.
 */
export function quantizedLinearDynamic(
  x: Tensor,
  weight: LinearWeight,
  options: QuantizedLinearDynamicOptions,
): Tensor {
  checkTensor("x", x);
  checkLinearWeight(weight);
  checkOptions("options", options, "engine, reduceRange?, relu?");
  const reduceRange = optionalBoolean("reduceRange", options.reduceRange, false);
  const relu = optionalBoolean("relu", options.relu, false);
  const k = weight.inFeatures;
  const m = checkActivationShape(x.shape, k);
  const numerics = linearNumerics(options.engine);
  if (numerics === "onednn") checkOnednnWeight(weight.zeroPoints);
  checkDynamicReduceRange(numerics, reduceRange);
  const act = quantizeDynamicActivations(x.data, numerics, reduceRange);
  const { outFeatures: n, data, zeroPoints, scales, bias } = weight;
  const perChannel = weight.perChannel;
  const out = new Float32Array(m * n);
  const dot = gemmDot(numerics);
  const colOffsets = columnOffsets(weight);
  const onednn = numerics === "onednn"
    ? onednnScaleTerms({
      weightScales: scales,
      perChannel,
      columns: n,
      bias,
      inputScale: act.exactScale,
      outputScale: null,
    })
    : null;
  for (let row = 0; row < m; row++) {
    let rowSum = 0;
    for (let i = 0; i < k; i++) rowSum += act.codes[row * k + i];
    for (let c = 0; c < n; c++) {
      const acc = correctedAccumulator(
        dot(act.codes, row * k, data, c * k, k),
        act.zeroPoint,
        colOffsets[c],
        rowSum,
        zeroPoints[perChannel ? c : 0],
      );
      let y: number;
      if (onednn !== null) {
        y = onednnScaled(acc, onednn.biasTerms?.[c] ?? 0, onednn.multipliers[c], relu);
      } else {
        const multiplier = dynamicMultiplier(scales[perChannel ? c : 0], act.scale);
        y = dynamicOutput(numerics as "qnnpack", acc, multiplier, bias?.[c] ?? null);
        if (relu && !(y >= 0)) y = y !== y ? y : 0;
      }
      out[row * n + c] = y;
    }
  }
  return new Tensor(out, [...x.shape.slice(0, -1), n]);
}

/** Checks a static linear's integer parameters (used by the conformance handler). */
export function checkStaticLinearParams(p: StaticLinearParams): void {
  checkScale("inputScale", p.inputScale);
  checkZeroPoint("inputZeroPoint", p.inputZeroPoint, "quint8");
  checkScale("outputScale", p.outputScale);
  checkZeroPoint("outputZeroPoint", p.outputZeroPoint, "quint8");
  checkInteger("relu", p.relu ? 1 : 0);
  if (typeof p.relu !== "boolean") {
    throw new TypeError(`relu: expected a boolean, got ${show(p.relu)}`);
  }
}
