/**
 * Quantized 2-D pooling — `max_pool2d`, `avg_pool2d` and `adaptive_avg_pool2d` of quantized
 * tensors — bit for bit as PyTorch 1.13 computes them (docs/numerics/pooling.md). The output keeps
 * the input's qparams. Tensors are NCHW (or CHW); PyTorch picks one of three kernels, which this
 * reference names as a `PoolKernel`:
 *
 * - `qnnpack`: QNNPACK's operators, taken under the qnnpack engine for quint8 4-D inputs without
 *   ceil mode (aten/src/ATen/native/quantized/cpu/Pooling.cpp `qnnpack_maxpool2d`,
 *   AveragePool2d.cpp `qnnpack_avg_pool2d`, AdaptiveAveragePooling.cpp
 *   `qnnpack_adaptive_avg_pool2d` when the output size divides the input size; qnnpack/src/
 *   max-pooling.c, average-pooling.c, indirection.c).
 * - `nhwc`: ATen's channels-last kernels (cpu/kernels/QuantizedOpKernels.cpp
 *   `qmaxpool_2d_nhwc_kernel`, `qavg_pool2d_nhwc_kernel`, `qadaptive_avg_pool3d_ndhwc_kernel`),
 *   taken when the input is channels-last contiguous — which a NCHW-contiguous tensor with C == 1
 *   or H·W == 1 also is.
 * - `nchw`: ATen's plain loops (`spatial_dilated_max_pooling`, `avg_pool2d_out_frame`,
 *   `adaptive_avg_pool_single_out_frame`) otherwise.
 *
 * `poolKernel` reproduces PyTorch's choice; an explicit `pytorchKernel` option overrides it. All
 * three formulas were found by randomized comparison with PyTorch 1.13 on this machine
 * (thousands of cases, both engines, quint8 and qint8, NCHW and channels-last, ceil mode, padding, dilation,
 * count_include_pad and divisor_override) and are recorded in golden/pool_*.json.
 * @module
 */
import {
  checkInteger,
  checkOptions,
  checkQuantizedTensor,
  checkScale,
  checkZeroPoint,
  type IntPair,
  optionalBoolean,
  pair,
} from "./_check.ts";
import { dtypeRange, type IntRepr } from "./dtype.ts";
import { checkEngine, type Engine } from "./engine.ts";
import { clamp, f32, roundHalfEven, saturateInt16 } from "./float32.ts";
import { QuantizedTensor } from "./tensor.ts";
import { toNhwc } from "./layout.ts";

/** Which of PyTorch's pooling kernels to reproduce (see the module documentation). */
export type PoolKernel = "qnnpack" | "nchw" | "nhwc";

/** Options every pooling op shares. */
export interface PoolCommonOptions {
  /** The quantized engine in effect (`torch.backends.quantized.engine`). */
  engine: Engine;
  /**
   * Whether the input is stored channels-last (NHWC); the default `false` means NCHW-contiguous
   * storage. Only selects the kernel (the data is always given in logical NCHW order).
   */
  channelsLast?: boolean;
  /** Force a PyTorch kernel instead of PyTorch's dispatch. */
  pytorchKernel?: PoolKernel;
}

/**
 * The output size of one dimension of a pooling window (aten/src/ATen/native/Pool.h
 * `pooling_output_shape`): `floor((n + 2p − d(k−1) − 1 + (ceil ? s − 1 : 0)) / s) + 1`, reduced by
 * one in ceil mode when the last window would start beyond the input and its left padding.
 */
export function poolOutputSize(
  input: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  ceilMode: boolean,
): number {
  let out = Math.floor(
    (input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride,
  ) + 1;
  if (ceilMode && (out - 1) * stride >= input + padding) out--;
  return out;
}

/** Normalises an NCHW or CHW input to `{n, c, h, w}` and checks its dtype and qparams. */
function poolInput(x: QuantizedTensor) {
  checkQuantizedTensor("x", x);
  if (x.dtype !== "quint8" && x.dtype !== "qint8") {
    throw new TypeError(`x: must be quint8 or qint8, got ${x.dtype}`);
  }
  if (x.qparams.qscheme !== "per_tensor_affine") {
    throw new TypeError(`x: must be quantized per tensor, got ${x.qparams.qscheme}`);
  }
  checkScale("x scale", x.qparams.scale);
  checkZeroPoint("x zero point", x.qparams.zeroPoint, x.dtype);
  const s = x.shape;
  if (s.length !== 3 && s.length !== 4) {
    throw new RangeError(`x: must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape [${s}]`);
  }
  const [n, c, h, w] = s.length === 4 ? s : [1, ...s];
  if (c < 1 || h < 1 || w < 1) {
    throw new RangeError(`x: channel and spatial dimensions must be >= 1, got shape [${s}]`);
  }
  return { n, c, h, w, scale: x.qparams.scale, zeroPoint: x.qparams.zeroPoint };
}

/**
 * The kernel PyTorch 1.13 runs: `qnnpack` under the qnnpack engine for a quint8 4-D input when
 * `qnnpackEligible` (no ceil mode; for adaptive pooling an output size dividing the input size);
 * otherwise `nhwc` for a channels-last-contiguous input (`channelsLast`, or C == 1, or H·W == 1)
 * and `nchw` for the rest.
 */
export function poolKernel(
  x: QuantizedTensor,
  engine: Engine,
  options: { channelsLast?: boolean; qnnpackEligible: boolean },
): PoolKernel {
  checkEngine(engine);
  if (
    engine === "qnnpack" && x.dtype === "quint8" && x.shape.length === 4 && options.qnnpackEligible
  ) {
    return "qnnpack";
  }
  const s = x.shape;
  if (s.length !== 4) return "nchw"; // ChannelsLast is a 4-D memory format
  const channelsLast = optionalBoolean("channelsLast", options.channelsLast, false) || s[1] === 1 ||
    s[2] * s[3] === 1;
  return channelsLast ? "nhwc" : "nchw";
}

/**
 * The output tensor. PyTorch 1.13 quirk, reproduced: an input with H·W == 1 (and C > 1) is both
 * NCHW- and channels-last-contiguous, so the `nhwc` kernel runs, but the output is allocated
 * NCHW-contiguous; the kernel writes its NHWC order into it, so PyTorch's logical output is the
 * NHWC-ordered data read as NCHW (visible when padding, ceil mode or upsampling makes the output
 * larger than 1×1).
 */
function outputTensor(
  x: QuantizedTensor,
  data: IntRepr,
  oh: number,
  ow: number,
  kernel: PoolKernel,
) {
  const shape = [...x.shape.slice(0, -2), oh, ow];
  const nchw = shape.length === 4 ? shape : [1, ...shape];
  const stored = nhwcReadAsNchw(x.shape, shape, kernel)
    ? toNhwc(data as Uint8Array | Int8Array, nchw)
    : data;
  return new QuantizedTensor(stored, shape, x.dtype, x.qparams);
}

/**
 * Whether PyTorch 1.13's pooling output holds NHWC-ordered data under NCHW strides (see
 * `outputTensor`): the `nhwc` kernel, an input of H·W == 1 with C > 1, an output larger than 1×1.
 */
export function nhwcReadAsNchw(
  inputShape: readonly number[],
  outputShape: readonly number[],
  kernel: PoolKernel,
): boolean {
  const [h, w] = inputShape.slice(-2);
  const [oh, ow] = outputShape.slice(-2);
  const c = inputShape[inputShape.length - 3];
  return kernel === "nhwc" && h * w === 1 && c > 1 && oh * ow > 1;
}

// ---------------------------------------------------------------------------------------------
// max pool

/** Options of `quantizedMaxPool2d`. */
export interface QuantizedMaxPool2dOptions extends PoolCommonOptions {
  /** The window size. */
  kernelSize: IntPair;
  /** Default: the kernel size. */
  stride?: IntPair;
  /** Implicit padding on each side (at most half the kernel), default 0. */
  padding?: IntPair;
  /** Default 1. */
  dilation?: IntPair;
  /** Ceil instead of floor in the output size, default false. */
  ceilMode?: boolean;
}

/**
 * `torch.nn.functional.max_pool2d` of a quantized tensor: the largest code of each window.
 * - `nchw`/`nhwc`: over the taps inside the input (padding is ignored); a window with no tap
 *   inside gives the dtype's lowest code.
 * - `qnnpack`: QNNPACK's indirection buffer clamps every tap's row and column into the input
 *   (`doz` then `min(·, size − 1)`), so with dilation a padded tap can read an input element that
 *   lies outside the window. QNNPACK refuses a 1×1 window.
 * @throws {RangeError} for bad geometry (kernel, stride or dilation < 1, padding above half the
 * kernel), an output size below 1, or a 1×1 window on the qnnpack kernel.
 */
export function quantizedMaxPool2d(
  x: QuantizedTensor,
  options: QuantizedMaxPool2dOptions,
): QuantizedTensor {
  const { n, c, h, w } = poolInput(x);
  checkOptions("options", options, "engine, kernelSize, stride?, padding?, dilation?, …");
  const [kh, kw] = pair("kernelSize", options.kernelSize, 1, [0, 0]);
  const [sh, sw] = pair("stride", options.stride, 1, [kh, kw]);
  const [ph, pw] = pair("padding", options.padding, 0, [0, 0]);
  const [dh, dw] = pair("dilation", options.dilation, 1, [1, 1]);
  const ceil = optionalBoolean("ceilMode", options.ceilMode, false);
  if (ph > Math.floor(kh / 2) || pw > Math.floor(kw / 2)) {
    throw new RangeError(
      `padding: [${ph}, ${pw}] must be at most half the kernel size [${kh}, ${kw}]`,
    );
  }
  const oh = poolOutputSize(h, kh, sh, ph, dh, ceil);
  const ow = poolOutputSize(w, kw, sw, pw, dw, ceil);
  if (oh < 1 || ow < 1) {
    throw new RangeError(`x: input ${h}x${w} gives an output size of ${oh}x${ow}, below 1`);
  }
  const choice = options.pytorchKernel ??
    poolKernel(x, options.engine, { channelsLast: options.channelsLast, qnnpackEligible: !ceil });
  if (choice === "qnnpack" && kh * kw === 1) {
    throw new RangeError(`kernelSize: QNNPACK refuses 1x1 max pooling ("meaningless")`);
  }
  const { min } = dtypeRange(x.dtype);
  const out = x.dtype === "quint8"
    ? new Uint8Array(n * c * oh * ow)
    : new Int8Array(n * c * oh * ow);
  const src = x.intRepr;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let best = min;
        for (let r = 0; r < kh; r++) {
          let iy = y * sh - ph + r * dh;
          if (choice === "qnnpack") iy = clamp(iy, 0, h - 1);
          else if (iy < 0 || iy >= h) continue;
          for (let s = 0; s < kw; s++) {
            let ix = xo * sw - pw + s * dw;
            if (choice === "qnnpack") ix = clamp(ix, 0, w - 1);
            else if (ix < 0 || ix >= w) continue;
            const v = src[base + iy * w + ix];
            if (v > best) best = v;
          }
        }
        out[(plane * oh + y) * ow + xo] = best;
      }
    }
  }
  return outputTensor(x, out, oh, ow, choice);
}

// ---------------------------------------------------------------------------------------------
// avg pool

/** Options of `quantizedAvgPool2d`. */
export interface QuantizedAvgPool2dOptions extends PoolCommonOptions {
  /** The window size. */
  kernelSize: IntPair;
  /** Default: the kernel size. */
  stride?: IntPair;
  /** Implicit zero-point padding on each side (at most half the kernel), default 0. */
  padding?: IntPair;
  /** Ceil instead of floor in the output size, default false. */
  ceilMode?: boolean;
  /** Count padded taps in the divisor, default true (ignored by QNNPACK). */
  countIncludePad?: boolean;
  /** Divide by this instead (ignored by QNNPACK), default none. */
  divisorOverride?: number | null;
}

/**
 * The QNNPACK average-pooling multiplier `f32(f32(s) / f32(f32(s)·K))` for a window of `K` taps
 * (input and output scales are equal).
 */
export function qnnpackAvgPoolScale(scale: number, taps: number): number {
  return f32(f32(scale) / f32(f32(scale) * taps));
}

/**
 * QNNPACK's average of one window: `clamp(sat16(rne(f32(f32(acc)·scale))) + zp, 0, 255)` where
 * `acc = Σ (q − zp)` over the window (padding taps read zp).
 */
export function qnnpackAvgPoolValue(acc: number, scale: number, zeroPoint: number): number {
  return clamp(saturateInt16(roundHalfEven(f32(f32(acc) * scale))) + zeroPoint, 0, 255);
}

/**
 * `torch.nn.functional.avg_pool2d` of a quantized tensor (output qparams = input qparams):
 * - `qnnpack` (quint8, qnnpack engine, no ceil mode): every window has K = kH·kW taps (padding
 *   reads the zero point); `count_include_pad` and `divisor_override` are **ignored**;
 *   `qnnpackAvgPoolValue` with `qnnpackAvgPoolScale`. QNNPACK refuses a 1×1 window.
 * - `nchw`: `m = f32(d:(s/s)/div)` with div = divisor_override, or the window clipped to the
 *   padded input (count_include_pad), or the taps inside the input;
 *   `clamp(rne(f32(f32(f32(Σq − size·zp)·m) + zp)))` — the zero point is added before rounding.
 * - `nhwc`: `m = f32(f32(f32(s)/f32(s))/div)`; `clamp(zp + rne(f32(f32(Σq − size·zp)·m)))`.
 * An output size of 0 gives an empty tensor, as in PyTorch (except on the qnnpack kernel, which
 * refuses it).
 * @throws {RangeError} for bad geometry, a zero divisor, a negative output size (or 0 on the
 * qnnpack kernel), or a 1×1 window on the qnnpack kernel.
 */
export function quantizedAvgPool2d(
  x: QuantizedTensor,
  options: QuantizedAvgPool2dOptions,
): QuantizedTensor {
  const { n, c, h, w, scale, zeroPoint: zp } = poolInput(x);
  checkOptions("options", options, "engine, kernelSize, stride?, padding?, …");
  const [kh, kw] = pair("kernelSize", options.kernelSize, 1, [0, 0]);
  const [sh, sw] = pair("stride", options.stride, 1, [kh, kw]);
  const [ph, pw] = pair("padding", options.padding, 0, [0, 0]);
  const ceil = optionalBoolean("ceilMode", options.ceilMode, false);
  const countIncludePad = optionalBoolean("countIncludePad", options.countIncludePad, true);
  const divisor = options.divisorOverride ?? null;
  if (divisor !== null) {
    checkInteger("divisorOverride", divisor);
    if (divisor === 0) throw new RangeError(`divisorOverride: must not be 0`);
  }
  if (ph > Math.floor(kh / 2) || pw > Math.floor(kw / 2)) {
    throw new RangeError(
      `padding: [${ph}, ${pw}] must be at most half the kernel size [${kh}, ${kw}]`,
    );
  }
  const oh = poolOutputSize(h, kh, sh, ph, 1, ceil);
  const ow = poolOutputSize(w, kw, sw, pw, 1, ceil);
  const choice = options.pytorchKernel ??
    poolKernel(x, options.engine, { channelsLast: options.channelsLast, qnnpackEligible: !ceil });
  // ATen's loops accept an empty output; QNNPACK checks for one.
  if (oh < (choice === "qnnpack" ? 1 : 0) || ow < (choice === "qnnpack" ? 1 : 0)) {
    throw new RangeError(`x: input ${h}x${w} gives an output size of ${oh}x${ow}`);
  }
  if (choice === "qnnpack" && kh * kw === 1) {
    throw new RangeError(`kernelSize: QNNPACK refuses 1x1 average pooling ("meaningless")`);
  }
  if (choice === "qnnpack" && x.dtype !== "quint8") {
    throw new TypeError(`x: QNNPACK average pooling takes quint8, got ${x.dtype}`);
  }
  const { min, max } = dtypeRange(x.dtype);
  const out = x.dtype === "quint8"
    ? new Uint8Array(n * c * oh * ow)
    : new Int8Array(n * c * oh * ow);
  const src = x.intRepr;
  const qnnpackScale = qnnpackAvgPoolScale(scale, kh * kw);
  const [kernel, stride, padding] = [[kh, kw], [sh, sw], [ph, pw]] as const;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const { hs, he, ws, we, poolSize } = avgPoolWindow(y, xo, h, w, kernel, stride, padding);
        const size = (he - hs) * (we - ws);
        let sum = 0;
        for (let iy = hs; iy < he; iy++) {
          for (let ix = ws; ix < we; ix++) sum += src[base + iy * w + ix];
        }
        const acc = sum - size * zp;
        let v: number;
        if (choice === "qnnpack") {
          v = qnnpackAvgPoolValue(acc, qnnpackScale, zp);
        } else {
          const div = divisor ?? (countIncludePad ? poolSize : size);
          if (choice === "nchw") {
            const m = f32(scale / scale / div);
            v = clamp(roundHalfEven(f32(f32(f32(acc) * m) + zp)), min, max);
          } else {
            const m = f32(f32(f32(scale) / f32(scale)) / div);
            v = clamp(zp + roundHalfEven(f32(f32(acc) * m)), min, max);
          }
        }
        out[(plane * oh + y) * ow + xo] = v;
      }
    }
  }
  return outputTensor(x, out, oh, ow, choice);
}

// ---------------------------------------------------------------------------------------------
// adaptive avg pool

/** Options of `quantizedAdaptiveAvgPool2d`. */
export interface QuantizedAdaptiveAvgPool2dOptions extends PoolCommonOptions {
  /** The output `[height, width]` (or one number for both). */
  outputSize: IntPair;
}

/**
 * The window of average-pooling output `(y, x)` (ATen's `avg_pool2d` loops): the rows
 * `[hs, he)` and columns `[ws, we)` inside the image, and `poolSize`, the window's size clipped to
 * the padded image (the divisor when padding counts).
 */
export function avgPoolWindow(
  y: number,
  x: number,
  h: number,
  w: number,
  [kh, kw]: readonly [number, number],
  [sh, sw]: readonly [number, number],
  [ph, pw]: readonly [number, number],
): { hs: number; he: number; ws: number; we: number; poolSize: number } {
  const hs = y * sh - ph;
  const ws = x * sw - pw;
  const he = Math.min(hs + kh, h + ph);
  const we = Math.min(ws + kw, w + pw);
  return {
    hs: Math.max(hs, 0),
    ws: Math.max(ws, 0),
    he: Math.min(he, h),
    we: Math.min(we, w),
    poolSize: (he - hs) * (we - ws),
  };
}

/**
 * The first input index of adaptive window `index` of `outSize` over `inSize`
 * (`start_index`: `floor(f32(f32(index·inSize) / outSize))`).
 */
export function adaptiveStart(index: number, outSize: number, inSize: number): number {
  return Math.floor(f32(f32(index * inSize) / outSize));
}

/** One past the last input index of adaptive window `index` (`end_index`, with ceil). */
export function adaptiveEnd(index: number, outSize: number, inSize: number): number {
  return Math.ceil(f32(f32((index + 1) * inSize) / outSize));
}

/**
 * `torch.nn.functional.adaptive_avg_pool2d` of a quantized tensor (output qparams = input
 * qparams). Window rows `[adaptiveStart, adaptiveEnd)`, likewise columns, `k = kH·kW` taps.
 * - `qnnpack` (quint8, qnnpack engine, output size dividing the input size and not equal to it):
 *   QNNPACK average pooling with kernel = stride = input/output (`quantizedAvgPool2d`'s formula).
 * - `nchw`: `rne(f32(f32(Σq)·r))` with `r = f32(f32(1/kH)/kW)` — raw codes, the zero point cancels
 *   (the average of codes), no clamp needed.
 * - `nhwc`: `clamp(zp + rne(f32(f32(Σq − k·zp)·f32(1/k))))`.
 *
 * A 1×1 input on the `nhwc` kernel gives PyTorch's layout quirk (see `outputTensor`).
 * @throws {RangeError} for an output size below 1 or a bad input.
 */
export function quantizedAdaptiveAvgPool2d(
  x: QuantizedTensor,
  options: QuantizedAdaptiveAvgPool2dOptions,
): QuantizedTensor {
  const { n, c, h, w, zeroPoint: zp } = poolInput(x);
  checkOptions("options", options, "engine, outputSize, …");
  const [oh, ow] = pair("outputSize", options.outputSize, 1, [0, 0]);
  const divisible = h % oh === 0 && w % ow === 0 && !(h === oh && w === ow);
  const choice = options.pytorchKernel ??
    poolKernel(x, options.engine, {
      channelsLast: options.channelsLast,
      qnnpackEligible: divisible,
    });
  if (choice === "qnnpack") {
    if (!(h % oh === 0 && w % ow === 0) || (h === oh && w === ow)) {
      throw new RangeError(
        `outputSize: the qnnpack kernel needs an output size [${oh}, ${ow}] that divides the ` +
          `input size [${h}, ${w}] and differs from it`,
      );
    }
    const k: [number, number] = [h / oh, w / ow];
    return quantizedAvgPool2d(x, {
      engine: "qnnpack",
      kernelSize: k,
      stride: k,
      pytorchKernel: choice,
    });
  }
  const { min, max } = dtypeRange(x.dtype);
  const out = x.dtype === "quint8"
    ? new Uint8Array(n * c * oh * ow)
    : new Int8Array(n * c * oh * ow);
  const src = x.intRepr;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let y = 0; y < oh; y++) {
      const hs = adaptiveStart(y, oh, h);
      const he = adaptiveEnd(y, oh, h);
      for (let xo = 0; xo < ow; xo++) {
        const ws = adaptiveStart(xo, ow, w);
        const we = adaptiveEnd(xo, ow, w);
        let sum = 0;
        for (let iy = hs; iy < he; iy++) {
          for (let ix = ws; ix < we; ix++) sum += src[base + iy * w + ix];
        }
        const kh = he - hs;
        const kw = we - ws;
        let v: number;
        if (choice === "nchw") {
          const r = f32(f32(1 / kh) / kw);
          v = roundHalfEven(f32(f32(sum) * r));
        } else {
          const m = f32(1 / (kh * kw));
          v = clamp(zp + roundHalfEven(f32(f32(sum - kh * kw * zp) * m)), min, max);
        }
        out[(plane * oh + y) * ow + xo] = v;
      }
    }
  }
  return outputTensor(x, out, oh, ow, choice);
}
