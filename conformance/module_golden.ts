/**
 * The golden cases on a kernel module (`ops/kernel_module.ts`): every case of a registered op the
 * module implements, recorded under numerics the module declares (or of an engine-independent
 * op), decoded by the op's golden codec, run on the module (awaiting a promise), encoded and
 * compared bit for bit as on any other path. Cases of ops the module lacks are counted per op,
 * not run: they are unsupported, not failed.
 * @module
 */
import type { GoldenCase } from "./golden_file.ts";
import { caseReader } from "./op_handler.ts";
import { caseEngine } from "./ops/registered.ts";
import type { CheckResult } from "./report.ts";
import {
  type CaseResult,
  judgeOutputs,
  listGoldenFiles,
  loadGoldenFile,
  thrownResult,
  unsupportedNames,
} from "./runner.ts";
import { caseChecksModule, isNotSupported, type KernelModule } from "../ops/kernel_module.ts";
import type { AnyOp } from "../ops/op.ts";
import { opRegistry } from "../ops/registry.ts";
import type { Engine } from "../reference/engine.ts";

/** What a module's golden run left out, and why. */
export interface ModuleGoldenCoverage {
  /** Per registered op the module lacks: its golden cases (not run, not failed). */
  readonly unsupported: Readonly<Record<string, number>>;
  /** Per implemented engine-dependent op: cases recorded under other numerics (not run). */
  readonly otherNumerics: Readonly<Record<string, number>>;
  /** Cases of ops outside the registry (no module can implement them yet). */
  readonly unregistered: number;
}

/** How one case ends on a module. */
export type ModuleCaseResult = Pick<CaseResult, "status" | "reason" | "outputs">;

/** The engine a case names (undefined when none; a malformed one is the decoder's to report). */
function namedEngine(c: GoldenCase, op: AnyOp): Engine | undefined {
  if (c.engine === undefined) return undefined;
  try {
    return caseEngine(caseReader(c), op.engine === "required");
  } catch {
    return undefined;
  }
}

/** Runs one case of `op` on the module's implementation and compares its outputs. */
export async function runModuleCase(
  testCase: GoldenCase,
  op: AnyOp,
  module: KernelModule,
): Promise<ModuleCaseResult> {
  const refusal = unsupportedNames(testCase, op.golden);
  if (refusal !== undefined) return { status: "unsupported", reason: refusal };
  let args: unknown;
  try {
    const reader = caseReader(testCase);
    caseEngine(reader, op.engine === "required"); // a case missing a required engine is malformed
    args = op.golden.decode(reader);
  } catch (e) {
    return thrownResult(e);
  }
  let result: unknown;
  try {
    result = await module.ops[op.name](args);
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    if (isNotSupported(e)) {
      return { status: "unsupported", reason: `${module.name} does not support: ${error.message}` };
    }
    return { status: "fail", reason: `${module.name} threw ${error.name}: ${error.message}` };
  }
  try {
    return judgeOutputs(testCase, op.golden.encode(result, args));
  } catch (e) {
    return {
      status: "fail",
      reason: `${module.name} returned a result the op cannot read (${(e as Error).message})`,
    };
  }
}

/** Runs every golden file under `targets` on a kernel module. */
export async function runModuleGolden(
  module: KernelModule,
  targets: readonly string[],
  shown: (file: string) => string = (f) => f,
): Promise<{ results: CheckResult[]; coverage: ModuleGoldenCoverage }> {
  const registry = opRegistry();
  const unsupported: Record<string, number> = {};
  const otherNumerics: Record<string, number> = {};
  let unregistered = 0;
  for (const op of registry.keys()) if (module.ops[op] === undefined) unsupported[op] = 0;
  const results: CheckResult[] = [];
  for (const target of targets) {
    for (const file of await listGoldenFiles(target)) {
      const loaded = await loadGoldenFile(file);
      if (!("cases" in loaded)) {
        results.push({
          kind: "golden",
          op: "(file)",
          path: module.name,
          name: shown(file),
          status: loaded.status,
          reason: loaded.reason,
        });
        continue;
      }
      let run = 0;
      let notPassing = 0;
      for (const c of loaded.cases) {
        const op = registry.get(c.op);
        if (op === undefined) {
          unregistered++;
          continue;
        }
        if (module.ops[op.name] === undefined) {
          unsupported[op.name]++;
          continue;
        }
        const engine = namedEngine(c, op);
        if (!caseChecksModule(op, engine, module.numerics)) {
          otherNumerics[op.name] = (otherNumerics[op.name] ?? 0) + 1;
          continue;
        }
        const r = await runModuleCase(c, op, module);
        run++;
        if (r.status !== "pass" && r.status !== "deviation") notPassing++;
        results.push({
          kind: "golden",
          op: op.name,
          path: module.name,
          name: `${shown(file)}#${c.id}`,
          status: r.status,
          reason: r.reason,
          engine: c.engine,
        });
      }
      if (run > 0) {
        console.log(
          `golden ${shown(file)} on ${module.name}: ${run} checks, ${notPassing} not passing`,
        );
      }
    }
  }
  return { results, coverage: { unsupported, otherNumerics, unregistered } };
}
