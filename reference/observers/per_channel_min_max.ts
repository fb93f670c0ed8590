/**
 * PerChannelMinMaxObserver and MovingAveragePerChannelMinMaxObserver
 * (torch/ao/quantization/observer.py; docs/numerics/observers.md §Per-channel observers).
 * @module
 */
import { checkInteger, checkTensor } from "../_check.ts";
import { f32 } from "../float32.ts";
import type { Tensor } from "../tensor.ts";
import { aminmaxPerChannel, broadcastChannels, torchMaximum, torchMinimum } from "./_minmax.ts";
import {
  checkOptionKeys,
  parseNumberOption,
  rejectSymmetricReducedQuint8,
  requirePerChannel,
  UNIFORM_OPTION_KEYS,
  type UniformObserverOptions,
  UniformQuantizationObserverBase,
} from "./uniform.ts";

/** Options of PerChannelMinMaxObserver (qscheme defaults to per_channel_affine). */
export interface PerChannelMinMaxObserverOptions extends UniformObserverOptions {
  /** The channel axis (default 0; negative counts from the end). Checked at `forward`. */
  chAxis?: number;
}

/**
 * `torch.ao.quantization.PerChannelMinMaxObserver`: the running minimum and maximum of each
 * slice along `chAxis`, and per-channel qparams from them. Before the first batch `minVal` and
 * `maxVal` are empty and `calculateQParams` gives `([1], [0])`.
 */
export class PerChannelMinMaxObserver extends UniformQuantizationObserverBase {
  /** PyTorch's class name. */
  static readonly className: string = "PerChannelMinMaxObserver";
  /** The option names the class takes. */
  static readonly optionKeys: readonly string[] = [...UNIFORM_OPTION_KEYS, "chAxis"];
  /** The channel axis, as given. */
  readonly chAxis: number;
  /** The running minima, one per channel (empty before the first batch). */
  protected runningMin: Float32Array = new Float32Array(0);
  /** The running maxima, one per channel (empty before the first batch). */
  protected runningMax: Float32Array = new Float32Array(0);

  /**
   * Builds the observer with PyTorch's defaults (quint8, per_channel_affine, chAxis 0).
   * @throws {RangeError|TypeError} for a per-tensor qscheme, reduceRange with a symmetric quint8
   * observer, a non-integer chAxis, or a bad dtype/range.
   */
  constructor(options: PerChannelMinMaxObserverOptions = {}) {
    checkOptionKeys(new.target.className, options, new.target.optionKeys);
    requirePerChannel(new.target.className, options.qscheme);
    super(options, { qscheme: "per_channel_affine" });
    const chAxis = options.chAxis ?? 0;
    checkInteger("chAxis", chAxis);
    this.chAxis = chAxis;
    rejectSymmetricReducedQuint8(this);
  }

  /** PyTorch's class name. */
  get className(): string {
    return (this.constructor as typeof PerChannelMinMaxObserver).className;
  }

  /** The running minima (a copy). */
  get minVal(): Float32Array {
    return this.runningMin.slice();
  }

  /** The running maxima (a copy). */
  get maxVal(): Float32Array {
    return this.runningMax.slice();
  }

  /**
   * Overwrites the running statistics (PyTorch code writing the `min_val` / `max_val` buffers:
   * `load_state_dict`, `fused_moving_avg_obs_fake_quant`). Values are rounded to float32.
   * @throws {RangeError} when the lengths differ.
   */
  setMinMax(min: ArrayLike<number>, max: ArrayLike<number>): void {
    if (min.length !== max.length) {
      throw new RangeError(`min/max: ${min.length} minima but ${max.length} maxima`);
    }
    this.runningMin = Float32Array.from(min);
    this.runningMax = Float32Array.from(max);
  }

  /**
   * Records each channel's `min(aminmax, running)`; returns `x`.
   * @throws {RangeError} when chAxis is not a dimension of `x`, or the channel count changes.
   */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (x.size === 0) return x;
    const { min, max } = aminmaxPerChannel(x, this.chAxis);
    if (this.runningMin.length === 0) {
      this.runningMin = min;
      this.runningMax = max;
    } else {
      this.runningMin = broadcastChannels(min, this.runningMin, torchMinimum);
      this.runningMax = broadcastChannels(max, this.runningMax, torchMaximum);
    }
    return x;
  }
}

/** Options of MovingAveragePerChannelMinMaxObserver. */
export interface MovingAveragePerChannelMinMaxObserverOptions
  extends PerChannelMinMaxObserverOptions {
  /** The averaging constant c (default 0.01). */
  averagingConstant?: number;
}

/**
 * `torch.ao.quantization.MovingAveragePerChannelMinMaxObserver`: per-channel min/max set by the
 * first batch, then moved by `f32(min + f32(f32(c) * f32(batchMin - min)))` per channel.
 */
export class MovingAveragePerChannelMinMaxObserver extends PerChannelMinMaxObserver {
  /** PyTorch's class name. */
  static override readonly className: string = "MovingAveragePerChannelMinMaxObserver";
  /** The option names the class takes. */
  static override readonly optionKeys: readonly string[] = [
    ...UNIFORM_OPTION_KEYS,
    "chAxis",
    "averagingConstant",
  ];
  /** The averaging constant, as given. */
  readonly averagingConstant: number;

  /**
   * Builds the observer (averaging constant 0.01 by default).
   * @throws like PerChannelMinMaxObserver, and for a non-number averagingConstant.
   */
  constructor(options: MovingAveragePerChannelMinMaxObserverOptions = {}) {
    super(options);
    this.averagingConstant = parseNumberOption(
      "averagingConstant",
      options.averagingConstant,
      0.01,
    );
  }

  /** Moves each channel's running min/max toward this batch's; returns `x`. */
  override forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (x.size === 0) return x;
    const { min, max } = aminmaxPerChannel(x, this.chAxis);
    if (this.runningMin.length === 0) {
      this.runningMin = min;
      this.runningMax = max;
    } else {
      const c = f32(this.averagingConstant);
      const move = (cur: number, run: number) => f32(run + f32(c * f32(cur - run)));
      this.runningMin = broadcastChannels(min, this.runningMin, move);
      this.runningMax = broadcastChannels(max, this.runningMax, move);
    }
    return x;
  }
}
