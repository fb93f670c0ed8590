/**
 * Quantization configurations: which observer (or fake-quantize module) watches a layer's
 * activations and which its weights, exactly as PyTorch 1.13's torch/ao/quantization/qconfig.py,
 * observer.py and fake_quantize.py define them (docs/numerics/qconfig.md). Every default is a
 * factory (PyTorch's `with_args` partial): `qconfig.activation.create()` builds a fresh observer.
 * Names are PyTorch's, camelCase (`default_qat_qconfig_v2` → `defaultQatQConfigV2`).
 *
 * Not reproduced: the qconfigs built on RecordingObserver, ReuseInputObserver and
 * `torch.nn.Identity` (`default_debug_qconfig`, `default_reuse_input_qconfig`,
 * `default_weight_only_qconfig`, `default_activation_only_qconfig`).
 * @module
 */
import { show } from "./_check.ts";
import {
  FakeQuantize,
  FixedQParamsFakeQuantize,
  FusedMovingAvgObsFakeQuantize,
} from "./fake_quantize_module.ts";
import { type Factory, isFactory, withArgs } from "./observers/factory.ts";
import {
  defaultFixedQParamsRange0to1Observer,
  defaultFixedQParamsRangeNeg1to1Observer,
} from "./observers/fixed_qparams.ts";
import { HistogramObserver } from "./observers/histogram.ts";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "./observers/min_max.ts";
import type { Observer } from "./observers/observer.ts";
import {
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
} from "./observers/per_channel_min_max.ts";
import { NoopObserver, PlaceholderObserver } from "./observers/placeholder.ts";

export { defaultFixedQParamsRange0to1Observer, defaultFixedQParamsRangeNeg1to1Observer };

/** A factory of observers or fake-quantize modules (what a qconfig holds). */
export type ObserverFactory = Factory<Observer>;

/** The backends PyTorch's default qconfigs know; any other string falls back to the defaults. */
export type QConfigBackend = "fbgemm" | "x86" | "qnnpack" | "onednn";

/** An observer class usable where PyTorch accepts a bare class (`PlaceholderObserver`). */
type ObserverClassLike = { new (options: never): Observer; readonly className: string };

function asFactory(name: string, value: ObserverFactory | ObserverClassLike): ObserverFactory {
  if (isFactory(value)) return value as ObserverFactory;
  if (typeof value === "function" && typeof value.className === "string") {
    return withArgs(value as unknown as Parameters<typeof withArgs>[0], {}) as ObserverFactory;
  }
  throw new TypeError(
    `${name}: QConfig needs an observer class or factory (use withArgs(Observer, {...})), ` +
      `not ${typeof value === "object" && value !== null ? "an observer instance" : show(value)}`,
  );
}

/**
 * `torch.ao.quantization.QConfig(activation, weight)`: a pair of factories. Classes are accepted
 * and wrapped as factories; observer instances are refused, as in PyTorch (each layer needs its
 * own).
 */
export class QConfig {
  /** Builds the observer (or fake quant) of a layer's output activations. */
  readonly activation: ObserverFactory;
  /** Builds the observer (or fake quant) of a layer's weights. */
  readonly weight: ObserverFactory;

  /**
   * Pairs the two factories (classes are wrapped with `withArgs(cls, {})`).
   * @throws {TypeError} for an observer instance or anything else that is not a factory.
   */
  constructor(
    activation: ObserverFactory | ObserverClassLike,
    weight: ObserverFactory | ObserverClassLike,
  ) {
    this.activation = asFactory("activation", activation);
    this.weight = asFactory("weight", weight);
    Object.freeze(this);
  }
}

// ---------------------------------------------------------------------------------------------
// Default observers (observer.py)

/** `default_observer`: MinMaxObserver with activations restricted to [0, 127]. */
export const defaultObserver: ObserverFactory = withArgs(MinMaxObserver, {
  quantMin: 0,
  quantMax: 127,
});

/** `default_placeholder_observer`: PlaceholderObserver (float32), e.g. for float16. */
export const defaultPlaceholderObserver: ObserverFactory = withArgs(PlaceholderObserver, {});

/** `default_weight_observer`: MinMaxObserver, qint8, per_tensor_symmetric. */
export const defaultWeightObserver: ObserverFactory = withArgs(MinMaxObserver, {
  dtype: "qint8",
  qscheme: "per_tensor_symmetric",
});

/** `weight_observer_range_neg_127_to_127`: symmetric qint8 weights in [-127, 127], eps 2^-12. */
export const weightObserverRangeNeg127To127: ObserverFactory = withArgs(MinMaxObserver, {
  dtype: "qint8",
  qscheme: "per_tensor_symmetric",
  quantMin: -127,
  quantMax: 127,
  eps: 2 ** -12,
});

/** `default_histogram_observer`: HistogramObserver with activations in [0, 127]. */
export const defaultHistogramObserver: ObserverFactory = withArgs(HistogramObserver, {
  quantMin: 0,
  quantMax: 127,
});

/** `default_per_channel_weight_observer`: PerChannelMinMaxObserver, qint8, symmetric, axis 0. */
export const defaultPerChannelWeightObserver: ObserverFactory = withArgs(
  PerChannelMinMaxObserver,
  { dtype: "qint8", qscheme: "per_channel_symmetric" },
);

/** `per_channel_weight_observer_range_neg_127_to_127`: per channel, [-127, 127], eps 2^-12. */
export const perChannelWeightObserverRangeNeg127To127: ObserverFactory = withArgs(
  PerChannelMinMaxObserver,
  {
    dtype: "qint8",
    qscheme: "per_channel_symmetric",
    quantMin: -127,
    quantMax: 127,
    eps: 2 ** -12,
  },
);

/** `default_dynamic_quant_observer`: PlaceholderObserver(quint8, compute_dtype=quint8). */
export const defaultDynamicQuantObserver: ObserverFactory = withArgs(PlaceholderObserver, {
  dtype: "quint8",
  computeDtype: "quint8",
});

/** `default_float_qparams_observer`: per-channel quint8 with float zero points, axis 0. */
export const defaultFloatQParamsObserver: ObserverFactory = withArgs(PerChannelMinMaxObserver, {
  dtype: "quint8",
  qscheme: "per_channel_affine_float_qparams",
  chAxis: 0,
});

/** `default_float_qparams_observer_4bit`: per-channel quint4x2 with float zero points. */
export const defaultFloatQParamsObserver4bit: ObserverFactory = withArgs(
  PerChannelMinMaxObserver,
  { dtype: "quint4x2", qscheme: "per_channel_affine_float_qparams", chAxis: 0 },
);

/** `default_symmetric_fixed_qparams_observer` (the old name of the neg1to1 observer). */
export const defaultSymmetricFixedQParamsObserver: ObserverFactory =
  defaultFixedQParamsRangeNeg1to1Observer;

/** `default_affine_fixed_qparams_observer` (the old name of the 0to1 observer). */
export const defaultAffineFixedQParamsObserver: ObserverFactory =
  defaultFixedQParamsRange0to1Observer;

// ---------------------------------------------------------------------------------------------
// Default fake quantization (fake_quantize.py)

/** `default_fake_quant`: MovingAverageMinMaxObserver, quint8 [0, 255] with reduce_range → [0, 127]. */
export const defaultFakeQuant: ObserverFactory = withArgs(FakeQuantize, {
  observer: MovingAverageMinMaxObserver,
  quantMin: 0,
  quantMax: 255,
  dtype: "quint8",
  qscheme: "per_tensor_affine",
  reduceRange: true,
});

/**
 * `default_weight_fake_quant`: MovingAverageMinMaxObserver, qint8 [-128, 127],
 * per_tensor_symmetric; averaging constant 0.01 (PyTorch's docstring says otherwise).
 */
export const defaultWeightFakeQuant: ObserverFactory = withArgs(FakeQuantize, {
  observer: MovingAverageMinMaxObserver,
  quantMin: -128,
  quantMax: 127,
  dtype: "qint8",
  qscheme: "per_tensor_symmetric",
  reduceRange: false,
});

/** `default_dynamic_fake_quant`: quint8 [0, 255], averaging constant 1 (memoryless). */
export const defaultDynamicFakeQuant: ObserverFactory = withArgs(FakeQuantize, {
  observer: MovingAverageMinMaxObserver,
  quantMin: 0,
  quantMax: 255,
  dtype: "quint8",
  averagingConstant: 1,
});

/** `default_fixed_qparams_range_neg1to1_fake_quant`: (2/256, 128), for tanh. */
export const defaultFixedQParamsRangeNeg1to1FakeQuant: ObserverFactory = withArgs(
  FixedQParamsFakeQuantize,
  { observer: defaultFixedQParamsRangeNeg1to1Observer },
);

/** `default_fixed_qparams_range_0to1_fake_quant`: (1/256, 0), for sigmoid and softmax. */
export const defaultFixedQParamsRange0to1FakeQuant: ObserverFactory = withArgs(
  FixedQParamsFakeQuantize,
  { observer: defaultFixedQParamsRange0to1Observer },
);

/** `default_per_channel_weight_fake_quant`: per-channel symmetric qint8, axis 0, c = 0.01. */
export const defaultPerChannelWeightFakeQuant: ObserverFactory = withArgs(FakeQuantize, {
  observer: MovingAveragePerChannelMinMaxObserver,
  quantMin: -128,
  quantMax: 127,
  dtype: "qint8",
  qscheme: "per_channel_symmetric",
  reduceRange: false,
  chAxis: 0,
});

/** `default_embedding_fake_quant`: per-channel quint8 float qparams, axis 0, c = 1. */
export const defaultEmbeddingFakeQuant: ObserverFactory = withArgs(FakeQuantize, {
  observer: MovingAveragePerChannelMinMaxObserver,
  qscheme: "per_channel_affine_float_qparams",
  dtype: "quint8",
  quantMin: 0,
  quantMax: 255,
  chAxis: 0,
  averagingConstant: 1,
});

/** `default_embedding_fake_quant_4bit`: per-channel quint4x2 float qparams, axis 0, c = 1. */
export const defaultEmbeddingFakeQuant4bit: ObserverFactory = withArgs(FakeQuantize, {
  observer: MovingAveragePerChannelMinMaxObserver,
  qscheme: "per_channel_affine_float_qparams",
  chAxis: 0,
  dtype: "quint4x2",
  averagingConstant: 1,
});

/** `default_histogram_fake_quant`: HistogramObserver, quint8 [0, 255] with reduce_range. */
export const defaultHistogramFakeQuant: ObserverFactory = withArgs(FakeQuantize, {
  observer: HistogramObserver,
  quantMin: 0,
  quantMax: 255,
  dtype: "quint8",
  qscheme: "per_tensor_affine",
  reduceRange: true,
});

/** `default_fused_act_fake_quant`: the fused version of `default_fake_quant`, without reduce_range. */
export const defaultFusedActFakeQuant: ObserverFactory = withArgs(FusedMovingAvgObsFakeQuantize, {
  observer: MovingAverageMinMaxObserver,
  quantMin: 0,
  quantMax: 255,
  dtype: "quint8",
});

/** `default_fused_wt_fake_quant`: fused, qint8 [-128, 127], per_tensor_symmetric. */
export const defaultFusedWtFakeQuant: ObserverFactory = withArgs(FusedMovingAvgObsFakeQuantize, {
  observer: MovingAverageMinMaxObserver,
  quantMin: -128,
  quantMax: 127,
  dtype: "qint8",
  qscheme: "per_tensor_symmetric",
});

/** `default_fused_per_channel_wt_fake_quant`: fused, per-channel symmetric qint8. */
export const defaultFusedPerChannelWtFakeQuant: ObserverFactory = withArgs(
  FusedMovingAvgObsFakeQuantize,
  {
    observer: MovingAveragePerChannelMinMaxObserver,
    quantMin: -128,
    quantMax: 127,
    dtype: "qint8",
    qscheme: "per_channel_symmetric",
  },
);

/** `fused_wt_fake_quant_range_neg_127_to_127`: fused, symmetric qint8 [-127, 127], eps 2^-12. */
export const fusedWtFakeQuantRangeNeg127To127: ObserverFactory = withArgs(
  FusedMovingAvgObsFakeQuantize,
  {
    observer: MovingAverageMinMaxObserver,
    quantMin: -127,
    quantMax: 127,
    dtype: "qint8",
    qscheme: "per_tensor_symmetric",
    eps: 2 ** -12,
  },
);

/** `fused_per_channel_wt_fake_quant_range_neg_127_to_127`: the per-channel version. */
export const fusedPerChannelWtFakeQuantRangeNeg127To127: ObserverFactory = withArgs(
  FusedMovingAvgObsFakeQuantize,
  {
    observer: MovingAveragePerChannelMinMaxObserver,
    quantMin: -127,
    quantMax: 127,
    dtype: "qint8",
    qscheme: "per_channel_symmetric",
    eps: 2 ** -12,
  },
);

// ---------------------------------------------------------------------------------------------
// Default qconfigs (qconfig.py)

/** `default_qconfig`: (`default_observer`, `default_weight_observer`). */
export const defaultQConfig: QConfig = new QConfig(defaultObserver, defaultWeightObserver);

/** `default_per_channel_qconfig`: (`default_observer`, `default_per_channel_weight_observer`). */
export const defaultPerChannelQConfig: QConfig = new QConfig(
  defaultObserver,
  defaultPerChannelWeightObserver,
);

/** `default_dynamic_qconfig`: (`default_dynamic_quant_observer`, `default_weight_observer`). */
export const defaultDynamicQConfig: QConfig = new QConfig(
  defaultDynamicQuantObserver,
  defaultWeightObserver,
);

/** `float16_dynamic_qconfig`: Placeholder(float16, compute float16), Placeholder(float16). */
export const float16DynamicQConfig: QConfig = new QConfig(
  withArgs(PlaceholderObserver, { dtype: "float16", computeDtype: "float16" }),
  withArgs(PlaceholderObserver, { dtype: "float16" }),
);

/** `float16_static_qconfig`: Placeholder(float16) for both. */
export const float16StaticQConfig: QConfig = new QConfig(
  withArgs(PlaceholderObserver, { dtype: "float16" }),
  withArgs(PlaceholderObserver, { dtype: "float16" }),
);

/** `per_channel_dynamic_qconfig`: dynamic activations, per-channel weights. */
export const perChannelDynamicQConfig: QConfig = new QConfig(
  defaultDynamicQuantObserver,
  defaultPerChannelWeightObserver,
);

/** `float_qparams_weight_only_qconfig`: float32 placeholder, float-qparams quint8 weights. */
export const floatQParamsWeightOnlyQConfig: QConfig = new QConfig(
  defaultPlaceholderObserver,
  defaultFloatQParamsObserver,
);

/** `float_qparams_weight_only_qconfig_4bit`: the quint4x2 version. */
export const floatQParamsWeightOnlyQConfig4bit: QConfig = new QConfig(
  defaultPlaceholderObserver,
  defaultFloatQParamsObserver4bit,
);

/** `default_qat_qconfig`: (`default_fake_quant`, `default_weight_fake_quant`). */
export const defaultQatQConfig: QConfig = new QConfig(defaultFakeQuant, defaultWeightFakeQuant);

/** `default_dynamic_qat_qconfig`: (`default_dynamic_fake_quant`, `default_weight_fake_quant`). */
export const defaultDynamicQatQConfig: QConfig = new QConfig(
  defaultDynamicFakeQuant,
  defaultWeightFakeQuant,
);

/** `default_qat_qconfig_v2`: the fused modules (`default_fused_act_fake_quant`, `..._wt_...`). */
export const defaultQatQConfigV2: QConfig = new QConfig(
  defaultFusedActFakeQuant,
  defaultFusedWtFakeQuant,
);

const symmetricQnnpackActivation = withArgs(HistogramObserver, {
  dtype: "qint8",
  reduceRange: false,
  eps: 2 ** -12,
});

/**
 * `default_symmetric_qnnpack_qconfig`: signed activations (HistogramObserver qint8, eps 2^-12)
 * and weights in [-127, 127].
 */
export const defaultSymmetricQnnpackQConfig: QConfig = new QConfig(
  symmetricQnnpackActivation,
  weightObserverRangeNeg127To127,
);

/** `default_per_channel_symmetric_qnnpack_qconfig`: the per-channel weight version. */
export const defaultPerChannelSymmetricQnnpackQConfig: QConfig = new QConfig(
  symmetricQnnpackActivation,
  perChannelWeightObserverRangeNeg127To127,
);

const symmetricQnnpackQatActivation = withArgs(FusedMovingAvgObsFakeQuantize, {
  observer: MovingAverageMinMaxObserver,
  quantMin: -128,
  quantMax: 127,
  dtype: "qint8",
  reduceRange: false,
  eps: 2 ** -12,
});

/** `default_symmetric_qnnpack_qat_qconfig`: the QAT version of the symmetric qnnpack qconfig. */
export const defaultSymmetricQnnpackQatQConfig: QConfig = new QConfig(
  symmetricQnnpackQatActivation,
  fusedWtFakeQuantRangeNeg127To127,
);

/** `default_per_channel_symmetric_qnnpack_qat_qconfig`: its per-channel weight version. */
export const defaultPerChannelSymmetricQnnpackQatQConfig: QConfig = new QConfig(
  symmetricQnnpackQatActivation,
  fusedPerChannelWtFakeQuantRangeNeg127To127,
);

/** `default_embedding_qat_qconfig`: NoopObserver(float32), `default_embedding_fake_quant`. */
export const defaultEmbeddingQatQConfig: QConfig = new QConfig(
  withArgs(NoopObserver, { dtype: "float32" }),
  defaultEmbeddingFakeQuant,
);

/** `default_embedding_qat_qconfig_4bit`: NoopObserver(float32), the 4-bit embedding fake quant. */
export const defaultEmbeddingQatQConfig4bit: QConfig = new QConfig(
  withArgs(NoopObserver, { dtype: "float32" }),
  defaultEmbeddingFakeQuant4bit,
);

// ---------------------------------------------------------------------------------------------
// Per-backend defaults

function checkVersion(fn: string, version: number, allowed: readonly number[]): void {
  if (!allowed.includes(version)) {
    throw new RangeError(
      `version: ${fn} supports version ${allowed.join(" or ")}, got ${show(version)}`,
    );
  }
}

/**
 * `get_default_qconfig(backend, version=0)`, the default post-training static qconfig:
 * - `fbgemm`, `x86`: HistogramObserver(reduce_range=True) and per-channel symmetric weights;
 * - `qnnpack`: HistogramObserver(reduce_range=False) and per-tensor symmetric weights;
 * - `onednn`: HistogramObserver(reduce_range=False) and per-channel weights;
 * - any other backend: `defaultQConfig`, as in PyTorch.
 * @throws {RangeError} for a version other than 0 (PyTorch's AssertionError).
 */
export function getDefaultQConfig(
  backend: QConfigBackend | string = "fbgemm",
  version = 0,
): QConfig {
  checkVersion("getDefaultQConfig", version, [0]);
  switch (backend) {
    case "fbgemm":
    case "x86":
      return new QConfig(
        withArgs(HistogramObserver, { reduceRange: true }),
        defaultPerChannelWeightObserver,
      );
    case "qnnpack":
      return new QConfig(
        withArgs(HistogramObserver, { reduceRange: false }),
        defaultWeightObserver,
      );
    case "onednn":
      return new QConfig(
        withArgs(HistogramObserver, { reduceRange: false }),
        defaultPerChannelWeightObserver,
      );
    default:
      return defaultQConfig;
  }
}

/**
 * `get_default_qat_qconfig(backend, version=1)`, the default QAT qconfig:
 * - version 1: FusedMovingAvgObsFakeQuantize activations (quint8 [0, 255]; reduce_range for
 *   `fbgemm`/`x86`) and fused weights (per channel, except per tensor for `qnnpack`); any other
 *   backend: `defaultQatQConfigV2`;
 * - version 0: the same with FakeQuantize modules; any other backend: `defaultQatQConfig`.
 * @throws {RangeError} for a version other than 0 or 1 (PyTorch's AssertionError).
 */
export function getDefaultQatQConfig(
  backend: QConfigBackend | string = "fbgemm",
  version = 1,
): QConfig {
  checkVersion("getDefaultQatQConfig", version, [0, 1]);
  const module = version === 0 ? FakeQuantize : FusedMovingAvgObsFakeQuantize;
  const activation = (reduceRange?: boolean) =>
    withArgs(module, {
      observer: MovingAverageMinMaxObserver,
      quantMin: 0,
      quantMax: 255,
      ...(reduceRange === undefined ? {} : { reduceRange }),
    }) as ObserverFactory;
  const perChannelWeight = version === 0
    ? defaultPerChannelWeightFakeQuant
    : defaultFusedPerChannelWtFakeQuant;
  const perTensorWeight = version === 0 ? defaultWeightFakeQuant : defaultFusedWtFakeQuant;
  switch (backend) {
    case "fbgemm":
    case "x86":
      return new QConfig(activation(true), perChannelWeight);
    case "qnnpack":
      return new QConfig(activation(false), perTensorWeight);
    case "onednn":
      return new QConfig(activation(), perChannelWeight);
    default:
      return version === 0 ? defaultQatQConfig : defaultQatQConfigV2;
  }
}

/**
 * The qconfig `quantize_dynamic(model, dtype=...)` gives its default module types:
 * `qint8` → `defaultDynamicQConfig` (Linear, LSTM, GRU, …), `float16` → `float16DynamicQConfig`,
 * `quint8` → `floatQParamsWeightOnlyQConfig` (Embedding, EmbeddingBag), `quint4x2` →
 * `floatQParamsWeightOnlyQConfig4bit` (EmbeddingBag).
 * @throws {RangeError} for another dtype (PyTorch's ValueError).
 */
export function defaultDynamicQConfigFor(
  dtype: "qint8" | "float16" | "quint8" | "quint4x2" | string,
): QConfig {
  switch (dtype) {
    case "qint8":
      return defaultDynamicQConfig;
    case "float16":
      return float16DynamicQConfig;
    case "quint8":
      return floatQParamsWeightOnlyQConfig;
    case "quint4x2":
      return floatQParamsWeightOnlyQConfig4bit;
    default:
      throw new RangeError(
        `dtype: quantize_dynamic has no default qconfig for ${show(dtype)} ` +
          `(qint8, float16, quint8 or quint4x2)`,
      );
  }
}

/** The module-level qconfigs by their PyTorch names (`default_qat_qconfig_v2`, …). */
export const QCONFIGS_BY_NAME: Readonly<Record<string, QConfig>> = Object.freeze({
  default_qconfig: defaultQConfig,
  default_per_channel_qconfig: defaultPerChannelQConfig,
  default_dynamic_qconfig: defaultDynamicQConfig,
  float16_dynamic_qconfig: float16DynamicQConfig,
  float16_static_qconfig: float16StaticQConfig,
  per_channel_dynamic_qconfig: perChannelDynamicQConfig,
  float_qparams_weight_only_qconfig: floatQParamsWeightOnlyQConfig,
  float_qparams_weight_only_qconfig_4bit: floatQParamsWeightOnlyQConfig4bit,
  default_qat_qconfig: defaultQatQConfig,
  default_dynamic_qat_qconfig: defaultDynamicQatQConfig,
  default_qat_qconfig_v2: defaultQatQConfigV2,
  default_symmetric_qnnpack_qconfig: defaultSymmetricQnnpackQConfig,
  default_per_channel_symmetric_qnnpack_qconfig: defaultPerChannelSymmetricQnnpackQConfig,
  default_symmetric_qnnpack_qat_qconfig: defaultSymmetricQnnpackQatQConfig,
  default_per_channel_symmetric_qnnpack_qat_qconfig: defaultPerChannelSymmetricQnnpackQatQConfig,
  default_embedding_qat_qconfig: defaultEmbeddingQatQConfig,
  default_embedding_qat_qconfig_4bit: defaultEmbeddingQatQConfig4bit,
});
