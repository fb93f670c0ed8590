/**
 * Timing with mitata: groups of variants, one summary per group (the `fp32` variant as its
 * baseline), and the median time of each.
 * @module
 */
import { bench, run, summary } from "mitata";

/** One timed group: a label and its variants. */
export interface TimedGroup {
  readonly label: string;
  readonly variants: readonly { readonly variant: string; readonly run: () => unknown }[];
}

/** Times every variant; returns the median in ns keyed `${label} ${variant}`. */
export async function timeGroups(groups: readonly TimedGroup[]): Promise<Map<string, number>> {
  for (const { label, variants } of groups) {
    summary(() => {
      for (const v of variants) {
        const b = bench(`${label} ${v.variant}`, v.run);
        if (v.variant === "fp32") b.baseline(true);
      }
    });
  }
  const result = await run({ colors: false, format: "mitata" });
  const medians = new Map<string, number>();
  for (const trial of result.benchmarks) {
    const stats = trial.runs[0]?.stats;
    if (stats) medians.set(trial.alias, stats.p50);
  }
  return medians;
}
