/**
 * Observers: modules that record statistics of tensors and compute quantization parameters
 * from them, bit for bit as PyTorch 1.13 (torch/ao/quantization/observer.py;
 * docs/numerics/observers.md).
 *
 * @example
 * ```ts
 * import { HistogramObserver } from "./mod.ts";
 * const obs = new HistogramObserver({ reduceRange: true });
 * obs.forward(activations);
 * const { scale, zeroPoint } = obs.calculateQParams();
 * ```
 * @module
 */
export type {
  MinMaxStatsObserver,
  Observer,
  ObserverClass,
  ObserverDType,
  QParamsResult,
  QuantizingObserver,
} from "./observer.ts";
export { FLOAT_OBSERVER_DTYPES } from "./observer.ts";
export {
  calculateQMinQMax,
  calculateQParamsFromMinMax,
  checkObservedQParams,
  defaultQParams,
  FLOAT32_EPS,
  isDefaultQParams,
  type QParamsRule,
  type UniformObserverOptions,
  UniformQuantizationObserverBase,
  zeroPointIsBuildDependent,
} from "./uniform.ts";
export {
  MinMaxObserver,
  type MinMaxObserverOptions,
  MovingAverageMinMaxObserver,
  type MovingAverageMinMaxObserverOptions,
} from "./min_max.ts";
export {
  MovingAveragePerChannelMinMaxObserver,
  type MovingAveragePerChannelMinMaxObserverOptions,
  PerChannelMinMaxObserver,
  type PerChannelMinMaxObserverOptions,
} from "./per_channel_min_max.ts";
export { HistogramObserver, type HistogramObserverOptions } from "./histogram.ts";
export { HistogramCapacityError } from "./_histogram_math.ts";
export {
  defaultFixedQParamsRange0to1Observer,
  defaultFixedQParamsRangeNeg1to1Observer,
  FixedQParamsObserver,
  type FixedQParamsObserverOptions,
} from "./fixed_qparams.ts";
export {
  NoopObserver,
  type NoopObserverOptions,
  PlaceholderObserver,
  type PlaceholderObserverOptions,
} from "./placeholder.ts";
export { type Factory, type FactoryTarget, isFactory, withArgs } from "./factory.ts";
