/**
 * HistogramObserver, the full PyTorch 1.13 algorithm (torch/ao/quantization/observer.py;
 * docs/numerics/observers.md §HistogramObserver): a 2048-bin running histogram whose range
 * grows by upsampling and re-binning, and an L2-error search for the clipping range.
 * @module
 */
import { checkInteger, checkTensor, show } from "../_check.ts";
import { f32, roundHalfEven } from "../float32.ts";
import type { Tensor } from "../tensor.ts";
import { torchSumFloat32 } from "../torch_sum.ts";
import {
  combineHistograms,
  cumsumFloat32,
  divFloorFloat32,
  histc,
  histcBound,
  HistogramCapacityError,
  pythonInt,
} from "./_histogram_math.ts";
import { aminmax, torchMaximum, torchMinimum } from "./_minmax.ts";
import type { QParamsResult } from "./observer.ts";
import {
  calculateQParamsFromMinMax,
  checkOptionKeys,
  defaultQParams,
  requirePerTensor,
  UNIFORM_OPTION_KEYS,
  type UniformObserverOptions,
  UniformQuantizationObserverBase,
} from "./uniform.ts";

/** Options of HistogramObserver (qscheme defaults to per_tensor_affine). */
export interface HistogramObserverOptions extends UniformObserverOptions {
  /** Histogram bins (default 2048). */
  bins?: number;
  /** Upsampling factor used to re-bin the histogram when the range grows (default 128). */
  upsampleRate?: number;
}

/**
 * `torch.ao.quantization.HistogramObserver` (1.13).
 *
 * `forward`:
 * - first batch, or when the recorded min equals the max (the old histogram is dropped):
 *   `histc(x, bins, int(min), int(max))` — `int()` truncates, so data outside
 *   `[int(min), int(max)]` is not counted;
 * - otherwise the range is widened to cover the batch (the max relaxed so that the new bin width
 *   is a whole multiple of the old one over `upsampleRate`), the batch binned with
 *   `histc(x, bins, int(cmin), int(cmax))`, and the old histogram upsampled, shifted and
 *   re-binned onto it (or added directly when the range did not change).
 *
 * `calculateQParams` searches the clipping range that minimises the L2 quantization error over
 * `dstNbins` destination bins (`_non_linear_param_search`), then applies the uniform qparams rule.
 *
 * Unlike MinMaxObserver, PyTorch accepts reduceRange with a symmetric quint8 histogram observer
 * (zero point 128, range [0, 127]); so does this.
 *
 * Where PyTorch 1.13 itself gives up, so does this, with an error that names the observer: NaN or
 * ±Infinity in a batch, values beyond ±2^63 (torch.histc's int64 bounds), a range that grows by
 * more than float32 expresses between batches. And where PyTorch's float32 arithmetic gives an
 * odd answer this gives the same: with more than 2^24 bins the error search cannot tell bin
 * indices apart, so `bins: 2e7` or `1e8` on data [0, 1] gives scale 2^-23 (the eps floor)
 * instead of 1/255 — PyTorch 1.13 gives exactly that (recorded: 16777217 bins give
 * 0.0039215689, 2·10^7 and 10^8 bins give 2^-23).
 */
export class HistogramObserver extends UniformQuantizationObserverBase {
  /** PyTorch's class name. */
  static readonly className: string = "HistogramObserver";
  /** The option names the class takes. */
  static readonly optionKeys: readonly string[] = [...UNIFORM_OPTION_KEYS, "bins", "upsampleRate"];
  /** The number of histogram bins. */
  readonly bins: number;
  /** The upsampling factor. */
  readonly upsampleRate: number;
  /** The destination bins of the error search: `2 ** bits(dtype)` (256 even under reduceRange). */
  readonly dstNbins: number;
  #histogram: Float32Array;
  #min = Infinity;
  #max = -Infinity;

  /**
   * Builds the observer with PyTorch's defaults (2048 bins, upsample rate 128, quint8,
   * per_tensor_affine).
   * @throws {RangeError|TypeError} for a per-channel qscheme, bins or upsampleRate that are not
   * integers >= 1, or a bad dtype/range.
   */
  constructor(options: HistogramObserverOptions = {}) {
    checkOptionKeys("HistogramObserver", options, HistogramObserver.optionKeys);
    requirePerTensor("HistogramObserver", options.qscheme);
    super(options, { qscheme: "per_tensor_affine" });
    const bins = options.bins ?? 2048;
    const upsampleRate = options.upsampleRate ?? 128;
    checkInteger("bins", bins);
    checkInteger("upsampleRate", upsampleRate);
    if (bins < 1) throw new RangeError(`bins: must be >= 1, got ${show(bins)}`);
    if (upsampleRate < 1) {
      throw new RangeError(`upsampleRate: must be >= 1, got ${show(upsampleRate)}`);
    }
    this.bins = bins;
    this.upsampleRate = upsampleRate;
    this.dstNbins = this.dtype === "qint32" ? 2 ** 32 : 256;
    this.#histogram = new Float32Array(bins);
  }

  /** PyTorch's class name. */
  get className(): string {
    return HistogramObserver.className;
  }

  /** The histogram's lower edge (+Infinity before the first batch). */
  get minVal(): number {
    return this.#min;
  }

  /** The histogram's upper edge (-Infinity before the first batch). */
  get maxVal(): number {
    return this.#max;
  }

  /** The running histogram (a copy): float32 counts, `bins` long. */
  get histogram(): Float32Array {
    return this.#histogram.slice();
  }

  /**
   * Restores a saved state, as PyTorch's `_load_from_state_dict` loads the `histogram`, `min_val`
   * and `max_val` buffers (e.g. the statistics of a calibration run recorded elsewhere).
   * @throws {RangeError} for a histogram that is not `bins` long, or edges that are not both
   * finite with min <= max (or the initial +Infinity / -Infinity pair).
   */
  loadState(state: { histogram: ArrayLike<number>; minVal: number; maxVal: number }): void {
    if (state.histogram.length !== this.bins) {
      throw new RangeError(
        `histogram: expected ${this.bins} bins, got ${state.histogram.length}`,
      );
    }
    const { minVal, maxVal } = state;
    const initial = minVal === Infinity && maxVal === -Infinity;
    if (!initial && !(Number.isFinite(minVal) && Number.isFinite(maxVal) && minVal <= maxVal)) {
      throw new RangeError(
        `minVal, maxVal: expected finite edges with min <= max, got ${show(minVal)}, ${
          show(maxVal)
        }`,
      );
    }
    this.#histogram = Float32Array.from(state.histogram);
    this.#min = f32(minVal);
    this.#max = f32(maxVal);
  }

  /**
   * Adds `x` to the histogram; returns `x`. On failure the observer is left as it was (PyTorch
   * has already replaced min_val/max_val by then).
   * @throws {TypeError} unless `x` is a Tensor; {RangeError} for NaN or ±Infinity in `x` (PyTorch
   * fails in `int()`); {HistogramCapacityError} where PyTorch itself fails for finite data: a
   * value beyond ±2^63 (torch.histc's int64 bounds), a range that grew so much that the
   * re-binning factor overflows float32 or the re-binning grid cannot be allocated, or an old
   * histogram that does not fit the grid. Every message starts with `HistogramObserver`.
   */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (x.size === 0) return x;
    const sameValues = this.#min === this.#max;
    const uninitialized = this.#min === Infinity && this.#max === -Infinity;
    const batch = aminmax(x.data);
    const { min, max } = batch;
    for (const [what, v] of [["minimum", min], ["maximum", max]] as const) {
      pythonInt(`HistogramObserver: the batch ${what} (NaN or ±Infinity in x)`, v);
    }
    if (uninitialized || sameValues) {
      const lo = histcBound("HistogramObserver: the batch minimum", min);
      const hi = histcBound("HistogramObserver: the batch maximum", max);
      this.#histogram = histc(x.data, this.bins, lo, hi, "HistogramObserver: histc");
      this.#min = min;
      this.#max = max;
      return x;
    }
    const combinedMin = torchMinimum(batch.min, this.#min);
    let combinedMax = torchMaximum(batch.max, this.#max);
    // _adjust_min_max: a common grid of resolution (max - min) / (bins * upsampleRate).
    const histBinWidth = f32(f32(this.#max - this.#min) / f32(this.bins * this.upsampleRate));
    const combinedBinWidth = f32(f32(this.bins) * histBinWidth);
    const ratio = f32(f32(combinedMax - combinedMin) / combinedBinWidth);
    if (ratio === Infinity) {
      throw new HistogramCapacityError(
        `HistogramObserver: the range grew from [${show(this.#min)}, ${show(this.#max)}] to ` +
          `[${show(combinedMin)}, ${show(combinedMax)}], a re-binning factor beyond float32; ` +
          `PyTorch 1.13 fails here too (int() of an infinite downsample rate: OverflowError)`,
      );
    }
    const downsampleRate = pythonInt("HistogramObserver: downsample rate", Math.ceil(ratio));
    const e = f32(f32(f32(downsampleRate) * combinedBinWidth) - f32(combinedMax - combinedMin));
    combinedMax = f32(combinedMax + e);
    const startIndex = pythonInt(
      "HistogramObserver: start index",
      roundHalfEven(f32(f32(this.#min - combinedMin) / histBinWidth)),
    );
    let combined = histc(
      x.data,
      this.bins,
      histcBound("HistogramObserver: the combined minimum", combinedMin),
      histcBound("HistogramObserver: the combined maximum", combinedMax),
      "HistogramObserver: histc",
    );
    if (combinedMin === this.#min && combinedMax === this.#max) {
      for (let i = 0; i < combined.length; i++) {
        combined[i] = f32(combined[i] + this.#histogram[i]);
      }
    } else {
      combined = combineHistograms(combined, this.#histogram, {
        upsampleRate: this.upsampleRate,
        downsampleRate,
        startIndex,
      });
    }
    this.#histogram = combined;
    this.#min = combinedMin;
    this.#max = combinedMax;
    return x;
  }

  /**
   * `_compute_quantization_error(next_start_bin, next_end_bin)`: the L2 error of quantizing the
   * histogram with the range `[start, end]` bins onto `dstNbins` bins, summed with torch.sum's
   * order. Exposed for inspection and tests.
   */
  computeQuantizationError(nextStartBin: number, nextEndBin: number): number {
    const bins = this.bins;
    const binWidth = (this.#max - this.#min) / bins; // double, from .item()
    const dstBinWidth = binWidth * (nextEndBin - nextStartBin + 1) / this.dstNbins;
    if (dstBinWidth === 0) return 0;
    const bw = f32(binWidth);
    const dbw = f32(dstBinWidth);
    const half = f32(dstBinWidth / 2);
    const negHalf = f32(-dstBinWidth / 2);
    const upper = f32(this.dstNbins - 1);
    const clampBin = (v: number) => (v < 0 ? 0 : v > upper ? upper : v);
    const getNorm = (begin: number, end: number, density: number) =>
      f32(density * f32(f32(f32(f32(end * end) * end) - f32(f32(begin * begin) * begin)) / 3));
    const norm = new Float32Array(bins);
    for (let k = 0; k < bins; k++) {
      const srcBegin = f32(f32(k - nextStartBin) * bw);
      const srcEnd = f32(srcBegin + bw);
      const dstOfBegin = clampBin(divFloorFloat32(srcBegin, dbw));
      const dstOfBeginCenter = f32(f32(dstOfBegin + 0.5) * dbw);
      const dstOfEnd = clampBin(divFloorFloat32(srcEnd, dbw));
      const density = f32(this.#histogram[k] / bw);
      let n = getNorm(f32(srcBegin - dstOfBeginCenter), half, density);
      n = f32(n + f32(f32(f32(dstOfEnd - dstOfBegin) - 1) * getNorm(negHalf, half, density)));
      const dstOfEndCenter = f32(f32(dstOfEnd * dbw) + half);
      n = f32(n + getNorm(negHalf, f32(srcEnd - dstOfEndCenter), density));
      norm[k] = n;
    }
    return torchSumFloat32(norm);
  }

  /**
   * `_non_linear_param_search`: narrows `[start, end]` bin by bin from the side with more
   * histogram mass beyond the next 1e-5 quantile, while the quantization error does not grow;
   * returns the clipped range `min + binWidth·start`, `min + binWidth·(end + 1)` (float32).
   * Exposed for inspection and tests.
   */
  nonLinearParamSearch(): { min: number; max: number } {
    const bins = this.bins;
    const binWidth = f32(f32(this.#max - this.#min) / f32(bins));
    const total = torchSumFloat32(this.#histogram);
    const cSum = cumsumFloat32(this.#histogram);
    const stepSize = 1e-5;
    let alpha = 0;
    let beta = 1;
    let startBin = 0;
    let endBin = bins - 1;
    let normMin = Infinity;
    while (alpha < beta) {
      const nextAlpha = alpha + stepSize;
      const nextBeta = beta - stepSize;
      const lowBound = f32(nextAlpha * total);
      const highBound = f32(nextBeta * total);
      let l = startBin;
      let r = endBin;
      while (l < endBin && cSum[l] < lowBound) l++;
      while (r > startBin && cSum[r] > highBound) r--;
      let nextStartBin = startBin;
      let nextEndBin = endBin;
      if (l - startBin > endBin - r) {
        nextStartBin = l;
        alpha = nextAlpha;
      } else {
        nextEndBin = r;
        beta = nextBeta;
      }
      if (nextStartBin === startBin && nextEndBin === endBin) continue;
      const norm = this.computeQuantizationError(nextStartBin, nextEndBin);
      if (norm > normMin) break;
      normMin = norm;
      startBin = nextStartBin;
      endBin = nextEndBin;
    }
    return {
      min: f32(this.#min + f32(binWidth * startBin)),
      max: f32(this.#min + f32(binWidth * (endBin + 1))),
    };
  }

  /** `(1, 0)` before the first batch; otherwise the qparams of the searched range. */
  override calculateQParams(): QParamsResult {
    if (this.#min === Infinity && this.#max === -Infinity) return defaultQParams();
    const { min, max } = this.nonLinearParamSearch();
    return calculateQParamsFromMinMax(min, max, this);
  }
}
