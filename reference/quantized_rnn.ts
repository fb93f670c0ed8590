/**
 * Dynamically quantized recurrent layers — `torch.quantized_lstm` / `torch.quantized_gru` with
 * `QuantizedCellParamsDynamic` (what `nn.quantized.dynamic.LSTM` and `GRU` run) and the cells
 * `quantized_lstm_cell_dynamic`, `quantized_gru_cell_dynamic`, `quantized_rnn_{tanh,relu}_cell_dynamic`
 * — bit for bit as PyTorch 1.13 computes them on the CPU (aten/src/ATen/native/RNN.cpp):
 *
 * - every matrix product is a dynamic quantized linear (`apply_dynamic(x, reduce_range=True)`,
 *   `reference/quantized_linear.ts`) with the float bias packed into the weight; the activation
 *   qparams are chosen per call from that call's whole input;
 * - a layer (`FullLayer`) applies its input weights to the WHOLE sequence `[T·B, I]` in one call
 *   (one set of activation qparams for all steps), then runs the cell step by step with the
 *   hidden weights on `h` `[B, H]`; a bidirectional layer does the same for the reverse direction
 *   (its own call on the whole sequence) and concatenates the two outputs per step; stacked
 *   layers take the previous layer's output as input (dropout only applies when training);
 * - the cells' float arithmetic, in PyTorch's order (`reference/aten_float.ts` for the exact
 *   sigmoid/tanh; the gates are `unsafe_chunk` views, so sigmoid's vector/scalar split runs per
 *   row of H):
 *   - LSTM: `g = hh(h) + ih(x)`; `i, f, o = σ(g_i), σ(g_f), σ(g_o)`, `c̃ = tanh(g_c)`;
 *     `c' = f·c + i·c̃`; `h' = o·tanh(c')`;
 *   - GRU: `r = σ(hh_r + ih_r)`, `z = σ(hh_z + ih_z)`, `n = tanh(ih_n + hh_n·r)`,
 *     `h' = (h − n)·z + n`;
 *   - RNN: `h' = tanh(hh(h) + ih(x))` or `relu(…)`.
 *
 * The dynamic linears are passed in as functions, so the same code runs on the reference and on
 * a kernel set's dynamic linear (`nn/quantized/dynamic_rnn.ts`). PyTorch 1.13 facts: the dynamic
 * RNN modules need biases (`from_float` asserts `mod.bias`, `quantized_lstm` checks
 * `has_biases`); `reduce_range` is always true (QNNPACK ignores it, FBGEMM quantizes activations
 * to [0, 127]).
 * @module
 */
import { checkObject, checkOptions, show } from "./_check.ts";
import { atenRelu, atenSigmoid, atenTanh } from "./aten_float.ts";
import type { Engine } from "./engine.ts";
import { f32 } from "./float32.ts";
import { defaultWeightObserver } from "./qconfig.ts";
import { quantizePerTensor } from "./quantize.ts";
import {
  checkLinearWeight,
  type LinearWeight,
  linearWeight,
  quantizedLinearDynamic,
} from "./quantized_linear.ts";
import { Tensor } from "./tensor.ts";

/** The recurrent cell types. */
export type RnnCellMode = "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU";

/** The number of gates (rows of the weights per hidden unit) of a cell type. */
export function gateCount(mode: RnnCellMode): number {
  return mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1;
}

/**
 * A linear with its bias, `m` rows of K floats → `m` rows of N floats: a dynamic quantized linear
 * for the quantized RNNs, a float linear for the float ones (same layer and cell algorithm).
 */
export type RnnLinearFn = (x: Float32Array, m: number) => Float32Array;

/** The two linears of one cell (one layer and direction). */
export interface CellLinears {
  /** Input weights and bias `b_ih`. */
  readonly ih: RnnLinearFn;
  /** Hidden weights and bias `b_hh`. */
  readonly hh: RnnLinearFn;
}

/** A cell's float state between steps. */
export interface CellState {
  /** The hidden state `[B, H]`. */
  h: Float32Array;
  /** The LSTM cell state `[B, H]` (absent for GRU and RNN). */
  c?: Float32Array;
}

/**
 * One cell step from the input projection `ih` (`[B, G·H]`, already computed) and the hidden
 * state: the gate arithmetic of PyTorch's `LSTMCell` / `GRUCell` / `SimpleCell` on the CPU.
 */
export function cellStep(
  mode: RnnCellMode,
  ih: Float32Array,
  hh: Float32Array,
  state: CellState,
  hidden: number,
): CellState {
  const batch = state.h.length / hidden;
  if (mode === "LSTM") return lstmGates(ih, hh, state, batch, hidden);
  if (mode === "GRU") return { h: gruGates(ih, hh, state.h, batch, hidden) };
  const g = new Float32Array(hh.length);
  for (let i = 0; i < g.length; i++) g[i] = f32(hh[i] + ih[i]);
  return { h: mode === "RNN_TANH" ? atenTanh(g, g) : atenRelu(g, g) };
}

/** Sigmoid (in place) of chunk `k` of every row of `gates` `[B, G·H]`: one run per row. */
function sigmoidChunk(gates: Float32Array, batch: number, width: number, k: number, h: number) {
  for (let b = 0; b < batch; b++) {
    const row = gates.subarray(b * width + k * h, b * width + (k + 1) * h);
    atenSigmoid(row, h, row);
  }
}

/** Tanh (in place) of chunk `k` of every row of `gates`. */
function tanhChunk(gates: Float32Array, batch: number, width: number, k: number, h: number) {
  for (let b = 0; b < batch; b++) {
    const row = gates.subarray(b * width + k * h, b * width + (k + 1) * h);
    atenTanh(row, row);
  }
}

function lstmGates(
  ih: Float32Array,
  hh: Float32Array,
  state: CellState,
  batch: number,
  h: number,
): CellState {
  const width = 4 * h;
  // gates = linear_hh(hx).add_(input)
  const gates = new Float32Array(batch * width);
  for (let i = 0; i < gates.length; i++) gates[i] = f32(hh[i] + ih[i]);
  sigmoidChunk(gates, batch, width, 0, h);
  sigmoidChunk(gates, batch, width, 1, h);
  tanhChunk(gates, batch, width, 2, h);
  sigmoidChunk(gates, batch, width, 3, h);
  const cx = state.c!;
  const cy = new Float32Array(batch * h);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < h; j++) {
      const at = b * width + j;
      // cy = (forgetgate * cx).add_(ingate * cellgate)
      cy[b * h + j] = f32(f32(gates[at + h] * cx[b * h + j]) + f32(gates[at] * gates[at + 2 * h]));
    }
  }
  const tanhCy = atenTanh(cy);
  const hy = new Float32Array(batch * h);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < h; j++) {
      hy[b * h + j] = f32(gates[b * width + 3 * h + j] * tanhCy[b * h + j]);
    }
  }
  return { h: hy, c: cy };
}

function gruGates(
  ih: Float32Array,
  hh: Float32Array,
  hx: Float32Array,
  batch: number,
  h: number,
): Float32Array {
  const width = 3 * h;
  const g = Float32Array.from(hh);
  // reset_gate = hh_r.add_(ih_r).sigmoid_(); input_gate likewise.
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < 2 * h; j++) g[b * width + j] = f32(g[b * width + j] + ih[b * width + j]);
  }
  sigmoidChunk(g, batch, width, 0, h);
  sigmoidChunk(g, batch, width, 1, h);
  // new_gate = ih_n.add(hh_n.mul_(reset_gate)).tanh_()
  const n = new Float32Array(batch * h);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < h; j++) {
      const at = b * width;
      n[b * h + j] = f32(ih[at + 2 * h + j] + f32(g[at + 2 * h + j] * g[at + j]));
    }
  }
  atenTanh(n, n);
  // (hidden - new_gate).mul_(input_gate).add_(new_gate)
  const hy = new Float32Array(batch * h);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < h; j++) {
      const k = b * h + j;
      hy[k] = f32(f32(f32(hx[k] - n[k]) * g[b * width + h + j]) + n[k]);
    }
  }
  return hy;
}

/** The shape of a multi-layer RNN. */
export interface RnnConfig {
  /** `LSTM` or `GRU`. */
  readonly mode: "LSTM" | "GRU";
  /** Features of the input. */
  readonly inputSize: number;
  /** Features of the hidden state. */
  readonly hiddenSize: number;
  /** Stacked layers (default 1). */
  readonly numLayers: number;
  /** Two directions per layer. */
  readonly bidirectional: boolean;
  /** The input and output are `[B, T, …]` instead of `[T, B, …]`. */
  readonly batchFirst: boolean;
}

/** What a multi-layer RNN returns. */
export interface RnnOutput {
  /** The last layer's output for every step: `[T, B, D·H]` (`[B, T, D·H]` batch-first). */
  readonly y: Tensor;
  /** The final hidden state of every layer and direction, `[L·D, B, H]`. */
  readonly h: Tensor;
  /** The final LSTM cell state `[L·D, B, H]`, or null for GRU. */
  readonly c: Tensor | null;
}

function checkPositive(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${name}: expected an integer >= 1, got ${show(v)}`);
  }
}

/** Checks a config (sizes and flags) and returns the number of directions. */
export function checkRnnConfig(config: RnnConfig): number {
  checkOptions(
    "config",
    config,
    "mode, inputSize, hiddenSize, numLayers, bidirectional, batchFirst",
  );
  if (config.mode !== "LSTM" && config.mode !== "GRU") {
    throw new RangeError(`mode: expected "LSTM" or "GRU", got ${show(config.mode)}`);
  }
  checkPositive("inputSize", config.inputSize);
  checkPositive("hiddenSize", config.hiddenSize);
  checkPositive("numLayers", config.numLayers);
  for (const flag of ["bidirectional", "batchFirst"] as const) {
    if (typeof config[flag] !== "boolean") {
      throw new TypeError(`${flag}: expected a boolean, got ${show(config[flag])}`);
    }
  }
  return config.bidirectional ? 2 : 1;
}

/** Checks an initial state `[L·D, B, H]`; returns its data, or zeros when absent. */
function initialState(
  name: string,
  t: Tensor | null | undefined,
  shape: readonly number[],
): Float32Array {
  const size = shape[0] * shape[1] * shape[2];
  if (t === null || t === undefined) return new Float32Array(size);
  if (!(t instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor, got ${show(t)}`);
  if (t.shape.length !== 3 || t.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${name}: Expected hidden size [${shape}], got [${t.shape}]`);
  }
  return t.data;
}

/**
 * A multi-layer (optionally bidirectional, batch-first) LSTM or GRU: the algorithm of
 * `quantized_lstm` / `quantized_gru` (and of the float `lstm` / `gru`) on the CPU (see the module
 * documentation) with the given linears, one pair per layer and direction in PyTorch's order
 * (layer-major, forward then reverse).
 * @throws {RangeError|TypeError} for a bad config, input shape, state shape or cell count.
 */
export function rnnForward(
  x: Tensor,
  cells: readonly CellLinears[],
  config: RnnConfig,
  initial: { h0?: Tensor | null; c0?: Tensor | null } = {},
): RnnOutput {
  const directions = checkRnnConfig(config);
  const { mode, inputSize, hiddenSize: hidden, numLayers, batchFirst } = config;
  if (cells.length !== numLayers * directions) {
    throw new RangeError(
      `cells: expected ${numLayers * directions} (num_layers × directions), got ${cells.length}`,
    );
  }
  if (!(x instanceof Tensor)) throw new TypeError(`x: expected a Tensor, got ${show(x)}`);
  if (x.shape.length !== 3) {
    throw new RangeError(`x: input must have 3 dimensions, got ${x.shape.length}`);
  }
  if (x.shape[2] !== inputSize) {
    throw new RangeError(
      `x: input.size(-1) must be equal to input_size. Expected ${inputSize}, got ${x.shape[2]}`,
    );
  }
  const [steps, batch] = batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  if (steps === 0) throw new RangeError(`x: Expected sequence length to be larger than 0 in RNN`);
  const stateShape = [numLayers * directions, batch, hidden];
  const h0 = initialState("h0", initial.h0, stateShape);
  if (mode === "GRU" && initial.c0 !== undefined && initial.c0 !== null) {
    throw new RangeError(`c0: a GRU has no cell state`);
  }
  const c0 = mode === "LSTM" ? initialState("c0", initial.c0, stateShape) : null;
  let input = batchFirst ? transpose01(x.data, batch, steps, inputSize) : x.data;
  let width = inputSize;
  const stateSize = batch * hidden;
  const hOut = new Float32Array(numLayers * directions * stateSize);
  const cOut = mode === "LSTM" ? new Float32Array(hOut.length) : null;
  for (let layer = 0; layer < numLayers; layer++) {
    const outWidth = directions * hidden;
    const output = new Float32Array(steps * batch * outWidth);
    for (let dir = 0; dir < directions; dir++) {
      const index = layer * directions + dir;
      const cell = cells[index];
      // FullLayer on the CPU: the input weights on the whole sequence at once.
      const ih = cell.ih(input, steps * batch);
      const ihWidth = ih.length / (steps * batch);
      let state: CellState = {
        h: h0.slice(index * stateSize, (index + 1) * stateSize),
        c: c0?.slice(index * stateSize, (index + 1) * stateSize),
      };
      for (let s = 0; s < steps; s++) {
        const t = dir === 0 ? s : steps - 1 - s;
        const ihStep = ih.subarray(t * batch * ihWidth, (t + 1) * batch * ihWidth);
        state = cellStep(mode, ihStep, cell.hh(state.h, batch), state, hidden);
        for (let b = 0; b < batch; b++) {
          output.set(
            state.h.subarray(b * hidden, (b + 1) * hidden),
            (t * batch + b) * outWidth + dir * hidden,
          );
        }
      }
      hOut.set(state.h, index * stateSize);
      if (cOut !== null) cOut.set(state.c!, index * stateSize);
    }
    input = output;
    width = outWidth;
  }
  const y = batchFirst
    ? new Tensor(transpose01(input, steps, batch, width), [batch, steps, width])
    : new Tensor(input, [steps, batch, width]);
  return {
    y,
    h: new Tensor(hOut, stateShape),
    c: cOut === null ? null : new Tensor(cOut, stateShape),
  };
}

/** Swaps the first two dimensions of a row-major `[a, b, w]` array. */
function transpose01(data: Float32Array, a: number, b: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      out.set(data.subarray((i * b + j) * w, (i * b + j + 1) * w), (j * a + i) * w);
    }
  }
  return out;
}

/**
 * One step of a cell (`quantized_lstm_cell_dynamic`, `quantized_gru_cell_dynamic`,
 * `quantized_rnn_{tanh,relu}_cell_dynamic`, or the float `lstm_cell`, …): `x` `[B, I]`, the state
 * `[B, H]` each; the input weights are applied to this step's input alone.
 * @throws {RangeError} for shapes that do not fit.
 */
export function rnnCellForward(
  mode: RnnCellMode,
  x: Tensor,
  state: { h: Tensor; c?: Tensor },
  cell: CellLinears,
  sizes: { inputSize: number; hiddenSize: number },
): { h: Tensor; c?: Tensor } {
  const { inputSize, hiddenSize } = sizes;
  if (x.shape.length !== 2 || x.shape[1] !== inputSize) {
    throw new RangeError(
      `x: input has inconsistent input_size: expected [B, ${inputSize}], got [${x.shape}]`,
    );
  }
  const batch = x.shape[0];
  const check = (name: string, t: Tensor | undefined) => {
    if (t === undefined) throw new RangeError(`${name}: the cell needs it`);
    if (t.shape.length !== 2 || t.shape[0] !== batch || t.shape[1] !== hiddenSize) {
      throw new RangeError(
        `${name}: expected [${batch}, ${hiddenSize}] (batch, hidden_size), got [${t.shape}]`,
      );
    }
  };
  check("hx", state.h);
  if (mode === "LSTM") check("cx", state.c);
  const next = cellStep(
    mode,
    cell.ih(x.data, batch),
    cell.hh(state.h.data, batch),
    { h: state.h.data, c: state.c?.data },
    hiddenSize,
  );
  return {
    h: new Tensor(next.h, [batch, hiddenSize]),
    ...(next.c === undefined ? {} : { c: new Tensor(next.c, [batch, hiddenSize]) }),
  };
}

/**
 * A float weight and bias quantized as `quantize_dynamic`'s default qconfig does
 * (`default_weight_observer`: MinMaxObserver, qint8, per_tensor_symmetric; `_quantize_weight`).
 */
export function quantizeDynamicWeight(weight: Tensor, bias: Tensor | null): LinearWeight {
  const observer = defaultWeightObserver.create();
  observer.forward(weight);
  const { scale, zeroPoint } = observer.calculateQParams();
  const q = quantizePerTensor(weight, { scale: scale[0], zeroPoint: zeroPoint[0], dtype: "qint8" });
  return linearWeight(q, bias);
}

/** The reference dynamic linear of `weight` on `engine` (reduce_range true, as the RNNs pass). */
export function referenceDynamicLinear(weight: LinearWeight, engine: Engine): RnnLinearFn {
  return (x, m) =>
    quantizedLinearDynamic(new Tensor(x, [m, weight.inFeatures]), weight, {
      engine,
      reduceRange: true,
    }).data;
}

/** The qint8 weights of one layer and direction (each with its float bias). */
export interface RnnCellWeights {
  /** `weight_ih` with `bias_ih`. */
  readonly ih: LinearWeight;
  /** `weight_hh` with `bias_hh`. */
  readonly hh: LinearWeight;
}

/** Checks that cell `index`'s weights have the shapes of `config`. */
export function checkCellWeights(
  weights: RnnCellWeights,
  shape: { gates: number; inputSize: number; hiddenSize: number },
  name: string,
): void {
  const { gates, inputSize, hiddenSize } = shape;
  checkObject(name, weights, "cell weights { ih, hh }");
  for (
    const [part, w, k] of [["ih", weights.ih, inputSize], ["hh", weights.hh, hiddenSize]] as const
  ) {
    checkLinearWeight(w);
    if (w.outFeatures !== gates * hiddenSize || w.inFeatures !== k) {
      throw new RangeError(
        `${name} weight_${part}: expected [${gates * hiddenSize}, ${k}], got ` +
          `[${w.outFeatures}, ${w.inFeatures}]`,
      );
    }
    if (w.bias === null) {
      throw new RangeError(
        `${name} bias_${part}: PyTorch's dynamic quantized RNNs require biases ("quantized ` +
          `LSTM requires biases"; from_float asserts mod.bias)`,
      );
    }
  }
}

/**
 * `torch.quantized_lstm` / `torch.quantized_gru` (what `nn.quantized.dynamic.LSTM` / `GRU`
 * compute) on the reference of `engine`, from the qint8 weights of every layer and direction.
 * @throws {RangeError} for weights that do not fit the config, or a missing bias.
 */
export function quantizedRnnDynamic(
  x: Tensor,
  weights: readonly RnnCellWeights[],
  config: RnnConfig & { engine: Engine },
  initial: { h0?: Tensor | null; c0?: Tensor | null } = {},
): RnnOutput {
  const directions = checkRnnConfig(config);
  if (!Array.isArray(weights)) {
    throw new TypeError(
      `weights: expected an array of cell weights { ih, hh }, got ${show(weights)}`,
    );
  }
  checkOptions("initial", initial, "h0?, c0?");
  const gates = gateCount(config.mode);
  weights.forEach((w, i) => {
    const layer = Math.floor(i / directions);
    checkCellWeights(w, {
      gates,
      inputSize: layer === 0 ? config.inputSize : directions * config.hiddenSize,
      hiddenSize: config.hiddenSize,
    }, `layer ${layer}${i % directions ? " reverse" : ""}`);
  });
  const cells = weights.map((w) => ({
    ih: referenceDynamicLinear(w.ih, config.engine),
    hh: referenceDynamicLinear(w.hh, config.engine),
  }));
  return rnnForward(x, cells, config, initial);
}

/** PyTorch's parameter-name suffix of a layer and direction: `l0`, `l0_reverse`, `l1`, … */
export function rnnParameterSuffix(layer: number, reverse: boolean): string {
  return `l${layer}${reverse ? "_reverse" : ""}`;
}
