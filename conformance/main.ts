/**
 * `deno task conform`: checks the reference and every kernel path against the golden vectors
 * recorded from real PyTorch, runs the property tests and the unit tests, prints a report and
 * ends with `N passed, N failed`. Exit code 1 on any failure.
 *
 * Usage: deno task conform [--golden DIR|FILE]... [--json FILE] [--allow-unsupported] [--no-graph]
 *        [--no-builtin] [--no-properties] [--no-unit] [--runs N] [--seed N] [--verbose]
 *        [--kernels MODULE]
 * @module
 */
import {
  checkWritable,
  integerOption,
  parseCommandLine,
  runTool,
  UsageError,
} from "../scripts/cli.ts";
import { opHandlerMap } from "./ops/mod.ts";
import type { ConformancePath } from "./op_handler.ts";
import {
  type CheckResult,
  deviationLines,
  failureLines,
  isFailure,
  summaryTable,
  totals,
} from "./report.ts";
import {
  type CaseResult,
  listGoldenFiles,
  loadGoldenFile,
  nothingChecked,
  runGoldenFile,
} from "./runner.ts";
import { referenceProperties } from "./properties/mod.ts";
import { kernelProperties } from "./properties/kernels.ts";
import { registeredKernelProperties } from "./properties/registered.ts";
import { fuzzProperties } from "./properties/fuzz.ts";
import { opFuzzProperties } from "./properties/fuzz_ops.ts";
import { checkedKernelSet } from "../kernels/checked_kernel_set.ts";
import { ReferenceKernelSet } from "../kernels/reference_kernel_set.ts";
import { rnnKernelProperties } from "./properties/rnn.ts";
import { fp32OpsProperties } from "./properties/fp32_ops.ts";
import { Fp32Ops } from "../kernels/fp32_ops.ts";
import { fp32Properties } from "./properties/fp32.ts";
import { Fp32Linear } from "../kernels/fp32_linear.ts";
import { defaultRuntime } from "../kernels/runtime.ts";
import { type PropertyCheck, runProperty } from "./properties/property.ts";
import { runUnitTests } from "./unit_tests.ts";
import { graphModeChecks } from "./graph_models.ts";
import { kernelSets } from "../kernels/paths.ts";
import { conformKernelModule, type KernelModuleReport } from "./kernel_module_cli.ts";
import { loadKernelModule } from "../ops/load_kernel_module.ts";

const HELP = `deno task conform — bit-exactness checks against PyTorch

Options:
  --golden DIR|FILE     also check these qgolden/1 files (repeatable)
  --no-builtin          skip the golden files shipped in golden/
  --no-properties       skip the property tests
  --no-unit             skip the unit tests (deno test)
  --no-graph            skip the graph-mode proof (golden/models/fx through deno task model)
  --runs N              property test runs per property (default 100)
  --seed N              property test seed (default: random, printed)
  --json FILE           write the full per-check report as JSON
  --allow-unsupported   do not count unknown ops/attributes as failures
  --verbose             list every failure and deviation
  --kernels MODULE      check a kernel module instead of ours: a path or URL to a module
                        exporting a kernel set (README, "Kernel modules"), or a built-in name
                        (onnxruntime-web); its ops' goldens and properties under its numerics
  -h, --help            this text`;

const REPO_ROOT = new URL("..", import.meta.url).pathname;

async function main(): Promise<number> {
  const { values } = parseCommandLine(Deno.args, {
    golden: { type: "string", multiple: true, default: [] },
    "no-builtin": { type: "boolean", default: false },
    "no-properties": { type: "boolean", default: false },
    "no-unit": { type: "boolean", default: false },
    "no-graph": { type: "boolean", default: false },
    runs: { type: "string" },
    seed: { type: "string" },
    json: { type: "string" },
    "allow-unsupported": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    kernels: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // Every option is checked before the run: a misuse costs no time.
  const runs = integerOption("runs", values.runs, 100, { min: 1 });
  const seed = integerOption("seed", values.seed, Math.floor(Math.random() * 2 ** 31), {
    min: 0,
    max: 2 ** 31 - 1,
  });
  await checkWritable("json", values.json);
  if (
    values["no-builtin"] && values.golden.length === 0 && values["no-properties"] &&
    values["no-unit"]
  ) {
    throw new UsageError("nothing to check: --no-builtin, --no-properties and --no-unit together");
  }
  const allowUnsupported = values["allow-unsupported"];
  const results: CheckResult[] = [];
  const started = performance.now();

  const targets = [...(values["no-builtin"] ? [] : [`${REPO_ROOT}golden`]), ...values.golden];
  let moduleReport: KernelModuleReport | undefined;
  if (values.kernels !== undefined) {
    const module = await loadKernelModule(values.kernels).catch((e: Error) => e);
    if (module instanceof Error) throw new UsageError(`--kernels: ${module.message}`);
    moduleReport = await conformKernelModule(module, {
      targets,
      runProperties: (checks) => runProperties(checks, { seed, runs }),
      shown: (f) => (f.startsWith(REPO_ROOT) ? f.slice(REPO_ROOT.length) : f),
      properties: !values["no-properties"],
    });
    results.push(...moduleReport.results);
    values["no-properties"] = values["no-unit"] = true;
    targets.length = 0;
  }
  const paths: ConformancePath[] = values.kernels !== undefined ? [] : [
    { name: "reference" },
    ...kernelSets().map((kernels) => ({ name: kernels.name, kernels })),
  ];
  if (paths.length > 0) console.log("paths:");
  for (const p of paths) {
    console.log(
      `  ${p.name.padEnd(12)} ${p.kernels?.description ?? "the scalar bit-exact reference"}`,
    );
  }
  results.push(...await runGolden(targets, paths));
  if (!values["no-builtin"] && !values["no-graph"]) {
    results.push(...await graphModeChecks((line) => console.log(line)));
  }

  if (!values["no-properties"]) {
    const checks = [
      ...referenceProperties(),
      ...paths.flatMap((p) => (p.kernels ? kernelProperties(p.kernels) : [])),
      ...paths.flatMap((p) => (p.kernels ? registeredKernelProperties(p.kernels) : [])),
      ...opFuzzProperties(paths.flatMap((p) => (p.kernels ? [p.kernels] : []))),
      ...paths.flatMap((p) =>
        p.kernels
          ? fuzzProperties(
            p.kernels,
            checkedKernelSet(new ReferenceKernelSet(p.kernels.name, p.kernels.numerics)),
          )
          : []
      ),
      ...paths.flatMap((p) => (p.kernels ? rnnKernelProperties(p.kernels) : [])),
      ...(defaultRuntime().features.simd128
        ? fp32Properties(new Fp32Linear(defaultRuntime()), defaultRuntime())
        : []),
      ...(defaultRuntime().features.simd128
        ? fp32OpsProperties(new Fp32Ops(defaultRuntime()))
        : []),
    ];
    results.push(...await runProperties(checks, { seed, runs }));
  }
  if (!values["no-unit"]) {
    console.log("unit tests: deno test … (a progress line every 10 s)");
    const unit = await runUnitTests((line) => console.log(line), 10_000);
    console.log(
      `unit tests: ${unit.filter((r) => r.status === "pass").length} of ${unit.length} passed`,
    );
    results.push(...unit);
  }

  printReport(results, allowUnsupported, values.verbose);
  const t = totals(results, allowUnsupported);
  if (values.json) {
    await Deno.writeTextFile(
      values.json,
      JSON.stringify(
        {
          totals: t,
          seconds: (performance.now() - started) / 1000,
          results,
          kernelModule: moduleReport && { ...moduleReport, results: undefined },
        },
        null,
        1,
      ),
    );
    console.log(`wrote ${values.json}`);
  }
  if (t.deviations > 0) {
    console.log(
      `${t.deviations} deviation(s): inputs where PyTorch builds disagree (see README.md, ` +
        `section "Deviations"); counted neither passed nor failed`,
    );
  }
  console.log(`${t.passed} passed, ${t.failed} failed`);
  return t.failed > 0 ? 1 : 0;
}

async function runGolden(targets: string[], paths: ConformancePath[]): Promise<CheckResult[]> {
  const handlers = opHandlerMap();
  const out: CheckResult[] = [];
  for (const target of targets) {
    let files: string[];
    try {
      files = await listGoldenFiles(target);
    } catch (e) {
      out.push({
        kind: "golden",
        op: "(file)",
        path: "-",
        name: target,
        status: "malformed",
        reason: `cannot read ${target}: ${(e as Error).message}`,
      });
      continue;
    }
    if (files.length === 0) {
      out.push({
        kind: "golden",
        op: "(file)",
        path: "-",
        name: target,
        status: "fail",
        reason: `no golden files (*.json) under ${target}: nothing to check`,
      });
    }
    for (const file of files) {
      const loaded = await loadGoldenFile(file);
      const caseResults: CaseResult[] = "cases" in loaded
        ? runGoldenFile(loaded, paths, handlers)
        : [loaded];
      const empty = nothingChecked(file, caseResults);
      if (empty !== undefined) caseResults.push(empty);
      const shown = file.startsWith(REPO_ROOT) ? file.slice(REPO_ROOT.length) : file;
      const failed = caseResults.filter((r) => isFailure(r.status, false)).length;
      console.log(`golden ${shown}: ${caseResults.length} checks, ${failed} not passing`);
      for (const r of caseResults) {
        out.push({
          kind: "golden",
          op: r.op,
          path: r.path,
          name: `${shown}#${r.id}`,
          status: r.status,
          reason: r.reason,
          engine: r.engine,
        });
      }
    }
  }
  return out;
}

async function runProperties(
  checks: PropertyCheck[],
  options: { seed: number; runs: number },
): Promise<CheckResult[]> {
  console.log(
    `properties: ${checks.length} checks, ${options.runs} runs each, seed ${options.seed}`,
  );
  const out: CheckResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    const outcome = await runProperty(check, options);
    const ms = (performance.now() - started).toFixed(0);
    console.log(
      `  ${outcome.passed ? "ok  " : "FAIL"} ${check.op} [${check.path}] ${check.name} (${ms} ms)`,
    );
    out.push({
      kind: "property",
      op: check.op,
      path: check.path,
      name: check.name,
      status: outcome.passed ? "pass" : "fail",
      reason: outcome.reason,
    });
  }
  return out;
}

function printReport(results: CheckResult[], allowUnsupported: boolean, verbose: boolean): void {
  console.log("");
  console.log(summaryTable(results, allowUnsupported));
  const limit = verbose ? Infinity : 20;
  const failures = failureLines(results, allowUnsupported, limit);
  if (failures.length > 0) {
    console.log("\nFailures:");
    for (const line of failures) console.log(line);
  }
  const deviations = deviationLines(results, verbose ? Infinity : 10);
  if (deviations.length > 0) {
    console.log(
      "\nDeviations (PyTorch is build-dependent here; this library's choice is documented):",
    );
    for (const line of deviations) console.log(line);
  }
  console.log("");
}

if (import.meta.main) await runTool(HELP, main);
