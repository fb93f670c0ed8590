/**
 * MinMaxObserver and MovingAverageMinMaxObserver (torch/ao/quantization/observer.py;
 * docs/numerics/observers.md §MinMaxObserver and MovingAverageMinMaxObserver).
 * @module
 */
import { checkTensor } from "../_check.ts";
import { f32 } from "../float32.ts";
import type { Tensor } from "../tensor.ts";
import { aminmax, torchMaximum, torchMinimum } from "./_minmax.ts";
import {
  checkOptionKeys,
  parseNumberOption,
  rejectSymmetricReducedQuint8,
  requirePerTensor,
  UNIFORM_OPTION_KEYS,
  type UniformObserverOptions,
  UniformQuantizationObserverBase,
} from "./uniform.ts";

/** Options of MinMaxObserver: PyTorch's arguments (qscheme defaults to per_tensor_affine). */
export type MinMaxObserverOptions = UniformObserverOptions;

/**
 * `torch.ao.quantization.MinMaxObserver`: records the running minimum and maximum of every
 * tensor it sees (`min(aminmax(x).min, min)`), and computes per-tensor qparams from them.
 * Empty tensors are ignored.
 * @example
 * ```ts
 * const obs = new MinMaxObserver({ dtype: "quint8" });
 * obs.forward(Tensor.from([-1, 2]));
 * obs.calculateQParams(); // scale [3/255], zeroPoint [85]
 * ```
 */
export class MinMaxObserver extends UniformQuantizationObserverBase {
  /** PyTorch's class name. */
  static readonly className: string = "MinMaxObserver";
  /** The option names the class takes. */
  static readonly optionKeys: readonly string[] = UNIFORM_OPTION_KEYS;
  /** The running minimum (+Infinity before the first batch). */
  protected runningMin: number = Infinity;
  /** The running maximum (-Infinity before the first batch). */
  protected runningMax: number = -Infinity;

  /**
   * Builds the observer with PyTorch's defaults (quint8, per_tensor_affine, eps 2^-23).
   * @throws {RangeError|TypeError} for a per-channel qscheme, reduceRange with a symmetric
   * quint8 observer, or a bad dtype/range (PyTorch's checks).
   */
  constructor(options: MinMaxObserverOptions = {}) {
    checkOptionKeys(new.target.className, options, new.target.optionKeys);
    requirePerTensor(new.target.className, options.qscheme);
    super(options, { qscheme: "per_tensor_affine" });
    rejectSymmetricReducedQuint8(this);
  }

  /** PyTorch's class name. */
  get className(): string {
    return (this.constructor as typeof MinMaxObserver).className;
  }

  /** The running minimum, a float32 value. */
  get minVal(): number {
    return this.runningMin;
  }

  /** The running maximum, a float32 value. */
  get maxVal(): number {
    return this.runningMax;
  }

  /**
   * Overwrites the running statistics, as PyTorch code that writes the `min_val` / `max_val`
   * buffers does (`load_state_dict`, `fused_moving_avg_obs_fake_quant`). Values are rounded to
   * float32.
   */
  setMinMax(min: number, max: number): void {
    this.runningMin = f32(min);
    this.runningMax = f32(max);
  }

  /** Records `min(aminmax(x), running)`; returns `x`. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (x.size === 0) return x;
    const { min, max } = aminmax(x.data);
    this.runningMin = torchMinimum(min, this.runningMin);
    this.runningMax = torchMaximum(max, this.runningMax);
    return x;
  }
}

/** Options of MovingAverageMinMaxObserver. */
export interface MovingAverageMinMaxObserverOptions extends UniformObserverOptions {
  /** The averaging constant c (default 0.01): `min += c·(batch min − min)`. */
  averagingConstant?: number;
}

/**
 * `torch.ao.quantization.MovingAverageMinMaxObserver`: the first batch sets min/max
 * (`aminmax`); later batches move them by `f32(min + f32(f32(c) * f32(batchMin - min)))`.
 */
export class MovingAverageMinMaxObserver extends MinMaxObserver {
  /** PyTorch's class name. */
  static override readonly className: string = "MovingAverageMinMaxObserver";
  /** The option names the class takes. */
  static override readonly optionKeys: readonly string[] = [
    ...UNIFORM_OPTION_KEYS,
    "averagingConstant",
  ];
  /** The averaging constant, as given (PyTorch multiplies it in float32). */
  readonly averagingConstant: number;

  /**
   * Builds the observer (averaging constant 0.01 by default).
   * @throws like MinMaxObserver, and for a non-number averagingConstant.
   */
  constructor(options: MovingAverageMinMaxObserverOptions = {}) {
    super(options);
    this.averagingConstant = parseNumberOption(
      "averagingConstant",
      options.averagingConstant,
      0.01,
    );
  }

  /** Moves the running min/max toward this batch's; returns `x`. */
  override forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (x.size === 0) return x;
    const { min, max } = aminmax(x.data);
    if (this.runningMin === Infinity && this.runningMax === -Infinity) {
      this.runningMin = min;
      this.runningMax = max;
    } else {
      const c = f32(this.averagingConstant);
      this.runningMin = f32(this.runningMin + f32(c * f32(min - this.runningMin)));
      this.runningMax = f32(this.runningMax + f32(c * f32(max - this.runningMax)));
    }
    return x;
  }
}
