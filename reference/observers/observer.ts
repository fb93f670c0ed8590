/**
 * The observer concept (torch/ao/quantization/observer.py `ObserverBase`): a module that records
 * statistics of the tensors it sees (`forward`) and turns them into quantization parameters
 * (`calculateQParams`). Observers have no `reset`, like PyTorch's (only some PyTorch observers
 * have `reset_min_max_vals`).
 * @module
 */
import type { QScheme, QuantizedDType } from "../dtype.ts";
import type { Tensor } from "../tensor.ts";

/**
 * The dtypes an observer may carry: the quantized dtypes, and the float dtypes that
 * PlaceholderObserver and NoopObserver pass on (`torch.float16` for fp16 dynamic quantization).
 */
export type ObserverDType = QuantizedDType | "float16" | "float32";

/** The float dtypes an observer accepts besides the quantized ones. */
export const FLOAT_OBSERVER_DTYPES: readonly ObserverDType[] = ["float16", "float32"];

/**
 * What `calculateQParams` returns, as PyTorch's `(scale, zero_point)` tensors: one element per
 * tensor (per-tensor observers, shape `[1]`) or per channel. Zero points are integers except
 * for `per_channel_affine_float_qparams`, where they are float32.
 */
export interface QParamsResult {
  /** The float32 scale(s). */
  readonly scale: Float32Array;
  /**
   * The zero point(s): integers (PyTorch: int32 for affine observers, int64 for symmetric ones),
   * or float32 for float qparams.
   */
  readonly zeroPoint: Int32Array | Float32Array;
}

/** Any observer: it records statistics in `forward` and computes qparams from them. */
export interface Observer {
  /** PyTorch's class name (`"MinMaxObserver"`, …). */
  readonly className: string;
  /** The dtype the observed tensor will be quantized to. */
  readonly dtype: ObserverDType;
  /** Records the statistics of `x` and returns `x` unchanged. */
  forward(x: Tensor): Tensor;
  /**
   * The quantization parameters for the statistics recorded so far.
   * @throws {Error} for observers that compute none (PlaceholderObserver, NoopObserver) and for
   * invalid statistics (min > max or NaN), like PyTorch's assertions.
   */
  calculateQParams(): QParamsResult;
}

/**
 * An observer that quantizes to an integer range with a qscheme (PyTorch's
 * `UniformQuantizationObserverBase` subclasses and FixedQParamsObserver).
 */
export interface QuantizingObserver extends Observer {
  /** The quantized dtype. */
  readonly dtype: QuantizedDType;
  /** The quantization scheme. */
  readonly qscheme: QScheme;
  /** The effective smallest code (after `reduceRange`). */
  readonly quantMin: number;
  /** The effective largest code (after `reduceRange`). */
  readonly quantMax: number;
}

/**
 * An observer that tracks a running minimum and maximum: per tensor (`number`, ±Infinity before
 * the first batch) or per channel (`Float32Array`, empty before the first batch).
 */
export interface MinMaxStatsObserver extends QuantizingObserver {
  /** The running minimum: a float32 number per tensor, one per channel otherwise. */
  readonly minVal: number | Float32Array;
  /** The running maximum: a float32 number per tensor, one per channel otherwise. */
  readonly maxVal: number | Float32Array;
  /** Whether `reduce_range` was asked for. */
  readonly reduceRange: boolean;
  /** The smallest scale, as PyTorch stores it (float32). */
  readonly eps: number;
}

/** A class that builds an observer (or a fake-quantize module) from an options object. */
export interface ObserverClass<T extends Observer = Observer, A = Record<string, unknown>> {
  /** Builds an instance from its options. */
  new (options?: A): T;
  /** PyTorch's class name. */
  readonly className: string;
}
