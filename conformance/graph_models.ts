/**
 * The graph-mode proof as conformance checks (model/proof.ts): every compared step of every
 * recording in golden/models/fx/, from PyTorch's exported graph and from the TypeScript model.
 * @module
 */
import { runProof } from "../model/proof.ts";
import type { CheckResult } from "./report.ts";

/** Runs the proof; one check per compared node, weight, observer and output. */
export async function graphModeChecks(log: (line: string) => void): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const run of await runProof(log)) {
    for (const row of run.report.rows) {
      if (row.status === "info") continue;
      out.push({
        kind: "golden",
        op: `graph mode ${run.name} (${run.source})`,
        path: row.path,
        name: `golden/models/fx/${run.name}#${row.section} ${row.item}`,
        status: row.status,
        reason: row.detail || undefined,
      });
    }
  }
  return out;
}
