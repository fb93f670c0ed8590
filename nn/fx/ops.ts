/**
 * What each `call_function` and `call_method` target of a graph computes, for float tensors
 * (`Tensor`) and quantized ones (`QTensor`): the interpreter of `GraphModule` and the graph-mode
 * functional API (`fx.torch`, `fx.F`, `fx.operator`, `fx.method`) run ops through `runOp`.
 * Targets are PyTorch's qualified names (`torch.cat`, `torch.nn.functional.relu`,
 * `torch.ops.quantized.add_relu`) and method names (`view`). Arguments follow PyTorch's
 * signatures, positional or by keyword.
 *
 * A quantized tensor reaching an op that has no quantized version here is an error naming the
 * op, never a silent float computation.
 * @module
 */
import { type QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { conv2d } from "../functional/conv.ts";
import { dropout } from "../functional/dropout.ts";
import {
  add,
  addScalar,
  cat,
  div,
  flatten,
  mul,
  mulScalar,
  relu,
  relu6,
  reshape,
  sigmoid,
  sub,
  tanh,
} from "../functional/elementwise.ts";
import { linear } from "../functional/linear.ts";
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from "../functional/pool.ts";
import { broadcastShapes, sameShape } from "../functional/_shape.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { defaultRandom } from "../random.ts";
import {
  isChannelsLastFloat,
  isTypedTensorLike,
  propagateChannelsLast,
  scalarValue,
} from "./_values.ts";
import { toNhwc } from "../../reference/layout.ts";
import { channelsLastStrides } from "./tensor_iterator.ts";
import {
  adaptiveAvgPool2dChannelsLast,
  indexTensor,
  mean,
  meanInMemoryOrder,
  type TensorIndex,
} from "./float_ops.ts";
import { elu, hardsigmoid, hardswish, hardtanh, leakyRelu } from "../functional/activation.ts";
import {
  expandQTensor,
  inferShape,
  PackedConvParams,
  PackedLinearParams,
  quantizedAddAten,
  quantizedClamp,
  quantizedConv2dPacked,
  quantizedElu,
  quantizedHardsigmoid,
  quantizedHardswish,
  quantizedHardtanh,
  quantizedLeakyRelu,
  quantizedLinearDynamic,
  quantizedLinearPacked,
  quantizedMean,
  quantizedRelu6,
  quantizedReshape,
  quantizedSigmoid,
  quantizedTanh,
} from "./quantized_ops.ts";
import { quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";

/** What ops need besides their arguments: the kernels of quantize ops, the engine. */
export interface OpContext {
  /** The quantized kernels (needed by `quantize_per_tensor` of a float tensor). */
  readonly ops?: QuantizedOps;
}

/** One op: its arguments (as a graph node holds them) to its value. */
export type OpImpl = (
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  ctx: OpContext,
) => unknown;

/** Reads argument `i` (or keyword `name`), with a default. */
function arg<T = unknown>(
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  i: number,
  name: string,
  fallback?: T,
): T {
  if (i < args.length) return args[i] as T;
  if (Object.hasOwn(kwargs, name)) return kwargs[name] as T;
  return fallback as T;
}

function isQ(x: unknown): x is QTensor {
  return x instanceof QTensor;
}

function needTensor(op: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  if (isQ(x)) {
    throw new TypeError(
      `${op}: no quantized version of this op; PyTorch keeps it float here (a dequantize ` +
        `before it), got a quantized tensor`,
    );
  }
  throw new TypeError(`${op}: expected a Tensor, got ${show(x)}`);
}

function scalarOrTensor(x: unknown): unknown {
  return isTypedTensorLike(x) && !(x instanceof Tensor) ? scalarValue(x, "value") : x;
}

/** `a ⊕ b` for tensors and Python scalars (`operator.add`, `torch.add`, …). */
function binary(op: "add" | "sub" | "mul" | "div"): OpImpl {
  return (args, kwargs) => {
    const a = arg(args, kwargs, 0, "input");
    const b = arg(args, kwargs, 1, "other");
    if (typeof a === "number" && typeof b === "number") {
      return op === "add" ? a + b : op === "sub" ? a - b : op === "mul" ? a * b : a / b;
    }
    if (isQ(a) || isQ(b)) {
      throw new TypeError(
        `${op}: a quantized operand reached a float ${op}; after convert, quantized adds and ` +
          `muls are quantized::add / quantized::mul nodes`,
      );
    }
    if (typeof b === "number") {
      const x = needTensor(op, a);
      if (op === "add") return addScalar(x, b);
      if (op === "mul") return mulScalar(x, b);
      return op === "sub" ? addScalar(x, -b) : mulScalar(x, 1 / b);
    }
    if (typeof a === "number") {
      const y = needTensor(op, b);
      if (op === "add") return addScalar(y, a);
      if (op === "mul") return mulScalar(y, a);
      return (op === "sub" ? sub : div)(new Tensor(new Float32Array(y.size).fill(a), y.shape), y);
    }
    const x = needTensor(op, a);
    const y = needTensor(op, b);
    return { add, sub, mul, div }[op](x, y);
  };
}

/** An op that is the same on float and quantized tensors up to a quantized variant. */
function unary(
  name: string,
  float: (x: Tensor) => Tensor,
  quantized?: (x: QTensor) => QTensor,
): OpImpl {
  return (args, kwargs) => {
    const x = arg(args, kwargs, 0, "input");
    if (isQ(x)) {
      if (quantized === undefined) return needTensor(name, x);
      return quantized(x);
    }
    return float(needTensor(name, x));
  };
}

function shapeArgs(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): number[] {
  const rest = args.length > 1 ? args.slice(1) : [arg(args, kwargs, 1, "shape")];
  const shape = rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest;
  return shape.map((d) => {
    const v = scalarOrTensor(d);
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new RangeError(`shape: expected integers, got ${show(shape)}`);
    }
    return v;
  });
}

function reshapeOp(name: string): OpImpl {
  return (args, kwargs) => {
    const x = args[0];
    const shape = shapeArgs(args, kwargs);
    if (isQ(x)) return quantizedReshape(x, shape);
    const t = needTensor(name, x);
    return reshape(t, inferShape(shape, t.size));
  };
}

function size(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = args[0] as Tensor | QTensor;
  if (!(x instanceof Tensor) && !isQ(x)) {
    throw new TypeError(`size: expected a tensor, got ${show(x)}`);
  }
  const dim = arg<number | undefined>(args, kwargs, 1, "dim");
  if (dim === undefined || dim === null) return [...x.shape];
  const d = dim < 0 ? dim + x.shape.length : dim;
  if (!(d >= 0 && d < x.shape.length)) {
    throw new RangeError(`dim: ${dim} is out of range for a tensor of rank ${x.shape.length}`);
  }
  return x.shape[d];
}

function flattenOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = arg(args, kwargs, 0, "input");
  const startDim = arg(args, kwargs, 1, "start_dim", 0);
  const endDim = arg(args, kwargs, 2, "end_dim", -1);
  if (isQ(x)) return x.ops.flatten(x, startDim, endDim);
  return flatten(needTensor("flatten", x), { startDim, endDim });
}

function catOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const xs = arg<unknown[]>(args, kwargs, 0, "tensors");
  const dim = arg(args, kwargs, 1, "dim", 0);
  if (!Array.isArray(xs) || xs.length === 0) {
    throw new RangeError(`tensors: torch.cat() expected a non-empty list of Tensors`);
  }
  if (xs.every(isQ)) {
    const q = xs as QTensor[];
    // cat of quantized tensors: every input shares the output's qparams (PyTorch's quantized
    // cat requires it; prepare shares one observer between them), so the first input's qparams.
    return q[0].ops.cat(q, dim, q[0]);
  }
  return cat(xs.map((x) => needTensor("cat", x)), dim);
}

function meanOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = arg(args, kwargs, 0, "input");
  const dim = arg(args, kwargs, 1, "dim", null);
  const keepdim = arg(args, kwargs, 2, "keepdim", false);
  if (isQ(x)) return quantizedMean(x, dim, keepdim);
  const t = needTensor("mean", x);
  if (isChannelsLastFloat(t)) {
    // PyTorch adds a channels-last tensor in its memory order.
    return meanInMemoryOrder(
      toNhwc(t.data, t.shape),
      t.shape,
      dim,
      keepdim,
      channelsLastStrides(t.shape),
    );
  }
  return mean(t, dim, keepdim);
}

function maxPoolOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = arg(args, kwargs, 0, "input");
  const kernelSize = arg(args, kwargs, 1, "kernel_size");
  const stride = arg(args, kwargs, 2, "stride", null);
  const padding = arg(args, kwargs, 3, "padding", 0);
  const dilation = arg(args, kwargs, 4, "dilation", 1);
  const ceilMode = arg(args, kwargs, 5, "ceil_mode", false);
  if (arg(args, kwargs, 6, "return_indices", false)) {
    throw new RangeError("return_indices: max_pool2d with indices is not supported");
  }
  const stridePair = emptyToNull(stride);
  if (isQ(x)) {
    return x.ops.maxPool2d(x, {
      kernelSize,
      stride: stridePair ?? undefined,
      padding,
      dilation,
      ceilMode,
    } as never);
  }
  return maxPool2d(needTensor("max_pool2d", x), {
    kernelSize,
    stride: stridePair,
    padding,
    dilation,
    ceilMode,
  } as never);
}

function emptyToNull(v: unknown): unknown {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) ? null : v;
}

function avgPoolOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = arg(args, kwargs, 0, "input");
  const options = {
    kernelSize: arg(args, kwargs, 1, "kernel_size"),
    stride: emptyToNull(arg(args, kwargs, 2, "stride", null)),
    padding: arg(args, kwargs, 3, "padding", 0),
    ceilMode: arg(args, kwargs, 4, "ceil_mode", false),
    countIncludePad: arg(args, kwargs, 5, "count_include_pad", true),
    divisorOverride: arg(args, kwargs, 6, "divisor_override", null),
  };
  if (isQ(x)) {
    return x.ops.avgPool2d(x, { ...options, stride: options.stride ?? undefined } as never);
  }
  return avgPool2d(needTensor("avg_pool2d", x), options as never);
}

function adaptiveAvgPoolOp(
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): unknown {
  const x = arg(args, kwargs, 0, "input");
  const outputSize = arg(args, kwargs, 1, "output_size");
  if (isQ(x)) return x.ops.adaptiveAvgPool2d(x, outputSize as never);
  const t = needTensor("adaptive_avg_pool2d", x);
  if (isChannelsLastFloat(t)) return adaptiveAvgPool2dChannelsLast(t, outputSize as never);
  return adaptiveAvgPool2d(t, outputSize as never);
}

function linearOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = needTensor("linear", arg(args, kwargs, 0, "input"));
  const w = needTensor("linear", arg(args, kwargs, 1, "weight"));
  const b = arg<Tensor | null>(args, kwargs, 2, "bias", null);
  return linear(x, w, b === null ? null : needTensor("linear", b));
}

function conv2dOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = needTensor("conv2d", arg(args, kwargs, 0, "input"));
  const w = needTensor("conv2d", arg(args, kwargs, 1, "weight"));
  const b = arg<Tensor | null>(args, kwargs, 2, "bias", null);
  return conv2d(x, w, b === null ? null : needTensor("conv2d", b), {
    stride: arg(args, kwargs, 3, "stride", 1),
    padding: arg(args, kwargs, 4, "padding", 0),
    dilation: arg(args, kwargs, 5, "dilation", 1),
    groups: arg(args, kwargs, 6, "groups", 1),
  } as never);
}

function dropoutOp(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const x = arg(args, kwargs, 0, "input");
  const p = arg(args, kwargs, 1, "p", 0.5);
  const training = arg(args, kwargs, 2, "training", true);
  if (isQ(x)) {
    if (training) throw new TypeError("dropout: a quantized tensor in training mode");
    return x;
  }
  return dropout(needTensor("dropout", x), { p, training, random: defaultRandom });
}

const DTYPES = new Set(["quint8", "qint8"]);

function dtypeName(v: unknown): string {
  const name = typeof v === "object" && v !== null && "dtype" in v
    ? String((v as { dtype: unknown }).dtype)
    : String(v);
  return name.replace(/^torch\./, "");
}

function quantizePerTensorOp(
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  ctx: OpContext,
): unknown {
  const x = arg(args, kwargs, 0, "input");
  const scale = scalarValue(arg(args, kwargs, 1, "scale"), "scale");
  const zeroPoint = scalarValue(arg(args, kwargs, 2, "zero_point"), "zero_point");
  const dtype = dtypeName(arg(args, kwargs, 3, "dtype"));
  const t = needTensor("quantize_per_tensor", x);
  if (dtype !== "quint8") {
    if (DTYPES.has(dtype)) {
      return quantizePerTensor(t, { scale, zeroPoint, dtype: dtype as "qint8" });
    }
    throw new TypeError(`dtype: quantize_per_tensor to ${dtype} is not supported`);
  }
  if (ctx.ops === undefined) {
    throw new Error("quantize_per_tensor: no kernels; convert with { kernels } to run quantized");
  }
  const q = ctx.ops.quantize(t, { scale, zeroPoint });
  // A channels-last float input makes a channels-last quantized tensor (same NHWC codes here).
  return isChannelsLastFloat(t)
    ? new QTensor(q.data, q.shape, q, { channelsLast: true, ops: q.ops })
    : q;
}

function quantizePerChannelOp(
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): unknown {
  const x = needTensor("quantize_per_channel", arg(args, kwargs, 0, "input"));
  const scales = arg(args, kwargs, 1, "scales") as Tensor;
  const zeroPoints = arg(args, kwargs, 2, "zero_points") as { data: ArrayLike<number | bigint> };
  const axis = arg<number>(args, kwargs, 3, "axis");
  const dtype = dtypeName(arg(args, kwargs, 4, "dtype"));
  return quantizePerChannel(x, {
    scales: Float64Array.from(scales.data),
    zeroPoints: Int32Array.from(zeroPoints.data, Number),
    axis,
    dtype: dtype as "qint8",
  });
}

function dequantizeOp(
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): unknown {
  const x = arg(args, kwargs, 0, "input");
  if (isQ(x)) return x.dequantize();
  if (x instanceof Tensor) return x;
  throw new TypeError(`dequantize: expected a tensor, got ${show(x)}`);
}

function qBinary(op: "add" | "mul", relu: boolean): OpImpl {
  return (args) => {
    const [a, b, scale, zp] = args;
    if (isQ(a) && isQ(b)) {
      const out = { scale: scalarValue(scale, "scale"), zeroPoint: scalarValue(zp, "zero_point") };
      const same = sameShape(a.shape, b.shape);
      if (op === "add") {
        // ATen's kernel (not QNNPACK's or the kernel set's contiguous one): broadcasting, or
        // mixed memory formats outside the qnnpack engine.
        const aten = !same ||
          (a.ops.engine !== "qnnpack" && a.shape.length === 4 && a.channelsLast !== b.channelsLast);
        if (aten) return quantizedAddAten(a, b, out, relu);
      }
      if (same) return a.ops.binary(op, a, b, out, relu);
      // Quantized mul is elementwise and layout-independent: broadcast both operands.
      const shape = broadcastShapes(a.shape, b.shape);
      return a.ops.binary(op, expandQTensor(a, shape), expandQTensor(b, shape, a), out, relu);
    }
    const [q, c] = isQ(a) ? [a, b] : [b, a];
    if (!isQ(q) || typeof scalarOrTensor(c) !== "number") {
      throw new TypeError(`quantized::${op}: expected quantized tensors or a tensor and a scalar`);
    }
    const y = q.ops.scalar(op, q, scalarOrTensor(c) as number);
    return relu ? y.ops.relu(y) : y;
  };
}

function qLinear(relu: boolean): OpImpl {
  return (args) => {
    const [x, packed, scale, zp] = args;
    if (!(packed instanceof PackedLinearParams)) {
      throw new TypeError(`quantized::linear: expected a packed weight, got ${show(packed)}`);
    }
    return quantizedLinearPacked(x as QTensor, packed, {
      scale: scalarValue(scale, "scale"),
      zeroPoint: scalarValue(zp, "zero_point"),
    }, relu);
  };
}

function qConv(relu: boolean): OpImpl {
  return (args) => {
    const [x, packed, scale, zp] = args;
    if (!(packed instanceof PackedConvParams)) {
      throw new TypeError(`quantized::conv2d: expected a packed weight, got ${show(packed)}`);
    }
    return quantizedConv2dPacked(x as QTensor, packed, {
      scale: scalarValue(scale, "scale"),
      zeroPoint: scalarValue(zp, "zero_point"),
    }, relu);
  };
}

function qLinearDynamic(relu: boolean): OpImpl {
  return (args, kwargs, ctx) => {
    const [x, packed] = args;
    const reduceRange = arg(args, kwargs, 2, "reduce_range", false);
    if (!(packed instanceof PackedLinearParams)) {
      throw new TypeError(
        `quantized::linear_dynamic: expected a packed weight, got ${show(packed)}`,
      );
    }
    if (ctx.ops === undefined) throw new Error("quantized::linear_dynamic: no kernels");
    return quantizedLinearDynamic(x as Tensor, packed, ctx.ops, {
      reduceRange: Boolean(reduceRange),
      relu,
    });
  };
}

function linearPrepack(args: readonly unknown[]): unknown {
  const [w, b] = args;
  return new PackedLinearParams(w as QuantizedTensor, (b ?? null) as Tensor | null);
}

function convPrepack(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown {
  const pairOf = (v: unknown, fallback: number): [number, number] => {
    const a = v === undefined ? fallback : v;
    return Array.isArray(a) ? [a[0], a[a.length - 1]] : [a as number, a as number];
  };
  return new PackedConvParams(args[0] as QuantizedTensor, (args[1] ?? null) as Tensor | null, {
    stride: pairOf(arg(args, kwargs, 2, "stride"), 1),
    padding: pairOf(arg(args, kwargs, 3, "padding"), 0),
    dilation: pairOf(arg(args, kwargs, 4, "dilation"), 1),
    groups: arg(args, kwargs, 5, "groups", 1),
  });
}

function getitem(args: readonly unknown[]): unknown {
  const [a, i] = args;
  if (a instanceof Tensor) return indexTensor(a, i as TensorIndex);
  if (Array.isArray(a) && typeof i === "number") {
    const v = a[i < 0 ? i + a.length : i];
    if (v === undefined) throw new RangeError(`getitem: index ${i} out of range`);
    return v;
  }
  throw new TypeError(
    `getitem: only indexing a list or tuple by an integer is supported, got ${show(a)}[${show(i)}]`,
  );
}

function getattr(args: readonly unknown[]): unknown {
  const [x, name] = args;
  if ((x instanceof Tensor || isQ(x)) && (name === "shape")) return [...x.shape];
  if ((x instanceof Tensor || isQ(x)) && name === "ndim") return x.shape.length;
  throw new TypeError(
    `getattr: only .shape and .ndim of a tensor are supported, got ${show(name)}`,
  );
}

const reluOp = unary("relu", relu, (x) => x.ops.relu(x));
const sigmoidOp = unary("sigmoid", sigmoid, quantizedSigmoid);
const tanhOp = unary("tanh", tanh, quantizedTanh);
const identity: OpImpl = (args) => args[0];

/** A bound of `torch.clamp` / `F.hardtanh` (`None` is no bound). */
function bound(v: unknown, name: string, none: number): number {
  if (v === null || v === undefined) return none;
  const b = scalarOrTensor(v);
  if (typeof b !== "number") throw new TypeError(`${name}: expected a number, got ${show(v)}`);
  return b;
}

/** `F.hardtanh(x, min_val=-1, max_val=1, inplace=False)`: float, or an integer clamp. */
const hardtanhOp: OpImpl = (args, kwargs) => {
  const x = arg(args, kwargs, 0, "input");
  const lo = bound(arg(args, kwargs, 1, "min_val", -1), "min_val", -1);
  const hi = bound(arg(args, kwargs, 2, "max_val", 1), "max_val", 1);
  return isQ(x) ? quantizedHardtanh(x, lo, hi) : hardtanh(needTensor("hardtanh", x), lo, hi);
};

/** `torch.clamp(x, min=None, max=None)` / `x.clamp(...)`. */
const clampOp: OpImpl = (args, kwargs) => {
  const x = arg(args, kwargs, 0, "input");
  const min = arg(args, kwargs, 1, "min", null);
  const max = arg(args, kwargs, 2, "max", null);
  if (isQ(x)) {
    if (min === null || max === null) {
      throw new RangeError("clamp: a quantized clamp with one bound is not supported here");
    }
    return quantizedClamp(x, bound(min, "min", 0), bound(max, "max", 0));
  }
  return hardtanh(
    needTensor("clamp", x),
    bound(min, "min", -Infinity),
    bound(max, "max", Infinity),
  );
};

/** `F.elu(x, alpha=1.0, inplace=False)` (float). */
const eluOp: OpImpl = (args, kwargs) =>
  elu(
    needTensor("elu", arg(args, kwargs, 0, "input")),
    bound(arg(args, kwargs, 1, "alpha", 1), "alpha", 1),
  );

/** `F.leaky_relu(x, negative_slope=0.01, inplace=False)` (float). */
const leakyReluOp: OpImpl = (args, kwargs) =>
  leakyRelu(
    needTensor("leaky_relu", arg(args, kwargs, 0, "input")),
    bound(arg(args, kwargs, 1, "negative_slope", 0.01), "negative_slope", 0.01),
  );

const hardsigmoidOp = unary("hardsigmoid", hardsigmoid, quantizedHardsigmoid);

/** Ops by call_function target. */
export const FUNCTIONS: ReadonlyMap<string, OpImpl> = new Map<string, OpImpl>([
  ["operator.add", binary("add")],
  ["operator.sub", binary("sub")],
  ["operator.mul", binary("mul")],
  ["operator.truediv", binary("div")],
  ["operator.getitem", getitem],
  ["getattr", getattr],
  ["torch.add", binary("add")],
  ["torch.sub", binary("sub")],
  ["torch.mul", binary("mul")],
  ["torch.cat", catOp],
  ["torch.flatten", flattenOp],
  ["torch.mean", meanOp],
  ["torch.relu", reluOp],
  ["torch.sigmoid", sigmoidOp],
  ["torch.tanh", tanhOp],
  ["torch.nn.functional.relu", reluOp],
  ["torch.nn.functional.relu6", unary("relu6", relu6, quantizedRelu6)],
  ["torch.nn.functional.hardswish", unary("hardswish", hardswish)],
  ["torch.nn.functional.hardsigmoid", hardsigmoidOp],
  ["torch.nn.functional.hardtanh", hardtanhOp],
  ["torch.clamp", clampOp],
  ["torch.nn.functional.elu", eluOp],
  ["torch.nn.functional.leaky_relu", leakyReluOp],
  ["torch.nn.functional.adaptive_avg_pool2d", adaptiveAvgPoolOp],
  ["torch.nn.functional.max_pool2d", maxPoolOp],
  ["torch._C._nn.avg_pool2d", avgPoolOp],
  ["torch._C._nn.linear", linearOp],
  ["torch.conv2d", conv2dOp],
  ["torch.nn.functional.dropout", dropoutOp],
  ["torch.quantize_per_tensor", quantizePerTensorOp],
  ["torch.quantize_per_channel", quantizePerChannelOp],
  ["torch.dequantize", dequantizeOp],
  ["torch.ops.quantized.add", qBinary("add", false)],
  ["torch.ops.quantized.add_relu", qBinary("add", true)],
  ["torch.ops.quantized.mul", qBinary("mul", false)],
  ["torch.ops.quantized.mul_relu", qBinary("mul", true)],
  ["torch.ops.quantized.linear", qLinear(false)],
  ["torch.ops.quantized.linear_relu", qLinear(true)],
  ["torch.ops.quantized.conv2d", qConv(false)],
  ["torch.ops.quantized.conv2d_relu", qConv(true)],
  ["torch.ops.quantized.linear_dynamic", qLinearDynamic(false)],
  ["torch.ops.quantized.linear_relu_dynamic", qLinearDynamic(true)],
  ["torch.ops.quantized.linear_prepack", linearPrepack],
  ["torch.ops.quantized.conv2d_prepack", convPrepack],
  ["torch.ops.quantized.dropout", (args, kwargs) => {
    if (arg(args, kwargs, 4, "training", false)) {
      throw new RangeError("training: quantized dropout runs in eval mode only");
    }
    return args[0];
  }],
  ["torch.ops.quantized.elu", (args, kwargs) => {
    const x = arg(args, kwargs, 0, "self") as QTensor;
    return quantizedElu(
      x,
      bound(arg(args, kwargs, 3, "alpha", 1), "alpha", 1),
      scalarValue(arg(args, kwargs, 1, "output_scale"), "output_scale"),
      scalarValue(arg(args, kwargs, 2, "output_zero_point"), "output_zero_point"),
    );
  }],
  ["torch.ops.quantized.leaky_relu", (args, kwargs) => {
    const x = arg(args, kwargs, 0, "qx") as QTensor;
    return quantizedLeakyRelu(
      x,
      bound(arg(args, kwargs, 1, "negative_slope", 0.01), "negative_slope", 0.01),
      scalarValue(arg(args, kwargs, 3, "output_scale"), "output_scale"),
      scalarValue(arg(args, kwargs, 4, "output_zero_point"), "output_zero_point"),
    );
  }],
  ["torch.ops.quantized.hardswish", (args, kwargs) => {
    const x = arg(args, kwargs, 0, "input") as QTensor;
    return quantizedHardswish(
      x,
      scalarValue(arg(args, kwargs, 1, "output_scale"), "output_scale"),
      scalarValue(arg(args, kwargs, 2, "output_zero_point"), "output_zero_point"),
    );
  }],
]);

/** Ops by call_method name (the tensor is the first argument). */
export const METHODS: ReadonlyMap<string, OpImpl> = new Map<string, OpImpl>([
  ["dequantize", dequantizeOp],
  ["view", reshapeOp("view")],
  ["reshape", reshapeOp("reshape")],
  ["size", size],
  ["flatten", flattenOp],
  ["mean", meanOp],
  ["relu", reluOp],
  ["sigmoid", sigmoidOp],
  ["tanh", tanhOp],
  ["hardsigmoid", hardsigmoidOp],
  ["clamp", clampOp],
  ["contiguous", identity],
  ["detach", identity],
]);

/**
 * Runs one op.
 * @throws {RangeError} for a target this library does not know; the op's own errors.
 */
export function runOp(
  kind: "call_function" | "call_method",
  target: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  ctx: OpContext = {},
): unknown {
  const impl = (kind === "call_function" ? FUNCTIONS : METHODS).get(target);
  if (impl === undefined) {
    throw new RangeError(
      `${kind} ${target}: this op is not supported by the graph interpreter (supported: ${
        [...(kind === "call_function" ? FUNCTIONS : METHODS).keys()].join(", ")
      })`,
    );
  }
  const out = impl(args, kwargs, ctx);
  propagateChannelsLast(target, args, out);
  return out;
}

/** Whether `runOp` knows the target. */
export function isSupportedOp(kind: "call_function" | "call_method", target: string): boolean {
  return (kind === "call_function" ? FUNCTIONS : METHODS).has(target);
}
