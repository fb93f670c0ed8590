/**
 * The fallback KernelSet: the scalar reference behind the KernelSet interface, used when the
 * engine has no SIMD128 (slow but correct).
 * @module
 */
import type { NumericsFamily } from "../reference/engine.ts";
import { f32, roundHalfEven, saturateInt16 } from "../reference/float32.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../reference/quantize.ts";
import {
  linearFbgemm,
  linearQnnpack,
  type LinearWeight,
  quantizedLinearDynamic,
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
import type { NhwcTensor, PackedConvWeight } from "./kernel_set.ts";
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
   * @param name the path name it stands in for (`x86` or `arm`)
   * @param numerics the engine numerics it reproduces
   */
  constructor(readonly name: string, readonly numerics: NumericsFamily) {
    this.description = `the scalar reference (${numerics} numerics): no SIMD128 in this engine`;
  }

  quantize(x: Float32Array, args: PerTensorArgs): Uint8Array | Int8Array {
    return quantizePerTensor(new Tensor(x), args).intRepr as Uint8Array | Int8Array;
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
    return { weight, free() {} };
  }

  linear(
    x: Uint8Array,
    m: number,
    packed: PackedLinearWeight,
    params: StaticLinearParams,
  ): Uint8Array {
    return (this.numerics === "fbgemm" ? linearFbgemm : linearQnnpack)(x, m, packed.weight, params);
  }

  packConv2d(weight: ConvWeight, geometry: Conv2dGeometry): PackedConvWeight {
    return { weight, geometry, free() {} };
  }

  conv2dNhwc(x: NhwcTensor, packed: PackedConvWeight, params: StaticLinearParams): NhwcTensor {
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
    const k = packed.weight.inFeatures;
    return quantizedLinearDynamic(new Tensor(x, [m, k]), packed.weight, {
      engine: this.numerics === "fbgemm" ? "fbgemm" : "qnnpack",
      reduceRange: args.reduceRange,
      relu: args.relu,
    }).data;
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
