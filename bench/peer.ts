/**
 * `deno task bench --peer onnxruntime-web`: another engine's variant of every item, timed in the
 * same run, and the side-by-side table (our best int8 path against the peer, ratio per row).
 * @module
 */
import type { BenchCase } from "./cases.ts";
import type { BenchRecord, BenchSource } from "./main.ts";
import { formatTable } from "../conformance/report.ts";
import { showSpeedup, speedup } from "./spread.ts";
import type { KernelRuntime } from "../kernels/runtime.ts";

/** Peers `--peer` accepts. */
export const BENCH_PEERS = ["onnxruntime-web"] as const;

/** Loads a peer and returns the builder of its variant for an item. */
export async function peerVariants(
  name: string,
  runtime: KernelRuntime,
): Promise<(source: BenchSource) => Promise<BenchCase>> {
  if (name !== "onnxruntime-web") {
    throw new RangeError(
      `--peer: unknown engine ${JSON.stringify(name)}; known: ${BENCH_PEERS.join(", ")}`,
    );
  }
  const { OnnxruntimeWeb } = await import("../peers/onnxruntime_web/mod.ts");
  const bench = await import("../peers/onnxruntime_web/bench.ts");
  const ort = await OnnxruntimeWeb.create();
  console.log(`peer: ${ort.description}`);
  return (source) => {
    switch (source.kind) {
      case "linear":
        return bench.peerLinearCase(source.shape);
      case "conv":
        return bench.peerConvCase(source.shape);
      case "model":
        return bench.peerModelCase(source.model(), runtime);
      case "rnn":
        throw new RangeError(`--peer: ${name} has no variant of the RNN items`);
    }
  };
}

/** Per item: our best int8 variant, the peer, and peer time / our time. */
export function peerTable(records: readonly BenchRecord[], peer = "onnxruntime-web"): string {
  const rows: string[][] = [[
    "shape",
    "model",
    "ours best int8",
    "median ms",
    "GOP/s",
    `${peer} median ms`,
    "GOP/s",
    `× (${peer} / ours)`,
  ]];
  for (const shape of new Set(records.map((r) => r.shape))) {
    const of = records.filter((r) => r.shape === shape);
    const theirs = of.find((r) => r.variant === peer);
    const ours = of.filter((r) =>
      r.variant !== "fp32" && r.variant !== peer && r.op !== "linear_dynamic"
    )
      .sort((a, b) => a.medianNs - b.medianNs)[0];
    if (!theirs || !ours) continue;
    rows.push([
      shape,
      ours.name,
      ours.variant,
      (ours.medianNs / 1e6).toFixed(3),
      ours.gops.toFixed(1),
      (theirs.medianNs / 1e6).toFixed(3),
      theirs.gops.toFixed(1),
      showSpeedup(speedup(theirs, ours)),
    ]);
  }
  return formatTable(rows, [0, 1, 2]);
}
