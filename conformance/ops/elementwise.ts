/**
 * Golden ops quantized_add, quantized_add_relu, quantized_mul, quantized_mul_relu,
 * quantized_add_scalar, quantized_mul_scalar and quantized_cat. Add's numerics depend on the
 * engine (qnnpack, or the aten_avx2 family of onednn, fbgemm and x86); mul, the scalar ops and
 * cat do not. The kernel paths run quint8 add/mul (add on the paths of the case's family, mul on
 * all) and cat along the channels of channels-last 4-D quint8 tensors; the scalar ops,
 * qint8 cases and PyTorch's NCHW cat are reference-only.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenCase, GoldenTensor } from "../golden_file.ts";
import {
  MalformedCase,
  type OpHandler,
  type RunContext,
  scalar,
  UnsupportedCase,
} from "../op_handler.ts";
import { type Engine, isEngine } from "../../reference/engine.ts";
import {
  elementwiseFamily,
  quantizedAddScalar,
  quantizedMulScalar,
} from "../../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { kernelEngine, type KernelSet, type QParams8 } from "../../kernels/kernel_set.ts";

/** The case's engine; `required` ops without one are malformed. */
export function caseEngine(ctx: RunContext, required: boolean): Engine {
  const engine = ctx.testCase.engine;
  if (engine === undefined) {
    if (required) throw new MalformedCase(`a ${ctx.testCase.op} case must name its "engine"`);
    return "onednn"; // engine-independent ops: any engine computes the same
  }
  if (!isEngine(engine)) throw new UnsupportedCase(`engine "${engine}"`);
  return engine;
}

/** A uint8 (quint8) or int8 (qint8) golden tensor as a per-tensor QuantizedTensor. */
export function quantizedInput(
  t: GoldenTensor,
  name: string,
  scale: number,
  zeroPoint: number,
): QuantizedTensor {
  if (t.dtype === "uint8") {
    return new QuantizedTensor(t.data as Uint8Array, t.shape, "quint8", {
      qscheme: "per_tensor_affine",
      scale,
      zeroPoint,
    });
  }
  if (t.dtype === "int8") {
    return new QuantizedTensor(t.data as Int8Array, t.shape, "qint8", {
      qscheme: "per_tensor_affine",
      scale,
      zeroPoint,
    });
  }
  throw new MalformedCase(`input "${name}" must be uint8 or int8, got ${t.dtype}`);
}

/** The case input `name` with qparams from the attributes `<prefix>_scale`/`_zero_point`. */
export function caseQuantized(ctx: RunContext, name: string, prefix = name): QuantizedTensor {
  return quantizedInput(
    ctx.input(name),
    name,
    ctx.attrs.number(`${prefix}_scale`),
    ctx.attrs.int(`${prefix}_zero_point`),
  );
}

function codes(q: QuantizedTensor): Produced {
  return { shape: q.shape, data: q.intRepr };
}

/** Whether the case's engine has the elementwise numerics of a kernel path. */
export function sameElementwiseFamily(testCase: GoldenCase, kernels: KernelSet): boolean {
  const engine = testCase.engine;
  if (!isEngine(engine)) return false;
  return elementwiseFamily(engine) ===
    elementwiseFamily(kernelEngine(kernels.numerics));
}

/** Whether every named input of a case is uint8 (quint8 codes). */
export function allQuint8(testCase: GoldenCase, names: readonly string[]): boolean {
  return names.every((name) => testCase.inputs[name]?.dtype === "uint8");
}

/** The qparams of the attributes `<prefix>_scale` / `<prefix>_zero_point`. */
export function attrQParams(ctx: RunContext, prefix: string): QParams8 {
  return {
    scale: ctx.attrs.number(`${prefix}_scale`),
    zeroPoint: ctx.attrs.int(`${prefix}_zero_point`),
  };
}

function scalarOp(op: string, fn: typeof quantizedAddScalar): OpHandler {
  return {
    op,
    attrs: ["x_scale", "x_zero_point", "c"],
    inputs: ["x"],
    outputs: ["y", "y_scale", "y_zero_point"],
    run(ctx) {
      caseEngine(ctx, false);
      const y = fn(caseQuantized(ctx, "x"), ctx.attrs.number("c"));
      const qp = y.qparams as { scale: number; zeroPoint: number };
      return { y: codes(y), y_scale: scalar(qp.scale), y_zero_point: scalar(qp.zeroPoint) };
    },
  };
}

/** An attribute that must be an array of finite numbers. */
export function readNumbers(ctx: RunContext, name: string): number[] {
  const v = ctx.testCase.attrs[name];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new MalformedCase(`attribute "${name}" must be an array of numbers`);
  }
  return [...v] as number[];
}

/** The elementwise handlers. */
export const elementwiseOps: readonly OpHandler[] = [
  scalarOp("quantized_add_scalar", quantizedAddScalar),
  scalarOp("quantized_mul_scalar", quantizedMulScalar),
];
