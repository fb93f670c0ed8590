/**
 * Golden ops quantized_relu, quantized_relu6, quantized_hardswish, quantized_sigmoid and
 * quantized_tanh, run on the reference (no kernel path yet). Hardswish, sigmoid and tanh depend
 * on the engine (QNNPACK lookup tables, or ATen's AVX2 kernels); relu and relu6 do not.
 * @module
 */
import type { Produced } from "../compare.ts";
import { type OpHandler, scalar } from "../op_handler.ts";
import { caseEngine, caseQuantized } from "./elementwise.ts";
import {
  quantizedHardswish,
  quantizedRelu,
  quantizedRelu6,
  quantizedSigmoid,
  quantizedTanh,
} from "../../reference/quantized_activations.ts";
import type { QuantizedTensor } from "../../reference/tensor.ts";

function codes(q: QuantizedTensor): Produced {
  return { shape: q.shape, data: q.intRepr };
}

function clampOp(op: string, fn: (x: QuantizedTensor) => QuantizedTensor): OpHandler {
  return {
    op,
    attrs: ["x_scale", "x_zero_point"],
    inputs: ["x"],
    outputs: ["y"],
    run(ctx) {
      caseEngine(ctx, false);
      return { y: codes(fn(caseQuantized(ctx, "x"))) };
    },
  };
}

function fixedQParamsOp(op: string, fn: typeof quantizedSigmoid): OpHandler {
  return {
    op,
    attrs: ["x_scale", "x_zero_point"],
    inputs: ["x"],
    outputs: ["y", "y_scale", "y_zero_point"],
    run(ctx) {
      const y = fn(caseQuantized(ctx, "x"), { engine: caseEngine(ctx, true) });
      const qp = y.qparams as { scale: number; zeroPoint: number };
      return { y: codes(y), y_scale: scalar(qp.scale), y_zero_point: scalar(qp.zeroPoint) };
    },
  };
}

/** `torch.ops.quantized.hardswish(x, scale, zero_point)`. */
export const quantizedHardswishOp: OpHandler = {
  op: "quantized_hardswish",
  attrs: ["x_scale", "x_zero_point", "y_scale", "y_zero_point"],
  inputs: ["x"],
  outputs: ["y"],
  run(ctx) {
    const y = quantizedHardswish(caseQuantized(ctx, "x"), {
      engine: caseEngine(ctx, true),
      outputScale: ctx.attrs.number("y_scale"),
      outputZeroPoint: ctx.attrs.int("y_zero_point"),
    });
    return { y: codes(y) };
  },
};

/** The activation handlers. */
export const activationOps: readonly OpHandler[] = [
  clampOp("quantized_relu", quantizedRelu),
  clampOp("quantized_relu6", quantizedRelu6),
  quantizedHardswishOp,
  fixedQParamsOp("quantized_sigmoid", quantizedSigmoid),
  fixedQParamsOp("quantized_tanh", quantizedTanh),
];
