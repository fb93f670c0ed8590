/**
 * Observers and fake-quantize modules described in PyTorch's attribute names (`dtype`,
 * `qscheme`, `reduce_range`, `quant_min`, `quant_max`, `eps`, `bins`, …) and rebuilt from such a
 * description: how a prepared graph's observers are compared with the ones PyTorch inserted,
 * and how they travel through JSON.
 * @module
 */
import {
  FakeQuantize,
  FixedQParamsFakeQuantize,
  FusedMovingAvgObsFakeQuantize,
} from "../../reference/fake_quantize_module.ts";
import { FixedQParamsObserver } from "../../reference/observers/fixed_qparams.ts";
import { HistogramObserver } from "../../reference/observers/histogram.ts";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "../../reference/observers/min_max.ts";
import type { Observer } from "../../reference/observers/observer.ts";
import {
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
} from "../../reference/observers/per_channel_min_max.ts";
import { NoopObserver, PlaceholderObserver } from "../../reference/observers/placeholder.ts";
import { show } from "../_util.ts";
import type { Module } from "../module.ts";
import {
  type ActivationPostProcess,
  FakeQuantizeModule,
  wrapObserver,
} from "../observer_module.ts";
import { ReuseInputObserver } from "./reuse_input_observer.ts";

/** PyTorch attribute name → the reference observer's property. */
const ATTRIBUTES: readonly [string, string][] = [
  ["dtype", "dtype"],
  ["qscheme", "qscheme"],
  ["reduce_range", "reduceRange"],
  ["quant_min", "quantMin"],
  ["quant_max", "quantMax"],
  ["eps", "eps"],
  ["ch_axis", "chAxis"],
  ["averaging_constant", "averagingConstant"],
  ["bins", "bins"],
  ["upsample_rate", "upsampleRate"],
  ["compute_dtype", "computeDtype"],
  ["scale", "scale"],
  ["zero_point", "zeroPoint"],
];

/** The description of an observer object (the attributes it has, PyTorch's names). */
export function observerConfig(o: Observer | FakeQuantize): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [py, ts] of ATTRIBUTES) {
    const v = (o as unknown as Record<string, unknown>)[ts];
    if (v === undefined || v === null) continue;
    if (o instanceof FakeQuantize && (py === "scale" || py === "zero_point")) continue;
    config[py] = ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v;
  }
  if (o instanceof FakeQuantize) {
    config.fake_quant_enabled = o.fakeQuantEnabled;
    config.observer_enabled = o.observerEnabled;
  }
  return config;
}

/** The description of an observer or fake-quantize module. */
export function observerSpecConfig(m: ActivationPostProcess): Record<string, unknown> {
  return observerConfig(m instanceof FakeQuantizeModule ? m.fakeQuant : m.observer);
}

const OBSERVERS: Record<string, new (options: never) => Observer> = {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  HistogramObserver,
  PlaceholderObserver,
  NoopObserver,
  FixedQParamsObserver,
  ReuseInputObserver,
};

const DEFAULT_RANGES: Record<string, [number, number]> = {
  quint8: [0, 255],
  qint8: [-128, 127],
  qint32: [-(2 ** 31), 2 ** 31 - 1],
  quint4x2: [0, 15],
};

/** Reference-observer options from a PyTorch description (effective ranges made explicit). */
function observerOptions(config: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [py, ts] of ATTRIBUTES) {
    if (config[py] !== undefined && py !== "quant_min" && py !== "quant_max") {
      options[ts] = config[py];
    }
  }
  const range = DEFAULT_RANGES[String(config.dtype)];
  if (range !== undefined && typeof config.quant_min === "number") {
    const [lo, hi] = config.reduce_range === true
      ? [Math.trunc(range[0] / 2), Math.trunc(range[1] / 2)]
      : range;
    if (config.quant_min !== lo || config.quant_max !== hi) {
      // A custom range: give the effective one, without halving it again.
      options.quantMin = config.quant_min;
      options.quantMax = config.quant_max;
      options.reduceRange = false;
    }
  }
  return options;
}

function build(className: string, config: Record<string, unknown>, path: string): Observer {
  const cls = OBSERVERS[className];
  if (cls === undefined) {
    throw new TypeError(`${path}: observer class ${show(className)} is not supported`);
  }
  const keys = (cls as unknown as { optionKeys?: readonly string[] }).optionKeys;
  const options = observerOptions(config);
  if (keys !== undefined) {
    for (const k of Object.keys(options)) if (!keys.includes(k)) delete options[k];
  }
  return new cls(options as never);
}

/** A spec's children, for fake-quantize modules. */
interface SpecLike {
  readonly config?: Readonly<Record<string, unknown>>;
  readonly children?: Readonly<
    Record<string, { readonly type: string; readonly config?: Readonly<Record<string, unknown>> }>
  >;
}

/**
 * Rebuilds an observer module from its PyTorch class name and description (a fake-quantize
 * module from its `activation_post_process` child's), with enabled flags restored.
 * @throws {TypeError} for an unknown class or a malformed description.
 */
export function observerFromSpec(className: string, spec: SpecLike, path = "observer"): Module {
  return wrapObserver(observerObjectFromSpec(className, spec, path));
}

/**
 * The observer or fake quantize itself (unwrapped) from its class name and description.
 * @throws {TypeError} for an unknown class or a malformed description.
 */
export function observerObjectFromSpec(
  className: string,
  spec: SpecLike,
  path = "observer",
): Observer | FakeQuantize {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  const fq: Record<string, unknown> = {
    FakeQuantize,
    FusedMovingAvgObsFakeQuantize,
    FixedQParamsFakeQuantize,
  };
  if (!(className in fq)) return build(className, config, path);
  const inner = spec.children?.activation_post_process;
  if (inner === undefined) {
    throw new TypeError(`${path}: a ${className} spec needs its activation_post_process child`);
  }
  const innerClass = inner.type.slice(inner.type.lastIndexOf(".") + 1);
  const innerConfig = (inner.config ?? {}) as Record<string, unknown>;
  const observer = {
    className: innerClass,
    target: OBSERVERS[innerClass],
    args: {},
    create: () => build(innerClass, innerConfig, `${path}.activation_post_process`),
    withArgs: () => observer,
  };
  const Ctor = fq[className] as new (options: object) => FakeQuantize;
  const made = className === "FixedQParamsFakeQuantize"
    ? new Ctor({ observer })
    : new Ctor({ observer, quantMin: config.quant_min, quantMax: config.quant_max });
  made.enableFakeQuant(config.fake_quant_enabled !== false);
  made.enableObserver(config.observer_enabled !== false);
  return made;
}
