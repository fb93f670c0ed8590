/**
 * `deno task bench`: int8 versus the fp32 baseline on every kernel path — linear layers on GEMM
 * shapes from real models (static and dynamic), convolution layers of ResNet-18 and
 * MobileNetV2 (dense and depthwise), whole models, and dynamic LSTMs (a 1024-hidden step and a
 * 2-layer sequence). Every path's output is checked against the reference before it is timed
 * (with mitata). One statistic everywhere: the median time of each variant, with its spread
 * (p25–p75); a speedup whose interval from the quartiles is wider than ±10% is marked `?`, and
 * the run warns when the machine was busy.
 *
 * Usage: deno task bench [--quick] [--json FILE] [--filter REGEX] [--peer onnxruntime-web]
 *        [--kernels MODULE]
 * @module
 */
import { SHAPES } from "./shapes.ts";
import { type BenchCase, type BenchOp, buildCases } from "./cases.ts";
import { CONV_SHAPES, convGemmDims } from "./conv_shapes.ts";
import { buildConvCases } from "./conv_cases.ts";
import { buildModelCases, MODEL_SPECS, ModelBench } from "./models/cases.ts";
import { buildRnnCases, RNN_SHAPES, rnnOps, type RnnShape } from "./rnn_cases.ts";
import { Fp32Ops } from "../kernels/fp32_ops.ts";
import { formatTable } from "../conformance/report.ts";
import { kernelSets } from "../kernels/paths.ts";
import { NUMERICS } from "../reference/engine.ts";
import { defaultRuntime } from "../kernels/runtime.ts";
import { BENCH_PEERS, peerTable, peerVariants } from "./peer.ts";
import { benchKernelModule } from "./kernel_module.ts";
import { timeGroups, UNTIMED } from "./timing.ts";
import { loadKernelModule } from "../ops/load_kernel_module.ts";
import {
  checkWritable,
  parseCommandLine,
  patternOption,
  runTool,
  UsageError,
} from "../scripts/cli.ts";
import {
  type Quartiles,
  relativeSpread,
  showSpeedup,
  speedup,
  UNRELIABLE_LEGEND,
} from "./spread.ts";

const HELP = `deno task bench — int8 vs fp32 on WebAssembly SIMD (linear, conv, whole models)

Usage: deno task bench [--quick] [--json FILE] [--filter REGEX] [--peer NAME] [--kernels MODULE]

Options:
  --quick          a few shapes on the fastest path of each numerics (under a minute)
  --json FILE      write one record per shape × variant
  --filter REGEX   only items whose label or model matches (e.g. "conv", "BERT", "ResNet")
  --peer NAME      also time another engine on the same items: onnxruntime-web
  --kernels MODULE time a kernel module's ops (a path, URL or built-in name) beside our paths
                   and fp32, instead of the usual items
  -h, --help       this text`;

/** One benchmarked item (a shape, a layer or a model) and its variants. */
interface BenchItem {
  /** Unique label, e.g. `128x768x768` or `conv 56²×64→64 3×3`. */
  readonly label: string;
  /** Where it comes from. */
  readonly model: string;
  /** GEMM-equivalent dimensions (for a model: M = batch, K = N = 0). */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Arithmetic operations per run (2 per multiply-accumulate). */
  readonly ops: number;
  /** Builds and checks the variants (called once, before timing). */
  readonly build: () => BenchCase[];
  /** What it is built from (a peer engine builds the same item from it). */
  readonly source: BenchSource;
}

/** The definition of an item: a linear shape, a conv layer or a whole model. */
export type BenchSource =
  | { readonly kind: "linear"; readonly shape: (typeof SHAPES)[number] }
  | { readonly kind: "conv"; readonly shape: (typeof CONV_SHAPES)[number] }
  | { readonly kind: "model"; readonly model: () => ModelBench }
  | { readonly kind: "rnn"; readonly shape: RnnShape };

/** One measured item × variant: its median time and spread (see bench/spread.ts). */
export interface BenchRecord extends Quartiles {
  name: string;
  op: BenchOp;
  /** The item's label (shape). */
  shape: string;
  M: number;
  K: number;
  N: number;
  variant: string;
  kernel: string;
  /** GOP/s at the median time. */
  gops: number;
  /** The fp32 median over this variant's median. */
  speedupOverFp32: number;
}

async function main(): Promise<number> {
  const { values } = parseCommandLine(Deno.args, {
    quick: { type: "boolean", default: false },
    json: { type: "string" },
    filter: { type: "string" },
    peer: { type: "string" },
    kernels: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // Every option is checked before anything is built or timed.
  const filter = patternOption("filter", values.filter);
  await checkWritable("json", values.json);
  if (values.peer !== undefined && !(BENCH_PEERS as readonly string[]).includes(values.peer)) {
    throw new UsageError(
      `--peer: unknown engine ${JSON.stringify(values.peer)}; known: ${BENCH_PEERS.join(", ")}`,
    );
  }
  const runtime = defaultRuntime();
  if (!runtime.features.simd128) {
    console.log(
      "this engine has no WebAssembly SIMD128: the kernels fall back to the scalar reference; nothing to benchmark",
    );
    return 1;
  }
  // --quick times the fastest path of each numerics; a full run times every path.
  const paths = kernelSets(undefined, { runtime });
  const sets = values.quick
    ? NUMERICS.map((n) => paths.filter((s) => s.numerics === n))
      .map((group) => group.find((s) => s.relaxed) ?? group[0])
      .filter((s) => s !== undefined)
    : paths;
  if (values.kernels !== undefined) {
    const module = await loadKernelModule(values.kernels).catch((e: Error) => e);
    if (module instanceof Error) throw new UsageError(`--kernels: ${module.message}`);
    const records = await benchKernelModule(module, { sets, fp32: new Fp32Ops(runtime), filter });
    if (values.json) {
      await Deno.writeTextFile(
        values.json,
        JSON.stringify({ machine: machine(), records }, null, 1),
      );
      console.log(`wrote ${values.json}`);
    }
    return 0;
  }
  const candidates = benchItems(sets, runtime).filter((item) => !values.quick || item.quick);
  const items = candidates.filter((item) =>
    !filter || filter.test(item.label) || filter.test(item.model)
  );
  if (items.length === 0) {
    throw new UsageError(
      `--filter ${JSON.stringify(values.filter)} matches no item${
        values.quick ? " of --quick" : ""
      }; the items are: ${candidates.map((i) => `${i.label} (${i.model})`).join(", ")}`,
    );
  }
  console.log(`${Deno.build.arch}, Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), one thread`);
  console.log(
    `kernel paths: ${
      sets.map((s) => s.name).join(", ")
    }; relaxed SIMD: ${runtime.features.relaxedSimd}`,
  );
  console.log(
    `checking every path against the reference on ${items.length} items, then timing …`,
  );

  const peer = values.peer === undefined ? undefined : await peerVariants(values.peer, runtime);
  const all: { item: BenchItem; cases: BenchCase[] }[] = [];
  for (const item of items) {
    const started = performance.now();
    const cases = item.build();
    if (peer && item.source.kind !== "rnn") cases.push(await peer(item.source)); // no peer RNN
    console.log(
      `  ${item.label} (${item.model}): ${cases.length} variants match the reference (${
        ((performance.now() - started) / 1000).toFixed(1)
      } s)`,
    );
    all.push({ item, cases });
  }

  const loadBefore = loadAverage();
  const quartiles = await timeGroups(
    all.map(({ item, cases }) => ({ label: item.label, variants: cases })),
  );
  const loadAfter = loadAverage();
  const records: BenchRecord[] = [];
  for (const { item, cases } of all) {
    const fp32 = quartiles.get(`${item.label} fp32`) ?? UNTIMED;
    for (const c of cases) {
      const q = quartiles.get(`${item.label} ${c.variant}`) ?? UNTIMED;
      records.push({
        name: item.model,
        op: c.op,
        shape: item.label,
        M: item.m,
        K: item.k,
        N: item.n,
        variant: c.variant,
        kernel: c.kernel(),
        ...q,
        gops: item.ops / q.medianNs,
        speedupOverFp32: fp32.medianNs / q.medianNs,
      });
    }
  }
  printTable(records);
  if (peer) console.log("\n" + peerTable(records));
  warnIfBusy(records, [loadBefore, loadAfter]);
  if (values.json) {
    await Deno.writeTextFile(values.json, JSON.stringify({ machine: machine(), records }, null, 1));
    console.log(`wrote ${values.json}`);
  }
  return 0;
}

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

/** The 1-minute load average, or undefined where the platform does not report it. */
function loadAverage(): number | undefined {
  try {
    return Deno.loadavg()[0];
  } catch {
    return undefined;
  }
}

/**
 * Warns when the machine was busy: a load average above half the cores before or after timing,
 * or more than a quarter of the speedups unreliable (`?`).
 */
function warnIfBusy(records: readonly BenchRecord[], loads: readonly (number | undefined)[]): void {
  const cores = navigator.hardwareConcurrency;
  const load = Math.max(...loads.map((l) => l ?? 0));
  const ratios = records.filter((r) => r.variant !== "fp32");
  const unreliable = ratios.filter((r) => !speedup(fp32Of(records, r), r).reliable).length;
  const reasons = [
    ...(load > cores / 2 ? [`load average ${load.toFixed(2)} on ${cores} cores`] : []),
    ...(unreliable > ratios.length / 4
      ? [`${unreliable} of ${ratios.length} speedups unreliable`]
      : []),
  ];
  if (reasons.length > 0) {
    console.log(
      `\nWARNING: the machine was busy (${reasons.join("; ")}): these timings and ratios are ` +
        `not reliable; rerun on a quiet machine`,
    );
  }
}

/** The fp32 record of `r`'s item. */
function fp32Of(records: readonly BenchRecord[], r: BenchRecord): BenchRecord {
  return records.find((o) => o.shape === r.shape && o.variant === "fp32")!;
}

/** Every benchmark item: linear shapes, conv layers (and whole models), in that order. */
function benchItems(
  sets: ReturnType<typeof kernelSets>,
  runtime: ReturnType<typeof defaultRuntime>,
): (BenchItem & { quick: boolean })[] {
  const linear = SHAPES.map((s) => ({
    label: `${s.m}x${s.k}x${s.n}`,
    model: s.model,
    m: s.m,
    k: s.k,
    n: s.n,
    ops: 2 * s.m * s.k * s.n,
    quick: s.quick ?? false,
    build: () => buildCases(s, sets, runtime),
    source: { kind: "linear" as const, shape: s },
  }));
  const conv = CONV_SHAPES.map((s) => {
    const { m, k, n } = convGemmDims(s);
    const kind = s.groups === s.cIn && s.groups > 1 ? "dw" : "conv";
    return {
      label: `${kind} ${s.h}²×${s.cIn}→${s.cOut} ${s.kernel}×${s.kernel}/${s.stride}`,
      model: s.model,
      m,
      k,
      n,
      ops: 2 * m * k * n,
      quick: s.quick ?? false,
      build: () => buildConvCases(s, sets, runtime),
      source: { kind: "conv" as const, shape: s },
    };
  });
  const models = MODEL_SPECS.map((spec) => {
    let built: ModelBench | undefined;
    const model = () => (built ??= new ModelBench(spec, 224, runtime));
    return {
      label: `${spec.name} 224²`,
      model: `${spec.name} (whole model, batch 1)`,
      m: 1,
      k: 0,
      n: 0,
      /** Counted on the built model (read after build). */
      get ops() {
        return 2 * model().macs();
      },
      quick: spec.quick,
      build: () => buildModelCases(model(), sets, { checkAgainstReference: true }),
      source: { kind: "model" as const, model },
    };
  });
  const rnn = RNN_SHAPES.map((s) => ({
    label: s.label,
    model: s.model,
    m: Math.max(1, s.steps) * s.batch,
    k: s.config.inputSize + s.config.hiddenSize,
    n: 4 * s.config.hiddenSize,
    ops: rnnOps(s),
    quick: s.quick ?? false,
    build: () => buildRnnCases(s, sets, runtime),
    source: { kind: "rnn" as const, shape: s },
  }));
  return [...linear, ...conv, ...models, ...rnn];
}

function machine() {
  return {
    arch: Deno.build.arch,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    cpus: navigator.hardwareConcurrency,
  };
}

/**
 * One row per item × variant (median, spread, GOP/s, speedup), then one summary row per item
 * (best int8 static and dynamic), all from medians.
 */
function printTable(records: BenchRecord[]): void {
  const rows: string[][] = [[
    "shape",
    "model",
    "variant",
    "median ms",
    "p25–p75 ms",
    "spread",
    "GOP/s",
    "×fp32",
    "kernel",
  ]];
  let previous = "";
  for (const r of records) {
    const first = r.shape !== previous;
    previous = r.shape;
    rows.push([
      first ? r.shape : "",
      first ? r.name : "",
      r.variant,
      ms(r.medianNs),
      `${ms(r.p25Ns)}–${ms(r.p75Ns)}`,
      `${(100 * relativeSpread(r)).toFixed(0)}%`,
      r.gops.toFixed(1),
      r.variant === "fp32" ? "1.00" : showSpeedup(speedup(fp32Of(records, r), r)),
      r.kernel,
    ]);
  }
  console.log("\n" + formatTable(rows, [0, 1, 2, 8]));
  const summary: string[][] = [[
    "shape",
    "model",
    "fp32 median ms",
    "fp32 GOP/s",
    "best int8",
    "×fp32",
    "best int8 dynamic",
    "×fp32",
  ]];
  for (const shape of new Set(records.map((r) => r.shape))) {
    const of = records.filter((r) => r.shape === shape);
    const fp32 = of.find((r) => r.variant === "fp32")!;
    const best = (op: BenchOp) =>
      of.filter((r) => r.op === op && r.variant !== "fp32").sort((a, b) =>
        a.medianNs - b.medianNs
      )[0];
    const s = best(fp32.op);
    const d = best("linear_dynamic");
    summary.push([
      shape,
      fp32.name,
      ms(fp32.medianNs),
      fp32.gops.toFixed(1),
      `${s.variant} (${s.gops.toFixed(0)} GOP/s)`,
      showSpeedup(speedup(fp32, s)),
      d ? `${d.variant} (${d.gops.toFixed(0)} GOP/s)` : "",
      d ? showSpeedup(speedup(fp32, d)) : "",
    ]);
  }
  console.log("\n" + formatTable(summary, [0, 1, 4, 6]));
  console.log(
    `\nAll times are medians of mitata's samples; ×fp32 is the fp32 median over the ` +
      `variant's median. ${UNRELIABLE_LEGEND}.`,
  );
}

if (import.meta.main) await runTool(HELP, main);
