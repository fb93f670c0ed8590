/**
 * The C++ `ChooseQuantizationParams` PyTorch uses at run time: for dynamic quantization of
 * activations (qlinear_dynamic.cpp) and inside `fused_moving_avg_obs_fake_quant`
 * (aten/src/ATen/native/quantized/cpu/QuantUtils.h `quant_utils::ChooseQuantizationParams`, and
 * FBGEMM's `fbgemm::ChooseQuantizationParams` in FBGEMM builds;
 * docs/numerics/observers.md §ChooseQuantizationParams).
 * It differs from the Python observers' `calculate_qparams`: no eps floor but a 6.1e-5 minimum
 * scale, zero-point nudging by the smaller error, and the scale kept in double (quant_utils).
 * @module
 */
import { checkInteger, checkNumber, checkOneOf, checkOptions, optionalBoolean } from "./_check.ts";
import { f32, roundHalfEven } from "./float32.ts";

/** Which C++ implementation to follow. */
export type ChooseQParamsVariant = "quant_utils" | "fbgemm";

/** Options of `chooseQuantizationParams`. */
export interface ChooseQParamsOptions {
  /** The smallest integer code (e.g. 0 for quint8). */
  qmin: number;
  /** The largest integer code (e.g. 255). */
  qmax: number;
  /** Keep 0 at the middle of a symmetric range when min < 0 < max (symmetric qschemes). */
  preserveSparsity?: boolean;
  /** Halve the range first (`reduce_range`). */
  reduceRange?: boolean;
  /** Default `quant_utils` (PyTorch builds without FBGEMM, and QNNPACK). */
  variant?: ChooseQParamsVariant;
}

/** The chosen parameters. */
export interface ChosenQParams {
  /**
   * The scale. quant_utils keeps it in double (callers round it to float32 where they store
   * it); fbgemm rounds it to float32 at once.
   */
  scale: number;
  /** The nudged integer zero point in [qmin, qmax]. */
  zeroPoint: number;
}

const MIN_SCALE = f32(6.1e-5);
const VARIANTS: readonly ChooseQParamsVariant[] = ["quant_utils", "fbgemm"];

/**
 * `ChooseQuantizationParams(min, max, qmin, qmax, preserve_sparsity, force_scale_power_of_two =
 * false, reduce_range)` for float32 `min` and `max`.
 * @throws {RangeError} (quant_utils variant) unless min <= max and, after reduce_range,
 * qmin < qmax — PyTorch's TORCH_CHECKs (FBGEMM's version has none).
 */
export function chooseQuantizationParams(
  min: number,
  max: number,
  options: ChooseQParamsOptions,
): ChosenQParams {
  checkNumber("min", min);
  checkNumber("max", max);
  checkOptions("options", options, "qmin, qmax, preserveSparsity?, reduceRange?, variant?");
  let { qmin, qmax } = options;
  checkInteger("qmin", qmin);
  checkInteger("qmax", qmax);
  const variant = checkOneOf(
    "variant",
    options.variant === undefined ? "quant_utils" : options.variant,
    VARIANTS,
  );
  const reduceRange = optionalBoolean("reduceRange", options.reduceRange, false);
  const preserveSparsity = optionalBoolean("preserveSparsity", options.preserveSparsity, false);
  if (variant === "quant_utils" && !(f32(min) <= f32(max))) {
    // quant_utils::ChooseQuantizationParams: TORCH_CHECK(min <= max) (NaN fails it too).
    throw new RangeError(
      `min/max: ChooseQuantizationParams needs min <= max, got min ${min} and max ${max}`,
    );
  }
  if (reduceRange) {
    qmin = Math.trunc(qmin / 2);
    qmax = Math.trunc(qmax / 2);
  }
  if (variant === "quant_utils" && !(qmin < qmax)) {
    // TORCH_CHECK(qmin < qmax), after the reduce_range halving.
    throw new RangeError(
      `qmin/qmax: ChooseQuantizationParams needs qmin < qmax, got ${qmin} and ${qmax}`,
    );
  }
  min = f32(min);
  max = f32(max);
  const symmetric = preserveSparsity && min < 0 && max > 0;
  if (symmetric) {
    const symQmin = -(Math.trunc((qmax - qmin) / 2) + 1);
    const symQmax = Math.trunc((qmax - qmin) / 2);
    const maxScale = Math.max(Math.abs(f32(min / symQmin)), Math.abs(f32(max / symQmax)));
    min = f32(maxScale * symQmin);
    max = f32(maxScale * symQmax);
  }
  min = Math.min(min, 0);
  max = Math.max(max, 0);
  let scale = (max - min) / (qmax - qmin); // double, as `static_cast<double>(max) - min`
  if (variant === "fbgemm") scale = f32(scale);
  if (f32(scale) === 0 || !Number.isFinite(1 / f32(scale))) scale = 0.1;
  if (scale < MIN_SCALE) {
    const original = f32(scale);
    scale = MIN_SCALE;
    if (min === 0) max = f32(MIN_SCALE * (qmax - qmin));
    else if (max === 0) min = f32(-MIN_SCALE * (qmax - qmin));
    else {
      const amplifier = f32(MIN_SCALE / original);
      min = f32(min * amplifier);
      max = f32(max * amplifier);
    }
  }
  // Nudge the zero point by whichever end has the smaller rounding error.
  const zeroFromMin = qmin - min / scale;
  const zeroFromMax = qmax - max / scale;
  const errorMin = variant === "fbgemm"
    ? Math.abs(qmin) + Math.abs(min / scale)
    : Math.abs(qmin) - Math.abs(min / scale);
  const errorMax = variant === "fbgemm"
    ? Math.abs(qmax) + Math.abs(max / scale)
    : Math.abs(qmax) - Math.abs(max / scale);
  let zero = errorMin < errorMax ? zeroFromMin : zeroFromMax;
  if (symmetric) zero = (qmin + qmax) / 2;
  const zeroPoint = zero < qmin ? qmin : zero > qmax ? qmax : roundHalfEven(zero);
  return { scale, zeroPoint: zeroPoint === 0 ? 0 : zeroPoint };
}
