/**
 * `Proxy`: what a traced forward receives instead of tensors (torch.fx's Proxy). Each op applied
 * to proxies through the graph-mode functional API (`fx.torch`, `fx.F`, `fx.operator`,
 * `fx.method`), and each leaf module called with them, becomes a node of the tracer's graph and
 * returns a new proxy for the node's value.
 * @module
 */
import type { Node } from "./graph.ts";

/** The tracer side of a proxy: records an op on proxies as a node. */
export interface Recorder {
  /** Records `target(args, kwargs)` as a node and returns its proxy. */
  record(
    op: "call_function" | "call_method" | "call_module",
    target: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
  ): Proxy;
}

/** A traced value: the node that computes it. */
export class Proxy {
  /** The node. */
  readonly node: Node;
  /** The tracer that made it. */
  readonly recorder: Recorder;

  /** @internal made by the tracer. */
  constructor(node: Node, recorder: Recorder) {
    this.node = node;
    this.recorder = recorder;
  }

  /** `Proxy(name)`, as torch.fx prints it. */
  toString(): string {
    return `Proxy(${this.node.name})`;
  }
}

/** The recorder of the first proxy inside `value` (arrays and plain objects searched), if any. */
export function findRecorder(value: unknown, depth = 0): Recorder | undefined {
  if (value instanceof Proxy) return value.recorder;
  if (depth > 8 || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const r = findRecorder(v, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) {
      const r = findRecorder(v, depth + 1);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}
