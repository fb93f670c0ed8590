/**
 * Pattern matching on graphs (torch/ao/quantization/fx/match_utils.py `is_match`,
 * pattern_utils.py `sorted_patterns_dict`): whether a node and its arguments match a backend
 * pattern, and the order in which patterns are tried (longer fusion patterns first).
 * @module
 */
import type { Module } from "../module.ts";
import { type Pattern, patternLeafKind } from "./backend_config.ts";
import { Node } from "./graph.ts";
import { typeNameOf } from "./module_types.ts";

/** Submodules by path (`dict(named_modules())`). */
export type ModuleMap = ReadonlyMap<string, Module>;

/**
 * `is_match(modules, node, pattern, max_uses)`: the node is the pattern's op (a module of
 * exactly that type, the function, or the method) used at most `maxUses` times, and its
 * arguments match the argument patterns, each used once.
 */
export function isMatch(
  modules: ModuleMap,
  node: unknown,
  pattern: Pattern,
  maxUses = Infinity,
): boolean {
  const [self, ...argPatterns] = typeof pattern === "string" ? [pattern] : pattern;
  if (!(node instanceof Node) || node.users.size > maxUses) return false;
  const kind = patternLeafKind(self as string);
  if (kind === "module") {
    if (node.op !== "call_module") return false;
    const m = modules.get(node.target);
    if (m === undefined || typeNameOf(m) !== self) return false;
  } else if (kind === "function") {
    if (node.op !== "call_function" || node.target !== self) return false;
  } else if (node.op !== "call_method" || node.target !== self) {
    return false;
  }
  if (argPatterns.length === 0) return true;
  if (argPatterns.length !== node.args.length) return false;
  return argPatterns.every((p, i) => isMatch(modules, node.args[i], p, 1));
}

/** The number of ops in a pattern (`get_len`). */
function patternLength(p: Pattern): number {
  return typeof p === "string" ? 1 : p.reduce((n: number, q) => n + patternLength(q as Pattern), 0);
}

/**
 * `sorted_patterns_dict`: nested patterns first, longest first; single ops after them; ties keep
 * their order (a stable sort, as Python's).
 */
export function sortPatterns<T>(entries: readonly (readonly [Pattern, T])[]): [Pattern, T][] {
  const key = (p: Pattern) => (typeof p === "string" ? 1 : -patternLength(p));
  return entries.map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => key(a[0]) - key(b[0]) || i - j)
    .map(([e]) => [e[0], e[1]]);
}

/** The modules of a graph module by path, duplicates included (`named_modules(remove_duplicate=False)`). */
export function moduleMap(root: Module): Map<string, Module> {
  return new Map(root.namedModules({ removeDuplicate: false }));
}
