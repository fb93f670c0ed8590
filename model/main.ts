/**
 * `deno task model DIR [--calibrate] [--json FILE]`: reproduces a model exported by
 * scripts/export/fx_export.py (PyTorch's graph-mode quantization) with this library's
 * `prepareFx` / `convertFx` and compares every step with PyTorch bit for bit (see
 * model/check.ts). Prints a table per converted node and path, the float leftovers, the
 * failures, and ends with `N passed, N failed`; exit code 0 only when every compared tensor is
 * bit-exact.
 * @module
 */
import { parseArgs } from "node:util";
import { formatTable } from "../conformance/report.ts";
import { checkExport, type ModelReport } from "./check.ts";

const HELP = `deno task model DIR [--calibrate] [--json FILE]

Reproduces an export of scripts/export/fx_export.py and compares it with PyTorch bit for bit.

Options:
  --calibrate   calibrate here instead of loading PyTorch's observer state; report the drift
  --json FILE   write the full report as JSON
  --verbose     list every check, not only failures
  -h, --help    this text`;

/** The report as text. */
export function formatReport(report: ModelReport, verbose = false): string {
  const lines: string[] = [];
  const m = report.manifest;
  lines.push(
    `${
      m.description || "model"
    }: ${m.flow} ${m.backend}, PyTorch ${m.source.torch} on the ${m.engine} engine`,
  );
  lines.push("");
  const header = ["node", "op", ...report.paths];
  const table = [
    header,
    ...report.nodes.map((n) => [n.node, n.what, ...report.paths.map((p) => n.cells[p] ?? "-")]),
  ];
  lines.push(formatTable(table, 2));
  lines.push("");
  const sections = [...new Set(report.rows.map((r) => r.section))];
  const summary = [["step", "passed", "failed", "measured"]];
  for (const s of sections) {
    const rs = report.rows.filter((r) => r.section === s);
    summary.push([
      s,
      String(rs.filter((r) => r.status === "pass").length),
      String(rs.filter((r) => r.status === "fail").length),
      String(rs.filter((r) => r.status === "info").length),
    ]);
  }
  lines.push(formatTable(summary));
  for (const r of report.rows.filter((r) => r.status === "info")) {
    lines.push(`${r.section}: ${r.item}: ${r.detail}`);
  }
  if (report.notes.length > 0) {
    lines.push("", "left float by convert:");
    for (const n of report.notes) lines.push(`  ${n}`);
  }
  const shown = report.rows.filter((r) => r.status === "fail" || (verbose && r.status === "pass"));
  if (shown.length > 0) {
    lines.push("", verbose ? "checks:" : "failures:");
    for (const r of shown.slice(0, verbose ? Infinity : 40)) {
      lines.push(
        `  ${r.status === "pass" ? "ok  " : "FAIL"} ${r.section} ${r.item} [${r.path}] ${r.detail}`,
      );
    }
    if (!verbose && shown.length > 40) lines.push(`  … ${shown.length - 40} more (--verbose)`);
  }
  lines.push("", `${report.passed} passed, ${report.failed} failed`);
  return lines.join("\n");
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      calibrate: { type: "boolean", default: false },
      json: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`expected one export directory, got ${positionals.length}\n\n${HELP}`);
    return 2;
  }
  const report = await checkExport(positionals[0], {
    calibrate: values.calibrate,
    log: (line) => console.error(line),
  });
  console.log(formatReport(report, values.verbose));
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 1) + "\n");
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`deno task model: ${(e as Error).message}`);
    console.log("0 passed, 1 failed");
    Deno.exit(1);
  }
}
