/**
 * Golden ops quantized_linear (static) and quantized_linear_dynamic. The case's engine selects
 * the numerics (`linearNumerics`): a case runs on the reference and on the kernel paths of that
 * numerics.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenCase, GoldenTensor } from "../golden_file.ts";
import type { KernelSet, PackedLinearWeight } from "../../kernels/kernel_set.ts";
import {
  float32Input,
  MalformedCase,
  numericInput,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "../op_handler.ts";
import { type Engine, ENGINES, isEngine, linearNumerics } from "../../reference/engine.ts";
import {
  type LinearWeight,
  quantizedLinear,
  quantizedLinearDynamic,
} from "../../reference/quantized_linear.ts";
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";

const W_QSCHEMES = [
  "per_tensor_affine",
  "per_tensor_symmetric",
  "per_channel_affine",
  "per_channel_symmetric",
];

/** The case's engine, which a GEMM case must name. */
export function gemmEngine(ctx: RunContext): Engine {
  const engine = ctx.testCase.engine;
  if (engine === undefined) {
    throw new MalformedCase(`a ${ctx.testCase.op} case must name its "engine"`);
  }
  if (!isEngine(engine)) {
    throw new UnsupportedCase(`engine "${engine}" (reproduced: ${ENGINES.join(", ")})`);
  }
  return engine;
}

function requireDtype(t: GoldenTensor, name: string, dtype: string): void {
  if (t.dtype !== dtype) {
    throw new MalformedCase(`input "${name}" must be ${dtype}, got ${t.dtype}`);
  }
}

/** Builds the LinearWeight of a case from `w`, `w_scales`, `w_zero_points` and `bias`. */
export function caseWeight(ctx: RunContext): LinearWeight {
  const w = ctx.input("w");
  requireDtype(w, "w", "int8");
  if (w.shape.length !== 2) {
    throw new MalformedCase(`input "w" must be 2-D [N, K], got [${w.shape}]`);
  }
  const [n, k] = w.shape;
  const qscheme = ctx.attrs.string("w_qscheme");
  if (!W_QSCHEMES.includes(qscheme)) throw new UnsupportedCase(`w_qscheme "${qscheme}"`);
  const scales = numericInput(ctx.input("w_scales"), "w_scales", ["float64", "float32"]);
  const zeroPoints = Int32Array.from(
    numericInput(ctx.input("w_zero_points"), "w_zero_points", ["int64", "int32"]),
  );
  const expected = qscheme.startsWith("per_channel") ? n : 1;
  if (scales.length !== expected || zeroPoints.length !== expected) {
    throw new MalformedCase(
      `${qscheme} weights need ${expected} scale(s) and zero point(s), got ${scales.length} and ${zeroPoints.length}`,
    );
  }
  const biasTensor = ctx.optionalInput("bias");
  const bias = biasTensor === undefined ? null : float32Input(biasTensor, "bias");
  if (bias !== null && bias.length !== n) {
    throw new MalformedCase(`input "bias" must have ${n} values`);
  }
  return {
    data: w.data as Int8Array,
    outFeatures: n,
    inFeatures: k,
    perChannel: qscheme.startsWith("per_channel"),
    scales,
    zeroPoints,
    bias,
  };
}

/** The static case's quint8 input as a QuantizedTensor. */
export function caseActivation(ctx: RunContext): QuantizedTensor {
  const x = ctx.input("x");
  requireDtype(x, "x", "uint8");
  return new QuantizedTensor(x.data as Uint8Array, x.shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale: ctx.attrs.number("x_scale"),
    zeroPoint: ctx.attrs.int("x_zero_point"),
  });
}

/** A linear case runs on the kernel paths that reproduce its engine's numerics. */
function supportsLinear(testCase: GoldenCase, kernels: KernelSet): boolean {
  return isEngine(testCase.engine) && linearNumerics(testCase.engine) === kernels.numerics;
}

/** Runs `body` with the case's weight packed for the path's kernel set, then frees it. */
function withPacked<T>(
  ctx: RunContext,
  body: (kernels: KernelSet, packed: PackedLinearWeight) => T,
): T {
  const kernels = ctx.path.kernels!;
  const packed = kernels.packLinear(caseWeight(ctx));
  try {
    return body(kernels, packed);
  } finally {
    packed.free();
  }
}

/** `torch.ops.quantized.linear` / `linear_relu`. */
export const quantizedLinearOp: OpHandler = {
  op: "quantized_linear",
  attrs: ["x_scale", "x_zero_point", "y_scale", "y_zero_point", "relu", "w_qscheme"],
  inputs: ["x", "w", "w_scales", "w_zero_points", "bias"],
  outputs: ["y"],
  kernelSupport: supportsLinear,
  run(ctx): Record<string, Produced> {
    if (ctx.path.kernels !== undefined) {
      const x = caseActivation(ctx);
      const k = x.shape[x.shape.length - 1];
      const params = {
        inputScale: ctx.attrs.number("x_scale"),
        inputZeroPoint: ctx.attrs.int("x_zero_point"),
        outputScale: ctx.attrs.number("y_scale"),
        outputZeroPoint: ctx.attrs.int("y_zero_point"),
        relu: ctx.attrs.bool("relu"),
      };
      gemmEngine(ctx);
      const y = withPacked(
        ctx,
        (kernels, packed) => kernels.linear(x.intRepr as Uint8Array, x.size / k, packed, params),
      );
      return { y: { shape: [...x.shape.slice(0, -1), outFeatures(ctx)], data: y } };
    }
    const y = quantizedLinear(caseActivation(ctx), caseWeight(ctx), {
      engine: gemmEngine(ctx),
      outputScale: ctx.attrs.number("y_scale"),
      outputZeroPoint: ctx.attrs.int("y_zero_point"),
      relu: ctx.attrs.bool("relu"),
    });
    return { y: { shape: y.shape, data: y.intRepr } };
  },
};

/** `torch.ops.quantized.linear_dynamic` / `linear_relu_dynamic`. */
export const quantizedLinearDynamicOp: OpHandler = {
  op: "quantized_linear_dynamic",
  attrs: ["reduce_range", "relu", "w_qscheme"],
  inputs: ["x", "w", "w_scales", "w_zero_points", "bias"],
  outputs: ["y"],
  kernelSupport: supportsLinear,
  run(ctx): Record<string, Produced> {
    const x = ctx.input("x");
    if (ctx.path.kernels !== undefined) {
      gemmEngine(ctx);
      const k = x.shape[x.shape.length - 1];
      const data = float32Input(x, "x");
      const y = withPacked(
        ctx,
        (kernels, packed) =>
          kernels.linearDynamic(data, data.length / k, packed, {
            reduceRange: ctx.attrs.bool("reduce_range"),
            relu: ctx.attrs.bool("relu"),
          }),
      );
      return { y: { shape: [...x.shape.slice(0, -1), outFeatures(ctx)], data: y } };
    }
    const y = quantizedLinearDynamic(new Tensor(float32Input(x, "x"), x.shape), caseWeight(ctx), {
      engine: gemmEngine(ctx),
      reduceRange: ctx.attrs.bool("reduce_range"),
      relu: ctx.attrs.bool("relu"),
    });
    return { y: { shape: y.shape, data: y.data } };
  },
};

function outFeatures(ctx: RunContext): number {
  return ctx.input("w").shape[0];
}

/** The linear handlers. */
export const linearOps: readonly OpHandler[] = [quantizedLinearOp, quantizedLinearDynamicOp];
