/**
 * The fallback KernelSet: the scalar reference behind the KernelSet interface, used when the
 * engine has no SIMD128 (slow but correct).
 * @module
 */
import type { Numerics } from "../reference/engine.ts";
import { f32, roundHalfEven, saturateInt16 } from "../reference/float32.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../reference/quantize.ts";
import {
  type LinearWeight,
  quantizedLinearDynamic,
  REFERENCE_LINEAR,
  type StaticLinearParams,
} from "../reference/quantized_linear.ts";
import { QuantizedTensor, Tensor } from "../reference/tensor.ts";
import {
  type Conv2dGeometry,
  conv2dOutputShape,
  type ConvWeight,
  REFERENCE_CONV2D,
} from "../reference/quantized_conv2d.ts";
import { nchwToNhwc, nhwcToNchw } from "./qconv.ts";
import {
  type AvgPool2dArgs,
  type CatInput,
  checkNotFreed,
  type CodeTable,
  kernelEngine,
  type MaxPool2dArgs,
  type NhwcTensor,
  type PackedConvWeight,
  type Pair,
  type PoolWindowArgs,
  type QParams8,
  type QuantizedBinaryArgs,
} from "./kernel_set.ts";
import {
  quantizedAdd,
  quantizedAddRelu,
  quantizedCat,
  quantizedMul,
  quantizedMulRelu,
  vectorPrefix,
} from "../reference/quantized_elementwise.ts";
import {
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../reference/quantized_pool.ts";
import type {
  DynamicLinearArgs,
  KernelSet,
  PackedLinearWeight,
  PerChannelArgs,
  PerTensorArgs,
} from "./kernel_set.ts";

/** A KernelSet that runs the reference. */
export class ReferenceKernelSet implements KernelSet {
  readonly relaxed = false;
  readonly kernelNames: readonly string[] = ["reference (scalar TypeScript)"];
  readonly lastKernel = "reference";
  readonly description: string;

  /**
   * A reference-backed kernel set.
   * @param name the path name it stands in for (`x86`, `arm`, …)
   * @param numerics the numerics it reproduces
   */
  constructor(readonly name: string, readonly numerics: Numerics) {
    this.description = `the scalar reference (${numerics} numerics): no SIMD128 in this engine`;
  }

  quantize(x: Float32Array, args: PerTensorArgs): Uint8Array | Int8Array {
    return quantizePerTensor(new Tensor(x), { ...args, engine: this.numerics }).intRepr as
      | Uint8Array
      | Int8Array;
  }

  quantizePerChannel(x: Float32Array, args: PerChannelArgs): Uint8Array | Int8Array {
    return quantizePerChannel(new Tensor(x, args.shape), args).intRepr as Uint8Array | Int8Array;
  }

  dequantize(q: Uint8Array | Int8Array, args: PerTensorArgs): Float32Array {
    return dequantize(
      new QuantizedTensor(q, [q.length], args.dtype, {
        qscheme: "per_tensor_affine",
        scale: args.scale,
        zeroPoint: args.zeroPoint,
      }),
    ).data;
  }

  dequantizePerChannel(q: Uint8Array | Int8Array, args: PerChannelArgs): Float32Array {
    const axis = args.axis < 0 ? args.axis + args.shape.length : args.axis;
    return dequantize(
      new QuantizedTensor(q, args.shape, args.dtype, {
        qscheme: "per_channel_affine",
        scales: Float64Array.from(args.scales),
        zeroPoints: Float64Array.from(args.zeroPoints),
        axis,
      }),
    ).data;
  }

  requantize(
    acc: Int32Array,
    m: number,
    args: { multipliers: Float32Array; zeroPoint: number; relu: boolean },
  ): Uint8Array {
    return requantizeReference(acc, m, args);
  }

  packLinear(weight: LinearWeight): PackedLinearWeight {
    return freeable({ weight });
  }

  linear(
    x: Uint8Array,
    m: number,
    packed: PackedLinearWeight,
    params: StaticLinearParams,
  ): Uint8Array {
    checkNotFreed(`${this.name}.linear`, "packed", packed);
    return REFERENCE_LINEAR[this.numerics](x, m, packed.weight, params);
  }

  packConv2d(weight: ConvWeight, geometry: Conv2dGeometry): PackedConvWeight {
    return freeable({ weight, geometry });
  }

  conv2dNhwc(x: NhwcTensor, packed: PackedConvWeight, params: StaticLinearParams): NhwcTensor {
    checkNotFreed(`${this.name}.conv2dNhwc`, "packed", packed);
    const nchw = nhwcToNchw(x);
    const p = { ...packed.geometry, ...params };
    const y = REFERENCE_CONV2D[this.numerics](nchw.data, nchw.shape, packed.weight, p);
    return nchwToNhwc(y, conv2dOutputShape(nchw.shape, packed.weight, p));
  }

  linearDynamic(
    x: Float32Array,
    m: number,
    packed: PackedLinearWeight,
    args: DynamicLinearArgs,
  ): Float32Array {
    checkNotFreed(`${this.name}.linearDynamic`, "packed", packed);
    const k = packed.weight.inFeatures;
    return quantizedLinearDynamic(new Tensor(x, [m, k]), packed.weight, {
      engine: this.numerics,
      reduceRange: args.reduceRange,
      relu: args.relu,
    }).data;
  }

  private get engine() {
    return kernelEngine(this.numerics);
  }

  binary(kind: "add" | "mul", a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs): Uint8Array {
    const op = kind === "add"
      ? (args.relu ? quantizedAddRelu : quantizedAdd)
      : (args.relu ? quantizedMulRelu : quantizedMul);
    return codes(op(quint8(a, [a.length], args.a), quint8(b, [b.length], args.b), {
      engine: this.engine,
      outputScale: args.output.scale,
      outputZeroPoint: args.output.zeroPoint,
    }));
  }

  catChannelsNhwc(xs: readonly CatInput[], output: QParams8): NhwcTensor {
    const y = quantizedCat(
      xs.map(({ tensor, qparams }) => {
        const t = nhwcToNchw(tensor);
        return quint8(t.data, t.shape, qparams);
      }),
      {
        dim: 1,
        outputScale: output.scale,
        outputZeroPoint: output.zeroPoint,
        channelsLast: true,
      },
    );
    return nchwToNhwc(codes(y), y.shape);
  }

  pool2dNhwc(x: NhwcTensor, qparams: QParams8, window: PoolWindowArgs): NhwcTensor {
    if (window.kind === "max") return this.maxPool2dNhwc(x, window);
    if (window.kind === "avg") return this.avgPool2dNhwc(x, qparams, window);
    return this.adaptiveAvgPool2dNhwc(x, qparams, window.outputSize);
  }

  private maxPool2dNhwc(x: NhwcTensor, args: MaxPool2dArgs): NhwcTensor {
    return this.pool(
      x,
      { scale: 1, zeroPoint: 0 },
      (q) => quantizedMaxPool2d(q, { engine: this.engine, channelsLast: true, ...args }),
    );
  }

  private avgPool2dNhwc(x: NhwcTensor, qparams: QParams8, args: AvgPool2dArgs): NhwcTensor {
    return this.pool(
      x,
      qparams,
      (q) => quantizedAvgPool2d(q, { engine: this.engine, channelsLast: true, ...args }),
    );
  }

  private adaptiveAvgPool2dNhwc(x: NhwcTensor, qparams: QParams8, outputSize: Pair): NhwcTensor {
    return this.pool(x, qparams, (q) =>
      quantizedAdaptiveAvgPool2d(q, {
        engine: this.engine,
        channelsLast: true,
        outputSize: [outputSize[0], outputSize[1]],
      }));
  }

  private pool(
    x: NhwcTensor,
    qparams: QParams8,
    op: (q: QuantizedTensor) => QuantizedTensor,
  ): NhwcTensor {
    const t = nhwcToNchw(x);
    const y = op(quint8(t.data, t.shape, qparams));
    return nchwToNhwc(codes(y), y.shape);
  }

  clamp(x: Uint8Array, lo: number, hi: number): Uint8Array {
    return x.map((q) => Math.min(Math.max(q, lo), hi));
  }

  lookupChannels(x: NhwcTensor, tables: Uint8Array): NhwcTensor {
    const c = x.shape[3];
    return { data: x.data.map((q, i) => tables[256 * (i % c) + q]), shape: x.shape };
  }

  lookup(x: Uint8Array, table: CodeTable): Uint8Array {
    const nv = vectorPrefix(x.length, table.vectorBlock);
    return x.map((q, i) => (i < nv ? table.vector[q] : table.scalar[q]));
  }
}

/**
 * The reference of the requantize kernel: int32 → quint8 with a float multiplier per column,
 * `clamp(sat16(sat16(rne(f32(f32(acc)·mult))) + zp), relu ? zp : 0, 255)` (rounding saturates
 * to int32 outside its range; NaN gives 0).
 */
export function requantizeReference(
  acc: Int32Array,
  m: number,
  args: { multipliers: Float32Array; zeroPoint: number; relu: boolean },
): Uint8Array {
  const n = args.multipliers.length;
  const out = new Uint8Array(m * n);
  const lo = args.relu ? args.zeroPoint : 0;
  for (let i = 0; i < m * n; i++) {
    const scaled = f32(f32(acc[i]) * args.multipliers[i % n]);
    const r = scaled !== scaled
      ? 0
      : Math.max(-2147483648, Math.min(2147483647, roundHalfEven(scaled)));
    const v = saturateInt16(saturateInt16(r) + args.zeroPoint);
    out[i] = v < lo ? lo : v > 255 ? 255 : v;
  }
  return out;
}

/** A packed-weight handle of the reference: its fields plus the freed state. */
function freeable<T extends object>(fields: T): T & { readonly freed: boolean; free(): void } {
  let freed = false;
  return {
    ...fields,
    get freed() {
      return freed;
    },
    free() {
      freed = true;
    },
  };
}

/** quint8 codes with per-tensor qparams as a QuantizedTensor (not copied). */
function quint8(data: Uint8Array, shape: readonly number[], qp: QParams8): QuantizedTensor {
  return new QuantizedTensor(data, shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale: qp.scale,
    zeroPoint: qp.zeroPoint,
  });
}

/** The quint8 codes of a reference result. */
function codes(q: QuantizedTensor): Uint8Array {
  return q.intRepr as Uint8Array;
}
