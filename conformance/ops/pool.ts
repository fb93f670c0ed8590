/**
 * Golden ops quantized_max_pool2d, quantized_avg_pool2d and quantized_adaptive_avg_pool2d, run on
 * the reference (no kernel path yet). The engine matters: under qnnpack PyTorch runs QNNPACK's
 * pooling for quint8 inputs; the `channels_last` attribute selects ATen's channels-last kernels.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { OpHandler, RunContext } from "../op_handler.ts";
import { caseEngine, caseQuantized } from "./elementwise.ts";
import { pairAttr } from "./conv.ts";
import {
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../../reference/quantized_pool.ts";
import type { QuantizedTensor } from "../../reference/tensor.ts";

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
  run(ctx) {
    return codes(quantizedMaxPool2d(caseQuantized(ctx, "x"), {
      ...common(ctx),
      kernelSize: pairAttr(ctx, "kernel_size"),
      stride: pairAttr(ctx, "stride"),
      padding: pairAttr(ctx, "padding"),
      dilation: pairAttr(ctx, "dilation"),
      ceilMode: ctx.attrs.bool("ceil_mode"),
    }));
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
  run(ctx) {
    return codes(quantizedAvgPool2d(caseQuantized(ctx, "x"), {
      ...common(ctx),
      kernelSize: pairAttr(ctx, "kernel_size"),
      stride: pairAttr(ctx, "stride"),
      padding: pairAttr(ctx, "padding"),
      ceilMode: ctx.attrs.bool("ceil_mode"),
      countIncludePad: ctx.attrs.bool("count_include_pad"),
      divisorOverride: ctx.attrs.optional("divisor_override", ctx.attrs.int, null),
    }));
  },
};

/** `torch.nn.functional.adaptive_avg_pool2d` of a quantized tensor. */
export const quantizedAdaptiveAvgPool2dOp: OpHandler = {
  op: "quantized_adaptive_avg_pool2d",
  attrs: ["output_size", "x_scale", "x_zero_point", "channels_last"],
  inputs: ["x"],
  outputs: ["y"],
  run(ctx) {
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
