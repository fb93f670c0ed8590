/**
 * Dynamic quantized recurrent modules (`torch.ao.nn.quantized.dynamic`): `DynamicQuantizedLSTM`,
 * `DynamicQuantizedGRU` (`nnqd.LSTM`, `nnqd.GRU`) and the cells `DynamicQuantizedLSTMCell`,
 * `DynamicQuantizedGRUCell`, `DynamicQuantizedRNNCell`. Float in, float out: every matrix product
 * is the kernel set's dynamic linear (activations quantized per call, reduce_range true as
 * PyTorch passes it), the gates are PyTorch's float arithmetic (`reference/quantized_rnn.ts`):
 * bit for bit what PyTorch 1.13 computes with the kernel set's engine.
 *
 * qint8 weights only (PyTorch's float16 RNNs need FBGEMM's fp16 GEMM, not reproduced here), and
 * biases are required (PyTorch's `from_float` asserts `mod.bias`). The state dict stores each
 * weight under its float name with the layout of `nn/quantized/state_dict.ts` (`weight_ih_l0`
 * I8, `weight_ih_l0_scale`, `weight_ih_l0_zero_point`, `bias_ih_l0`, …; the cells `weight_ih`,
 * …, `bias_hh`); `scripts/export_state_dict.py` writes PyTorch's modules in this layout.
 * @module
 */
import {
  type CellLinears,
  checkCellWeights,
  checkRnnConfig,
  gateCount,
  rnnCellForward,
  type RnnCellMode,
  type RnnConfig,
  rnnForward,
  rnnParameterSuffix,
} from "../../reference/quantized_rnn.ts";
import { linearWeight } from "../../reference/quantized_linear.ts";
import { type QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { type PackedRnnCells, packRnnCells } from "../../kernels/dynamic_rnn.ts";
import { checkTensor } from "../functional/_shape.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import type { QuantizedOps } from "./ops.ts";
import { readQuantizedWeight, saveQuantizedWeight } from "./state_dict.ts";

/** A qint8 weight and its float bias. */
export interface QuantizedWeightBias {
  /** qint8 `[G·H, in]`, per tensor or per channel (axis 0). */
  readonly weight: QuantizedTensor;
  /** float `[G·H]`. */
  readonly bias: Tensor;
}

/** The weights of one cell (one layer and direction). */
export interface QuantizedCellWeights {
  /** `weight_ih`, `bias_ih`. */
  readonly ih: QuantizedWeightBias;
  /** `weight_hh`, `bias_hh`. */
  readonly hh: QuantizedWeightBias;
}

/** Packed weights live outside the modules, so that copies pack their own. */
const PACKED = new WeakMap<object, PackedRnnCells>();

/** Checks the weights of every cell against the shapes (throws as the reference). */
function checkWeights(
  weights: readonly QuantizedCellWeights[],
  mode: RnnCellMode,
  inputSizeOf: (index: number) => number,
  hiddenSize: number,
  nameOf: (index: number) => string,
): void {
  weights.forEach((w, i) =>
    checkCellWeights(
      { ih: linearWeight(w.ih.weight, w.ih.bias), hh: linearWeight(w.hh.weight, w.hh.bias) },
      { gates: gateCount(mode), inputSize: inputSizeOf(i), hiddenSize },
      nameOf(i),
    )
  );
}

/** The packed cells of `module` (packed on first use for `ops.kernels`). */
function packedCells(
  module: object,
  ops: QuantizedOps,
  weights: readonly QuantizedCellWeights[],
): readonly CellLinears[] {
  let packed = PACKED.get(module);
  if (packed === undefined) {
    packed = packRnnCells(
      ops.kernels,
      weights.map((w) => ({
        ih: linearWeight(w.ih.weight, w.ih.bias),
        hh: linearWeight(w.hh.weight, w.hh.bias),
      })),
    );
    PACKED.set(module, packed);
  }
  return packed.cells;
}

function releasePacked(module: object): void {
  PACKED.get(module)?.free();
  PACKED.delete(module);
}

/** Saves the weights of every cell under their names. */
function saveWeights(
  destination: StateDict,
  prefix: string,
  weights: readonly QuantizedCellWeights[],
  suffixOf: (index: number) => string,
): void {
  weights.forEach((w, i) => {
    for (const part of ["ih", "hh"] as const) {
      const name = suffixOf(i);
      saveQuantizedWeight(destination, prefix, w[part].weight, w[part].bias, {
        weight: `weight_${part}${name}`,
        bias: `bias_${part}${name}`,
      });
    }
  });
}

/** Reads the weights of every cell; undefined (problems recorded) when any is missing or bad. */
function readWeights(
  reader: StateDictReader,
  prefix: string,
  weights: readonly QuantizedCellWeights[],
  suffixOf: (index: number) => string,
): QuantizedCellWeights[] | undefined {
  const read = weights.map((w, i) => {
    const part = (p: "ih" | "hh") => {
      const r = readQuantizedWeight(reader, prefix, w[p].weight.shape, true, {
        weight: `weight_${p}${suffixOf(i)}`,
        bias: `bias_${p}${suffixOf(i)}`,
      });
      return r === undefined ? undefined : { weight: r.weight, bias: r.bias! };
    };
    const ih = part("ih");
    const hh = part("hh");
    return ih === undefined || hh === undefined ? undefined : { ih, hh };
  });
  return read.every((w) => w !== undefined) ? read as QuantizedCellWeights[] : undefined;
}

/** What `DynamicQuantizedLSTM` and `DynamicQuantizedGRU` share. */
export abstract class DynamicQuantizedRnnBase extends Module implements RnnConfig {
  /** `LSTM` or `GRU`. */
  abstract readonly mode: "LSTM" | "GRU";
  /** Input features. */
  readonly inputSize: number;
  /** Hidden features. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Always true (PyTorch's dynamic RNNs require biases). */
  readonly bias = true;
  /** `[B, T, F]` inputs and outputs. */
  readonly batchFirst: boolean;
  /** Kept for printing: PyTorch's dynamic RNNs never train, so dropout never applies. */
  readonly dropout: number;
  /** Two directions per layer. */
  readonly bidirectional: boolean;
  /** The kernels. */
  ops: QuantizedOps;
  private cellWeights: readonly QuantizedCellWeights[];

  /**
   * A dynamic quantized LSTM or GRU from the weights of every layer and direction (layer-major,
   * forward then reverse).
   * @throws {RangeError|TypeError} for a bad config or weights that do not fit it.
   */
  constructor(
    config: Omit<RnnConfig, "mode"> & { dropout?: number },
    weights: readonly QuantizedCellWeights[],
    ops: QuantizedOps,
  ) {
    super();
    this.inputSize = config.inputSize;
    this.hiddenSize = config.hiddenSize;
    this.numLayers = config.numLayers;
    this.batchFirst = config.batchFirst;
    this.bidirectional = config.bidirectional;
    this.dropout = config.dropout ?? 0;
    this.ops = ops;
    this.cellWeights = [];
    this.training = false;
    this.setWeights(weights);
  }

  /** Directions per layer. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The weights of every layer and direction. */
  weights(): readonly QuantizedCellWeights[] {
    return this.cellWeights;
  }

  /** `_l0`, `_l0_reverse`, … for cell `index`. */
  private suffix(index: number): string {
    return "_" +
      rnnParameterSuffix(Math.floor(index / this.directions), index % this.directions === 1);
  }

  /**
   * Replaces the weights (`set_weight_bias`); the packed ones are freed.
   * @throws {RangeError} for weights that do not fit the config.
   */
  setWeights(weights: readonly QuantizedCellWeights[]): void {
    checkRnnConfig({
      mode: this.rnnMode(),
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
    });
    if (weights.length !== this.numLayers * this.directions) {
      throw new RangeError(
        `weights: expected ${this.numLayers * this.directions} cells (num_layers × directions), ` +
          `got ${weights.length}`,
      );
    }
    checkWeights(
      weights,
      this.rnnMode(),
      (i) => (i < this.directions ? this.inputSize : this.directions * this.hiddenSize),
      this.hiddenSize,
      (i) => `layer ${Math.floor(i / this.directions)}${i % this.directions ? " reverse" : ""}`,
    );
    this.cellWeights = [...weights];
    releasePacked(this);
  }

  /** The cell type, known before the subclass fields are set. */
  protected abstract rnnMode(): "LSTM" | "GRU";

  /** Runs the layers on the kernels. */
  protected run(x: Tensor, h0: Tensor | null, c0: Tensor | null) {
    checkTensor("x", x);
    return rnnForward(x, packedCells(this, this.ops, this.cellWeights), this, { h0, c0 });
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts`). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    saveWeights(destination, prefix, this.cellWeights, (i) => this.suffix(i));
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const read = readWeights(reader, prefix, this.cellWeights, (i) => this.suffix(i));
    if (read !== undefined) reader.defer(() => this.setWeights(read));
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.batchFirst) s += `, batch_first=True`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += `, bidirectional=True`;
    return s;
  }
}

/** `torch.ao.nn.quantized.dynamic.LSTM` (prints as `DynamicQuantizedLSTM`). */
export class DynamicQuantizedLSTM extends DynamicQuantizedRnnBase {
  /** The cell type. */
  readonly mode = "LSTM" as const;

  /** The cell type. */
  protected rnnMode(): "LSTM" {
    return "LSTM";
  }

  /**
   * `output, (h_n, c_n) = lstm(x, (h0, c0))`: `x` `[T, B, I]` (`[B, T, I]` batch-first), the
   * states `[L·D, B, H]` (zeros when omitted).
   */
  forward(x: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const out = this.run(x, hx?.[0] ?? null, hx?.[1] ?? null);
    return [out.y, [out.h, out.c!]];
  }
}

/** `torch.ao.nn.quantized.dynamic.GRU` (prints as `DynamicQuantizedGRU`). */
export class DynamicQuantizedGRU extends DynamicQuantizedRnnBase {
  /** The cell type. */
  readonly mode = "GRU" as const;

  /** The cell type. */
  protected rnnMode(): "GRU" {
    return "GRU";
  }

  /** `output, h_n = gru(x, h0)`. */
  forward(x: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const out = this.run(x, hx, null);
    return [out.y, out.h];
  }
}

/** What the dynamic quantized cells share. */
export abstract class DynamicQuantizedRnnCellBase extends Module {
  /** Input features. */
  readonly inputSize: number;
  /** Hidden features. */
  readonly hiddenSize: number;
  /** Always true. */
  readonly bias = true;
  /** The kernels. */
  ops: QuantizedOps;
  private cellWeights!: QuantizedCellWeights;

  /**
   * A dynamic cell from its weights.
   * @throws {RangeError} for weights that do not fit the sizes.
   */
  constructor(
    sizes: { inputSize: number; hiddenSize: number },
    weights: QuantizedCellWeights,
    ops: QuantizedOps,
  ) {
    super();
    this.inputSize = sizes.inputSize;
    this.hiddenSize = sizes.hiddenSize;
    this.ops = ops;
    this.training = false;
    this.setWeights(weights);
  }

  /** The cell type. */
  abstract cellMode(): RnnCellMode;

  /** The weights. */
  weights(): QuantizedCellWeights {
    return this.cellWeights;
  }

  /** Replaces the weights; the packed ones are freed. */
  setWeights(weights: QuantizedCellWeights): void {
    checkWeights([weights], this.cellMode(), () => this.inputSize, this.hiddenSize, () => "cell");
    this.cellWeights = weights;
    releasePacked(this);
  }

  /** One step on the kernels. */
  protected step(x: Tensor, h: Tensor | null, c: Tensor | null): { h: Tensor; c?: Tensor } {
    checkTensor("x", x);
    const batch = x.shape[0] ?? 0;
    const zeros = () =>
      new Tensor(new Float32Array(batch * this.hiddenSize), [batch, this.hiddenSize]);
    const mode = this.cellMode();
    return rnnCellForward(
      mode,
      x,
      { h: h ?? zeros(), ...(mode === "LSTM" ? { c: c ?? zeros() } : {}) },
      packedCells(this, this.ops, [this.cellWeights])[0],
      this,
    );
  }

  /** Adds this module's entries (`weight_ih`, …, `bias_hh`). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    saveWeights(destination, prefix, [this.cellWeights], () => "");
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const read = readWeights(reader, prefix, [this.cellWeights], () => "");
    if (read !== undefined) reader.defer(() => this.setWeights(read[0]));
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}`;
  }
}

/** `torch.ao.nn.quantized.dynamic.LSTMCell` (prints as `DynamicQuantizedLSTMCell`). */
export class DynamicQuantizedLSTMCell extends DynamicQuantizedRnnCellBase {
  /** The cell type. */
  cellMode(): RnnCellMode {
    return "LSTM";
  }

  /** `h', c' = cell(x, (h, c))`: `x` `[B, I]`, states `[B, H]` (zeros when omitted). */
  forward(x: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const out = this.step(x, hx?.[0] ?? null, hx?.[1] ?? null);
    return [out.h, out.c!];
  }
}

/** `torch.ao.nn.quantized.dynamic.GRUCell` (prints as `DynamicQuantizedGRUCell`). */
export class DynamicQuantizedGRUCell extends DynamicQuantizedRnnCellBase {
  /** The cell type. */
  cellMode(): RnnCellMode {
    return "GRU";
  }

  /** `h' = cell(x, h)`. */
  forward(x: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(x, hx, null).h;
  }
}

/** `torch.ao.nn.quantized.dynamic.RNNCell` (prints as `DynamicQuantizedRNNCell`). */
export class DynamicQuantizedRNNCell extends DynamicQuantizedRnnCellBase {
  /** `"tanh"` or `"relu"`. */
  readonly nonlinearity: "tanh" | "relu";

  /**
   * A dynamic Elman cell.
   * @throws {RangeError} for an unknown nonlinearity or weights that do not fit.
   */
  constructor(
    sizes: { inputSize: number; hiddenSize: number; nonlinearity?: "tanh" | "relu" },
    weights: QuantizedCellWeights,
    ops: QuantizedOps,
  ) {
    const nonlinearity = sizes.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new RangeError(`nonlinearity: Unknown nonlinearity: ${String(nonlinearity)}`);
    }
    super(sizes, weights, ops);
    this.nonlinearity = nonlinearity;
  }

  /** The cell type (tanh while the constructor checks the weights: both have one gate). */
  cellMode(): RnnCellMode {
    return (this as { nonlinearity?: string }).nonlinearity === "relu" ? "RNN_RELU" : "RNN_TANH";
  }

  /** `h' = cell(x, h)`. */
  forward(x: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(x, hx, null).h;
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== "tanh" ? ", nonlinearity=relu" : "");
  }
}
