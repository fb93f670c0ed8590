/**
 * Module types by PyTorch's name: every library module class has the name of its PyTorch
 * counterpart (`Conv2d` is `torch.nn.Conv2d`, `QuantizedConvReLU2d` is
 * `torch.nn.intrinsic.quantized.ConvReLU2d`, observers `torch.ao.quantization.<class>`), so that
 * graphs traced here and graphs exported from PyTorch name the same modules the same way, and
 * backend-config patterns and QConfigMapping object types are PyTorch's. Also each module's
 * spec — its type and constructor arguments in PyTorch's keywords — from which the module can be
 * rebuilt (JSON import and export of graph modules; weights come from a state dict).
 * @module
 */
import type { QuantizedDType } from "../../reference/dtype.ts";
import type { QConfig } from "../../reference/qconfig.ts";
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { Module } from "../module.ts";
import {
  ELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  ReLU,
  ReLU6,
  Sigmoid,
  Tanh,
} from "../modules/activation.ts";
import { QuantizedActivation, type QuantizedActivationSpec } from "../quantized/activation.ts";
import { BatchNorm1d, BatchNorm2d } from "../modules/batchnorm.ts";
import { Dropout, Flatten, Identity, Sequential } from "../modules/container.ts";
import { Conv2d } from "../modules/conv.ts";
import { FloatFunctional } from "../modules/float_functional.ts";
import {
  BNReLU2d,
  ConvBn2d,
  ConvBnReLU2d,
  ConvReLU2d,
  LinearBn1d,
  LinearReLU,
} from "../modules/fused.ts";
import { Linear } from "../modules/linear.ts";
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from "../modules/pool.ts";
import { DeQuantStub, QuantStub } from "../modules/stubs.ts";
import { FakeQuantizeModule, ObserverModule } from "../observer_module.ts";
import { QatConv2d, QatConvBn2d, QatConvBnReLU2d, QatConvReLU2d } from "../qat/conv.ts";
import { QatLinear, QatLinearBn1d, QatLinearReLU } from "../qat/linear.ts";
import { QuantizedDropout, QuantizedReLU6 } from "../quantized/activation.ts";
import { QuantizedConv2d, QuantizedConvReLU2d } from "../quantized/conv.ts";
import { DynamicQuantizedLinear, DynamicQuantizedLinearReLU } from "../quantized/dynamic_linear.ts";
import {
  DynamicQuantizedGRU,
  DynamicQuantizedGRUCell,
  DynamicQuantizedLSTM,
  DynamicQuantizedLSTMCell,
  DynamicQuantizedRNNCell,
} from "../quantized/dynamic_rnn.ts";
import { GRU, GRUCell, LSTM, LSTMCell, RNNCell } from "../modules/rnn.ts";
import { QFunctional } from "../quantized/functional_modules.ts";
import { QuantizedLinear, QuantizedLinearReLU } from "../quantized/linear.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { DeQuantize, Quantize } from "../quantized/quantize.ts";
import { FxContainer, UnsupportedModule } from "./modules.ts";
import { PackedConvParams, PackedLinearParams } from "./quantized_ops.ts";
import { observerFromSpec, observerSpecConfig } from "./observer_specs.ts";
import {
  ReferenceQuantizedModule,
  ReferenceRnnModule,
  referenceRnnTypeName,
  referenceTypeName,
} from "./reference_modules.ts";

/** A module's PyTorch type name, constructor arguments and children (PyTorch's keywords). */
export interface ModuleSpec {
  /** The PyTorch class (`torch.nn.Conv2d`). */
  readonly type: string;
  /** Constructor arguments and other state that is not in the state dict. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The children's specs, by name (fused modules, QAT modules, containers). */
  readonly children?: Readonly<Record<string, ModuleSpec>>;
}

/** What rebuilding a module from a spec needs. */
export interface BuildContext {
  /** The kernels of quantized modules. */
  readonly ops?: QuantizedOps;
  /** The qconfig of QAT modules. */
  readonly qconfig?: QConfig;
}

type AnyClass = abstract new (...args: never[]) => Module;

interface TypeEntry {
  readonly name: string;
  readonly leaf: boolean;
  readonly config?: (m: Module) => Record<string, unknown>;
  readonly build?: (
    config: Record<string, unknown>,
    children: Record<string, Module>,
    context: BuildContext,
  ) => Module;
}

const BY_CLASS = new Map<AnyClass, TypeEntry>();
const BY_NAME = new Map<string, AnyClass>();

function register<C extends AnyClass>(
  cls: C,
  name: string,
  entry: Omit<TypeEntry, "name" | "leaf"> & { leaf?: boolean } = {},
): void {
  BY_CLASS.set(cls, { name, leaf: entry.leaf ?? true, ...entry });
  BY_NAME.set(name, cls);
}

/** The module type name `typeNameOf` gives user-defined classes (never a PyTorch pattern). */
export function userTypeName(m: Module): string {
  return `ts.${m.constructor.name}`;
}

/**
 * PyTorch's type name of a module (`type(m)` in PyTorch's patterns): a registered library
 * class's name, an observer's `torch.ao.quantization.<class>`, an UnsupportedModule's own, and
 * `ts.<Class>` for classes defined outside the library.
 */
export function typeNameOf(m: Module): string {
  if (m instanceof UnsupportedModule) return m.typeName;
  if (m instanceof ReferenceQuantizedModule) return referenceTypeName(m);
  if (m instanceof ReferenceRnnModule) return referenceRnnTypeName(m);
  if (m instanceof QuantizedActivation) return quantizedActivationTypeName(m);
  if (m instanceof ObserverModule) return `torch.ao.quantization.${m.observer.className}`;
  if (m instanceof FakeQuantizeModule) return `torch.ao.quantization.${m.fakeQuant.className}`;
  return BY_CLASS.get(m.constructor as AnyClass)?.name ?? userTypeName(m);
}

/** PyTorch's type name of a module class (`ts.<Class>` for classes outside the library). */
export function typeNameOfClass(cls: abstract new (...args: never[]) => Module): string {
  return BY_CLASS.get(cls)?.name ?? `ts.${cls.name}`;
}

/** The library class registered under a PyTorch type name, if any. */
export function classOfType(name: string): AnyClass | undefined {
  return BY_NAME.get(name);
}

/**
 * Whether tracing stops at this module (PyTorch's QuantizationTracer `is_leaf_module`): library
 * modules (`torch.nn`, `torch.ao.nn`), observers and stand-ins are leaves; Sequential, graph
 * modules and user classes are traced through.
 */
export function isLeafModule(m: Module): boolean {
  if (m instanceof UnsupportedModule || m instanceof ObserverModule) return true;
  if (m instanceof FakeQuantizeModule) return true;
  return BY_CLASS.get(m.constructor as AnyClass)?.leaf ?? false;
}

/** A module's spec (type, constructor arguments, children), for JSON. */
export function moduleSpec(m: Module): ModuleSpec {
  const entry = BY_CLASS.get(m.constructor as AnyClass);
  let config: Record<string, unknown> = {};
  if (m instanceof UnsupportedModule) config = { ...m.config };
  else if (m instanceof ObserverModule || m instanceof FakeQuantizeModule) {
    config = observerSpecConfig(m);
  } else if (m instanceof ReferenceQuantizedModule) config = referenceConfig(m);
  else if (m instanceof QuantizedActivation) config = quantizedActivationConfig(m);
  else if (entry?.config) config = entry.config(m);
  const children: Record<string, ModuleSpec> = {};
  for (const [name, child] of m.namedChildren({ removeDuplicate: false })) {
    children[name] = moduleSpec(child);
  }
  return Object.keys(children).length > 0
    ? { type: typeNameOf(m), config, children }
    : { type: typeNameOf(m), config };
}

/**
 * Rebuilds a module from its spec (weights are defaults: load a state dict afterwards). A type
 * this library does not have becomes an `UnsupportedModule` keeping the name and arguments.
 * @throws {TypeError} for a malformed spec; {RangeError} for bad constructor arguments.
 */
export function moduleFromSpec(
  spec: ModuleSpec,
  context: BuildContext = {},
  path = "module",
): Module {
  if (typeof spec !== "object" || spec === null || typeof spec.type !== "string") {
    throw new TypeError(`${path}: expected a module spec {type, config}, got ${show(spec)}`);
  }
  const config = (spec.config ?? {}) as Record<string, unknown>;
  if (spec.type.startsWith("torch.ao.quantization.") && !BY_NAME.has(spec.type)) {
    return observerFromSpec(spec.type.slice("torch.ao.quantization.".length), spec, path);
  }
  if (spec.type in QUANTIZED_ACTIVATIONS) {
    try {
      return quantizedActivationFromConfig(spec.type, config);
    } catch (e) {
      throw new RangeError(`${path} (${spec.type}): ${(e as Error).message}`);
    }
  }
  if (REFERENCE_TYPES.has(spec.type)) {
    try {
      return referenceFromConfig(spec.type, config);
    } catch (e) {
      throw new RangeError(`${path} (${spec.type}): ${(e as Error).message}`);
    }
  }
  const children: Record<string, Module> = {};
  for (const [name, child] of Object.entries(spec.children ?? {})) {
    children[name] = moduleFromSpec(child, context, `${path}.${name}`);
  }
  const cls = BY_NAME.get(spec.type);
  const entry = cls === undefined ? undefined : BY_CLASS.get(cls);
  if (entry?.build === undefined) return new UnsupportedModule(spec.type, config);
  try {
    return entry.build(config, children, context);
  } catch (e) {
    throw new RangeError(`${path} (${spec.type}): ${(e as Error).message}`);
  }
}

const REFERENCE_TYPES = new Set([
  "torch.ao.nn.quantized.reference.modules.linear.Linear",
  "torch.ao.nn.quantized.reference.modules.conv.Conv2d",
]);

/** A reference module's arguments: its float module's, plus the weight qscheme and dtype. */
function referenceConfig(m: ReferenceQuantizedModule): Record<string, unknown> {
  const f = m.float;
  return {
    ...(f instanceof Linear ? linearConfig(f) : convConfig(f)),
    weight_qscheme: m.weightQParams.qscheme,
    weight_dtype: m.weightQParams.dtype,
  };
}

/** A reference module with placeholder qparams (per channel along axis 0); load its state. */
function referenceFromConfig(type: string, c: Record<string, unknown>): ReferenceQuantizedModule {
  const float = type.endsWith(".Linear")
    ? new Linear(num(c, "in_features"), num(c, "out_features"), { bias: c.bias !== false })
    : new Conv2d(...convArgs(c));
  const qscheme = c.weight_qscheme;
  if (qscheme !== "per_tensor_affine" && qscheme !== "per_channel_affine") {
    throw new TypeError(
      `weight_qscheme: expected per_tensor_affine or per_channel_affine, got ${show(qscheme)}`,
    );
  }
  if (typeof c.weight_dtype !== "string") {
    throw new TypeError(`weight_dtype: expected a dtype name, got ${show(c.weight_dtype)}`);
  }
  const n = qscheme === "per_tensor_affine" ? 1 : float.weight.shape[0];
  return new ReferenceQuantizedModule(float, {
    qscheme,
    dtype: c.weight_dtype as QuantizedDType,
    scale: new Float32Array(n).fill(1),
    zeroPoint: new Int32Array(n),
    axis: 0,
  });
}

// ---------------------------------------------------------------------------------------------
// spec helpers

function num(config: Record<string, unknown>, key: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== "number") throw new TypeError(`${key}: expected a number, got ${show(v)}`);
  return v;
}

function intPair(v: unknown, key: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((x) => Number.isInteger(x))) {
    throw new TypeError(`${key}: expected an integer or a pair, got ${show(v)}`);
  }
  return [a[0], a[1]];
}

function child(children: Record<string, Module>, name: string): Module {
  const c = children[name];
  if (c === undefined) throw new TypeError(`missing child "${name}"`);
  return c;
}

function opsOf(context: BuildContext): QuantizedOps {
  if (context.ops === undefined) {
    throw new TypeError("a quantized module needs kernels (BuildContext.ops)");
  }
  return context.ops;
}

function qconfigOf(context: BuildContext): QConfig {
  if (context.qconfig === undefined) throw new TypeError("a QAT module needs a qconfig");
  return context.qconfig;
}

function convConfig(m: Conv2d): Record<string, unknown> {
  return {
    in_channels: m.inChannels,
    out_channels: m.outChannels,
    kernel_size: [...m.kernelSize],
    stride: [...m.stride],
    padding: typeof m.padding === "string" ? m.padding : [...m.padding],
    dilation: [...m.dilation],
    groups: m.groups,
    bias: m.bias !== null,
    padding_mode: "zeros",
  };
}

function convArgs(config: Record<string, unknown>) {
  if ((config.padding_mode ?? "zeros") !== "zeros") {
    throw new RangeError(
      `padding_mode: only "zeros" is supported, got ${show(config.padding_mode)}`,
    );
  }
  const padding = config.padding;
  return [
    num(config, "in_channels"),
    num(config, "out_channels"),
    intPair(config.kernel_size, "kernel_size"),
    {
      stride: intPair(config.stride ?? 1, "stride"),
      padding: typeof padding === "string"
        ? padding as "same" | "valid"
        : intPair(padding ?? 0, "padding"),
      dilation: intPair(config.dilation ?? 1, "dilation"),
      groups: num(config, "groups", 1),
      bias: config.bias !== false,
    },
  ] as const;
}

function linearConfig(m: Linear): Record<string, unknown> {
  return { in_features: m.inFeatures, out_features: m.outFeatures, bias: m.bias !== null };
}

function bnConfig(m: BatchNorm1d | BatchNorm2d): Record<string, unknown> {
  return {
    num_features: m.numFeatures,
    eps: m.eps,
    momentum: m.momentum,
    affine: m.affine,
    track_running_stats: m.trackRunningStats,
  };
}

function bnArgs(config: Record<string, unknown>) {
  return [num(config, "num_features"), {
    eps: num(config, "eps", 1e-5),
    momentum: config.momentum === null ? null : num(config, "momentum", 0.1),
    affine: config.affine !== false,
    trackRunningStats: config.track_running_stats !== false,
  }] as const;
}

function outputConfig(m: { scale: number; zeroPoint: number }): Record<string, unknown> {
  return { scale: m.scale, zero_point: m.zeroPoint };
}

function placeholderWeight(shape: readonly number[]): QuantizedTensor {
  return new QuantizedTensor(new Int8Array(shape.reduce((a, b) => a * b, 1)), shape, "qint8", {
    qscheme: "per_tensor_affine",
    scale: 1,
    zeroPoint: 0,
  });
}

function placeholderBias(n: number, has: unknown): Tensor | null {
  return has === false ? null : new Tensor(new Float32Array(n));
}

// ---------------------------------------------------------------------------------------------
// the registry

register(Conv2d, "torch.nn.Conv2d", {
  config: (m) => convConfig(m as Conv2d),
  build: (c) => new Conv2d(...convArgs(c)),
});
register(Linear, "torch.nn.Linear", {
  config: (m) => linearConfig(m as Linear),
  build: (c) =>
    new Linear(num(c, "in_features"), num(c, "out_features"), { bias: c.bias !== false }),
});
register(BatchNorm2d, "torch.nn.BatchNorm2d", {
  config: (m) => bnConfig(m as BatchNorm2d),
  build: (c) => new BatchNorm2d(...bnArgs(c)),
});
register(BatchNorm1d, "torch.nn.BatchNorm1d", {
  config: (m) => bnConfig(m as BatchNorm1d),
  build: (c) => new BatchNorm1d(...bnArgs(c)),
});
for (
  const [cls, name] of [
    [ReLU, "torch.nn.ReLU"],
    [ReLU6, "torch.nn.ReLU6"],
    [Hardswish, "torch.nn.Hardswish"],
    [Hardsigmoid, "torch.nn.Hardsigmoid"],
    [Sigmoid, "torch.nn.Sigmoid"],
    [Tanh, "torch.nn.Tanh"],
    [Identity, "torch.nn.Identity"],
    [QuantStub, "torch.ao.quantization.QuantStub"],
    [DeQuantStub, "torch.ao.quantization.DeQuantStub"],
    [DeQuantize, "torch.nn.quantized.DeQuantize"],
    [QuantizedReLU6, "torch.nn.quantized.ReLU6"],
  ] as const
) {
  register(cls, name, { config: () => ({}), build: () => new (cls as new () => Module)() });
}
register(MaxPool2d, "torch.nn.MaxPool2d", {
  config: (m) => {
    const o = (m as MaxPool2d).options;
    return {
      kernel_size: o.kernelSize,
      stride: o.stride ?? o.kernelSize,
      padding: o.padding ?? 0,
      dilation: o.dilation ?? 1,
      ceil_mode: o.ceilMode ?? false,
    };
  },
  build: (c) =>
    new MaxPool2d(c.kernel_size as number, {
      stride: (c.stride ?? null) as number | null,
      padding: (c.padding ?? 0) as number,
      dilation: (c.dilation ?? 1) as number,
      ceilMode: c.ceil_mode === true,
    }),
});
register(AvgPool2d, "torch.nn.AvgPool2d", {
  config: (m) => {
    const o = (m as AvgPool2d).options;
    return {
      kernel_size: o.kernelSize,
      stride: o.stride ?? o.kernelSize,
      padding: o.padding ?? 0,
      ceil_mode: o.ceilMode ?? false,
      count_include_pad: o.countIncludePad ?? true,
      divisor_override: o.divisorOverride ?? null,
    };
  },
  build: (c) =>
    new AvgPool2d(c.kernel_size as number, {
      stride: (c.stride ?? null) as number | null,
      padding: (c.padding ?? 0) as number,
      ceilMode: c.ceil_mode === true,
      countIncludePad: c.count_include_pad !== false,
      divisorOverride: (c.divisor_override ?? null) as number | null,
    }),
});
register(AdaptiveAvgPool2d, "torch.nn.AdaptiveAvgPool2d", {
  config: (m) => ({ output_size: [...(m as AdaptiveAvgPool2d).outputSize] }),
  build: (c) => new AdaptiveAvgPool2d(intPair(c.output_size, "output_size")),
});
register(Flatten, "torch.nn.Flatten", {
  config: (m) => ({ start_dim: (m as Flatten).startDim, end_dim: (m as Flatten).endDim }),
  build: (c) => new Flatten(num(c, "start_dim", 1), num(c, "end_dim", -1)),
});
register(Dropout, "torch.nn.Dropout", {
  config: (m) => ({ p: (m as Dropout).p }),
  build: (c) => new Dropout(num(c, "p", 0.5)),
});
register(QuantizedDropout, "torch.nn.quantized.Dropout", {
  config: (m) => ({ p: (m as QuantizedDropout).p }),
  build: (c) => new QuantizedDropout(num(c, "p", 0.5)),
});
/** `m` with `children` registered in order. */
function withChildren<M extends Module>(m: M, children: Record<string, Module>): M {
  for (const [name, c] of Object.entries(children)) m.registerModule(name, c);
  return m;
}
register(Sequential, "torch.nn.Sequential", {
  leaf: false,
  config: () => ({}),
  build: (_, children) => withChildren(new Sequential(), children),
});
register(FxContainer, "torch.nn.Module", {
  config: () => ({}),
  build: (_, children) => withChildren(new FxContainer(), children),
});
register(FloatFunctional, "torch.nn.quantized.FloatFunctional", {
  config: () => ({}),
  build: () => new FloatFunctional(),
});
register(QFunctional, "torch.nn.quantized.QFunctional", {
  config: (m) => outputConfig(m as QFunctional),
  build: (c) => new QFunctional(num(c, "scale"), num(c, "zero_point")),
});

const FUSED: [AnyClass, string, string[]][] = [
  [ConvReLU2d, "torch.nn.intrinsic.ConvReLU2d", ["0", "1"]],
  [LinearReLU, "torch.nn.intrinsic.LinearReLU", ["0", "1"]],
  [BNReLU2d, "torch.nn.intrinsic.BNReLU2d", ["0", "1"]],
  [ConvBn2d, "torch.nn.intrinsic.ConvBn2d", ["0", "1"]],
  [ConvBnReLU2d, "torch.nn.intrinsic.ConvBnReLU2d", ["0", "1", "2"]],
  [LinearBn1d, "torch.nn.intrinsic.LinearBn1d", ["0", "1"]],
];
for (const [cls, name, names] of FUSED) {
  register(cls, name, {
    config: () => ({}),
    build: (_, children) => {
      // After convert, the first child may be a reference module (as convert installs it).
      const first = children[names[0]];
      const ref = first instanceof ReferenceQuantizedModule ? first : undefined;
      const fused = new (cls as unknown as new (...m: Module[]) => Module)(
        ...names.map((n, i) => (i === 0 && ref !== undefined ? ref.float : child(children, n))),
      );
      if (ref !== undefined) fused.registerModule(names[0], ref);
      return fused;
    },
  });
}

register(QatLinear, "torch.nn.qat.Linear", {
  config: (m) => linearConfig(m as Linear),
  build: (c, _, ctx) =>
    new QatLinear(num(c, "in_features"), num(c, "out_features"), {
      bias: c.bias !== false,
      qconfig: qconfigOf(ctx),
    }),
});
register(QatLinearReLU, "torch.nn.intrinsic.qat.LinearReLU", {
  config: (m) => linearConfig(m as Linear),
});
register(QatLinearBn1d, "torch.nn.intrinsic.qat.LinearBn1d", {
  config: (m) => linearConfig(m as Linear),
});
register(QatConv2d, "torch.nn.qat.Conv2d", { config: (m) => convConfig(m as Conv2d) });
register(QatConvReLU2d, "torch.nn.intrinsic.qat.ConvReLU2d", {
  config: (m) => convConfig(m as Conv2d),
});
register(QatConvBn2d, "torch.nn.intrinsic.qat.ConvBn2d", {
  config: (m) => convConfig(m as Conv2d),
});
register(QatConvBnReLU2d, "torch.nn.intrinsic.qat.ConvBnReLU2d", {
  config: (m) => convConfig(m as Conv2d),
});

function quantizedLinearBuild(cls: typeof QuantizedLinear) {
  return (c: Record<string, unknown>, _: Record<string, Module>, ctx: BuildContext) =>
    new cls(
      placeholderWeight([num(c, "out_features"), num(c, "in_features")]),
      placeholderBias(num(c, "out_features"), c.bias),
      { scale: num(c, "scale"), zeroPoint: num(c, "zero_point") },
      opsOf(ctx),
    );
}
function quantizedLinearConfig(m: Module): Record<string, unknown> {
  const q = m as QuantizedLinear;
  return {
    in_features: q.inFeatures,
    out_features: q.outFeatures,
    bias: q.bias() !== null,
    ...outputConfig(q),
  };
}
register(QuantizedLinear, "torch.nn.quantized.Linear", {
  config: quantizedLinearConfig,
  build: quantizedLinearBuild(QuantizedLinear),
});
register(QuantizedLinearReLU, "torch.nn.intrinsic.quantized.LinearReLU", {
  config: quantizedLinearConfig,
  build: quantizedLinearBuild(QuantizedLinearReLU),
});

function quantizedConvBuild(cls: typeof QuantizedConv2d) {
  return (c: Record<string, unknown>, _: Record<string, Module>, ctx: BuildContext) => {
    const [inC, outC, k, o] = convArgs(c);
    const groups = o.groups;
    return new cls(
      placeholderWeight([outC, inC / groups, ...k]),
      placeholderBias(outC, c.bias),
      {
        stride: o.stride,
        padding: typeof o.padding === "string" ? [0, 0] : o.padding,
        dilation: o.dilation,
        groups,
      },
      { scale: num(c, "scale"), zeroPoint: num(c, "zero_point") },
      opsOf(ctx),
    );
  };
}
function quantizedConvConfig(m: Module): Record<string, unknown> {
  const q = m as QuantizedConv2d;
  const w = q.weight();
  const g = q.geometry;
  return {
    in_channels: w.shape[1] * g.groups,
    out_channels: w.shape[0],
    kernel_size: [w.shape[2], w.shape[3]],
    stride: [...g.stride],
    padding: [...g.padding],
    dilation: [...g.dilation],
    groups: g.groups,
    bias: q.bias() !== null,
    padding_mode: "zeros",
    ...outputConfig(q),
  };
}
register(QuantizedConv2d, "torch.nn.quantized.Conv2d", {
  config: quantizedConvConfig,
  build: quantizedConvBuild(QuantizedConv2d),
});
register(QuantizedConvReLU2d, "torch.nn.intrinsic.quantized.ConvReLU2d", {
  config: quantizedConvConfig,
  build: quantizedConvBuild(QuantizedConvReLU2d),
});

function dynamicBuild(cls: typeof DynamicQuantizedLinear) {
  return (c: Record<string, unknown>, _: Record<string, Module>, ctx: BuildContext) =>
    new cls(
      {
        dtype: "qint8",
        weight: placeholderWeight([num(c, "out_features"), num(c, "in_features")]),
      },
      placeholderBias(num(c, "out_features"), c.bias),
      opsOf(ctx),
    );
}
function dynamicConfig(m: Module): Record<string, unknown> {
  const q = m as DynamicQuantizedLinear;
  return {
    in_features: q.inFeatures,
    out_features: q.outFeatures,
    bias: q.bias() !== null,
    dtype: q.dtype,
  };
}
register(DynamicQuantizedLinear, "torch.nn.quantized.dynamic.Linear", {
  config: dynamicConfig,
  build: dynamicBuild(DynamicQuantizedLinear),
});
register(DynamicQuantizedLinearReLU, "torch.nn.intrinsic.quantized.dynamic.LinearReLU", {
  config: dynamicConfig,
  build: dynamicBuild(DynamicQuantizedLinearReLU),
});
// Recurrent layers (float, and the dynamic quantized ones convert makes). The dynamic ones are
// not rebuilt from a spec: their weights come from convert.
interface RnnLike {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
}
function rnnConfig(m: Module): Record<string, unknown> {
  const r = m as unknown as RnnLike;
  return {
    input_size: r.inputSize,
    hidden_size: r.hiddenSize,
    num_layers: r.numLayers,
    bias: r.bias,
    batch_first: r.batchFirst,
    dropout: r.dropout,
    bidirectional: r.bidirectional,
  };
}
function rnnBuild(cls: typeof LSTM | typeof GRU) {
  return (c: Record<string, unknown>) =>
    new cls(num(c, "input_size"), num(c, "hidden_size"), {
      numLayers: num(c, "num_layers", 1),
      bias: c.bias !== false,
      batchFirst: c.batch_first === true,
      dropout: num(c, "dropout", 0),
      bidirectional: c.bidirectional === true,
    });
}
function cellConfig(m: Module): Record<string, unknown> {
  const c = m as unknown as { inputSize: number; hiddenSize: number; bias: boolean };
  const config: Record<string, unknown> = {
    input_size: c.inputSize,
    hidden_size: c.hiddenSize,
    bias: c.bias,
  };
  if (m instanceof RNNCell || m instanceof DynamicQuantizedRNNCell) {
    config.nonlinearity = m.nonlinearity;
  }
  return config;
}
function cellBuild(cls: typeof LSTMCell | typeof GRUCell | typeof RNNCell) {
  return (c: Record<string, unknown>) =>
    new cls(num(c, "input_size"), num(c, "hidden_size"), {
      bias: c.bias !== false,
      ...(cls === RNNCell ? { nonlinearity: c.nonlinearity as "tanh" | "relu" } : {}),
    });
}
register(LSTM, "torch.nn.LSTM", { config: rnnConfig, build: rnnBuild(LSTM) });
register(GRU, "torch.nn.GRU", { config: rnnConfig, build: rnnBuild(GRU) });
register(LSTMCell, "torch.nn.LSTMCell", { config: cellConfig, build: cellBuild(LSTMCell) });
register(GRUCell, "torch.nn.GRUCell", { config: cellConfig, build: cellBuild(GRUCell) });
register(RNNCell, "torch.nn.RNNCell", { config: cellConfig, build: cellBuild(RNNCell) });
register(DynamicQuantizedLSTM, "torch.nn.quantized.dynamic.LSTM", { config: rnnConfig });
register(DynamicQuantizedGRU, "torch.nn.quantized.dynamic.GRU", { config: rnnConfig });
register(DynamicQuantizedLSTMCell, "torch.nn.quantized.dynamic.LSTMCell", { config: cellConfig });
register(DynamicQuantizedGRUCell, "torch.nn.quantized.dynamic.GRUCell", { config: cellConfig });
register(DynamicQuantizedRNNCell, "torch.nn.quantized.dynamic.RNNCell", { config: cellConfig });

register(LeakyReLU, "torch.nn.LeakyReLU", {
  config: (m) => ({ negative_slope: (m as LeakyReLU).negativeSlope }),
  build: (c) => new LeakyReLU(num(c, "negative_slope", 0.01)),
});
register(ELU, "torch.nn.ELU", {
  config: (m) => ({ alpha: (m as ELU).alpha }),
  build: (c) => new ELU(num(c, "alpha", 1)),
});
register(Hardtanh, "torch.nn.Hardtanh", {
  config: (m) => ({ min_val: (m as Hardtanh).minVal, max_val: (m as Hardtanh).maxVal }),
  build: (c) => new Hardtanh(num(c, "min_val", -1), num(c, "max_val", 1)),
});

/** The requantizing activations convert makes (`nnq.Hardswish`, `nnq.LeakyReLU`, `nnq.ELU`). */
const QUANTIZED_ACTIVATIONS: Record<
  string,
  { float: typeof Hardswish | typeof LeakyReLU | typeof ELU; keys: Record<string, string> }
> = {
  "torch.nn.quantized.Hardswish": { float: Hardswish, keys: {} },
  "torch.nn.quantized.LeakyReLU": { float: LeakyReLU, keys: { negativeSlope: "negative_slope" } },
  "torch.nn.quantized.ELU": { float: ELU, keys: { alpha: "alpha" } },
};

/** The PyTorch name of a quantized activation. */
function quantizedActivationTypeName(m: QuantizedActivation<unknown>): string {
  return `torch.nn.quantized.${m.getName().replace(/^Quantized/, "")}`;
}

/** A quantized activation's arguments: its op's parameters and output qparams. */
function quantizedActivationConfig(m: QuantizedActivation<unknown>): Record<string, unknown> {
  const entry = QUANTIZED_ACTIVATIONS[quantizedActivationTypeName(m)];
  // The op's parameters are the module's own (kept private by the class).
  const params = (m as unknown as { params: Record<string, number> }).params;
  const config: Record<string, unknown> = {};
  for (const [ts, py] of Object.entries(entry?.keys ?? {})) config[py] = params[ts];
  return { ...config, scale: m.scale, zero_point: m.zeroPoint };
}

/** A quantized activation from its PyTorch name and arguments. */
function quantizedActivationFromConfig(
  type: string,
  c: Record<string, unknown>,
): QuantizedActivation<unknown> {
  const { float } = QUANTIZED_ACTIVATIONS[type];
  const f = float === LeakyReLU
    ? new LeakyReLU(num(c, "negative_slope", 0.01))
    : float === ELU
    ? new ELU(num(c, "alpha", 1))
    : new Hardswish();
  const spec = float.quantized as unknown as QuantizedActivationSpec<unknown>;
  return new QuantizedActivation(spec, spec.params(f), num(c, "scale"), num(c, "zero_point"));
}
register(Quantize, "torch.nn.quantized.Quantize", {
  config: (m) => ({ ...outputConfig(m as Quantize), dtype: "quint8" }),
  build: (c, _, ctx) => new Quantize(num(c, "scale"), num(c, "zero_point"), opsOf(ctx)),
});
register(PackedLinearParams, "torch.nn.quantized.modules.linear.LinearPackedParams", {
  config: (m) => {
    const p = m as PackedLinearParams;
    return {
      in_features: p.weight.shape[1],
      out_features: p.weight.shape[0],
      bias: p.bias !== null,
    };
  },
  build: (c) =>
    new PackedLinearParams(
      placeholderWeight([num(c, "out_features"), num(c, "in_features")]),
      placeholderBias(num(c, "out_features"), c.bias),
    ),
});
register(PackedConvParams, "torch.nn.quantized.modules.conv.Conv2dPackedParams", {
  config: (m) => {
    const p = m as PackedConvParams;
    return {
      weight_shape: [...p.weight.shape],
      bias: p.bias !== null,
      stride: [...p.geometry.stride],
      padding: [...p.geometry.padding],
      dilation: [...p.geometry.dilation],
      groups: p.geometry.groups,
    };
  },
  build: (c) => {
    const shape = c.weight_shape as number[];
    return new PackedConvParams(placeholderWeight(shape), placeholderBias(shape[0], c.bias), {
      stride: intPair(c.stride, "stride"),
      padding: intPair(c.padding, "padding"),
      dilation: intPair(c.dilation, "dilation"),
      groups: num(c, "groups", 1),
    });
  },
});
