/**
 * The one statistic the benchmarks report — the median of a variant's timed samples — with its
 * spread (the interquartile range, p25–p75), and when a speedup (a ratio of two medians) is too
 * uncertain to read: its interval from the quartiles is wider than ±10%. A busy machine widens
 * every spread; the bench run warns about that as a whole.
 * @module
 */

/** A timed variant's quartiles, in nanoseconds per run. */
export interface Quartiles {
  /** The 25th percentile. */
  readonly p25Ns: number;
  /** The median (50th percentile): the statistic every table reports. */
  readonly medianNs: number;
  /** The 75th percentile. */
  readonly p75Ns: number;
}

/** A speedup of one variant over a baseline: the ratio of medians and the interval around it. */
export interface Speedup {
  /** `baseline median / variant median`. */
  readonly ratio: number;
  /** `baseline p25 / variant p75`: the ratio if the baseline ran fast and the variant slow. */
  readonly low: number;
  /** `baseline p75 / variant p25`. */
  readonly high: number;
  /** Whether the interval lies within ±`UNRELIABLE_HALF_WIDTH` of the ratio. */
  readonly reliable: boolean;
}

/** A speedup whose interval is wider than ±10% of itself is flagged as unreliable. */
export const UNRELIABLE_HALF_WIDTH = 0.1;

/** The interquartile range relative to the median: `(p75 − p25) / median`. */
export function relativeSpread(q: Quartiles): number {
  return (q.p75Ns - q.p25Ns) / q.medianNs;
}

/** The speedup of `variant` over `baseline` (see Speedup). */
export function speedup(baseline: Quartiles, variant: Quartiles): Speedup {
  const ratio = baseline.medianNs / variant.medianNs;
  const low = baseline.p25Ns / variant.p75Ns;
  const high = baseline.p75Ns / variant.p25Ns;
  const reliable = (high - low) / 2 <= UNRELIABLE_HALF_WIDTH * ratio;
  return { ratio, low, high, reliable };
}

/** A speedup as the tables print it: `2.15`, or `2.15?` when unreliable. */
export function showSpeedup(s: Speedup): string {
  return `${s.ratio.toFixed(2)}${s.reliable ? "" : "?"}`;
}

/** The legend of the `?` marker, for under a table. */
export const UNRELIABLE_LEGEND = `? = unreliable: the speedup's interval from the quartiles ` +
  `(baseline p25/p75 over variant p75/p25) is wider than ±${UNRELIABLE_HALF_WIDTH * 100}%; ` +
  `rerun on a quiet machine`;
