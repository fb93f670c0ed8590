/**
 * Golden ops fake_quantize_per_tensor_affine, fake_quantize_per_channel_affine and the learnable
 * (LSQ) fake_quantize_learnable_per_tensor_affine / fake_quantize_learnable_per_channel_affine,
 * forward (`y`) and backward (`dx`, and for LSQ `dscale`, `dzero_point`), run on the reference.
 * Elements whose input is NaN, ±Infinity or overflows the kernel's integer conversion are marked
 * build-dependent (reference/fake_quantize.ts documents the behaviour chosen there).
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenTensor } from "../golden_file.ts";
import {
  float32Input,
  MalformedCase,
  numericInput,
  type OpHandler,
  type RunContext,
} from "../op_handler.ts";
import {
  fakeQuantizeLearnablePerChannelAffine,
  fakeQuantizeLearnablePerChannelAffineBackward,
  fakeQuantizeLearnablePerChannelBuildDependent,
  fakeQuantizeLearnablePerTensorAffine,
  fakeQuantizeLearnablePerTensorAffineBackward,
  fakeQuantizeLearnablePerTensorBuildDependent,
  fakeQuantizePerChannelAffineBackward,
  fakeQuantizePerChannelAffineCachemask,
  fakeQuantizePerChannelBuildDependent,
  type FakeQuantizePerChannelOptions,
  fakeQuantizePerTensorAffineBackward,
  fakeQuantizePerTensorAffineCachemask,
  fakeQuantizePerTensorBuildDependent,
  type LearnablePerChannelOptions,
  type LearnablePerTensorOptions,
} from "../../reference/fake_quantize.ts";
import { splitAtAxis, Tensor } from "../../reference/tensor.ts";

function tensorInput(ctx: RunContext, name: string): Tensor {
  const t = ctx.input(name);
  return new Tensor(float32Input(t, name), t.shape);
}

/** The `dy` input, required when the case records `dx`. */
function dyInput(ctx: RunContext, x: Tensor): Tensor | undefined {
  if (ctx.optionalInput("dy") === undefined) {
    if ("dx" in ctx.testCase.outputs) throw new MalformedCase(`output "dx" needs the input "dy"`);
    return undefined;
  }
  const dy = tensorInput(ctx, "dy");
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) {
    throw new MalformedCase(`input "dy" has shape [${dy.shape}], x has [${x.shape}]`);
  }
  return dy;
}

function produced(t: Tensor, buildDependent?: Uint8Array): Produced {
  return { shape: t.shape, data: t.data, buildDependent };
}

function floats(t: GoldenTensor, name: string): Float64Array {
  return numericInput(t, name, ["float32", "float64"]);
}

/** Marks a channel (or the single per-tensor entry) when any of its elements is marked. */
function reduceMask(
  mask: Uint8Array | undefined,
  shape: readonly number[],
  axis: number | undefined,
): Uint8Array | undefined {
  if (mask === undefined) return undefined;
  if (axis === undefined) return Uint8Array.of(mask.some((m) => m === 1) ? 1 : 0);
  const { channels, inner } = splitAtAxis(shape, axis);
  const out = new Uint8Array(channels);
  mask.forEach((m, i) => {
    if (m) out[Math.floor(i / inner) % channels] = 1;
  });
  return out;
}

function normalisedAxis(ctx: RunContext, rank: number): number {
  const axis = ctx.attrs.int("axis");
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) {
    throw new MalformedCase(`attribute "axis" ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** `torch.fake_quantize_per_tensor_affine` and its gradient. */
export const fakeQuantizePerTensorOp: OpHandler = {
  op: "fake_quantize_per_tensor_affine",
  attrs: ["scale", "zero_point", "quant_min", "quant_max"],
  inputs: ["x", "dy"],
  outputs: ["y", "dx"],
  run(ctx) {
    const x = tensorInput(ctx, "x");
    const options = {
      scale: ctx.attrs.number("scale"),
      zeroPoint: ctx.attrs.int("zero_point"),
      quantMin: ctx.attrs.int("quant_min"),
      quantMax: ctx.attrs.int("quant_max"),
    };
    const mask = fakeQuantizePerTensorBuildDependent(x, options);
    const out: Record<string, Produced> = {
      y: produced(fakeQuantizePerTensorAffineCachemask(x, options).y, mask),
    };
    const dy = dyInput(ctx, x);
    if (dy !== undefined) {
      out.dx = produced(fakeQuantizePerTensorAffineBackward(dy, x, options), mask);
    }
    return out;
  },
};

/** `torch.fake_quantize_per_channel_affine` (an int zero-point tensor, or a float one). */
export const fakeQuantizePerChannelOp: OpHandler = {
  op: "fake_quantize_per_channel_affine",
  attrs: ["axis", "quant_min", "quant_max"],
  inputs: ["x", "scale", "zero_point", "dy"],
  outputs: ["y", "dx"],
  run(ctx) {
    const x = tensorInput(ctx, "x");
    const zp = ctx.input("zero_point");
    const floatZeroPoints = zp.dtype === "float32" || zp.dtype === "float64";
    const options: FakeQuantizePerChannelOptions = {
      scales: floats(ctx.input("scale"), "scale"),
      zeroPoints: numericInput(zp, "zero_point", ["int32", "int64", "float32", "float64"]),
      axis: normalisedAxis(ctx, x.shape.length),
      quantMin: ctx.attrs.int("quant_min"),
      quantMax: ctx.attrs.int("quant_max"),
      floatZeroPoints,
    };
    const mask = fakeQuantizePerChannelBuildDependent(x, options);
    const out: Record<string, Produced> = {
      y: produced(fakeQuantizePerChannelAffineCachemask(x, options).y, mask),
    };
    const dy = dyInput(ctx, x);
    if (dy !== undefined) {
      out.dx = produced(fakeQuantizePerChannelAffineBackward(dy, x, options), mask);
    }
    return out;
  },
};

/** Computes every LSQ output the case names (the backward only when it asks for a gradient). */
function learnableOutputs(
  ctx: RunContext,
  x: Tensor,
  axis: number | undefined,
  forward: () => Tensor,
  backward: (dy: Tensor) => { dx: Tensor; dScale: Tensor; dZeroPoint: Tensor },
  mask: Uint8Array | undefined,
): Record<string, Produced> {
  const out: Record<string, Produced> = { y: produced(forward(), mask) };
  const wantsBackward = ["dx", "dscale", "dzero_point"].some((n) => n in ctx.testCase.outputs);
  if (!wantsBackward) return out;
  const dy = dyInput(ctx, x);
  if (dy === undefined) throw new MalformedCase(`the gradient outputs need the input "dy"`);
  const grads = backward(dy);
  const reduced = reduceMask(mask, x.shape, axis);
  out.dx = produced(grads.dx, mask);
  out.dscale = produced(grads.dScale, reduced);
  out.dzero_point = produced(grads.dZeroPoint, reduced);
  return out;
}

/** `torch._fake_quantize_learnable_per_tensor_affine` (LSQ) and its gradients. */
export const fakeQuantizeLearnablePerTensorOp: OpHandler = {
  op: "fake_quantize_learnable_per_tensor_affine",
  attrs: ["quant_min", "quant_max", "grad_factor"],
  inputs: ["x", "scale", "zero_point", "dy"],
  outputs: ["y", "dx", "dscale", "dzero_point"],
  run(ctx) {
    const x = tensorInput(ctx, "x");
    const scale = floats(ctx.input("scale"), "scale");
    const zeroPoint = floats(ctx.input("zero_point"), "zero_point");
    if (scale.length !== 1 || zeroPoint.length !== 1) {
      throw new MalformedCase(`inputs "scale" and "zero_point" must hold one value each`);
    }
    const options: LearnablePerTensorOptions = {
      scale: scale[0],
      zeroPoint: zeroPoint[0],
      quantMin: ctx.attrs.int("quant_min"),
      quantMax: ctx.attrs.int("quant_max"),
      gradFactor: ctx.attrs.optional("grad_factor", ctx.attrs.number, 1),
    };
    return learnableOutputs(
      ctx,
      x,
      undefined,
      () => fakeQuantizeLearnablePerTensorAffine(x, options),
      (dy) => fakeQuantizeLearnablePerTensorAffineBackward(dy, x, options),
      fakeQuantizeLearnablePerTensorBuildDependent(x, options),
    );
  },
};

/** `torch._fake_quantize_learnable_per_channel_affine` (LSQ) and its gradients. */
export const fakeQuantizeLearnablePerChannelOp: OpHandler = {
  op: "fake_quantize_learnable_per_channel_affine",
  attrs: ["axis", "quant_min", "quant_max", "grad_factor"],
  inputs: ["x", "scale", "zero_point", "dy"],
  outputs: ["y", "dx", "dscale", "dzero_point"],
  run(ctx) {
    const x = tensorInput(ctx, "x");
    const axis = normalisedAxis(ctx, x.shape.length);
    const options: LearnablePerChannelOptions = {
      scales: floats(ctx.input("scale"), "scale"),
      zeroPoints: floats(ctx.input("zero_point"), "zero_point"),
      axis,
      quantMin: ctx.attrs.int("quant_min"),
      quantMax: ctx.attrs.int("quant_max"),
      gradFactor: ctx.attrs.optional("grad_factor", ctx.attrs.number, 1),
    };
    return learnableOutputs(
      ctx,
      x,
      axis,
      () => fakeQuantizeLearnablePerChannelAffine(x, options),
      (dy) => fakeQuantizeLearnablePerChannelAffineBackward(dy, x, options),
      fakeQuantizeLearnablePerChannelBuildDependent(x, options),
    );
  },
};

/** The fake quantization handlers. */
export const fakeQuantizeOps: readonly OpHandler[] = [
  fakeQuantizePerTensorOp,
  fakeQuantizePerChannelOp,
  fakeQuantizeLearnablePerTensorOp,
  fakeQuantizeLearnablePerChannelOp,
];
