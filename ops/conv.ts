/**
 * The conv family: `quantized_conv2d` on a packed weight. On a kernel set it packs the weight
 * with its geometry (`packConv2d`), runs `conv2dNhwc` on the input stored channels-last, and
 * frees it; a case runs on the kernel paths whose numerics PyTorch's engine picks for this
 * convolution (`convNumerics`: the `x86` backend sends some convolutions to oneDNN).
 * @module
 */
import { type CaseReader, MalformedCase } from "../conformance/op_handler.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import { show } from "../reference/_check.ts";
import { allocIntRepr } from "../reference/dtype.ts";
import { convNumerics, type Engine } from "../reference/engine.ts";
import { toNchw, toNhwc } from "../reference/layout.ts";
import {
  conv2dBuildDependent,
  type Conv2dGeometry,
  type ConvWeight,
  quantizedConv2d,
} from "../reference/quantized_conv2d.ts";
import { QuantizedTensor, type ScaleZeroPoint } from "../reference/tensor.ts";
import { caseQuint8, caseWeightQParams, requireDtype } from "./gemm.ts";
import type { OpDescriptor } from "./op.ts";

/** The arguments of `quantized_conv2d`. */
export interface Conv2dArgs {
  /** The quint8 NCHW input (per tensor). */
  readonly x: QuantizedTensor;
  /** The qint8 OIHW weight with its qparams and float bias. */
  readonly weight: ConvWeight;
  /** Stride, padding, dilation and groups. */
  readonly geometry: Conv2dGeometry;
  /** The output qparams. */
  readonly output: ScaleZeroPoint;
  /** `conv2d_relu`. */
  readonly relu: boolean;
}

function reference(args: Conv2dArgs, engine: Engine): QuantizedTensor {
  if (typeof args?.output !== "object" || args.output === null) {
    throw new TypeError(
      `output: expected output qparams { scale, zeroPoint }, got ${show(args?.output)}`,
    );
  }
  return quantizedConv2d(args.x, args.weight, options(args, engine));
}

function options(args: Conv2dArgs, engine: Engine) {
  return {
    engine,
    ...args.geometry,
    outputScale: args.output.scale,
    outputZeroPoint: args.output.zeroPoint,
    relu: args.relu,
  };
}

/** `x` with a batch of 0, for checks. */
function emptyBatch(x: QuantizedTensor): QuantizedTensor {
  if (!(x instanceof QuantizedTensor) || x.shape.length !== 4) return x;
  return new QuantizedTensor(
    allocIntRepr(x.dtype, 0),
    [0, ...x.shape.slice(1)],
    x.dtype,
    x.qparams,
  );
}

/** The case's ConvWeight from `w` (OIHW), `w_scales`, `w_zero_points` and `bias`. */
function caseConvWeight(c: CaseReader): ConvWeight {
  const w = c.input("w");
  requireDtype(w, "w", "int8");
  if (w.shape.length !== 4) throw new MalformedCase(`input "w" must be 4-D OIHW, got [${w.shape}]`);
  const [o, i, kh, kw] = w.shape;
  return {
    data: w.data as Int8Array,
    outChannels: o,
    inChannelsPerGroup: i,
    kernelH: kh,
    kernelW: kw,
    ...caseWeightQParams(c, o),
  };
}

/** `torch.ops.quantized.conv2d` / `conv2d_relu` with the packed weight's geometry. */
export const conv2d: OpDescriptor<Conv2dArgs, QuantizedTensor> & { readonly family: "conv" } = {
  name: "quantized_conv2d",
  family: "conv",
  pytorch: "torch.ops.quantized.conv2d",
  engine: "required",
  // The reference checks everything before it computes: on an empty batch it checks only.
  check: (args, engine) => void reference({ ...args, x: emptyBatch(args?.x) }, engine),
  reference,
  golden: {
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
    decode: (c) => ({
      x: caseQuint8(c),
      weight: caseConvWeight(c),
      geometry: {
        stride: c.attrs.pair("stride"),
        padding: c.attrs.pair("padding"),
        dilation: c.attrs.pair("dilation"),
        groups: c.attrs.int("groups"),
      },
      output: { scale: c.attrs.number("y_scale"), zeroPoint: c.attrs.int("y_zero_point") },
      relu: c.attrs.bool("relu"),
    }),
    encode(y, args, engine) {
      // Outputs whose scaled accumulator leaves int32 are where builds disagree.
      const mask = engine === undefined
        ? undefined
        : conv2dBuildDependent(args.x, args.weight, options(args, engine));
      const buildDependent = mask?.some((m) => m) ? mask : undefined;
      return { y: { shape: y.shape, data: y.intRepr, buildDependent } };
    },
  },
  kernel: {
    supports(set: KernelSet, args, engine: Engine): boolean {
      const { x, weight, geometry } = args;
      if (x.dtype !== "quint8" || x.shape.length !== 4) return false;
      const weightSymmetric = Array.from(weight.zeroPoints).every((z) => z === 0);
      return convNumerics(engine, { weightSymmetric, groups: geometry.groups }) === set.numerics;
    },
    run(set: KernelSet, args): QuantizedTensor {
      const { x, weight, output } = args;
      const [n, c, h, w] = x.shape;
      const packed = set.packConv2d(weight, args.geometry);
      try {
        const qp = x.qparams as ScaleZeroPoint;
        const y = set.conv2dNhwc(
          { data: toNhwc(x.intRepr as Uint8Array, x.shape), shape: [n, h, w, c] },
          packed,
          {
            inputScale: qp.scale,
            inputZeroPoint: qp.zeroPoint,
            outputScale: output.scale,
            outputZeroPoint: output.zeroPoint,
            relu: args.relu,
          },
        );
        const [, oh, ow, o] = y.shape;
        return new QuantizedTensor(toNchw(y.data, [n, o, oh, ow]), [n, o, oh, ow], "quint8", {
          qscheme: "per_tensor_affine",
          scale: output.scale,
          zeroPoint: output.zeroPoint,
        });
      } finally {
        packed.free();
      }
    },
  },
  properties: { params: {}, runsFactor: 0.3 },
};
