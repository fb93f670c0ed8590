/**
 * `QConfigMapping` (torch/ao/quantization/qconfig_mapping.py): which qconfig each op of a graph
 * gets — a global qconfig, then by object type (a module class or its PyTorch name, a
 * function's qualified name, a method name), then by module-name regex, then by module name
 * (the nearest named ancestor), then by (module name, object type, index) — in PyTorch's
 * precedence (`qconfig_mapping_utils.py`). `null` opts an op out. Also the default mappings of
 * `get_default_qconfig_mapping` / `get_default_qat_qconfig_mapping`, and `qconfigEquals`.
 * @module
 */
import { isFactory } from "../../reference/observers/factory.ts";
import {
  defaultDynamicQConfig,
  defaultPlaceholderObserver,
  defaultWeightFakeQuant,
  defaultWeightObserver,
  getDefaultQatQConfig,
  getDefaultQConfig,
  type ObserverFactory,
  QConfig,
} from "../../reference/qconfig.ts";
import { show } from "../_util.ts";
import type { Module } from "../module.ts";
import {
  type Backend,
  FIXED_QPARAMS_OP_TO_OBSERVER,
  fixedQParamsFakeQuantize,
} from "./backend_config.ts";
import { typeNameOfClass } from "./module_types.ts";
import { defaultReuseInputQConfig } from "./reuse_input_observer.ts";

/** A qconfig, or null to leave the op in float. */
export type QConfigAny = QConfig | null;

/** A module class, or a PyTorch name (module type, function qualified name or method name). */
export type ObjectType = string | (abstract new (...args: never[]) => Module);

/** The PyTorch name of an object type. @throws {TypeError} for an unregistered class. */
export function objectTypeName(t: ObjectType): string {
  if (typeof t === "string") {
    if (t === "") throw new TypeError("objectType: expected a non-empty name");
    return t;
  }
  if (typeof t === "function") return typeNameOfClass(t);
  throw new TypeError(`objectType: expected a module class or a name, got ${show(t)}`);
}

function checkQConfig(name: string, q: unknown): QConfigAny {
  if (q === null || q instanceof QConfig) return q;
  throw new TypeError(`${name}: expected a QConfig or null, got ${show(q)}`);
}

/** A (module name, object type, index) entry. */
export interface ModuleNameObjectTypeOrder {
  /** The module path whose forward calls the op. */
  readonly moduleName: string;
  /** The op's type. */
  readonly objectType: string;
  /** Which call of that type inside that module (0 first). */
  readonly index: number;
  /** The qconfig. */
  readonly qconfig: QConfigAny;
}

/** `torch.ao.quantization.QConfigMapping`. */
export class QConfigMapping {
  /** The global qconfig (null: nothing quantized unless set more specifically). */
  globalQConfig: QConfigAny = null;
  /** By object type's PyTorch name, in insertion order. */
  readonly objectTypeQConfigs = new Map<string, QConfigAny>();
  /** By module-name regex, in insertion order (the first match wins). */
  readonly moduleNameRegexQConfigs = new Map<string, QConfigAny>();
  /** By module name. */
  readonly moduleNameQConfigs = new Map<string, QConfigAny>();
  /** By (module name, object type, index). */
  readonly moduleNameObjectTypeOrderQConfigs = new Map<string, ModuleNameObjectTypeOrder>();

  /** `set_global`. */
  setGlobal(qconfig: QConfigAny): this {
    this.globalQConfig = checkQConfig("qconfig", qconfig);
    return this;
  }

  /** `set_object_type`: for a module class, a function's qualified name or a method name. */
  setObjectType(objectType: ObjectType, qconfig: QConfigAny): this {
    this.objectTypeQConfigs.set(objectTypeName(objectType), checkQConfig("qconfig", qconfig));
    return this;
  }

  /**
   * `set_module_name_regex`: for modules whose path matches (Python's `re.match`: anchored at
   * the start). Earlier regexes win.
   * @throws {SyntaxError} for an invalid regex.
   */
  setModuleNameRegex(regex: string, qconfig: QConfigAny): this {
    if (typeof regex !== "string") {
      throw new TypeError(`regex: expected a string, got ${show(regex)}`);
    }
    new RegExp(regex);
    this.moduleNameRegexQConfigs.set(regex, checkQConfig("qconfig", qconfig));
    return this;
  }

  /** `set_module_name`: for the module at this path and everything inside it. */
  setModuleName(moduleName: string, qconfig: QConfigAny): this {
    if (typeof moduleName !== "string") {
      throw new TypeError(`moduleName: expected a string, got ${show(moduleName)}`);
    }
    this.moduleNameQConfigs.set(moduleName, checkQConfig("qconfig", qconfig));
    return this;
  }

  /** `set_module_name_object_type_order`: the `index`-th call of `objectType` in `moduleName`. */
  setModuleNameObjectTypeOrder(
    moduleName: string,
    objectType: ObjectType,
    index: number,
    qconfig: QConfigAny,
  ): this {
    if (!Number.isInteger(index) || index < 0) {
      throw new RangeError(`index: expected an integer >= 0, got ${show(index)}`);
    }
    const entry = {
      moduleName,
      objectType: objectTypeName(objectType),
      index,
      qconfig: checkQConfig("qconfig", qconfig),
    };
    this.moduleNameObjectTypeOrderQConfigs.set(
      JSON.stringify([entry.moduleName, entry.objectType, index]),
      entry,
    );
    return this;
  }

  /** A copy (qconfigs shared; they are immutable). */
  clone(): QConfigMapping {
    const c = new QConfigMapping();
    c.globalQConfig = this.globalQConfig;
    for (const [k, v] of this.objectTypeQConfigs) c.objectTypeQConfigs.set(k, v);
    for (const [k, v] of this.moduleNameRegexQConfigs) c.moduleNameRegexQConfigs.set(k, v);
    for (const [k, v] of this.moduleNameQConfigs) c.moduleNameQConfigs.set(k, v);
    for (const [k, v] of this.moduleNameObjectTypeOrderQConfigs) {
      c.moduleNameObjectTypeOrderQConfigs.set(k, v);
    }
    return c;
  }

  /** The qconfig of an object type, else `fallback` (`get_object_type_qconfig`). */
  objectTypeQConfig(objectType: string | null, fallback: QConfigAny): QConfigAny {
    if (objectType === null) return fallback;
    return this.objectTypeQConfigs.has(objectType)
      ? this.objectTypeQConfigs.get(objectType)!
      : fallback;
  }

  /**
   * `maybe_adjust_qconfig_for_module_type_or_name`: object type, then regex, then module name
   * (the nearest ancestor path that has one).
   */
  qconfigForTypeOrName(
    objectType: string | null,
    moduleName: string,
    fallback: QConfigAny,
  ): QConfigAny {
    let q = this.objectTypeQConfig(objectType, fallback);
    for (const [regex, rq] of this.moduleNameRegexQConfigs) {
      if (new RegExp(`^(?:${regex})`).test(moduleName)) {
        q = rq;
        break;
      }
    }
    for (let name = moduleName; name !== "";) {
      if (this.moduleNameQConfigs.has(name)) return this.moduleNameQConfigs.get(name)!;
      const dot = name.lastIndexOf(".");
      name = dot < 0 ? "" : name.slice(0, dot);
    }
    return q;
  }

  /** `maybe_adjust_qconfig_for_module_name_object_type_order`. */
  qconfigForOrder(
    moduleName: string,
    objectType: string | null,
    index: number,
    fallback: QConfigAny,
  ): QConfigAny {
    for (const e of this.moduleNameObjectTypeOrderQConfigs.values()) {
      if (e.moduleName === moduleName && e.objectType === objectType && e.index === index) {
        return e.qconfig;
      }
    }
    return fallback;
  }
}

/** `_get_default_qconfig_mapping(is_qat, backend, version)`. */
function defaultMapping(qat: boolean, backend: Backend | string, version: number): QConfigMapping {
  const qconfig = qat
    ? getDefaultQatQConfig(backend, version)
    : getDefaultQConfig(backend, version);
  const defaultWeight = qat ? defaultWeightFakeQuant : defaultWeightObserver;
  const transpose = backend === "fbgemm" || backend === "x86"
    ? new QConfig(qconfig.activation, defaultWeight)
    : qconfig;
  const layerNorm = new QConfig(qconfig.activation, defaultPlaceholderObserver);
  const m = new QConfigMapping().setGlobal(qconfig).setObjectType(
    "reshape",
    defaultReuseInputQConfig,
  );
  for (const t of ["torch.nn.Conv1d", "torch.nn.Conv2d", "torch.nn.Conv3d"]) {
    m.setObjectType(t, qconfig);
  }
  for (const d of [1, 2, 3]) m.setObjectType(`torch.nn.ConvTranspose${d}d`, transpose);
  m.setObjectType("torch.nn.Linear", qconfig);
  for (const d of [1, 2, 3]) m.setObjectType(`torch.conv${d}d`, qconfig);
  for (const d of [1, 2, 3]) m.setObjectType(`torch.conv_transpose${d}d`, transpose);
  for (
    const t of ["torch._C._nn.linear", "torch.nn.ReLU", "torch.nn.functional.relu", "torch.relu"]
  ) {
    m.setObjectType(t, qconfig);
  }
  for (const d of [1, 2, 3]) m.setObjectType(`torch.nn.BatchNorm${d}d`, qconfig);
  m.setObjectType("torch.nn.functional.layer_norm", layerNorm);
  m.setObjectType("torch.nn.LayerNorm", layerNorm);
  const byObserver = new Map<ObserverFactory, QConfig>();
  for (const [op, observer] of FIXED_QPARAMS_OP_TO_OBSERVER) {
    let q = byObserver.get(observer);
    if (q === undefined) {
      q = new QConfig(qat ? fixedQParamsFakeQuantize(observer) : observer, defaultWeight);
      byObserver.set(observer, q);
    }
    m.setObjectType(op, q);
  }
  return m;
}

/**
 * `get_default_qconfig_mapping(backend)`: the backend's default qconfig globally, with the
 * fixed-qparams observers for sigmoid/tanh/hardsigmoid/softmax and `reshape` reusing its
 * input's observer.
 */
export function getDefaultQConfigMapping(
  backend: Backend | string = "fbgemm",
  version = 0,
): QConfigMapping {
  return defaultMapping(false, backend, version);
}

/** `get_default_qat_qconfig_mapping(backend)`: the same with the QAT qconfigs. */
export function getDefaultQatQConfigMapping(
  backend: Backend | string = "fbgemm",
  version = 1,
): QConfigMapping {
  return defaultMapping(true, backend, version);
}

/**
 * The mapping of the dynamic flow on a traced graph: `default_dynamic_qconfig` globally (only
 * ops with a dynamic dtype config — linear, the RNNs — take it), the fixed-qparams ops (sigmoid,
 * tanh, …) opted out, since prepare refuses a dynamic qconfig on them.
 */
export function getDefaultDynamicQConfigMapping(): QConfigMapping {
  const m = new QConfigMapping().setGlobal(defaultDynamicQConfig);
  for (const op of FIXED_QPARAMS_OP_TO_OBSERVER.keys()) m.setObjectType(op, null);
  return m;
}

/** `obs_or_fq_ctr_equals`: the same class with the same arguments (nested ones compared so). */
export function factoryEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isFactory(a) && isFactory(b)) {
    return a.target === b.target && argsEqual(a.args, b.args);
  }
  if (isFactory(a) && typeof b === "function") {
    return a.target === b && Object.keys(a.args).length === 0;
  }
  if (isFactory(b) && typeof a === "function") return factoryEquals(b, a);
  return false;
}

function argsEqual(a: unknown, b: unknown): boolean {
  if (isFactory(a) || isFactory(b) || typeof a === "function" || typeof b === "function") {
    return factoryEquals(a, b);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => argsEqual(x, b[i]));
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length &&
      ka.every((k) =>
        argsEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
      );
  }
  return Object.is(a, b);
}

/** `qconfig_equals`: both null, or equal activation and weight constructors. */
export function qconfigEquals(a: QConfigAny | undefined, b: QConfigAny | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) {
    return (a ?? null) === (b ?? null);
  }
  return factoryEquals(a.activation, b.activation) && factoryEquals(a.weight, b.weight);
}
