/**
 * Graphs and graph modules as JSON (`qint8-fx-graph/1`), the same encoding
 * scripts/export/fx_export.py writes from PyTorch: nodes in order (`name`, `op`, `target`,
 * `args`, `kwargs`, optional `scope` `[path, type]`), with node arguments as `{"node": name}`,
 * dtypes as `{"dtype": "quint8"}`, lists and tuples as arrays, dicts as `{"dict": {...}}` and
 * non-finite floats as `{"float": "inf"}`; the specs of the modules `call_module` and module
 * `get_attr` nodes name; the dtype and shape of tensor attributes; which observer nodes share
 * one observer. Weights and statistics travel separately, as a state dict.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import type { Module, StateDictSource } from "../module.ts";
import { isActivationPostProcess } from "../observer_module.ts";
import { arrayTypeOf, type TypedTensor } from "../typed_tensor.ts";
import {
  type Argument,
  dtypeArg,
  ELLIPSIS,
  Graph,
  isDTypeArg,
  type Kwargs,
  Node,
  NODE_OPS,
  type NodeOp,
  SliceArg,
} from "./graph.ts";
import { GraphModule, type Scope } from "./graph_module.ts";
import { FxContainer } from "./modules.ts";
import { type BuildContext, moduleFromSpec, type ModuleSpec, moduleSpec } from "./module_types.ts";

/** A node argument in JSON. */
export type ArgJSON =
  | number
  | boolean
  | string
  | null
  | ArgJSON[]
  | { node: string }
  | { dtype: string }
  | { float: string }
  | { slice: [ArgJSON, ArgJSON, ArgJSON] }
  | { ellipsis: true }
  | { dict: Record<string, ArgJSON> };

/** A node in JSON. */
export interface NodeJSON {
  /** The node's name. */
  name: string;
  /** The op kind. */
  op: NodeOp;
  /** The target. */
  target: string;
  /** Positional arguments. */
  args: ArgJSON[];
  /** Keyword arguments. */
  kwargs: Record<string, ArgJSON>;
  /** The scope `[module path, module type or null]`, where recorded. */
  scope?: [string, string | null];
}

/** A tensor attribute's description. */
export interface AttributeJSON {
  /** PyTorch's dtype name (`float32`, `int64`). */
  dtype?: string;
  /** The shape. */
  shape?: number[];
  /** For non-tensor attributes: the Python type name. */
  type?: string;
}

/** A graph module in JSON. */
export interface GraphModuleJSON {
  /** `qint8-fx-graph/1`. */
  format: string;
  /** The nodes, in order. */
  nodes: NodeJSON[];
  /** Module specs by the path a node names. */
  modules: Record<string, ModuleSpec>;
  /** Tensor attributes by path. */
  attributes: Record<string, AttributeJSON>;
  /** Groups of observer nodes' targets that name one observer. */
  shared_observers?: string[][];
}

/** Encodes a node argument. */
export function encodeArg(a: Argument): ArgJSON {
  if (a instanceof Node) return { node: a.name };
  if (Array.isArray(a)) return a.map(encodeArg);
  if (isDTypeArg(a)) return { dtype: a.dtype };
  if (a instanceof SliceArg) return { slice: [a.start, a.stop, a.step] };
  if (a === ELLIPSIS) return { ellipsis: true };
  if (typeof a === "number" && !Number.isFinite(a)) {
    return { float: Number.isNaN(a) ? "nan" : a > 0 ? "inf" : "-inf" };
  }
  if (a !== null && typeof a === "object") {
    const d: Record<string, ArgJSON> = {};
    for (const [k, v] of Object.entries(a)) d[k] = encodeArg(v);
    return { dict: d };
  }
  return a as ArgJSON;
}

/**
 * Decodes a node argument, looking nodes up by name.
 * @throws {RangeError} for an unknown node or an encoding this library cannot hold.
 */
export function decodeArg(a: ArgJSON, lookup: (name: string) => Node): Argument {
  if (a === null || typeof a !== "object") return a;
  if (Array.isArray(a)) return a.map((x) => decodeArg(x, lookup));
  if ("node" in a) return lookup(a.node);
  if ("dtype" in a) return dtypeArg(a.dtype);
  if ("float" in a) return a.float === "nan" ? NaN : a.float.startsWith("-") ? -Infinity : Infinity;
  if ("slice" in a) {
    const [start, stop, step] = a.slice.map((v) => (v === null || typeof v === "number" ? v : NaN));
    if ([start, stop, step].some((v) => Number.isNaN(v))) {
      throw new RangeError(`argument: a slice with non-integer bounds ${show(a)}`);
    }
    return new SliceArg(start as number | null, stop as number | null, step as number | null);
  }
  if ("ellipsis" in a) return ELLIPSIS;
  if ("dict" in a) {
    const out: Record<string, Argument> = {};
    for (const [k, v] of Object.entries(a.dict)) out[k] = decodeArg(v, lookup);
    return out;
  }
  throw new RangeError(
    `argument: cannot decode ${show(a)} (a Python value this library cannot hold)`,
  );
}

/** The nodes of a graph as JSON (with scopes when given). */
export function graphToJSON(graph: Graph, scopes?: ReadonlyMap<string, Scope>): NodeJSON[] {
  return graph.nodes.map((n) => {
    const json: NodeJSON = {
      name: n.name,
      op: n.op,
      target: n.target,
      args: n.args.map(encodeArg),
      kwargs: Object.fromEntries(Object.entries(n.kwargs).map(([k, v]) => [k, encodeArg(v)])),
    };
    const s = scopes?.get(n.name);
    if (s !== undefined) json.scope = [s.path, s.type];
    return json;
  });
}

/**
 * A graph from JSON nodes (names kept), with the scopes they carry.
 * @throws {TypeError|RangeError} for malformed nodes or arguments naming unknown nodes.
 */
export function graphFromJSON(
  nodes: readonly NodeJSON[],
): { graph: Graph; scopes: Map<string, Scope> } {
  if (!Array.isArray(nodes)) throw new TypeError(`nodes: expected an array, got ${show(nodes)}`);
  const graph = new Graph();
  const byName = new Map<string, Node>();
  const scopes = new Map<string, Scope>();
  nodes.forEach((n, i) => {
    if (typeof n?.name !== "string" || !NODE_OPS.includes(n.op) || typeof n.target !== "string") {
      throw new TypeError(`nodes[${i}]: expected {name, op, target, args, kwargs}, got ${show(n)}`);
    }
    const lookup = (name: string) => {
      const node = byName.get(name);
      if (node === undefined) {
        throw new RangeError(`nodes[${i}] (${n.name}): unknown node ${show(name)}`);
      }
      return node;
    };
    const args = (n.args ?? []).map((a: ArgJSON) => decodeArg(a, lookup));
    const kwargs: Record<string, Argument> = {};
    for (const [k, v] of Object.entries(n.kwargs ?? {})) {
      kwargs[k] = decodeArg(v as ArgJSON, lookup);
    }
    const node = graph.createNode(n.op, n.target, args, kwargs as Kwargs, n.name);
    if (node.name !== n.name) {
      throw new RangeError(`nodes[${i}]: node name ${show(n.name)} is used twice or reserved`);
    }
    byName.set(n.name, node);
    if (n.scope !== undefined) scopes.set(n.name, { path: n.scope[0], type: n.scope[1] });
  });
  return { graph, scopes };
}

/** The groups of observer targets that name one observer instance (sorted). */
export function sharedObserverGroups(gm: GraphModule): string[][] {
  const byInstance = new Map<Module, string[]>();
  for (const n of gm.graph) {
    if (n.op !== "call_module") continue;
    const m = gm.getSubmodule(n.target);
    if (!isActivationPostProcess(m)) continue;
    byInstance.set(m, [...(byInstance.get(m) ?? []), n.target]);
  }
  return [...byInstance.values()].filter((g) => g.length > 1);
}

const DTYPE_NAMES: Record<string, string> = {
  F32: "float32",
  F64: "float64",
  I64: "int64",
  I32: "int32",
  I8: "int8",
  U8: "uint8",
  F16: "float16",
};

/** A graph module as JSON (weights and statistics go in its state dict). */
export function graphModuleToJSON(gm: GraphModule): GraphModuleJSON {
  const modules: Record<string, ModuleSpec> = {};
  const attributes: Record<string, AttributeJSON> = {};
  for (const n of gm.graph) {
    if (n.op === "call_module") modules[n.target] = moduleSpec(gm.getSubmodule(n.target));
    if (n.op !== "get_attr") continue;
    const v = gm.getAttr(n.target);
    if (v instanceof Tensor) attributes[n.target] = { dtype: "float32", shape: [...v.shape] };
    else if ("dtype" in v && "shape" in v) {
      const t = v as TypedTensor;
      attributes[n.target] = { dtype: DTYPE_NAMES[t.dtype] ?? t.dtype, shape: [...t.shape] };
    } else modules[n.target] = moduleSpec(v as Module);
  }
  return {
    format: "qint8-fx-graph/1",
    nodes: graphToJSON(gm.graph, gm.scopes),
    modules,
    attributes,
    shared_observers: sharedObserverGroups(gm),
  };
}

const TYPED: Record<string, TypedTensor["dtype"]> = {
  float64: "F64",
  int64: "I64",
  int32: "I32",
  int8: "I8",
  uint8: "U8",
  float16: "F16",
};

function installAt(
  root: Module,
  path: string,
  install: (owner: Module, field: string) => void,
): void {
  const parts = path.split(".");
  const field = parts.pop()!;
  let owner = root;
  for (const p of parts) {
    let next = owner.namedChildren({ removeDuplicate: false }).find(([n]) => n === p)?.[1];
    if (next === undefined) {
      next = new FxContainer();
      owner.registerModule(p, next);
    }
    owner = next;
  }
  install(owner, field);
}

/** Options of `graphModuleFromJSON`. */
export interface GraphModuleFromJSONOptions extends BuildContext {
  /** A state dict to load (strict) once the modules are built. */
  stateDict?: StateDictSource;
}

/**
 * Rebuilds a graph module from JSON: the graph, its modules from their specs (types this
 * library lacks become `UnsupportedModule`s), tensor attributes (float32 ones as parameters),
 * observers shared as recorded; then the state dict, when given.
 * @throws {TypeError|RangeError} for malformed JSON, specs or state.
 */
export function graphModuleFromJSON(
  json: GraphModuleJSON,
  options: GraphModuleFromJSONOptions = {},
): GraphModule {
  if (typeof json !== "object" || json === null || json.format !== "qint8-fx-graph/1") {
    throw new TypeError(
      `json: expected a qint8-fx-graph/1 object, got ${show(json?.format ?? json)}`,
    );
  }
  const { graph, scopes } = graphFromJSON(json.nodes);
  const gm = new GraphModule(graph, scopes);
  const paths = Object.keys(json.modules ?? {}).sort((a, b) =>
    a.split(".").length - b.split(".").length
  );
  const built = new Map<string, Module>();
  for (const path of paths) {
    const inside = [...built.keys()].some((p) => path.startsWith(`${p}.`));
    if (inside) continue;
    const m = moduleFromSpec(json.modules[path], options, path);
    built.set(path, m);
    installAt(gm, path, (owner, field) => owner.registerModule(field, m));
  }
  for (const group of json.shared_observers ?? []) {
    const shared = built.get(group[0]);
    if (shared === undefined) {
      throw new RangeError(`shared_observers: unknown observer ${show(group[0])}`);
    }
    for (const path of group.slice(1)) {
      installAt(gm, path, (owner, field) => owner.registerModule(field, shared));
    }
  }
  for (const [path, a] of Object.entries(json.attributes ?? {})) {
    if (a.shape === undefined || a.dtype === undefined) {
      throw new RangeError(
        `attributes.${path}: a ${a.type ?? "non-tensor"} attribute cannot be rebuilt`,
      );
    }
    const size = a.shape.reduce((x, y) => x * y, 1);
    installAt(gm, path, (owner, field) => {
      if (a.dtype === "float32") {
        owner.registerParameter(field, new Tensor(new Float32Array(size), a.shape));
        return;
      }
      const dtype = TYPED[a.dtype!];
      if (dtype === undefined) {
        throw new RangeError(`attributes.${path}: unsupported dtype ${a.dtype}`);
      }
      owner.registerBuffer(
        field,
        { dtype, shape: a.shape!, data: new (arrayTypeOf(dtype))(size) } as TypedTensor,
      );
    });
  }
  gm.ops = options.ops;
  if (options.stateDict !== undefined) gm.loadStateDict(options.stateDict);
  return gm;
}
