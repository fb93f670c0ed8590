/**
 * Property checks: fast-check properties that `deno task conform` runs and reports like golden
 * cases. A property is built from the implementation it checks, so a test can hand it a
 * deliberately broken implementation and see it fail (a property that cannot fail is a defect).
 * @module
 */
import fc from "fast-check";

/** One named property. */
export interface PropertyCheck {
  /** What it claims, as a sentence. */
  readonly name: string;
  /** The op or concept it belongs to (the report groups by it). */
  readonly op: string;
  /** `reference` or a kernel path name. */
  readonly path: string;
  /** Builds the property (called once per run). */
  property(): fc.IRawProperty<unknown>;
  /** Scales the number of runs (e.g. 0.2 for an expensive property); default 1. */
  readonly runsFactor?: number;
}

/** The outcome of one property. */
export interface PropertyOutcome {
  readonly passed: boolean;
  /** For a failure: fast-check's counterexample and the error, shrunk. */
  readonly reason?: string;
  readonly runs: number;
}

/** Runs one property with a seed and a number of runs. */
export async function runProperty(
  check: PropertyCheck,
  options: { seed: number; runs: number },
): Promise<PropertyOutcome> {
  const numRuns = Math.max(1, Math.round(options.runs * (check.runsFactor ?? 1)));
  let details: Awaited<ReturnType<typeof fc.check>>;
  try {
    details = await fc.check(check.property(), { seed: options.seed, numRuns });
  } catch (e) {
    // A generator that throws is the property's own defect: a failure, never a crash of the run.
    return { passed: false, runs: 0, reason: `the property threw: ${(e as Error)?.message ?? e}` };
  }
  if (!details.failed) return { passed: true, runs: details.numRuns };
  const counterexample = details.counterexample === null
    ? "(none)"
    : fc.stringify(details.counterexample).slice(0, 600);
  const error = details.errorInstance instanceof Error
    ? details.errorInstance.message
    : String(details.errorInstance);
  return {
    passed: false,
    runs: details.numRuns,
    reason:
      `counterexample ${counterexample} (seed ${options.seed}, path "${details.counterexamplePath}"): ` +
      error.split("\n").slice(0, 6).join(" "),
  };
}

/** Runs a property and returns whether it failed (for tests that plant a bug). */
export async function propertyFails(check: PropertyCheck, runs = 200): Promise<boolean> {
  return !(await runProperty(check, { seed: 1, runs })).passed;
}
