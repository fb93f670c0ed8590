/**
 * Quantized 2-D convolution — `torch.ops.quantized.conv2d[_relu]` — with the integer arithmetic of
 * each numerics (docs/numerics/linear_conv.md). Layout is PyTorch's logical NCHW for activations
 * and OIHW for weights; the integer work is done on NHWC im2col rows in the order (kh, kw, c), as
 * the engines see them, and every output channel is a GEMM column requantized exactly as the linear
 * layers do (`staticRequantizer` of reference/quantized_linear.ts):
 *
 * - **qnnpack** (aten/src/ATen/native/quantized/cpu/qconv.cpp `PackedConvWeightsQnnp::apply_impl`,
 *   q8conv/q8dwconv/q8gemm kernels): padding taps read the input zero point and contribute 0,
 *   exact accumulation, so one formula covers QNNPACK's GEMM (1×1), indirect-conv and depthwise
 *   kernels [V: golden/conv_qnnpack.json].
 * - **fbgemm** (qconv.cpp `PackedConvWeight::apply_impl` with FBGEMM's `fbgemmConv`): every FBGEMM
 *   path — im2col GEMM, pointwise, groupwise and depthwise — pairs products along each group's
 *   (kh, kw, c) row with int16 saturation [V: golden/fbgemm/conv_fbgemm.json].
 * - **fbgemm_avx512_vnni**: exact accumulation, except that FBGEMM's depthwise kernels
 *   (`fbgemmDepthwiseFastPath`: AVX2 code on every CPU) still saturate
 *   [V: golden/fbgemm/avx512_vnni/conv_fbgemm_native.json].
 * - **onednn** (qconv.cpp `PackedConvWeightsOnednn::apply_impl`): exact accumulation with padding
 *   at the zero point, oneDNN's requantization (reference/onednn.ts) [V: golden/conv_onednn.json].
 *
 * Where builds disagree (QNNPACK only: a scaled accumulator beyond int32, which x86 converts to
 * INT32_MIN and ARM saturates, and a quantized bias beyond int32, see `qnnpackConvScaleTerms`)
 * this reference saturates and names the outputs (`conv2dBuildDependent`).
 * @module
 */
import {
  checkBoolean,
  checkInteger,
  checkNumbers,
  checkObject,
  checkOptions,
  checkQuantizedTensor,
  checkScale,
  checkTensor,
  checkTypedArray,
  checkZeroPoint,
  type IntPair,
  optionalBoolean,
  pair,
  show,
} from "./_check.ts";
import { convNumerics, type Engine, type Numerics } from "./engine.ts";
import { checkOnednnWeight } from "./onednn.ts";
import { f32, reciprocalF32 } from "./float32.ts";
import { quantizeVal } from "./quantize.ts";
import {
  columnOffsets,
  exactDot,
  fbgemmDot,
  gemmDot,
  linearIsBuildDependent,
  type LinearWeight,
  qnnpackScaleTerms,
  type StaticLinearParams,
  staticRequantizer,
} from "./quantized_linear.ts";
import { QuantizedTensor, type Tensor } from "./tensor.ts";

/** A quantized conv2d weight: qint8 OIHW, per tensor or per output channel, and a float bias. */
export interface ConvWeight {
  /** Weight codes, row-major `[outChannels, inChannelsPerGroup, kernelH, kernelW]`. */
  readonly data: Int8Array;
  /** Output channels (O). */
  readonly outChannels: number;
  /** Input channels of one group (I = C_in / groups). */
  readonly inChannelsPerGroup: number;
  /** Kernel height. */
  readonly kernelH: number;
  /** Kernel width. */
  readonly kernelW: number;
  /** One scale (per tensor) or `outChannels` scales (per channel), as doubles. */
  readonly scales: Float64Array;
  /** One zero point or `outChannels` zero points (qint8 codes). */
  readonly zeroPoints: Int32Array;
  /** Whether the weight is quantized per output channel (FBGEMM then divides the bias). */
  readonly perChannel: boolean;
  /** The float32 bias `[outChannels]`, or null. */
  readonly bias: Float32Array | null;
}

/**
 * Builds a ConvWeight from a qint8 QuantizedTensor `[O, I, kH, kW]` (per tensor, or per channel
 * on axis 0) and an optional float bias, checking shapes and qparams.
 * @throws {TypeError} for a dtype other than qint8; {RangeError} for a bad shape, qscheme,
 * scale, zero point or bias length.
 */
export function convWeight(w: QuantizedTensor, bias: Tensor | null = null): ConvWeight {
  checkQuantizedTensor("w", w);
  if (bias !== null) checkTensor("bias", bias);
  if (w.dtype !== "qint8") throw new TypeError(`weight: must be qint8, got ${w.dtype}`);
  if (w.shape.length !== 4) {
    throw new RangeError(`weight: must be 4-D [out, in/groups, kH, kW], got shape [${w.shape}]`);
  }
  const [o, i, kh, kw] = w.shape;
  if (o < 1 || i < 1 || kh < 1 || kw < 1) {
    throw new RangeError(`weight: every dimension must be >= 1, got shape [${w.shape}]`);
  }
  const qp = w.qparams;
  let scales: Float64Array;
  let zeroPoints: Int32Array;
  let perChannel: boolean;
  if (qp.qscheme === "per_tensor_affine") {
    scales = Float64Array.of(qp.scale);
    zeroPoints = Int32Array.of(qp.zeroPoint);
    perChannel = false;
  } else if (qp.qscheme === "per_channel_affine" && qp.axis === 0) {
    scales = Float64Array.from(qp.scales);
    zeroPoints = Int32Array.from(qp.zeroPoints);
    perChannel = true;
  } else {
    throw new RangeError(
      `weight: must be per tensor or per channel on axis 0, got ${qp.qscheme}` +
        ("axis" in qp ? ` on axis ${qp.axis}` : ""),
    );
  }
  const weight: ConvWeight = {
    data: w.intRepr as Int8Array,
    outChannels: o,
    inChannelsPerGroup: i,
    kernelH: kh,
    kernelW: kw,
    scales,
    zeroPoints,
    perChannel,
    bias: bias?.data ?? null,
  };
  checkConvWeight(weight);
  return weight;
}

/**
 * Checks a ConvWeight (however it was built): sizes, codes, qparams and bias. `quantizedConv2d`
 * and every kernel set's `packConv2d` call it.
 */
export function checkConvWeight(weight: ConvWeight): void {
  checkObject("weight", weight, "a ConvWeight (convWeight(w, bias) builds one)");
  const { outChannels: o, inChannelsPerGroup: i, kernelH: kh, kernelW: kw } = weight;
  for (
    const [name, v] of [["outChannels", o], ["inChannelsPerGroup", i], ["kernelH", kh], [
      "kernelW",
      kw,
    ]] as const
  ) {
    checkInteger(`weight.${name}`, v);
    if (v < 1) throw new RangeError(`weight.${name}: must be >= 1, got ${v}`);
  }
  checkTypedArray("weight.data", weight.data, Int8Array, "qint8 codes");
  if (weight.data.length !== o * i * kh * kw) {
    throw new RangeError(
      `weight.data: expected ${
        o * i * kh * kw
      } codes for [${o}, ${i}, ${kh}, ${kw}], got ${weight.data.length}`,
    );
  }
  checkBoolean("weight.perChannel", weight.perChannel);
  checkNumbers("weight.scales", weight.scales);
  checkNumbers("weight.zeroPoints", weight.zeroPoints);
  const channels = weight.perChannel ? o : 1;
  if (weight.scales.length !== channels || weight.zeroPoints.length !== channels) {
    throw new RangeError(
      `weight: ${weight.perChannel ? "per-channel" : "per-tensor"} qparams need ${channels} ` +
        `scale(s) and zero point(s), got ${weight.scales.length} and ${weight.zeroPoints.length}`,
    );
  }
  weight.scales.forEach((s, c) => checkScale(`weight scales[${c}]`, s));
  weight.zeroPoints.forEach((z, c) => checkZeroPoint(`weight zero points[${c}]`, z, "qint8"));
  if (weight.bias !== null) {
    checkTypedArray("weight.bias", weight.bias, Float32Array, "float32 biases (or null)");
  }
  if (weight.bias !== null && weight.bias.length !== o) {
    throw new RangeError(
      `bias: expected ${o} values (one per output channel), got ${weight.bias.length}`,
    );
  }
}

/** The geometry of a 2-D convolution, every field a `[height, width]` pair except groups. */
export interface Conv2dGeometry {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/** Options of `quantizedConv2d`. */
export interface QuantizedConv2dOptions {
  /** Which arithmetic to reproduce: a numerics, or a backend on its modelled CPU. */
  engine: Engine;
  /** Stride, default 1. */
  stride?: IntPair;
  /** Zero padding on each side, default 0. */
  padding?: IntPair;
  /** Dilation, default 1. */
  dilation?: IntPair;
  /** Groups, default 1; `groups == C_in` is depthwise. */
  groups?: number;
  /** The output scale. */
  outputScale: number;
  /** The output zero point (quint8). */
  outputZeroPoint: number;
  /** Fuse a ReLU (`quantized::conv2d_relu`): the output is clamped below at its zero point. */
  relu?: boolean;
}

/**
 * The output size of one spatial dimension of a convolution (or pooling without ceil mode):
 * `floor((input + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1`
 * (aten/src/ATen/native/ConvUtils.h `conv_output_size`). May be <= 0 for an input too small.
 */
export function convOutputSize(
  input: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
): number {
  return Math.floor((input + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Checks and normalises the geometry options (stride and dilation >= 1, padding >= 0,
 * groups >= 1).
 * @throws {RangeError} naming the bad option.
 */
export function conv2dGeometry(options: {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  groups?: number;
}): Conv2dGeometry {
  checkOptions("options", options, "stride?, padding?, dilation?, groups?");
  const groups = options.groups === undefined ? 1 : options.groups;
  if (typeof groups !== "number" || !Number.isInteger(groups) || groups < 1) {
    throw new RangeError(`groups: expected an integer >= 1, got ${show(groups)}`);
  }
  return {
    stride: pair("stride", options.stride, 1, 1),
    padding: pair("padding", options.padding, 0, 0),
    dilation: pair("dilation", options.dilation, 1, 1),
    groups,
  };
}

/** The output shape `[N, O, OH, OW]` of a conv, checking channel counts and sizes. */
export function conv2dOutputShape(
  inputShape: readonly number[],
  weight: ConvWeight,
  geometry: Conv2dGeometry,
): [number, number, number, number] {
  if (inputShape.length !== 4) {
    throw new RangeError(`x: must be 4-D NCHW, got shape [${inputShape}]`);
  }
  const [n, c, h, w] = inputShape;
  const { groups } = geometry;
  if (c % groups !== 0) {
    throw new RangeError(`groups: ${groups} does not divide the ${c} input channels`);
  }
  if (weight.outChannels % groups !== 0) {
    throw new RangeError(
      `groups: ${groups} does not divide the weight's ${weight.outChannels} output channels`,
    );
  }
  if (c / groups !== weight.inChannelsPerGroup) {
    throw new RangeError(
      `x: ${c} input channels in ${groups} group(s) need a weight of ${c / groups} input ` +
        `channels per group, got ${weight.inChannelsPerGroup}`,
    );
  }
  const oh = convOutputSize(
    h,
    weight.kernelH,
    geometry.stride[0],
    geometry.padding[0],
    geometry.dilation[0],
  );
  const ow = convOutputSize(
    w,
    weight.kernelW,
    geometry.stride[1],
    geometry.padding[1],
    geometry.dilation[1],
  );
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `x: input ${h}x${w} is too small for kernel ${weight.kernelH}x${weight.kernelW} with ` +
        `padding [${geometry.padding}] and dilation [${geometry.dilation}] (output ${oh}x${ow})`,
    );
  }
  return [n, weight.outChannels, oh, ow];
}

/**
 * The im2col rows of one image and one group: `[OH·OW, K]` uint8 with `K = kH·kW·Cg` in the order
 * (kh, kw, c) of an NHWC image, padding taps filled with `zeroPoint` (FBGEMM's `PackAWithIm2Col`;
 * for QNNPACK the same values an indirection buffer reads).
 * @param x the NCHW input codes
 * @param shape `[N, C, H, W]`
 * @param image the batch index
 * @param group the group index
 */
export function im2colNhwc(
  x: Uint8Array,
  shape: readonly number[],
  image: number,
  group: number,
  kernel: readonly [number, number],
  geometry: Conv2dGeometry,
  zeroPoint: number,
): Uint8Array {
  const [, c, h, w] = shape;
  const [kh, kw] = kernel;
  const cg = c / geometry.groups;
  const [sh, sw] = geometry.stride;
  const [ph, pw] = geometry.padding;
  const [dh, dw] = geometry.dilation;
  const oh = convOutputSize(h, kh, sh, ph, dh);
  const ow = convOutputSize(w, kw, sw, pw, dw);
  const k = kh * kw * cg;
  const rows = new Uint8Array(oh * ow * k);
  const base = (image * c + group * cg) * h * w;
  for (let y = 0; y < oh; y++) {
    for (let xo = 0; xo < ow; xo++) {
      let p = (y * ow + xo) * k;
      for (let r = 0; r < kh; r++) {
        const iy = y * sh - ph + r * dh;
        for (let s = 0; s < kw; s++) {
          const ix = xo * sw - pw + s * dw;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          for (let ci = 0; ci < cg; ci++) {
            rows[p++] = inside ? x[base + ci * h * w + iy * w + ix] : zeroPoint;
          }
        }
      }
    }
  }
  return rows;
}

/**
 * The conv weight as a GEMM weight: `[O, K]` with each output channel's `K = kH·kW·I` codes in
 * the (kh, kw, c) order of `im2colNhwc`, the qparams and bias unchanged (every output channel
 * multiplies the im2col row of its own group).
 */
export function convWeightAsLinear(weight: ConvWeight): LinearWeight {
  const { outChannels: o, inChannelsPerGroup: ci, kernelH: kh, kernelW: kw } = weight;
  const k = kh * kw * ci;
  const data = new Int8Array(o * k);
  for (let oc = 0; oc < o; oc++) {
    for (let r = 0; r < kh; r++) {
      for (let s = 0; s < kw; s++) {
        for (let c = 0; c < ci; c++) {
          data[oc * k + (r * kw + s) * ci + c] = weight.data[((oc * ci + c) * kh + r) * kw + s];
        }
      }
    }
  }
  return {
    data,
    outFeatures: o,
    inFeatures: k,
    perChannel: weight.perChannel,
    scales: weight.scales,
    zeroPoints: weight.zeroPoints,
    bias: weight.bias,
  };
}

/** Static conv parameters: the geometry plus the quantization of input and output. */
export type Conv2dParams = Conv2dGeometry & StaticLinearParams;

/**
 * A conv2d on raw codes: NCHW uint8 input `shape` → NCHW uint8 output. `buildDependent`, when
 * given (length of the output), receives 1 where the scaled accumulator leaves int32.
 */
export type Conv2dImpl = (
  x: Uint8Array,
  shape: readonly number[],
  weight: ConvWeight,
  params: Conv2dParams,
  buildDependent?: Uint8Array,
) => Uint8Array;

/**
 * Whether FBGEMM runs a conv on its depthwise kernel (FbgemmConv.cc `takeDepthWiseFastPath`):
 * one input channel per group, one or two output channels per group, groups a multiple of 8, a
 * square 3×3, 5×5 or 7×7 kernel with "same" padding `(k − 1)/2`, stride 1 or 2, no dilation.
 */
export function fbgemmDepthwiseFastPath(weight: ConvWeight, geometry: Conv2dGeometry): boolean {
  const { groups, stride, padding, dilation } = geometry;
  const k = weight.kernelH;
  return weight.inChannelsPerGroup === 1 && groups % 8 === 0 &&
    (weight.outChannels === groups || weight.outChannels === 2 * groups) &&
    weight.kernelW === k && (k === 3 || k === 5 || k === 7) &&
    stride.every((s) => s === 1 || s === 2) && dilation.every((d) => d === 1) &&
    padding.every((p) => p === (k - 1) / 2);
}

/**
 * The raw dot product of a conv under a numerics: FBGEMM AVX2 saturates int16 pairs; on AVX-512
 * VNNI FBGEMM's depthwise kernel still does (it is AVX2 code), the rest is exact.
 */
export function convDot(numerics: Numerics, weight: ConvWeight, geometry: Conv2dGeometry) {
  if (numerics === "fbgemm_avx512_vnni") {
    return fbgemmDepthwiseFastPath(weight, geometry) ? fbgemmDot : exactDot;
  }
  return gemmDot(numerics);
}

function conv2dWith(
  numerics: Numerics,
  x: Uint8Array,
  shape: readonly number[],
  weight: ConvWeight,
  p: Conv2dParams,
  buildDependent?: Uint8Array,
): Uint8Array {
  const [n, o, oh, ow] = conv2dOutputShape(shape, weight, p);
  if (numerics === "onednn") checkOnednnWeight(weight.zeroPoints);
  const gemm = convWeightAsLinear(weight);
  const k = gemm.inFeatures;
  const og = o / p.groups;
  const zp = (c: number) => weight.zeroPoints[weight.perChannel ? c : 0];
  const out = new Uint8Array(n * o * oh * ow);
  const positions = oh * ow;
  const dot = convDot(numerics, weight, p);
  const colOffsets = columnOffsets(gemm);
  // QNNPACK: overflowing biases (build-dependent) and the scaled value, to mark outputs.
  const qn = numerics === "qnnpack" ? qnnpackConvScaleTerms(gemm, weight, p) : null;
  const requantize = staticRequantizer(numerics, gemm, p, qn?.biasInt32);
  for (let img = 0; img < n; img++) {
    for (let g = 0; g < p.groups; g++) {
      const rows = im2colNhwc(
        x,
        shape,
        img,
        g,
        [weight.kernelH, weight.kernelW],
        p,
        p.inputZeroPoint,
      );
      for (let pos = 0; pos < positions; pos++) {
        let rowSum = 0;
        for (let i = 0; i < k; i++) rowSum += rows[pos * k + i];
        for (let j = 0; j < og; j++) {
          const c = g * og + j;
          const acc = (dot(rows, pos * k, gemm.data, c * k, k) -
            Math.imul(p.inputZeroPoint, colOffsets[c]) - Math.imul(rowSum, zp(c))) | 0;
          const index = ((img * o + c) * oh) * ow + pos;
          if (buildDependent !== undefined && qn !== null) {
            const scaled = f32(f32((acc + qn.biasInt32[c]) | 0) * qn.multipliers[c]);
            if (linearIsBuildDependent(scaled) || qn.biasOverflow[c] === 1) {
              buildDependent[index] = 1;
            }
          }
          out[index] = requantize(acc, c);
        }
      }
    }
  }
  return out;
}

/** Whether QNNPACK runs a conv as a plain GEMM: a 1×1 kernel, stride 1, no padding. */
export function qnnpackConvIsGemm(weight: ConvWeight, geometry: Conv2dGeometry): boolean {
  return weight.kernelH === 1 && weight.kernelW === 1 && geometry.stride[0] === 1 &&
    geometry.stride[1] === 1 && geometry.padding[0] === 0 && geometry.padding[1] === 0;
}

/**
 * QNNPACK's per-channel conv constants: `qnnpackScaleTerms` of the GEMM weight, except that a
 * bias whose quantized value leaves int32 becomes INT32_MIN (whatever its sign) on every kernel
 * but the GEMM one (1×1, stride 1, unpadded), where it saturates [V: this machine, x86-64; the
 * x86 float→int32 conversion's "integer indefinite" — ARM would saturate]. `biasOverflow` marks
 * those channels (build-dependent).
 */
export function qnnpackConvScaleTerms(
  gemm: LinearWeight,
  weight: ConvWeight,
  p: Conv2dParams,
): { biasInt32: Int32Array; multipliers: Float32Array; biasOverflow: Uint8Array } {
  const terms = qnnpackScaleTerms(gemm, p.inputScale, p.outputScale);
  const biasInt32 = Int32Array.from(terms.biasInt32);
  const biasOverflow = new Uint8Array(weight.outChannels);
  if (weight.bias !== null) {
    const isGemm = qnnpackConvIsGemm(weight, p);
    for (let c = 0; c < weight.outChannels; c++) {
      const ws = weight.scales[weight.perChannel ? c : 0];
      const raw = quantizeVal(
        weight.bias[c],
        reciprocalF32(ws * p.inputScale),
        0,
        -Infinity,
        Infinity,
      );
      if (!(raw >= -2147483648 && raw <= 2147483647)) {
        biasOverflow[c] = 1;
        if (!isGemm) biasInt32[c] = -2147483648;
      }
    }
  }
  return { biasInt32, multipliers: terms.multipliers, biasOverflow };
}

/** QNNPACK conv2d on raw codes (see the module documentation). */
export const conv2dQnnpack: Conv2dImpl = (x, shape, weight, params, buildDependent) =>
  conv2dWith("qnnpack", x, shape, weight, params, buildDependent);

/** FBGEMM (AVX2) conv2d on raw codes (see the module documentation). */
export const conv2dFbgemm: Conv2dImpl = (x, shape, weight, params, buildDependent) =>
  conv2dWith("fbgemm", x, shape, weight, params, buildDependent);

/** FBGEMM on AVX-512 VNNI: exact, except on FBGEMM's depthwise kernel. */
export const conv2dFbgemmAvx512Vnni: Conv2dImpl = (x, shape, weight, params, buildDependent) =>
  conv2dWith("fbgemm_avx512_vnni", x, shape, weight, params, buildDependent);

/** oneDNN conv2d on raw codes (symmetric weights only). */
export const conv2dOnednn: Conv2dImpl = (x, shape, weight, params, buildDependent) =>
  conv2dWith("onednn", x, shape, weight, params, buildDependent);

/** The reference conv2d of each numerics. */
export const REFERENCE_CONV2D: Readonly<Record<Numerics, Conv2dImpl>> = {
  fbgemm: conv2dFbgemm,
  fbgemm_avx512_vnni: conv2dFbgemmAvx512Vnni,
  onednn: conv2dOnednn,
  qnnpack: conv2dQnnpack,
};

/**
 * The numerics a conv runs with under an engine: for the `x86` backend this follows PyTorch's
 * dispatch (oneDNN for a symmetric weight and at most 100 groups on an AVX-512 VNNI CPU).
 */
export function conv2dNumerics(engine: Engine, weight: ConvWeight, groups: number): Numerics {
  return convNumerics(engine, {
    weightSymmetric: Array.from(weight.zeroPoints).every((z) => z === 0),
    groups,
  });
}

/** Checks and normalises the options of `quantizedConv2d` into Conv2dParams. */
export function conv2dParams(
  x: QuantizedTensor,
  weight: ConvWeight,
  options: QuantizedConv2dOptions,
): Conv2dParams {
  checkQuantizedTensor("x", x);
  checkOptions(
    "options",
    options,
    "engine, outputScale, outputZeroPoint, stride?, padding?, dilation?, groups?, relu?",
  );
  if (x.dtype !== "quint8" || x.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(
      `x: must be a per-tensor quint8 tensor, got ${x.dtype} ${x.qparams.qscheme}`,
    );
  }
  checkConvWeight(weight);
  checkScale("x scale", x.qparams.scale);
  checkZeroPoint("x zero point", x.qparams.zeroPoint, "quint8");
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, "quint8");
  const relu = optionalBoolean("relu", options.relu, false);
  const geometry = conv2dGeometry(options);
  conv2dOutputShape(x.shape, weight, geometry);
  return {
    ...geometry,
    inputScale: x.qparams.scale,
    inputZeroPoint: x.qparams.zeroPoint,
    outputScale: options.outputScale,
    outputZeroPoint: options.outputZeroPoint,
    relu,
  };
}

/**
 * `torch.ops.quantized.conv2d(x, packed_weight, y_scale, y_zero_point)` (or `conv2d_relu`) with
 * the packed weight's stride, padding, dilation and groups: quint8 NCHW input, qint8 OIHW weight,
 * quint8 NCHW output `[N, O, OH, OW]`.
 * @throws {TypeError} for a non-quint8 input; {RangeError} for bad geometry (stride, padding,
 * dilation, groups), channel counts that groups do not divide, an input too small, bad qparams.
 * @example
 * ```ts
 * const y = quantizedConv2d(x, convWeight(wq, bias), {
 *   engine: "qnnpack", stride: 2, padding: 1, outputScale: 0.05, outputZeroPoint: 128,
 * });
 * ```
 */
export function quantizedConv2d(
  x: QuantizedTensor,
  weight: ConvWeight,
  options: QuantizedConv2dOptions,
): QuantizedTensor {
  const params = conv2dParams(x, weight, options);
  const numerics = conv2dNumerics(options.engine, weight, params.groups);
  const y = REFERENCE_CONV2D[numerics](x.intRepr as Uint8Array, x.shape, weight, params);
  return new QuantizedTensor(y, conv2dOutputShape(x.shape, weight, params), "quint8", {
    qscheme: "per_tensor_affine",
    scale: options.outputScale,
    zeroPoint: options.outputZeroPoint,
  });
}

/**
 * Marks the outputs of a conv where PyTorch builds disagree: under QNNPACK's numerics a scaled
 * accumulator beyond int32 (x86 `cvtps2dq` gives INT32_MIN, ARM saturates; this reference
 * saturates) or a quantized bias beyond int32. The other numerics model one build exactly.
 */
export function conv2dBuildDependent(
  x: QuantizedTensor,
  weight: ConvWeight,
  options: QuantizedConv2dOptions,
): Uint8Array {
  const params = conv2dParams(x, weight, options);
  const [n, o, oh, ow] = conv2dOutputShape(x.shape, weight, params);
  const mask = new Uint8Array(n * o * oh * ow);
  REFERENCE_CONV2D[conv2dNumerics(options.engine, weight, params.groups)](
    x.intRepr as Uint8Array,
    x.shape,
    weight,
    params,
    mask,
  );
  return mask;
}
