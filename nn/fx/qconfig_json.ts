/**
 * QConfigMappings as JSON (`qint8-fx-qconfig-mapping/1`, written by fx_export.py when a model is
 * exported with its own mapping): every entry in order — global, object types, module-name
 * regexes, module names, (module name, object type, index) — each qconfig described by what its
 * factories build (`{class, config}`, and a fake quantize's `observer`), as
 * scripts/export/fx_common.py describes PyTorch's. A description that matches one of this
 * library's own factories (the defaults, the fixed-qparams observers) decodes to that factory,
 * so that qconfig comparisons treat it as PyTorch treats its own defaults.
 * @module
 */
import { FakeQuantize } from "../../reference/fake_quantize_module.ts";
import { isFactory } from "../../reference/observers/factory.ts";
import * as qconfigs from "../../reference/qconfig.ts";
import { type ObserverFactory, QConfig } from "../../reference/qconfig.ts";
import { show } from "../_util.ts";
import { FIXED_QPARAMS_OP_TO_OBSERVER, fixedQParamsFakeQuantize } from "./backend_config.ts";
import { observerConfig, observerObjectFromSpec } from "./observer_specs.ts";
import { type QConfigAny, QConfigMapping } from "./qconfig_mapping.ts";
import { defaultReuseInputQConfig } from "./reuse_input_observer.ts";

/** What a factory builds: its class and description (a fake quantize's observer too). */
export interface FactoryJSON {
  /** PyTorch's class name (`HistogramObserver`, `FakeQuantize`). */
  readonly class: string;
  /** The attributes PyTorch's recorder describes (`dtype`, `quant_min`, `bins`, …). */
  readonly config: Readonly<Record<string, unknown>>;
  /** A fake quantize's observer. */
  readonly observer?: {
    readonly class: string;
    readonly config: Readonly<Record<string, unknown>>;
  };
}

/** A qconfig: its two factories. */
export interface QConfigJSON {
  /** The activation factory. */
  readonly activation: FactoryJSON | null;
  /** The weight factory. */
  readonly weight: FactoryJSON | null;
}

/** A whole QConfigMapping. */
export interface QConfigMappingJSON {
  /** `qint8-fx-qconfig-mapping/1`. */
  readonly format: string;
  /** The global qconfig. */
  readonly global: QConfigJSON | null;
  /** `[object type, qconfig]` in order. */
  readonly object_type: readonly (readonly [string, QConfigJSON | null])[];
  /** `[regex, qconfig]` in order. */
  readonly module_name_regex: readonly (readonly [string, QConfigJSON | null])[];
  /** `[module name, qconfig]` in order. */
  readonly module_name: readonly (readonly [string, QConfigJSON | null])[];
  /** `[module name, object type, index, qconfig]` in order. */
  readonly module_name_object_type_order: readonly (readonly [
    string,
    string,
    number,
    QConfigJSON | null,
  ])[];
}

/** The format tag. */
export const QCONFIG_MAPPING_FORMAT = "qint8-fx-qconfig-mapping/1";

/** What a factory builds, described as PyTorch's recorder describes it. */
export function describeFactory(f: ObserverFactory): FactoryJSON {
  const o = f.create();
  if (o instanceof FakeQuantize) {
    const inner = o.activationPostProcess;
    return {
      class: o.className,
      config: observerConfig(o),
      observer: { class: inner.className, config: observerConfig(inner) },
    };
  }
  return { class: o.className, config: observerConfig(o) };
}

/** A qconfig described. */
export function describeQConfig(q: QConfigAny): QConfigJSON | null {
  if (q === null) return null;
  return { activation: describeFactory(q.activation), weight: describeFactory(q.weight) };
}

/** A mapping described, every entry in order. */
export function qconfigMappingToJSON(m: QConfigMapping): QConfigMappingJSON {
  return {
    format: QCONFIG_MAPPING_FORMAT,
    global: describeQConfig(m.globalQConfig),
    object_type: [...m.objectTypeQConfigs].map(([k, q]) => [k, describeQConfig(q)] as const),
    module_name_regex: [...m.moduleNameRegexQConfigs].map(([k, q]) =>
      [k, describeQConfig(q)] as const
    ),
    module_name: [...m.moduleNameQConfigs].map(([k, q]) => [k, describeQConfig(q)] as const),
    module_name_object_type_order: [...m.moduleNameObjectTypeOrderQConfigs.values()].map((e) =>
      [e.moduleName, e.objectType, e.index, describeQConfig(e.qconfig)] as const
    ),
  };
}

let knownCache: Map<string, ObserverFactory> | undefined;

/** This library's own factories by description (the first of equal descriptions wins). */
function knownFactories(): Map<string, ObserverFactory> {
  if (knownCache !== undefined) return knownCache;
  const all: ObserverFactory[] = [];
  const add = (q: QConfig) => all.push(q.activation, q.weight);
  for (const backend of ["qnnpack", "fbgemm", "x86", "onednn"] as const) {
    add(qconfigs.getDefaultQConfig(backend));
    add(qconfigs.getDefaultQatQConfig(backend));
  }
  for (const fixed of FIXED_QPARAMS_OP_TO_OBSERVER.values()) {
    all.push(fixed, fixedQParamsFakeQuantize(fixed));
  }
  add(defaultReuseInputQConfig);
  for (const value of Object.values(qconfigs)) {
    if (value instanceof QConfig) add(value);
    else if (isFactory(value)) all.push(value as ObserverFactory);
  }
  knownCache = new Map();
  for (const f of all) {
    const key = JSON.stringify(describeFactory(f));
    if (!knownCache.has(key)) knownCache.set(key, f);
  }
  return knownCache;
}

/**
 * A factory from its description: one of this library's own when the description matches,
 * otherwise one that rebuilds the described observer (or fake quantize) each time.
 * @throws {TypeError} for a malformed description or an unsupported class.
 */
export function factoryFromJSON(desc: FactoryJSON, path = "factory"): ObserverFactory {
  if (
    desc === null || typeof desc !== "object" || typeof desc.class !== "string" ||
    typeof desc.config !== "object" || desc.config === null
  ) {
    throw new TypeError(`${path}: expected {class, config}, got ${show(desc)}`);
  }
  const known = knownFactories().get(JSON.stringify(canonical(desc)));
  if (known !== undefined) return known;
  const spec = {
    config: desc.config,
    children: desc.observer === undefined
      ? undefined
      : { activation_post_process: { type: desc.observer.class, config: desc.observer.config } },
  };
  const build = () => observerObjectFromSpec(desc.class, spec, path);
  const target = build().constructor as unknown as ObserverFactory["target"]; // fails early
  // `args` holds the description only to tell such factories apart in qconfig comparisons.
  const factory: ObserverFactory = Object.freeze({
    className: desc.class,
    target,
    args: Object.freeze({ description: JSON.stringify(canonical(desc)) }),
    create: (overrides: Record<string, unknown> = {}) => {
      if (Object.keys(overrides).length > 0) {
        throw new TypeError(`${path}: a factory read from JSON takes no more arguments`);
      }
      return build();
    },
    withArgs: () => {
      throw new TypeError(`${path}: a factory read from JSON takes no more arguments`);
    },
  }) as unknown as ObserverFactory;
  return factory;
}

/** The description with its keys in the order `describeFactory` writes them. */
function canonical(desc: FactoryJSON): FactoryJSON {
  const out: { class: string; config: Record<string, unknown>; observer?: unknown } = {
    class: desc.class,
    config: { ...desc.config },
  };
  if (desc.observer !== undefined) {
    out.observer = { class: desc.observer.class, config: { ...desc.observer.config } };
  }
  return out as FactoryJSON;
}

function qconfigFromJSON(q: QConfigJSON | null, path: string): QConfigAny {
  if (q === null) return null;
  if (typeof q !== "object" || q.activation === null || q.weight === null) {
    throw new TypeError(`${path}: expected null or {activation, weight}, got ${show(q)}`);
  }
  return new QConfig(
    factoryFromJSON(q.activation, `${path}.activation`),
    factoryFromJSON(q.weight, `${path}.weight`),
  );
}

function entries<T extends readonly unknown[]>(json: unknown, key: string, length: number): T[] {
  const list = (json as Record<string, unknown>)[key];
  if (!Array.isArray(list) || !list.every((e) => Array.isArray(e) && e.length === length)) {
    throw new TypeError(`${key}: expected a list of ${length}-element entries, got ${show(list)}`);
  }
  return list as T[];
}

/**
 * A QConfigMapping from its JSON description.
 * @throws {TypeError} for another format or a malformed entry; {SyntaxError} for a bad regex.
 */
export function qconfigMappingFromJSON(json: QConfigMappingJSON): QConfigMapping {
  if (json === null || typeof json !== "object" || json.format !== QCONFIG_MAPPING_FORMAT) {
    throw new TypeError(
      `qconfig mapping: expected format ${QCONFIG_MAPPING_FORMAT}, got ${
        show((json as { format?: unknown } | null)?.format)
      }`,
    );
  }
  const m = new QConfigMapping();
  m.setGlobal(qconfigFromJSON(json.global, "global"));
  for (const [t, q] of entries<[string, QConfigJSON]>(json, "object_type", 2)) {
    m.setObjectType(t, qconfigFromJSON(q, `object_type ${t}`));
  }
  for (const [r, q] of entries<[string, QConfigJSON]>(json, "module_name_regex", 2)) {
    m.setModuleNameRegex(r, qconfigFromJSON(q, `module_name_regex ${r}`));
  }
  for (const [n, q] of entries<[string, QConfigJSON]>(json, "module_name", 2)) {
    m.setModuleName(n, qconfigFromJSON(q, `module_name ${n}`));
  }
  for (
    const [n, t, i, q] of entries<[string, string, number, QConfigJSON]>(
      json,
      "module_name_object_type_order",
      4,
    )
  ) {
    m.setModuleNameObjectTypeOrder(n, t, i, qconfigFromJSON(q, `module_name_object_type_order`));
  }
  return m;
}
