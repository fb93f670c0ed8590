/**
 * The conventions of the project's command-line tools (`deno task conform`, `deno task bench`,
 * `scripts/bench_table.ts`): a misuse — an unknown option, an option without its value, a number
 * or a pattern that does not parse, an output file that cannot be written — prints what is wrong
 * and the usage to stderr and exits 2, before any work starts; nothing prints a stack trace.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A misuse of a command line: reported with the usage, exit code 2. */
export class UsageError extends Error {
  /** An error with `message` (what is wrong, naming the option). */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * `parseArgs` (strict: unknown options and missing values are errors) whose failures are
 * UsageErrors. Positional arguments are allowed only when `allowPositionals` says so.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError((e as Error).message.split("\n")[0]);
    }
    throw e;
  }
}

/** An integer option within `[min, max]`; `undefined` gives `fallback`. */
export function integerOption(
  name: string,
  value: string | undefined,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const { min = -Infinity, max = Infinity } = bounds;
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${name}: expected an integer ${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A regular-expression option; `undefined` gives null. */
export function patternOption(name: string, value: string | undefined): RegExp | null {
  if (value === undefined) return null;
  try {
    return new RegExp(value);
  } catch (e) {
    throw new UsageError(
      `--${name}: ${JSON.stringify(value)} is not a regular expression (${(e as Error).message})`,
    );
  }
}

/**
 * Checks, before any work, that an output file can be written: its directory exists and the file
 * can be created or opened for writing (a file that did not exist is removed again).
 */
export async function checkWritable(name: string, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  const existed = await Deno.stat(path).then(() => true, () => false);
  try {
    const file = await Deno.open(path, { write: true, create: true });
    file.close();
    if (!existed) await Deno.remove(path);
  } catch (e) {
    throw new UsageError(`--${name}: cannot write ${path} (${(e as Error).message})`);
  }
}

/**
 * Runs a tool's `main` and exits with its code; a UsageError prints `error: …` and the usage to
 * stderr and exits 2.
 */
export async function runTool(usage: string, main: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\n\n${usage}`);
    code = 2;
  }
  Deno.exit(code);
}
