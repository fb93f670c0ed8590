/**
 * The tensor operations HistogramObserver is built from, bit for bit as PyTorch 1.13 runs them on
 * a CPU (aten/src/ATen/native/Histogram.cpp, cpu/HistogramKernel.cpp, c10/util/generic_math.h;
 * docs/numerics/observers.md §HistogramObserver).
 * @module
 */
import { show } from "../_check.ts";
import { f32 } from "../float32.ts";
import { aminmax } from "./_minmax.ts";

/**
 * Thrown where PyTorch 1.13's HistogramObserver itself fails for the data (an allocation of
 * `bins × downsample rate` floats, or a re-binning grid the old histogram does not fit), as
 * opposed to invalid arguments.
 */
export class HistogramCapacityError extends RangeError {
  /** An error with `message`, named HistogramCapacityError. */
  constructor(message: string) {
    super(message);
    this.name = "HistogramCapacityError";
  }
}

/**
 * Python's `int(x)` of a float tensor: truncation toward zero.
 * @throws {RangeError} for NaN and ±Infinity (Python's ValueError / OverflowError).
 */
export function pythonInt(name: string, x: number): number {
  if (!Number.isFinite(x)) {
    throw new RangeError(`${name}: cannot convert ${show(x)} to an integer (Python int())`);
  }
  const t = Math.trunc(x);
  return t === 0 ? 0 : t;
}

/**
 * A `torch.histc` bound as HistogramObserver passes it: `int(t)` of a float tensor, which PyTorch
 * then unpacks as an int64 Scalar.
 * @throws {RangeError} for NaN and ±Infinity (as `pythonInt`); {HistogramCapacityError} when the
 * integer does not fit int64 (PyTorch 1.13's "Overflow when unpacking long": data beyond ±2^63).
 */
export function histcBound(name: string, x: number): number {
  const t = pythonInt(name, x);
  if (!(t >= -(2 ** 63) && t < 2 ** 63)) {
    throw new HistogramCapacityError(
      `${name}: int(${show(x)}) does not fit int64, so torch.histc refuses it (PyTorch 1.13 ` +
        `fails here too: "Overflow when unpacking long"); observed values must lie within ` +
        `±9.2e18`,
    );
  }
  return t;
}

/**
 * `torch.histc(x, bins, min, max)` of float32 data (1.13):
 * - edges `a = min`, `b = max` (doubles); if equal, the data's min/max; if still equal, ±1;
 * - `L = f32(a)`, `R = f32(b)`; only `L <= x <= R` counts (NaN is skipped);
 * - bin `(int64) f32(f32(f32(x - L) * f32(bins)) / f32(R - L))`, the last edge going to the
 *   last bin; counts are float32.
 * @param who names the caller in error messages
 * @throws {RangeError} for a non-finite range (PyTorch's check) or a range that collapses in
 * float32 (where PyTorch's index computation is undefined).
 */
export function histc(
  data: ArrayLike<number>,
  bins: number,
  min: number,
  max: number,
  who = "histc",
): Float32Array {
  let left = min;
  let right = max;
  if (left === right && data.length > 0) {
    const extrema = aminmax(data);
    left = extrema.min;
    right = extrema.max;
  }
  if (left === right) {
    left -= 1;
    right += 1;
  }
  if (!Number.isFinite(left) || !Number.isFinite(right)) {
    throw new RangeError(`${who}: range of [${show(left)}, ${show(right)}] is not finite`);
  }
  if (!(left < right)) throw new RangeError(`${who}: max must be larger than min`);
  const lo = f32(left);
  const hi = f32(right);
  const width = f32(hi - lo);
  if (!(width > 0)) {
    throw new RangeError(
      `${who}: the range [${show(left)}, ${show(right)}] collapses to one float32 value; ` +
        `PyTorch's bin index is undefined there`,
    );
  }
  const count = f32(bins);
  const hist = new Float32Array(bins);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= lo && v <= hi)) continue;
    let pos = Math.trunc(f32(f32(f32(v - lo) * count) / width));
    if (pos === bins) pos = bins - 1;
    hist[pos] = f32(hist[pos] + 1);
  }
  return hist;
}

/** `torch.cumsum` of a float32 tensor: accumulated in double, each prefix stored as float32. */
export function cumsumFloat32(data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  let acc = 0;
  for (let i = 0; i < data.length; i++) {
    acc += data[i];
    out[i] = acc;
  }
  return out;
}

/**
 * `torch.div(a, b, rounding_mode="floor")` of float32 values: c10's `div_floor_floating`
 * (`mod = fmod(a, b)`, `div = (a - mod) / b`, corrected toward the floor, then rounded to the
 * nearest integer when the quotient is off by more than a half).
 */
export function divFloorFloat32(a: number, b: number): number {
  a = f32(a);
  b = f32(b);
  if (b === 0) return f32(a / b);
  const mod = a % b; // fmod: exact
  let div = f32(f32(a - mod) / b);
  if (mod !== 0 && (b < 0) !== (mod < 0)) div = f32(div - 1);
  if (div !== 0) {
    let floorDiv = Math.floor(div);
    if (f32(div - floorDiv) > 0.5) floorDiv = f32(floorDiv + 1);
    return floorDiv;
  }
  return Math.sign(1 / f32(a / b)) < 0 ? -0 : 0;
}

/**
 * `HistogramObserver._combine_histograms`: upsamples `previous` by `upsampleRate`, places it at
 * `startIndex` in a grid of `bins * downsampleRate` cells, takes the double cumulative sum at
 * every `downsampleRate`-th cell and adds the differences / upsampleRate (rounded to float32) to
 * `current`. The zero cells are skipped (adding 0 to a double sum changes nothing), so no
 * `bins * downsampleRate` buffer is allocated.
 * @throws {HistogramCapacityError} when the upsampled histogram does not fit the grid
 * (PyTorch's size-mismatch error), or the grid has more than 2^53 cells (PyTorch cannot allocate
 * it).
 */
export function combineHistograms(
  current: Float32Array,
  previous: Float32Array,
  options: { upsampleRate: number; downsampleRate: number; startIndex: number },
): Float32Array {
  const { upsampleRate, downsampleRate, startIndex } = options;
  const bins = current.length;
  const length = bins * downsampleRate;
  if (!(length <= Number.MAX_SAFE_INTEGER)) {
    // PyTorch allocates this many floats (and fails long before); positions would not be exact.
    throw new HistogramCapacityError(
      `HistogramObserver: re-binning needs a grid of ${bins} x ${downsampleRate} cells ` +
        `(the range grew ${downsampleRate / upsampleRate}-fold); PyTorch 1.13 cannot allocate it`,
    );
  }
  const end = startIndex + previous.length * upsampleRate;
  if (startIndex < 0 || end > length) {
    throw new HistogramCapacityError(
      `HistogramObserver: the upsampled histogram [${startIndex}, ${end}) does not fit the ` +
        `combined grid of ${length} cells (PyTorch fails here too)`,
    );
  }
  const integral = new Float64Array(bins);
  let acc = 0;
  let cell = startIndex;
  for (let j = 0; j < bins; j++) {
    const last = (j + 1) * downsampleRate - 1;
    while (cell <= last && cell < end) {
      acc += previous[Math.floor((cell - startIndex) / upsampleRate)];
      cell++;
    }
    integral[j] = acc;
  }
  const out = new Float32Array(bins);
  for (let j = 0; j < bins; j++) {
    const shifted = j === 0 ? 0 : f32(integral[j - 1]);
    out[j] = f32(current[j] + f32((integral[j] - shifted) / upsampleRate));
  }
  return out;
}
