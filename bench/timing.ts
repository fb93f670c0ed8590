/**
 * Timing with mitata: every variant of every group, one progress line each, and the quartiles
 * of each variant's samples (the median is the statistic every table reports; p25–p75 its
 * spread, see bench/spread.ts). mitata's own report, which summarises with the mean, is not
 * printed.
 * @module
 */
import { bench, run } from "mitata";
import type { Quartiles } from "./spread.ts";

/** One timed group: a label and its variants. */
export interface TimedGroup {
  readonly label: string;
  readonly variants: readonly { readonly variant: string; readonly run: () => unknown }[];
}

/** Times every variant; returns its quartiles (ns per run) keyed `${label} ${variant}`. */
export async function timeGroups(groups: readonly TimedGroup[]): Promise<Map<string, Quartiles>> {
  for (const { label, variants } of groups) {
    for (const v of variants) bench(`${label} ${v.variant}`, v.run);
  }
  const quartiles = new Map<string, Quartiles>();
  const ms = (ns: number) => (ns / 1e6).toFixed(3);
  await run({
    colors: false,
    format: "quiet",
    observe(trial) {
      const stats = trial.runs[0]?.stats;
      if (stats) {
        const q = { p25Ns: stats.p25, medianNs: stats.p50, p75Ns: stats.p75 };
        quartiles.set(trial.alias, q);
        console.log(
          `  timed ${trial.alias}: median ${ms(q.medianNs)} ms (p25–p75 ${ms(q.p25Ns)}–${
            ms(q.p75Ns)
          })`,
        );
      }
      return trial;
    },
  });
  return quartiles;
}

/** The quartiles of a variant that could not be timed. */
export const UNTIMED: Quartiles = { p25Ns: NaN, medianNs: NaN, p75Ns: NaN };
