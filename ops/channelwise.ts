/**
 * The channelwise family: ops whose output code is a function of the input code and its channel
 * (quantized batch norm). On a kernel set they run `lookupChannels`: one 256-entry table per
 * channel, the reference applied to the 256 codes of every channel at once — exact by
 * construction, whichever path (ATen's vector channels or scalar channels) each channel takes.
 * @module
 */
import type { CaseReader } from "../conformance/op_handler.ts";
import { float32Input } from "../conformance/op_handler.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../kernels/qconv.ts";
import { show } from "../reference/_check.ts";
import type { Engine } from "../reference/engine.ts";
import { type BatchNorm2dParams, quantizedBatchNorm2d } from "../reference/quantized_batch_norm.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import { allocIntRepr } from "../reference/dtype.ts";
import { float } from "./domain.ts";
import type { OpDescriptor } from "./op.ts";
import { caseQuantized, type UnaryQParams } from "./unary.ts";

/** The arguments of `quantized_batch_norm2d`. */
export interface BatchNormArgs {
  /** The NCHW input (per-tensor quint8 or qint8). */
  readonly x: QuantizedTensor;
  /** γ, β, running mean and variance (C float32 values each) and ε. */
  readonly params: BatchNorm2dParams;
  /** `batch_norm2d_relu`. */
  readonly relu: boolean;
  /** The output qparams. */
  readonly output: UnaryQParams;
}

function reference(args: BatchNormArgs): QuantizedTensor {
  if (typeof args?.output !== "object" || args.output === null) {
    throw new TypeError(
      `output: expected output qparams { scale, zeroPoint }, got ${show(args?.output)}`,
    );
  }
  return quantizedBatchNorm2d(args.x, {
    ...args.params,
    relu: args.relu,
    outputScale: args.output.scale,
    outputZeroPoint: args.output.zeroPoint,
  });
}

/**
 * The per-channel tables of a batch norm (`tables[256·c + q]`) for input qparams `input` and `c`
 * channels: the reference on a `[256, C, 1, 1]` input whose image `q` holds code `q` everywhere.
 */
export function batchNormTables(
  args: Omit<BatchNormArgs, "x">,
  input: UnaryQParams,
  channels: number,
): Uint8Array {
  const codes = new Uint8Array(256 * channels);
  for (let q = 0; q < 256; q++) codes.fill(q, q * channels, (q + 1) * channels);
  const x = new QuantizedTensor(codes, [256, channels, 1, 1], "quint8", {
    qscheme: "per_tensor_affine",
    scale: input.scale,
    zeroPoint: input.zeroPoint,
  });
  const y = reference({ ...args, x }).intRepr as Uint8Array;
  const tables = new Uint8Array(256 * channels);
  for (let q = 0; q < 256; q++) {
    for (let c = 0; c < channels; c++) tables[256 * c + q] = y[q * channels + c];
  }
  return tables;
}

/** `x` with a batch of 0 (its dtype, qparams and other dimensions), for checks. */
function emptyBatch(x: QuantizedTensor): QuantizedTensor {
  if (!(x instanceof QuantizedTensor) || x.shape.length !== 4) return x;
  return new QuantizedTensor(
    allocIntRepr(x.dtype, 0),
    [0, ...x.shape.slice(1)],
    x.dtype,
    x.qparams,
  );
}

/** `torch.ops.quantized.batch_norm2d` / `batch_norm2d_relu`. */
export const batchNorm2d: OpDescriptor<BatchNormArgs, QuantizedTensor> & {
  readonly family: "channelwise";
} = {
  name: "quantized_batch_norm2d",
  family: "channelwise",
  pytorch: "torch.ops.quantized.batch_norm2d",
  engine: "optional",
  // The reference checks everything before it computes: on an empty batch it checks only.
  check: (args) => void reference({ ...args, x: emptyBatch(args?.x) }),
  reference: (args) => reference(args),
  golden: {
    attrs: ["eps", "relu", "x_scale", "x_zero_point", "y_scale", "y_zero_point"],
    inputs: ["x", "weight", "bias", "mean", "var"],
    outputs: ["y"],
    decode: (c: CaseReader) => ({
      x: caseQuantized(c, "x"),
      params: {
        weight: float32Input(c.input("weight"), "weight"),
        bias: float32Input(c.input("bias"), "bias"),
        mean: float32Input(c.input("mean"), "mean"),
        var: float32Input(c.input("var"), "var"),
        eps: c.attrs.number("eps"),
      },
      relu: c.attrs.bool("relu"),
      output: { scale: c.attrs.number("y_scale"), zeroPoint: c.attrs.int("y_zero_point") },
    }),
    encode: (y) => ({ y: { shape: y.shape, data: y.intRepr } }),
  },
  kernel: {
    supports: (_set: KernelSet, args) => args.x.dtype === "quint8" && args.x.size > 0,
    run(set: KernelSet, args, _engine: Engine): QuantizedTensor {
      const x = args.x;
      const tables = batchNormTables(args, x.qparams as UnaryQParams, x.shape[1]);
      const y = nhwcToNchw(
        set.lookupChannels(nchwToNhwc(x.intRepr as Uint8Array, x.shape), tables),
      );
      return new QuantizedTensor(y.data, y.shape, "quint8", {
        qscheme: "per_tensor_affine",
        scale: args.output.scale,
        zeroPoint: args.output.zeroPoint,
      });
    },
  },
  properties: {
    params: {
      eps: float(0, 1e-3, [0, 1e-5, 1e-30]),
      gamma: float(-4, 4, [0, -0, 1e-20, 1e20]),
      spread: float(0, 4, [0]),
    },
  },
};

/** Every channelwise op. */
export const CHANNELWISE_OPS = [batchNorm2d] as const;
