/**
 * The cat family: `quantized::cat` of quantized tensors. On a kernel set it runs
 * `catChannelsNhwc` — PyTorch's channels-last path (dim 1 of 4-D channels-last quint8 inputs),
 * the same on every engine; other cases stay on the reference.
 * @module
 */
import { type CaseReader, MalformedCase } from "../conformance/op_handler.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../kernels/qconv.ts";
import { isChannelsLastContiguous, quantizedCat } from "../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import { allocIntRepr } from "../reference/dtype.ts";
import { show } from "../reference/_check.ts";
import type { OpDescriptor } from "./op.ts";
import type { UnaryQParams } from "./unary.ts";

/** The arguments of `quantized_cat`. */
export interface CatArgs {
  /** The inputs (per-tensor quint8 or qint8, logical order). */
  readonly xs: readonly QuantizedTensor[];
  /** The dimension (negative counts from the end). */
  readonly dim: number;
  /** The output qparams. */
  readonly output: UnaryQParams;
  /** Whether PyTorch's inputs are stored channels-last. */
  readonly channelsLast: boolean;
}

function reference(args: CatArgs): QuantizedTensor {
  return quantizedCat(args.xs, {
    dim: args.dim,
    outputScale: args.output.scale,
    outputZeroPoint: args.output.zeroPoint,
    channelsLast: args.channelsLast,
  });
}

/** The inputs with a first dimension of 0 (same dtype, qparams, other dimensions). */
function emptied(xs: readonly QuantizedTensor[]): readonly QuantizedTensor[] {
  if (!Array.isArray(xs)) return xs;
  return xs.map((x) => {
    if (!(x instanceof QuantizedTensor) || x.shape.length === 0) return x;
    return new QuantizedTensor(
      allocIntRepr(x.dtype, 0),
      [0, ...x.shape.slice(1)],
      x.dtype,
      x.qparams,
    );
  });
}

/** The case's inputs `x0`, `x1`, … with their qparams from `x_scales`/`x_zero_points`. */
function caseInputs(c: CaseReader): QuantizedTensor[] {
  const names = Object.keys(c.testCase.inputs).sort((a, b) =>
    Number(a.slice(1)) - Number(b.slice(1))
  );
  names.forEach((name, i) => {
    if (name !== `x${i}`) throw new MalformedCase(`inputs must be x0, x1, …; found "${name}"`);
  });
  const scales = c.attrs.numbers("x_scales");
  const zeroPoints = c.attrs.ints("x_zero_points");
  if (scales.length !== names.length || zeroPoints.length !== names.length) {
    throw new MalformedCase(
      `x_scales and x_zero_points need one value per input (${names.length})`,
    );
  }
  return names.map((name, i) => {
    const t = c.input(name);
    if (t.dtype !== "uint8" && t.dtype !== "int8") {
      throw new MalformedCase(`input "${name}" must be uint8 or int8, got ${t.dtype}`);
    }
    return new QuantizedTensor(
      t.data as Uint8Array,
      t.shape,
      t.dtype === "uint8" ? "quint8" : "qint8",
      {
        qscheme: "per_tensor_affine",
        scale: scales[i],
        zeroPoint: zeroPoints[i],
      },
    );
  });
}

/** `torch.ops.quantized.cat(xs, dim, scale, zero_point)`. */
export const cat: OpDescriptor<CatArgs, QuantizedTensor> & { readonly family: "cat" } = {
  name: "quantized_cat",
  family: "cat",
  pytorch: "torch.ops.quantized.cat",
  engine: "optional",
  // The reference checks every input and option up front: on empty inputs it checks only.
  check(args) {
    if (typeof args?.output !== "object" || args.output === null) {
      throw new TypeError(
        `output: expected output qparams { scale, zeroPoint }, got ${show(args?.output)}`,
      );
    }
    reference({ ...args, xs: emptied(args.xs) });
  },
  reference,
  golden: {
    attrs: ["dim", "y_scale", "y_zero_point", "x_scales", "x_zero_points", "channels_last"],
    inputs: [/^x\d+$/],
    outputs: ["y"],
    decode: (c) => ({
      xs: caseInputs(c),
      dim: c.attrs.int("dim"),
      output: { scale: c.attrs.number("y_scale"), zeroPoint: c.attrs.int("y_zero_point") },
      channelsLast: c.attrs.optional("channels_last", c.attrs.bool, false),
    }),
    encode: (y) => ({ y: { shape: y.shape, data: y.intRepr } }),
  },
  kernel: {
    supports(_set: KernelSet, args): boolean {
      const { xs, dim } = args;
      if (xs.length === 0 || (dim !== 1 && dim !== -3)) return false;
      if (!xs.every((x) => x.dtype === "quint8" && x.shape.length === 4)) return false;
      return args.channelsLast || xs.every((x) => isChannelsLastContiguous(x.shape));
    },
    run(set: KernelSet, args): QuantizedTensor {
      const y = set.catChannelsNhwc(
        args.xs.map((x) => ({
          tensor: nchwToNhwc(x.intRepr as Uint8Array, x.shape),
          qparams: x.qparams as UnaryQParams,
        })),
        args.output,
      );
      const nchw = nhwcToNchw(y);
      return new QuantizedTensor(nchw.data, nchw.shape, "quint8", {
        qscheme: "per_tensor_affine",
        scale: args.output.scale,
        zeroPoint: args.output.zeroPoint,
      });
    },
  },
  properties: { params: {} },
};
