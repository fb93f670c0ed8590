/**
 * The KernelSet interface: one object per kernel path (`x86`, `x86-relaxed`, `arm`,
 * `arm-relaxed`, or the `reference` fallback), through which conformance and benchmarks run
 * every path the same way. Packing is separate from execution: pack once, run many.
 * @module
 */
import type { Engine, Numerics } from "../reference/engine.ts";
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
  /** Whether `free()` was called: using the weight afterwards throws. */
  readonly freed: boolean;
  /** Returns the packed memory. Using the weight afterwards is an error. */
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
  /** Whether `free()` was called: using the weight afterwards throws. */
  readonly freed: boolean;
  /** Returns the packed memory. Using the weight afterwards is an error. */
  free(): void;
}

/**
 * Throws unless a packed weight is still usable: a freed one (its kernel memory may already hold
 * another weight) makes `op` throw a TypeError that names it.
 */
export function checkNotFreed(op: string, name: string, packed: { readonly freed: boolean }): void {
  if (packed.freed) {
    throw new TypeError(
      `${op}: ${name} was freed (free() was called on it); pack the weight again to use it`,
    );
  }
}

/** Options of a dynamic linear call. */
export interface DynamicLinearArgs {
  /** Quantize activations to [0, 127] (FBGEMM; QNNPACK ignores it). */
  reduceRange: boolean;
  /** ReLU on the float output. */
  relu: boolean;
}

/** Per-tensor qparams of a quint8 tensor. */
export interface QParams8 {
  /** The scale (a double, as PyTorch takes it). */
  readonly scale: number;
  /** The zero point, in [0, 255]. */
  readonly zeroPoint: number;
}

/** Arguments of a quantized binary op (add, mul) on quint8 operands of one shape. */
export interface QuantizedBinaryArgs {
  /** The first operand's qparams. */
  readonly a: QParams8;
  /** The second operand's qparams. */
  readonly b: QParams8;
  /** The output qparams. */
  readonly output: QParams8;
  /** `add_relu` / `mul_relu`. */
  readonly relu: boolean;
}

/** A pair of integers `[height, width]`. */
export type Pair = readonly [number, number];

/** Geometry of `max_pool2d` (PyTorch's arguments; padding at most half the kernel). */
export interface MaxPool2dArgs {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly ceilMode: boolean;
}

/** Geometry of `avg_pool2d` (PyTorch's arguments; padding at most half the kernel). */
export interface AvgPool2dArgs {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly ceilMode: boolean;
  /** Count padded taps in the divisor (ignored on QNNPACK's path, as PyTorch). */
  readonly countIncludePad: boolean;
  /** Divide by this instead (ignored on QNNPACK's path, as PyTorch); `null` for none. */
  readonly divisorOverride: number | null;
}

/**
 * A unary op as a table of its 256 input codes (`ops/unary.ts` builds it from the reference): the
 * output code of each input code on ATen's vector path and on its scalar tail.
 */
export interface CodeTable {
  /** The output codes of the vector lanes, indexed by input code. */
  readonly vector: Uint8Array;
  /** The output codes of the scalar tail. */
  readonly scalar: Uint8Array;
  /** Elements per vectorised step (the vector half applies to whole steps from the start). */
  readonly vectorBlock: number;
  /** The output qparams. */
  readonly output: QParams8;
}

/** The window of a pooling call: which pooling, with its geometry. */
export type PoolWindowArgs =
  | ({ readonly kind: "max" } & MaxPool2dArgs)
  | ({ readonly kind: "avg" } & AvgPool2dArgs)
  | { readonly kind: "adaptive_avg"; readonly outputSize: Pair };

/** One input of a channel concatenation: an NHWC quint8 tensor and its qparams. */
export interface CatInput {
  readonly tensor: NhwcTensor;
  readonly qparams: QParams8;
}

/**
 * The engine whose numerics a kernel path reproduces for the ops that PyTorch selects by engine
 * (elementwise, pooling, activations): `qnnpack` for QNNPACK's numerics, else `x86` — ATen's
 * AVX2 kernels, which the FBGEMM and oneDNN engines share (PyTorch 1.13 vectorises with AVX2
 * on AVX-512 CPUs too unless `ATEN_CPU_CAPABILITY=avx512`;
 * docs/numerics/vectorized.md §AVX-512 CPUs).
 */
export function kernelEngine(numerics: Numerics): Engine {
  return numerics === "qnnpack" ? "qnnpack" : "x86";
}

/** One kernel path. Every method equals the reference of `numerics` bit for bit. */
export interface KernelSet {
  /** `x86`, `x86-relaxed`, `arm`, `arm-relaxed` or `reference`. */
  readonly name: string;
  /** The engine numerics it reproduces: `fbgemm` (x86 style) or `qnnpack` (ARM style). */
  readonly numerics: Numerics;
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

  /**
   * An elementwise binary op of quint8 operands of one shape, element by element in memory order
   * (flat or NHWC data): `add` (x86 paths: ATen's AVX2 kernel, whose first `floor(n/64)·64`
   * elements take the vector arithmetic and the rest the scalar one; ARM paths: QNNPACK's
   * fixed-point add) or `mul` (every engine agrees); `args.relu` fuses a ReLU. Broadcasting is not
   * supported.
   * @throws {RangeError} for scale ratios QNNPACK refuses.
   */
  binary(kind: "add" | "mul", a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs): Uint8Array;
  /**
   * `quantized::cat` along the channels of NHWC quint8 tensors (PyTorch's channels-last path):
   * inputs whose qparams equal the output's are copied, the others requantized.
   * @throws {RangeError} for no inputs or inputs whose N, H, W differ.
   */
  catChannelsNhwc(xs: readonly CatInput[], output: QParams8): NhwcTensor;

  /**
   * Pooling of an NHWC quint8 tensor with qparams `qparams` (kept by the output): max, average
   * or adaptive average, as `window.kind` says. ARM paths run QNNPACK's operators where PyTorch's
   * qnnpack engine does (no ceil mode; adaptive sizes dividing the input), else ATen's
   * channels-last kernels.
   * @throws {RangeError} for a bad geometry, as the reference.
   */
  pool2dNhwc(x: NhwcTensor, qparams: QParams8, window: PoolWindowArgs): NhwcTensor;

  /** `min(max(q, lo), hi)` of quint8 codes (relu, relu6, hardtanh, clamp). */
  clamp(x: Uint8Array, lo: number, hi: number): Uint8Array;
  /**
   * `table[q]` of quint8 codes: the vector half of the table for the first
   * `floor(n/vectorBlock)·vectorBlock` codes, the scalar half for the rest (every unary op that
   * is not a clamp: its table is the reference on the 256 codes).
   */
  lookup(x: Uint8Array, table: CodeTable): Uint8Array;
  /**
   * Per-channel tables on an NHWC quint8 tensor: channel `c`'s code `q` becomes
   * `tables[256·c + q]` (`tables` holds C tables; batch norm: each channel's table is the
   * reference on the 256 codes with that channel's parameters and ATen path).
   */
  lookupChannels(x: NhwcTensor, tables: Uint8Array): NhwcTensor;
}
