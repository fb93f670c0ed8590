/**
 * Golden op quantized_conv2d. The case's engine selects the numerics (`convNumerics`: for the
 * `x86` backend it depends on the weight and the groups); a case runs on the reference and on the
 * kernel paths of that numerics (the input converted to NHWC, the weight packed with the case's
 * geometry).
 * @module
 */
import type { Produced } from "../compare.ts";
import { type GoldenCase, type GoldenTensor, toNumbers } from "../golden_file.ts";
import {
  float32Input,
  MalformedCase,
  numericInput,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "../op_handler.ts";
import { gemmEngine } from "./linear.ts";
import {
  conv2dBuildDependent,
  type ConvWeight,
  quantizedConv2d,
} from "../../reference/quantized_conv2d.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { convNumerics, isEngine } from "../../reference/engine.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../../kernels/qconv.ts";

const W_QSCHEMES = [
  "per_tensor_affine",
  "per_tensor_symmetric",
  "per_channel_affine",
  "per_channel_symmetric",
];

function requireDtype(t: GoldenTensor, name: string, dtype: string): void {
  if (t.dtype !== dtype) {
    throw new MalformedCase(`input "${name}" must be ${dtype}, got ${t.dtype}`);
  }
}

/** Builds the ConvWeight of a case from `w` (OIHW), `w_scales`, `w_zero_points` and `bias`. */
export function caseConvWeight(ctx: RunContext): ConvWeight {
  const w = ctx.input("w");
  requireDtype(w, "w", "int8");
  if (w.shape.length !== 4) {
    throw new MalformedCase(`input "w" must be 4-D OIHW, got [${w.shape}]`);
  }
  const [o, i, kh, kw] = w.shape;
  const qscheme = ctx.attrs.string("w_qscheme");
  if (!W_QSCHEMES.includes(qscheme)) throw new UnsupportedCase(`w_qscheme "${qscheme}"`);
  const perChannel = qscheme.startsWith("per_channel");
  const scales = numericInput(ctx.input("w_scales"), "w_scales", ["float64", "float32"]);
  const zeroPoints = Int32Array.from(
    numericInput(ctx.input("w_zero_points"), "w_zero_points", ["int64", "int32"]),
  );
  const expected = perChannel ? o : 1;
  if (scales.length !== expected || zeroPoints.length !== expected) {
    throw new MalformedCase(
      `${qscheme} weights need ${expected} scale(s) and zero point(s), got ${scales.length} and ${zeroPoints.length}`,
    );
  }
  const biasTensor = ctx.optionalInput("bias");
  const bias = biasTensor === undefined ? null : float32Input(biasTensor, "bias");
  if (bias !== null && bias.length !== o) {
    throw new MalformedCase(`input "bias" must have ${o} values`);
  }
  return {
    data: w.data as Int8Array,
    outChannels: o,
    inChannelsPerGroup: i,
    kernelH: kh,
    kernelW: kw,
    scales,
    zeroPoints,
    perChannel,
    bias,
  };
}

/** An attribute that must be a pair of integers. */
export function pairAttr(ctx: RunContext, name: string): [number, number] {
  const v = ctx.attrs.ints(name);
  if (v.length !== 2) throw new MalformedCase(`attribute "${name}" must be a pair, got [${v}]`);
  return [v[0], v[1]];
}

/** A conv case runs on the kernel paths of its numerics, for a 4-D quint8 input. */
function supportsConv(testCase: GoldenCase, kernels: KernelSet): boolean {
  const { engine, inputs, attrs } = testCase;
  const x = inputs.x;
  const zeroPoints = inputs.w_zero_points;
  if (!isEngine(engine) || zeroPoints === undefined || typeof attrs.groups !== "number") {
    return false;
  }
  const weightSymmetric = Array.from(toNumbers(zeroPoints)).every((z) => z === 0);
  return x?.dtype === "uint8" && x.shape.length === 4 &&
    convNumerics(engine, { weightSymmetric, groups: attrs.groups }) === kernels.numerics;
}

/** `torch.ops.quantized.conv2d` / `conv2d_relu`. */
export const quantizedConv2dOp: OpHandler = {
  op: "quantized_conv2d",
  attrs: [
    "stride",
    "padding",
    "dilation",
    "groups",
    "x_scale",
    "x_zero_point",
    "y_scale",
    "y_zero_point",
    "relu",
    "w_qscheme",
  ],
  inputs: ["x", "w", "w_scales", "w_zero_points", "bias"],
  outputs: ["y"],
  kernelSupport: supportsConv,
  run(ctx): Record<string, Produced> {
    const engine = gemmEngine(ctx);
    const xt = ctx.input("x");
    requireDtype(xt, "x", "uint8");
    const x = new QuantizedTensor(xt.data as Uint8Array, xt.shape, "quint8", {
      qscheme: "per_tensor_affine",
      scale: ctx.attrs.number("x_scale"),
      zeroPoint: ctx.attrs.int("x_zero_point"),
    });
    const weight = caseConvWeight(ctx);
    const options = {
      engine,
      stride: pairAttr(ctx, "stride"),
      padding: pairAttr(ctx, "padding"),
      dilation: pairAttr(ctx, "dilation"),
      groups: ctx.attrs.int("groups"),
      outputScale: ctx.attrs.number("y_scale"),
      outputZeroPoint: ctx.attrs.int("y_zero_point"),
      relu: ctx.attrs.bool("relu"),
    };
    const mask = conv2dBuildDependent(x, weight, options);
    const buildDependent = mask.some((m) => m) ? mask : undefined;
    const kernels = ctx.path.kernels;
    if (kernels !== undefined) {
      const packed = kernels.packConv2d(weight, {
        stride: options.stride,
        padding: options.padding,
        dilation: options.dilation,
        groups: options.groups,
      });
      try {
        const y = kernels.conv2dNhwc(nchwToNhwc(x.intRepr as Uint8Array, x.shape), packed, {
          inputScale: ctx.attrs.number("x_scale"),
          inputZeroPoint: ctx.attrs.int("x_zero_point"),
          outputScale: options.outputScale,
          outputZeroPoint: options.outputZeroPoint,
          relu: options.relu,
        });
        const nchw = nhwcToNchw(y);
        return { y: { shape: nchw.shape, data: nchw.data, buildDependent } };
      } finally {
        packed.free();
      }
    }
    const y = quantizedConv2d(x, weight, options);
    return { y: { shape: y.shape, data: y.intRepr, buildDependent } };
  },
};

/** The conv handlers. */
export const convOps: readonly OpHandler[] = [quantizedConv2dOp];
