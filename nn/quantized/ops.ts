/**
 * `QuantizedOps`: every quantized op a converted model runs, on one kernel set. Activations are
 * NHWC inside; each op runs the KernelSet's kernel where that kernel computes what PyTorch
 * computes for the tensor at hand, and the reference otherwise:
 *
 * - quantize, dequantize, linear, conv, relu, relu6, mul: always the kernels;
 * - add: the kernels, on the operands in PyTorch's memory order (ATen's x86 kernel splits vector
 *   and scalar elements by position);
 * - cat: the kernels on PyTorch's channels-last fast path (dim 1, every input channels-last),
 *   the reference otherwise;
 * - pooling: the kernels where PyTorch takes QNNPACK's or the channels-last kernel, the
 *   reference where it takes the NCHW kernel (an NCHW-contiguous input on the x86 engine);
 * - add_scalar, mul_scalar: the reference (the kernel sets have no such kernels).
 * @module
 */
import type { Engine } from "../../reference/engine.ts";
import { quantizedAddScalar, quantizedMulScalar } from "../../reference/quantized_elementwise.ts";
import { quantizedCat } from "../../reference/quantized_elementwise.ts";
import type { StaticLinearParams } from "../../reference/quantized_linear.ts";
import {
  nhwcReadAsNchw,
  type PoolKernel,
  poolKernel,
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../../reference/quantized_pool.ts";
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import {
  kernelEngine,
  type KernelSet,
  type NhwcTensor,
  type PackedConvWeight,
  type PackedLinearWeight,
} from "../../kernels/kernel_set.ts";
import { type IntPair, pair, show } from "../_util.ts";
import { SHARED_ON_COPY } from "../_deepcopy.ts";
import { flattenShape } from "../functional/elementwise.ts";
import { codesToNhwc, toNchw, toNhwc } from "../../reference/layout.ts";
import { type ActivationQParams, checkQTensor, QTensor } from "./qtensor.ts";
import { runKernel } from "../../ops/op.ts";
import type { UnaryOp } from "../../ops/unary.ts";
import { relu, relu6 } from "../../ops/activations.ts";
import { add, addRelu, mul, mulRelu } from "../../ops/elementwise.ts";
import { batchNorm2d, type BatchNormArgs, batchNormTables } from "../../ops/channelwise.ts";
import { BoundedCache } from "../../kernels/staging.ts";

/** Options of the quantized pooling ops (PyTorch's arguments). */
export interface QuantizedPoolOptions {
  /** The window. */
  kernelSize: IntPair;
  /** Default: the window. */
  stride?: IntPair;
  /** Default 0. */
  padding?: IntPair;
  /** Default 1 (max pooling only). */
  dilation?: IntPair;
  /** Default false. */
  ceilMode?: boolean;
  /** Default true (average pooling only). */
  countIncludePad?: boolean;
  /** Default none (average pooling only). */
  divisorOverride?: number | null;
}

/** The quantized ops of one kernel set. */
export class QuantizedOps {
  /** The kernel set. */
  readonly kernels: KernelSet;
  /** The PyTorch engine whose numerics the kernel set reproduces (`x86` or `qnnpack`). */
  readonly engine: Engine;
  /** Batch-norm tables by parameters and qparams. */
  private readonly bnTables = new BoundedCache<Uint8Array>(16);
  /** Copies of a model share its ops (the kernel sets and their memory). */
  readonly [SHARED_ON_COPY] = true;
  /** Reused scratch of `quantize` (see `scratch`). */
  private codeScratch = new Uint8Array(0);

  /** The ops of `kernels`. */
  constructor(kernels: KernelSet) {
    if (typeof kernels !== "object" || kernels === null || typeof kernels.linear !== "function") {
      throw new TypeError(`kernels: expected a KernelSet, got ${show(kernels)}`);
    }
    this.kernels = kernels;
    this.engine = kernelEngine(kernels.numerics);
  }

  /** `torch.quantize_per_tensor(x, scale, zero_point, torch.quint8)` of an NCHW float tensor. */
  quantize(x: Tensor, qparams: ActivationQParams): QTensor {
    if (!(x instanceof Tensor)) {
      throw new TypeError(`x: Quantize expects a float Tensor, got ${show(x)}`);
    }
    const codes = this.kernels.quantize(x.data, { ...qparams, dtype: "quint8" }) as Uint8Array;
    // Permuted to NHWC through reused scratch, back into the codes' own (fresh) array.
    if (x.shape.length === 4) codes.set(codesToNhwc(codes, x.shape, this.scratch(x.size)));
    return new QTensor(codes, x.shape, qparams, { channelsLast: false, ops: this });
  }

  /** `size` bytes of scratch, reused from call to call. */
  private scratch(size: number): Uint8Array {
    if (this.codeScratch.length < size) this.codeScratch = new Uint8Array(size);
    return this.codeScratch.subarray(0, size);
  }

  /** `x.dequantize()`: the float tensor in logical NCHW order. */
  dequantize(x: QTensor): Tensor {
    checkQTensor("x", x);
    const data = this.kernels.dequantize(x.logicalCodes(), {
      scale: x.scale,
      zeroPoint: x.zeroPoint,
      dtype: "quint8",
    });
    return new Tensor(data, x.shape);
  }

  /** `quantized::linear[_relu]` over the last dimension. */
  linear(x: QTensor, packed: PackedLinearWeight, params: StaticLinearParams): QTensor {
    checkQTensor("x", x);
    const k = packed.weight.inFeatures;
    if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== k) {
      throw new RangeError(
        `x: the last dimension of shape [${x.shape}] must be the in_features ${k}`,
      );
    }
    const y = this.kernels.linear(x.logicalCodes(), x.size / k, packed, params);
    const shape = [...x.shape.slice(0, -1), packed.weight.outFeatures];
    const out = { scale: params.outputScale, zeroPoint: params.outputZeroPoint };
    const data = shape.length === 4 ? toNhwc(y, shape) : y;
    return new QTensor(data, shape, out, { channelsLast: false, ops: this });
  }

  /** `quantized::conv2d[_relu]`: NCHW logical in and out; PyTorch's output is channels-last. */
  conv2d(x: QTensor, packed: PackedConvWeight, params: StaticLinearParams): QTensor {
    checkQTensor("x", x);
    if (x.shape.length !== 4) {
      throw new RangeError(`x: conv2d expects a 4-D [N, C, H, W] input, got [${x.shape}]`);
    }
    const y = this.kernels.conv2dNhwc(this.nhwc(x), packed, params);
    const out = { scale: params.outputScale, zeroPoint: params.outputZeroPoint };
    return this.fromNhwc(y, out, true);
  }

  /**
   * `quantized::add[_relu]` / `mul[_relu]` of same-shaped tensors. PyTorch makes `b`
   * contiguous in `a`'s memory format, computes in that order and returns that format.
   */
  binary(op: "add" | "mul", a: QTensor, b: QTensor, out: ActivationQParams, relu = false): QTensor {
    checkQTensor("a", a);
    checkQTensor("b", b);
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new RangeError(`b: shape [${b.shape}] differs from a's [${a.shape}]`);
    }
    const order = (q: QTensor) =>
      a.channelsLast || q.shape.length !== 4 ? q.data : toNchw(q.data, q.shape);
    const descriptor = op === "add" ? (relu ? addRelu : add) : (relu ? mulRelu : mul);
    const flat = (q: QTensor) =>
      new QuantizedTensor(order(q), [q.size], "quint8", {
        qscheme: "per_tensor_affine",
        scale: q.scale,
        zeroPoint: q.zeroPoint,
      });
    const y = runKernel(
      descriptor,
      this.kernels,
      { a: flat(a), b: flat(b), output: out },
      this.engine,
    )
      .intRepr as Uint8Array;
    const data = a.channelsLast || a.shape.length !== 4 ? y : toNhwc(y, a.shape);
    return new QTensor(data, a.shape, out, { channelsLast: a.channelsLast, ops: this });
  }

  /**
   * `quantized::cat(xs, dim, scale, zero_point)`: the kernels on PyTorch's NHWC fast path (dim
   * 1, every input channels-last), the reference otherwise. The result is channels-last when
   * every input is (PyTorch keeps the format then).
   */
  cat(xs: readonly QTensor[], dim: number, out: ActivationQParams): QTensor {
    if (!Array.isArray(xs) || xs.length === 0) {
      throw new RangeError(`xs: expected at least one quantized tensor, got ${show(xs)}`);
    }
    xs.forEach((x, i) => checkQTensor(`xs[${i}]`, x));
    const channelsLast = xs.every((x) => x.channelsLast || isChannelsLastShape(x.shape));
    const rank = xs[0].shape.length;
    if (rank === 4 && (dim === 1 || dim === -3) && channelsLast) {
      const y = this.kernels.catChannelsNhwc(
        xs.map((x) => ({ tensor: this.nhwc(x), qparams: x })),
        out,
      );
      return this.fromNhwc(y, out, xs.every((x) => x.channelsLast));
    }
    const y = quantizedCat(xs.map((x) => x.toQuantizedTensor()), {
      dim,
      outputScale: out.scale,
      outputZeroPoint: out.zeroPoint,
    });
    return QTensor.fromQuantizedTensor(y, {
      channelsLast: xs.every((x) => x.channelsLast),
      ops: this,
    });
  }

  /** `quantized::add_scalar` / `mul_scalar` (new qparams, codes requantized when needed). */
  scalar(op: "add" | "mul", x: QTensor, c: number): QTensor {
    checkQTensor("x", x);
    const ref = new QuantizedTensor(x.data, [x.size], "quint8", {
      qscheme: "per_tensor_affine",
      scale: x.scale,
      zeroPoint: x.zeroPoint,
    });
    const y = (op === "add" ? quantizedAddScalar : quantizedMulScalar)(ref, c);
    const qp = y.qparams as { scale: number; zeroPoint: number };
    return new QTensor(y.intRepr as Uint8Array, x.shape, qp, {
      channelsLast: x.channelsLast,
      ops: this,
    });
  }

  /**
   * A unary op (relu, hardswish, sigmoid, leaky_relu, …) on the kernels, over the codes in
   * PyTorch's memory order (ATen's kernels split vector and scalar elements by position). The
   * output keeps the input's format or is NCHW-contiguous, as the op says.
   */
  unary<P>(op: UnaryOp<P>, x: QTensor, params: P, output?: ActivationQParams): QTensor {
    checkQTensor("x", x);
    const qparams = {
      qscheme: "per_tensor_affine" as const,
      scale: x.scale,
      zeroPoint: x.zeroPoint,
    };
    const args = { x: new QuantizedTensor(x.data, [x.size], "quint8", qparams), params, output };
    op.check(args, this.engine);
    // Only a table whose vector and scalar halves differ depends on the memory order.
    const table = op.table(args, x, this.engine);
    const nchwOrder = x.shape.length === 4 && !x.channelsLast && table !== null &&
      table.vector.some((v, i) => v !== table.scalar[i]);
    const codes = nchwOrder
      ? new QuantizedTensor(toNchw(x.data, x.shape), [x.size], "quint8", qparams)
      : args.x;
    const y = runKernel(op, this.kernels, { ...args, x: codes }, this.engine);
    const data = nchwOrder ? toNhwc(y.intRepr as Uint8Array, x.shape) : y.intRepr as Uint8Array;
    const qp = y.qparams as ActivationQParams;
    return new QTensor(data, x.shape, { scale: qp.scale, zeroPoint: qp.zeroPoint }, {
      channelsLast: op.spec.keepsFormat && x.channelsLast,
      ops: this,
    });
  }

  /**
   * `quantized::batch_norm2d[_relu]` on the kernels: one 256-entry table per channel (cached per
   * parameter set and input qparams); PyTorch's output is channels-last.
   */
  batchNorm2d(x: QTensor, args: Omit<BatchNormArgs, "x">): QTensor {
    checkQTensor("x", x);
    if (x.shape.length !== 4) {
      throw new RangeError(`x: batch_norm2d expects a 4-D [N, C, H, W] input, got [${x.shape}]`);
    }
    const [, c, h, w] = x.shape;
    const qparams = {
      qscheme: "per_tensor_affine" as const,
      scale: x.scale,
      zeroPoint: x.zeroPoint,
    };
    const empty = new QuantizedTensor(new Uint8Array(0), [0, c, h, w], "quint8", qparams);
    batchNorm2d.check({ ...args, x: empty }, this.engine);
    // The tables depend on every parameter and qparam (O(C) to key, once per call).
    const { weight, bias, mean, var: variance, eps } = args.params;
    const key = [x.scale, x.zeroPoint, args.relu, args.output.scale, args.output.zeroPoint, eps]
      .concat(Array.from(weight), Array.from(bias), Array.from(mean), Array.from(variance))
      .join("|");
    const tables = this.bnTables.get(key, () => batchNormTables(args, x, c));
    const y = this.kernels.lookupChannels(this.nhwc(x), tables);
    return this.fromNhwc(y, args.output, true);
  }

  /** `torch.relu` of a quantized tensor (`max(q, zp)`; the format is kept). */
  relu(x: QTensor): QTensor {
    return this.unary(relu, x, {});
  }

  /** `quantized::relu6` (PyTorch returns an NCHW-contiguous tensor). */
  relu6(x: QTensor): QTensor {
    return this.unary(relu6, x, {});
  }

  /** `F.max_pool2d` of a quantized tensor (the format is kept). */
  maxPool2d(x: QTensor, options: QuantizedPoolOptions): QTensor {
    const g = poolArgs(options);
    const kernel = this.poolKernelOf(x, !g.ceilMode);
    if (kernel !== "nchw") {
      return this.fromPooled(
        this.kernels.pool2dNhwc(this.nhwc(x), x, { kind: "max", ...g }),
        x,
        kernel,
      );
    }
    return this.fromReference(
      quantizedMaxPool2d(x.toQuantizedTensor(), { ...g, engine: this.engine, channelsLast: false }),
      x.channelsLast,
    );
  }

  /** `F.avg_pool2d` of a quantized tensor (the format is kept). */
  avgPool2d(x: QTensor, options: QuantizedPoolOptions): QTensor {
    const g = poolArgs(options);
    const args = {
      kernelSize: g.kernelSize,
      stride: g.stride,
      padding: g.padding,
      ceilMode: g.ceilMode,
      countIncludePad: options.countIncludePad ?? true,
      divisorOverride: options.divisorOverride ?? null,
    };
    const kernel = this.poolKernelOf(x, !g.ceilMode);
    if (kernel !== "nchw") {
      return this.fromPooled(
        this.kernels.pool2dNhwc(this.nhwc(x), x, { kind: "avg", ...args }),
        x,
        kernel,
      );
    }
    return this.fromReference(
      quantizedAvgPool2d(x.toQuantizedTensor(), {
        ...args,
        engine: this.engine,
        channelsLast: false,
      }),
      x.channelsLast,
    );
  }

  /** `F.adaptive_avg_pool2d` of a quantized tensor (the format is kept). */
  adaptiveAvgPool2d(x: QTensor, outputSize: IntPair): QTensor {
    checkQTensor("x", x);
    const size = pair("outputSize", outputSize, 1);
    const [h, w] = x.shape.slice(-2);
    const divisible = h % size[0] === 0 && w % size[1] === 0 && !(h === size[0] && w === size[1]);
    const kernel = this.poolKernelOf(x, divisible);
    if (kernel !== "nchw") {
      return this.fromPooled(
        this.kernels.pool2dNhwc(this.nhwc(x), x, { kind: "adaptive_avg", outputSize: size }),
        x,
        kernel,
      );
    }
    return this.fromReference(
      quantizedAdaptiveAvgPool2d(x.toQuantizedTensor(), {
        outputSize: size,
        engine: this.engine,
        channelsLast: false,
      }),
      x.channelsLast,
    );
  }

  /** `torch.flatten` of a quantized tensor: a reshape of the logical order (codes unchanged). */
  flatten(x: QTensor, startDim = 0, endDim = -1): QTensor {
    checkQTensor("x", x);
    const shape = flattenShape(x.shape, startDim, endDim);
    if (shape.length === 4) {
      return new QTensor(x.data, shape, x, { channelsLast: x.channelsLast, ops: this });
    }
    return new QTensor(x.logicalCodes(), shape, x, { channelsLast: false, ops: this });
  }

  /**
   * The kernel PyTorch pools `x` with: QNNPACK's (qnnpack engine, `qnnpackEligible`) or ATen's
   * channels-last one — which the kernel sets have — or ATen's NCHW loop (`nchw`), which they
   * do not.
   */
  private poolKernelOf(x: QTensor, qnnpackEligible: boolean): PoolKernel {
    checkQTensor("x", x);
    if (x.shape.length !== 4) {
      throw new RangeError(
        `x: quantized pooling expects a 4-D [N, C, H, W] input, got [${x.shape}]`,
      );
    }
    const probe = new QuantizedTensor(new Uint8Array(0), [0, ...x.shape.slice(1)], "quint8", {
      qscheme: "per_tensor_affine",
      scale: x.scale,
      zeroPoint: x.zeroPoint,
    });
    return poolKernel(probe, this.engine, { channelsLast: x.channelsLast, qnnpackEligible });
  }

  /** The NHWC view of a 4-D QTensor's storage. */
  private nhwc(x: QTensor): NhwcTensor {
    const [n, c, h, w] = x.shape;
    return { data: x.data, shape: [n, h, w, c] };
  }

  /** A QTensor over NHWC kernel output. */
  private fromNhwc(y: NhwcTensor, qparams: ActivationQParams, channelsLast: boolean): QTensor {
    const [n, h, w, c] = y.shape;
    return new QTensor(y.data, [n, c, h, w], qparams, { channelsLast, ops: this });
  }

  /**
   * The QTensor of a kernel pooling of `x`. PyTorch 1.13's quirk (see the reference's
   * `nhwcReadAsNchw`): from an NCHW input with H·W == 1 its logical output is the NHWC data read
   * as NCHW, so that is what this tensor holds.
   */
  private fromPooled(y: NhwcTensor, x: QTensor, kernel: PoolKernel): QTensor {
    const [n, oh, ow, c] = y.shape;
    const shape = [n, c, oh, ow];
    if (nhwcReadAsNchw(x.shape, shape, kernel)) {
      return new QTensor(toNhwc(y.data, shape), shape, x, { channelsLast: false, ops: this });
    }
    return this.fromNhwc(y, x, x.channelsLast);
  }

  /** A QTensor from a reference tensor in logical order. */
  private fromReference(y: QuantizedTensor, channelsLast: boolean): QTensor {
    return QTensor.fromQuantizedTensor(y, { channelsLast, ops: this });
  }
}

/** Whether a 4-D NCHW-contiguous shape is also channels-last contiguous (C == 1 or H·W == 1). */
function isChannelsLastShape(shape: readonly number[]): boolean {
  return shape.length === 4 && (shape[1] === 1 || shape[2] * shape[3] === 1);
}

/** Normalised pooling geometry (PyTorch's defaults). */
function poolArgs(o: QuantizedPoolOptions) {
  const kernelSize = pair("kernelSize", o.kernelSize, 1);
  return {
    kernelSize,
    stride: o.stride === undefined ? kernelSize : pair("stride", o.stride, 1),
    padding: pair("padding", o.padding ?? 0, 0),
    dilation: pair("dilation", o.dilation ?? 1, 1),
    ceilMode: o.ceilMode ?? false,
  };
}
