/**
 * The pool family: max, average and adaptive average pooling of a 4-D quantized tensor. On a
 * kernel set they run `pool2dNhwc` on the codes stored channels-last, which is PyTorch's own
 * kernel for a channels-last input: QNNPACK's operators under the qnnpack engine where they are
 * eligible, ATen's channels-last kernels otherwise. A case whose input PyTorch would pool with
 * its NCHW loop (an NCHW-contiguous input on an x86 engine) stays on the reference.
 * @module
 */
import type { CaseReader } from "../conformance/op_handler.ts";
import {
  type AvgPool2dArgs,
  kernelEngine,
  type KernelSet,
  type MaxPool2dArgs,
  type Pair,
  type PoolWindowArgs,
} from "../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../kernels/qconv.ts";
import type { Engine } from "../reference/engine.ts";
import {
  nhwcReadAsNchw,
  poolKernel,
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../reference/quantized_pool.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import { allocIntRepr } from "../reference/dtype.ts";
import type { OpDescriptor } from "./op.ts";
import { caseQuantized, type UnaryQParams } from "./unary.ts";

/** The arguments of a pooling op: an NCHW input, its memory format and the window. */
export interface PoolArgs<W extends PoolWindowArgs = PoolWindowArgs> {
  /** The input in logical NCHW order (per-tensor quint8 or qint8). */
  readonly x: QuantizedTensor;
  /** Whether PyTorch's input is stored channels-last (it selects the kernel). */
  readonly channelsLast: boolean;
  /** Which pooling, with its geometry. */
  readonly window: W;
}

/** A pooling op's descriptor. */
export interface PoolOp<W extends PoolWindowArgs = PoolWindowArgs>
  extends OpDescriptor<PoolArgs<W>, QuantizedTensor> {
  readonly family: "pool";
}

/** The reference of one window kind. */
function poolReference(args: PoolArgs, engine: Engine): QuantizedTensor {
  const common = { engine, channelsLast: args.channelsLast };
  const w = args.window;
  if (w.kind === "max") return quantizedMaxPool2d(args.x, { ...common, ...w });
  if (w.kind === "avg") return quantizedAvgPool2d(args.x, { ...common, ...w });
  return quantizedAdaptiveAvgPool2d(args.x, { ...common, outputSize: w.outputSize });
}

/** Whether QNNPACK would take the window (no ceil mode; an adaptive size dividing the input). */
function qnnpackEligible(x: QuantizedTensor, w: PoolWindowArgs): boolean {
  if (w.kind !== "adaptive_avg") return !w.ceilMode;
  const [oh, ow] = w.outputSize;
  const [h, wd] = x.shape.slice(-2);
  return h % oh === 0 && wd % ow === 0 && !(h === oh && wd === ow);
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

function poolOp<W extends PoolWindowArgs>(spec: {
  name: string;
  pytorch: string;
  attrs: readonly string[];
  window(c: CaseReader): W;
}): PoolOp<W> {
  return {
    name: spec.name,
    family: "pool",
    pytorch: spec.pytorch,
    engine: "required",
    // The reference checks the tensor and the window up front: on an empty batch it checks only.
    check: (args, engine) => void poolReference({ ...args, x: emptyBatch(args.x) }, engine),
    reference: (args, engine) => poolReference(args, engine),
    golden: {
      attrs: [...spec.attrs, "x_scale", "x_zero_point", "channels_last"],
      inputs: ["x"],
      outputs: ["y"],
      decode: (c) => ({
        x: caseQuantized(c, "x"),
        channelsLast: c.attrs.optional("channels_last", c.attrs.bool, false),
        window: spec.window(c),
      }),
      encode: (y) => ({ y: { shape: y.shape, data: y.intRepr } }),
    },
    kernel: {
      supports(set: KernelSet, args, engine: Engine): boolean {
        const x = args.x;
        if (x.dtype !== "quint8" || x.shape.length !== 4) return false;
        const eligible = qnnpackEligible(x, args.window);
        const options = { channelsLast: args.channelsLast, qnnpackEligible: eligible };
        return poolKernel(x, engine, options) ===
          poolKernel(x, kernelEngine(set.numerics), {
            channelsLast: true,
            qnnpackEligible: eligible,
          });
      },
      run(set: KernelSet, args, engine: Engine): QuantizedTensor {
        const x = args.x;
        const qp = x.qparams as UnaryQParams;
        const nhwc = set.pool2dNhwc(nchwToNhwc(x.intRepr as Uint8Array, x.shape), qp, args.window);
        const [n, oh, ow, c] = nhwc.shape;
        const kernel = poolKernel(x, engine, {
          channelsLast: args.channelsLast,
          qnnpackEligible: qnnpackEligible(x, args.window),
        });
        // PyTorch's layout quirk: its output is the NHWC data read as NCHW.
        const y = nhwcReadAsNchw(x.shape, [n, c, oh, ow], kernel)
          ? { data: nhwc.data, shape: [n, c, oh, ow] }
          : nhwcToNchw(nhwc);
        return new QuantizedTensor(y.data, y.shape, "quint8", x.qparams);
      },
    },
    properties: { params: {}, runsFactor: 0.5 },
  };
}

/** `torch.nn.functional.max_pool2d` of a quantized tensor. */
export const maxPool2d: PoolOp<{ kind: "max" } & MaxPool2dArgs> = poolOp({
  name: "quantized_max_pool2d",
  pytorch: "torch.nn.functional.max_pool2d",
  attrs: ["kernel_size", "stride", "padding", "dilation", "ceil_mode"],
  window: (c) => ({
    kind: "max",
    kernelSize: c.attrs.pair("kernel_size"),
    stride: c.attrs.pair("stride"),
    padding: c.attrs.pair("padding"),
    dilation: c.attrs.pair("dilation"),
    ceilMode: c.attrs.bool("ceil_mode"),
  }),
});

/** `torch.nn.functional.avg_pool2d` of a quantized tensor. */
export const avgPool2d: PoolOp<{ kind: "avg" } & AvgPool2dArgs> = poolOp({
  name: "quantized_avg_pool2d",
  pytorch: "torch.nn.functional.avg_pool2d",
  attrs: ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
  window: (c) => ({
    kind: "avg",
    kernelSize: c.attrs.pair("kernel_size"),
    stride: c.attrs.pair("stride"),
    padding: c.attrs.pair("padding"),
    ceilMode: c.attrs.bool("ceil_mode"),
    countIncludePad: c.attrs.bool("count_include_pad"),
    divisorOverride: c.attrs.optional("divisor_override", c.attrs.int, null),
  }),
});

/** `torch.nn.functional.adaptive_avg_pool2d` of a quantized tensor. */
export const adaptiveAvgPool2d: PoolOp<{ kind: "adaptive_avg"; outputSize: Pair }> = poolOp({
  name: "quantized_adaptive_avg_pool2d",
  pytorch: "torch.nn.functional.adaptive_avg_pool2d",
  attrs: ["output_size"],
  window: (c) => ({ kind: "adaptive_avg", outputSize: c.attrs.pair("output_size") }),
});

/** Every pooling op. */
export const POOL_OPS = [maxPool2d, avgPool2d, adaptiveAvgPool2d] as const;
