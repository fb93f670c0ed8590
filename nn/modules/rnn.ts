/**
 * Float recurrent layers with PyTorch's parameter names: `LSTM`, `GRU` (`weight_ih_l0`,
 * `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `…_reverse`, `…_l1`) and the cells `LSTMCell`,
 * `GRUCell`, `RNNCell` (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
 *
 * The forward pass is PyTorch's CPU algorithm (`reference/quantized_rnn.ts`: the input weights on
 * the whole sequence, then the cell step by step, gates in PyTorch's order with ATen's exact
 * sigmoid and tanh) with float linears (`F.linear`, accumulated in float64 and rounded once:
 * PyTorch's result depends on its BLAS, so the float outputs are close to PyTorch's, not
 * bit-identical; the gate arithmetic itself is exact). These modules are for inference and for
 * `quantizeDynamic`: they record no gradient (a forward under a `GradTape` watching their
 * parameters throws), and training-mode dropout between layers is not implemented.
 * @module
 */
import {
  type CellLinears,
  rnnCellForward,
  type RnnCellMode,
  rnnForward,
  rnnParameterSuffix,
} from "../../reference/quantized_rnn.ts";
import { Tensor } from "../../reference/tensor.ts";
import { requiresGrad } from "../autograd.ts";
import { checkInt, checkNumber, show } from "../_util.ts";
import { linear } from "../functional/linear.ts";
import { checkTensor } from "../functional/_shape.ts";
import { Module } from "../module.ts";
import { defaultRandom, type RandomSource, uniformFill } from "../random.ts";

/** Options of `LSTM` and `GRU` (PyTorch's constructor arguments). */
export interface RnnOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Whether the layers have biases (default true). */
  bias?: boolean;
  /** Inputs and outputs are `[B, T, F]` (default false: `[T, B, F]`). */
  batchFirst?: boolean;
  /** Dropout between layers when training (default 0; only 0 is run in training mode). */
  dropout?: number;
  /** Two directions per layer (default false). */
  bidirectional?: boolean;
  /** The random source of the initial weights (default: the `manualSeed` stream). */
  random?: RandomSource;
}

/** A float linear on flat rows, as the RNN algorithm calls it. */
function floatLinear(weight: Tensor, bias: Tensor | null) {
  return (x: Float32Array, m: number) =>
    linear(new Tensor(x, [m, weight.shape[1]]), weight, bias).data;
}

/** Throws when a GradTape wants gradients of these parameters (the RNNs have no backward). */
function refuseGradients(module: Module): void {
  if (module.parameters().some((p) => requiresGrad(p))) {
    throw new Error(
      `${module.getName()}: the float RNN modules record no gradient; they cannot be trained here`,
    );
  }
}

function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`${name}: expected a boolean, got ${show(value)}`);
  }
  return value;
}

/** What `LSTM` and `GRU` share: the parameters of every layer and direction. */
export abstract class RnnBase extends Module {
  /** `LSTM` or `GRU`. */
  abstract readonly mode: "LSTM" | "GRU";
  /** Input features. */
  readonly inputSize: number;
  /** Hidden features. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether the layers have biases. */
  readonly bias: boolean;
  /** `[B, T, F]` inputs and outputs. */
  readonly batchFirst: boolean;
  /** Dropout between layers when training. */
  readonly dropout: number;
  /** Two directions per layer. */
  readonly bidirectional: boolean;

  /**
   * The layers, with PyTorch's initialisation `U(−1/√H, 1/√H)` (its distribution, not its
   * random stream).
   * @throws {RangeError|TypeError} for bad sizes or options.
   */
  constructor(
    gates: number,
    inputSize: number,
    hiddenSize: number,
    options: RnnOptions = {},
  ) {
    super();
    this.inputSize = checkInt("inputSize", inputSize, 1);
    this.hiddenSize = checkInt("hiddenSize", hiddenSize, 1);
    this.numLayers = checkInt("numLayers", options.numLayers ?? 1, 1);
    this.bias = checkBool("bias", options.bias ?? true);
    this.batchFirst = checkBool("batchFirst", options.batchFirst ?? false);
    this.bidirectional = checkBool("bidirectional", options.bidirectional ?? false);
    this.dropout = checkNumber("dropout", options.dropout ?? 0, { min: 0, max: 1 });
    const random = options.random ?? defaultRandom;
    const bound = 1 / Math.sqrt(hiddenSize);
    const directions = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < directions; dir++) {
        const suffix = rnnParameterSuffix(layer, dir === 1);
        const inputs = layer === 0 ? inputSize : directions * hiddenSize;
        const param = (shape: number[]) =>
          new Tensor(
            uniformFill(new Float32Array(shape.reduce((a, b) => a * b)), bound, random),
            shape,
          );
        this.registerParameter(`weight_ih_${suffix}`, param([gates * hiddenSize, inputs]));
        this.registerParameter(`weight_hh_${suffix}`, param([gates * hiddenSize, hiddenSize]));
        if (this.bias) {
          this.registerParameter(`bias_ih_${suffix}`, param([gates * hiddenSize]));
          this.registerParameter(`bias_hh_${suffix}`, param([gates * hiddenSize]));
        }
      }
    }
  }

  /** The float weight and bias of one part of a layer and direction (`ih` or `hh`). */
  parameterPair(layer: number, reverse: boolean, part: "ih" | "hh"): [Tensor, Tensor | null] {
    const suffix = rnnParameterSuffix(layer, reverse);
    return [
      this.getParameter(`weight_${part}_${suffix}`)!,
      this.getParameter(`bias_${part}_${suffix}`),
    ];
  }

  /** The float linears of every layer and direction. */
  protected floatCells(): CellLinears[] {
    const cells: CellLinears[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < (this.bidirectional ? 2 : 1); dir++) {
        cells.push({
          ih: floatLinear(...this.parameterPair(layer, dir === 1, "ih")),
          hh: floatLinear(...this.parameterPair(layer, dir === 1, "hh")),
        });
      }
    }
    return cells;
  }

  /** Runs the float layers. */
  protected run(x: Tensor, h0: Tensor | null, c0: Tensor | null) {
    checkTensor("x", x);
    refuseGradients(this);
    if (this.training && this.dropout > 0 && this.numLayers > 1) {
      throw new Error(
        `${this.getName()}: dropout between layers in training mode is not implemented; call eval()`,
      );
    }
    return rnnForward(x, this.floatCells(), this, { h0, c0 });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=False`;
    if (this.batchFirst) s += `, batch_first=True`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += `, bidirectional=True`;
    return s;
  }
}

/** `torch.nn.LSTM(input_size, hidden_size, …)`. */
export class LSTM extends RnnBase {
  /** The cell type. */
  readonly mode = "LSTM" as const;

  /** An LSTM (see `RnnOptions`). */
  constructor(inputSize: number, hiddenSize: number, options: RnnOptions = {}) {
    super(4, inputSize, hiddenSize, options);
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

/** `torch.nn.GRU(input_size, hidden_size, …)`. */
export class GRU extends RnnBase {
  /** The cell type. */
  readonly mode = "GRU" as const;

  /** A GRU (see `RnnOptions`). */
  constructor(inputSize: number, hiddenSize: number, options: RnnOptions = {}) {
    super(3, inputSize, hiddenSize, options);
  }

  /** `output, h_n = gru(x, h0)`: shapes as `LSTM.forward`. */
  forward(x: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const out = this.run(x, hx, null);
    return [out.y, out.h];
  }
}

/** Options of the cells. */
export interface RnnCellOptions {
  /** Whether the cell has biases (default true). */
  bias?: boolean;
  /** The random source of the initial weights. */
  random?: RandomSource;
}

/** What the float cells share: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`. */
export abstract class RnnCellBase extends Module {
  /** The cell type. */
  abstract readonly mode: RnnCellMode;
  /** Input features. */
  readonly inputSize: number;
  /** Hidden features. */
  readonly hiddenSize: number;
  /** Whether the cell has biases. */
  readonly bias: boolean;
  /** `[G·H, I]`. */
  declare weight_ih: Tensor;
  /** `[G·H, H]`. */
  declare weight_hh: Tensor;
  /** `[G·H]` or null. */
  declare bias_ih: Tensor | null;
  /** `[G·H]` or null. */
  declare bias_hh: Tensor | null;

  /** A cell with `gates` gates, initialised `U(−1/√H, 1/√H)`. */
  constructor(gates: number, inputSize: number, hiddenSize: number, options: RnnCellOptions) {
    super();
    this.inputSize = checkInt("inputSize", inputSize, 1);
    this.hiddenSize = checkInt("hiddenSize", hiddenSize, 1);
    this.bias = checkBool("bias", options.bias ?? true);
    const random = options.random ?? defaultRandom;
    const bound = 1 / Math.sqrt(hiddenSize);
    const param = (shape: number[]) =>
      new Tensor(
        uniformFill(new Float32Array(shape.reduce((a, b) => a * b)), bound, random),
        shape,
      );
    this.registerParameter("weight_ih", param([gates * hiddenSize, inputSize]));
    this.registerParameter("weight_hh", param([gates * hiddenSize, hiddenSize]));
    this.registerParameter("bias_ih", this.bias ? param([gates * hiddenSize]) : null);
    this.registerParameter("bias_hh", this.bias ? param([gates * hiddenSize]) : null);
  }

  /** One float step. */
  protected step(x: Tensor, h: Tensor | null, c: Tensor | null): { h: Tensor; c?: Tensor } {
    checkTensor("x", x);
    refuseGradients(this);
    const batch = x.shape[0] ?? 0;
    const zeros = () =>
      new Tensor(new Float32Array(batch * this.hiddenSize), [batch, this.hiddenSize]);
    return rnnCellForward(
      this.mode,
      x,
      { h: h ?? zeros(), ...(this.mode === "LSTM" ? { c: c ?? zeros() } : {}) },
      {
        ih: floatLinear(this.weight_ih, this.bias_ih),
        hh: floatLinear(this.weight_hh, this.bias_hh),
      },
      this,
    );
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : ", bias=False"}`;
  }
}

/** `torch.nn.LSTMCell(input_size, hidden_size, bias=True)`. */
export class LSTMCell extends RnnCellBase {
  /** The cell type. */
  readonly mode = "LSTM" as const;

  /** An LSTM cell. */
  constructor(inputSize: number, hiddenSize: number, options: RnnCellOptions = {}) {
    super(4, inputSize, hiddenSize, options);
  }

  /** `h', c' = cell(x, (h, c))`: `x` `[B, I]`, states `[B, H]` (zeros when omitted). */
  forward(x: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const out = this.step(x, hx?.[0] ?? null, hx?.[1] ?? null);
    return [out.h, out.c!];
  }
}

/** `torch.nn.GRUCell(input_size, hidden_size, bias=True)`. */
export class GRUCell extends RnnCellBase {
  /** The cell type. */
  readonly mode = "GRU" as const;

  /** A GRU cell. */
  constructor(inputSize: number, hiddenSize: number, options: RnnCellOptions = {}) {
    super(3, inputSize, hiddenSize, options);
  }

  /** `h' = cell(x, h)`. */
  forward(x: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(x, hx, null).h;
  }
}

/** `torch.nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')`. */
export class RNNCell extends RnnCellBase {
  /** The cell type (`RNN_TANH` or `RNN_RELU`). */
  readonly mode: "RNN_TANH" | "RNN_RELU";

  /**
   * An Elman cell.
   * @throws {RangeError} for a nonlinearity other than "tanh" or "relu".
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RnnCellOptions & { nonlinearity?: "tanh" | "relu" } = {},
  ) {
    super(1, inputSize, hiddenSize, options);
    const nonlinearity = options.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new RangeError(`nonlinearity: Unknown nonlinearity: ${show(nonlinearity)}`);
    }
    this.mode = nonlinearity === "tanh" ? "RNN_TANH" : "RNN_RELU";
  }

  /** `"tanh"` or `"relu"`. */
  get nonlinearity(): "tanh" | "relu" {
    return this.mode === "RNN_TANH" ? "tanh" : "relu";
  }

  /** `h' = cell(x, h)`. */
  forward(x: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(x, hx, null).h;
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== "tanh" ? `, nonlinearity=relu` : "");
  }
}
