/**
 * PyTorch's `x86` backend on an AVX-512 VNNI CPU as one KernelSet: linear layers (static and
 * dynamic) on FBGEMM (`fbgemm_avx512_vnni`), convolutions on oneDNN when PyTorch's dispatch picks
 * it (`onednn_utils::should_use_onednn_quant`: VNNI, a symmetric weight, at most 100 groups), else
 * on FBGEMM — decided when the weight is packed, as PyTorch decides at prepack. Every other op
 * runs on the FBGEMM set (its elementwise, pooling and activation kernels are ATen's, the same on
 * both).
 * @module
 */
import { convNumerics, type Numerics } from "../reference/engine.ts";
import type { LinearWeight, StaticLinearParams } from "../reference/quantized_linear.ts";
import type { Conv2dGeometry, ConvWeight } from "../reference/quantized_conv2d.ts";
import type {
  CatInput,
  CodeTable,
  DynamicLinearArgs,
  KernelSet,
  NhwcTensor,
  PackedConvWeight,
  PackedLinearWeight,
  PerChannelArgs,
  PerTensorArgs,
  PoolWindowArgs,
  QParams8,
  QuantizedBinaryArgs,
} from "./kernel_set.ts";

/** The numerics PyTorch's x86 backend runs a convolution with on an AVX-512 VNNI CPU. */
export function x86ConvNumerics(weight: ConvWeight, geometry: Conv2dGeometry): Numerics {
  return convNumerics("x86", {
    weightSymmetric: Array.from(weight.zeroPoints).every((z) => z === 0),
    groups: geometry.groups,
  }, "avx512_vnni");
}

/** The x86 backend on an AVX-512 VNNI CPU (see the module documentation). */
export class X86BackendKernelSet implements KernelSet {
  readonly name: string;
  readonly numerics;
  readonly relaxed: boolean;
  readonly description: string;
  readonly kernelNames: readonly string[];
  /** Which set packed each conv weight. */
  private readonly convOwner = new WeakMap<PackedConvWeight, KernelSet>();
  private last: KernelSet;

  /**
   * @param fbgemm a kernel set of the `fbgemm_avx512_vnni` numerics
   * @param onednn a kernel set of the `onednn` numerics
   */
  constructor(private readonly fbgemm: KernelSet, private readonly onednn: KernelSet) {
    if (fbgemm.numerics !== "fbgemm_avx512_vnni" || onednn.numerics !== "onednn") {
      throw new TypeError(
        `X86BackendKernelSet: needs fbgemm_avx512_vnni and onednn kernel sets, got ` +
          `${fbgemm.numerics} and ${onednn.numerics}`,
      );
    }
    this.name = `x86 backend (${fbgemm.name} + ${onednn.name})`;
    this.numerics = fbgemm.numerics;
    this.relaxed = fbgemm.relaxed || onednn.relaxed;
    this.description = `PyTorch's x86 backend on AVX-512 VNNI: linear on ${fbgemm.name}, ` +
      `convolutions on ${onednn.name} (symmetric weight, <= 100 groups) or ${fbgemm.name}`;
    this.kernelNames = [...new Set([...fbgemm.kernelNames, ...onednn.kernelNames])];
    this.last = fbgemm;
  }

  get lastKernel(): string {
    return this.last.lastKernel;
  }

  quantize(x: Float32Array, args: PerTensorArgs) {
    return this.fbgemm.quantize(x, args);
  }
  quantizePerChannel(x: Float32Array, args: PerChannelArgs) {
    return this.fbgemm.quantizePerChannel(x, args);
  }
  dequantize(q: Uint8Array | Int8Array, args: PerTensorArgs) {
    return this.fbgemm.dequantize(q, args);
  }
  dequantizePerChannel(q: Uint8Array | Int8Array, args: PerChannelArgs) {
    return this.fbgemm.dequantizePerChannel(q, args);
  }
  requantize(
    acc: Int32Array,
    m: number,
    args: { multipliers: Float32Array; zeroPoint: number; relu: boolean },
  ) {
    return this.fbgemm.requantize(acc, m, args);
  }
  packLinear(weight: LinearWeight): PackedLinearWeight {
    return this.fbgemm.packLinear(weight);
  }
  linear(x: Uint8Array, m: number, packed: PackedLinearWeight, params: StaticLinearParams) {
    this.last = this.fbgemm;
    return this.fbgemm.linear(x, m, packed, params);
  }
  linearDynamic(x: Float32Array, m: number, packed: PackedLinearWeight, args: DynamicLinearArgs) {
    this.last = this.fbgemm;
    return this.fbgemm.linearDynamic(x, m, packed, args);
  }
  packConv2d(weight: ConvWeight, geometry: Conv2dGeometry): PackedConvWeight {
    const owner = x86ConvNumerics(weight, geometry) === "onednn" ? this.onednn : this.fbgemm;
    const packed = owner.packConv2d(weight, geometry);
    this.convOwner.set(packed, owner);
    return packed;
  }
  conv2dNhwc(x: NhwcTensor, packed: PackedConvWeight, params: StaticLinearParams): NhwcTensor {
    const owner = this.convOwner.get(packed);
    if (owner === undefined) {
      throw new TypeError(`${this.name}: the conv weight was packed by another kernel set`);
    }
    this.last = owner;
    return owner.conv2dNhwc(x, packed, params);
  }
  binary(kind: "add" | "mul", a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs) {
    return this.fbgemm.binary(kind, a, b, args);
  }
  catChannelsNhwc(xs: readonly CatInput[], output: QParams8) {
    return this.fbgemm.catChannelsNhwc(xs, output);
  }
  pool2dNhwc(x: NhwcTensor, qparams: QParams8, window: PoolWindowArgs) {
    return this.fbgemm.pool2dNhwc(x, qparams, window);
  }
  clamp(x: Uint8Array, lo: number, hi: number) {
    return this.fbgemm.clamp(x, lo, hi);
  }
  lookup(x: Uint8Array, table: CodeTable) {
    return this.fbgemm.lookup(x, table);
  }
  lookupChannels(x: NhwcTensor, tables: Uint8Array) {
    return this.fbgemm.lookupChannels(x, tables);
  }
}
