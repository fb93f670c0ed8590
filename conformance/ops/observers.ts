/**
 * Golden ops `observer`, `fake_quantize_module` and `qconfig` (scripts/golden/gen_observers.py
 * describes their optional fields). Reference-only: kernel paths have no observers of their own.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { AttrValue } from "../golden_file.ts";
import {
  float32Input,
  MalformedCase,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "../op_handler.ts";
import {
  fakeQuantizePerChannelBuildDependent,
  fakeQuantizePerTensorBuildDependent,
} from "../../reference/fake_quantize.ts";
import {
  FakeQuantize,
  FixedQParamsFakeQuantize,
  FusedMovingAvgObsFakeQuantize,
} from "../../reference/fake_quantize_module.ts";
import {
  FixedQParamsObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  NoopObserver,
  type Observer,
  PerChannelMinMaxObserver,
  PlaceholderObserver,
  UniformQuantizationObserverBase,
  withArgs,
  zeroPointIsBuildDependent,
} from "../../reference/observers/mod.ts";
import {
  defaultDynamicQConfigFor,
  getDefaultQatQConfig,
  getDefaultQConfig,
  type ObserverFactory,
  QConfig,
  QCONFIGS_BY_NAME,
} from "../../reference/qconfig.ts";
import { Tensor } from "../../reference/tensor.ts";

/** The observer classes the `observer` op knows, by PyTorch name. */
// deno-lint-ignore no-explicit-any
const OBSERVER_CLASSES: Record<string, new (options: any) => Observer> = {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  HistogramObserver,
  FixedQParamsObserver,
  PlaceholderObserver,
  NoopObserver,
};

/** PyTorch argument names → the reference's option names. */
const ARG_NAMES: Record<string, string> = {
  dtype: "dtype",
  qscheme: "qscheme",
  reduce_range: "reduceRange",
  quant_min: "quantMin",
  quant_max: "quantMax",
  eps: "eps",
  averaging_constant: "averagingConstant",
  ch_axis: "chAxis",
  bins: "bins",
  upsample_rate: "upsampleRate",
  scale: "scale",
  zero_point: "zeroPoint",
  compute_dtype: "computeDtype",
  custom_op_name: "customOpName",
};

/** Converts a case's `args` object to reference options; unknown names are unsupported. */
export function observerOptions(
  args: Readonly<Record<string, AttrValue>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    const option = ARG_NAMES[name];
    if (option === undefined) throw new UnsupportedCase(`observer argument "${name}"`);
    out[option] = value;
  }
  return out;
}

function observerClass(name: string) {
  const cls = OBSERVER_CLASSES[name];
  if (cls === undefined) throw new UnsupportedCase(`observer class "${name}"`);
  return cls;
}

/** The numbered inputs `x0`, `x1`, … in order, as tensors. */
function batches(ctx: RunContext): Tensor[] {
  const names = Object.keys(ctx.testCase.inputs)
    .filter((n) => /^x\d+$/.test(n))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  names.forEach((n, i) => {
    if (n !== `x${i}`) throw new MalformedCase(`inputs must be x0, x1, … without gaps; found ${n}`);
  });
  return names.map((n) => {
    const t = ctx.input(n);
    return new Tensor(float32Input(t, n), t.shape);
  });
}

function hasNegativeZero(inputs: Tensor[]): boolean {
  return inputs.some((t) => t.data.some((v) => Object.is(v, -0)));
}

/** min/max statistics as produced outputs (zeros marked when the input mixed signed zeros). */
function statOutput(value: number | Float32Array, signedZeros: boolean): Produced {
  const data = typeof value === "number" ? Float32Array.of(value) : value;
  const shape = typeof value === "number" ? [] : [value.length];
  const mask = signedZeros ? Uint8Array.from(data, (v) => (v === 0 ? 1 : 0)) : undefined;
  return { shape, data, buildDependent: mask };
}

/**
 * The qparams as produced outputs. An affine zero point whose `round(min / scale)` is NaN or
 * leaves int32 (a -Infinity minimum, or a wide qint32 range) goes through a float → int32
 * conversion C++ leaves undefined: it is marked build-dependent (x86 and ARM agree on it).
 */
function qparamsOutputs(
  obs: Observer,
  prefix: string,
  qparams: { scale: Float32Array; zeroPoint: Int32Array | Float32Array },
): Record<string, Produced> {
  let mask: Uint8Array | undefined;
  if (
    obs instanceof UniformQuantizationObserverBase &&
    (obs.qscheme === "per_tensor_affine" || obs.qscheme === "per_channel_affine")
  ) {
    const mins = obs instanceof HistogramObserver
      ? (obs.minVal === Infinity ? [] : [obs.nonLinearParamSearch().min])
      : typeof obs.minVal === "number"
      ? [obs.minVal]
      : Array.from(obs.minVal);
    if (mins.length === qparams.scale.length) {
      const marks = Uint8Array.from(
        mins,
        (m, i) => zeroPointIsBuildDependent(m, qparams.scale[i]) ? 1 : 0,
      );
      if (marks.some((v) => v === 1)) mask = marks;
    }
  }
  return {
    [`${prefix}scale`]: { shape: [qparams.scale.length], data: qparams.scale },
    [`${prefix}zero_point`]: {
      shape: [qparams.zeroPoint.length],
      data: qparams.zeroPoint,
      buildDependent: mask,
    },
  };
}

/** `observer`: construct, observe x0, x1, … and report qparams and statistics. */
export const observerOp: OpHandler = {
  op: "observer",
  attrs: ["observer", "args", "calculate_qparams_raises"],
  inputs: [/^x\d+$/],
  outputs: ["scale", "zero_point", "min_val", "max_val", "histogram", /^y\d+$/],
  run(ctx) {
    const cls = observerClass(ctx.attrs.string("observer"));
    const obs = new cls(observerOptions(ctx.attrs.object("args")));
    const xs = batches(ctx);
    const out: Record<string, Produced> = {};
    xs.forEach((x, i) => {
      const y = obs.forward(x);
      out[`y${i}`] = { shape: y.shape, data: y.data };
    });
    const raises = ctx.attrs.optional("calculate_qparams_raises", ctx.attrs.bool, false);
    if (raises) {
      let threw = false;
      try {
        obs.calculateQParams();
      } catch {
        threw = true;
      }
      if (!threw) throw new Error(`${obs.className}.calculateQParams() must throw, as in PyTorch`);
    } else {
      Object.assign(out, qparamsOutputs(obs, "", obs.calculateQParams()));
    }
    const signedZeros = hasNegativeZero(xs);
    if ("minVal" in obs) {
      const stats = obs as unknown as {
        minVal: number | Float32Array;
        maxVal: number | Float32Array;
      };
      out.min_val = statOutput(stats.minVal, signedZeros);
      out.max_val = statOutput(stats.maxVal, signedZeros);
    }
    if (obs instanceof HistogramObserver) {
      out.histogram = { shape: [obs.bins], data: obs.histogram };
    }
    return out;
  },
};

/** Reads an int array attribute of 0/1 flags, one per step. */
function stepFlags(ctx: RunContext, name: string, steps: number): number[] | undefined {
  if (!ctx.attrs.has(name)) return undefined;
  const flags = ctx.attrs.ints(name);
  if (flags.length !== steps) {
    throw new MalformedCase(`attribute "${name}" has ${flags.length} flags for ${steps} steps`);
  }
  return flags;
}

function chooseQParamsVariant(ctx: RunContext): "quant_utils" | "fbgemm" {
  const v = ctx.attrs.optional("choose_qparams_variant", ctx.attrs.string, "quant_utils");
  if (v !== "quant_utils" && v !== "fbgemm") {
    throw new UnsupportedCase(`choose_qparams_variant "${v}"`);
  }
  return v;
}

/** The build-dependent elements of a fake-quantize module's output with its current qparams. */
function fakeQuantMask(m: FakeQuantize, x: Tensor): Uint8Array | undefined {
  if (m.isPerChannel) {
    const zp = m.zeroPoint;
    return fakeQuantizePerChannelBuildDependent(x, {
      scales: m.scale,
      zeroPoints: zp,
      axis: m.chAxis,
      quantMin: m.quantMin,
      quantMax: m.quantMax,
      floatZeroPoints: zp instanceof Float32Array,
    });
  }
  return fakeQuantizePerTensorBuildDependent(x, {
    scale: m.scale[0],
    zeroPoint: m.zeroPoint[0],
    quantMin: m.quantMin,
    quantMax: m.quantMax,
  });
}

/** Runs a fake-quantize module over the batches, toggling its switches per step. */
function runModule(
  m: FakeQuantize,
  xs: Tensor[],
  prefix: string,
  flags: { observer?: number[]; fakeQuant?: number[] } = {},
): Record<string, Produced> {
  const out: Record<string, Produced> = {};
  xs.forEach((x, i) => {
    if (flags.observer) m.enableObserver(flags.observer[i] !== 0);
    if (flags.fakeQuant) m.enableFakeQuant(flags.fakeQuant[i] !== 0);
    const y = m.forward(x);
    const mask = m.fakeQuantEnabled ? fakeQuantMask(m, x) : undefined;
    out[`${prefix}${i}`] = { shape: y.shape, data: y.data, buildDependent: mask };
  });
  return out;
}

/** `fake_quantize_module`: a FakeQuantize module in training mode over several steps. */
export const fakeQuantizeModuleOp: OpHandler = {
  op: "fake_quantize_module",
  attrs: [
    "module",
    "observer",
    "args",
    "observer_enabled_steps",
    "fake_quant_enabled_steps",
    "choose_qparams_variant",
  ],
  inputs: [/^x\d+$/],
  outputs: [
    /^y\d+$/,
    "scale",
    "zero_point",
    "min_val",
    "max_val",
    "qparams_scale",
    "qparams_zero_point",
  ],
  run(ctx) {
    const moduleName = ctx.attrs.string("module");
    const observer = observerClass(ctx.attrs.string("observer"));
    const options = observerOptions(ctx.attrs.object("args"));
    const spec = observer as unknown as typeof MinMaxObserver;
    let m: FakeQuantize;
    if (moduleName === "FakeQuantize") {
      m = new FakeQuantize({ observer: spec, ...options });
    } else if (moduleName === "FusedMovingAvgObsFakeQuantize") {
      m = new FusedMovingAvgObsFakeQuantize({
        observer: spec,
        ...options,
        chooseQParamsVariant: chooseQParamsVariant(ctx),
      });
    } else if (moduleName === "FixedQParamsFakeQuantize") {
      m = new FixedQParamsFakeQuantize({
        observer: withArgs(FixedQParamsObserver, options as never),
      });
    } else {
      throw new UnsupportedCase(`fake-quantize module "${moduleName}"`);
    }
    const xs = batches(ctx);
    const out = runModule(m, xs, "y", {
      observer: stepFlags(ctx, "observer_enabled_steps", xs.length),
      fakeQuant: stepFlags(ctx, "fake_quant_enabled_steps", xs.length),
    });
    out.scale = { shape: [m.scale.length], data: m.scale };
    out.zero_point = { shape: [m.zeroPoint.length], data: m.zeroPoint };
    const obs = m.activationPostProcess;
    if ("minVal" in obs) {
      const stats = obs as unknown as {
        minVal: number | Float32Array;
        maxVal: number | Float32Array;
      };
      out.min_val = statOutput(stats.minVal, hasNegativeZero(xs));
      out.max_val = statOutput(stats.maxVal, hasNegativeZero(xs));
    }
    Object.assign(out, qparamsOutputs(obs, "qparams_", m.calculateQParams()));
    return out;
  },
};

/**
 * The attributes of an observer or fake-quantize instance under PyTorch's names, as the
 * generator reads them from PyTorch's instances (`instance_args` in gen_observers.py).
 */
export function describeInstance(m: Observer): Record<string, AttrValue> {
  if (m instanceof FakeQuantize) {
    const obs = m.activationPostProcess;
    const out: Record<string, AttrValue> = {
      observer: obs.className,
      observer_args: describeInstance(obs),
      quant_min: m.quantMin,
      quant_max: m.quantMax,
      dtype: m.dtype,
      qscheme: m.qscheme,
      ch_axis: m.chAxis,
      is_per_channel: m.isPerChannel,
    };
    if (m instanceof FusedMovingAvgObsFakeQuantize) out.is_symmetric_quant = m.isSymmetricQuant;
    return out;
  }
  const out: Record<string, AttrValue> = { dtype: m.dtype };
  if (m instanceof UniformQuantizationObserverBase) {
    Object.assign(out, {
      qscheme: m.qscheme,
      reduce_range: m.reduceRange,
      quant_min: m.quantMin,
      quant_max: m.quantMax,
      eps: m.eps,
      has_customized_qrange: m.hasCustomizedQRange,
    });
  }
  if (
    m instanceof MovingAverageMinMaxObserver || m instanceof MovingAveragePerChannelMinMaxObserver
  ) {
    out.averaging_constant = m.averagingConstant;
  }
  if (m instanceof PerChannelMinMaxObserver) out.ch_axis = m.chAxis;
  if (m instanceof HistogramObserver) {
    Object.assign(out, { bins: m.bins, upsample_rate: m.upsampleRate, dst_nbins: m.dstNbins });
  }
  if (m instanceof FixedQParamsObserver) {
    Object.assign(out, {
      qscheme: m.qscheme,
      quant_min: m.quantMin,
      quant_max: m.quantMax,
      scale: m.scale,
      zero_point: m.zeroPoint,
    });
  }
  if (m instanceof PlaceholderObserver || m instanceof NoopObserver) {
    out.custom_op_name = m.customOpName;
  }
  if (m instanceof PlaceholderObserver) out.compute_dtype = m.computeDtype;
  return out;
}

/** The first difference between two attribute values (exact, key order ignored), or undefined. */
export function attrDifference(
  expected: AttrValue,
  actual: AttrValue,
  path = "",
): string | undefined {
  const isObject = (v: AttrValue): v is { readonly [k: string]: AttrValue } =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(expected) && isObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(key in actual)) {
        return `${path}${key}: missing (PyTorch has ${JSON.stringify(expected[key])})`;
      }
      if (!(key in expected)) {
        return `${path}${key}: ${JSON.stringify(actual[key])} is not in PyTorch's`;
      }
      const d = attrDifference(expected[key], actual[key], `${path}${key}.`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (Object.is(expected, actual) || JSON.stringify(expected) === JSON.stringify(actual)) {
    return undefined;
  }
  return `${path.replace(/\.$/, "")}: PyTorch has ${JSON.stringify(expected)}, the reference ${
    JSON.stringify(actual)
  }`;
}

function qconfigOf(ctx: RunContext): QConfig {
  const kind = ctx.attrs.string("kind");
  const backend = ctx.attrs.string("backend");
  const version = ctx.attrs.int("version");
  switch (kind) {
    case "static":
      return getDefaultQConfig(backend, version);
    case "qat":
      return getDefaultQatQConfig(backend, version);
    case "dynamic":
      return defaultDynamicQConfigFor(ctx.attrs.string("dtype"));
    case "named": {
      const name = ctx.attrs.string("name");
      const q = QCONFIGS_BY_NAME[name];
      if (q === undefined) throw new UnsupportedCase(`qconfig "${name}"`);
      return q;
    }
    default:
      throw new UnsupportedCase(`qconfig kind "${kind}"`);
  }
}

function instantiate(factory: ObserverFactory, variant: "quant_utils" | "fbgemm"): Observer {
  return factory.target === FusedMovingAvgObsFakeQuantize
    ? (factory as unknown as { create(o: object): Observer }).create({
      chooseQParamsVariant: variant,
    })
    : factory.create();
}

function computesQParams(m: Observer): boolean {
  return !(m instanceof PlaceholderObserver || m instanceof NoopObserver);
}

/** `qconfig`: the default qconfigs' classes, arguments and numerics. */
export const qconfigOp: OpHandler = {
  op: "qconfig",
  attrs: [
    "backend",
    "kind",
    "version",
    "dtype",
    "name",
    "activation_class",
    "weight_class",
    "activation_args",
    "weight_args",
    "choose_qparams_variant",
  ],
  inputs: [/^x\d+$/, "w"],
  outputs: [
    "act_scale",
    "act_zero_point",
    /^y\d+$/,
    "act_fq_scale",
    "act_fq_zero_point",
    "w_y",
    "w_fq_scale",
    "w_fq_zero_point",
    "w_scale",
    "w_zero_point",
    "w_passthrough",
  ],
  run(ctx) {
    const qconfig = qconfigOf(ctx);
    const variant = chooseQParamsVariant(ctx);
    const act = instantiate(qconfig.activation, variant);
    const wt = instantiate(qconfig.weight, variant);
    for (const [role, m] of [["activation", act], ["weight", wt]] as const) {
      const expectedClass = ctx.attrs.string(`${role}_class`);
      if (m.className !== expectedClass) {
        throw new Error(
          `${role} class: PyTorch has ${expectedClass}, the reference ${m.className}`,
        );
      }
      const d = attrDifference(ctx.attrs.object(`${role}_args`), describeInstance(m));
      if (d !== undefined) throw new Error(`${role} args differ: ${d}`);
    }
    const out: Record<string, Produced> = {};
    const xs = batches(ctx);
    if (act instanceof FakeQuantize) Object.assign(out, runModule(act, xs, "y"));
    else xs.forEach((x) => act.forward(x));
    const actObserver = act instanceof FakeQuantize ? act.activationPostProcess : act;
    if (computesQParams(act)) {
      Object.assign(out, qparamsOutputs(actObserver, "act_", act.calculateQParams()));
    }
    if (act instanceof FakeQuantize) {
      out.act_fq_scale = { shape: [act.scale.length], data: act.scale };
      out.act_fq_zero_point = { shape: [act.zeroPoint.length], data: act.zeroPoint };
    }
    const wInput = ctx.input("w");
    const w = new Tensor(float32Input(wInput, "w"), wInput.shape);
    if (wt instanceof FakeQuantize) {
      out.w_y = runModule(wt, [w], "w_y").w_y0;
      out.w_fq_scale = { shape: [wt.scale.length], data: wt.scale };
      out.w_fq_zero_point = { shape: [wt.zeroPoint.length], data: wt.zeroPoint };
    } else {
      wt.forward(w);
    }
    const wtObserver = wt instanceof FakeQuantize ? wt.activationPostProcess : wt;
    if (computesQParams(wt)) {
      Object.assign(out, qparamsOutputs(wtObserver, "w_", wt.calculateQParams()));
    }
    out.w_passthrough = { shape: w.shape, data: w.data };
    return out;
  },
};

/** The observer, fake-quantize-module and qconfig handlers. */
export const observerOps: readonly OpHandler[] = [observerOp, fakeQuantizeModuleOp, qconfigOp];
