/**
 * `deno task conform --kernels MODULE`: a kernel module (`ops/kernel_module.ts`) checked on every
 * golden case and every property of the ops it implements, under the numerics it declares; the
 * registered ops it lacks listed as unsupported (not failures); and for a module of the `onnx`
 * profile, apart, where it differs from PyTorch's numerics on the PyTorch goldens.
 * @module
 */
import { type CheckResult, formatTable } from "./report.ts";
import { type ModuleGoldenCoverage, runModuleGolden } from "./module_golden.ts";
import { type PytorchDifference, pytorchDifferences } from "./pytorch_differences.ts";
import { kernelModuleProperties } from "./properties/kernel_module.ts";
import type { PropertyCheck } from "./properties/property.ts";
import type { KernelModule } from "../ops/kernel_module.ts";

/** What `conformKernelModule` found. */
export interface KernelModuleReport {
  /** The golden and property checks (they count toward `N passed, N failed`). */
  readonly results: CheckResult[];
  /** What the golden run left out. */
  readonly coverage: ModuleGoldenCoverage;
  /** Implemented ops no property generator covers (golden cases only). */
  readonly withoutProperties: readonly string[];
  /** For an `onnx` module: its differences from PyTorch (not failures). */
  readonly differences?: readonly PytorchDifference[];
}

/** Runs a module's goldens and properties and prints its coverage (and differences). */
export async function conformKernelModule(
  module: KernelModule,
  options: {
    targets: readonly string[];
    runProperties: (checks: PropertyCheck[]) => Promise<CheckResult[]>;
    shown: (file: string) => string;
    /** Run the properties (default true). */
    properties?: boolean;
  },
): Promise<KernelModuleReport> {
  console.log(
    `kernels: ${module.name}${module.description ? ` — ${module.description}` : ""}; ` +
      `numerics: ${module.numerics}`,
  );
  console.log(`implements: ${Object.keys(module.ops).join(", ")}`);
  const { results, coverage } = await runModuleGolden(module, options.targets, options.shown);
  const { checks, withoutGenerator, draws } = kernelModuleProperties(module);
  if (options.properties !== false) {
    results.push(...await options.runProperties(checks));
    for (const [op, c] of draws) {
      if (c.notSupported > 0) {
        console.log(
          `  ${op}: ${c.notSupported} draw(s) not supported by ${module.name} (skipped), ` +
            `${c.answered} checked`,
        );
      }
    }
  }
  if (results.length === 0) {
    results.push({
      kind: "golden",
      op: "(module)",
      path: module.name,
      name: module.name,
      status: "fail",
      reason: `no golden case or property checks any op ${module.name} implements`,
    });
  }
  console.log("\n" + coverageLines(module, coverage, withoutGenerator).join("\n"));
  let differences: PytorchDifference[] | undefined;
  if (module.numerics === "onnx") {
    console.log(`comparing ${module.name} with PyTorch's numerics on the PyTorch goldens …`);
    differences = await pytorchDifferences(module, options.targets);
    if (differences.length > 0) {
      console.log(
        `\nWhere ${module.name} differs from PyTorch (not failures: the onnx profile is not PyTorch's):`,
      );
      console.log(differenceTable(differences));
    }
  }
  return { results, coverage, withoutProperties: withoutGenerator, differences };
}

/** The coverage report: unsupported ops (a count and their names), cases left out and why. */
export function coverageLines(
  module: KernelModule,
  coverage: ModuleGoldenCoverage,
  withoutProperties: readonly string[],
): string[] {
  const lines: string[] = [];
  const lacking = Object.entries(coverage.unsupported);
  const cases = lacking.reduce((n, [, c]) => n + c, 0);
  lines.push(
    `unsupported (not implemented by ${module.name}; not failures): ${lacking.length} ` +
      `registered op(s), ${cases} golden case(s) not run` +
      (lacking.length > 0 ? `:\n  ${lacking.map(([op, n]) => `${op} (${n})`).join(", ")}` : ""),
  );
  const other = Object.entries(coverage.otherNumerics);
  if (other.length > 0) {
    lines.push(
      `not run (recorded under other numerics than ${module.numerics}): ` +
        other.map(([op, n]) => `${op} (${n})`).join(", "),
    );
  }
  if (withoutProperties.length > 0) {
    lines.push(`no property generator (golden cases only): ${withoutProperties.join(", ")}`);
  }
  if (coverage.unregistered > 0) {
    lines.push(
      `${coverage.unregistered} golden case(s) of ops outside the op registry (no module can ` +
        `implement them yet)`,
    );
  }
  return lines;
}

/** The per-op difference table. */
export function differenceTable(rows: readonly PytorchDifference[]): string {
  return formatTable([
    [
      "PyTorch op",
      "engine",
      "as ONNX",
      "cases",
      "skipped",
      "cases differing",
      "elements differing",
      "max |diff|",
    ],
    ...rows.map((r) => [
      r.op,
      r.engine,
      r.onnxOp,
      String(r.cases),
      String(r.skipped),
      String(r.casesDiffering),
      `${r.elementsDiffering} of ${r.elements}`,
      r.elementsDiffering === 0 ? "0" : String(Number(r.maxAbsDifference.toPrecision(6))),
    ]),
  ], 3);
}
