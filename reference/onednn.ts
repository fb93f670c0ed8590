/**
 * oneDNN's int8 arithmetic as PyTorch 1.13's `onednn` engine calls it through ideep
 * (aten/src/ATen/native/quantized/cpu/qlinear.cpp, qlinear_dynamic.cpp and qconv.cpp
 * `PackedLinearWeightsOnednn` / `PackedConvWeightsOnednn`; ideep `matmul_forward` and
 * `convolution_forward`), on a CPU with VNNI — verified bit for bit against PyTorch 1.13.1 with
 * oneDNN 2.6.3 on an AVX-512 VNNI CPU (scripts/golden/gen_onednn.py records the cases):
 *
 * - Scales are reciprocals in float: `src = f32(1/x_scale)`, `dst = f32(1/y_scale)` (double
 *   divisions), `w = f32(1/w_scale)` per tensor (a double division) but `f32(1/f32(w_scale_c))`
 *   per channel (a float division).
 * - Per output channel: `bs = f32(src·w)` and the output scale `os = f32(dst / bs)`; the float
 *   bias is scaled once, `b' = f32(bias·bs)`.
 * - The accumulator is exact: `acc = Σ (x − x_zp)·w` in int32 (padding taps read the zero point).
 * - `y = f32(f32(f32(acc) + b')·os)`, ReLU as `max(y, 0)`, then the output zero point is added
 *   in float before rounding: `q = clamp(rne(f32(y + f32(y_zp))), 0, 255)`.
 * - Dynamic linear: activations quantized by oneDNN's reorder, `clamp(rne(f32(f32(x·src) +
 *   f32(zp))), 0, 255)` (zero point before rounding), float output `y` with `dst = 1`.
 *
 * Weights must be symmetric (PyTorch's onednn prepack refuses a nonzero weight zero point).
 * On CPUs without VNNI oneDNN sums u8·s8 pairs with int16 saturation instead; that arithmetic is
 * not reproduced (docs/numerics/engines.md §The CPU each numerics assumes).
 * @module
 */
import { show } from "./_check.ts";
import { f32, roundHalfEven } from "./float32.ts";

/** The per-column constants of oneDNN's requantization. */
export interface OnednnScaleTerms {
  /** `b' = f32(bias·bs)` per column; null without bias. */
  readonly biasTerms: Float32Array | null;
  /** The output scale `os = f32(dst / bs)` per column. */
  readonly multipliers: Float32Array;
}

/** What oneDNN's scales are computed from. */
export interface OnednnScaleInputs {
  /** One weight scale per column (per channel) or one for all (per tensor), as doubles. */
  readonly weightScales: ArrayLike<number>;
  /** Whether the weight is quantized per output channel. */
  readonly perChannel: boolean;
  /** The number of output columns. */
  readonly columns: number;
  /** The float bias, or null. */
  readonly bias: ArrayLike<number> | null;
  /** The activation scale (a double). */
  readonly inputScale: number;
  /** The output scale, or null for a float output (dynamic linear). */
  readonly outputScale: number | null;
}

/** The weight's oneDNN scale of column `c`: a reciprocal in float. */
function weightReciprocal(scales: ArrayLike<number>, perChannel: boolean, c: number): number {
  return perChannel ? f32(1 / f32(scales[c])) : f32(1 / scales[0]);
}

/** Computes oneDNN's per-column constants (see the module documentation). */
export function onednnScaleTerms(inputs: OnednnScaleInputs): OnednnScaleTerms {
  const { columns, bias } = inputs;
  const src = f32(1 / inputs.inputScale);
  const dst = inputs.outputScale === null ? 1 : f32(1 / inputs.outputScale);
  const multipliers = new Float32Array(columns);
  const biasTerms = bias === null ? null : new Float32Array(columns);
  for (let c = 0; c < columns; c++) {
    const bs = f32(src * weightReciprocal(inputs.weightScales, inputs.perChannel, c));
    multipliers[c] = f32(dst / bs);
    if (biasTerms !== null) biasTerms[c] = f32(bias![c] * bs);
  }
  return { biasTerms, multipliers };
}

/** `f32(f32(f32(acc) + b')·os)`, ReLU applied: oneDNN's float result before the zero point. */
export function onednnScaled(
  acc: number,
  biasTerm: number,
  multiplier: number,
  relu: boolean,
): number {
  const y = f32(f32(f32(acc) + biasTerm) * multiplier);
  return relu && !(y > 0) ? 0 : y;
}

/** oneDNN's u8 output: `clamp(rne(f32(y + f32(zp))), 0, 255)` (saturated in float first). */
export function onednnToUint8(y: number, zeroPoint: number): number {
  const v = f32(y + zeroPoint);
  return v >= 255 ? 255 : v > 0 ? roundHalfEven(v) : 0;
}

/**
 * oneDNN's f32 → u8 reorder with a scale and zero point (dynamic linear's activations):
 * `clamp(rne(f32(f32(x·scale) + f32(zp))), 0, 255)`; NaN gives 0.
 */
export function onednnQuantizeU8(x: number, scale: number, zeroPoint: number): number {
  const v = f32(f32(x * scale) + zeroPoint);
  return v >= 255 ? 255 : v > 0 ? roundHalfEven(v) : 0;
}

/**
 * Checks that a weight is symmetric, as PyTorch's onednn prepack requires.
 * @throws {RangeError} naming the first nonzero zero point.
 */
export function checkOnednnWeight(zeroPoints: ArrayLike<number>): void {
  for (let c = 0; c < zeroPoints.length; c++) {
    if (zeroPoints[c] !== 0) {
      throw new RangeError(
        `weight zero points[${c}]: the onednn numerics need a symmetric weight (zero point 0, ` +
          `as PyTorch's onednn prepack requires), got ${show(zeroPoints[c])}`,
      );
    }
  }
}
