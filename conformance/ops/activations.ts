/**
 * Golden ops quantized_relu, quantized_relu6, quantized_hardswish, quantized_sigmoid and
 * quantized_tanh. Hardswish, sigmoid and tanh depend on the engine (QNNPACK lookup tables, or
 * ATen's AVX2 kernels) and run on the kernel paths of the case's family; relu and relu6 do not
 * and run on every kernel path. Kernel paths take quint8 only (qint8 cases are reference-only).
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenCase } from "../golden_file.ts";
import { type OpHandler, scalar } from "../op_handler.ts";
import {
  allQuint8,
  attrQParams,
  caseEngine,
  caseQuantized,
  sameElementwiseFamily,
} from "./elementwise.ts";
import type { KernelSet, QParams8 } from "../../kernels/kernel_set.ts";
import {
  quantizedHardswish,
  quantizedRelu,
  quantizedRelu6,
  quantizedSigmoid,
  quantizedTanh,
  sigmoidOutputQParams,
  tanhOutputQParams,
} from "../../reference/quantized_activations.ts";
import type { QuantizedTensor } from "../../reference/tensor.ts";

function codes(q: QuantizedTensor): Produced {
  return { shape: q.shape, data: q.intRepr };
}

const quint8Input = (testCase: GoldenCase) => allQuint8(testCase, ["x"]);

/** A case of an engine-dependent activation runs on the paths of its engine's family. */
const familyKernelSupport = (testCase: GoldenCase, kernels: KernelSet) =>
  quint8Input(testCase) && sameElementwiseFamily(testCase, kernels);

function clampOp(
  op: string,
  fn: (x: QuantizedTensor) => QuantizedTensor,
  kernel: (kernels: KernelSet, x: Uint8Array, qp: QParams8) => Uint8Array,
): OpHandler {
  return {
    op,
    attrs: ["x_scale", "x_zero_point"],
    inputs: ["x"],
    outputs: ["y"],
    kernelSupport: quint8Input,
    run(ctx) {
      if (ctx.path.kernels !== undefined) {
        const x = caseQuantized(ctx, "x");
        const y = kernel(ctx.path.kernels, x.intRepr as Uint8Array, attrQParams(ctx, "x"));
        return { y: { shape: x.shape, data: y } };
      }
      caseEngine(ctx, false);
      return { y: codes(fn(caseQuantized(ctx, "x"))) };
    },
  };
}

function fixedQParamsOp(
  op: string,
  fn: typeof quantizedSigmoid,
  kernel: (kernels: KernelSet, x: Uint8Array, qp: QParams8) => Uint8Array,
): OpHandler {
  return {
    op,
    attrs: ["x_scale", "x_zero_point"],
    inputs: ["x"],
    outputs: ["y", "y_scale", "y_zero_point"],
    kernelSupport: familyKernelSupport,
    run(ctx) {
      const kernels = ctx.path.kernels;
      if (kernels !== undefined) {
        caseEngine(ctx, true);
        const x = caseQuantized(ctx, "x");
        const y = kernel(kernels, x.intRepr as Uint8Array, attrQParams(ctx, "x"));
        // The output qparams are fixed by the op (the kernels document them), not computed.
        const qp = (op === "quantized_sigmoid" ? sigmoidOutputQParams : tanhOutputQParams)(
          "quint8",
        );
        return {
          y: { shape: x.shape, data: y },
          y_scale: scalar(qp.scale),
          y_zero_point: scalar(qp.zeroPoint),
        };
      }
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
  kernelSupport: familyKernelSupport,
  run(ctx) {
    if (ctx.path.kernels !== undefined) {
      const x = caseQuantized(ctx, "x");
      const y = ctx.path.kernels.hardswish(
        x.intRepr as Uint8Array,
        attrQParams(ctx, "x"),
        attrQParams(ctx, "y"),
      );
      return { y: { shape: x.shape, data: y } };
    }
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
  clampOp("quantized_relu", quantizedRelu, (k, x, qp) => k.relu(x, qp)),
  clampOp("quantized_relu6", quantizedRelu6, (k, x, qp) => k.relu6(x, qp)),
  quantizedHardswishOp,
  fixedQParamsOp("quantized_sigmoid", quantizedSigmoid, (k, x, qp) => k.sigmoid(x, qp)),
  fixedQParamsOp("quantized_tanh", quantizedTanh, (k, x, qp) => k.tanh(x, qp)),
];
