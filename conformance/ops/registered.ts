/**
 * The golden handler of every registered op, generated from its descriptor: decode the case,
 * run the op on the path (the reference, or the kernel set through the op's kernel binding,
 * both after the op's check) and encode the result.
 * @module
 */
import { type Engine, isEngine } from "../../reference/engine.ts";
import { type OpDescriptor, runKernel, runReference } from "../../ops/op.ts";
import { OPS } from "../../ops/registry.ts";
import {
  type CaseReader,
  caseReader,
  MalformedCase,
  type OpHandler,
  UnsupportedCase,
} from "../op_handler.ts";

/**
 * The case's engine. An op whose result depends on it needs one; an engine-independent op
 * without one runs as `onednn` would (any engine computes the same).
 */
export function caseEngine(c: CaseReader, required: boolean): Engine {
  const engine = c.testCase.engine;
  if (engine === undefined) {
    if (required) throw new MalformedCase(`a ${c.testCase.op} case must name its "engine"`);
    return "onednn";
  }
  if (!isEngine(engine)) throw new UnsupportedCase(`engine "${engine}"`);
  return engine;
}

/** The handler of one registered op. */
export function registeredHandler<A, R>(op: OpDescriptor<A, R>): OpHandler {
  const engineOf = (c: CaseReader) => caseEngine(c, op.engine === "required");
  return {
    op: op.name,
    attrs: op.golden.attrs,
    inputs: op.golden.inputs,
    outputs: op.golden.outputs,
    kernelSupport: op.kernel === undefined ? undefined : (testCase, kernels) => {
      try {
        const c = caseReader(testCase);
        return op.kernel!.supports(kernels, op.golden.decode(c), engineOf(c));
      } catch {
        return false; // a malformed case is reported on the reference
      }
    },
    run(ctx) {
      const args = op.golden.decode(ctx);
      const engine = engineOf(ctx);
      const kernels = ctx.path.kernels;
      const result = kernels === undefined
        ? runReference(op, args, engine)
        : runKernel(op, kernels, args, engine);
      return op.golden.encode(result, args, engine);
    },
  };
}

/** The handlers of every registered op. */
export const registeredOps: readonly OpHandler[] = OPS.map((op) => registeredHandler(op));
