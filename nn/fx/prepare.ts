/**
 * `prepareFx` / `prepareQatFx` (torch/ao/quantization/quantize_fx.py, fx/prepare.py of PyTorch
 * 1.13): trace, fuse by pattern, give every node its qconfig, swap weighted modules for their QAT
 * versions (QAT), match the backend's quantization patterns, infer each node's target dtypes,
 * and insert observers exactly where PyTorch inserts them:
 *
 * - an input observer where an argument's dtype differs from what the pattern's input needs
 *   (reusing an observer of the same class and dtype already observing that argument), a weight
 *   observer on `get_attr` weights of functional linear/conv, a dynamic-quantization placeholder
 *   before a dynamically quantized op;
 * - an output observer after the last node of each statically quantized pattern (the backend's
 *   fixed-qparams observer for sigmoid/tanh/hardsigmoid);
 * - ops whose output shares its input's qparams (pools, relu, flatten, view, cat, …) point their
 *   output observer at the input's observer instance (one observer module under two names), or
 *   drop it when none is found; `cat` makes all its inputs share one observer;
 * - a pattern whose dtypes the backend does not support stays float (no observers).
 *
 * Observers are modules `activation_post_process_<i>` of the returned GraphModule, numbered as
 * PyTorch numbers them. As in PyTorch, the prepared model shares the input model's submodules
 * (and PTQ fusion replaces them in the graph module only).
 * @module
 */
import type { Observer } from "../../reference/observers/observer.ts";
import {
  float16DynamicQConfig,
  float16StaticQConfig,
  type QConfig,
} from "../../reference/qconfig.ts";
import { show, typeName } from "../_util.ts";
import { convertModules } from "../flows/convert.ts";
import { QAT_MODULE_MAPPINGS } from "../flows/mappings.ts";
import { Module } from "../module.ts";
import { isActivationPostProcess, wrapObserver } from "../observer_module.ts";
import {
  type BackendConfig,
  type DTypeConfig,
  type DTypeWithConstraints,
  FIXED_QPARAMS_OP_TO_OBSERVER,
  fixedQParamsFakeQuantize,
  getNativeBackendConfig,
} from "./backend_config.ts";
import { fuseFx, type NodePattern, rootNodeOf } from "./fuse.ts";
import { type Argument, type Graph, Node } from "./graph.ts";
import { GraphModule } from "./graph_module.ts";
import {
  allNodeArgsHaveNoTensors,
  findMatches,
  type MatchResult,
  type QuantizeHandler,
} from "./match.ts";
import { typeNameOf } from "./module_types.ts";
import { moduleMap } from "./pattern.ts";
import { factoryEquals, type QConfigAny, QConfigMapping } from "./qconfig_mapping.ts";
import {
  activationIsInt8Quantized,
  activationIsStaticallyQuantized,
  generateQConfigMap,
  innerObserver,
  propagateQConfig,
  qconfigDTypes,
  updateQConfigForFusion,
  updateQConfigForQat,
} from "./qconfig_utils.ts";
import { isReuseInputQConfig } from "./reuse_input_observer.ts";
import { symbolicTrace } from "./tracer.ts";

/** Options of `prepareFx` and `prepareQatFx`. */
export interface PrepareFxOptions {
  /** The backend's patterns and dtypes (default: PyTorch's native config). */
  backendConfig?: BackendConfig;
}

/** What prepare leaves for convert (PyTorch's `ObservedGraphModule` attributes). */
export interface FxState {
  /** Each node's qconfig (`_qconfig_map`). */
  readonly qconfigMap: ReadonlyMap<string, QConfigAny>;
  /** The mapping after the fusion and QAT updates (`_qconfig_mapping`). */
  readonly qconfigMapping: QConfigMapping;
  /** QAT (`_is_qat`). */
  readonly isQat: boolean;
  /** The nodes of observed patterns (`_observed_node_names`). */
  readonly observedNodeNames: ReadonlySet<string>;
}

const FX_STATE = new WeakMap<GraphModule, FxState>();

/** The prepare state of a graph module, or undefined when it was not made by prepareFx. */
export function fxStateOf(gm: GraphModule): FxState | undefined {
  return FX_STATE.get(gm);
}

/** Attaches prepare state (used by `prepareFx` and by graph modules rebuilt from JSON). */
export function setFxState(gm: GraphModule, state: FxState): void {
  FX_STATE.set(gm, state);
}

/** A dtype a node's value is expected to have (PyTorch dtypes and Python `int`/`float`). */
type DType = string;
/** `(dtype, is_dynamic)`, or null where PyTorch has None. */
type DTypeInfo = readonly [DType, boolean] | null;
interface TargetDTypes {
  input: DTypeInfo;
  output: DTypeInfo;
  weight?: DTypeInfo;
  bias?: DTypeInfo;
}

/** `DO_NOT_OBS_DTYPE_LIST`: Python ints and floats, bools, None. */
const DO_NOT_OBSERVE = new Set<DType | null>(["py_int", "py_float", "bool", null]);
const NON_QUANTIZABLE_WEIGHT_OPS = new Set([
  "torch.nn.functional.layer_norm",
  "torch.nn.functional.group_norm",
  "torch.nn.functional.instance_norm",
]);

type Match = MatchResult & { readonly qconfig: QConfigAny };

function first(info: DTypeInfo, what: string, node: Node): DType {
  if (info === null) {
    throw new TypeError(`node ${node.name}: ${what} dtype is None (PyTorch fails here too)`);
  }
  return info[0];
}

/** `node_arg_is_weight` / `node_arg_is_bias`: by the functional op's input_type_to_index. */
export function nodeArgIs(
  role: "weight" | "bias",
  node: Node,
  arg: unknown,
  backendConfig: BackendConfig,
): boolean {
  if (node.op !== "call_function") return false;
  const config = backendConfig.get(node.target);
  if (config === undefined) return false;
  const index = config.inputTypeToIndex?.[role];
  if (index !== undefined && index < node.args.length && node.args[index] === arg) return true;
  return node.kwargs[role] === arg;
}

/** `_qconfig_satisfies_dtype_config_constraints`. */
function satisfiesConstraints(
  qconfig: QConfigAny,
  constraints: DTypeWithConstraints | null,
  isActivation = true,
): boolean {
  if (qconfig === null || constraints === null) return true;
  const o = innerObserver((isActivation ? qconfig.activation : qconfig.weight).create()) as
    & Observer
    & {
      quantMin?: number;
      quantMax?: number;
      eps?: number;
    };
  if (o.dtype !== constraints.dtype) return true;
  const { quantMinLowerBound: lo, quantMaxUpperBound: hi, scaleMinLowerBound: eps } = constraints;
  if (lo !== undefined && hi !== undefined) {
    if (o.quantMin === undefined || o.quantMax === undefined) return false;
    if (o.quantMin < lo || o.quantMax > hi) return false;
  }
  if (eps !== undefined) {
    if (o.eps === undefined || o.eps < eps) return false;
  }
  return true;
}

/** The prepare pass over one graph module (`prepare` of fx/prepare.py). */
class Preparer {
  readonly dtypes = new Map<string, TargetDTypes>();
  readonly observedNodeNames = new Set<string>();
  private modules: Map<string, Module>;

  constructor(
    readonly model: GraphModule,
    readonly matches: ReadonlyMap<string, Match>,
    readonly qconfigMap: ReadonlyMap<string, QConfigAny>,
    readonly backendConfig: BackendConfig,
    readonly isQat: boolean,
  ) {
    this.modules = moduleMap(model);
  }

  get graph(): Graph {
    return this.model.graph;
  }

  /** `get_target_activation_dtype_for_node`. */
  private targetDTypes(
    node: Node,
    qconfig: QConfigAny,
    handler: QuantizeHandler | undefined,
  ): TargetDTypes {
    const float: TargetDTypes = { input: ["float32", false], output: ["float32", false] };
    if (node.op === "placeholder" || node.op === "get_attr" || node.op === "output") return float;
    if (allNodeArgsHaveNoTensors(node, this.modules)) return { input: null, output: null };
    if (node.op === "call_function" && node.target === "operator.getitem") return float;
    if (qconfig !== null && handler !== undefined && handler.inputOutputObserved()) {
      const [act, weight, compute] = qconfigDTypes(qconfig);
      const dynamic = compute !== null;
      const bias = act === "float16" && weight === "float16" && compute === null
        ? "float16"
        : "float32";
      return {
        input: [act, dynamic],
        weight: [weight, false],
        bias: [bias, false],
        output: [dynamic ? "float32" : act, false],
      };
    }
    return float;
  }

  /** `maybe_propagate_dtype_for_node`. */
  private propagateDType(node: Node, dtype: DType): void {
    const d = this.dtypes.get(node.name)!;
    d.input = [dtype, false];
    d.output = [dtype, false];
    const handler = this.matches.get(node.name)?.handler;
    if (handler?.isGeneralTensorValueOp() && node.args[0] instanceof Node) {
      this.propagateDType(node.args[0], dtype);
    }
  }

  /** `propagate_dtypes_for_known_nodes` (NON_OBSERVABLE_ARG_DICT). */
  private propagateKnownDTypes(): void {
    for (const node of this.graph) {
      if (node.op !== "call_method") continue;
      const rules = NON_OBSERVABLE_ARGS[node.target];
      if (rules === undefined) continue;
      for (const [dtype, indices] of rules) {
        for (const i of indices(node)) {
          const arg = node.args[i];
          for (const a of Array.isArray(arg) ? arg : [arg]) {
            if (a instanceof Node) this.propagateDType(a, dtype);
          }
        }
      }
    }
  }

  /** `get_arg_target_dtype_as_output`. */
  private outputDType(arg: Node): DType | null {
    if (this.isObserverNode(arg)) {
      return first(this.dtypes.get((arg.args[0] as Node).name)!.output, "output", arg);
    }
    const info = this.dtypes.get(arg.name)!.output;
    return info === null ? null : info[0];
  }

  /** `get_arg_target_dtype_as_input_to_node`. */
  private inputDType(arg: Node, node: Node): DType | null {
    const d = this.dtypes.get(node.name)!;
    if (nodeArgIs("weight", node, arg, this.backendConfig)) {
      if (NON_QUANTIZABLE_WEIGHT_OPS.has(node.target)) return null;
      return first(need(d.weight, "weight_dtype", node), "weight", node);
    }
    if (nodeArgIs("bias", node, arg, this.backendConfig)) {
      return first(need(d.bias, "bias_dtype", node), "bias", node);
    }
    return first(d.input, "input activation", node);
  }

  private isObserverNode(n: unknown): boolean {
    if (!(n instanceof Node) || n.op !== "call_module") return false;
    const m = this.modules.get(n.target);
    return m !== undefined && isActivationPostProcess(m);
  }

  /** `is_input_arg_dtype_supported_by_backend`. */
  private inputSupported(arg: Argument, node: Node, qconfig: QConfigAny, dc: DTypeConfig): boolean {
    if (Array.isArray(arg)) return arg.every((a) => this.inputSupported(a, node, qconfig, dc));
    if (!(arg instanceof Node)) return true;
    const d = this.dtypes.get(node.name)!;
    if (nodeArgIs("weight", node, arg, this.backendConfig)) {
      return dc.weight === null ||
        (first(need(d.weight, "weight_dtype", node), "weight", node) === dc.weight.dtype &&
          satisfiesConstraints(qconfig, dc.weight, false));
    }
    if (nodeArgIs("bias", node, arg, this.backendConfig)) {
      return dc.bias === null || first(need(d.bias, "bias_dtype", node), "bias", node) === dc.bias;
    }
    const [dtype, dynamic] = d.input ?? [null, null];
    return dc.input === null ||
      (dc.input.dtype === dtype && Boolean(dc.isDynamic) === Boolean(dynamic) &&
        satisfiesConstraints(qconfig, dc.input));
  }

  /** `_is_pattern_dtype_config_and_qconfig_supported_by_backend`. */
  private supportedByBackend(match: Match | undefined): boolean {
    if (match === undefined) return true;
    const configs = this.backendConfig.get(match.pattern)?.dtypeConfigs ?? [];
    const input = rootNodeOf(match.nodePattern);
    const output = (match.nodePattern as NodePattern[])[0] as Node;
    return configs.some((dc) => {
      const args = [...input.args, ...Object.values(input.kwargs)];
      if (!args.every((a) => this.inputSupported(a, input, match.qconfig, dc))) return false;
      return dc.output === null ||
        (first(this.dtypes.get(output.name)!.output, "output", output) === dc.output.dtype &&
          satisfiesConstraints(match.qconfig, dc.output));
    });
  }

  /** `insert_observer`: `activation_post_process_<i>` after `node`. */
  private insertObserver(node: Node, observer: Module): Node {
    let i = 0;
    while (hasAttr(this.model, `activation_post_process_${i}`)) i++;
    const name = `activation_post_process_${i}`;
    this.model.registerModule(name, observer);
    this.modules.set(name, observer);
    return this.graph.insertingAfter(node, () => this.graph.callModule(name, [node]));
  }

  /** `maybe_insert_input_observer_for_arg_or_kwarg`. */
  private maybeObserveInput(node: Node, arg: Argument, qconfig: QConfig): Argument {
    if (Array.isArray(arg)) return arg.map((a) => this.maybeObserveInput(node, a, qconfig));
    if (!(arg instanceof Node)) return arg;
    const isWeight = nodeArgIs("weight", node, arg, this.backendConfig);
    const reuse = isReuseInputQConfig(qconfig);
    const ctr = isWeight ? qconfig.weight : qconfig.activation;
    const asOutput = this.outputDType(arg);
    const asInput = this.inputDType(arg, node);
    const isActivation = !isWeight && !nodeArgIs("bias", node, arg, this.backendConfig);
    const d = this.dtypes.get(node.name)!;
    const dynamic = isActivation && d.input !== null ? d.input[1] : false;
    const needsObserver = (!dynamic && asOutput !== asInput && asInput !== "float32" &&
      !DO_NOT_OBSERVE.has(asOutput) && !reuse) || (dynamic && arg === node.args[0]);
    if (!needsObserver) return arg;
    const observer = wrapObserver(ctr.create());
    for (const user of arg.users) {
      if (user.op !== "call_module") continue;
      const m = this.modules.get(user.target)!;
      if (typeNameOf(m) === typeNameOf(observer) && (m as { dtype?: string }).dtype === asInput) {
        return user;
      }
    }
    return this.insertObserver(arg, observer);
  }

  /** `maybe_insert_output_observer_for_node`. */
  private maybeObserveOutput(node: Node): Node | undefined {
    const match = this.matches.get(node.name);
    if (match === undefined) return undefined;
    const qconfig = match.qconfig!;
    const info = this.dtypes.get(node.name)!.output;
    if (info === null) throw new TypeError(`node ${node.name}: output dtype is None`);
    if (DO_NOT_OBSERVE.has(info[0]) || info[0] === "float32") return undefined;
    if (!activationIsStaticallyQuantized(qconfig)) return undefined;
    const ctr = activationIsInt8Quantized(qconfig)
      ? match.handler.activationCtr(qconfig, this.isQat)
      : qconfig.activation;
    return this.insertObserver(node, wrapObserver(ctr.create()));
  }

  /** `is_observer_in_same_graph`. */
  private observerInSameGraph(node: Node): boolean {
    const out = this.outputDType(node);
    const a = node.args[0];
    return !(a instanceof Node && out === "quint8" && a.op === "placeholder");
  }

  /** `maybe_make_input_output_share_observers`. */
  private shareObservers(node: Node): boolean {
    const firstArg = node.args.find((a) => a instanceof Node || Array.isArray(a));
    if (firstArg === undefined) return false;
    let x: unknown = Array.isArray(firstArg) ? firstArg[0] : firstArg;
    while (!this.isObserverNode(x)) {
      if (!(x instanceof Node) || x.op === "placeholder") return false;
      let back: unknown = undefined;
      for (const a of x.args) {
        back = a;
        if (a instanceof Node) break;
      }
      if (back === undefined) return false;
      x = back;
    }
    const shared = this.modules.get((x as Node).target)!;
    if (Array.isArray(firstArg)) {
      for (let i = 1; i < firstArg.length; i++) {
        let input = firstArg[i] as Node;
        while (!this.isObserverNode(input)) {
          if (input.args.length < 1) return false;
          input = input.args[0] as Node;
        }
        this.model.registerModule(input.target, shared);
      }
    }
    for (const user of node.users) this.model.registerModule(user.target, shared);
    return true;
  }

  /** `remove_output_observer`. */
  private removeOutputObserver(node: Node): void {
    for (const user of [...node.users]) {
      user.replaceAllUsesWith(node);
      this.graph.eraseNode(user);
    }
  }

  /** `insert_observers_for_model`. */
  run(): void {
    for (const node of this.graph) {
      const match = this.matches.get(node.name);
      this.dtypes.set(node.name, this.targetDTypes(node, match?.qconfig ?? null, match?.handler));
    }
    this.propagateKnownDTypes();
    for (const node of this.graph.nodes) {
      if (node.op === "placeholder" || node.op === "get_attr" || node.op === "output") continue;
      const match = this.matches.get(node.name);
      const qconfig = match?.qconfig ?? null;
      const getitem = node.op === "call_function" && node.target === "operator.getitem";
      const skip = qconfig === null || getitem;
      const supported = this.supportedByBackend(match);
      if (skip || !supported || match === undefined) continue;
      this.modules = moduleMap(this.model);
      addNames(match.nodePattern, this.observedNodeNames);
      if (node === rootNodeOf(match.nodePattern)) {
        node.args = node.args.map((a) => this.maybeObserveInput(node, a, qconfig));
        const kwargs: Record<string, Argument> = {};
        for (const [k, v] of Object.entries(node.kwargs)) {
          kwargs[k] = this.maybeObserveInput(node, v, qconfig);
        }
        node.kwargs = kwargs;
      }
      if (node !== match.lastNode) continue;
      const observer = this.maybeObserveOutput(node);
      if (observer === undefined) continue;
      for (const user of [...node.users]) {
        if (user !== observer) user.replaceInputWith(node, observer);
      }
      const sharesInput = match.handler.isGeneralTensorValueOp() && this.observerInSameGraph(node);
      if (sharesInput || isReuseInputQConfig(qconfig)) {
        if (!this.shareObservers(node)) this.removeOutputObserver(node);
      }
    }
  }
}

function need<T>(v: T | undefined, key: string, node: Node): T {
  if (v === undefined) throw new TypeError(`node ${node.name}: no ${key} (PyTorch's KeyError)`);
  return v;
}

function addNames(p: NodePattern, into: Set<string>): void {
  if (p instanceof Node) into.add(p.name);
  else for (const q of p as NodePattern[]) addNames(q, into);
}

function hasAttr(m: Module, name: string): boolean {
  return m.namedChildren({ removeDuplicate: false }).some(([n]) => n === name) ||
    m.getParameter(name) !== null || m.getBuffer(name) !== null || name in m;
}

const exceptFirst = (n: Node) => n.args.map((_, i) => i).slice(1);
const only = (...indices: number[]) => (n: Node) => indices.filter((i) => i < n.args.length);

/** `NON_OBSERVABLE_ARG_DICT`: method arguments known not to be float tensors. */
const NON_OBSERVABLE_ARGS: Record<string, [DType, (n: Node) => number[]][]> = {
  masked_fill: [["bool", only(1)], ["py_float", only(2)]],
  permute: [["py_int", exceptFirst]],
  repeat: [["py_int", exceptFirst]],
  reshape: [["py_int", exceptFirst]],
  size: [["py_int", only(1)]],
  transpose: [["py_int", exceptFirst]],
  unsqueeze: [["py_int", only(1)]],
  unsqueeze_: [["py_int", only(1)]],
  view: [["py_int", exceptFirst]],
};

/**
 * `_validate_fixed_qparams_qconfigs`: a fixed-qparams op (sigmoid, tanh, …) must be configured
 * with its fixed-qparams observer (or fake quant), a float16 placeholder, or nothing.
 * @throws {Error} naming the node and its type otherwise.
 */
function validateFixedQParamsQConfigs(
  model: GraphModule,
  qconfigMap: ReadonlyMap<string, QConfigAny>,
): void {
  const modules = moduleMap(model);
  for (const node of model.graph) {
    const key = node.op === "call_function"
      ? node.target
      : node.op === "call_module"
      ? typeNameOf(modules.get(node.target)!)
      : undefined;
    const fixed = key === undefined ? undefined : FIXED_QPARAMS_OP_TO_OBSERVER.get(key);
    if (fixed === undefined) continue;
    const q = qconfigMap.get(node.name) ?? null;
    if (q === null) continue;
    const allowed = [float16DynamicQConfig.activation, float16StaticQConfig.activation, fixed];
    const ok = allowed.some((ctr) =>
      factoryEquals(q.activation, fixedQParamsFakeQuantize(ctr)) || factoryEquals(q.activation, ctr)
    );
    if (!ok) {
      throw new Error(
        `QConfigMapping must specify fixed qparams observer for fixed qparams op '${node.format()}' ` +
          `type: '${key}'. Please use getDefaultQConfigMapping or getDefaultQatQConfigMapping ` +
          `instead, e.g. prepareFx(model, getDefaultQConfigMapping("qnnpack"), exampleInputs)`,
      );
    }
  }
}

/**
 * The prepare pass on a traced (and fused) graph module, in place (`prepare` of fx/prepare.py).
 * @returns the observed graph module (a new GraphModule sharing the modules)
 */
export function prepareGraphModule(
  model: GraphModule,
  qconfigMapping: QConfigMapping,
  isQat: boolean,
  backendConfig: BackendConfig,
): GraphModule {
  const mapping = qconfigMapping.clone();
  updateQConfigForFusion(model, mapping);
  propagateQConfig(model, mapping);
  if (isQat) {
    convertModules(model, QAT_MODULE_MAPPINGS, {});
    updateQConfigForQat(mapping);
  }
  const modules = moduleMap(model);
  const qconfigMap = generateQConfigMap(modules, model.graph, mapping, model.scopes);
  validateFixedQParamsQConfigs(model, qconfigMap);
  const matches = new Map<string, Match>();
  for (const [name, m] of findMatches(model.graph, modules, backendConfig)) {
    if (!qconfigMap.has(name)) throw new Error(`node ${name}: no qconfig (PyTorch's KeyError)`);
    matches.set(name, { ...m, qconfig: qconfigMap.get(name)! });
  }
  const preparer = new Preparer(model, matches, qconfigMap, backendConfig, isQat);
  preparer.run();
  const observed = GraphModule.fromRoot(model, model.graph, { scopes: model.scopes });
  setFxState(observed, {
    qconfigMap,
    qconfigMapping: mapping,
    isQat,
    observedNodeNames: preparer.observedNodeNames,
  });
  return observed;
}

function checkArgs(model: unknown, qconfigMapping: unknown, exampleInputs: unknown): void {
  if (!(model instanceof Module)) {
    throw new TypeError(`model: expected a Module, got ${typeName(model)}`);
  }
  if (!(qconfigMapping instanceof QConfigMapping)) {
    throw new TypeError(
      `qconfigMapping: expected a QConfigMapping (e.g. getDefaultQConfigMapping("qnnpack")), got ${
        show(qconfigMapping)
      }`,
    );
  }
  if (!Array.isArray(exampleInputs)) {
    throw new TypeError(
      `exampleInputs: expected an array of the forward's inputs, got ${show(exampleInputs)}`,
    );
  }
}

function prepareImpl(
  model: Module,
  qconfigMapping: QConfigMapping,
  isQat: boolean,
  exampleInputs: readonly unknown[],
  options: PrepareFxOptions,
): GraphModule {
  checkArgs(model, qconfigMapping, exampleInputs);
  const backendConfig = options.backendConfig ?? getNativeBackendConfig();
  const traced = symbolicTrace(model);
  const fused = fuseFx(traced, isQat, backendConfig);
  return prepareGraphModule(fused, qconfigMapping, isQat, backendConfig);
}

/**
 * `prepare_fx(model, qconfig_mapping, example_inputs, backend_config=...)`: the model traced,
 * fused (PTQ folds BatchNorm, which needs eval mode) and observed; run calibration
 * data through it, then `convertFx`.
 * @example
 * ```ts
 * const prepared = prepareFx(model.eval(), getDefaultQConfigMapping("qnnpack"), [x], {
 *   backendConfig: getQnnpackBackendConfig(),
 * });
 * for (const batch of calibration) prepared.forward(batch);
 * const quantized = convertFx(prepared, { kernels: bestKernelSet("qnnpack") });
 * ```
 * @throws {TypeError} for a bad argument; {Error} when tracing, fusion or the qconfigs fail as
 * PyTorch's would (e.g. a fixed-qparams op without its fixed-qparams observer).
 */
export function prepareFx(
  model: Module,
  qconfigMapping: QConfigMapping,
  exampleInputs: readonly unknown[],
  options: PrepareFxOptions = {},
): GraphModule {
  return prepareImpl(model, qconfigMapping, false, exampleInputs, options);
}

/**
 * `prepare_qat_fx(model, qconfig_mapping, example_inputs, backend_config=...)`: traced, fused
 * keeping BatchNorm (ConvBn2d, ConvBnReLU2d, LinearBn1d), weighted modules swapped for their
 * QAT versions, observers and fake quants inserted; train it, then `convertFx`.
 * @throws {TypeError} for a bad argument; {Error} as `prepareFx`.
 */
export function prepareQatFx(
  model: Module,
  qconfigMapping: QConfigMapping,
  exampleInputs: readonly unknown[],
  options: PrepareFxOptions = {},
): GraphModule {
  return prepareImpl(model, qconfigMapping, true, exampleInputs, options);
}
