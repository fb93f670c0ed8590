/**
 * Properties of the dynamic quantized RNNs (`quantized_lstm_dynamic`, `quantized_gru_dynamic`,
 * the cells):
 *
 * - on every kernel path: the LSTM/GRU (and each cell type) on the path's dynamic linear kernel
 *   equals the reference of the path's numerics bit for bit, over random shapes (hidden sizes
 *   across the 16-element sigmoid split), layers, directions, batch-first, initial states and
 *   input scales;
 * - on the reference (both numerics), relations PyTorch's algorithm implies exactly: batch-first
 *   is the transposed time-major result; a bidirectional layer's reverse half is a forward run of
 *   the reverse weights on the time-reversed sequence (its input projection sees the same values,
 *   so the same qparams); a two-layer network is one layer fed the other's output; a one-step
 *   sequence is one cell step.
 *
 * Each property is built from the implementation it checks (`RnnImpl`), so a test can hand it a
 * broken one.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { packDynamicLinear, packRnnCells } from "../../kernels/dynamic_rnn.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import type { Engine } from "../../reference/engine.ts";
import { float32Bits } from "../../reference/float32.ts";
import {
  gateCount,
  quantizedRnnDynamic,
  quantizeDynamicWeight,
  referenceDynamicLinear,
  rnnCellForward,
  type RnnCellMode,
  type RnnCellWeights,
  type RnnConfig,
  rnnForward,
  type RnnOutput,
} from "../../reference/quantized_rnn.ts";
import { Tensor } from "../../reference/tensor.ts";
import { xorshift } from "./linear.ts";

/** A dynamic RNN implementation under test (the reference's signature). */
export type RnnImpl = (
  x: Tensor,
  weights: readonly RnnCellWeights[],
  config: RnnConfig & { engine: Engine },
  initial: { h0?: Tensor | null; c0?: Tensor | null },
) => RnnOutput;

/** A random problem: config, float-quantized weights, input and optional initial state. */
interface RnnProblem {
  config: RnnConfig;
  weights: RnnCellWeights[];
  x: Tensor;
  h0: Tensor | null;
  c0: Tensor | null;
}

function randomTensor(rand: () => number, shape: number[], scale: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale), shape);
}

/** Weights of every layer and direction, from uniform float weights quantized as PyTorch does. */
function randomWeights(rand: () => number, config: RnnConfig): RnnCellWeights[] {
  const d = config.bidirectional ? 2 : 1;
  const rows = gateCount(config.mode) * config.hiddenSize;
  const bound = 1 / Math.sqrt(config.hiddenSize);
  return Array.from({ length: config.numLayers * d }, (_, i) => {
    const inputs = i < d ? config.inputSize : d * config.hiddenSize;
    const part = (k: number) =>
      quantizeDynamicWeight(
        randomTensor(rand, [rows, k], bound * 2),
        randomTensor(rand, [rows], bound),
      );
    return { ih: part(inputs), hh: part(config.hiddenSize) };
  });
}

const problemArb = (mode: "LSTM" | "GRU") =>
  fc.record({
    inputSize: fc.integer({ min: 1, max: 12 }),
    hiddenSize: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 14, max: 20 })),
    numLayers: fc.integer({ min: 1, max: 2 }),
    bidirectional: fc.boolean(),
    batchFirst: fc.boolean(),
    steps: fc.integer({ min: 1, max: 4 }),
    batch: fc.integer({ min: 1, max: 3 }),
    withState: fc.boolean(),
    inputScale: fc.constantFrom(0.01, 1, 3, 50),
    seed: fc.integer(),
  }).map((p): RnnProblem => {
    const rand = xorshift(p.seed);
    const config: RnnConfig = { mode, ...p };
    const d = p.bidirectional ? 2 : 1;
    const state = [p.numLayers * d, p.batch, p.hiddenSize];
    const xShape = p.batchFirst ? [p.batch, p.steps, p.inputSize] : [p.steps, p.batch, p.inputSize];
    return {
      config,
      weights: randomWeights(rand, config),
      x: randomTensor(rand, xShape, p.inputScale),
      h0: p.withState ? randomTensor(rand, state, 1) : null,
      c0: p.withState && mode === "LSTM" ? randomTensor(rand, state, 2) : null,
    };
  });

/** Asserts two float arrays are equal bit for bit, naming the first difference. */
function assertBits(got: Tensor, want: Tensor, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  for (let i = 0; i < want.size; i++) {
    if (float32Bits(got.data[i]) !== float32Bits(want.data[i])) {
      assert.fail(`${what}: element ${i} is ${got.data[i]}, expected ${want.data[i]}`);
    }
  }
}

function assertSameOutput(got: RnnOutput, want: RnnOutput, what: string): void {
  assertBits(got.y, want.y, `${what} y`);
  assertBits(got.h, want.h, `${what} h_n`);
  if (want.c !== null) assertBits(got.c!, want.c, `${what} c_n`);
}

/** The engine whose numerics a kernel set reproduces (its numerics name). */
function engineOf(kernels: KernelSet): Engine {
  return kernels.numerics;
}

/** The RNN of a kernel set: every product on its dynamic linear kernel. */
export function kernelRnn(kernels: KernelSet): RnnImpl {
  return (x, weights, config, initial) => {
    const packed = packRnnCells(kernels, weights);
    try {
      return rnnForward(x, packed.cells, config, initial);
    } finally {
      packed.free();
    }
  };
}

/**
 * Properties of a kernel path's dynamic RNNs (against the reference of its numerics). None on
 * oneDNN paths: PyTorch's dynamic RNNs always pass reduce_range=True, which is undefined there
 * (both the reference and the kernels refuse it).
 */
export function rnnKernelProperties(
  kernels: KernelSet,
  impl: RnnImpl = kernelRnn(kernels),
): PropertyCheck[] {
  if (kernels.numerics === "onednn") return [];
  const engine = engineOf(kernels);
  const sequence = (mode: "LSTM" | "GRU"): PropertyCheck => ({
    name: `dynamic ${mode} on the kernels equals the reference`,
    op: `quantized_${mode.toLowerCase()}_dynamic (${kernels.numerics})`,
    path: kernels.name,
    runsFactor: 0.3,
    property: () =>
      fc.property(problemArb(mode), (p) => {
        const initial = { h0: p.h0, c0: p.c0 };
        assertSameOutput(
          impl(p.x, p.weights, { ...p.config, engine }, initial),
          quantizedRnnDynamic(p.x, p.weights, { ...p.config, engine }, initial),
          kernels.name,
        );
      }),
  });
  return [
    sequence("LSTM"),
    sequence("GRU"),
    {
      name: "dynamic cells (LSTM, GRU, RNN tanh/relu) on the kernels equal the reference",
      op: `quantized_rnn_cells_dynamic (${kernels.numerics})`,
      path: kernels.name,
      runsFactor: 0.3,
      property: () =>
        fc.property(
          fc.constantFrom<RnnCellMode>("LSTM", "GRU", "RNN_TANH", "RNN_RELU"),
          problemArb("LSTM"),
          (mode, p) => {
            const rand = xorshift(p.x.size);
            const { inputSize, hiddenSize } = p.config;
            const [w] = randomWeights(rand, {
              ...p.config,
              mode: mode === "GRU" ? "GRU" : "LSTM",
              numLayers: 1,
              bidirectional: false,
            });
            const cellWeights = mode.startsWith("RNN")
              ? {
                ih: quantizeDynamicWeight(randomTensor(rand, [hiddenSize, inputSize], 1), null),
                hh: quantizeDynamicWeight(randomTensor(rand, [hiddenSize, hiddenSize], 1), null),
              }
              : w;
            const batch = 1 + (p.x.size % 3);
            const x = randomTensor(rand, [batch, inputSize], 4);
            const state = {
              h: randomTensor(rand, [batch, hiddenSize], 1),
              c: randomTensor(rand, [batch, hiddenSize], 2),
            };
            const ih = packDynamicLinear(kernels, cellWeights.ih);
            const hh = packDynamicLinear(kernels, cellWeights.hh);
            try {
              const got = rnnCellForward(mode, x, state, { ih: ih.run, hh: hh.run }, p.config);
              const want = rnnCellForward(mode, x, state, {
                ih: referenceDynamicLinear(cellWeights.ih, engine),
                hh: referenceDynamicLinear(cellWeights.hh, engine),
              }, p.config);
              assertBits(got.h, want.h, `${mode} h'`);
              if (want.c !== undefined) assertBits(got.c!, want.c, `${mode} c'`);
            } finally {
              ih.free();
              hh.free();
            }
          },
        ),
    },
  ];
}

/** Reverses the time dimension (0) of a `[T, B, F]` tensor. */
function reverseTime(t: Tensor): Tensor {
  const [steps] = t.shape;
  const per = t.size / steps;
  const out = new Float32Array(t.size);
  for (let s = 0; s < steps; s++) {
    out.set(t.data.subarray(s * per, (s + 1) * per), (steps - 1 - s) * per);
  }
  return new Tensor(out, t.shape);
}

/** Swaps dimensions 0 and 1 of a 3-D tensor. */
function transpose01(t: Tensor): Tensor {
  const [a, b, w] = t.shape;
  const out = new Float32Array(t.size);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      out.set(t.data.subarray((i * b + j) * w, (i * b + j + 1) * w), (j * a + i) * w);
    }
  }
  return new Tensor(out, [b, a, w]);
}

/** Columns `[from, to)` of the last dimension. */
function columns(t: Tensor, from: number, to: number): Tensor {
  const w = t.shape[t.shape.length - 1];
  const rows = t.size / w;
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) {
    out.set(t.data.subarray(r * w + from, r * w + to), r * (to - from));
  }
  return new Tensor(out, [...t.shape.slice(0, -1), to - from]);
}

/** Slice `index` of dimension 0 of a state `[L·D, B, H]`, kept 3-D. */
function stateSlice(t: Tensor | null, index: number): Tensor | null {
  if (t === null) return null;
  const per = t.size / t.shape[0];
  return new Tensor(t.data.slice(index * per, (index + 1) * per), [1, ...t.shape.slice(1)]);
}

/** Reference properties that follow from PyTorch's algorithm (see the module documentation). */
export function rnnReferenceProperties(impl: RnnImpl = quantizedRnnDynamic): PropertyCheck[] {
  const checks: PropertyCheck[] = [];
  for (const engine of ["qnnpack", "fbgemm"] as const) {
    for (const mode of ["LSTM", "GRU"] as const) {
      const op = `quantized_${mode.toLowerCase()}_dynamic (${
        engine === "qnnpack" ? "qnnpack" : "fbgemm"
      })`;
      const property = (name: string, body: (p: RnnProblem) => void): PropertyCheck => ({
        name,
        op,
        path: "reference",
        runsFactor: 0.25,
        property: () => fc.property(problemArb(mode), body),
      });
      const run = (p: RnnProblem, config: Partial<RnnConfig>, x = p.x, h0 = p.h0, c0 = p.c0) =>
        impl(x, p.weights, { ...p.config, ...config, engine }, { h0, c0 });
      checks.push(
        property("batch_first is the transposed time-major result", (p) => {
          const timeMajor = p.config.batchFirst ? transpose01(p.x) : p.x;
          const a = run(p, { batchFirst: false }, timeMajor);
          const b = run(p, { batchFirst: true }, transpose01(timeMajor));
          assertBits(transpose01(b.y), a.y, "y");
          assertBits(b.h, a.h, "h_n");
        }),
        property(
          "a bidirectional layer's reverse half is the reverse weights on the reversed sequence",
          (p) => {
            const x = p.config.batchFirst ? transpose01(p.x) : p.x;
            const config = { batchFirst: false, bidirectional: true, numLayers: 1 };
            const both = impl(x, p.weights.slice(0, 1).concat(reverseWeights(p)), {
              ...p.config,
              ...config,
              engine,
            }, { h0: stack(p.h0, p.h0), c0: stack(p.c0, p.c0) });
            const alone = impl(reverseTime(x), reverseWeights(p), {
              ...p.config,
              ...config,
              bidirectional: false,
              engine,
            }, { h0: stateSlice(p.h0, 0), c0: stateSlice(p.c0, 0) });
            const h = p.config.hiddenSize;
            assertBits(columns(both.y, h, 2 * h), reverseTime(alone.y), "reverse half");
          },
        ),
        property("two layers are one layer fed the other's output", (p) => {
          if (p.config.numLayers !== 2 || p.config.bidirectional) return;
          const x = p.config.batchFirst ? transpose01(p.x) : p.x;
          const base = { ...p.config, batchFirst: false, numLayers: 1, engine };
          const both = impl(x, p.weights, { ...base, numLayers: 2 }, { h0: p.h0, c0: p.c0 });
          const first = impl(x, p.weights.slice(0, 1), base, {
            h0: stateSlice(p.h0, 0),
            c0: stateSlice(p.c0, 0),
          });
          const second = impl(first.y, p.weights.slice(1, 2), {
            ...base,
            inputSize: p.config.hiddenSize,
          }, { h0: stateSlice(p.h0, 1), c0: stateSlice(p.c0, 1) });
          assertBits(both.y, second.y, "y");
        }),
        property("a one-step sequence is one cell step", (p) => {
          if (p.config.numLayers !== 1 || p.config.bidirectional) return;
          const x = p.config.batchFirst ? transpose01(p.x) : p.x;
          const first = new Tensor(x.data.slice(0, x.size / x.shape[0]), [1, ...x.shape.slice(1)]);
          const seq = impl(first, p.weights, { ...p.config, batchFirst: false, engine }, {
            h0: p.h0,
            c0: p.c0,
          });
          const [, batch, features] = first.shape;
          const hidden = p.config.hiddenSize;
          const zeros = new Tensor(new Float32Array(batch * hidden), [batch, hidden]);
          const cell = rnnCellForward(
            mode,
            new Tensor(first.data, [batch, features]),
            {
              h: p.h0 === null ? zeros : new Tensor(p.h0.data, [batch, hidden]),
              c: p.c0 === null ? zeros : new Tensor(p.c0.data, [batch, hidden]),
            },
            {
              ih: referenceDynamicLinear(p.weights[0].ih, engine),
              hh: referenceDynamicLinear(p.weights[0].hh, engine),
            },
            p.config,
          );
          assertBits(new Tensor(seq.y.data, [batch, hidden]), cell.h, "h");
        }),
      );
    }
  }
  return checks;
}

/** The reverse direction's layer-0 weights (the forward ones again for a unidirectional problem). */
function reverseWeights(p: RnnProblem): RnnCellWeights[] {
  return [p.weights[p.config.bidirectional ? 1 : 0]];
}

/** Two states `[1, B, H]` stacked into `[2, B, H]` (null stays null). */
function stack(a: Tensor | null, b: Tensor | null): Tensor | null {
  const first = stateSlice(a, 0);
  const second = stateSlice(b, 0);
  if (first === null || second === null) return null;
  const out = new Float32Array(first.size * 2);
  out.set(first.data);
  out.set(second.data, first.size);
  return new Tensor(out, [2, ...first.shape.slice(1)]);
}
