/**
 * Recurrent benchmark items: one LSTM (and one GRU) cell step with 1024 hidden units (batch 1,
 * the shape of a streaming decoder) and a 2-layer LSTM over a sequence (the shape of PyTorch's
 * dynamic quantization word-language-model tutorial, smaller). The fp32 baseline runs the same layer
 * algorithm with our fp32 GEMM; each kernel path runs its dynamic int8 linear (the quantized
 * dynamic LSTM), checked bit for bit against the reference of its numerics before timing. Both
 * share the gate arithmetic (PyTorch's exact float sigmoid/tanh, in JavaScript), which does not
 * shrink with int8 and caps the speedup.
 * @module
 */
import { randomSource } from "./random.ts";
import type { BenchCase } from "./cases.ts";
import { packRnnCells } from "../kernels/dynamic_rnn.ts";
import { Fp32Linear } from "../kernels/fp32_linear.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import type { KernelRuntime } from "../kernels/runtime.ts";
import type { LinearWeight } from "../reference/quantized_linear.ts";
import {
  type CellLinears,
  gateCount,
  quantizedRnnDynamic,
  referenceDynamicLinear,
  rnnCellForward,
  type RnnCellWeights,
  type RnnConfig,
  rnnForward,
} from "../reference/quantized_rnn.ts";
import { Tensor } from "../reference/tensor.ts";

/** A recurrent benchmark: an LSTM step (`steps` 0) or a sequence. */
export interface RnnShape {
  /** Label of the item. */
  readonly label: string;
  /** Where the shape comes from. */
  readonly model: string;
  /** The layers. */
  readonly config: RnnConfig;
  /** Time steps (0: one cell step, the input projection per step). */
  readonly steps: number;
  /** Batch. */
  readonly batch: number;
  /** In the quick set. */
  readonly quick?: boolean;
}

/** The recurrent items of `deno task bench`. */
export const RNN_SHAPES: readonly RnnShape[] = [
  {
    label: "lstm step 1024",
    model: "LSTM cell step, 1024→1024 hidden, batch 1",
    config: lstm(1024, 1024, 1),
    steps: 0,
    batch: 1,
    quick: true,
  },
  {
    label: "gru step 1024",
    model: "GRU cell step, 1024→1024 hidden, batch 1",
    config: { ...lstm(1024, 1024, 1), mode: "GRU" },
    steps: 0,
    batch: 1,
  },
  {
    label: "lstm 2×256 seq 20×4",
    model: "2-layer LSTM 256→256, 20 steps × batch 4",
    config: lstm(256, 256, 2),
    steps: 20,
    batch: 4,
  },
];

function lstm(inputSize: number, hiddenSize: number, numLayers: number): RnnConfig {
  return {
    mode: "LSTM",
    inputSize,
    hiddenSize,
    numLayers,
    bidirectional: false,
    batchFirst: false,
  };
}

/** Multiply-accumulates ×2 of the products (the gates are not counted). */
export function rnnOps(s: RnnShape): number {
  const { inputSize: i, hiddenSize: h, numLayers } = s.config;
  const rows = Math.max(1, s.steps) * s.batch;
  let macs = 0;
  for (let layer = 0; layer < numLayers; layer++) {
    macs += rows * 4 * h * ((layer === 0 ? i : h) + h);
  }
  return 2 * macs;
}

/** A per-tensor symmetric qint8 weight with a float bias (codes bell-shaped in ±127). */
function weight(n: number, k: number, rand: () => number): LinearWeight {
  return {
    data: Int8Array.from({ length: n * k }, () => {
      const g = (rand() + rand() + rand() + rand() - 2) * 1.7;
      return Math.max(-127, Math.min(127, Math.round(g * 40)));
    }),
    outFeatures: n,
    inFeatures: k,
    perChannel: false,
    scales: Float64Array.of(0.4 / 127 / Math.sqrt(k / 64)),
    zeroPoints: Int32Array.of(0),
    bias: Float32Array.from({ length: n }, () => (rand() - 0.5) * 0.2),
  };
}

/** Builds, checks and returns the fp32 and dynamic int8 variants of an RNN item. */
export function buildRnnCases(s: RnnShape, sets: KernelSet[], runtime: KernelRuntime): BenchCase[] {
  const rand = randomSource(s.config.hiddenSize * 17 + s.steps);
  const { inputSize, hiddenSize, numLayers } = s.config;
  const gateRows = gateCount(s.config.mode) * hiddenSize;
  const weights: RnnCellWeights[] = Array.from({ length: numLayers }, (_, layer) => ({
    ih: weight(gateRows, layer === 0 ? inputSize : hiddenSize, rand),
    hh: weight(gateRows, hiddenSize, rand),
  }));
  const rows = Math.max(1, s.steps) * s.batch;
  const x = new Tensor(
    Float32Array.from({ length: rows * inputSize }, () => (rand() - 0.5) * 4),
    s.steps === 0 ? [s.batch, inputSize] : [s.steps, s.batch, inputSize],
  );
  const state = {
    h: new Tensor(Float32Array.from({ length: s.batch * hiddenSize }, () => rand() - 0.5), [
      s.batch,
      hiddenSize,
    ]),
    c: new Tensor(Float32Array.from({ length: s.batch * hiddenSize }, () => rand() - 0.5), [
      s.batch,
      hiddenSize,
    ]),
  };
  const run = (cells: readonly CellLinears[]) =>
    s.steps === 0
      ? rnnCellForward(s.config.mode, x, state, cells[0], s.config).h
      : rnnForward(x, cells, s.config).y;

  const fp32 = new Fp32Linear(runtime);
  const floatCells = weights.map((w) => {
    const part = (l: LinearWeight) => {
      const packed = fp32.pack(
        Float32Array.from(l.data, (v) => v * l.scales[0]),
        l.outFeatures,
        l.inFeatures,
        l.bias,
      );
      return (xs: Float32Array, m: number) => fp32.linear(xs, m, packed);
    };
    return { ih: part(w.ih), hh: part(w.hh) };
  });
  const cases: BenchCase[] = [{
    variant: "fp32",
    op: "rnn",
    run: () => run(floatCells),
    kernel: () => fp32.kernelName,
  }];
  const expected = new Map<string, Float32Array>();
  for (const kernels of sets) {
    // PyTorch's dynamic RNNs pass reduce_range=True, which oneDNN leaves undefined (refused).
    if (kernels.numerics === "onednn") continue;
    const engine = kernels.numerics;
    if (!expected.has(engine)) {
      expected.set(
        engine,
        s.steps === 0
          ? rnnCellForward(s.config.mode, x, state, {
            ih: referenceDynamicLinear(weights[0].ih, engine),
            hh: referenceDynamicLinear(weights[0].hh, engine),
          }, s.config).h.data
          : quantizedRnnDynamic(x, weights, { ...s.config, engine }).y.data,
      );
    }
    const packed = packRnnCells(kernels, weights);
    const got = run(packed.cells).data;
    const want = expected.get(engine)!;
    const differing = want.findIndex((v, i) => !Object.is(v, got[i]));
    if (differing >= 0) {
      throw new Error(
        `${kernels.name} dynamic ${s.config.mode} (${s.label}) differs from the reference at ${differing}: ` +
          `${got[differing]} vs ${want[differing]}`,
      );
    }
    cases.push({
      variant: `${kernels.name} dynamic`,
      op: "rnn",
      run: () => run(packed.cells),
      kernel: () => kernels.lastKernel,
    });
  }
  return cases;
}
