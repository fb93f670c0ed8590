/**
 * Quantization pattern matching (torch/ao/quantization/fx/match_utils.py `find_matches`,
 * backend_config_utils.py): from the last node backwards, each node not yet matched is tried
 * against the backend's patterns (longest first); every node of a match maps to the match's
 * last node, its nodes, the pattern and a `QuantizeHandler` that says how the pattern is
 * observed (its observation type, from the number of tensor arguments for binary ops; the
 * output observer override of fixed-qparams ops).
 * @module
 */
import type { ObserverFactory, QConfig } from "../../reference/qconfig.ts";
import type { Module } from "../module.ts";
import { isActivationPostProcess } from "../observer_module.ts";
import type {
  BackendConfig,
  BackendPatternConfig,
  DTypeConfig,
  ObservationType,
  Pattern,
} from "./backend_config.ts";
import type { Argument, Graph, Node } from "./graph.ts";
import { Node as NodeClass } from "./graph.ts";
import { isMatch, sortPatterns } from "./pattern.ts";
import { activationDType } from "./qconfig_utils.ts";
import type { NodePattern } from "./fuse.ts";

/**
 * `all_node_args_have_no_tensors` (fx/utils.py), including its quirks: a float constant among
 * the arguments counts as a tensor, a node without arguments does not have "no tensors".
 */
export function allNodeArgsHaveNoTensors(
  node: Argument,
  modules: ReadonlyMap<string, Module>,
): boolean {
  if (!(node instanceof NodeClass)) return true;
  if (node.op === "placeholder") return false;
  if (node.op === "call_module") {
    const m = modules.get(node.target);
    return m !== undefined && isActivationPostProcess(m)
      ? allNodeArgsHaveNoTensors(node.args[0], modules)
      : false;
  }
  if (node.op === "call_function" && node.target === "operator.getitem") {
    return allNodeArgsHaveNoTensors(node.args[0], modules);
  }
  if (node.op === "get_attr") return false;
  if (
    node.op === "call_function" && node.target === "getattr" &&
    (node.args[1] === "ndim" || node.args[1] === "shape")
  ) return true;
  if (node.op === "call_method" && node.target === "size") return true;
  let result = false;
  for (const arg of node.args) {
    if (Array.isArray(arg)) {
      for (const el of arg) {
        if (el instanceof NodeClass && !allNodeArgsHaveNoTensors(el, modules)) return false;
      }
    } else if ((typeof arg === "number" && Number.isInteger(arg)) || typeof arg === "boolean") {
      // ints (and bools, Python ints) are not tensors
    } else if (arg instanceof NodeClass) {
      if (!allNodeArgsHaveNoTensors(arg, modules)) return false;
    } else {
      return false;
    }
    result = true;
  }
  return result;
}

/** How a matched pattern is quantized (`QuantizeHandler` / `ConfigurableQuantizeHandler`). */
export class QuantizeHandler {
  /** The matched nodes. */
  readonly nodePattern: NodePattern;
  /** The pattern's input node (its innermost first op). */
  readonly rootNode: Node;
  /** The root node's arguments that may be tensors. */
  readonly numTensorArgs: number;
  /** How the output is observed. */
  readonly observationType: ObservationType;
  /** The supported dtype configurations. */
  readonly dtypeConfigs: readonly DTypeConfig[];
  private readonly config: BackendPatternConfig;

  /**
   * The handler of one match.
   * @throws {Error} when a binary op's tensor-argument count has no observation type.
   */
  constructor(
    nodePattern: NodePattern,
    modules: ReadonlyMap<string, Module>,
    config: BackendPatternConfig,
  ) {
    this.nodePattern = nodePattern;
    let root: NodePattern = nodePattern;
    while (Array.isArray(root)) root = root[root.length - 1];
    this.rootNode = root as Node;
    this.numTensorArgs =
      this.rootNode.args.filter((a) =>
        a instanceof NodeClass && !allNodeArgsHaveNoTensors(a, modules)
      ).length;
    this.config = config;
    const byArgs = config.numTensorArgsToObservationType;
    if (byArgs !== undefined) {
      const t = byArgs[this.numTensorArgs];
      if (t === undefined) {
        throw new Error(
          `Must provide observation_type config for tensor number ${this.numTensorArgs} in ` +
            `num_tensor_args_to_observation_type for ${JSON.stringify(config.pattern)}`,
        );
      }
      this.observationType = t;
    } else {
      this.observationType = config.observationType;
    }
    this.dtypeConfigs = config.dtypeConfigs;
  }

  /** Whether the output shares its input's observer (`is_general_tensor_value_op`). */
  isGeneralTensorValueOp(): boolean {
    return this.observationType === "output_share_observer_with_input";
  }

  /** Whether inputs and outputs are observed (`input_output_observed`). */
  inputOutputObserved(): boolean {
    return this.config.inputOutputObserved ?? true;
  }

  /** The output observer's constructor (`get_activation_ctr`): overridden for quint8. */
  activationCtr(qconfig: QConfig, isTraining: boolean): ObserverFactory {
    if (activationDType(qconfig) === "quint8") {
      const override = isTraining
        ? this.config.overwriteOutputFakeQuantize
        : this.config.overwriteOutputObserver;
      if (override !== undefined) return override;
    }
    return qconfig.activation;
  }
}

/** A match: its last node, its nodes, the pattern, the handler. */
export interface MatchResult {
  readonly lastNode: Node;
  readonly nodePattern: NodePattern;
  readonly pattern: Pattern;
  readonly handler: QuantizeHandler;
}

/** `find_matches`: node name → its match. */
export function findMatches(
  graph: Graph,
  modules: ReadonlyMap<string, Module>,
  backendConfig: BackendConfig,
): Map<string, MatchResult> {
  const patterns = sortPatterns(backendConfig.configs.map((c) => [c.pattern, c] as const));
  const matches = new Map<string, MatchResult>();
  const record = (pattern: Pattern, node: Argument, into: NodePattern[]) => {
    if (typeof pattern === "string") {
      into.push(node as Node);
      return;
    }
    const [self, ...args] = pattern;
    const current: NodePattern[] = [];
    record(self, node, into);
    args.forEach((p, i) => record(p as Pattern, (node as Node).args[i], current));
    into.push(current.length > 1 ? current : current[0]);
  };
  const mark = (p: NodePattern, result: MatchResult) => {
    if (p instanceof NodeClass) matches.set(p.name, result);
    else for (const q of p as NodePattern[]) mark(q, result);
  };
  for (const node of graph.reversed()) {
    if (matches.has(node.name)) continue;
    for (const [pattern, config] of patterns) {
      if (isMatch(modules, node, pattern) && !matches.has(node.name)) {
        const nodePattern: NodePattern[] = [];
        record(pattern, node, nodePattern);
        const handler = new QuantizeHandler(nodePattern, modules, config);
        mark(nodePattern, { lastNode: node, nodePattern, pattern, handler });
        break;
      }
    }
  }
  return matches;
}
