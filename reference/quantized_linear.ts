/**
 * Quantized linear layers — `torch.ops.quantized.linear[_relu]` (static) and
 * `torch.ops.quantized.linear_dynamic` — with the integer arithmetic of each engine
 * (shared/NUMERICS.md §6, §7):
 *
 * - **fbgemm** (x86; aten/src/ATen/native/quantized/cpu/qlinear.cpp with FBGEMM's
 *   `PackAWithRowOffset`, the u8s8s32acc32 AVX2 kernel and `requantizeOutputProcessingAvx2`):
 *   raw u8 activations times s8 weights, each even-aligned pair of products summed with int16
 *   saturation (`vpmaddubsw`), int32 accumulation, zero points removed with row/column offsets,
 *   float bias divided by the activation·weight scale, multiplied by `M = aw / y_scale`, rounded
 *   (`cvtps2dq`), packed with int16 then uint8 saturation.
 * - **qnnpack** (ARM; qnnpack/src/q8gemm, QnnpackUtils.h): weights shifted to uint8, zero points
 *   subtracted, exact int32 accumulation, the bias quantized to int32, multiplied by
 *   `(ws·x_scale)·(1/y_scale)`, rounded, packed with int16 then uint8 saturation.
 *
 * Where builds disagree (a scaled accumulator beyond int32, which x86 converts to INT32_MIN and
 * ARM saturates), this reference saturates; `linearIsBuildDependent` names those outputs.
 * @module
 */
import { checkInteger, checkScale, checkZeroPoint, show } from "./_check.ts";
import { chooseQuantizationParams } from "./choose_qparams.ts";
import { type Engine, numericsFamily } from "./engine.ts";
import { f32, fmaF32, reciprocalF32, roundHalfEven, saturateInt16 } from "./float32.ts";
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
  if (scales?.length !== channels || zeroPoints?.length !== channels) {
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
  /** Which engine's integer arithmetic to reproduce. */
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
 */
export function quantizedLinear(
  x: QuantizedTensor,
  weight: LinearWeight,
  options: QuantizedLinearOptions,
): QuantizedTensor {
  if (x.dtype !== "quint8" || x.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(
      `x: must be a per-tensor quint8 tensor, got ${x.dtype} ${x.qparams.qscheme}`,
    );
  }
  checkLinearWeight(weight);
  const k = weight.inFeatures;
  const m = checkActivationShape(x.shape, k);
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, "quint8");
  const params: StaticLinearParams = {
    inputScale: x.qparams.scale,
    inputZeroPoint: x.qparams.zeroPoint,
    outputScale: options.outputScale,
    outputZeroPoint: options.outputZeroPoint,
    relu: options.relu ?? false,
  };
  const y = numericsFamily(options.engine) === "fbgemm"
    ? linearFbgemm(x.intRepr as Uint8Array, m, weight, params)
    : linearQnnpack(x.intRepr as Uint8Array, m, weight, params);
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

/** `clamp(sat16(sat16(r) + zo), lo, 255)`: the int16-then-uint8 pack of both engines. */
export function packToUint8(rounded: number, zeroPoint: number, lo: number): number {
  const v = saturateInt16(saturateInt16(rounded) + zeroPoint);
  return v < lo ? lo : v > 255 ? 255 : v;
}

/**
 * `cvtps2dq` / `vcvtnq` of a float32 product: round half to even. Outside int32 the builds
 * disagree (x86: INT32_MIN, ARM: saturation); this reference saturates (see module docs).
 */
export function roundToInt32(x: number): number {
  if (x !== x) return 0;
  const r = roundHalfEven(x);
  return r > 2147483647 ? 2147483647 : r < -2147483648 ? -2147483648 : r;
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
 * FBGEMM's column offsets `Σ_k w[n,k] − wz_n·K` (computed once at prepack). QNNPACK's exact
 * accumulator needs the same quantity to remove the activation zero point from raw products.
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

/** The scale-dependent per-column constants of FBGEMM's requantization. */
export interface FbgemmScaleTerms {
  /** The bias term added in float: `b·f32(1/aw)` per tensor, `b/aw_n` per channel; null without bias. */
  readonly biasTerms: Float32Array | null;
  /** `M_n = f32(aw_n / f32(y_scale))` with `aw_n = f32(f32(x_scale)·f32(ws_n))`. */
  readonly multipliers: Float32Array;
}

/**
 * Computes FBGEMM's per-column requantization constants for input and output scales (the bias
 * is divided by `aw_n` per channel, multiplied by `1/aw` per tensor).
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
  let biasTerms: Float32Array | null = null;
  if (bias !== null) {
    biasTerms = new Float32Array(n);
    // Per tensor FBGEMM multiplies by the reciprocal `1.0 / aw` (double, stored to float); per
    // channel it divides. (Whether the compiler fuses this product into the following add is
    // not known without an FBGEMM build; this reference does not fuse.)
    const reciprocal = f32(1 / aw[0]);
    for (let c = 0; c < n; c++) {
      biasTerms[c] = perChannel ? f32(bias[c] / aw[c]) : f32(bias[c] * reciprocal);
    }
  }
  return { biasTerms, multipliers };
}

/** FBGEMM static linear: see the module documentation. */
export function linearFbgemm(
  a: Uint8Array,
  m: number,
  weight: LinearWeight,
  p: StaticLinearParams,
): Uint8Array {
  const { outFeatures: n, inFeatures: k, data, zeroPoints } = weight;
  const perChannel = weight.perChannel;
  const colOffsets = columnOffsets(weight);
  const rq = fbgemmScaleTerms(weight, p.inputScale, p.outputScale);
  const out = new Uint8Array(m * n);
  const lo = p.relu ? p.outputZeroPoint : 0;
  for (let row = 0; row < m; row++) {
    let rowSum = 0;
    for (let i = 0; i < k; i++) rowSum += a[row * k + i];
    for (let c = 0; c < n; c++) {
      const acc = fbgemmDot(a, row * k, data, c * k, k);
      const raw = (acc - Math.imul(p.inputZeroPoint, colOffsets[c]) -
        Math.imul(rowSum, zeroPoints[perChannel ? c : 0])) | 0;
      let xf = f32(raw);
      if (rq.biasTerms !== null) xf = f32(xf + rq.biasTerms[c]);
      out[row * n + c] = packToUint8(
        roundToInt32(f32(xf * rq.multipliers[c])),
        p.outputZeroPoint,
        lo,
      );
    }
  }
  return out;
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

/** QNNPACK static linear: see the module documentation. */
export function linearQnnpack(
  a: Uint8Array,
  m: number,
  weight: LinearWeight,
  p: StaticLinearParams,
): Uint8Array {
  const { outFeatures: n, inFeatures: k, data, zeroPoints } = weight;
  const perChannel = weight.perChannel;
  const rq = qnnpackScaleTerms(weight, p.inputScale, p.outputScale);
  const out = new Uint8Array(m * n);
  const lo = p.relu ? p.outputZeroPoint : 0;
  for (let row = 0; row < m; row++) {
    for (let c = 0; c < n; c++) {
      const acc = (rq.biasInt32[c] +
        qnnpackDot(
          a,
          row * k,
          p.inputZeroPoint,
          data,
          c * k,
          zeroPoints[perChannel ? c : 0],
          k,
        )) | 0;
      out[row * n + c] = packToUint8(
        roundToInt32(f32(f32(acc) * rq.multipliers[c])),
        p.outputZeroPoint,
        lo,
      );
    }
  }
  return out;
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
 * Whether a static linear output lies where builds disagree: the scaled accumulator is beyond
 * int32 (x86 converts it to INT32_MIN, ARM saturates; this reference saturates).
 */
export function linearIsBuildDependent(scaled: number): boolean {
  return !(Math.abs(scaled) < 2147483520);
}

/** Options of `quantizedLinearDynamic`. */
export interface QuantizedLinearDynamicOptions {
  /** Which engine's arithmetic to reproduce. */
  engine: Engine;
  /**
   * Quantize activations to [0, 127] (FBGEMM; `nn.quantized.dynamic.Linear` always passes
   * true). QNNPACK ignores it.
   */
  reduceRange?: boolean;
  /** `linear_relu_dynamic`: ReLU on the float output. */
  relu?: boolean;
}

/** The activation quantization a dynamic linear chose at run time (for inspection). */
export interface DynamicActivationQParams {
  /** The chosen scale (float32). */
  scale: number;
  /** The chosen zero point. */
  zeroPoint: number;
  /** The quantized activations. */
  codes: Uint8Array;
}

/**
 * Quantizes activations as `quantized::linear_dynamic` does at run time: min/max of `x`,
 * ChooseQuantizationParams (fbgemm's variant with reduce_range on FBGEMM; quant_utils' on
 * QNNPACK, which ignores reduce_range), then quantize (FBGEMM's legacy `fma(x, 1/s, zp)` with the
 * zero point before rounding; QNNPACK's `quantize_val`).
 */
export function quantizeDynamicActivations(
  x: Float32Array,
  engine: Engine,
  reduceRange: boolean,
): DynamicActivationQParams {
  let min = 0;
  let max = 0;
  if (x.length > 0) {
    min = x[0];
    max = x[0];
    for (let i = 1; i < x.length; i++) {
      // Like FBGEMM's FindMinMax / a sequential scan: a later NaN never replaces the extreme.
      if (x[i] < min) min = x[i];
      if (x[i] > max) max = x[i];
    }
  }
  const { scale, zeroPoint } = chooseDynamicQParams(min, max, engine, reduceRange);
  const codes = new Uint8Array(x.length);
  const inv = reciprocalF32(scale);
  if (numericsFamily(engine) === "fbgemm") {
    const zp = f32(zeroPoint);
    for (let i = 0; i < x.length; i++) {
      const r = roundToInt32(Math.min(fmaF32(x[i], inv, zp), 2147483520));
      codes[i] = r < 0 ? 0 : r > 255 ? 255 : r;
    }
  } else {
    for (let i = 0; i < x.length; i++) codes[i] = quantizeVal(x[i], inv, zeroPoint, 0, 255);
  }
  return { scale, zeroPoint, codes };
}

/**
 * The activation qparams a dynamic linear chooses from the input's min and max: FBGEMM's
 * ChooseQuantizationParams on [0, 255] (halved by reduce_range) or QNNPACK's quant_utils one on
 * [0, 255] (reduce_range ignored). The scale is returned rounded to float32, as the kernels use it.
 */
export function chooseDynamicQParams(
  min: number,
  max: number,
  engine: Engine,
  reduceRange: boolean,
): { scale: number; zeroPoint: number } {
  const fbgemm = numericsFamily(engine) === "fbgemm";
  const { scale, zeroPoint } = chooseQuantizationParams(min, max, {
    qmin: 0,
    qmax: 255,
    reduceRange: fbgemm && reduceRange,
    variant: fbgemm ? "fbgemm" : "quant_utils",
  });
  return { scale: f32(scale), zeroPoint };
}

/**
 * `torch.ops.quantized.linear_dynamic(x, packed_weight, reduce_range)` (or
 * `linear_relu_dynamic`): float activations are quantized per call, multiplied in int32 and
 * the float output is `f32(f32(f32(acc) · f32(x_scale · w_scale)) + bias)`.
 */
export function quantizedLinearDynamic(
  x: Tensor,
  weight: LinearWeight,
  options: QuantizedLinearDynamicOptions,
): Tensor {
  checkLinearWeight(weight);
  const k = weight.inFeatures;
  const m = checkActivationShape(x.shape, k);
  const family = numericsFamily(options.engine);
  const act = quantizeDynamicActivations(x.data, options.engine, options.reduceRange ?? false);
  const { outFeatures: n, data, zeroPoints, scales, bias } = weight;
  const perChannel = weight.perChannel;
  const out = new Float32Array(m * n);
  const colOffsets = family === "fbgemm" ? columnOffsets(weight) : null;
  for (let row = 0; row < m; row++) {
    let rowSum = 0;
    for (let i = 0; i < k; i++) rowSum += act.codes[row * k + i];
    for (let c = 0; c < n; c++) {
      const wz = zeroPoints[perChannel ? c : 0];
      const acc = colOffsets !== null
        ? (fbgemmDot(act.codes, row * k, data, c * k, k) - Math.imul(act.zeroPoint, colOffsets[c]) -
          Math.imul(rowSum, wz)) | 0
        : qnnpackDot(act.codes, row * k, act.zeroPoint, data, c * k, wz, k);
      const multiplier = dynamicMultiplier(scales[perChannel ? c : 0], act.scale);
      let y = f32(f32(acc) * multiplier);
      if (bias !== null) y = f32(y + bias[c]);
      if (options.relu && !(y >= 0)) y = y !== y ? y : 0;
      out[row * n + c] = y;
    }
  }
  return new Tensor(out, [...x.shape.slice(0, -1), n]);
}

/** The float multiplier of a dynamic linear's output column: `f32(f32(w_scale)·f32(x_scale))`. */
export function dynamicMultiplier(weightScale: number, activationScale: number): number {
  return f32(f32(weightScale) * f32(activationScale));
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
