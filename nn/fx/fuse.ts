/**
 * Pattern fusion on a graph (torch/ao/quantization/fx/fuse.py): every backend pattern that has
 * a fuser (conv-bn-relu, conv-relu, linear-relu, linear-bn, bn-relu, with `nn.ReLU` or
 * `F.relu`) is found from the last node backwards, longest patterns first; the matched modules
 * are fused into one module placed at the first op's path (a ReLU written as `F.relu` becomes
 * an `nn.ReLU`), and the graph gets one `call_module` node for it — named as the first op, at
 * the last op's position. PTQ folds BatchNorm into the conv or linear (eval mode); QAT keeps it
 * in a ConvBn2d / ConvBnReLU2d / LinearBn1d for `prepareQatFx`.
 * @module
 */
import { getFuserMethod } from "../fuse.ts";
import type { Module } from "../module.ts";
import { ReLU } from "../modules/activation.ts";
import type { BackendConfig, Pattern } from "./backend_config.ts";
import { type Argument, Graph, type Node } from "./graph.ts";
import { GraphModule } from "./graph_module.ts";
import { isMatch, moduleMap, sortPatterns } from "./pattern.ts";

/** A nested list of matched nodes, in the pattern's (reversed) order. */
export type NodePattern = Node | readonly NodePattern[];

interface FusionMatch {
  readonly lastNode: Node;
  readonly pattern: Pattern;
  readonly nodePattern: NodePattern[];
}

/** `_find_matches` of fuse.py: node name → the match it belongs to. */
function findFusionMatches(
  graph: Graph,
  modules: ReadonlyMap<string, Module>,
  patterns: readonly Pattern[],
): Map<string, FusionMatch> {
  const matches = new Map<string, FusionMatch>();
  const apply = (
    pattern: Pattern,
    node: Argument,
    last: Node,
    full: Pattern,
    into: NodePattern[],
  ) => {
    if (typeof pattern !== "string") {
      const [self, ...args] = pattern;
      const current: NodePattern[] = [];
      apply(self, node, last, full, current);
      args.forEach((p, i) => apply(p as Pattern, (node as Node).args[i], last, full, current));
      into.push(current);
      return;
    }
    const n = node as Node;
    if (!matches.has(n.name)) {
      into.push(n);
      matches.set(n.name, { lastNode: last, pattern: full, nodePattern: into });
    }
  };
  for (const node of graph.reversed()) {
    if (matches.has(node.name)) continue;
    for (const pattern of patterns) {
      if (isMatch(modules, node, pattern)) {
        apply(pattern, node, node, pattern, []);
        break;
      }
    }
  }
  return matches;
}

/** The root node of a matched pattern (`_default_root_node_getter`): the innermost first op. */
export function rootNodeOf(nodePattern: NodePattern): Node {
  let p = nodePattern;
  while (Array.isArray(p)) p = p[p.length - 1];
  return p as Node;
}

/** The matched nodes, flattened in the pattern's order (last op first). */
function flatten(p: NodePattern): Node[] {
  return Array.isArray(p) ? (p as NodePattern[]).flatMap(flatten) : [p as Node];
}

/**
 * `_fuse_fx`: the graph module with every fusion pattern of `backendConfig` fused.
 * @throws {Error} when a matched sequence has no fuser (a pattern this library cannot fuse,
 * e.g. a 3-D conv) or PTQ fusion meets a module in training mode.
 */
export function fuseFx(
  model: GraphModule,
  isQat: boolean,
  backendConfig: BackendConfig,
): GraphModule {
  const modules = moduleMap(model);
  const patterns = sortPatterns(
    backendConfig.configs.filter((c) => c.fuserMethod).map((c) => [c.pattern, null] as const),
  ).map(([p]) => p);
  const matches = findFusionMatches(model.graph, modules, patterns);
  const fused = new Graph();
  const env = new Map<string, Node>();
  const load = (n: Node) => env.get(n.name)!;
  for (const node of model.graph) {
    const match = matches.get(node.name);
    if (match === undefined) {
      env.set(node.name, fused.nodeCopy(node, load));
      continue;
    }
    if (match.lastNode !== node) continue;
    const root = rootNodeOf(match.nodePattern);
    const rootModule = modules.get(root.target)!;
    const ops = flatten(match.nodePattern).reverse().map((n) => {
      if (n.op === "call_module") return modules.get(n.target)!;
      const relu = new ReLU();
      relu.training = rootModule.training;
      return relu;
    });
    const fusedModule = getFuserMethod(ops)(isQat, ...ops);
    model.setSubmodule(root.target, fusedModule);
    env.set(node.name, fused.nodeCopy(root, load));
  }
  return GraphModule.fromRoot(model, fused, { scopes: model.scopes });
}
