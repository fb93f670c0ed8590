/**
 * The graph-mode proof: every recording of golden/models/fx/ (the digits CNN and the
 * MobileNetV2-style block, quantized by PyTorch's prepare_fx / prepare_qat_fx / convert_fx in
 * three flows on the qnnpack and x86 configs and with custom QConfigMappings, an LSTM model in
 * the dynamic flow, and a string of activations in the static and QAT flows) reproduced twice — from PyTorch's exported graph,
 * and from the TypeScript model traced by `symbolicTrace` (whose graph must be PyTorch's, node
 * for node) — with every step compared bit for bit (model/check.ts).
 * @module
 */
import type { Module } from "../nn/module.ts";
import { ActsNet, DigitsNet, LstmNet, MobileBlockNet } from "../nn/fx/proof_models.ts";
import { checkExport, type ModelReport } from "./check.ts";

/** The recordings directory. */
export const FX_GOLDEN_DIR = new URL("../golden/models/fx/", import.meta.url).pathname;

/** The TypeScript model of each recorded model name. */
const MODELS: Record<string, () => Module> = {
  digits: () => new DigitsNet(),
  mobile: () => new MobileBlockNet(),
  lstm: () => new LstmNet(),
  acts: () => new ActsNet(),
};

/** One proof run: a recording, reproduced from the imported graph or the TypeScript model. */
export interface ProofRun {
  /** The recording's directory name (`digits_static_qnnpack`). */
  readonly name: string;
  /** `graph` (PyTorch's exported graph) or `typescript` (the TypeScript model, traced here). */
  readonly source: "graph" | "typescript";
  /** The report. */
  readonly report: ModelReport;
}

/** The recording directories (sorted). */
export async function proofRecordings(dir = FX_GOLDEN_DIR): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isDirectory) names.push(e.name);
  return names.sort();
}

/**
 * Runs the proof over every recording, from both sources.
 * @throws {Error} for a recording whose model has no TypeScript version.
 */
export async function runProof(log: (line: string) => void = () => {}): Promise<ProofRun[]> {
  const runs: ProofRun[] = [];
  for (const name of await proofRecordings()) {
    const model = MODELS[name.split("_")[0]];
    if (model === undefined) throw new Error(`${name}: no TypeScript model for this recording`);
    for (const source of ["graph", "typescript"] as const) {
      const report = await checkExport(`${FX_GOLDEN_DIR}${name}`, {
        model: source === "typescript" ? model : undefined,
      });
      log(`graph mode ${name} (${source}): ${report.passed} passed, ${report.failed} failed`);
      runs.push({ name, source, report });
    }
  }
  return runs;
}
