/**
 * Fake quantization (quantize then dequantize in float, with the straight-through estimator for
 * the gradient) and its learnable LSQ variant, bit for bit as PyTorch 1.13's CPU kernels compute
 * them (aten/src/ATen/native/quantized/{FakeQuantPerTensorAffine,FakeQuantPerChannelAffine}.cpp,
 * cpu/kernels/QuantizedOpKernels.cpp; docs/numerics/fake_quantize.md).
 *
 * **Formulas** (`inv = f32(1 / f32(scale))`, `rne` = round half to even):
 * - per tensor, and per channel with integer zero points:
 *   `q = f32(zp + rne(f32(x * inv)))` — the zero point is added after rounding, in float32;
 *   `y = f32((clamp(q, quantMin, quantMax) - zp) * f32(scale))`; `mask = quantMin <= q <= quantMax`.
 * - per channel with float zero points: `q = rne(fma(x, inv, zp))` — the zero point is added
 *   before rounding, in one fused multiply-add; `y = f32(d:(d:clamp(q) - zp) * scale)`.
 * - backward (straight-through estimator): `dx = dy * mask` (so a masked negative `dy` gives -0).
 *
 * **Fused multiply-adds.** PyTorch's AVX2 kernels (the CPU capability every x86-64 machine of the
 * last decade selects) are compiled by GCC with floating-point contraction, so `zp + x * inv` and
 * `float(c - zp) * scale - x` in the float-zero-point and LSQ kernels are single-rounding FMAs.
 * This reference reproduces the AVX2 kernels. A build that runs PyTorch's scalar kernels
 * (`ATEN_CPU_CAPABILITY=default`, or a compiler that does not contract) differs in the last bit of
 * some LSQ scale gradients and, near ties, in the rounded code (so in `y`, the mask and the
 * gradient terms).
 *
 * **NaN, ±Infinity and overflow** (where PyTorch builds disagree: 1.13 on x86 casts the float
 * code to int64, which turns NaN, ±Infinity and |code| >= 2^63 into INT64_MIN, i.e. `quantMin`;
 * ARM saturates the cast and turns NaN into 0; 2.x clamps in float). This reference follows the
 * quantize reference (reference/quantize.ts), so that fake quantization with the dtype's range is
 * exactly `dequantize(quantize(x))` for every input:
 * - +Infinity and codes beyond the range saturate to `quantMax`, -Infinity to `quantMin`, mask 0;
 * - NaN quantizes to the zero point (`y = 0`), mask 0;
 * - LSQ backward: ±Infinity count as above/below the range; a NaN input makes its scale and
 *   zero-point gradient terms NaN (so the reduced gradients are NaN) and its `dx` is `dy * 0`.
 * `fakeQuantizeIsBuildDependent` names those inputs; the conformance suite reports them as
 * deviations, not failures.
 *
 * **LSQ** (`torch._fake_quantize_learnable_per_{tensor,channel}_affine`): the forward rounds the
 * float zero point with `rne` and clamps it; the per-tensor backward instead truncates
 * `clamp(f32(zp + 0.5))` toward zero, which rounds half up for zp >= -0.5 but rounds negative
 * zero points up, integral ones included: 2.5 is 2 forward and 3 backward, -2.7 is -3 and -2, and
 * -1 is -1 forward but 0 backward (so an input can be inside the range forward and outside it
 * backward). The per-channel backward uses `clamp(rne(zp))` as a float, like its forward. The
 * scale and zero-point gradients are reduced with `torch.sum` in PyTorch's exact order
 * (single-threaded: PyTorch splits large reductions across threads, so golden vectors are
 * recorded with one).
 * @module
 */
import {
  checkAxis,
  checkBoolean,
  checkFinite,
  checkInteger,
  checkLength,
  checkNumbers,
  checkOptions,
  checkScale,
  checkShape,
  checkTensor,
  checkTypedArray,
  optionalBoolean,
  show,
} from "./_check.ts";
import { f32, fmaF32, reciprocalF32, roundHalfEven } from "./float32.ts";
import { forEachChannel } from "./quantize.ts";
import { splitAtAxis, Tensor } from "./tensor.ts";
import { torchSumFloat32 } from "./torch_sum.ts";

/** Options of the per-tensor fake quantization functions. */
export interface FakeQuantizePerTensorOptions {
  /** The scale, a double as PyTorch takes it (the kernel rounds it to float32). */
  scale: number;
  /** The integer zero point, inside `[quantMin, quantMax]`. */
  zeroPoint: number;
  /** The smallest quantized code (an integer). */
  quantMin: number;
  /** The largest quantized code (an integer >= quantMin). */
  quantMax: number;
}

/** Options of the per-channel fake quantization functions. */
export interface FakeQuantizePerChannelOptions {
  /** One scale per channel (PyTorch holds them in a float32 tensor: each is rounded to float32). */
  scales: ArrayLike<number>;
  /**
   * One zero point per channel: integers inside `[quantMin, quantMax]` (an int32 tensor in
   * PyTorch), or any finite floats with `floatZeroPoints` (rounded to float32).
   */
  zeroPoints: ArrayLike<number>;
  /** The channel axis (negative counts from the end). */
  axis: number;
  /** The smallest quantized code. */
  quantMin: number;
  /** The largest quantized code. */
  quantMax: number;
  /**
   * Float zero points (PyTorch picks this path when the zero-point tensor is float or half): the
   * zero point is added before rounding, `q = rne(fma(x, inv, zp))`. Default false.
   */
  floatZeroPoints?: boolean;
}

/** The output of a fake quantization forward pass together with its gradient mask. */
export interface FakeQuantizeWithMask {
  /** The fake-quantized tensor. */
  y: Tensor;
  /** 1 where the element's code was inside `[quantMin, quantMax]` (its gradient passes), else 0. */
  mask: Uint8Array;
}

/** Options of the learnable (LSQ) per-tensor functions. */
export interface LearnablePerTensorOptions {
  /** The scale (PyTorch's float32 `scale[0]`: rounded to float32). */
  scale: number;
  /** The zero point, a float (PyTorch's float32 `zero_point[0]`: rounded to float32). */
  zeroPoint: number;
  /** The smallest quantized code. */
  quantMin: number;
  /** The largest quantized code. */
  quantMax: number;
  /**
   * The factor the scale and zero-point gradients are multiplied by (a double, rounded to float32
   * by the kernel); default 1. `_LearnableFakeQuantize` passes `learnableGradFactor(...)`.
   */
  gradFactor?: number;
}

/** Options of the learnable (LSQ) per-channel functions. */
export interface LearnablePerChannelOptions {
  /** One scale per channel (rounded to float32). */
  scales: ArrayLike<number>;
  /** One float zero point per channel (rounded to float32). */
  zeroPoints: ArrayLike<number>;
  /** The channel axis (negative counts from the end). */
  axis: number;
  /** The smallest quantized code. */
  quantMin: number;
  /** The largest quantized code. */
  quantMax: number;
  /** The gradient factor (see `LearnablePerTensorOptions.gradFactor`); default 1. */
  gradFactor?: number;
}

/** The gradients of a learnable fake quantization. */
export interface LearnableGradients {
  /** The gradient of the input (`dy` where the element's code is in range, else `dy * 0`). */
  dx: Tensor;
  /** The gradient of the scale: shape `[1]` per tensor, `[channels]` per channel. */
  dScale: Tensor;
  /** The gradient of the zero point: same shape as `dScale`. */
  dZeroPoint: Tensor;
}

// ---------------------------------------------------------------------------------------------
// Argument checks

function checkQuantBounds(quantMin: number, quantMax: number): void {
  for (const [name, v] of [["quantMin", quantMin], ["quantMax", quantMax]] as const) {
    checkInteger(name, v);
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`${name}: must lie within ±(2^53 - 1), got ${show(v)}`);
    }
  }
  if (quantMin > quantMax) {
    throw new RangeError(`quantMin (${quantMin}) must be <= quantMax (${quantMax})`);
  }
}

function checkRangeHasZero(quantMin: number, quantMax: number): void {
  if (!(quantMin <= 0 && quantMax >= 0)) {
    throw new RangeError(
      `quantMin/quantMax: the LSQ backward needs a range that contains 0, got ` +
        `[${quantMin}, ${quantMax}] (PyTorch raises here too)`,
    );
  }
}

function checkIntZeroPoint(name: string, zp: number, quantMin: number, quantMax: number): void {
  checkInteger(name, zp);
  if (zp < quantMin || zp > quantMax) {
    throw new RangeError(
      `${name}: zero point ${
        show(zp)
      } must lie in [quantMin, quantMax] = [${quantMin}, ${quantMax}]`,
    );
  }
}

/** Checks a scale and returns `[f32(scale), f32(1 / f32(scale))]`. */
function checkedScale(name: string, scale: number): [number, number] {
  checkScale(name, scale);
  const inv = reciprocalF32(scale);
  if (!Number.isFinite(inv)) {
    throw new RangeError(
      `${name}: scale ${show(scale)} is so small that its float32 reciprocal overflows`,
    );
  }
  return [f32(scale), inv];
}

function checkSameShape(dy: Tensor, x: Tensor): void {
  checkTensor("dy", dy);
  checkTensor("x", x);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) {
    throw new RangeError(`dy: shape [${dy.shape}] differs from the shape of x [${x.shape}]`);
  }
}

function checkGradFactor(gradFactor: number | undefined): number {
  const g = gradFactor === undefined ? 1 : gradFactor;
  checkFinite("gradFactor", g);
  return f32(g);
}

// ---------------------------------------------------------------------------------------------
// Element kernels (arguments already checked)

/** The float code `f32(zp + rne(f32(x * inv)))` of the integer-zero-point kernels. */
function intZeroPointCode(x: number, inv: number, zeroPoint: number): number {
  return f32(zeroPoint + roundHalfEven(f32(x * inv)));
}

/** The rounded code `rne(fma(x, inv, zp))` of the float-zero-point and LSQ backward kernels. */
function fusedCode(x: number, inv: number, zeroPoint: number): number {
  return roundHalfEven(fmaF32(x, inv, zeroPoint));
}

/**
 * Writes `y` and `mask` for one element given its code `q` (NaN for a NaN input; ±Infinity and
 * codes beyond the range saturate).
 */
function fakeQuantElement(
  q: number,
  zeroPoint: number,
  scale: number,
  quantMin: number,
  quantMax: number,
): [number, number] {
  if (q !== q) return [0, 0];
  const c = q < quantMin ? quantMin : q > quantMax ? quantMax : q;
  // (c - zp) is exact; the product is taken in double and rounded once, as PyTorch does.
  return [f32((c - zeroPoint) * scale), q >= quantMin && q <= quantMax ? 1 : 0];
}

/**
 * Which PyTorch kernel computes a code: the integer-zero-point one (`f32(zp + rne(x * inv))`,
 * converted to int64), the float-zero-point one (`rne(fma(x, inv, zp))`, converted with `lrintf`
 * to `long`, 32-bit on Windows) or the LSQ backward (`rne(fma(x, inv, zp))`, converted to int64).
 */
export type FakeQuantizeKernel = "int-zero-point" | "float-zero-point" | "learnable-backward";

/**
 * Whether PyTorch builds disagree on the code of `x`: it is NaN or ±Infinity, or beyond what the
 * kernel's float-to-integer conversion holds (x86 turns those into the integer minimum, ARM
 * saturates; this reference saturates, see the module documentation).
 * @param inverseScale `reciprocalF32(scale)`
 * @param zeroPoint the zero point the kernel adds (an integer, or a float32 value)
 */
export function fakeQuantizeIsBuildDependent(
  x: number,
  inverseScale: number,
  zeroPoint: number,
  kernel: FakeQuantizeKernel = "int-zero-point",
): boolean {
  switch (kernel) {
    case "int-zero-point":
      return !(Math.abs(intZeroPointCode(x, inverseScale, zeroPoint)) < 2 ** 63);
    case "float-zero-point":
      return !(Math.abs(fusedCode(x, inverseScale, zeroPoint)) < 2 ** 31);
    case "learnable-backward":
      return !(Math.abs(fusedCode(x, inverseScale, zeroPoint)) < 2 ** 63);
  }
}

// ---------------------------------------------------------------------------------------------
// Per tensor

/**
 * `torch.fake_quantize_per_tensor_affine` with its gradient mask
 * (`fake_quantize_per_tensor_affine_cachemask`).
 * @throws {RangeError} for a scale that is not finite and > 0, a zero point outside
 * `[quantMin, quantMax]`, or `quantMin > quantMax`.
 */
export function fakeQuantizePerTensorAffineCachemask(
  x: Tensor,
  options: FakeQuantizePerTensorOptions,
): FakeQuantizeWithMask {
  checkTensor("x", x);
  checkOptions("options", options, "scale, zeroPoint, quantMin, quantMax");
  const { quantMin, quantMax } = options;
  checkQuantBounds(quantMin, quantMax);
  checkIntZeroPoint("zeroPoint", options.zeroPoint, quantMin, quantMax);
  const [scale, inv] = checkedScale("scale", options.scale);
  const zp = options.zeroPoint + 0; // -0 -> +0
  const out = new Float32Array(x.size);
  const mask = new Uint8Array(x.size);
  const data = x.data;
  for (let i = 0; i < data.length; i++) {
    const q = intZeroPointCode(data[i], inv, zp);
    [out[i], mask[i]] = fakeQuantElement(q, zp, scale, quantMin, quantMax);
  }
  return { y: new Tensor(out, x.shape), mask };
}

/**
 * `torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)`:
 * `y = (clamp(zp + rne(x * inv), quantMin, quantMax) - zp) * scale` in PyTorch's float32 steps.
 * @throws {RangeError} as `fakeQuantizePerTensorAffineCachemask`.
 * @example
 * ```ts
 * const y = fakeQuantizePerTensorAffine(Tensor.from([0.5, 1.5, 300]), {
 *   scale: 1, zeroPoint: 0, quantMin: 0, quantMax: 255,
 * });
 * y.data; // Float32Array [0, 2, 255]: ties round to even, values beyond the range clamp
 * ```
 */
export function fakeQuantizePerTensorAffine(
  x: Tensor,
  options: FakeQuantizePerTensorOptions,
): Tensor {
  return fakeQuantizePerTensorAffineCachemask(x, options).y;
}

/**
 * The gradient of `fakeQuantizePerTensorAffine` (the straight-through estimator):
 * `dx = dy * mask`, where mask is 1 exactly where the code `zp + rne(x * inv)` lies in
 * `[quantMin, quantMax]`.
 * @throws {RangeError} for bad options, or `dy` shaped differently from `x`.
 */
export function fakeQuantizePerTensorAffineBackward(
  dy: Tensor,
  x: Tensor,
  options: FakeQuantizePerTensorOptions,
): Tensor {
  checkSameShape(dy, x);
  return fakeQuantizeCachemaskBackward(dy, fakeQuantizePerTensorAffineCachemask(x, options).mask);
}

/**
 * `fake_quantize_per_{tensor,channel}_affine_cachemask_backward(dy, mask)`: `dx = dy * mask`
 * element by element (`dy * 0` keeps the sign of `dy` and turns ±Infinity into NaN).
 * @throws {RangeError} when `mask` does not have one entry per element of `dy`.
 */
export function fakeQuantizeCachemaskBackward(dy: Tensor, mask: ArrayLike<number>): Tensor {
  checkTensor("dy", dy);
  checkNumbers("mask", mask, dy.size);
  const out = new Float32Array(dy.size);
  for (let i = 0; i < out.length; i++) out[i] = dy.data[i] * (mask[i] ? 1 : 0);
  return new Tensor(out, dy.shape);
}

// ---------------------------------------------------------------------------------------------
// Per channel

interface CheckedPerChannel {
  axis: number;
  outer: number;
  channels: number;
  inner: number;
  scales: Float32Array;
  inverses: Float32Array;
  zeroPoints: Float64Array;
  floatZeroPoints: boolean;
}

function checkPerChannel(x: Tensor, options: FakeQuantizePerChannelOptions): CheckedPerChannel {
  checkTensor("x", x);
  checkOptions("options", options, "scales, zeroPoints, axis, quantMin, quantMax");
  const { quantMin, quantMax } = options;
  checkQuantBounds(quantMin, quantMax);
  const axis = checkAxis("axis", options.axis, x.shape.length);
  const { outer, channels, inner } = splitAtAxis(x.shape, axis);
  checkNumbers("scales", options.scales, channels);
  checkNumbers("zeroPoints", options.zeroPoints, channels);
  const floatZeroPoints = optionalBoolean("floatZeroPoints", options.floatZeroPoints, false);
  const scales = new Float32Array(channels);
  const inverses = new Float32Array(channels);
  const zeroPoints = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    [scales[c], inverses[c]] = checkedScale(`scales[${c}]`, options.scales[c]);
    const zp = options.zeroPoints[c];
    if (floatZeroPoints) {
      checkFinite(`zeroPoints[${c}]`, zp);
      zeroPoints[c] = f32(zp);
    } else {
      checkIntZeroPoint(`zeroPoints[${c}]`, zp, quantMin, quantMax);
      if (zp < -(2 ** 31) || zp >= 2 ** 31) {
        throw new RangeError(`zeroPoints[${c}]: ${zp} does not fit PyTorch's int32 zero points`);
      }
      zeroPoints[c] = zp + 0;
    }
  }
  return { axis, outer, channels, inner, scales, inverses, zeroPoints, floatZeroPoints };
}

/**
 * `torch.fake_quantize_per_channel_affine` with its gradient mask
 * (`fake_quantize_per_channel_affine_cachemask`). Each channel is fake-quantized with its float32
 * scale and its zero point: integer zero points as in `fakeQuantizePerTensorAffine`, float zero
 * points added before rounding (`rne(fma(x, inv, zp))`, output `f32(d:(clamp(q) - zp) * scale)`).
 * @throws {RangeError} for a bad scale, zero point, axis, range, or a scales/zeroPoints length
 * that is not the size of the axis.
 */
export function fakeQuantizePerChannelAffineCachemask(
  x: Tensor,
  options: FakeQuantizePerChannelOptions,
): FakeQuantizeWithMask {
  const p = checkPerChannel(x, options);
  const { quantMin, quantMax } = options;
  const out = new Float32Array(x.size);
  const mask = new Uint8Array(x.size);
  const data = x.data;
  forEachChannel(p.outer, p.channels, p.inner, (c, start, end) => {
    const scale = p.scales[c];
    const inv = p.inverses[c];
    const zp = p.zeroPoints[c];
    for (let i = start; i < end; i++) {
      const q = p.floatZeroPoints
        ? fusedCode(data[i], inv, zp)
        : intZeroPointCode(data[i], inv, zp);
      [out[i], mask[i]] = fakeQuantElement(q, zp, scale, quantMin, quantMax);
    }
  });
  return { y: new Tensor(out, x.shape), mask };
}

/**
 * `torch.fake_quantize_per_channel_affine(x, scales, zero_points, axis, quant_min, quant_max)`.
 * @throws {RangeError} as `fakeQuantizePerChannelAffineCachemask`.
 */
export function fakeQuantizePerChannelAffine(
  x: Tensor,
  options: FakeQuantizePerChannelOptions,
): Tensor {
  return fakeQuantizePerChannelAffineCachemask(x, options).y;
}

/**
 * The gradient of `fakeQuantizePerChannelAffine`: `dx = dy * mask`.
 * @throws {RangeError} for bad options, or `dy` shaped differently from `x`.
 */
export function fakeQuantizePerChannelAffineBackward(
  dy: Tensor,
  x: Tensor,
  options: FakeQuantizePerChannelOptions,
): Tensor {
  checkSameShape(dy, x);
  return fakeQuantizeCachemaskBackward(dy, fakeQuantizePerChannelAffineCachemask(x, options).mask);
}

// ---------------------------------------------------------------------------------------------
// Learnable (LSQ)

/**
 * The `grad_factor` PyTorch's `_LearnableFakeQuantize` passes: `1 / sqrt(numel * quantMax)` with
 * `use_grad_scaling`, else 1 (a double; Python computes `(numel * quant_max) ** 0.5`, which can
 * differ from `sqrt` in the last bit of the double — the kernel rounds the factor to float32,
 * where the two agree).
 */
export function learnableGradFactor(
  numel: number,
  quantMax: number,
  useGradScaling = true,
): number {
  checkBoolean("useGradScaling", useGradScaling);
  if (!useGradScaling) return 1;
  checkInteger("numel", numel);
  checkInteger("quantMax", quantMax);
  return 1 / Math.sqrt(numel * quantMax);
}

/** The per-tensor LSQ forward zero point: `(int64) clamp(rne(f32(zp)), quantMin, quantMax)`. */
function forwardZeroPoint(zeroPoint: number, quantMin: number, quantMax: number): number {
  const z = roundHalfEven(f32(zeroPoint));
  return Math.trunc(Math.min(Math.max(z, f32(quantMin)), f32(quantMax))) + 0;
}

/** The per-tensor LSQ backward zero point: `(int64) clamp(f32(zp + 0.5f), quantMin, quantMax)`. */
function backwardZeroPoint(zeroPoint: number, quantMin: number, quantMax: number): number {
  const z = f32(f32(zeroPoint) + 0.5);
  return Math.trunc(Math.min(Math.max(z, f32(quantMin)), f32(quantMax))) + 0;
}

/** The per-channel LSQ zero point (forward and backward): `clamp(rne(f32(zp)))`, a float. */
function channelZeroPoint(zeroPoint: number, quantMin: number, quantMax: number): number {
  const z = roundHalfEven(f32(zeroPoint));
  return f32(Math.min(Math.max(z, f32(quantMin)), f32(quantMax))) + 0;
}

function checkLearnableScalars(
  o: { quantMin: number; quantMax: number; gradFactor?: number },
): void {
  checkOptions("options", o, "scale(s), zeroPoint(s), quantMin, quantMax, gradFactor?");
  checkQuantBounds(o.quantMin, o.quantMax);
  checkGradFactor(o.gradFactor); // unused by the forward, but a bad value is still an error
}

/**
 * `torch._fake_quantize_learnable_per_tensor_affine` (LSQ) forward: the float zero point is
 * rounded half to even and clamped to the range, then `fakeQuantizePerTensorAffine` runs with
 * the float32 scale. `gradFactor` does not affect the forward.
 * @throws {RangeError} for a scale that is not finite and > 0, a zero point that is not finite,
 * or a bad range.
 */
export function fakeQuantizeLearnablePerTensorAffine(
  x: Tensor,
  options: LearnablePerTensorOptions,
): Tensor {
  checkTensor("x", x);
  checkLearnableScalars(options);
  const [scale] = checkedScale("scale", options.scale);
  checkFinite("zeroPoint", options.zeroPoint);
  const { quantMin, quantMax } = options;
  return fakeQuantizePerTensorAffine(x, {
    scale,
    zeroPoint: forwardZeroPoint(options.zeroPoint, quantMin, quantMax),
    quantMin,
    quantMax,
  });
}

/** One element of the LSQ backward: writes dx, dScale and dZeroPoint terms at `i`. */
function lsqElement(
  out: { dx: Float32Array; ds: Float32Array; dz: Float32Array },
  i: number,
  x: number,
  dy: number,
  p: {
    scale: number;
    inv: number;
    zp: number; // the zero point: an integer per tensor, a float32 per channel
    intZeroPoint: boolean; // per tensor: C++ subtracts the int64 zero point before converting
    below: number; // f32(quantMin - zp)
    above: number; // f32(quantMax - zp)
    quantMin: number;
    quantMax: number;
    g: number;
  },
): void {
  const xq = fusedCode(x, p.inv, f32(p.zp));
  if (xq !== xq) {
    out.dx[i] = dy * 0;
    out.ds[i] = NaN;
    out.dz[i] = NaN;
    return;
  }
  const inRange = xq >= p.quantMin && xq <= p.quantMax;
  out.dx[i] = dy * (inRange ? 1 : 0);
  if (!inRange) {
    out.dz[i] = f32(f32(-dy * p.scale) * p.g);
    out.ds[i] = f32(f32(dy * (xq < p.quantMin ? p.below : p.above)) * p.g);
  } else {
    // xfq - x = (c - zp) * scale - x, contracted into one FMA; here c = xq (in range). Per
    // tensor c - zp is an int64 difference converted to float, per channel a float difference.
    const centred = p.intZeroPoint ? f32(xq - p.zp) : f32(f32(xq) - p.zp);
    const diff = fmaF32(centred, p.scale, -x);
    out.dz[i] = 0;
    out.ds[i] = f32(f32(f32(dy * diff) * p.inv) * p.g);
  }
}

/**
 * `torch._fake_quantize_learnable_per_tensor_affine_backward`: the gradients LSQ trains with.
 * With `zp = (int64) clamp(f32(zeroPoint + 0.5))` (not the forward's rounding: truncation toward
 * zero, so a negative zero point is rounded up, -1 to 0) and
 * `xq = rne(fma(x, inv, zp))`:
 * - in range: `dx = dy`, `dZeroPoint_i = 0`, `dScale_i = f32(f32(f32(dy * fma(f32(xq - zp), s, -x)) * inv) * g)`;
 * - out of range: `dx = dy * 0`, `dZeroPoint_i = f32(f32(-dy * s) * g)`,
 *   `dScale_i = f32(f32(dy * f32(quantMin|quantMax - zp)) * g)`;
 * `dScale` and `dZeroPoint` are `torch.sum` of those terms (shape `[1]`). For an empty `x`
 * PyTorch returns the scale and the zero point themselves as their gradients; so does this.
 * @throws {RangeError} for bad options, a range that does not contain 0, or `dy` shaped
 * differently from `x`.
 */
export function fakeQuantizeLearnablePerTensorAffineBackward(
  dy: Tensor,
  x: Tensor,
  options: LearnablePerTensorOptions,
): LearnableGradients {
  checkSameShape(dy, x);
  checkLearnableScalars(options);
  const { quantMin, quantMax } = options;
  checkRangeHasZero(quantMin, quantMax);
  const [scale, inv] = checkedScale("scale", options.scale);
  checkFinite("zeroPoint", options.zeroPoint);
  const g = checkGradFactor(options.gradFactor);
  if (x.size === 0) {
    return {
      dx: new Tensor(new Float32Array(0), x.shape),
      dScale: Tensor.from([scale]),
      dZeroPoint: Tensor.from([options.zeroPoint]),
    };
  }
  const zp = backwardZeroPoint(options.zeroPoint, quantMin, quantMax);
  const out = {
    dx: new Float32Array(x.size),
    ds: new Float32Array(x.size),
    dz: new Float32Array(x.size),
  };
  const p = {
    scale,
    inv,
    zp,
    intZeroPoint: true,
    below: f32(quantMin - zp),
    above: f32(quantMax - zp),
    quantMin,
    quantMax,
    g,
  };
  for (let i = 0; i < x.size; i++) lsqElement(out, i, x.data[i], dy.data[i], p);
  return {
    dx: new Tensor(out.dx, x.shape),
    dScale: Tensor.from([torchSumFloat32(out.ds)]),
    dZeroPoint: Tensor.from([torchSumFloat32(out.dz)]),
  };
}

interface CheckedLearnablePerChannel {
  axis: number;
  outer: number;
  channels: number;
  inner: number;
  scales: Float32Array;
  inverses: Float32Array;
  zeroPoints: Float32Array; // the rounded, clamped float zero points
}

function checkLearnablePerChannel(
  x: Tensor,
  options: LearnablePerChannelOptions,
): CheckedLearnablePerChannel {
  checkTensor("x", x);
  checkLearnableScalars(options);
  const axis = checkAxis("axis", options.axis, x.shape.length);
  const { outer, channels, inner } = splitAtAxis(x.shape, axis);
  checkNumbers("scales", options.scales, channels);
  checkNumbers("zeroPoints", options.zeroPoints, channels);
  const scales = new Float32Array(channels);
  const inverses = new Float32Array(channels);
  const zeroPoints = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    [scales[c], inverses[c]] = checkedScale(`scales[${c}]`, options.scales[c]);
    checkFinite(`zeroPoints[${c}]`, options.zeroPoints[c]);
    zeroPoints[c] = channelZeroPoint(options.zeroPoints[c], options.quantMin, options.quantMax);
  }
  return { axis, outer, channels, inner, scales, inverses, zeroPoints };
}

/**
 * `torch._fake_quantize_learnable_per_channel_affine` (LSQ) forward: each float zero point is
 * rounded half to even, clamped and converted to int32, then `fakeQuantizePerChannelAffine` runs
 * with the float32 scales.
 * @throws {RangeError} for a bad scale, zero point, axis, range or length.
 */
export function fakeQuantizeLearnablePerChannelAffine(
  x: Tensor,
  options: LearnablePerChannelOptions,
): Tensor {
  const p = checkLearnablePerChannel(x, options);
  return fakeQuantizePerChannelAffine(x, {
    scales: p.scales,
    zeroPoints: p.zeroPoints,
    axis: p.axis,
    quantMin: options.quantMin,
    quantMax: options.quantMax,
  });
}

/**
 * `torch._fake_quantize_learnable_per_channel_affine_backward`: per element as in
 * `fakeQuantizeLearnablePerTensorAffineBackward`, with each channel's float32 scale and its zero
 * point `clamp(rne(zp))` kept as a float (`dScale` terms use `f32(f32(quantMin) - zp)` and
 * `fma(f32(f32(xq) - zp), s, -x)`); `dScale` and `dZeroPoint` (shape `[channels]`) are
 * `torch.sum` over every dimension but `axis`, in PyTorch's reduction order (see
 * `sumExceptAxisFloat32`).
 * @throws {RangeError} for bad options, a range that does not contain 0, `dy` shaped differently
 * from `x`, or a 1-D `x` (PyTorch 1.13 reduces a 1-D input to a scalar there and autograd
 * rejects the gradient).
 */
export function fakeQuantizeLearnablePerChannelAffineBackward(
  dy: Tensor,
  x: Tensor,
  options: LearnablePerChannelOptions,
): LearnableGradients {
  checkSameShape(dy, x);
  const p = checkLearnablePerChannel(x, options);
  const { quantMin, quantMax } = options;
  checkRangeHasZero(quantMin, quantMax);
  const g = checkGradFactor(options.gradFactor);
  if (x.size === 0) {
    return {
      dx: new Tensor(new Float32Array(0), x.shape),
      dScale: new Tensor(Float32Array.from(p.scales)),
      dZeroPoint: new Tensor(Float32Array.from(options.zeroPoints, f32)),
    };
  }
  if (x.shape.length < 2) {
    throw new RangeError(
      `x: the per-channel LSQ backward needs a tensor of rank >= 2, got shape [${x.shape}] ` +
        `(PyTorch 1.13 fails on a non-empty 1-D input)`,
    );
  }
  const out = {
    dx: new Float32Array(x.size),
    ds: new Float32Array(x.size),
    dz: new Float32Array(x.size),
  };
  forEachChannel(p.outer, p.channels, p.inner, (c, start, end) => {
    const zp = p.zeroPoints[c];
    const e = {
      scale: p.scales[c],
      inv: p.inverses[c],
      zp,
      intZeroPoint: false,
      below: f32(f32(quantMin) - zp),
      above: f32(f32(quantMax) - zp),
      quantMin,
      quantMax,
      g,
    };
    for (let i = start; i < end; i++) lsqElement(out, i, x.data[i], dy.data[i], e);
  });
  return {
    dx: new Tensor(out.dx, x.shape),
    dScale: new Tensor(sumExceptAxisFloat32(out.ds, x.shape, p.axis)),
    dZeroPoint: new Tensor(sumExceptAxisFloat32(out.dz, x.shape, p.axis)),
  };
}

// ---------------------------------------------------------------------------------------------
// Build dependence of whole tensors

function markElements(size: number, dependent: (i: number) => boolean): Uint8Array | undefined {
  let mask: Uint8Array | undefined;
  for (let i = 0; i < size; i++) if (dependent(i)) (mask ??= new Uint8Array(size))[i] = 1;
  return mask;
}

/**
 * 1 for each element of `x` whose `fakeQuantizePerTensorAffine` output and gradient mask differ
 * between PyTorch builds (see `fakeQuantizeIsBuildDependent`); `undefined` when there is none.
 * @throws {RangeError} for options `fakeQuantizePerTensorAffine` rejects.
 */
export function fakeQuantizePerTensorBuildDependent(
  x: Tensor,
  options: FakeQuantizePerTensorOptions,
): Uint8Array | undefined {
  checkTensor("x", x);
  checkOptions("options", options, "scale, zeroPoint, quantMin, quantMax");
  const [, inv] = checkedScale("scale", options.scale);
  return markElements(
    x.size,
    (i) => fakeQuantizeIsBuildDependent(x.data[i], inv, options.zeroPoint),
  );
}

/**
 * As `fakeQuantizePerTensorBuildDependent`, for `fakeQuantizePerChannelAffine`.
 * @throws {RangeError} for options `fakeQuantizePerChannelAffine` rejects.
 */
export function fakeQuantizePerChannelBuildDependent(
  x: Tensor,
  options: FakeQuantizePerChannelOptions,
): Uint8Array | undefined {
  const p = checkPerChannel(x, options);
  const kernel = p.floatZeroPoints ? "float-zero-point" : "int-zero-point";
  const channelOf = (i: number) => Math.floor(i / p.inner) % p.channels;
  return markElements(x.size, (i) => {
    const c = channelOf(i);
    return fakeQuantizeIsBuildDependent(x.data[i], p.inverses[c], p.zeroPoints[c], kernel);
  });
}

/**
 * 1 for each element of `x` whose LSQ forward output or backward terms differ between PyTorch
 * builds (the forward and the backward round the zero point differently, so both codes are
 * checked); `undefined` when there is none.
 * @throws {RangeError} for options the LSQ functions reject.
 */
export function fakeQuantizeLearnablePerTensorBuildDependent(
  x: Tensor,
  options: LearnablePerTensorOptions,
): Uint8Array | undefined {
  checkTensor("x", x);
  checkLearnableScalars(options);
  const [, inv] = checkedScale("scale", options.scale);
  checkFinite("zeroPoint", options.zeroPoint);
  const { quantMin, quantMax } = options;
  const forward = forwardZeroPoint(options.zeroPoint, quantMin, quantMax);
  const backward = f32(backwardZeroPoint(options.zeroPoint, quantMin, quantMax));
  return markElements(
    x.size,
    (i) =>
      fakeQuantizeIsBuildDependent(x.data[i], inv, forward) ||
      fakeQuantizeIsBuildDependent(x.data[i], inv, backward, "learnable-backward"),
  );
}

/**
 * As `fakeQuantizeLearnablePerTensorBuildDependent`, per channel.
 * @throws {RangeError} for options the LSQ functions reject.
 */
export function fakeQuantizeLearnablePerChannelBuildDependent(
  x: Tensor,
  options: LearnablePerChannelOptions,
): Uint8Array | undefined {
  const p = checkLearnablePerChannel(x, options);
  const channelOf = (i: number) => Math.floor(i / p.inner) % p.channels;
  return markElements(x.size, (i) => {
    const c = channelOf(i);
    const [v, inv, zp] = [x.data[i], p.inverses[c], p.zeroPoints[c]];
    return fakeQuantizeIsBuildDependent(v, inv, zp) ||
      fakeQuantizeIsBuildDependent(v, inv, zp, "learnable-backward");
  });
}

// ---------------------------------------------------------------------------------------------
// torch.sum over every dimension but one

/**
 * PyTorch's `multi_row_sum` (aten/src/ATen/native/cpu/SumKernel.cpp) for scalar accumulators:
 * sums `size` rows of `nrows` columns (`load(row, k)`), adding rows in blocks of `step` into
 * level 0 and carrying completed blocks up through 4 levels. Returns the `nrows` column sums.
 */
function multiRowSum(
  size: number,
  nrows: number,
  load: (row: number, k: number) => number,
): number[] {
  const levels = 4;
  const ceilLog2 = size <= 1 ? 0 : Math.ceil(Math.log2(size));
  const levelPower = Math.max(4, Math.floor(ceilLog2 / levels));
  const levelStep = 2 ** levelPower;
  const levelMask = levelStep - 1;
  const acc = Array.from({ length: levels }, () => new Array<number>(nrows).fill(0));
  let i = 0;
  while (i + levelStep <= size) {
    for (let j = 0; j < levelStep; j++, i++) {
      for (let k = 0; k < nrows; k++) acc[0][k] = f32(acc[0][k] + load(i, k));
    }
    for (let j = 1; j < levels; j++) {
      for (let k = 0; k < nrows; k++) {
        acc[j][k] = f32(acc[j][k] + acc[j - 1][k]);
        acc[j - 1][k] = 0;
      }
      if ((i & (levelMask * 2 ** (j * levelPower))) !== 0) break;
    }
  }
  for (; i < size; i++) {
    for (let k = 0; k < nrows; k++) acc[0][k] = f32(acc[0][k] + load(i, k));
  }
  for (let j = 1; j < levels; j++) {
    for (let k = 0; k < nrows; k++) acc[0][k] = f32(acc[0][k] + acc[j][k]);
  }
  return acc[0];
}

/** PyTorch's scalar `row_sum`: 4 interleaved accumulators, the tail into the first, then folded. */
function rowSum(size: number, load: (i: number) => number): number {
  const ilp = 4;
  const rows = Math.floor(size / ilp);
  const partial = rows > 0 ? multiRowSum(rows, ilp, (r, k) => load(r * ilp + k)) : [0, 0, 0, 0];
  for (let i = rows * ilp; i < size; i++) partial[0] = f32(partial[0] + load(i));
  for (let k = 1; k < ilp; k++) partial[0] = f32(partial[0] + partial[k]);
  return partial[0];
}

/**
 * `torch.sum(t, dims)` over every dimension but `axis` of a contiguous float32 tensor, in the
 * order PyTorch 1.13's single-threaded AVX2 `cascade_sum` adds (verified against PyTorch on 400
 * random shapes; dims of size 1 drop out as TensorIterator coalesces them). With `outer`,
 * `channels`, `inner` the sizes before, at and after the axis:
 * - one channel: the whole tensor is one contiguous reduction, `torchSumFloat32`;
 * - `inner > 1` or `outer == 1`: for each channel, the contiguous rows `t[o, c, :]` are each
 *   summed by `torchSumFloat32` and added in order of `o` to an accumulator starting at 0;
 * - `inner == 1` (axis last, after dropping size-1 dims): columns of an `[outer, channels]`
 *   matrix. With `channels >= 8` the first `floor(channels/32)*32` columns use the single-
 *   accumulator cascade, the rest `row_sum`'s 4 interleaved accumulators; with fewer than 8
 *   channels, the first `floor(channels/4)*4` columns cascade and the rest use `row_sum`.
 * The result is never -0 (PyTorch adds each partial sum to a zero-filled output).
 */
export function sumExceptAxisFloat32(
  data: Float32Array,
  shape: readonly number[],
  axis: number,
): Float32Array {
  checkTypedArray("data", data, Float32Array, "float32 values");
  checkLength("data", data, checkShape("shape", shape));
  const { outer, channels, inner } = splitAtAxis(shape, checkAxis("axis", axis, shape.length));
  const out = new Float32Array(channels);
  if (channels === 1) {
    out[0] = f32(0 + torchSumFloat32(data));
    return out;
  }
  if (inner > 1 || outer === 1) {
    for (let c = 0; c < channels; c++) {
      let acc = 0;
      for (let o = 0; o < outer; o++) {
        const start = (o * channels + c) * inner;
        acc = f32(acc + torchSumFloat32(data.subarray(start, start + inner)));
      }
      out[c] = acc;
    }
    return out;
  }
  const cascaded = channels >= 8 ? Math.floor(channels / 32) * 32 : Math.floor(channels / 4) * 4;
  for (let c = 0; c < channels; c++) {
    const load = (o: number) => data[o * channels + c];
    const sum = c < cascaded ? multiRowSum(outer, 1, (o) => load(o))[0] : rowSum(outer, load);
    out[c] = f32(0 + sum);
  }
  return out;
}
