/**
 * `deno task conform --kernels onnxruntime-web`: the ONNX goldens and the `onnx` profile's
 * properties on onnxruntime-web (bit for bit against the profile's reference), then, apart, where
 * onnxruntime-web differs from PyTorch's numerics on the PyTorch goldens.
 * @module
 */
import { type CheckResult, formatTable } from "./report.ts";
import { conformOnnxEngine, type PytorchDifference, pytorchDifferences } from "./peer.ts";
import { onnxEngineProperties } from "./properties/onnx_engine.ts";
import type { PropertyCheck } from "./properties/property.ts";
import type { OnnxOps } from "../peers/onnx_ops.ts";

/** The engines `--kernels` accepts today (the module contract comes with the op registry). */
export const BUILT_IN_PEERS = ["onnxruntime-web"] as const;

/** Loads a built-in peer by name. */
export async function loadPeer(name: string): Promise<OnnxOps> {
  if (name === "onnxruntime-web") {
    const { OnnxruntimeWeb } = await import("../peers/onnxruntime_web/mod.ts");
    return await OnnxruntimeWeb.create();
  }
  throw new RangeError(
    `--kernels: unknown kernel set ${JSON.stringify(name)}; built in: ${BUILT_IN_PEERS.join(", ")}`,
  );
}

/** Runs a peer's goldens and properties and prints its differences from PyTorch. */
export async function conformPeer(
  peer: OnnxOps,
  options: {
    targets: readonly string[];
    runProperties: (checks: PropertyCheck[]) => Promise<CheckResult[]>;
    shown: (file: string) => string;
  },
): Promise<{ results: CheckResult[]; differences: PytorchDifference[] }> {
  console.log(`kernels: ${peer.name} — ${peer.description}; numerics profile: ${peer.numerics}`);
  const results = await conformOnnxEngine(peer, options.targets, options.shown);
  results.push(...await options.runProperties(onnxEngineProperties(peer)));
  console.log(`comparing ${peer.name} with PyTorch's numerics on the PyTorch goldens …`);
  const differences = await pytorchDifferences(peer, options.targets);
  console.log(
    `\nWhere ${peer.name} differs from PyTorch (not failures: the onnx profile is not PyTorch's):`,
  );
  console.log(differenceTable(differences));
  return { results, differences };
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
