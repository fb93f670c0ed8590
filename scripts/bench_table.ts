/**
 * Turns `deno task bench --json FILE` output into the Markdown table the README shows: per item,
 * the fp32 time, the fastest int8 path, its speedup, the ARM-style path's speedup and the best
 * dynamic (linear) speedup.
 *
 * Usage: deno run --allow-read scripts/bench_table.ts bench.json
 * @module
 */
import type { BenchRecord } from "../bench/main.ts";

/** The Markdown table of a bench run's records. */
export function benchTable(records: readonly BenchRecord[]): string {
  const shapes = [...new Set(records.map((r) => r.shape))];
  const lines = [
    "| shape | from | fp32 ms | best int8 ms | ×fp32 | best int8 path | arm ×fp32 | dynamic ×fp32 |",
    "|---|---|--:|--:|--:|---|--:|--:|",
  ];
  for (const shape of shapes) {
    const of = records.filter((r) => r.shape === shape);
    const fp32 = of.find((r) => r.variant === "fp32");
    if (fp32 === undefined) throw new Error(`${shape}: no fp32 record`);
    const best = (op: string, keep: (r: BenchRecord) => boolean = () => true) =>
      of.filter((r) => r.op === op && r.variant !== "fp32" && keep(r))
        .sort((a, b) => a.medianNs - b.medianNs)[0];
    const int8 = best(fp32.op);
    const arm = best(fp32.op, (r) => r.variant.startsWith("arm"));
    const dynamic = best("linear_dynamic");
    lines.push(
      `| ${shape} | ${fp32.name} | ${(fp32.medianNs / 1e6).toFixed(3)} | ${
        (int8.medianNs / 1e6).toFixed(3)
      } | **${int8.speedupOverFp32.toFixed(2)}** | ${int8.variant} | ${
        arm ? arm.speedupOverFp32.toFixed(2) : "–"
      } | ${dynamic ? dynamic.speedupOverFp32.toFixed(2) : "–"} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const file = Deno.args[0];
  if (!file) {
    console.error("usage: deno run --allow-read scripts/bench_table.ts bench.json");
    Deno.exit(2);
  }
  const { records } = JSON.parse(await Deno.readTextFile(file));
  console.log(benchTable(records));
}
