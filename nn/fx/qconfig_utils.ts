/**
 * What prepare and convert ask of a qconfig (torch/ao/quantization/utils.py): its dtypes (by
 * building its observers, as PyTorch does), whether activations are statically or dynamically
 * quantized, whether weights are; and the qconfig of every node (`generate_qconfig_map`),
 * the module-level propagation (`propagate_qconfig_`) and the fusion / QAT updates of a
 * QConfigMapping (fx/qconfig_mapping_utils.py).
 * @module
 */
import { FakeQuantize } from "../../reference/fake_quantize_module.ts";
import type { Observer } from "../../reference/observers/observer.ts";
import type { QConfig } from "../../reference/qconfig.ts";
import type { Module } from "../module.ts";
import { FusedModule } from "../modules/fused.ts";
import { isActivationPostProcess } from "../observer_module.ts";
import type { Graph } from "./graph.ts";
import type { GraphModule, Scope } from "./graph_module.ts";
import { typeNameOf } from "./module_types.ts";
import { patternLeafKind } from "./backend_config.ts";
import { type QConfigAny, qconfigEquals, type QConfigMapping } from "./qconfig_mapping.ts";

/** `(activation dtype, weight dtype, activation compute dtype)` (`get_qconfig_dtypes`). */
export function qconfigDTypes(q: QConfig): [string, string, string | null] {
  const a = q.activation.create();
  const w = q.weight.create();
  const compute = (a as { computeDtype?: string | null }).computeDtype ?? null;
  return [a.dtype, w.dtype, compute];
}

/** `activation_dtype(qconfig)`. */
export function activationDType(q: QConfig): string {
  return q.activation.create().dtype;
}

/** `activation_is_dynamically_quantized`: a compute dtype quint8, qint8 or float16. */
export function activationIsDynamicallyQuantized(q: QConfig): boolean {
  const c = qconfigDTypes(q)[2];
  return c === "quint8" || c === "qint8" || c === "float16";
}

/** `activation_is_statically_quantized`. */
export function activationIsStaticallyQuantized(q: QConfig): boolean {
  const d = activationDType(q);
  return (d === "quint8" || d === "qint8" || d === "float16") &&
    !activationIsDynamicallyQuantized(q);
}

/** `activation_is_int8_quantized`. */
export function activationIsInt8Quantized(q: QConfig): boolean {
  const d = activationDType(q);
  return d === "quint8" || d === "qint8";
}

/** `weight_is_quantized`. */
export function weightIsQuantized(q: QConfig): boolean {
  const d = q.weight.create().dtype;
  return d === "quint8" || d === "qint8" || d === "float16" || d === "quint4x2";
}

/** The observer inside a fake quant, or the observer itself. */
export function innerObserver(o: Observer): Observer {
  return o instanceof FakeQuantize ? o.activationPostProcess : o;
}

/** The module path's parent and last name (`_parent_name`). */
export function parentName(target: string): [string, string] {
  const dot = target.lastIndexOf(".");
  return dot < 0 ? ["", target] : [target.slice(0, dot), target.slice(dot + 1)];
}

/**
 * `update_qconfig_for_fusion`: a fused module's type gets the qconfig of its first op's type
 * when set (every op's type must have the same).
 * @throws {Error} for fused ops with different object-type qconfigs (PyTorch's LookupError).
 */
export function updateQConfigForFusion(model: GraphModule, mapping: QConfigMapping): void {
  const byType = mapping.objectTypeQConfigs;
  if (byType.size === 0) return;
  const modules = new Map(model.namedModules({ removeDuplicate: false }));
  for (const node of model.graph) {
    if (node.op !== "call_module") continue;
    const fused = modules.get(node.target);
    if (!(fused instanceof FusedModule)) continue;
    const ops = fused.namedChildren({ removeDuplicate: false }).map(([, m]) => m);
    const first = byType.get(typeNameOf(ops[0])) ?? null;
    for (const op of ops.slice(1)) {
      if (!qconfigEquals(byType.get(typeNameOf(op)) ?? null, first)) {
        throw new Error(
          `During fusion, we need to specify the same qconfigs for all module types in ` +
            `${typeNameOf(fused)} offending type: ${typeNameOf(op)}`,
        );
      }
    }
    if (first !== null) byType.set(typeNameOf(fused), first);
  }
}

/** `DEFAULT_QAT_MODULE_MAPPINGS` by PyTorch name. */
const QAT_MODULE_NAMES: ReadonlyMap<string, string> = new Map([
  ["torch.nn.Conv2d", "torch.nn.qat.Conv2d"],
  ["torch.nn.Conv3d", "torch.nn.qat.Conv3d"],
  ["torch.nn.Linear", "torch.nn.qat.Linear"],
  ["torch.nn.modules.linear.NonDynamicallyQuantizableLinear", "torch.nn.qat.Linear"],
  ["torch.nn.intrinsic.ConvBn1d", "torch.nn.intrinsic.qat.ConvBn1d"],
  ["torch.nn.intrinsic.ConvBn2d", "torch.nn.intrinsic.qat.ConvBn2d"],
  ["torch.nn.intrinsic.ConvBn3d", "torch.nn.intrinsic.qat.ConvBn3d"],
  ["torch.nn.intrinsic.ConvBnReLU1d", "torch.nn.intrinsic.qat.ConvBnReLU1d"],
  ["torch.nn.intrinsic.ConvBnReLU2d", "torch.nn.intrinsic.qat.ConvBnReLU2d"],
  ["torch.nn.intrinsic.ConvBnReLU3d", "torch.nn.intrinsic.qat.ConvBnReLU3d"],
  ["torch.nn.intrinsic.ConvReLU2d", "torch.nn.intrinsic.qat.ConvReLU2d"],
  ["torch.nn.intrinsic.ConvReLU3d", "torch.nn.intrinsic.qat.ConvReLU3d"],
  ["torch.nn.intrinsic.LinearReLU", "torch.nn.intrinsic.qat.LinearReLU"],
  ["torch.nn.intrinsic.LinearBn1d", "torch.nn.intrinsic.qat.LinearBn1d"],
]);

/** `update_qconfig_for_qat`: each QAT module type gets its float type's qconfig. */
export function updateQConfigForQat(mapping: QConfigMapping): void {
  for (const [type, q] of [...mapping.objectTypeQConfigs]) {
    const qat = QAT_MODULE_NAMES.get(type);
    if (qat !== undefined) mapping.objectTypeQConfigs.set(qat, q);
  }
}

/**
 * `propagate_qconfig_` with the flattened mapping (`get_flattened_qconfig_dict`): each module
 * keeps a qconfig it has, else takes its path's or its type's, else its parent's; the root
 * takes the global one.
 */
export function propagateQConfig(root: Module, mapping: QConfigMapping): void {
  const byKey = (key: string): QConfigAny | undefined => {
    // Python's flattened dict: "" is the global qconfig; string object types (method names)
    // share the key space with module names, which come later and win.
    if (key === "") return mapping.globalQConfig;
    if (mapping.moduleNameQConfigs.has(key)) return mapping.moduleNameQConfigs.get(key);
    if (patternLeafKind(key) === "method" && mapping.objectTypeQConfigs.has(key)) {
      return mapping.objectTypeQConfigs.get(key);
    }
    return undefined;
  };
  const visit = (m: Module, parent: QConfigAny, prefix: string) => {
    let q = mapping.objectTypeQConfigs.has(typeNameOf(m))
      ? mapping.objectTypeQConfigs.get(typeNameOf(m))!
      : parent;
    const named = byKey(prefix);
    if (named !== undefined) q = named;
    if (m.qconfig !== undefined) q = m.qconfig;
    m.qconfig = q;
    for (const [name, child] of m.namedChildren()) {
      visit(child, q, prefix === "" ? name : `${prefix}.${name}`);
    }
  };
  visit(root, null, "");
}

/**
 * `generate_qconfig_map`: each node's qconfig — call_function by its target, then the module
 * that called it (type, regex, name), then (module, function, index); call_method by its name
 * and then its module; call_module by the module's type and path, then (parent, type, index)
 * (and set on the module); get_attr by the owning module. Observer modules get no entry.
 */
export function generateQConfigMap(
  modules: ReadonlyMap<string, Module>,
  graph: Graph,
  mapping: QConfigMapping,
  scopes: ReadonlyMap<string, Scope>,
): Map<string, QConfigAny> {
  const global = mapping.globalQConfig;
  const map = new Map<string, QConfigAny>();
  const counters = new Map<string, Map<string | null, number>>();
  const nextIndex = (path: string, type: string | null) => {
    const c = counters.get(path) ?? new Map<string | null, number>();
    counters.set(path, c);
    const i = c.get(type) ?? 0;
    c.set(type, i + 1);
    return i;
  };
  const scopeOf = (name: string): Scope => {
    const s = scopes.get(name);
    if (s === undefined) {
      throw new Error(`node ${name}: no scope recorded (trace with symbolicTrace)`);
    }
    return s;
  };
  for (const node of graph) {
    let q: QConfigAny = null;
    if (node.op === "get_attr") {
      const [owner] = parentName(node.target);
      const m = modules.get(owner);
      q = mapping.qconfigForTypeOrName(m === undefined ? null : typeNameOf(m), owner, global);
    } else if (node.op === "call_function") {
      const fq = mapping.objectTypeQConfig(node.target, global);
      const { path, type } = scopeOf(node.name);
      q = mapping.qconfigForTypeOrName(type, path, fq);
      q = mapping.qconfigForOrder(path, node.target, nextIndex(path, node.target), q);
    } else if (node.op === "call_method") {
      const { path, type } = scopeOf(node.name);
      q = mapping.qconfigForTypeOrName(node.target, path, global);
      q = mapping.qconfigForTypeOrName(type, path, q);
    } else if (node.op === "call_module") {
      const m = modules.get(node.target)!;
      if (isActivationPostProcess(m)) continue;
      q = mapping.qconfigForTypeOrName(typeNameOf(m), node.target, global);
      const { path, type } = scopeOf(node.name);
      const [parent] = parentName(path);
      q = mapping.qconfigForOrder(parent, type, nextIndex(parent, type), q);
      m.qconfig = q;
    }
    map.set(node.name, q);
  }
  return map;
}
