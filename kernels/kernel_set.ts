/**
 * The KernelSet interface: one object per kernel path (`x86`, `x86-relaxed`, `arm`,
 * `arm-relaxed`, or the `reference` fallback), through which conformance and benchmarks run
 * every path the same way. Packing is separate from execution: pack once, run many.
 * @module
 */
import type { NumericsFamily } from "../reference/engine.ts";
import type { LinearWeight, StaticLinearParams } from "../reference/quantized_linear.ts";
import type { Conv2dGeometry, ConvWeight } from "../reference/quantized_conv2d.ts";

/** An NHWC tensor: data and `[N, H, W, C]` (the layout the conv kernels work in). */
export interface NhwcTensor<T = Uint8Array> {
  readonly data: T;
  readonly shape: readonly [number, number, number, number];
}

/** A conv weight packed for one kernel set (with its geometry). */
export interface PackedConvWeight {
  /** The weight as given. */
  readonly weight: ConvWeight;
  /** Stride, padding, dilation, groups. */
  readonly geometry: Conv2dGeometry;
  /** Returns the packed memory. */
  free(): void;
}

/** 8-bit quantized dtypes the elementwise kernels handle. */
export type Dtype8 = "quint8" | "qint8";

/** Per-tensor quantization parameters of an elementwise kernel call. */
export interface PerTensorArgs {
  /** The scale (rounded to float32 by the kernels, as PyTorch). */
  scale: number;
  /** The integer zero point. */
  zeroPoint: number;
  /** quint8 or qint8. */
  dtype: Dtype8;
}

/** Per-channel quantization parameters: one scale/zero point per index along `axis`. */
export interface PerChannelArgs {
  /** One scale per channel (doubles). */
  scales: ArrayLike<number>;
  /** One integer zero point per channel. */
  zeroPoints: ArrayLike<number>;
  /** The channel axis (negative counts from the end). */
  axis: number;
  /** The tensor's shape (row-major data). */
  shape: readonly number[];
  /** quint8 or qint8. */
  dtype: Dtype8;
}

/** A linear weight packed for one kernel set. */
export interface PackedLinearWeight {
  /** The weight as given. */
  readonly weight: LinearWeight;
  /** Returns the packed memory. Using the weight afterwards is an error. */
  free(): void;
}

/** Options of a dynamic linear call. */
export interface DynamicLinearArgs {
  /** Quantize activations to [0, 127] (FBGEMM; QNNPACK ignores it). */
  reduceRange: boolean;
  /** ReLU on the float output. */
  relu: boolean;
}

/** One kernel path. Every method equals the reference of `numerics` bit for bit. */
export interface KernelSet {
  /** `x86`, `x86-relaxed`, `arm`, `arm-relaxed` or `reference`. */
  readonly name: string;
  /** The engine numerics it reproduces: `fbgemm` (x86 style) or `qnnpack` (ARM style). */
  readonly numerics: NumericsFamily;
  /** Whether it needs relaxed SIMD. */
  readonly relaxed: boolean;
  /** One line: what it runs. */
  readonly description: string;
  /** The kernels it may run (XNNPACK-style names). */
  readonly kernelNames: readonly string[];
  /** The GEMM kernel the last linear call ran. */
  readonly lastKernel: string;

  /** `quantize_per_tensor` of a float array. */
  quantize(x: Float32Array, args: PerTensorArgs): Uint8Array | Int8Array;
  /** `quantize_per_channel`. */
  quantizePerChannel(x: Float32Array, args: PerChannelArgs): Uint8Array | Int8Array;
  /** Per-tensor dequantize. */
  dequantize(q: Uint8Array | Int8Array, args: PerTensorArgs): Float32Array;
  /** Per-channel dequantize (double product, as PyTorch). */
  dequantizePerChannel(q: Uint8Array | Int8Array, args: PerChannelArgs): Float32Array;
  /**
   * Requantizes int32 accumulators `[m, n]` to quint8 with one float multiplier per column:
   * `clamp(sat16(sat16(rne(f32(f32(acc)·mult))) + zp), relu ? zp : 0, 255)`.
   */
  requantize(
    acc: Int32Array,
    m: number,
    args: { multipliers: Float32Array; zeroPoint: number; relu: boolean },
  ): Uint8Array;

  /** Packs a linear weight. */
  packLinear(weight: LinearWeight): PackedLinearWeight;
  /** Static quantized linear: quint8 codes `[m, K]` → quint8 codes `[m, N]`. */
  linear(
    x: Uint8Array,
    m: number,
    packed: PackedLinearWeight,
    params: StaticLinearParams,
  ): Uint8Array;
  /** Dynamic quantized linear: float `[m, K]` → float `[m, N]`. */
  linearDynamic(
    x: Float32Array,
    m: number,
    packed: PackedLinearWeight,
    args: DynamicLinearArgs,
  ): Float32Array;

  /** Packs a conv weight with its geometry. */
  packConv2d(weight: ConvWeight, geometry: Conv2dGeometry): PackedConvWeight;
  /** `quantized::conv2d[_relu]` on an NHWC quint8 input; NHWC quint8 output. */
  conv2dNhwc(x: NhwcTensor, packed: PackedConvWeight, params: StaticLinearParams): NhwcTensor;
}
