/**
 * `deno task bench`: int8 linear layers on every kernel path versus the fp32 baseline, on GEMM
 * shapes from real models. Every path's output is checked against the reference before it is
 * timed. Prints a table (time, GOP/s, speedup over fp32) and mitata's summary.
 *
 * Usage: deno task bench [--quick] [--json FILE] [--filter REGEX]
 * @module
 */
import { parseArgs } from "node:util";
import { bench, run, summary } from "mitata";
import { type Shape, SHAPES } from "./shapes.ts";
import { type BenchCase, buildCases } from "./cases.ts";
import { formatTable } from "../conformance/report.ts";
import { kernelSets } from "../kernels/paths.ts";
import { defaultRuntime } from "../kernels/runtime.ts";

const HELP = `deno task bench — int8 vs fp32 linear layers on WebAssembly SIMD

Options:
  --quick          a few shapes only (well under a minute)
  --json FILE      write one record per shape × variant
  --filter REGEX   only shapes whose label matches
  -h, --help       this text`;

/** One measured shape × variant. */
export interface BenchRecord {
  name: string;
  op: "linear" | "linear_dynamic";
  M: number;
  K: number;
  N: number;
  variant: string;
  kernel: string;
  medianNs: number;
  gops: number;
  speedupOverFp32: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      filter: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runtime = defaultRuntime();
  if (!runtime.features.simd128) {
    console.log(
      "this engine has no WebAssembly SIMD128: the kernels fall back to the scalar reference; nothing to benchmark",
    );
    return 1;
  }
  const sets = kernelSets(runtime);
  const filter = values.filter ? new RegExp(values.filter) : null;
  const shapes = SHAPES.filter((s) =>
    (!values.quick || s.quick) && (!filter || filter.test(label(s)))
  );
  console.log(`${Deno.build.arch}, Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), one thread`);
  console.log(
    `kernel paths: ${
      sets.map((s) => s.name).join(", ")
    }; relaxed SIMD: ${runtime.features.relaxedSimd}`,
  );
  console.log(
    `checking every path against the reference on ${shapes.length} shapes, then timing …`,
  );

  const all: { shape: Shape; cases: BenchCase[] }[] = [];
  for (const shape of shapes) {
    const started = performance.now();
    const cases = buildCases(shape, sets, runtime);
    console.log(
      `  ${label(shape)}: ${cases.length} variants match the reference (${
        ((performance.now() - started) / 1000).toFixed(1)
      } s)`,
    );
    all.push({ shape, cases });
  }

  for (const { shape, cases } of all) {
    summary(() => {
      for (const c of cases) {
        const b = bench(`${label(shape)} ${c.variant}`, c.run);
        if (c.variant === "fp32") b.baseline(true);
      }
    });
  }
  const result = await run({ colors: false, format: "mitata" });

  const medians = new Map<string, number>();
  for (const trial of result.benchmarks) {
    const stats = trial.runs[0]?.stats;
    if (stats) medians.set(trial.alias, stats.p50);
  }
  const records: BenchRecord[] = [];
  for (const { shape, cases } of all) {
    const fp32 = medians.get(`${label(shape)} fp32`) ?? NaN;
    for (const c of cases) {
      const ns = medians.get(`${label(shape)} ${c.variant}`) ?? NaN;
      records.push({
        name: shape.model,
        op: c.op,
        M: shape.m,
        K: shape.k,
        N: shape.n,
        variant: c.variant,
        kernel: c.kernel(),
        medianNs: ns,
        gops: (2 * shape.m * shape.k * shape.n) / ns,
        speedupOverFp32: fp32 / ns,
      });
    }
  }
  printTable(records);
  if (values.json) {
    await Deno.writeTextFile(values.json, JSON.stringify({ machine: machine(), records }, null, 1));
    console.log(`wrote ${values.json}`);
  }
  return 0;
}

function label(s: Shape): string {
  return `${s.m}x${s.k}x${s.n}`;
}

function machine() {
  return {
    arch: Deno.build.arch,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    cpus: navigator.hardwareConcurrency,
  };
}

/** One row per shape × variant, then one summary row per shape (best static and dynamic path). */
function printTable(records: BenchRecord[]): void {
  const rows: string[][] = [["shape MxKxN", "model", "variant", "ms", "GOP/s", "×fp32", "kernel"]];
  let previous = "";
  for (const r of records) {
    const shape = `${r.M}x${r.K}x${r.N}`;
    const first = shape + r.name !== previous;
    previous = shape + r.name;
    rows.push([
      first ? shape : "",
      first ? r.name : "",
      r.variant,
      (r.medianNs / 1e6).toFixed(3),
      r.gops.toFixed(1),
      r.variant === "fp32" ? "1.00" : r.speedupOverFp32.toFixed(2),
      r.kernel,
    ]);
  }
  console.log("\n" + formatTable(rows, [0, 1, 2, 6]));
  const summary: string[][] = [[
    "shape MxKxN",
    "fp32 GOP/s",
    "best int8 static",
    "×fp32",
    "best int8 dynamic",
    "×fp32",
  ]];
  const shapes = [...new Set(records.map((r) => `${r.M}x${r.K}x${r.N}`))];
  for (const shape of shapes) {
    const of = records.filter((r) => `${r.M}x${r.K}x${r.N}` === shape);
    const fp32 = of.find((r) => r.variant === "fp32")!;
    const best = (op: string) =>
      of.filter((r) => r.op === op && r.variant !== "fp32").sort((a, b) =>
        a.medianNs - b.medianNs
      )[0];
    const s = best("linear");
    const d = best("linear_dynamic");
    summary.push([
      shape,
      fp32.gops.toFixed(1),
      `${s.variant} (${s.gops.toFixed(0)} GOP/s)`,
      s.speedupOverFp32.toFixed(2),
      `${d.variant} (${d.gops.toFixed(0)} GOP/s)`,
      d.speedupOverFp32.toFixed(2),
    ]);
  }
  console.log("\n" + formatTable(summary, 1));
}

if (import.meta.main) Deno.exit(await main());
