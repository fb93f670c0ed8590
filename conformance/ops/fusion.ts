/**
 * Golden ops fuse_conv_bn_eval and fuse_linear_bn_eval (torch.nn.utils.fusion), run on the
 * reference.
 * @module
 */
import { float32Input, type OpHandler, type RunContext } from "../op_handler.ts";
import { fuseConvBnWeights, fuseLinearBnWeights } from "../../reference/fusion.ts";
import { Tensor } from "../../reference/tensor.ts";

function tensorInput(ctx: RunContext, name: string): Tensor {
  const t = ctx.input(name);
  return new Tensor(float32Input(t, name), t.shape);
}

function optionalTensor(ctx: RunContext, name: string): Tensor | null {
  return ctx.optionalInput(name) === undefined ? null : tensorInput(ctx, name);
}

/** `torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn, transpose)`: the fused weight and bias. */
export const fuseConvBnEvalOp: OpHandler = {
  op: "fuse_conv_bn_eval",
  attrs: ["eps", "transpose"],
  inputs: ["conv_w", "conv_b", "bn_rm", "bn_rv", "bn_w", "bn_b"],
  outputs: ["w", "b"],
  run(ctx) {
    const { weight, bias } = fuseConvBnWeights(
      tensorInput(ctx, "conv_w"),
      optionalTensor(ctx, "conv_b"),
      {
        bnRm: tensorInput(ctx, "bn_rm"),
        bnRv: tensorInput(ctx, "bn_rv"),
        bnEps: ctx.attrs.number("eps"),
        bnW: optionalTensor(ctx, "bn_w"),
        bnB: optionalTensor(ctx, "bn_b"),
        transpose: ctx.attrs.optional("transpose", ctx.attrs.bool, false),
      },
    );
    return {
      w: { shape: weight.shape, data: weight.data },
      b: { shape: bias.shape, data: bias.data },
    };
  },
};

/** `torch.nn.utils.fusion.fuse_linear_bn_eval(linear, bn)`: the fused weight and bias. */
export const fuseLinearBnEvalOp: OpHandler = {
  op: "fuse_linear_bn_eval",
  attrs: ["eps"],
  inputs: ["linear_w", "linear_b", "bn_rm", "bn_rv", "bn_w", "bn_b"],
  outputs: ["w", "b"],
  run(ctx) {
    const { weight, bias } = fuseLinearBnWeights(
      tensorInput(ctx, "linear_w"),
      optionalTensor(ctx, "linear_b"),
      {
        bnRm: tensorInput(ctx, "bn_rm"),
        bnRv: tensorInput(ctx, "bn_rv"),
        bnEps: ctx.attrs.number("eps"),
        bnW: tensorInput(ctx, "bn_w"),
        bnB: tensorInput(ctx, "bn_b"),
      },
    );
    return {
      w: { shape: weight.shape, data: weight.data },
      b: { shape: bias.shape, data: bias.data },
    };
  },
};

/** The fusion handlers. */
export const fusionOps: readonly OpHandler[] = [fuseConvBnEvalOp, fuseLinearBnEvalOp];
