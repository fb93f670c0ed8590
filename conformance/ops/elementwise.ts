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
import type { Engine } from "../../reference/engine.ts";
import {
  elementwiseFamily,
  isChannelsLastContiguous,
  quantizedAddScalar,
  quantizedCat,
  quantizedMulScalar,
} from "../../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { kernelEngine, type KernelSet, type QParams8 } from "../../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../../kernels/qconv.ts";

const KNOWN_ENGINES: readonly string[] = ["fbgemm", "x86", "qnnpack", "onednn"];

/** The case's engine; `required` ops without one are malformed. */
export function caseEngine(ctx: RunContext, required: boolean): Engine {
  const engine = ctx.testCase.engine;
  if (engine === undefined) {
    if (required) throw new MalformedCase(`a ${ctx.testCase.op} case must name its "engine"`);
    return "onednn"; // engine-independent ops: any engine computes the same
  }
  if (!KNOWN_ENGINES.includes(engine)) throw new UnsupportedCase(`engine "${engine}"`);
  return engine as Engine;
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
  if (engine === undefined || !KNOWN_ENGINES.includes(engine)) return false;
  return elementwiseFamily(engine as Engine) ===
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

/** The cat case's input names, in order (`x0`, `x1`, …). */
function catInputNames(testCase: GoldenCase): string[] {
  return Object.keys(testCase.inputs).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/**
 * A cat case runs on the kernels when PyTorch takes its channels-last path (dim 1 of 4-D
 * channels-last inputs) on quint8 inputs; that path is the same for every engine.
 */
function supportsCat(testCase: GoldenCase): boolean {
  const names = catInputNames(testCase);
  const dim = testCase.attrs.dim;
  if (names.length === 0 || !allQuint8(testCase, names) || (dim !== 1 && dim !== -3)) {
    return false;
  }
  const shapes = names.map((name) => testCase.inputs[name].shape);
  if (!shapes.every((s) => s.length === 4)) return false;
  return testCase.attrs.channels_last === true || shapes.every(isChannelsLastContiguous);
}

/** `torch.ops.quantized.cat(xs, dim, scale, zero_point)`. */
export const quantizedCatOp: OpHandler = {
  op: "quantized_cat",
  attrs: ["dim", "y_scale", "y_zero_point", "x_scales", "x_zero_points", "channels_last"],
  inputs: [/^x\d+$/],
  outputs: ["y"],
  kernelSupport: supportsCat,
  run(ctx) {
    caseEngine(ctx, false);
    const names = catInputNames(ctx.testCase);
    names.forEach((name, i) => {
      if (name !== `x${i}`) throw new MalformedCase(`inputs must be x0, x1, …; found "${name}"`);
    });
    const scales = readNumbers(ctx, "x_scales");
    const zeroPoints = ctx.attrs.ints("x_zero_points");
    if (scales.length !== names.length || zeroPoints.length !== names.length) {
      throw new MalformedCase(
        `x_scales and x_zero_points need one value per input (${names.length})`,
      );
    }
    const xs = names.map((name, i) =>
      quantizedInput(ctx.input(name), name, scales[i], zeroPoints[i])
    );
    const kernels = ctx.path.kernels;
    if (kernels !== undefined) {
      const y = kernels.catChannelsNhwc(
        xs.map((x, i) => ({
          tensor: nchwToNhwc(x.intRepr as Uint8Array, x.shape),
          qparams: { scale: scales[i], zeroPoint: zeroPoints[i] },
        })),
        attrQParams(ctx, "y"),
      );
      const nchw = nhwcToNchw(y);
      return { y: { shape: nchw.shape, data: nchw.data } };
    }
    const y = quantizedCat(xs, {
      dim: ctx.attrs.int("dim"),
      outputScale: ctx.attrs.number("y_scale"),
      outputZeroPoint: ctx.attrs.int("y_zero_point"),
      channelsLast: ctx.attrs.optional("channels_last", ctx.attrs.bool, false),
    });
    return { y: codes(y) };
  },
};

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
  quantizedCatOp,
];
