/**
 * `symbolicTrace`: records a module's forward as a graph, as torch.fx's symbolic tracing with
 * PyTorch's QuantizationTracer does. The forward runs once with a `Proxy` per argument
 * (placeholders named after the forward's parameters); graph-mode functional calls on proxies
 * (`fx.torch.cat`, `fx.F.relu`, `fx.operator.add`, `fx.method.view`, …) become `call_function` /
 * `call_method` nodes, calls of leaf modules (the library's `torch.nn` modules, fused modules,
 * observers) become `call_module` nodes, and user modules and Sequential are traced through.
 * Parameters and buffers used as arguments become `get_attr` nodes; other tensors become
 * `_tensor_constant<i>` attributes. Each node records its scope (the module whose forward made
 * it), as the QuantizationTracer's `node_name_to_scope`.
 *
 * A FloatFunctional is traced as PyTorch's prepare_fx traces it after swapping it for
 * FXFloatFunctional: `add` is `torch.add`, `add_relu` is `torch.add` then
 * `torch.nn.functional.relu`, `cat(xs, dim)` is `torch.cat(xs, dim=dim)`.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { show, typeName } from "../_util.ts";
import { Module } from "../module.ts";
import { FloatFunctional } from "../modules/float_functional.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { type Argument, Graph, isConstantArg, type Kwargs } from "./graph.ts";
import { GraphModule, ROOT_SCOPE, type Scope } from "./graph_module.ts";
import { isLeafModule, typeNameOf } from "./module_types.ts";
import { Proxy, type Recorder } from "./proxy.ts";

/** Options of `symbolicTrace`. */
export interface TraceOptions {
  /** Module paths traced as leaves although they are not library modules. */
  leafModules?: readonly string[];
}

/**
 * The names of a function's parameters from its source (`forward(x, y)` → `["x", "y"]`).
 * @throws {TypeError} for rest parameters or destructuring, which tracing cannot name.
 */
export function parameterNames(fn: (...args: never[]) => unknown): string[] {
  const src = Function.prototype.toString.call(fn);
  const open = src.indexOf("(");
  if (open < 0) throw new TypeError(`forward: cannot read the parameters of ${show(fn)}`);
  let depth = 0;
  let close = -1;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    }
  }
  const params: string[] = [];
  let current = "";
  depth = 0;
  for (const c of src.slice(open + 1, close)) {
    if (c === "(" || c === "[" || c === "{") depth++;
    if (c === ")" || c === "]" || c === "}") depth--;
    if (c === "," && depth === 0) {
      params.push(current);
      current = "";
    } else current += c;
  }
  if (current.trim() !== "") params.push(current);
  return params.map((p) => {
    const name = p.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "").split("=")[0].trim();
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new TypeError(
        `forward: parameter ${show(p.trim())} cannot be traced (use plain named parameters)`,
      );
    }
    return name;
  });
}

/** The tracer (torch.fx `Tracer` with the QuantizationTracer's leaf rule and scopes). */
export class Tracer implements Recorder {
  /** The graph being built. */
  readonly graph = new Graph();
  /** The scope of each node by name. */
  readonly scopes = new Map<string, Scope>();
  /** Tensor constants by attribute name. */
  readonly constants = new Map<string, Tensor>();
  private scope: Scope = ROOT_SCOPE;
  private root!: Module;
  private paths = new Map<Module, string>();
  private tensorNames = new Map<Tensor, string>();
  private readonly leafPaths: ReadonlySet<string>;

  /** A tracer; `leafModules` adds module paths to the leaves. */
  constructor(options: TraceOptions = {}) {
    this.leafPaths = new Set(options.leafModules ?? []);
  }

  /** Whether tracing stops at `m` (reached at `path`). */
  isLeaf(m: Module, path: string): boolean {
    return isLeafModule(m) || this.leafPaths.has(path);
  }

  /** Records a node with the current scope and returns its proxy. */
  record(
    op: "call_function" | "call_method" | "call_module",
    target: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
  ): Proxy {
    return this.proxy(
      this.graph.createNode(
        op,
        target,
        trimTrailing(args).map((a) => this.createArg(a)),
        this.createArg(dropUndefined(kwargs)) as Kwargs,
      ),
    );
  }

  private proxy(node: ReturnType<Graph["createNode"]>): Proxy {
    this.scopes.set(node.name, this.scope);
    return new Proxy(node, this);
  }

  /**
   * A value as a node argument (`create_arg`): proxies become their nodes, parameters and
   * buffers of the root `get_attr` nodes, other tensors constants.
   * @throws {TypeError} for values a graph cannot hold (modules, quantized tensors, functions).
   */
  createArg(a: unknown): Argument {
    if (a instanceof Proxy) {
      if (a.recorder !== this) throw new TypeError("a proxy of another trace reached this one");
      return a.node;
    }
    if (a instanceof Tensor) return this.tensorArg(a);
    if (a === null || typeof a === "number" || typeof a === "boolean" || typeof a === "string") {
      return a;
    }
    if (a === undefined) return null;
    if (Array.isArray(a)) return a.map((x) => this.createArg(x));
    if (isConstantArg(a)) return a as Argument;
    if (a instanceof Module || a instanceof QTensor || typeof a === "function") {
      throw new TypeError(`a graph argument cannot be ${show(a)}`);
    }
    if (typeof a === "object" && Object.getPrototypeOf(a) === Object.prototype) {
      const out: Record<string, Argument> = {};
      for (const [k, v] of Object.entries(a)) out[k] = this.createArg(v);
      return out;
    }
    throw new TypeError(`a graph argument cannot be ${show(a)}`);
  }

  private tensorArg(t: Tensor): Argument {
    let name = this.tensorNames.get(t);
    if (name === undefined) {
      let i = 0;
      while (this.constants.has(`_tensor_constant${i}`)) i++;
      name = `_tensor_constant${i}`;
      this.constants.set(name, t);
      this.tensorNames.set(t, name);
    }
    return this.proxy(this.graph.getAttr(name)).node;
  }

  /**
   * Traces `root.forward` into `this.graph`.
   * @throws {TypeError} when the forward's parameters cannot be named or the forward does
   * something a proxy cannot stand for.
   */
  trace(root: Module): Graph {
    this.root = root;
    this.paths = new Map(root.namedModules().map(([p, m]) => [m, p]));
    this.tensorNames = new Map();
    for (const [p, t] of root.namedParameters()) this.tensorNames.set(t, p);
    for (const [p, b] of root.namedBuffers()) if (b instanceof Tensor) this.tensorNames.set(b, p);
    // Plain tensor attributes (not registered) are read by get_attr too (`tensor_attrs`).
    for (const [prefix, m] of root.namedModules()) {
      for (const [key, value] of Object.entries(m)) {
        if (value instanceof Tensor && !this.tensorNames.has(value)) {
          this.tensorNames.set(value, prefix === "" ? key : `${prefix}.${key}`);
        }
      }
    }
    const forward = Object.getPrototypeOf(root).forward as (...a: unknown[]) => unknown;
    const names = parameterNames(forward as never);
    const inputs = names.map((n) => this.proxy(this.graph.placeholder(n)));
    const restore = this.patch(root);
    let out: unknown;
    try {
      out = forward.apply(root, inputs);
    } finally {
      restore();
    }
    this.graph.output(this.createArg(out));
    this.scopes.set("output", ROOT_SCOPE);
    return this.graph;
  }

  /** Installs recording forwards on every submodule; returns the undo. */
  private patch(root: Module): () => void {
    const undo: (() => void)[] = [];
    const define = (m: object, key: string, value: unknown) => {
      const own = Object.getOwnPropertyDescriptor(m, key);
      Object.defineProperty(m, key, { value, writable: true, configurable: true });
      undo.push(() => {
        if (own === undefined) delete (m as Record<string, unknown>)[key];
        else Object.defineProperty(m, key, own);
      });
    };
    for (const [path, m] of root.namedModules()) {
      if (m === root) continue;
      const original = m.forward as (...a: unknown[]) => unknown;
      const call = (self: Module, args: unknown[]) => this.callModule(self, path, original, args);
      define(m, "forward", function (this: Module, ...args: unknown[]) {
        return call(this, args);
      });
      if (m instanceof FloatFunctional) this.patchFloatFunctional(m, define);
    }
    return () => {
      for (const u of undo.reverse()) u();
    };
  }

  /** `call_module`: a node for a leaf, else the forward traced inside the module's scope. */
  private callModule(
    m: Module,
    path: string,
    forward: (...a: unknown[]) => unknown,
    args: unknown[],
  ): unknown {
    const outer = this.scope;
    this.scope = { path: this.paths.get(m) ?? path, type: typeNameOf(m) };
    try {
      if (this.isLeaf(m, path)) return this.record("call_module", this.scope.path, args, {});
      return forward.apply(m, args);
    } finally {
      this.scope = outer;
    }
  }

  /** FXFloatFunctional's methods, recorded as the functions they call. */
  private patchFloatFunctional(
    m: FloatFunctional,
    define: (m: object, key: string, value: unknown) => void,
  ): void {
    const fn = (target: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
      this.record("call_function", target, args, kwargs);
    define(m, "add", (x: unknown, y: unknown) => fn("torch.add", [x, y]));
    define(m, "addScalar", (x: unknown, c: number) => fn("torch.add", [x, c]));
    define(m, "mul", (x: unknown, y: unknown) => fn("torch.mul", [x, y]));
    define(m, "mulScalar", (x: unknown, c: number) => fn("torch.mul", [x, c]));
    define(m, "cat", (xs: unknown[], dim = 0) => fn("torch.cat", [xs], { dim }));
    define(
      m,
      "addRelu",
      (x: unknown, y: unknown) =>
        fn("torch.nn.functional.relu", [fn("torch.add", [x, y])], { inplace: false }),
    );
  }
}

function trimTrailing(args: readonly unknown[]): unknown[] {
  const out = [...args];
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return out;
}

function dropUndefined(kwargs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(kwargs).filter(([, v]) => v !== undefined));
}

/**
 * Traces `root`'s forward into a GraphModule that shares `root`'s submodules and parameters
 * (torch.fx's `symbolic_trace` with PyTorch's QuantizationTracer).
 * @example
 * ```ts
 * class Net extends Module {
 *   conv = new Conv2d(3, 8, 3);
 *   forward(x: Tensor): Tensor {
 *     return fx.F.relu(fx.operator.add(this.conv.forward(x), 1));
 *   }
 * }
 * const gm = symbolicTrace(new Net());
 * console.log(String(gm.graph));
 * ```
 * @throws {TypeError} when `root` is not a Module or its forward cannot be traced.
 */
export function symbolicTrace(root: Module, options: TraceOptions = {}): GraphModule {
  if (!(root instanceof Module)) {
    throw new TypeError(`root: expected a Module, got ${typeName(root)}`);
  }
  if (root instanceof GraphModule) {
    // Re-tracing a graph module gives its own graph (PyTorch's retrace is equivalent).
    const gm = GraphModule.fromRoot(root, root.graph.clone(), { scopes: root.scopes });
    gm.ops = root.ops;
    return gm;
  }
  const tracer = new Tracer(options);
  const graph = tracer.trace(root);
  return GraphModule.fromRoot(root, graph, {
    scopes: tracer.scopes,
    constants: tracer.constants,
  });
}
