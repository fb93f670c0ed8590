/**
 * Turns `deno task bench --json FILE` output into the Markdown table the README shows: per item,
 * the fp32 median time, the fastest int8 path's median, its speedup, the ARM-style path's
 * speedup and the best dynamic (linear) speedup — every number a median, a speedup marked `?`
 * where its interval from the quartiles is wider than ±10%.
 *
 * Usage: deno run --allow-read scripts/bench_table.ts bench.json
 * @module
 */
import type { BenchRecord } from "../bench/main.ts";
import { showSpeedup, speedup, UNRELIABLE_LEGEND } from "../bench/spread.ts";
import { parseCommandLine, runTool, UsageError } from "./cli.ts";

const USAGE = "usage: deno run --allow-read scripts/bench_table.ts bench.json";

/** The Markdown table of a bench run's records. */
export function benchTable(records: readonly BenchRecord[]): string {
  const shapes = [...new Set(records.map((r) => r.shape))];
  const lines = [
    "| shape | from | fp32 median ms | best int8 median ms | ×fp32 | best int8 path | arm ×fp32 | dynamic ×fp32 |",
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
    if (int8 === undefined) throw new Error(`${shape}: no int8 record`);
    const arm = best(fp32.op, (r) => r.variant.startsWith("arm"));
    const dynamic = best("linear_dynamic");
    const ratio = (r: BenchRecord | undefined) => r ? showSpeedup(speedup(fp32, r)) : "–";
    lines.push(
      `| ${shape} | ${fp32.name} | ${(fp32.medianNs / 1e6).toFixed(3)} | ${
        (int8.medianNs / 1e6).toFixed(3)
      } | **${ratio(int8)}** | ${int8.variant} | ${ratio(arm)} | ${ratio(dynamic)} |`,
    );
  }
  lines.push("", `Medians of mitata's samples. ${UNRELIABLE_LEGEND}.`);
  return lines.join("\n");
}

const STRING_FIELDS = ["name", "op", "shape", "variant"];
const NUMBER_FIELDS = ["medianNs", "p25Ns", "p75Ns"];

/**
 * The records of a bench JSON file's text.
 * @throws {Error} naming the file and what is missing when it is not `deno task bench --json`
 * output (of this version: records carry their quartiles).
 */
export function parseBenchJson(text: string, file: string): BenchRecord[] {
  const fail = (why: string): never => {
    throw new Error(`${file} is not a \`deno task bench --json\` file: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(`not JSON (${(e as Error).message})`);
  }
  const records = (doc as { records?: unknown })?.records;
  if (!Array.isArray(records) || records.length === 0) {
    fail(`it has no "records" array of measurements`);
  }
  (records as unknown[]).forEach((r, i) => {
    const check = (fields: string[], type: string, ok: (v: unknown) => boolean) => {
      for (const field of fields) {
        const value = (r as Record<string, unknown>)?.[field];
        if (!ok(value)) {
          fail(`records[${i}].${field} should be a ${type}, got ${JSON.stringify(value)}`);
        }
      }
    };
    check(STRING_FIELDS, "string", (v) => typeof v === "string");
    check(NUMBER_FIELDS, "number", (v) => typeof v === "number");
  });
  return records as BenchRecord[];
}

async function main(): Promise<number> {
  const { positionals } = parseCommandLine(Deno.args, {}, true);
  if (positionals.length !== 1) throw new UsageError("expected one bench JSON file");
  const file = positionals[0];
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file} (${(e as Error).message})`);
  }
  try {
    console.log(benchTable(parseBenchJson(text, file)));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) await runTool(USAGE, main);
