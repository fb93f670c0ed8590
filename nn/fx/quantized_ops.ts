/**
 * The quantized ops a converted graph calls that `QuantizedOps` (nn/quantized/ops.ts) does not
 * offer as such, each on the kernels of its input tensor: the fixed-qparams activations
 * (`torch.sigmoid`, `torch.tanh` of a quantized tensor), `quantized::hardswish`, `relu6`,
 * reshapes (`view`, `reshape`), `mean`, the functional linear/conv with a prepacked weight
 * (`quantized::linear(x, packed, scale, zp)`), dynamic linear, and the packed-weight objects
 * that `linear_prepack` / `conv2d_prepack` produce (`PackedLinearParams`, `PackedConvParams`).
 * @module
 */
import { type Conv2dGeometry, convWeight } from "../../reference/quantized_conv2d.ts";
import { linearWeight } from "../../reference/quantized_linear.ts";
import { qnnpackAvgPoolScale, qnnpackAvgPoolValue } from "../../reference/quantized_pool.ts";
import { type QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { PackedConvWeight, PackedLinearWeight } from "../../kernels/kernel_set.ts";
import { show } from "../_util.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { checkQTensor, QTensor } from "../quantized/qtensor.ts";
import { readQuantizedWeight, saveQuantizedWeight } from "../quantized/state_dict.ts";
import { toNhwc } from "../../reference/layout.ts";
import {
  clamp,
  elu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  relu6,
  sigmoid,
  tanh,
} from "../../ops/activations.ts";
import { broadcastIndex, broadcastShapes, sameShape } from "../functional/_shape.ts";
import { mean as floatMean, meanInMemoryOrder, reducedShape, reductionDims } from "./float_ops.ts";
import {
  channelsLastStrides,
  contiguousStrides,
  forEach2d,
  iterationDims,
} from "./tensor_iterator.ts";
import {
  dequantizeScalar,
  dequantizeVector,
  quantizeVector,
  vectorPrefix,
} from "../../reference/quantized_elementwise.ts";
import { reciprocalF32, roundHalfEven } from "../../reference/float32.ts";
import { quantizeVal } from "../../reference/quantize.ts";

/** `torch.sigmoid` of a quantized tensor: output qparams fixed at (1/256, 0). */
export function quantizedSigmoid(x: QTensor): QTensor {
  checkQTensor("x", x);
  return x.ops.unary(sigmoid, x, {});
}

/** `torch.tanh` of a quantized tensor: output qparams fixed at (2/256, 128). */
export function quantizedTanh(x: QTensor): QTensor {
  checkQTensor("x", x);
  return x.ops.unary(tanh, x, {});
}

/** `quantized::hardswish(x, output_scale, output_zero_point)`. */
export function quantizedHardswish(x: QTensor, scale: number, zeroPoint: number): QTensor {
  checkQTensor("x", x);
  return x.ops.unary(hardswish, x, {}, { scale, zeroPoint });
}

/**
 * An integer clamp of a quantized tensor (ATen's `quantized_clamp_impl`, behind `F.relu6`,
 * `nn.ReLU6`, `F.hardtanh`, `torch.clamp`), qparams kept. Under the qnnpack engine PyTorch 1.13
 * clamps with QNNPACK's operator over the input's memory order and writes the result as an
 * NCHW-contiguous tensor: a channels-last input comes out with its values in NHWC order
 * reinterpreted as NCHW (reproduced here, as it is what PyTorch computes). Other engines keep
 * the layout.
 */
function clampCodesOf(x: QTensor, lo: number, hi: number): QTensor {
  if (x.ops.engine === "qnnpack" && x.shape.length === 4 && x.channelsLast) {
    const flat = x.ops.kernels.clamp(x.memoryOrderCodes(), lo, hi);
    return new QTensor(toNhwc(flat, x.shape), x.shape, x, { channelsLast: false, ops: x.ops });
  }
  return new QTensor(x.ops.kernels.clamp(x.data, lo, hi), x.shape, x, {
    channelsLast: x.channelsLast,
    ops: x.ops,
  });
}

/** `F.relu6` / `nn.ReLU6` of a quantized tensor: `min(max(q, zp), quantize(6))` (see above). */
export function quantizedRelu6(x: QTensor): QTensor {
  checkQTensor("x", x);
  const [lo, hi] = relu6.spec.clampBounds!(x, {}, x.ops.engine);
  return clampCodesOf(x, lo, hi);
}

/** `F.hardtanh(x, min_val, max_val)` / `nn.Hardtanh` of a quantized tensor. */
export function quantizedHardtanh(x: QTensor, minVal: number, maxVal: number): QTensor {
  checkQTensor("x", x);
  hardtanh.check({ x: x.toQuantizedTensor(), params: { minVal, maxVal } }, x.ops.engine);
  const [lo, hi] = hardtanh.spec.clampBounds!(x, { minVal, maxVal }, x.ops.engine);
  return clampCodesOf(x, lo, hi);
}

/** `torch.clamp(x, min, max)` of a quantized tensor (both bounds given). */
export function quantizedClamp(x: QTensor, min: number, max: number): QTensor {
  checkQTensor("x", x);
  clamp.check({ x: x.toQuantizedTensor(), params: { min, max } }, x.ops.engine);
  const [lo, hi] = clamp.spec.clampBounds!(x, { min, max }, x.ops.engine);
  return clampCodesOf(x, lo, hi);
}

/** `F.hardsigmoid` of a quantized tensor: output qparams fixed at (1/256, 0). */
export function quantizedHardsigmoid(x: QTensor): QTensor {
  checkQTensor("x", x);
  return x.ops.unary(hardsigmoid, x, {});
}

/** `quantized::elu(x, output_scale, output_zero_point, alpha)`. */
export function quantizedElu(x: QTensor, alpha: number, scale: number, zeroPoint: number): QTensor {
  checkQTensor("x", x);
  return x.ops.unary(elu, x, { alpha }, { scale, zeroPoint });
}

/** `quantized::leaky_relu(x, negative_slope, inplace, output_scale, output_zero_point)`. */
export function quantizedLeakyRelu(
  x: QTensor,
  negativeSlope: number,
  scale: number,
  zeroPoint: number,
): QTensor {
  checkQTensor("x", x);
  return x.ops.unary(leakyRelu, x, { negativeSlope }, { scale, zeroPoint });
}

/**
 * `x.view(shape)` / `x.reshape(shape)` of a quantized tensor: the codes in logical order under
 * a new shape (one dimension may be −1).
 * @throws {RangeError} when the element counts differ.
 */
export function quantizedReshape(x: QTensor, shape: readonly number[]): QTensor {
  checkQTensor("x", x);
  const full = inferShape(shape, x.size);
  const codes = x.logicalCodes();
  const data = full.length === 4 ? toNhwc(codes, full) : codes;
  return new QTensor(data, full, x, { channelsLast: false, ops: x.ops });
}

/**
 * A quantized tensor broadcast to `shape` (codes repeated, qparams kept), in the memory format
 * of `like` (default: its own).
 */
export function expandQTensor(x: QTensor, shape: readonly number[], like: QTensor = x): QTensor {
  checkQTensor("x", x);
  const out = shape.length === x.shape.length && x.shape.every((d, i) => d === shape[i]);
  if (out && like === x) return x;
  const index = broadcastIndex(x.shape, shape);
  const codes = x.logicalCodes();
  const flat = Uint8Array.from(index, (i) => codes[i]);
  const channelsLast = shape.length === 4 && like.channelsLast;
  return new QTensor(shape.length === 4 ? toNhwc(flat, shape) : flat, shape, x, {
    channelsLast,
    ops: x.ops,
  });
}

/** Resolves one −1 in a view shape. @throws {RangeError} for an incompatible shape. */
export function inferShape(shape: readonly number[], size: number): number[] {
  const known = shape.filter((d) => d !== -1);
  if (shape.length - known.length > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`shape: invalid shape ${show(shape)}`);
  }
  const rest = known.reduce((a, b) => a * b, 1);
  const full = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : size / rest) : d));
  if (full.reduce((a, b) => a * b, 1) !== size || full.some((d) => !Number.isInteger(d))) {
    throw new RangeError(`shape: shape [${shape}] is invalid for input of size ${size}`);
  }
  return full;
}

/**
 * `torch.mean` of a quantized tensor (`mean_quantized_cpu`, ReduceOps.cpp); the result keeps the
 * input's qparams. PyTorch's three paths:
 *
 * - qnnpack engine, 4-D, `dim` exactly `(2, 3)`: QNNPACK's global average pooling —
 *   `clamp(sat16(rne(f32(f32(Σ(q − zp))·f32(s / f32(s·HW))))) + zp)` per (n, c);
 * - the innermost dims of a contiguous tensor: ATen's integer kernel, `rint(f32(Σq) / n)`;
 * - otherwise (a channels-last tensor, or other dims): dequantize, float mean in the tensor's
 *   memory format, quantize with the input's qparams.
 */
export function quantizedMean(x: QTensor, dim: unknown, keepdim = false): QTensor {
  checkQTensor("x", x);
  const rank = x.shape.length;
  const dims = reductionDims(dim, rank);
  if (
    x.ops.engine === "qnnpack" && rank === 4 && Array.isArray(dim) && dim.length === 2 &&
    dim[0] === 2 && dim[1] === 3
  ) {
    const [n, c, h, w] = x.shape;
    const scale = qnnpackAvgPoolScale(x.scale, h * w);
    const nhwc = x.memoryOrderCodes();
    const planeStride = x.channelsLast ? 1 : h * w;
    const pixelStride = x.channelsLast ? c : 1;
    const out = new Uint8Array(n * c);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const base = b * c * h * w + ch * planeStride;
        let acc = 0;
        for (let p = 0; p < h * w; p++) acc += nhwc[base + p * pixelStride] - x.zeroPoint;
        out[b * c + ch] = qnnpackAvgPoolValue(acc, scale, x.zeroPoint);
      }
    }
    const shape = keepdim ? [n, c, 1, 1] : [n, c];
    return new QTensor(out, shape, x, { channelsLast: false, ops: x.ops });
  }
  const innermost = dims.every((d, i) => d === rank - dims.length + i);
  if (innermost && !x.channelsLast) {
    // ATen's `qmean_inner_dim_kernel` on a contiguous tensor: per output, the integer sum of the
    // codes, `rint(f32(sum) / n)`, with the input's qparams.
    const count = dims.reduce((a, d) => a * x.shape[d], 1);
    const codes = x.memoryOrderCodes();
    const out = new Uint8Array(codes.length / count);
    for (let o = 0; o < out.length; o++) {
      let sum = 0;
      for (let i = o * count; i < (o + 1) * count; i++) sum += codes[i];
      out[o] = roundHalfEven(Math.fround(Math.fround(sum) / count));
    }
    const shape = reducedShape(x.shape, dims, keepdim);
    return new QTensor(shape.length === 4 ? toNhwc(out, shape) : out, shape, x, { ops: x.ops });
  }
  // The float mean walks the dequantized tensor in its memory format (channels-last after a
  // quantized conv), and that order decides the float sums.
  const deq = x.dequantize();
  const y = x.channelsLast
    ? meanInMemoryOrder(
      toNhwc(deq.data, x.shape),
      x.shape,
      dims,
      keepdim,
      channelsLastStrides(x.shape),
    )
    : floatMean(deq, dims, keepdim);
  const codes = x.ops.kernels.quantize(y.data, {
    scale: x.scale,
    zeroPoint: x.zeroPoint,
    dtype: "quint8",
  }) as Uint8Array;
  const shape = reducedShape(x.shape, dims, keepdim);
  return new QTensor(shape.length === 4 ? toNhwc(codes, shape) : codes, shape, x, {
    channelsLast: false,
    ops: x.ops,
  });
}

/**
 * A weight prepacked by a `quantized::*_prepack` op: the qint8 weight and float bias, packed
 * once per kernel set on first use. A module so that a graph's `get_attr` reaches it and the
 * state dict holds it (`<name>.weight`, `.bias`, qparams, as the quantized modules save them).
 */
abstract class PackedParams<P> extends Module {
  /** The qint8 weight. */
  weight: QuantizedTensor;
  /** The float bias, or null. */
  bias: Tensor | null;
  private packs = new Map<QuantizedOps, P>();

  /** Checks and keeps the weight. */
  constructor(weight: QuantizedTensor, bias: Tensor | null) {
    super();
    this.check(weight, bias);
    this.weight = weight;
    this.bias = bias;
  }

  /** Checks a weight and bias (throws as the prepack op would). */
  protected abstract check(weight: QuantizedTensor, bias: Tensor | null): void;

  /** Packs the weight for `ops`. */
  protected abstract pack(ops: QuantizedOps): P;

  /** The weight packed for `ops`. */
  packedFor(ops: QuantizedOps): P {
    let p = this.packs.get(ops);
    if (p === undefined) {
      p = this.pack(ops);
      this.packs.set(ops, p);
    }
    return p;
  }

  /** Not callable: a packed weight is an argument of a quantized op. */
  forward(): never {
    throw new Error(`${this.getName()} is a packed weight, not a callable module`);
  }

  /** The weight entries (`weight`, `weight_scale`, …). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    saveQuantizedWeight(destination, prefix, this.weight, this.bias);
  }

  /** Reads the weight entries (checked against the current shape). */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    const w = readQuantizedWeight(reader, prefix, this.weight.shape, this.bias !== null);
    if (w !== undefined) {
      reader.defer(() => {
        this.check(w.weight, w.bias);
        this.weight = w.weight;
        this.bias = w.bias;
        this.packs = new Map();
      });
    }
  }
}

/** A weight prepacked by `quantized::linear_prepack` (PyTorch's `LinearPackedParams`). */
export class PackedLinearParams extends PackedParams<PackedLinearWeight> {
  /** `linearWeight`'s checks. */
  protected check(weight: QuantizedTensor, bias: Tensor | null): void {
    linearWeight(weight, bias);
  }

  /** `packLinear`. */
  protected pack(ops: QuantizedOps): PackedLinearWeight {
    return ops.kernels.packLinear(linearWeight(this.weight, this.bias));
  }

  /** PyTorch's name. */
  override getName(): string {
    return "LinearPackedParams";
  }
}

/** A conv weight prepacked by `quantized::conv2d_prepack`, with its geometry. */
export class PackedConvParams extends PackedParams<PackedConvWeight> {
  /** Stride, padding, dilation, groups. */
  readonly geometry: Conv2dGeometry;

  /** Checks and keeps the weight `[O, I/groups, kH, kW]`, bias and geometry. */
  constructor(weight: QuantizedTensor, bias: Tensor | null, geometry: Conv2dGeometry) {
    super(weight, bias);
    this.geometry = geometry;
  }

  /** `convWeight`'s checks. */
  protected check(weight: QuantizedTensor, bias: Tensor | null): void {
    convWeight(weight, bias);
  }

  /** `packConv2d` with the geometry. */
  protected pack(ops: QuantizedOps): PackedConvWeight {
    return ops.kernels.packConv2d(convWeight(this.weight, this.bias), this.geometry);
  }

  /** PyTorch's name. */
  override getName(): string {
    return "Conv2dPackedParams";
  }
}

/** `quantized::linear[_relu](x, packed, scale, zero_point)`. */
export function quantizedLinearPacked(
  x: QTensor,
  packed: PackedLinearParams,
  output: { scale: number; zeroPoint: number },
  relu: boolean,
): QTensor {
  checkQTensor("x", x);
  return x.ops.linear(x, packed.packedFor(x.ops), {
    inputScale: x.scale,
    inputZeroPoint: x.zeroPoint,
    outputScale: output.scale,
    outputZeroPoint: output.zeroPoint,
    relu,
  });
}

/** `quantized::conv2d[_relu](x, packed, scale, zero_point)`. */
export function quantizedConv2dPacked(
  x: QTensor,
  packed: PackedConvParams,
  output: { scale: number; zeroPoint: number },
  relu: boolean,
): QTensor {
  checkQTensor("x", x);
  return x.ops.conv2d(x, packed.packedFor(x.ops), {
    inputScale: x.scale,
    inputZeroPoint: x.zeroPoint,
    outputScale: output.scale,
    outputZeroPoint: output.zeroPoint,
    relu,
  });
}

/**
 * `quantized::linear_dynamic[_relu](x, packed, reduce_range)`: float in, float out, the input
 * quantized per call (over the last dimension).
 */
export function quantizedLinearDynamic(
  x: Tensor,
  packed: PackedLinearParams,
  ops: QuantizedOps,
  options: { reduceRange: boolean; relu: boolean },
): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`x: dynamic linear expects a float Tensor, got ${show(x)}`);
  }
  const k = packed.weight.shape[1];
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== k) {
    throw new RangeError(
      `x: the last dimension of shape [${x.shape}] must be the in_features ${k}`,
    );
  }
  const y = ops.kernels.linearDynamic(x.data, x.size / k, packed.packedFor(ops), options);
  return new Tensor(y, [...x.shape.slice(0, -1), packed.weight.shape[0]]);
}

/**
 * `quantized::add[_relu](a, b, scale, zero_point)` where ATen's `qadd_kernel` runs: operands of
 * different shapes (on every engine; `b` broadcast to `a`'s shape), or of one shape in different
 * memory formats on the engines other than qnnpack. The output takes `a`'s memory format;
 * TensorIterator orders the dimensions (`tensor_iterator.ts`) and each innermost run whose
 * operands are contiguous (or one of them a broadcast scalar) takes the vector formulas on its
 * first `floor(n/64)·64` elements (`dequantizeVector`, `quantizeVector`), the rest and strided
 * runs the scalar ones (`dequantize_val`, `quantize_val`).
 * @throws {RangeError} when the broadcast shape is not `a`'s (PyTorch resizes its output then).
 */
export function quantizedAddAten(
  a: QTensor,
  b: QTensor,
  output: { scale: number; zeroPoint: number },
  relu: boolean,
): QTensor {
  checkQTensor("a", a);
  checkQTensor("b", b);
  const shape = broadcastShapes(a.shape, b.shape);
  if (!sameShape(shape, a.shape)) {
    throw new RangeError(
      `quantized::add of shapes [${a.shape}] and [${b.shape}]: PyTorch resizes an output of the ` +
        `first operand's shape to [${shape}], which this library does not reproduce`,
    );
  }
  const memoryStrides = (x: QTensor) =>
    x.channelsLast ? channelsLastStrides(x.shape) : contiguousStrides(x.shape);
  const aStrides = memoryStrides(a);
  const bOwn = memoryStrides(b);
  const lead = shape.length - b.shape.length;
  const bStrides = shape.map((s, i) =>
    i < lead || (b.shape[i - lead] === 1 && s !== 1) ? 0 : bOwn[i - lead]
  );
  const aMem = a.memoryOrderCodes();
  const bMem = b.memoryOrderCodes();
  const out = new Uint8Array(a.size);
  const { scale, zeroPoint } = output;
  const inv = reciprocalF32(scale);
  const dims = iterationDims(shape, [aStrides, aStrides, bStrides]);
  forEach2d(dims, 3, (bases, d0, d1) => {
    const [so, sa, sb] = d0.strides;
    const contiguous = so === 1 &&
      ((sa === 1 && sb === 1) || (sa === 0 && sb === 1) || (sa === 1 && sb === 0));
    const nv = contiguous ? vectorPrefix(d0.size) : 0;
    for (let j = 0; j < d1.size; j++) {
      const [o0, a0, b0] = bases.map((base, k) => base + j * d1.strides[k]);
      for (let i = 0; i < d0.size; i++) {
        const qa = aMem[a0 + i * sa];
        const qb = bMem[b0 + i * sb];
        const vector = i < nv;
        const da = vector
          ? dequantizeVector(qa, a.scale, a.zeroPoint)
          : dequantizeScalar(qa, a.scale, a.zeroPoint);
        const db = vector
          ? dequantizeVector(qb, b.scale, b.zeroPoint)
          : dequantizeScalar(qb, b.scale, b.zeroPoint);
        let c = Math.fround(da + db);
        if (relu && c < 0) c = 0;
        out[o0 + i * so] = vector
          ? quantizeVector(c, inv, zeroPoint, 0, 255)
          : quantizeVal(c, inv, zeroPoint, 0, 255);
      }
    }
  });
  const data = a.shape.length === 4 && !a.channelsLast ? toNhwc(out, a.shape) : out;
  return new QTensor(data, a.shape, output, { channelsLast: a.channelsLast, ops: a.ops });
}
