/**
 * The graph IR of graph mode, as torch.fx's `Graph` and `Node` (torch/fx/graph.py, node.py):
 * a doubly linked list of nodes, each a `placeholder` (a forward argument), `get_attr` (a
 * parameter, buffer or constant of the module), `call_module` (a child module's forward),
 * `call_function` (a function such as `torch.cat`), `call_method` (a tensor method such as
 * `view`) or the single `output`. Targets are strings: module and attribute paths, method names,
 * and for functions PyTorch's qualified names (`operator.add`, `torch.nn.functional.relu`,
 * `torch.ops.quantized.add_relu`), so a graph traced here and one traced by PyTorch compare
 * node for node and serialise to the same JSON.
 *
 * The list, the users of each node (in PyTorch's order: a node whose arguments change moves to
 * the end of its inputs' user lists), node naming, insertion points and iteration while the
 * graph changes follow torch.fx exactly, because prepare and convert depend on them.
 * @module
 */
import { show } from "../_util.ts";
import { Namespace, targetToName } from "./_names.ts";

/** The six node kinds of torch.fx. */
export type NodeOp =
  | "placeholder"
  | "get_attr"
  | "call_module"
  | "call_function"
  | "call_method"
  | "output";

/** The node kinds, for validation. */
export const NODE_OPS: readonly NodeOp[] = [
  "placeholder",
  "get_attr",
  "call_module",
  "call_function",
  "call_method",
  "output",
];

/** A dtype constant in a node's arguments (`torch.quint8`). */
export class DTypeArg {
  /** The dtype name without `torch.` (`quint8`, `qint8`, `float16`, `float32`). */
  readonly dtype: string;

  /** @internal use `dtypeArg`. */
  constructor(dtype: string) {
    this.dtype = dtype;
    Object.freeze(this);
  }
}

/** A Python slice in a node's arguments (`x[:, 1:8]`); null for an omitted bound. */
export class SliceArg {
  /** The start, or null. */
  readonly start: number | null;
  /** The stop, or null. */
  readonly stop: number | null;
  /** The step, or null. */
  readonly step: number | null;

  /** A slice `start:stop:step`. */
  constructor(start: number | null = null, stop: number | null = null, step: number | null = null) {
    this.start = start;
    this.stop = stop;
    this.step = step;
    Object.freeze(this);
  }
}

/** Python's `...` in a node's arguments. */
export const ELLIPSIS: Readonly<{ ellipsis: true }> = Object.freeze({ ellipsis: true as const });

/**
 * A node argument: another node, a Python constant (number, bool, string, None = `null`), a
 * dtype, a slice or `...`, a list or tuple (an array), or a dict of arguments.
 */
export type Argument =
  | Node
  | number
  | boolean
  | string
  | null
  | DTypeArg
  | SliceArg
  | typeof ELLIPSIS
  | readonly Argument[]
  | { readonly [key: string]: Argument };

/** Keyword arguments of a node. */
export type Kwargs = { readonly [key: string]: Argument };

/** A dtype argument (`torch.quint8` → `dtypeArg("quint8")`). */
export function dtypeArg(dtype: string): DTypeArg {
  return new DTypeArg(dtype);
}

/** Whether `a` is a dtype argument. */
export function isDTypeArg(a: unknown): a is DTypeArg {
  return a instanceof DTypeArg;
}

/** Whether `a` is an argument constant other than a plain value (dtype, slice, `...`). */
export function isConstantArg(a: unknown): boolean {
  return a instanceof DTypeArg || a instanceof SliceArg || a === ELLIPSIS;
}

/** Applies `fn` to every node inside an argument structure (`torch.fx.node.map_arg`). */
export function mapArg(a: Argument, fn: (n: Node) => Argument): Argument {
  if (a instanceof Node) return fn(a);
  if (Array.isArray(a)) return a.map((x) => mapArg(x, fn));
  if (typeof a === "object" && a !== null && !isConstantArg(a)) {
    const out: Record<string, Argument> = {};
    for (const [k, v] of Object.entries(a)) out[k] = mapArg(v, fn);
    return out;
  }
  return a;
}

/** Every node in an argument structure, in order (with repeats). */
export function nodesIn(a: Argument): Node[] {
  const out: Node[] = [];
  mapArg(a, (n) => {
    out.push(n);
    return n;
  });
  return out;
}

/** One operation of a graph (`torch.fx.Node`). */
export class Node {
  /** The graph this node belongs to. */
  readonly graph: Graph;
  /** The unique name (the variable name in generated code). */
  readonly name: string;
  /** The kind of operation. */
  readonly op: NodeOp;
  /**
   * What is called or read: the placeholder's argument name, an attribute or module path
   * (`conv1.weight`, `layer1.0.conv1`), a method name (`view`) or a function's qualified name
   * (`torch.cat`). Lowering changes it in place, as PyTorch does.
   */
  target: string;
  /** The users of this node's value, in PyTorch's order (an insertion-ordered set). */
  readonly users: Set<Node> = new Set();
  /** Free-form data of the passes (PyTorch's `node.meta`). */
  readonly meta: Record<string, unknown> = {};
  /** @internal linked list */
  prev: Node;
  /** @internal linked list */
  next: Node;
  /** @internal set when erased (iteration skips it) */
  erased = false;
  private argsValue: readonly Argument[] = [];
  private kwargsValue: Kwargs = {};
  private inputs: Node[] = [];

  /** @internal Use `Graph.createNode`. */
  constructor(graph: Graph, name: string, op: NodeOp, target: string) {
    this.graph = graph;
    this.name = name;
    this.op = op;
    this.target = target;
    this.prev = this;
    this.next = this;
  }

  /** The positional arguments. */
  get args(): readonly Argument[] {
    return this.argsValue;
  }

  /** Sets the positional arguments (the users of old and new inputs are updated). */
  set args(args: readonly Argument[]) {
    this.update(args, this.kwargsValue);
  }

  /** The keyword arguments. */
  get kwargs(): Kwargs {
    return this.kwargsValue;
  }

  /** Sets the keyword arguments. */
  set kwargs(kwargs: Kwargs) {
    this.update(this.argsValue, kwargs);
  }

  /** The distinct nodes this node reads, in argument order (`all_input_nodes`). */
  get allInputNodes(): Node[] {
    return [...this.inputs];
  }

  /**
   * `__update_args_kwargs`: this node leaves its old inputs' user lists and joins its new
   * inputs' at the end, as in PyTorch (the order of users matters to prepare and convert).
   */
  private update(args: readonly Argument[], kwargs: Kwargs): void {
    for (const old of this.inputs) old.users.delete(this);
    // Copies, not frozen: a deep copy of a graph must copy the nodes inside them.
    this.argsValue = [...args];
    this.kwargsValue = { ...kwargs };
    const inputs = new Set<Node>();
    for (const a of [...this.argsValue, ...Object.values(this.kwargsValue)]) {
      for (const n of nodesIn(a)) inputs.add(n);
    }
    this.inputs = [...inputs];
    for (const n of this.inputs) n.users.add(this);
  }

  /** Replaces `old` by `replacement` in this node's arguments (`replace_input_with`). */
  replaceInputWith(old: Node, replacement: Node): void {
    const swap = (n: Node) => (n === old ? replacement : n);
    this.update(
      this.argsValue.map((a) => mapArg(a, swap)),
      mapArg(this.kwargsValue, swap) as Kwargs,
    );
  }

  /**
   * Makes every user read `replacement` instead of this node (`replace_all_uses_with`).
   * @returns the users that were changed
   */
  replaceAllUsesWith(replacement: Node, keep: (user: Node) => boolean = () => false): Node[] {
    const changed: Node[] = [];
    for (const user of [...this.users]) {
      if (keep(user)) continue;
      user.replaceInputWith(this, replacement);
      changed.push(user);
    }
    return changed;
  }

  /** Appends `n` right after this node (`Node.append`). */
  append(n: Node): void {
    this.next.prepend(n);
  }

  /** Moves `n` right before this node (`Node.prepend`). */
  prepend(n: Node): void {
    n.removeFromList();
    const p = this.prev;
    p.next = n;
    n.prev = p;
    n.next = this;
    this.prev = n;
  }

  /** @internal unlinks; the node keeps its own links, as PyTorch's `_remove_from_list`. */
  removeFromList(): void {
    const p = this.prev;
    const n = this.next;
    p.next = n;
    n.prev = p;
  }

  /** The line PyTorch prints for this node in `str(graph)` (`format_node`). */
  format(): string {
    if (this.op === "placeholder") {
      return `%${this.name} : [#users=${this.users.size}] = placeholder[target=${this.target}]`;
    }
    if (this.op === "get_attr") {
      return `%${this.name} : [#users=${this.users.size}] = get_attr[target=${this.target}]`;
    }
    if (this.op === "output") return `return ${pythonStr(this.args[0])}`;
    return `%${this.name} : [#users=${this.users.size}] = ${this.op}[target=${this.target}](` +
      `args = ${formatTuple(this.args)}, kwargs = ${formatArg(this.kwargs)})`;
  }

  /** The node's name. */
  toString(): string {
    return this.name;
  }
}

/**
 * How PyTorch prints an argument (`_format_arg`; nodes as `%name`, or with `nodePrefix` `""` as
 * `str` prints them); arrays print as lists.
 */
export function formatArg(a: Argument, nodePrefix = "%"): string {
  if (a instanceof Node) return `${nodePrefix}${a.name}`;
  if (Array.isArray(a)) return `[${a.map((x) => formatArg(x, nodePrefix)).join(", ")}]`;
  if (a === null) return "None";
  if (a === true) return "True";
  if (a === false) return "False";
  if (isDTypeArg(a)) return `torch.${a.dtype}`;
  if (a instanceof SliceArg) {
    const b = (v: number | null) => (v === null ? "None" : String(v));
    return `slice(${b(a.start)}, ${b(a.stop)}, ${b(a.step)})`;
  }
  if (a === ELLIPSIS) return "Ellipsis";
  if (typeof a === "object") {
    return `{${Object.entries(a).map(([k, v]) => `${k}: ${formatArg(v, nodePrefix)}`).join(", ")}}`;
  }
  if (typeof a === "number" && !Number.isFinite(a)) {
    return Number.isNaN(a) ? "nan" : a > 0 ? "inf" : "-inf";
  }
  return String(a);
}

/**
 * Python's `str` of an output value: nodes by name, the items of lists and dicts by `repr`
 * (strings quoted).
 */
function pythonStr(a: Argument, nested = false): string {
  if (a instanceof Node) return a.name;
  if (Array.isArray(a)) return `[${a.map((x) => pythonStr(x, true)).join(", ")}]`;
  if (typeof a === "string") {
    return nested ? `'${a.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : a;
  }
  if (
    a !== null && typeof a === "object" && !isDTypeArg(a) && !(a instanceof SliceArg) &&
    a !== ELLIPSIS
  ) {
    return `{${
      Object.entries(a).map(([k, v]) => `${pythonStr(k, true)}: ${pythonStr(v, true)}`).join(", ")
    }}`;
  }
  return formatArg(a, "");
}

function formatTuple(args: readonly Argument[]): string {
  return `(${args.map((a) => formatArg(a)).join(", ")}${args.length === 1 ? "," : ""})`;
}

/** A graph of nodes (`torch.fx.Graph`). */
export class Graph {
  /** The sentinel of the circular node list. */
  private readonly root: Node;
  private readonly namespace = new Namespace();
  /**
   * Where new nodes go: before `anchor` (the root: at the end), or right after it
   * (`inserting_after`, which puts each new node right after the anchor).
   */
  private insertPoint: { anchor: Node; after: boolean };
  private count = 0;

  /** An empty graph. */
  constructor() {
    this.root = new Node(this, "", "output", "");
    this.insertPoint = { anchor: this.root, after: false };
  }

  /** The number of nodes. */
  get length(): number {
    return this.count;
  }

  /**
   * The nodes in order. Like PyTorch's node list this is live: nodes inserted after the current
   * one while iterating are visited, erased ones are skipped.
   */
  *[Symbol.iterator](): IterableIterator<Node> {
    for (let cur = this.root.next; cur !== this.root; cur = cur.next) {
      if (!cur.erased) yield cur;
    }
  }

  /** The nodes, last first (live, as `reversed(graph.nodes)`). */
  *reversed(): IterableIterator<Node> {
    for (let cur = this.root.prev; cur !== this.root; cur = cur.prev) {
      if (!cur.erased) yield cur;
    }
  }

  /** The nodes as an array (a snapshot). */
  get nodes(): Node[] {
    return [...this];
  }

  /** The node named `name`, or undefined. */
  findNode(name: string): Node | undefined {
    for (const n of this) if (n.name === name) return n;
    return undefined;
  }

  /**
   * Creates a node at the insertion point (`create_node`); its name comes from `name` or the
   * target, made unique as PyTorch makes it.
   * @throws {RangeError} for an unknown op or a target that is not a string.
   */
  createNode(
    op: NodeOp,
    target: string,
    args: readonly Argument[] = [],
    kwargs: Kwargs = {},
    name?: string,
  ): Node {
    if (!NODE_OPS.includes(op)) {
      throw new RangeError(`op: expected one of ${NODE_OPS.join(", ")}, got ${show(op)}`);
    }
    if (typeof target !== "string" || target === "") {
      throw new RangeError(`target: expected a non-empty string, got ${show(target)}`);
    }
    for (const n of [...args, ...Object.values(kwargs)].flatMap(nodesIn)) {
      if (n.graph !== this || n.erased) {
        throw new RangeError(
          `args: node ${n.name} ${n.erased ? "was erased" : "belongs to another graph"}`,
        );
      }
    }
    const node = new Node(
      this,
      this.namespace.createName(name ?? targetToName(op, target)),
      op,
      target,
    );
    node.args = args;
    node.kwargs = kwargs;
    const { anchor, after } = this.insertPoint;
    if (after) anchor.append(node);
    else anchor.prepend(node);
    this.count++;
    return node;
  }

  /** A `placeholder` node for the forward argument `name`. */
  placeholder(name: string): Node {
    return this.createNode("placeholder", name);
  }

  /** A `get_attr` node reading `target` (a dotted attribute path). */
  getAttr(target: string): Node {
    return this.createNode("get_attr", target);
  }

  /** A `call_module` node. */
  callModule(target: string, args: readonly Argument[] = [], kwargs: Kwargs = {}): Node {
    return this.createNode("call_module", target, args, kwargs);
  }

  /** A `call_function` node (`target`: the function's qualified name). */
  callFunction(target: string, args: readonly Argument[] = [], kwargs: Kwargs = {}): Node {
    return this.createNode("call_function", target, args, kwargs);
  }

  /** A `call_method` node. */
  callMethod(target: string, args: readonly Argument[] = [], kwargs: Kwargs = {}): Node {
    return this.createNode("call_method", target, args, kwargs);
  }

  /** The `output` node returning `value`. */
  output(value: Argument): Node {
    return this.createNode("output", "output", [value]);
  }

  /**
   * Runs `fn` with new nodes inserted right before `node` (`inserting_before`); the previous
   * insertion point is restored afterwards.
   */
  insertingBefore<T>(node: Node, fn: () => T): T {
    return this.withInsertPoint({ anchor: node, after: false }, fn);
  }

  /**
   * Runs `fn` with each new node inserted right after `node` (`inserting_after`): as in
   * PyTorch, several new nodes end up in reverse order of creation.
   */
  insertingAfter<T>(node: Node, fn: () => T): T {
    return this.withInsertPoint({ anchor: node, after: true }, fn);
  }

  private withInsertPoint<T>(point: { anchor: Node; after: boolean }, fn: () => T): T {
    if (point.anchor.graph !== this || point.anchor.erased) {
      throw new RangeError(`node ${point.anchor.name} is not in this graph`);
    }
    const saved = this.insertPoint;
    this.insertPoint = point;
    try {
      return fn();
    } finally {
      this.insertPoint = saved;
    }
  }

  /**
   * Removes a node that has no users (`erase_node`); its arguments are cleared so that its
   * inputs lose it as a user.
   * @throws {Error} when the node still has users.
   */
  eraseNode(node: Node): void {
    if (node.graph !== this) throw new RangeError(`node ${node.name} belongs to another graph`);
    if (node.users.size > 0) {
      throw new Error(
        `Tried to erase Node ${node.name} but it still had ${node.users.size} users in the ` +
          `graph: ${[...node.users].map((u) => u.name).join(", ")}`,
      );
    }
    if (node.erased) return;
    node.removeFromList();
    node.erased = true;
    this.count--;
    node.args = node.args.map((a) => mapArg(a, () => null));
    node.kwargs = mapArg(node.kwargs, () => null) as Kwargs;
  }

  /**
   * Copies `node` (from any graph) into this one at the insertion point, its node arguments
   * mapped by `argMap` (`node_copy`); the copy keeps the name when it is free.
   */
  nodeCopy(node: Node, argMap: (n: Node) => Argument): Node {
    const copy = this.createNode(
      node.op,
      node.target,
      node.args.map((a) => mapArg(a, argMap)),
      mapArg(node.kwargs, argMap) as Kwargs,
      node.name,
    );
    Object.assign(copy.meta, node.meta);
    return copy;
  }

  /**
   * A copy of this graph with the same node names (`copy.deepcopy(graph)`): its namespace
   * holds only the names of the copied nodes, as PyTorch's copy does.
   */
  clone(): Graph {
    const g = new Graph();
    const env = new Map<Node, Node>();
    for (const n of this) env.set(n, g.nodeCopy(n, (a) => env.get(a)!));
    return g;
  }

  /**
   * Removes nodes without users other than placeholders and the output, last first
   * (`eliminate_dead_code`; calls to `keep` nodes are kept, like PyTorch's impure modules).
   * @returns whether anything was removed
   */
  eliminateDeadCode(keep: (n: Node) => boolean = () => false): boolean {
    this.lint();
    let changed = false;
    for (const n of this.reversed()) {
      if (n.op === "placeholder" || n.op === "output" || keep(n)) continue;
      if (n.users.size === 0) {
        this.eraseNode(n);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Checks the graph (`lint`): nodes of this graph with unique names that read only earlier
   * nodes of this graph, and (beyond PyTorch's checks) users lists that agree with arguments.
   * Like PyTorch's, it does not require the output node to come last.
   * @throws {Error} naming the first problem.
   */
  lint(): void {
    const seen = new Set<Node>();
    const names = new Set<string>();
    for (const n of this) {
      if (n.graph !== this) throw new Error(`graph lint: node ${n.name} belongs to another graph`);
      for (const input of n.allInputNodes) {
        if (input.graph !== this || input.erased) {
          throw new Error(`graph lint: node ${n.name} reads ${input.name}, not in this graph`);
        }
        if (!seen.has(input)) {
          throw new Error(`graph lint: node ${n.name} reads ${input.name} before it is defined`);
        }
        if (!input.users.has(n)) {
          throw new Error(`graph lint: ${input.name}.users lacks ${n.name}`);
        }
      }
      seen.add(n);
      if (names.has(n.name)) throw new Error(`graph lint: node name ${n.name} is used twice`);
      names.add(n.name);
    }
  }

  /** PyTorch's printout: `graph():` then one line per node. */
  toString(): string {
    return ["graph():", ...this.nodes.map((n) => `    ${n.format()}`)].join("\n");
  }
}
