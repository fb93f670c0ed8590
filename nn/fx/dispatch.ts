/**
 * One entry point for running or recording an op (internal): with a proxy among the arguments
 * the op becomes a node of the tracing graph, otherwise it runs (`ops.ts`).
 * @module
 */
import { type OpContext, runOp } from "./ops.ts";
import { findRecorder } from "./proxy.ts";

/** Records `target` when an argument is a proxy, else runs it. */
export function dispatch(
  op: "call_function" | "call_method",
  target: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>> = {},
  ctx: OpContext = {},
): unknown {
  const recorder = findRecorder(args) ?? findRecorder(kwargs);
  if (recorder !== undefined) return recorder.record(op, target, args, kwargs);
  return runOp(op, target, args, kwargs, ctx);
}
