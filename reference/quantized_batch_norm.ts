/**
 * `torch.ops.quantized.batch_norm2d` and `batch_norm2d_relu` (what `nn.quantized.BatchNorm2d`
 * and the fused `BNReLU2d` call) bit for bit as PyTorch 1.13 computes them, and the float32
 * batch norm of eval mode.
 *
 * Every engine runs ATen's code (qbatch_norm.cpp `q_batch_norm2d_impl` → cpu/kernels/
 * QuantizedOpKernels.cpp `q_batch_norm_kernel` on the channels-last copy of the input):
 *
 * 1. Per channel, in `compute_fused_params` (plain float/double arithmetic):
 *    `inv = f32(1.0 / sqrtf(f32(var + f32(eps))))` (a double division),
 *    `alpha = f32(f32(inv · weight) · (x_scale / y_scale))` (the ratio in double),
 *    `beta = f32(f32(bias − f32(f32(mean · inv) · weight)) / y_scale)` (a double division).
 * 2. Per pixel, the channels are split: on AVX2, 32-channel vectors, then (if 8 or more remain)
 *    8-channel vectors, then scalar channels; on AVX-512 (`vectorBlock: 128`) 64-channel vectors,
 *    then scalar channels. Both paths compute `y = fma(alpha, q − x_zp, beta)` (the scalar
 *    `alpha·(q − zp) + beta` is contracted to an FMA by GCC in the AVX2 build):
 *    - vector: `QuantizeAvx2` with scale 1: `min(y, 2147483520)` (NaN → 2147483520), `cvtps2dq`,
 *      `+ y_zp` in wrapping int32, saturated to the dtype; ReLU: `max(code, y_zp)`;
 *    - scalar: `y_zp + lrintf(y)` in int64 (`lrintf` of NaN or of a value outside int64 is
 *      INT64_MIN on x86-64, and the int64 add wraps), ReLU `max(·, y_zp)`, then clamped.
 *    The two differ only where `y` leaves int32 or is NaN (infinite alpha with var 0 and eps 0, or
 *    alpha near 1e15 with var 0 and a tiny eps).
 *
 * Kernel note: the output is a per-channel function of the code (a 256-entry table per channel,
 * built with the channel's path) — or, equivalently, one FMA and a requantization per element.
 * @module
 */
import {
  checkInteger,
  checkLength,
  checkOptions,
  checkScale,
  checkZeroPoint,
  optionalBoolean,
  show,
} from "./_check.ts";
import { input8 } from "./_aten_unary.ts";
import { allocIntRepr, dtypeRange } from "./dtype.ts";
import { f32, fmaF32, roundHalfEven } from "./float32.ts";
import { quantizeVector, VECTOR_BLOCK } from "./quantized_elementwise.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

/** The per-channel float parameters of a batch norm. */
export interface BatchNorm2dParams {
  /** γ, one per channel. */
  readonly weight: Float32Array;
  /** β, one per channel. */
  readonly bias: Float32Array;
  /** The running mean, one per channel. */
  readonly mean: Float32Array;
  /** The running variance, one per channel. */
  readonly var: Float32Array;
  /** ε, a finite number >= 0 (PyTorch uses `float(eps)`). */
  readonly eps: number;
}

/** Options of `quantizedBatchNorm2d`. */
export interface QuantizedBatchNorm2dOptions extends BatchNorm2dParams {
  /** The output scale. */
  readonly outputScale: number;
  /** The output zero point, inside the dtype's range. */
  readonly outputZeroPoint: number;
  /** `batch_norm2d_relu`: clamp below at the output zero point. */
  readonly relu?: boolean;
  /**
   * ATen's vector width: 64 (AVX2, the default: 32- and 8-channel vectors), 128 (AVX-512:
   * 64-channel vectors) or 0 (every channel scalar).
   */
  readonly vectorBlock?: number;
}

/** The fused per-channel `alpha`, `beta` of `compute_fused_params`. */
export interface FusedBatchNorm {
  readonly alpha: Float32Array;
  readonly beta: Float32Array;
}

function checkParams(argument: string, params: BatchNorm2dParams, channels: number): void {
  checkOptions(argument, params, "weight, bias, mean, var, eps, …");
  for (const name of ["weight", "bias", "mean", "var"] as const) {
    const v = params[name];
    if (!(v instanceof Float32Array)) {
      throw new TypeError(`${name}: expected a Float32Array, got ${show(v)}`);
    }
    checkLength(name, v, channels);
  }
  if (typeof params.eps !== "number" || !(params.eps >= 0) || !Number.isFinite(params.eps)) {
    throw new RangeError(`eps: must be a finite number >= 0, got ${show(params.eps)}`);
  }
}

/**
 * `compute_fused_params` (qbatch_norm.cpp): `alpha`, `beta` per channel (see the module).
 * @throws {RangeError} for parameters of the wrong length or a bad eps or scale.
 */
export function batchNormFusedParams(
  params: BatchNorm2dParams,
  scales: { inputScale: number; outputScale: number },
): FusedBatchNorm {
  checkOptions("params", params, "weight, bias, mean, var, eps");
  checkOptions("scales", scales, "inputScale, outputScale");
  const { inputScale, outputScale } = scales;
  const channels = params.weight?.length;
  checkParams("params", params, channels);
  checkScale("inputScale", inputScale);
  checkScale("outputScale", outputScale);
  const alpha = new Float32Array(channels);
  const beta = new Float32Array(channels);
  const ratio = inputScale / outputScale;
  const eps = f32(params.eps);
  for (let c = 0; c < channels; c++) {
    const inv = f32(1 / f32(Math.sqrt(f32(params.var[c] + eps))));
    const w = params.weight[c];
    alpha[c] = f32(f32(inv * w) * ratio);
    beta[c] = f32(f32(params.bias[c] - f32(f32(params.mean[c] * inv) * w)) / outputScale);
  }
  return { alpha, beta };
}

/**
 * The channels of one pixel that ATen's kernel runs as vectors: AVX2 (`vectorBlock` 64) takes
 * `floor(C/32)·32`, then `floor(r/8)·8` of the `r` left when `r >= 8`; AVX-512 (128) takes
 * `floor(C/64)·64`; 0 takes none.
 */
export function batchNormVectorChannels(channels: number, vectorBlock = VECTOR_BLOCK): number {
  if (vectorBlock !== 0 && vectorBlock !== 64 && vectorBlock !== 128) {
    throw new RangeError(`vectorBlock: must be 64 (AVX2), 128 (AVX-512) or 0, got ${vectorBlock}`);
  }
  if (vectorBlock === 0) return 0;
  const lanes = vectorBlock / 2;
  let v = Math.floor(channels / lanes) * lanes;
  if (lanes === 32 && channels - v >= 8) v += Math.floor((channels - v) / 8) * 8;
  return v;
}

const INT64_LIMIT = 9223372036854775808; // 2^63

/**
 * The scalar channels' requantization: `clamp(max?(y_zp + lrintf(y), y_zp))` in int64 as x86-64
 * computes it (see the module).
 */
function scalarChannelCode(
  y: number,
  zeroPoint: number,
  relu: boolean,
  qmin: number,
  qmax: number,
): number {
  const r = roundHalfEven(y);
  // lrintf gives INT64_MIN for NaN and out of range; INT64_MIN + zp wraps to the top for zp < 0.
  const atInt64Min = !(r > -INT64_LIMIT && r < INT64_LIMIT);
  let q = atInt64Min ? (zeroPoint < 0 ? qmax : qmin) : r + zeroPoint;
  if (relu && q < zeroPoint) q = zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * `torch.ops.quantized.batch_norm2d` (or `batch_norm2d_relu` with `relu`) of a per-tensor
 * quint8 or qint8 NCHW tensor: the result is NCHW with the output qparams. An empty input is
 * returned as a copy with the input's qparams, as PyTorch does.
 * @throws {RangeError} for a tensor that is not 4-d, parameters that are not `C` float32 values,
 * a bad eps, output scale, zero point or vectorBlock.
 */
export function quantizedBatchNorm2d(
  x: QuantizedTensor,
  options: QuantizedBatchNorm2dOptions,
): QuantizedTensor {
  const input = input8("x", x);
  if (x.shape.length !== 4) {
    throw new RangeError(`x: expected a 4-d NCHW tensor, got shape [${x.shape}]`);
  }
  const [n, c, h, w] = x.shape;
  checkParams("options", options, c);
  checkScale("outputScale", options.outputScale);
  checkZeroPoint("outputZeroPoint", options.outputZeroPoint, x.dtype);
  const relu = optionalBoolean("relu", options.relu, false);
  const vectorBlock = options.vectorBlock ?? VECTOR_BLOCK;
  checkInteger("vectorBlock", vectorBlock);
  const nv = batchNormVectorChannels(c, vectorBlock);
  if (x.size === 0) return new QuantizedTensor(x.intRepr.slice(), x.shape, x.dtype, x.qparams);
  const { alpha, beta } = batchNormFusedParams(options, {
    inputScale: input.scale,
    outputScale: options.outputScale,
  });
  const zo = options.outputZeroPoint;
  const { min, max } = dtypeRange(x.dtype);
  const out = allocIntRepr(x.dtype, x.size);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) {
        const y = fmaF32(alpha[ch], x.intRepr[base + i] - input.zeroPoint, beta[ch]);
        let q: number;
        if (ch < nv) {
          q = quantizeVector(y, 1, zo, min, max);
          if (relu && q < zo) q = zo;
        } else {
          q = scalarChannelCode(y, zo, relu, min, max);
        }
        out[base + i] = q;
      }
    }
  }
  return new QuantizedTensor(out, x.shape, x.dtype, {
    qscheme: "per_tensor_affine",
    scale: options.outputScale,
    zeroPoint: zo,
  });
}

/**
 * `F.batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps)` on a
 * float32 NCHW tensor (cpu/batch_norm_kernel.cpp, contiguous path): per channel
 * `alpha = f32(f32(1 / sqrtf(f32(var + f32(eps)))) · weight)`, `beta = fma(−mean, alpha, bias)`,
 * and per element `fma(x, alpha, beta)` (GCC contracts both in the AVX2 build).
 */
export function floatBatchNorm2d(x: Tensor, params: BatchNorm2dParams): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`x: expected a Tensor, got ${show(x)}`);
  if (x.shape.length !== 4) {
    throw new RangeError(`x: expected a 4-d NCHW tensor, got shape [${x.shape}]`);
  }
  const [n, c, h, w] = x.shape;
  checkParams("params", params, c);
  const eps = f32(params.eps);
  const out = new Float32Array(x.size);
  const hw = h * w;
  for (let ch = 0; ch < c; ch++) {
    const inv = f32(1 / f32(Math.sqrt(f32(params.var[ch] + eps))));
    const alpha = f32(inv * params.weight[ch]);
    const beta = fmaF32(-params.mean[ch], alpha, params.bias[ch]);
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) out[base + i] = fmaF32(x.data[base + i], alpha, beta);
    }
  }
  return new Tensor(out, x.shape);
}
