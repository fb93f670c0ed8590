/**
 * The float32 counterparts of the quantized ops (`F.leaky_relu`, `F.hardtanh`, `torch.clamp`,
 * `F.elu`, `F.hardsigmoid`, eval-mode `F.batch_norm`) as PyTorch computes them on float tensors:
 * reference-only descriptors (their golden op names carry no `quantized_` prefix). The float
 * model and the fp32 baseline use the same functions.
 * @module
 */
import type { CaseReader } from "../conformance/op_handler.ts";
import { float32Input } from "../conformance/op_handler.ts";
import { show } from "../reference/_check.ts";
import { floatBatchNorm2d } from "../reference/quantized_batch_norm.ts";
import { floatClamp, floatHardtanh } from "../reference/quantized_clamp.ts";
import { floatElu } from "../reference/quantized_elu.ts";
import { floatHardsigmoid } from "../reference/quantized_hardsigmoid.ts";
import { floatLeakyRelu } from "../reference/quantized_leaky_relu.ts";
import { Tensor } from "../reference/tensor.ts";
import type { OpDescriptor } from "./op.ts";

/** The arguments of a float op: the tensor, the op's numbers, and batch norm's parameters. */
export interface FloatOpArgs {
  readonly x: Tensor;
  readonly attrs: Readonly<Record<string, number>>;
  readonly inputs: Readonly<Record<string, Float32Array>>;
}

/** A float op's descriptor. */
export type FloatOp = OpDescriptor<FloatOpArgs, Tensor> & { readonly family: "reference" };

function floatOp(spec: {
  name: string;
  pytorch: string;
  attrs: readonly string[];
  inputs?: readonly string[];
  reference(args: FloatOpArgs): Tensor;
}): FloatOp {
  const extra = spec.inputs ?? [];
  return {
    name: spec.name,
    family: "reference",
    pytorch: spec.pytorch,
    engine: "optional",
    check(args) {
      if (!(args?.x instanceof Tensor)) {
        throw new TypeError(`x: expected a Tensor, got ${show(args?.x)}`);
      }
    },
    reference: (args) => spec.reference(args),
    golden: {
      attrs: spec.attrs,
      inputs: ["x", ...extra],
      outputs: ["y"],
      decode: (c: CaseReader) => {
        const x = c.input("x");
        return {
          x: new Tensor(float32Input(x, "x"), x.shape),
          attrs: Object.fromEntries(spec.attrs.map((a) => [a, c.attrs.number(a)])),
          inputs: Object.fromEntries(extra.map((i) => [i, float32Input(c.input(i), i)])),
        };
      },
      encode: (y) => ({ y: { shape: y.shape, data: y.data } }),
    },
  };
}

/** `F.leaky_relu` on float32. */
export const floatLeakyReluOp = floatOp({
  name: "leaky_relu",
  pytorch: "torch.nn.functional.leaky_relu",
  attrs: ["negative_slope"],
  reference: (a) => floatLeakyRelu(a.x, a.attrs.negative_slope),
});

/** `F.hardtanh` on float32. */
export const floatHardtanhOp = floatOp({
  name: "hardtanh",
  pytorch: "torch.nn.functional.hardtanh",
  attrs: ["min_val", "max_val"],
  reference: (a) => floatHardtanh(a.x, { minVal: a.attrs.min_val, maxVal: a.attrs.max_val }),
});

/** `torch.clamp` on float32. */
export const floatClampOp = floatOp({
  name: "clamp",
  pytorch: "torch.clamp",
  attrs: ["min", "max"],
  reference: (a) => floatClamp(a.x, { min: a.attrs.min, max: a.attrs.max }),
});

/** `F.elu` on float32. */
export const floatEluOp = floatOp({
  name: "elu",
  pytorch: "torch.nn.functional.elu",
  attrs: ["alpha"],
  reference: (a) => floatElu(a.x, { alpha: a.attrs.alpha }),
});

/** `F.hardsigmoid` on float32. */
export const floatHardsigmoidOp = floatOp({
  name: "hardsigmoid",
  pytorch: "torch.nn.functional.hardsigmoid",
  attrs: [],
  reference: (a) => floatHardsigmoid(a.x),
});

/** Eval-mode `F.batch_norm` on a float32 NCHW tensor. */
export const floatBatchNorm2dOp = floatOp({
  name: "batch_norm2d",
  pytorch: "torch.nn.functional.batch_norm (eval)",
  attrs: ["eps"],
  inputs: ["weight", "bias", "mean", "var"],
  reference: (a) =>
    floatBatchNorm2d(a.x, {
      weight: a.inputs.weight,
      bias: a.inputs.bias,
      mean: a.inputs.mean,
      var: a.inputs.var,
      eps: a.attrs.eps,
    }),
});

/** Every float counterpart. */
export const FLOAT_OPS = [
  floatLeakyReluOp,
  floatHardtanhOp,
  floatClampOp,
  floatEluOp,
  floatHardsigmoidOp,
  floatBatchNorm2dOp,
] as const;
