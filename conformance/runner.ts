/**
 * Runs golden cases against every path that supports them and classifies each result.
 * @module
 */
import { PyTorchUndefinedError } from "../reference/_check.ts";
import { compareOutput, type OutputComparison, type Produced } from "./compare.ts";
import {
  ENGINES,
  type GoldenCase,
  type GoldenFile,
  GoldenFormatError,
  parseGoldenFile,
} from "./golden_file.ts";
import {
  caseReader,
  type ConformancePath,
  MalformedCase,
  nameAllowed,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "./op_handler.ts";

/** How one check ended. */
export type Status = "pass" | "fail" | "deviation" | "unsupported" | "malformed";

/** The result of one golden case on one path. */
export interface CaseResult {
  readonly kind: "golden";
  readonly file: string;
  readonly id: string;
  readonly op: string;
  readonly engine?: string;
  readonly path: string;
  readonly status: Status;
  readonly reason?: string;
  readonly outputs?: Readonly<Record<string, OutputComparison>>;
}

/** Reads and parses a golden file; a file that cannot be read or parsed yields one result. */
export async function loadGoldenFile(path: string): Promise<GoldenFile | CaseResult> {
  try {
    return parseGoldenFile(await Deno.readTextFile(path), path);
  } catch (e) {
    const reason = e instanceof GoldenFormatError
      ? e.message.slice(path.length + 2)
      : `cannot read the file (${(e as Error).message})`;
    return {
      kind: "golden",
      file: path,
      id: "(file)",
      op: "(file)",
      path: "-",
      status: "malformed",
      reason,
    };
  }
}

/** Runs every case of a file on every path that supports it. */
export function runGoldenFile(
  file: GoldenFile,
  paths: readonly ConformancePath[],
  handlers: ReadonlyMap<string, OpHandler>,
): CaseResult[] {
  const results: CaseResult[] = file.malformedCases.map(({ id, reason }) => ({
    kind: "golden" as const,
    file: file.path,
    id,
    op: "(unparsed)",
    path: "-",
    status: "malformed" as const,
    reason,
  }));
  for (const testCase of file.cases) {
    results.push(...runCase(file.path, testCase, paths, handlers));
  }
  return results;
}

/**
 * A failure for a golden file that checked nothing — its `cases` list is empty, or every case is
 * an op or feature this implementation does not know — so that no input passes on nothing; or
 * undefined when some case ran.
 */
export function nothingChecked(
  file: string,
  results: readonly CaseResult[],
): CaseResult | undefined {
  if (results.some((r) => r.status !== "unsupported")) return undefined;
  return {
    kind: "golden",
    file,
    id: "(file)",
    op: "(file)",
    path: "-",
    status: "fail",
    reason: results.length === 0
      ? `no cases: the file's "cases" list is empty, so it checks nothing`
      : `nothing checked: all ${results.length} case(s) are unsupported here`,
  };
}

/** Runs one case on every path that supports it (at least the reference). */
export function runCase(
  filePath: string,
  testCase: GoldenCase,
  paths: readonly ConformancePath[],
  handlers: ReadonlyMap<string, OpHandler>,
): CaseResult[] {
  const base = {
    kind: "golden" as const,
    file: filePath,
    id: testCase.id,
    op: testCase.op,
    engine: testCase.engine,
  };
  const handler = handlers.get(testCase.op);
  const refusal = handler === undefined
    ? `unknown op "${testCase.op}"`
    : unsupportedNames(testCase, handler);
  if (refusal !== undefined) {
    return [{ ...base, path: paths[0].name, status: "unsupported", reason: refusal }];
  }
  const results: CaseResult[] = [];
  for (const path of paths) {
    if (path.kernels !== undefined && !handler!.kernelSupport?.(testCase, path.kernels)) continue;
    results.push({ ...base, path: path.name, ...runOnPath(testCase, path, handler!) });
  }
  return results;
}

/**
 * Why a case names something the op does not know (an engine, attribute, input or output), or
 * undefined when every name is known.
 */
export function unsupportedNames(
  testCase: GoldenCase,
  handler: Pick<OpHandler, "attrs" | "inputs" | "outputs">,
): string | undefined {
  if (testCase.engine !== undefined && !(ENGINES as readonly string[]).includes(testCase.engine)) {
    return `unknown engine "${testCase.engine}"`;
  }
  const unknown = (kind: string, names: string[], spec: OpHandler["attrs"]) => {
    const bad = names.filter((n) => !nameAllowed(spec, n));
    return bad.length > 0 ? `unknown ${kind} ${bad.map((n) => `"${n}"`).join(", ")}` : undefined;
  };
  return unknown("attribute", Object.keys(testCase.attrs), handler.attrs) ??
    unknown("input", Object.keys(testCase.inputs), handler.inputs) ??
    unknown("output", Object.keys(testCase.outputs), handler.outputs);
}

function runOnPath(
  testCase: GoldenCase,
  path: ConformancePath,
  handler: OpHandler,
): Pick<CaseResult, "status" | "reason" | "outputs"> {
  const ctx: RunContext = { ...caseReader(testCase), path };
  let produced;
  try {
    produced = handler.run(ctx);
  } catch (e) {
    return thrownResult(e);
  }
  return judgeOutputs(testCase, produced);
}

/** The result of a case whose computation threw. */
export function thrownResult(e: unknown): Pick<CaseResult, "status" | "reason"> {
  if (e instanceof UnsupportedCase) return { status: "unsupported", reason: e.message };
  if (e instanceof MalformedCase) return { status: "malformed", reason: e.message };
  // A case the library refuses because PyTorch's own answer is undefined: a named deviation.
  if (e instanceof PyTorchUndefinedError) return { status: "deviation", reason: e.message };
  const error = e instanceof Error ? e : new Error(String(e));
  return { status: "fail", reason: `threw ${error.name}: ${error.message}` };
}

/** Compares every recorded output of a case with what a path produced. */
export function judgeOutputs(
  testCase: GoldenCase,
  produced: Readonly<Record<string, Produced>>,
): Pick<CaseResult, "status" | "reason" | "outputs"> {
  const outputs: Record<string, OutputComparison> = {};
  let status: "pass" | "fail" | "deviation" = "pass";
  const reasons: string[] = [];
  for (const [name, expected] of Object.entries(testCase.outputs)) {
    const actual = produced[name];
    if (actual === undefined) {
      return {
        status: "unsupported",
        reason: `output "${name}" is not computed by this implementation`,
      };
    }
    const cmp = compareOutput(expected, actual, testCase.compare[name]);
    outputs[name] = cmp;
    if (cmp.status === "fail") {
      status = "fail";
      reasons.push(`${name}: ${cmp.reason}`);
    } else if (cmp.status === "deviation" && status === "pass") status = "deviation";
  }
  if (status === "deviation") {
    for (const [name, cmp] of Object.entries(outputs)) {
      if (cmp.buildDependent > 0) {
        reasons.push(
          `${name}: ${cmp.buildDependent} build-dependent element(s) (NaN/±Inf/overflow), ` +
            `${cmp.buildDependentDiffering} differ from this PyTorch build`,
        );
      }
    }
  }
  return { status, reason: reasons.length > 0 ? reasons.join("; ") : undefined, outputs };
}

/**
 * A subdirectory that holds whole-model recordings (safetensors plus a manifest), not qgolden/1
 * files: the model tests read it, the golden runner skips it.
 */
export const MODEL_RECORDINGS_DIR = "models";

/**
 * Lists `.json` files under a directory (recursively, sorted, skipping `models/`
 * subdirectories: see MODEL_RECORDINGS_DIR), or the file itself.
 */
export async function listGoldenFiles(target: string): Promise<string[]> {
  const info = await Deno.stat(target);
  if (info.isFile) return [target];
  const files: string[] = [];
  for await (const entry of Deno.readDir(target)) {
    const full = `${target.replace(/\/$/, "")}/${entry.name}`;
    if (entry.isDirectory) {
      if (entry.name !== MODEL_RECORDINGS_DIR) files.push(...await listGoldenFiles(full));
    } else if (entry.isFile && entry.name.endsWith(".json")) files.push(full);
  }
  return files.sort();
}
