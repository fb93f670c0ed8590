/**
 * Whole-model benchmark variants: the fp32 network on the fp32 baselines and, per kernel path,
 * the int8 network. Before timing, every int8 path's network is run once and every layer's
 * output codes are compared with the same network on the scalar reference of its numerics.
 * @module
 */
import type { BenchCase } from "../cases.ts";
import type { Graph } from "./graph.ts";
import { calibrate, convertedQParams, FloatModel, Fp32Network, Int8Network } from "./network.ts";
import type { KernelSet, QParams8 } from "../../kernels/kernel_set.ts";
import type { Fp32Ops } from "../../kernels/fp32_ops.ts";
import { ReferenceKernelSet } from "../../kernels/reference_kernel_set.ts";
import type { KernelRuntime } from "../../kernels/runtime.ts";
import type { Numerics } from "../../reference/engine.ts";

/** Builds the fp32 and per-path int8 variants of a model at `size`×`size`. */
export function buildModelCases(
  graph: Graph,
  size: number,
  sets: KernelSet[],
  runtime: KernelRuntime,
  fp32Ops: Fp32Ops,
  options: { checkAgainstReference: boolean },
): BenchCase[] {
  const model = new FloatModel(graph, size);
  const fp32 = new Fp32Network(model, runtime, fp32Ops);
  const image = model.image();
  const calibration = [model.image(11), model.image(12)];
  const qparams = new Map<Numerics, QParams8[]>();
  const qparamsFor = (numerics: Numerics) => {
    if (!qparams.has(numerics)) {
      qparams.set(numerics, convertedQParams(graph, calibrate(fp32, calibration, numerics)));
    }
    return qparams.get(numerics)!;
  };
  const cases: BenchCase[] = [{
    variant: "fp32",
    op: "model",
    run: () => fp32.forward(image),
    kernel: () => "fp32 baselines",
  }];
  const expected = new Map<Numerics, Uint8Array[]>();
  for (const kernels of sets) {
    const network = new Int8Network(model, kernels, qparamsFor(kernels.numerics));
    if (options.checkAgainstReference) {
      if (!expected.has(kernels.numerics)) {
        const reference = new Int8Network(
          model,
          new ReferenceKernelSet(kernels.name, kernels.numerics),
          qparamsFor(kernels.numerics),
        );
        expected.set(kernels.numerics, reference.forwardAll(image));
      }
      assertSameLayers(network.forwardAll(image), expected.get(kernels.numerics)!, graph, kernels);
    }
    cases.push({
      variant: kernels.name,
      op: "model",
      run: () => network.forward(image),
      kernel: () => `int8 ${kernels.numerics} kernels`,
    });
  }
  return cases;
}

/** Throws naming the first layer whose codes differ from the reference network's. */
export function assertSameLayers(
  got: readonly Uint8Array[],
  want: readonly Uint8Array[],
  graph: Graph,
  kernels: KernelSet,
): void {
  for (let i = 0; i < want.length; i++) {
    const bad = want[i].findIndex((v, j) => v !== got[i][j]);
    if (bad >= 0 || got[i].length !== want[i].length) {
      throw new Error(
        `${graph.name} on ${kernels.name}: node ${i} (${graph.nodes[i].op}) differs from the ` +
          `reference at element ${bad}: ${got[i][bad]} vs ${want[i][bad]}`,
      );
    }
  }
}
