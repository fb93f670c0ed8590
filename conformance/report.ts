/**
 * The conformance report: a table per op and path, the failures with their first differing
 * element, the named deviations, and the closing `N passed, N failed` line.
 * @module
 */
import type { Status } from "./runner.ts";

/** One check of any kind (golden case, property, unit test) as the report sees it. */
export interface CheckResult {
  readonly kind: "golden" | "property" | "unit";
  /** Golden: the op; property: the op or concept it tests; unit: the test file. */
  readonly op: string;
  /** `reference`, a kernel path, or `-`. */
  readonly path: string;
  /** Golden: `file#id`; property/unit: the check's name. */
  readonly name: string;
  readonly status: Status;
  readonly reason?: string;
  readonly engine?: string;
}

/** Counts used by the closing line: deviations count apart; unsupported fails unless allowed. */
export interface Totals {
  passed: number;
  failed: number;
  deviations: number;
  unsupported: number;
}

/** Whether a result counts as a failure. */
export function isFailure(status: Status, allowUnsupported: boolean): boolean {
  return status === "fail" || status === "malformed" ||
    (status === "unsupported" && !allowUnsupported);
}

/** Adds up the results. */
export function totals(results: readonly CheckResult[], allowUnsupported: boolean): Totals {
  const t: Totals = { passed: 0, failed: 0, deviations: 0, unsupported: 0 };
  for (const r of results) {
    if (r.status === "pass") t.passed++;
    else if (r.status === "deviation") t.deviations++;
    else if (r.status === "unsupported") {
      t.unsupported++;
      if (!allowUnsupported) t.failed++;
    } else t.failed++;
  }
  return t;
}

/**
 * Formats a table with a header row. Columns listed in `leftAligned` (default: the first) are
 * left-aligned, the others right-aligned.
 */
export function formatTable(
  rows: readonly (readonly string[])[],
  leftAligned: number | readonly number[] = 1,
): string {
  const left = typeof leftAligned === "number"
    ? new Set(Array.from({ length: leftAligned }, (_, i) => i))
    : new Set(leftAligned);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (left.has(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

/** The summary table: one row per (kind, op, path). */
export function summaryTable(results: readonly CheckResult[], allowUnsupported: boolean): string {
  const groups = new Map<
    string,
    { kind: string; op: string; path: string; items: CheckResult[] }
  >();
  for (const r of results) {
    const key = `${r.kind}\u0000${r.op}\u0000${r.path}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { kind: r.kind, op: r.op, path: r.path, items: [] });
    g.items.push(r);
  }
  const rows: string[][] = [[
    "kind",
    "op",
    "path",
    "checks",
    "passed",
    "failed",
    "deviations",
    "unsupported",
  ]];
  for (const g of groups.values()) {
    const t = totals(g.items, allowUnsupported);
    rows.push([
      g.kind,
      g.op,
      g.path,
      String(g.items.length),
      String(t.passed),
      String(g.items.filter((r) => r.status === "fail" || r.status === "malformed").length),
      String(t.deviations),
      String(t.unsupported),
    ]);
  }
  return formatTable(rows, 3);
}

/** Lines describing failed checks (at most `limit`, then a count of the rest). */
export function failureLines(
  results: readonly CheckResult[],
  allowUnsupported: boolean,
  limit: number,
): string[] {
  const failed = results.filter((r) => isFailure(r.status, allowUnsupported));
  const lines = failed.slice(0, limit).map((r) =>
    `  ${r.status.toUpperCase()} [${r.kind}] ${r.name} (${r.op}${
      r.engine ? `, ${r.engine}` : ""
    }, ` +
    `path ${r.path}): ${r.reason ?? "no reason given"}`
  );
  if (failed.length > limit) {
    lines.push(`  … and ${failed.length - limit} more (use --verbose or --json FILE)`);
  }
  return lines;
}

/** Lines naming the deviations (cases in PyTorch's build-dependent domain). */
export function deviationLines(results: readonly CheckResult[], limit: number): string[] {
  const devs = results.filter((r) => r.status === "deviation");
  const lines = devs.slice(0, limit).map((r) =>
    `  DEVIATION ${r.name} (${r.op}, path ${r.path}): ${r.reason}`
  );
  if (devs.length > limit) lines.push(`  … and ${devs.length - limit} more`);
  return lines;
}
