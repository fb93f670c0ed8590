/**
 * `GraphModule`: a module whose forward is a graph (torch.fx's GraphModule). It holds the graph,
 * the submodules, parameters and buffers the graph's `call_module` and `get_attr` nodes name
 * (copied by reference from the module it was made from, intermediate paths as plain
 * containers), each node's scope (the module whose forward made it, which QConfigMapping and
 * convert use), and the kernels its quantize nodes run on. `forward` interprets the graph;
 * `run` does the same and reports every node's value; `code` and `toString` print it.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { Module, type ModuleBuffer } from "../module.ts";
import { Hardtanh, ReLU6, Sigmoid, Tanh } from "../modules/activation.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { dispatch } from "./dispatch.ts";
import { isChannelsLastFloat, markChannelsLast, propagateChannelsLast } from "./_values.ts";
import { adaptiveAvgPool2dChannelsLast } from "./float_ops.ts";
import { AdaptiveAvgPool2d } from "../modules/pool.ts";
import { type Argument, formatArg, Graph, mapArg, type Node } from "./graph.ts";
import { FxContainer } from "./modules.ts";
import {
  quantizedHardtanh,
  quantizedRelu6,
  quantizedSigmoid,
  quantizedTanh,
} from "./quantized_ops.ts";

/** Where a node was made: the path and PyTorch type of the module whose forward made it. */
export interface Scope {
  /** The module path (`""` for the root). */
  readonly path: string;
  /** The module's PyTorch type name, or null for the root scope. */
  readonly type: string | null;
}

/** The root scope. */
export const ROOT_SCOPE: Scope = Object.freeze({ path: "", type: null });

/** Options of `GraphModule.fromRoot`. */
export interface GraphModuleOptions {
  /** The scope of each node by name (default: the root scope for all). */
  scopes?: ReadonlyMap<string, Scope>;
  /** Constants to attach by attribute name (tensor constants of tracing, packed weights). */
  constants?: ReadonlyMap<string, Tensor | Module | ModuleBuffer>;
}

/** Options of `GraphModule.run`. */
export interface RunOptions {
  /** Called with every node and its value, in order. */
  onNode?: (node: Node, value: unknown) => void;
}

/** Modules whose float forward PyTorch also runs on a quantized tensor, with that version. */
const QUANTIZED_FORWARD = new Map<unknown, (m: Module, x: QTensor) => QTensor>([
  [ReLU6, (_m, x) => quantizedRelu6(x)],
  // After convert, nn.Sigmoid / nn.Tanh run on quantized tensors with fixed output qparams.
  [Sigmoid, (_m, x) => quantizedSigmoid(x)],
  [Tanh, (_m, x) => quantizedTanh(x)],
  // QNNPACK's clamp layout (see quantizedHardtanh), which the eager module does not model.
  [Hardtanh, (m, x) => quantizedHardtanh(x, (m as Hardtanh).minVal, (m as Hardtanh).maxVal)],
]);

/** A module that runs a graph (`torch.fx.GraphModule`). */
export class GraphModule extends Module {
  /** The graph. */
  graph: Graph;
  /** The scope of each node, by node name (PyTorch's `node_name_to_scope`). */
  scopes: Map<string, Scope>;
  /** The kernels `quantize_per_tensor` nodes run on (set by `convertFx`). */
  ops: QuantizedOps | undefined = undefined;
  /** What convert left float and why (one line per node). */
  notes: string[] = [];

  /** An empty graph module; use `fromRoot`. */
  constructor(graph: Graph = new Graph(), scopes: ReadonlyMap<string, Scope> = new Map()) {
    super();
    this.graph = graph;
    this.scopes = new Map(scopes);
  }

  /**
   * A GraphModule running `graph` with the attributes it needs taken from `root` (shared, not
   * copied), as `GraphModule(root, graph)`: intermediate module paths become plain containers
   * holding only what the graph uses.
   * @throws {RangeError} when a `call_module` or `get_attr` target does not exist in `root`.
   */
  static fromRoot(root: Module, graph: Graph, options: GraphModuleOptions = {}): GraphModule {
    const gm = new GraphModule(graph, options.scopes ?? new Map());
    gm.training = root.training;
    for (const [name, value] of options.constants ?? []) {
      if (value instanceof Module) gm.registerModule(name, value);
      else gm.registerBuffer(name, value);
    }
    for (const node of graph) {
      if (node.op !== "call_module" && node.op !== "get_attr") continue;
      if (options.constants?.has(node.target)) continue;
      copyAttr(root, gm, node.target);
    }
    return gm;
  }

  /** Runs the graph on `inputs` (one per placeholder). */
  forward(...inputs: unknown[]): unknown {
    return this.run(inputs);
  }

  /**
   * Interprets the graph: placeholders take `inputs` in order, `get_attr` reads attributes,
   * `call_module` calls submodules, `call_function`/`call_method` run the op (or record it
   * when tracing through this module).
   * @throws {RangeError} for missing inputs; the ops' own errors, prefixed with the node name.
   */
  run(inputs: readonly unknown[], options: RunOptions = {}): unknown {
    const env = new Map<Node, unknown>();
    const load = (a: Argument): unknown => resolve(a, env);
    let placeholder = 0;
    for (const node of this.graph) {
      let value: unknown;
      try {
        value = this.runNode(node, load, () => {
          if (placeholder >= inputs.length) {
            throw new RangeError(
              `inputs: the graph has more placeholders than the ${inputs.length} inputs given`,
            );
          }
          return inputs[placeholder++];
        });
      } catch (e) {
        if (e instanceof Error && !e.message.startsWith("node ")) {
          e.message = `node ${node.name} (${node.op} ${node.target}): ${e.message}`;
        }
        throw e;
      }
      if (node.op === "output") return value;
      env.set(node, value);
      options.onNode?.(node, value);
    }
    throw new Error("graph: no output node");
  }

  private runNode(node: Node, load: (a: Argument) => unknown, input: () => unknown): unknown {
    const args = node.args.map(load);
    const kwargs = load(node.kwargs as Argument) as Record<string, unknown>;
    switch (node.op) {
      case "placeholder":
        return input();
      case "get_attr":
        return this.getAttr(node.target);
      case "output":
        return args[0];
      case "call_module": {
        const m = this.getSubmodule(node.target);
        if (Object.keys(kwargs).length > 0) {
          throw new RangeError(`keyword arguments to a module call are not supported`);
        }
        const quantized = QUANTIZED_FORWARD.get(m.constructor);
        if (quantized !== undefined && args[0] instanceof QTensor) return quantized(m, args[0]);
        if (m instanceof AdaptiveAvgPool2d && isChannelsLastFloat(args[0])) {
          // PyTorch pools a channels-last float tensor with its channels-last kernel.
          const out = adaptiveAvgPool2dChannelsLast(args[0] as Tensor, m.outputSize);
          return markChannelsLast(out, true);
        }
        const out = (m.forward as (...a: unknown[]) => unknown).apply(m, args);
        propagateChannelsLast(node.target, args, out);
        return out;
      }
      default:
        return dispatch(node.op, node.target, args, kwargs, { ops: this.ops });
    }
  }

  /**
   * The value of an attribute path: a parameter, buffer or submodule.
   * @throws {RangeError} naming the path when nothing is there.
   */
  getAttr(target: string): Tensor | ModuleBuffer | Module {
    const dot = target.lastIndexOf(".");
    const owner = dot < 0 ? this : this.getSubmodule(target.slice(0, dot));
    const field = target.slice(dot + 1);
    const value = owner.getParameter(field) ?? owner.getBuffer(field) ??
      owner.namedChildren({ removeDuplicate: false }).find(([n]) => n === field)?.[1];
    if (value === undefined || value === null) {
      throw new RangeError(`get_attr ${target}: no parameter, buffer or module at this path`);
    }
    return value;
  }

  /** Python-like code of the forward (PyTorch's `gm.code`, simplified). */
  get code(): string {
    const placeholders = this.graph.nodes.filter((n) => n.op === "placeholder");
    const lines = [`def forward(self, ${placeholders.map((n) => n.target).join(", ")}):`];
    const fmt = (a: Argument): string => formatArg(mapArg(a, (n) => n.name as never) as Argument);
    for (const n of this.graph) {
      const args = [
        ...n.args.map(fmt),
        ...Object.entries(n.kwargs).map(([k, v]) => `${k} = ${fmt(v)}`),
      ];
      if (n.op === "placeholder") continue;
      if (n.op === "output") lines.push(`    return ${fmt(n.args[0])}`);
      else if (n.op === "get_attr") lines.push(`    ${n.name} = self.${n.target}`);
      else if (n.op === "call_module") {
        lines.push(`    ${n.name} = self.${n.target}(${args.join(", ")})`);
      } else if (n.op === "call_method") {
        lines.push(`    ${n.name} = ${fmt(n.args[0])}.${n.target}(${args.slice(1).join(", ")})`);
      } else lines.push(`    ${n.name} = ${n.target}(${args.join(", ")})`);
    }
    return lines.join("\n");
  }

  /** The module tree, then the code, as PyTorch prints a GraphModule. */
  override toString(): string {
    return `${super.toString()}\n\n\n\n${this.code}`;
  }
}

function resolve(a: Argument, env: Map<Node, unknown>): unknown {
  return mapArg(a, (n) => {
    if (!env.has(n)) throw new RangeError(`argument ${n.name} has no value yet`);
    return env.get(n) as Argument;
  });
}

function childNamed(m: Module, name: string): Module | undefined {
  return m.namedChildren({ removeDuplicate: false }).find(([n]) => n === name)?.[1];
}

/** `_copy_attr`: installs `root`'s attribute at `target` into `gm`, creating containers. */
function copyAttr(root: Module, gm: Module, target: string): void {
  const parts = target.split(".");
  const field = parts.pop()!;
  let from = root;
  let to = gm;
  for (const item of parts) {
    const f = childNamed(from, item);
    if (f === undefined) {
      throw new RangeError(`target ${target}: ${from.getName()} has no submodule "${item}"`);
    }
    let t = childNamed(to, item);
    if (t === f) return; // a parent is installed already: it carries everything below it
    if (t === undefined) {
      t = new FxContainer();
      to.registerModule(item, t);
    }
    from = f;
    to = t;
  }
  const p = from.getParameter(field);
  if (p !== null) return void to.registerParameter(field, p);
  const b = from.getBuffer(field);
  if (b !== null) return void to.registerBuffer(field, b);
  const m = childNamed(from, field);
  if (m !== undefined) return void to.registerModule(field, m);
  // A plain tensor attribute: a buffer here (PyTorch keeps a plain attribute, outside its state
  // dict), so that the state dict carries it through JSON like the `_tensor_constant`s.
  const plain = (from as unknown as Record<string, unknown>)[field];
  if (plain instanceof Tensor) return void to.registerBuffer(field, plain);
  throw new RangeError(
    `target ${target}: ${from.getName()} has no parameter, buffer or submodule "${field}" ` +
      `(${show(field)})`,
  );
}
