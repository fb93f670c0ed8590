/**
 * The KernelSet of generated WebAssembly kernels: the int8 linear and conv paths of one variant
 * family, the shared quantization kernels, and the elementwise, pooling, activation and cat
 * kernels in the numerics of the set's engine.
 * @module
 */
import { dtypeRange } from "../reference/dtype.ts";
import { quantizesLikeFbgemm } from "../reference/engine.ts";
import { f32, reciprocalF32 } from "../reference/float32.ts";
import type { LinearWeight, StaticLinearParams } from "../reference/quantized_linear.ts";
import { splitAtAxis } from "../reference/tensor.ts";
import type {
  DynamicLinearArgs,
  KernelSet,
  PackedLinearWeight,
  PerChannelArgs,
  PerTensorArgs,
} from "./kernel_set.ts";
import {
  buildEpilogue,
  COLUMN_SLOTS,
  columnArray,
  type EpilogueExports,
} from "./qgemm/epilogue.ts";
import { qnnpackArithmetic } from "./qgemm/requant.ts";
import { PackedLinear, QLinearPath, type QLinearPathConfig } from "./qlinear.ts";
import { PackedConv, QConvPath } from "./qconv.ts";
import type { Conv2dGeometry, ConvWeight } from "../reference/quantized_conv2d.ts";
import {
  type CatInput,
  checkNotFreed,
  type CodeTable,
  kernelEngine,
  type NhwcTensor,
  type PackedConvWeight,
  type PoolWindowArgs,
  type QParams8,
  type QuantizedBinaryArgs,
} from "./kernel_set.ts";
import { elementwiseFamily } from "../reference/quantized_elementwise.ts";
import { QElementwise } from "./elementwise/qelementwise.ts";
import { QActivation } from "./activation/qactivation.ts";
import { QPool } from "./pool/qpool.ts";
import { buildQuantize, type QuantizeExports } from "./quantize/generate.ts";
import type { KernelRuntime } from "./runtime.ts";

const pad16 = (n: number) => Math.max(16, Math.ceil(n / 16) * 16);

/** A kernel set backed by generated wasm. */
export class WasmKernelSet implements KernelSet {
  readonly name: string;
  readonly numerics;
  readonly relaxed: boolean;
  readonly description: string;
  readonly kernelNames: readonly string[];
  private readonly path: QLinearPath;
  private readonly convPath: QConvPath;
  private readonly elementwise: QElementwise;
  private readonly activation: QActivation;
  private readonly pool: QPool;

  /** A kernel set from its linear-path configuration. */
  constructor(
    private readonly runtime: KernelRuntime,
    config: QLinearPathConfig & { relaxed: boolean; description: string },
  ) {
    this.name = config.name;
    this.numerics = config.numerics;
    this.relaxed = config.relaxed;
    this.description = config.description;
    this.path = new QLinearPath(runtime, config);
    this.convPath = new QConvPath(runtime, this.path);
    const engine = kernelEngine(config.numerics);
    this.elementwise = new QElementwise(runtime, elementwiseFamily(engine));
    this.activation = new QActivation(runtime);
    this.pool = new QPool(runtime, config.numerics);
    this.kernelNames = [
      ...this.path.kernelNames,
      "qu8_requant_fp32__wasmsimd",
      "f32_qu8_quantize__wasmsimd",
      "qu8_f32_dequantize__wasmsimd",
      ...this.elementwise.kernelNames,
      ...this.pool.kernelNames,
      ...this.activation.kernelNames,
    ];
  }

  get lastKernel(): string {
    return this.path.lastKernel;
  }

  private quantizeKernels(): QuantizeExports {
    return this.runtime.instance<QuantizeExports>("quantize", buildQuantize);
  }

  quantize(x: Float32Array, args: PerTensorArgs): Uint8Array | Int8Array {
    const n = pad16(x.length);
    const src = this.runtime.scratchBlock("q.x", n * 4);
    const dst = this.runtime.scratchBlock("q.out", n);
    const { min, max } = dtypeRange(args.dtype);
    const f = this.runtime.memory.f32();
    f.set(x, src.ptr / 4);
    f.fill(0, src.ptr / 4 + x.length, src.ptr / 4 + n);
    const kernels = this.quantizeKernels();
    // The FBGEMM numerics quantize as FBGEMM (NaN, ±Infinity and overflow included).
    const quantize = quantizesLikeFbgemm(this.numerics)
      ? kernels.quantize_fbgemm
      : kernels.quantize;
    quantize(
      src.ptr,
      dst.ptr,
      n,
      reciprocalF32(args.scale),
      args.zeroPoint,
      min,
      max,
      args.dtype === "qint8" ? 1 : 0,
    );
    return this.read8(dst.ptr, x.length, args.dtype);
  }

  quantizePerChannel(x: Float32Array, args: PerChannelArgs): Uint8Array | Int8Array {
    const n = pad16(x.length);
    const src = this.runtime.scratchBlock("q.x", n * 4);
    const invs = this.runtime.scratchBlock("q.invs", n * 4);
    const zps = this.runtime.scratchBlock("q.zps", n * 4);
    const dst = this.runtime.scratchBlock("q.out", n);
    const { min, max } = dtypeRange(args.dtype);
    const mem = this.runtime.memory;
    const f = mem.f32();
    const i = mem.i32();
    f.set(x, src.ptr / 4);
    f.fill(0, src.ptr / 4 + x.length, src.ptr / 4 + n);
    f.fill(1, invs.ptr / 4, invs.ptr / 4 + n);
    i.fill(0, zps.ptr / 4, zps.ptr / 4 + n);
    forEachElementChannel(args, (index, c) => {
      f[invs.ptr / 4 + index] = reciprocalF32(args.scales[c]);
      i[zps.ptr / 4 + index] = args.zeroPoints[c];
    });
    this.quantizeKernels().quantize_pc(
      src.ptr,
      dst.ptr,
      n,
      invs.ptr,
      zps.ptr,
      min,
      max,
      args.dtype === "qint8" ? 1 : 0,
    );
    return this.read8(dst.ptr, x.length, args.dtype);
  }

  dequantize(q: Uint8Array | Int8Array, args: PerTensorArgs): Float32Array {
    const n = pad16(q.length);
    const src = this.runtime.scratchBlock("dq.q", n);
    const dst = this.runtime.scratchBlock("dq.out", n * 4);
    this.runtime.memory.u8().set(new Uint8Array(q.buffer, q.byteOffset, q.length), src.ptr);
    this.quantizeKernels().dequantize(
      src.ptr,
      dst.ptr,
      n,
      f32(args.scale),
      args.zeroPoint,
      args.dtype === "qint8" ? 1 : 0,
    );
    return this.runtime.memory.f32().slice(dst.ptr / 4, dst.ptr / 4 + q.length);
  }

  dequantizePerChannel(q: Uint8Array | Int8Array, args: PerChannelArgs): Float32Array {
    const n = pad16(q.length);
    const src = this.runtime.scratchBlock("dq.q", n);
    const scales = this.runtime.scratchBlock("dq.scales", n * 8);
    const zps = this.runtime.scratchBlock("dq.zps", n * 4);
    const dst = this.runtime.scratchBlock("dq.out", n * 4);
    const mem = this.runtime.memory;
    mem.u8().set(new Uint8Array(q.buffer, q.byteOffset, q.length), src.ptr);
    const d = mem.f64();
    const i = mem.i32();
    d.fill(1, scales.ptr / 8, scales.ptr / 8 + n);
    i.fill(0, zps.ptr / 4, zps.ptr / 4 + n);
    forEachElementChannel(args, (index, c) => {
      d[scales.ptr / 8 + index] = args.scales[c];
      i[zps.ptr / 4 + index] = args.zeroPoints[c];
    });
    this.quantizeKernels().dequantize_pc(
      src.ptr,
      dst.ptr,
      n,
      scales.ptr,
      zps.ptr,
      args.dtype === "qint8" ? 1 : 0,
    );
    return this.runtime.memory.f32().slice(dst.ptr / 4, dst.ptr / 4 + q.length);
  }

  requantize(
    acc: Int32Array,
    m: number,
    args: { multipliers: Float32Array; zeroPoint: number; relu: boolean },
  ): Uint8Array {
    const n = args.multipliers.length;
    if (acc.length !== m * n) {
      throw new RangeError(`acc: expected ${m}×${n} values, got ${acc.length}`);
    }
    const np = Math.ceil(n / 8) * 8;
    const c = this.runtime.scratchBlock("rq.c", m * np * 4);
    const cols = this.runtime.scratchBlock("rq.cols", COLUMN_SLOTS * np * 4);
    const zero = this.runtime.scratchBlock("rq.rows", m * 4);
    const out = this.runtime.scratchBlock("rq.out", m * np);
    const mem = this.runtime.memory;
    const i32 = mem.i32();
    const f = mem.f32();
    for (let row = 0; row < m; row++) {
      i32.set(acc.subarray(row * n, row * n + n), c.ptr / 4 + row * np);
      i32.fill(0, c.ptr / 4 + row * np + n, c.ptr / 4 + (row + 1) * np);
    }
    i32.fill(0, cols.ptr / 4, cols.ptr / 4 + COLUMN_SLOTS * np);
    i32.fill(0, zero.ptr / 4, zero.ptr / 4 + m);
    f.set(args.multipliers, cols.ptr / 4 + columnArray("multiplier") * np);
    // `clamp(sat16(sat16(rne(f32(f32(acc)·mult))) + zp), …)`: QNNPACK's arithmetic without bias.
    const epi = this.runtime.instance<EpilogueExports>(
      "qgemm.epilogue|qnnpack",
      () => buildEpilogue(qnnpackArithmetic()),
    );
    epi.requant_u8(
      c.ptr,
      out.ptr,
      zero.ptr,
      cols.ptr,
      m,
      np,
      args.zeroPoint,
      args.relu ? args.zeroPoint : 0,
      0,
    );
    const bytes = mem.u8();
    const result = new Uint8Array(m * n);
    for (let row = 0; row < m; row++) {
      result.set(bytes.subarray(out.ptr + row * np, out.ptr + row * np + n), row * n);
    }
    return result;
  }

  packLinear(weight: LinearWeight): PackedLinearWeight {
    return this.path.pack(weight);
  }

  linear(
    x: Uint8Array,
    m: number,
    packed: PackedLinearWeight,
    params: StaticLinearParams,
  ): Uint8Array {
    return this.path.linear(x, m, this.own("linear", packed), params);
  }

  linearDynamic(
    x: Float32Array,
    m: number,
    packed: PackedLinearWeight,
    args: DynamicLinearArgs,
  ): Float32Array {
    return this.path.linearDynamic(x, m, this.own("linearDynamic", packed), args);
  }

  packConv2d(weight: ConvWeight, geometry: Conv2dGeometry): PackedConvWeight {
    return this.convPath.pack(weight, geometry);
  }

  conv2dNhwc(x: NhwcTensor, packed: PackedConvWeight, params: StaticLinearParams): NhwcTensor {
    if (!(packed instanceof PackedConv) || !packed.groups.every((g) => this.path.owns(g))) {
      throw new TypeError(
        `${this.name}: the conv weight was packed by another kernel set; pack it with this one`,
      );
    }
    checkNotFreed(`${this.name}.conv2dNhwc`, "packed", packed);
    return this.convPath.conv2dNhwc(x, packed, params);
  }

  binary(kind: "add" | "mul", a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs): Uint8Array {
    return kind === "add" ? this.elementwise.add(a, b, args) : this.elementwise.mul(a, b, args);
  }

  catChannelsNhwc(xs: readonly CatInput[], output: QParams8): NhwcTensor {
    return this.elementwise.catChannelsNhwc(xs, output);
  }

  pool2dNhwc(x: NhwcTensor, qparams: QParams8, window: PoolWindowArgs): NhwcTensor {
    return this.pool.pool2dNhwc(x, qparams, window);
  }

  clamp(x: Uint8Array, lo: number, hi: number): Uint8Array {
    return this.activation.clamp(x, lo, hi);
  }

  lookupChannels(x: NhwcTensor, tables: Uint8Array): NhwcTensor {
    return this.activation.lookupChannels(x, tables);
  }

  lookup(x: Uint8Array, table: CodeTable): Uint8Array {
    return this.activation.lookup(x, table);
  }

  private own(op: string, packed: PackedLinearWeight): PackedLinear {
    if (!(packed instanceof PackedLinear) || !this.path.owns(packed)) {
      throw new TypeError(
        `${this.name}: the weight was packed by another kernel set; pack it with this one`,
      );
    }
    checkNotFreed(`${this.name}.${op}`, "packed", packed);
    return packed;
  }

  private read8(ptr: number, length: number, dtype: "quint8" | "qint8"): Uint8Array | Int8Array {
    const mem = this.runtime.memory;
    return dtype === "qint8"
      ? mem.i8().slice(ptr, ptr + length)
      : mem.u8().slice(ptr, ptr + length);
  }
}

/** Calls `body(elementIndex, channel)` for every element of a per-channel tensor. */
function forEachElementChannel(
  args: PerChannelArgs,
  body: (index: number, channel: number) => void,
): void {
  const axis = args.axis < 0 ? args.axis + args.shape.length : args.axis;
  const { outer, channels, inner } = splitAtAxis(args.shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const start = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) body(start + i, c);
    }
  }
}
