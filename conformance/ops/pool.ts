/**
 * Golden ops quantized_max_pool2d, quantized_avg_pool2d and quantized_adaptive_avg_pool2d. The
 * engine matters: under qnnpack PyTorch runs QNNPACK's pooling for quint8 inputs; the
 * `channels_last` attribute selects ATen's channels-last kernels. A kernel path pools NHWC quint8
 * data and runs the kernel PyTorch picks for a channels-last input under its engine (`x86`:
 * ATen's channels-last kernels; `qnnpack`: QNNPACK's where eligible), so a case runs on the
 * kernel paths whose choice equals the case's own (`poolPath`); NCHW-loop cases and qint8 are
 * reference-only.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenCase } from "../golden_file.ts";
import type { OpHandler, RunContext } from "../op_handler.ts";
import { attrQParams, caseEngine, caseQuantized } from "./elementwise.ts";
import { pairAttr } from "./conv.ts";
import type { Engine } from "../../reference/engine.ts";
import {
  poolPath,
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../../reference/quantized_pool.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import {
  kernelEngine,
  type KernelSet,
  type NhwcTensor,
  type Pair,
} from "../../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../../kernels/qconv.ts";

const ENGINES: readonly string[] = ["fbgemm", "x86", "qnnpack", "onednn"];

/**
 * Whether a kernel path computes a pooling case: a 4-D quint8 input whose kernel choice under
 * the case's engine and layout equals the path's choice for the same input stored channels-last.
 * @param qnnpackEligible whether QNNPACK would take the case (see `poolPath`)
 */
function samePoolPath(
  testCase: GoldenCase,
  kernels: KernelSet,
  qnnpackEligible: (testCase: GoldenCase) => boolean,
): boolean {
  const x = testCase.inputs.x;
  const engine = testCase.engine;
  if (x?.dtype !== "uint8" || x.shape.length !== 4 || engine === undefined) return false;
  if (!ENGINES.includes(engine)) return false;
  const shape = new QuantizedTensor(
    new Uint8Array(x.shape.reduce((p, d) => p * d, 1)),
    x.shape,
    "quint8",
    {
      qscheme: "per_tensor_affine",
      scale: 1,
      zeroPoint: 0,
    },
  );
  const eligible = qnnpackEligible(testCase);
  const channelsLast = testCase.attrs.channels_last === true;
  return poolPath(shape, engine as Engine, { channelsLast, qnnpackEligible: eligible }) ===
    poolPath(shape, kernelEngine(kernels.numerics), {
      channelsLast: true,
      qnnpackEligible: eligible,
    });
}

const noCeilMode = (testCase: GoldenCase) => testCase.attrs.ceil_mode !== true;

/** Runs a kernel pooling on the case's NCHW input (converted to NHWC and back). */
function onKernel(
  ctx: RunContext,
  pool: (kernels: KernelSet, x: NhwcTensor) => NhwcTensor,
): Record<string, Produced> {
  const x = caseQuantized(ctx, "x");
  const y = nhwcToNchw(pool(ctx.path.kernels!, nchwToNhwc(x.intRepr as Uint8Array, x.shape)));
  return { y: { shape: y.shape, data: y.data } };
}

function codes(q: QuantizedTensor): Record<string, Produced> {
  return { y: { shape: q.shape, data: q.intRepr } };
}

function common(ctx: RunContext) {
  return {
    engine: caseEngine(ctx, true),
    channelsLast: ctx.attrs.optional("channels_last", ctx.attrs.bool, false),
  };
}

/** `torch.nn.functional.max_pool2d` of a quantized tensor. */
export const quantizedMaxPool2dOp: OpHandler = {
  op: "quantized_max_pool2d",
  attrs: [
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "ceil_mode",
    "x_scale",
    "x_zero_point",
    "channels_last",
  ],
  inputs: ["x"],
  outputs: ["y"],
  kernelSupport: (testCase, kernels) => samePoolPath(testCase, kernels, noCeilMode),
  run(ctx) {
    const args = {
      kernelSize: pairAttr(ctx, "kernel_size"),
      stride: pairAttr(ctx, "stride"),
      padding: pairAttr(ctx, "padding"),
      dilation: pairAttr(ctx, "dilation"),
      ceilMode: ctx.attrs.bool("ceil_mode"),
    };
    if (ctx.path.kernels !== undefined) {
      return onKernel(ctx, (kernels, x) => kernels.maxPool2dNhwc(x, args));
    }
    return codes(quantizedMaxPool2d(caseQuantized(ctx, "x"), { ...common(ctx), ...args }));
  },
};

/** `torch.nn.functional.avg_pool2d` of a quantized tensor. */
export const quantizedAvgPool2dOp: OpHandler = {
  op: "quantized_avg_pool2d",
  attrs: [
    "kernel_size",
    "stride",
    "padding",
    "ceil_mode",
    "count_include_pad",
    "divisor_override",
    "x_scale",
    "x_zero_point",
    "channels_last",
  ],
  inputs: ["x"],
  outputs: ["y"],
  kernelSupport: (testCase, kernels) => samePoolPath(testCase, kernels, noCeilMode),
  run(ctx) {
    const args = {
      kernelSize: pairAttr(ctx, "kernel_size"),
      stride: pairAttr(ctx, "stride"),
      padding: pairAttr(ctx, "padding"),
      ceilMode: ctx.attrs.bool("ceil_mode"),
      countIncludePad: ctx.attrs.bool("count_include_pad"),
      divisorOverride: ctx.attrs.optional("divisor_override", ctx.attrs.int, null),
    };
    if (ctx.path.kernels !== undefined) {
      return onKernel(ctx, (kernels, x) => kernels.avgPool2dNhwc(x, attrQParams(ctx, "x"), args));
    }
    return codes(quantizedAvgPool2d(caseQuantized(ctx, "x"), { ...common(ctx), ...args }));
  },
};

/** QNNPACK's adaptive pooling needs an output size dividing the input size and differing. */
function adaptiveDivisible(testCase: GoldenCase): boolean {
  const size = testCase.attrs.output_size;
  const shape = testCase.inputs.x.shape;
  if (!Array.isArray(size) || size.length !== 2) return false;
  const [oh, ow] = size as number[];
  const [h, w] = shape.slice(-2);
  return h % oh === 0 && w % ow === 0 && !(h === oh && w === ow);
}

/** `torch.nn.functional.adaptive_avg_pool2d` of a quantized tensor. */
export const quantizedAdaptiveAvgPool2dOp: OpHandler = {
  op: "quantized_adaptive_avg_pool2d",
  attrs: ["output_size", "x_scale", "x_zero_point", "channels_last"],
  inputs: ["x"],
  outputs: ["y"],
  kernelSupport: (testCase, kernels) => samePoolPath(testCase, kernels, adaptiveDivisible),
  run(ctx) {
    if (ctx.path.kernels !== undefined) {
      const size = pairAttr(ctx, "output_size");
      return onKernel(
        ctx,
        (kernels, x) => kernels.adaptiveAvgPool2dNhwc(x, attrQParams(ctx, "x"), size as Pair),
      );
    }
    return codes(quantizedAdaptiveAvgPool2d(caseQuantized(ctx, "x"), {
      ...common(ctx),
      outputSize: pairAttr(ctx, "output_size"),
    }));
  },
};

/** The pooling handlers. */
export const poolOps: readonly OpHandler[] = [
  quantizedMaxPool2dOp,
  quantizedAvgPool2dOp,
  quantizedAdaptiveAvgPool2dOp,
];
