/**
 * The fake-quantize modules of quantization-aware training (torch/ao/quantization/
 * fake_quantize.py; docs/numerics/fake_quantize.md §The modules):
 * - `FakeQuantize`: an observer plus fake quantization with the observer's qparams;
 * - `FusedMovingAvgObsFakeQuantize`: the default QAT module, PyTorch's C++
 *   `fused_moving_avg_obs_fake_quant` (running min/max, C++ `ChooseQuantizationParams`, fake
 *   quantization in one op);
 * - `FixedQParamsFakeQuantize`: fake quantization with fixed qparams (sigmoid, tanh outputs).
 *
 * Like PyTorch's, the modules are in training mode: `forward` observes (when the observer is
 * enabled) and fake-quantizes (when fake quantization is enabled).
 * @module
 */
import { checkOptions, checkTensor, show } from "./_check.ts";
import { type ChooseQParamsVariant, chooseQuantizationParams } from "./choose_qparams.ts";
import { isPerChannel, isSymmetric, type QScheme, type QuantizedDType } from "./dtype.ts";
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from "./fake_quantize.ts";
import { f32 } from "./float32.ts";
import { type Factory, isFactory } from "./observers/factory.ts";
import type { HistogramObserverOptions } from "./observers/histogram.ts";
import { aminmax, aminmaxPerChannel } from "./observers/_minmax.ts";
import { MovingAverageMinMaxObserver } from "./observers/min_max.ts";
import type { Observer, QParamsResult, QuantizingObserver } from "./observers/observer.ts";
import {
  MovingAveragePerChannelMinMaxObserver,
  type MovingAveragePerChannelMinMaxObserverOptions,
} from "./observers/per_channel_min_max.ts";
import { FixedQParamsObserver } from "./observers/fixed_qparams.ts";
import { checkObservedQParams, checkOptionKeys } from "./observers/uniform.ts";
import type { Tensor } from "./tensor.ts";

/** An observer class or factory a fake-quantize module can own. */
export type ObserverSpec =
  | {
    new (options: never): QuantizingObserver;
    readonly className: string;
  }
  | Factory<QuantizingObserver>;

/**
 * Options of FakeQuantize: PyTorch's `observer`, `quant_min`, `quant_max`, and the observer's
 * own arguments (`**observer_kwargs`), which are passed on to it.
 */
export interface FakeQuantizeOptions
  extends MovingAveragePerChannelMinMaxObserverOptions, HistogramObserverOptions {
  /** The observer class or factory (default MovingAverageMinMaxObserver). */
  observer?: ObserverSpec;
}

/** `torch.iinfo(dtype)` of the storage type (8-bit for quint4x2, as PyTorch's iinfo gives). */
function iinfo(dtype: QuantizedDType | undefined): { min: number; max: number } {
  switch (dtype ?? "quint8") {
    case "qint8":
      return { min: -128, max: 127 };
    case "qint32":
      return { min: -(2 ** 31), max: 2 ** 31 - 1 };
    case "quint8":
    case "quint4x2":
      return { min: 0, max: 255 };
    default:
      throw new TypeError(`dtype: ${show(dtype)} is not a quantized dtype`);
  }
}

/** Builds the observer from a class or a factory with extra arguments. */
function buildObserver(spec: ObserverSpec, kwargs: Record<string, unknown>): QuantizingObserver {
  if (isFactory(spec)) return (spec as Factory<QuantizingObserver>).create(kwargs);
  if (typeof spec === "function" && typeof spec.className === "string") {
    return new (spec as unknown as new (o: unknown) => QuantizingObserver)(kwargs);
  }
  throw new TypeError(`observer: expected an observer class or factory, got ${show(spec)}`);
}

/** The per-tensor and per-channel qschemes FakeQuantize accepts (all of PyTorch's). */
function isFakeQuantizeQScheme(qscheme: unknown): qscheme is QScheme {
  return typeof qscheme === "string" && [
    "per_tensor_affine",
    "per_tensor_symmetric",
    "per_channel_affine",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
  ].includes(qscheme);
}

/**
 * `torch.ao.quantization.FakeQuantize`: owns an observer (`activationPostProcess`); in
 * `forward`, when the observer is enabled it observes `x` and copies the observer's
 * `calculateQParams()` into `scale`/`zeroPoint`, and when fake quantization is enabled it returns
 * `fakeQuantizePer{Tensor,Channel}Affine(x)` with those qparams and the observer's (effective)
 * quantMin/quantMax. Before the first observation the qparams are `([1], [0])`.
 */
export class FakeQuantize implements Observer {
  /** PyTorch's class name. */
  static readonly className: string = "FakeQuantize";
  /** The observer. */
  readonly activationPostProcess: QuantizingObserver;
  /** The observer's dtype. */
  readonly dtype: QuantizedDType;
  /** The observer's qscheme. */
  readonly qscheme: QScheme;
  /** The observer's channel axis, or -1 for per-tensor observers. */
  readonly chAxis: number;
  /** Whether the qscheme is per channel. */
  readonly isPerChannel: boolean;
  /** The qparams used by fake quantization (PyTorch's `scale` buffer). */
  protected currentScale: Float32Array = Float32Array.of(1);
  /** PyTorch's `zero_point` buffer: int32, or float32 for float qparams. */
  protected currentZeroPoint: Int32Array | Float32Array;
  #observerEnabled = true;
  #fakeQuantEnabled = true;

  /**
   * Builds the module and its observer (`options` minus `observer`, `quantMin`, `quantMax` are
   * the observer's arguments; quantMin/quantMax reach it only when both are given).
   * @throws {TypeError|RangeError} for a bad observer, a quantMin > quantMax, a custom range
   * outside the dtype's storage type (PyTorch's assertions), and whatever the observer rejects.
   */
  constructor(options: FakeQuantizeOptions = {}) {
    checkOptions("options", options, "observer?, quantMin?, quantMax?, and the observer's options");
    const { observer = MovingAverageMinMaxObserver, quantMin, quantMax, ...kwargs } = options;
    const observerKwargs: Record<string, unknown> = { ...kwargs };
    if (
      quantMin !== undefined && quantMin !== null && quantMax !== undefined && quantMax !== null
    ) {
      if (!(quantMin <= quantMax)) {
        throw new RangeError(
          `quantMin/quantMax: quantMin must be <= quantMax, got [${show(quantMin)}, ${
            show(quantMax)
          }]`,
        );
      }
      const presetDType = isFactory(observer)
        ? (observer.args as { dtype?: QuantizedDType }).dtype
        : undefined;
      const info = iinfo(presetDType ?? (kwargs.dtype as QuantizedDType | undefined));
      if (!(info.min <= quantMin)) {
        throw new RangeError(`quantMin: ${show(quantMin)} is out of bound (< ${info.min})`);
      }
      if (!(quantMax <= info.max)) {
        throw new RangeError(`quantMax: ${show(quantMax)} is out of bound (> ${info.max})`);
      }
      observerKwargs.quantMin = quantMin;
      observerKwargs.quantMax = quantMax;
    }
    const obs = buildObserver(observer, observerKwargs);
    if (!isFakeQuantizeQScheme(obs.qscheme)) {
      throw new TypeError(
        `observer: ${obs.className} has no per-tensor or per-channel qscheme; FakeQuantize needs one`,
      );
    }
    this.activationPostProcess = obs;
    this.dtype = obs.dtype;
    this.qscheme = obs.qscheme;
    const axis = (obs as { chAxis?: number }).chAxis;
    this.chAxis = axis ?? -1;
    this.isPerChannel = isPerChannel(obs.qscheme);
    this.currentZeroPoint = obs.qscheme === "per_channel_affine_float_qparams"
      ? Float32Array.of(0)
      : Int32Array.of(0);
  }

  /** PyTorch's class name. */
  get className(): string {
    return (this.constructor as typeof FakeQuantize).className;
  }

  /** The observer's effective smallest code. */
  get quantMin(): number {
    return this.activationPostProcess.quantMin;
  }

  /** The observer's effective largest code. */
  get quantMax(): number {
    return this.activationPostProcess.quantMax;
  }

  /** The scale(s) fake quantization uses (a copy). */
  get scale(): Float32Array {
    return this.currentScale.slice();
  }

  /** The zero point(s) fake quantization uses (a copy). */
  get zeroPoint(): Int32Array | Float32Array {
    return this.currentZeroPoint.slice();
  }

  /** Whether `forward` observes. */
  get observerEnabled(): boolean {
    return this.#observerEnabled;
  }

  /** Whether `forward` fake-quantizes. */
  get fakeQuantEnabled(): boolean {
    return this.#fakeQuantEnabled;
  }

  /** `enable_observer(enabled=True)`. */
  enableObserver(enabled = true): void {
    this.#observerEnabled = enabled;
  }

  /** `disable_observer()`. */
  disableObserver(): void {
    this.enableObserver(false);
  }

  /** `enable_fake_quant(enabled=True)`. */
  enableFakeQuant(enabled = true): void {
    this.#fakeQuantEnabled = enabled;
  }

  /** `disable_fake_quant()`. */
  disableFakeQuant(): void {
    this.enableFakeQuant(false);
  }

  /** The observer's qparams (what convert uses). */
  calculateQParams(): QParamsResult {
    return this.activationPostProcess.calculateQParams();
  }

  /**
   * Training-mode forward: observe and update the qparams (observer enabled), then
   * fake-quantize (fake quantization enabled); otherwise `x` itself.
   * @throws {RangeError} where PyTorch's fake quantization fails (per-channel qparams that do
   * not match the channel count, a zero point outside the range).
   */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (this.#observerEnabled) {
      this.activationPostProcess.forward(x);
      const qparams = this.calculateQParams();
      checkObservedQParams(this.className, this.activationPostProcess, qparams);
      const { scale, zeroPoint } = qparams;
      this.currentScale = Float32Array.from(scale);
      this.currentZeroPoint = this.currentZeroPoint instanceof Float32Array
        ? Float32Array.from(zeroPoint)
        : Int32Array.from(zeroPoint);
    }
    if (!this.#fakeQuantEnabled) return x;
    return this.fakeQuantize(x);
  }

  /** Fake-quantizes `x` with the current qparams and the observer's range. */
  protected fakeQuantize(x: Tensor): Tensor {
    const { quantMin, quantMax } = this.activationPostProcess;
    if (this.isPerChannel) {
      return fakeQuantizePerChannelAffine(x, {
        scales: this.currentScale,
        zeroPoints: this.currentZeroPoint,
        axis: this.chAxis,
        quantMin,
        quantMax,
        floatZeroPoints: this.currentZeroPoint instanceof Float32Array,
      });
    }
    return fakeQuantizePerTensorAffine(x, {
      scale: this.currentScale[0],
      zeroPoint: this.currentZeroPoint[0],
      quantMin,
      quantMax,
    });
  }
}

/** Options of FusedMovingAvgObsFakeQuantize. */
export interface FusedMovingAvgObsFakeQuantizeOptions extends FakeQuantizeOptions {
  /**
   * Which C++ `ChooseQuantizationParams` the PyTorch build compiled into
   * `fused_moving_avg_obs_fake_quant`: `quant_utils` (builds without FBGEMM: Debian, ARM; the
   * default) or `fbgemm` (x86 builds with FBGEMM). Not a PyTorch argument: a build property.
   */
  chooseQParamsVariant?: ChooseQParamsVariant;
}

/**
 * `torch.ao.quantization.FusedMovingAvgObsFakeQuantize`: the default QAT module. Its forward is
 * the C++ `fused_moving_avg_obs_fake_quant`:
 * - observer enabled: running min/max `isinf(run) ? cur : f32(run + f32(f32(c) * f32(cur - run)))`
 *   (per tensor, or per row of a channel-axis-0 tensor);
 * - fake quantization enabled: qparams from the C++ `ChooseQuantizationParams(min, max,
 *   quantMin, quantMax, preserve_sparsity = symmetric)` (no eps; scales below 6.1e-5 raised to
 *   it; stored as float32 / int32), then fake quantization with them.
 *
 * `calculateQParams` is the observer's Python rule (what convert uses), which can differ from the
 * scale used in training (docs/numerics/fake_quantize.md §The modules).
 */
export class FusedMovingAvgObsFakeQuantize extends FakeQuantize {
  /** PyTorch's class name. */
  static override readonly className: string = "FusedMovingAvgObsFakeQuantize";
  /** Whether the qscheme is symmetric (preserve_sparsity of ChooseQuantizationParams). */
  readonly isSymmetricQuant: boolean;
  /** The C++ ChooseQuantizationParams variant. */
  readonly chooseQParamsVariant: ChooseQParamsVariant;

  /**
   * Builds the module; quantMin/quantMax default to 0 and 255 (not to the observer's range).
   * @throws {TypeError} unless the observer is a MovingAverageMinMaxObserver or a
   * MovingAveragePerChannelMinMaxObserver; and as FakeQuantize.
   */
  constructor(options: FusedMovingAvgObsFakeQuantizeOptions = {}) {
    checkOptions("options", options, "observer?, quantMin?, quantMax?, chooseQParamsVariant?, …");
    const { chooseQParamsVariant = "quant_utils", ...rest } = options;
    super({
      ...rest,
      quantMin: rest.quantMin === undefined ? 0 : rest.quantMin,
      quantMax: rest.quantMax === undefined ? 255 : rest.quantMax,
    });
    const obs = this.activationPostProcess;
    if (
      !(obs instanceof MovingAverageMinMaxObserver ||
        obs instanceof MovingAveragePerChannelMinMaxObserver)
    ) {
      throw new TypeError(
        `observer: the fused observer + fake quant module only works with ` +
          `MovingAverageMinMaxObserver or MovingAveragePerChannelMinMaxObserver, got ${obs.className}`,
      );
    }
    if (chooseQParamsVariant !== "quant_utils" && chooseQParamsVariant !== "fbgemm") {
      throw new TypeError(
        `chooseQParamsVariant: expected "quant_utils" or "fbgemm", got ${
          show(chooseQParamsVariant)
        }`,
      );
    }
    this.chooseQParamsVariant = chooseQParamsVariant;
    this.isSymmetricQuant = isSymmetric(obs.qscheme);
  }

  /** The C++ ChooseQuantizationParams of the running range; its refusal names this module. */
  private chooseQParams(min: number, max: number): { scale: number; zeroPoint: number } {
    try {
      return chooseQuantizationParams(min, max, {
        qmin: this.observer.quantMin,
        qmax: this.observer.quantMax,
        preserveSparsity: this.isSymmetricQuant,
        variant: this.chooseQParamsVariant,
      });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new RangeError(
        `${this.className}: ${e.message} (the observed data held NaN, or nothing was observed)`,
      );
    }
  }

  /** The observer, typed. */
  get observer(): MovingAverageMinMaxObserver | MovingAveragePerChannelMinMaxObserver {
    return this.activationPostProcess as
      | MovingAverageMinMaxObserver
      | MovingAveragePerChannelMinMaxObserver;
  }

  /**
   * `fused_moving_avg_obs_fake_quant(x, ...)` in training mode; returns `x` itself when fake
   * quantization is disabled.
   * @throws {RangeError} for a channel axis that is not < rank, a per-channel tensor of rank < 2
   * or observed on an axis other than 0 (PyTorch's checks), and when ChooseQuantizationParams
   * rejects the running min/max (a non-FBGEMM build refuses min > max: fake quantization with
   * nothing observed yet).
   */
  override forward(x: Tensor): Tensor {
    checkTensor("x", x);
    if (!(this.chAxis < x.shape.length)) {
      throw new RangeError(`chAxis: ${this.chAxis} must be < the rank of x (${x.shape.length})`);
    }
    const obs = this.observer;
    const c = f32(obs.averagingConstant);
    const move = (run: number, cur: number) =>
      Number.isFinite(run) || Number.isNaN(run) ? f32(run + f32(c * f32(cur - run))) : cur;
    if (this.isPerChannel) {
      if (x.shape.length < 2) {
        throw new RangeError(
          `x: per-channel fused_moving_avg_obs_fake_quant needs a tensor of rank >= 2, got ` +
            `shape [${x.shape}]`,
        );
      }
      const perChannel = obs as MovingAveragePerChannelMinMaxObserver;
      const size = x.shape[this.chAxis < 0 ? this.chAxis + x.shape.length : this.chAxis];
      let runMin = perChannel.minVal;
      let runMax = perChannel.maxVal;
      if (runMin.length === 0) {
        runMin = new Float32Array(size).fill(Infinity);
        runMax = new Float32Array(size).fill(-Infinity);
        // PyTorch resize_s the buffers: element 0 keeps its value, the rest is uninitialized
        // memory until qparams are computed (this reference fills scale 1, zero point 0).
        const scale = new Float32Array(size).fill(1);
        scale[0] = this.currentScale[0];
        this.currentScale = scale;
        const zp = new Int32Array(size);
        zp[0] = this.currentZeroPoint[0];
        this.currentZeroPoint = zp;
        perChannel.setMinMax(runMin, runMax);
      }
      if (this.observerEnabled) {
        if (this.chAxis !== 0) {
          throw new RangeError(
            `chAxis: per-channel FakeQuant in fused_moving_avg_obs_fake_quant is only supported ` +
              `on axis 0, got ${this.chAxis}`,
          );
        }
        const { min, max } = aminmaxPerChannel(x, 0);
        if (min.length !== runMin.length) {
          throw new RangeError(
            `x: ${min.length} channels, but the running min/max hold ${runMin.length}`,
          );
        }
        const newMin = Float32Array.from(runMin);
        const newMax = Float32Array.from(runMax);
        for (let i = 0; i < min.length; i++) {
          newMin[i] = move(newMin[i], min[i]);
          newMax[i] = move(newMax[i], max[i]);
        }
        perChannel.setMinMax(newMin, newMax);
      }
    } else if (this.observerEnabled) {
      const perTensor = obs as MovingAverageMinMaxObserver;
      const { min, max } = aminmax(x.data);
      perTensor.setMinMax(move(perTensor.minVal, min), move(perTensor.maxVal, max));
    }
    if (!this.fakeQuantEnabled) return x;
    const mins = this.isPerChannel ? (obs.minVal as Float32Array) : [obs.minVal as number];
    const maxs = this.isPerChannel ? (obs.maxVal as Float32Array) : [obs.maxVal as number];
    const scale = new Float32Array(mins.length);
    const zeroPoint = new Int32Array(mins.length);
    for (let i = 0; i < mins.length; i++) {
      const q = this.chooseQParams(mins[i], maxs[i]);
      scale[i] = q.scale;
      zeroPoint[i] = q.zeroPoint;
    }
    checkObservedQParams(this.className, obs, { scale, zeroPoint });
    this.currentScale = scale;
    this.currentZeroPoint = zeroPoint;
    return this.fakeQuantize(x);
  }
}

/** Options of FixedQParamsFakeQuantize. */
export interface FixedQParamsFakeQuantizeOptions {
  /** A FixedQParamsObserver class or factory (e.g. `defaultFixedQParamsRange0to1Observer`). */
  observer: ObserverSpec;
}

/**
 * `torch.ao.quantization.FixedQParamsFakeQuantize`: fake quantization with the fixed qparams of
 * a FixedQParamsObserver (per tensor only).
 */
export class FixedQParamsFakeQuantize extends FakeQuantize {
  /** PyTorch's class name. */
  static override readonly className: string = "FixedQParamsFakeQuantize";

  /**
   * Builds the module around the fixed-qparams observer.
   * @throws {TypeError} unless the observer is a per-tensor FixedQParamsObserver.
   */
  constructor(options: FixedQParamsFakeQuantizeOptions) {
    checkOptionKeys("FixedQParamsFakeQuantize", options, ["observer"]);
    if (options?.observer === undefined) {
      throw new TypeError(`observer: FixedQParamsFakeQuantize needs a FixedQParamsObserver`);
    }
    super({ observer: options.observer });
    const obs = this.activationPostProcess;
    if (!(obs instanceof FixedQParamsObserver) || isPerChannel(obs.qscheme)) {
      throw new TypeError(
        `observer: FixedQParamsFakeQuantize's observer must be a per-tensor FixedQParamsObserver, ` +
          `got ${obs.className}`,
      );
    }
    this.currentScale = Float32Array.of(obs.scale);
    this.currentZeroPoint = Int32Array.of(obs.zeroPoint);
  }

  /** The fixed qparams. */
  override calculateQParams(): QParamsResult {
    return { scale: this.currentScale.slice(), zeroPoint: this.currentZeroPoint.slice() };
  }
}
