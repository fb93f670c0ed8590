/**
 * The int8 2-D convolution on the generated kernels, NHWC inside: per image and group, the
 * im2col rows (kh, kw, c) with zero-point padding are written into the linear path's staging
 * area and multiplied by the GEMM variant of the path, then requantized — the same arithmetic as
 * `reference/quantized_conv2d.ts` (which is itself a per-group GEMM over these rows).
 * @module
 */
import {
  type Conv2dGeometry,
  convOutputSize,
  type ConvWeight,
  convWeightAsLinear,
  fbgemmDepthwiseFastPath,
} from "../reference/quantized_conv2d.ts";
import type { LinearWeight, StaticLinearParams } from "../reference/quantized_linear.ts";
import { buildIm2col, IM2COL_FIELDS, type Im2colExports } from "./conv/im2col.ts";
import {
  buildDepthwise,
  type DepthwiseExports,
  depthwiseLayout,
  depthwiseName,
  type DepthwiseSpec,
  depthwiseVariantOf,
  packDepthwiseWeights,
} from "./conv/depthwise.ts";
import { type Block, packAllOrNone } from "./memory.ts";
import { canSaturate, type PackedLinear, type QLinearPath } from "./qlinear.ts";
import type { KernelRuntime } from "./runtime.ts";

/**
 * A conv weight packed for one path: one packed GEMM weight per group, or — for a depthwise
 * convolution (groups = channels, one filter each) — the depthwise kernel's weights plus one
 * GEMM-shaped weight `[Cpadded, taps]` whose per-channel constants the shared epilogue uses.
 */
export class PackedConv {
  #freed = false;

  constructor(
    private readonly release: (block: Block) => void,
    /** The weight as given. */
    readonly weight: ConvWeight,
    /** Stride, padding, dilation, groups. */
    readonly geometry: Conv2dGeometry,
    /** One packed `[O/groups, kH·kW·Cg]` GEMM weight per group (one, for depthwise). */
    readonly groups: readonly PackedLinear[],
    /** The depthwise kernel's packed weights, when the depthwise kernel runs this conv. */
    readonly depthwise?: DepthwisePacking,
  ) {}

  /** Returns the packed memory. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    for (const g of this.groups) g.free();
    if (this.depthwise) {
      this.release(this.depthwise.weights);
      this.release(this.depthwise.weightZeroPoints);
    }
  }

  /** Whether `free()` was called. */
  get freed(): boolean {
    return this.#freed;
  }
}

/** The depthwise kernel's share of a packed conv. */
export interface DepthwisePacking {
  /** Channels padded to the kernel's block. */
  readonly cPadded: number;
  /** Packed weights in kernel memory. */
  readonly weights: Block;
  /** Per-channel weight zero points (int32, cPadded). */
  readonly weightZeroPoints: Block;
  /** Whether some weight zero point is nonzero. */
  readonly hasWeightZeroPoint: boolean;
  /** No tap pair can saturate int16 whatever the activation codes. */
  readonly cannotSaturate: boolean;
}

/** An NHWC uint8 tensor: codes and `[N, H, W, C]`. */
export interface Nhwc<T = Uint8Array> {
  readonly data: T;
  readonly shape: readonly [number, number, number, number];
}

/** The int8 convolution of one path. */
export class QConvPath {
  constructor(private readonly runtime: KernelRuntime, private readonly linear: QLinearPath) {}

  /** Packs a conv weight for a geometry (PyTorch packs stride/padding/dilation/groups with it). */
  pack(weight: ConvWeight, geometry: Conv2dGeometry): PackedConv {
    const gemm = convWeightAsLinear(weight);
    const release = (b: Block) => this.runtime.memory.release(b);
    if (isDepthwise(weight, geometry)) return this.packDepthwise(weight, geometry, gemm);
    const og = weight.outChannels / geometry.groups;
    const groups: PackedLinear[] = [];
    for (let g = 0; g < geometry.groups; g++) {
      groups.push(packAllOrNone(groups, () => this.linear.pack(groupSlice(gemm, g, og))));
    }
    return new PackedConv(release, weight, geometry, groups);
  }

  private packDepthwise(
    weight: ConvWeight,
    geometry: Conv2dGeometry,
    gemm: LinearWeight,
  ): PackedConv {
    const c = weight.outChannels;
    const spec = this.depthwiseSpec(weight, depthwiseVariantOf(this.linear.config.variant));
    const { channels: block } = depthwiseLayout(spec.variant);
    const cPadded = Math.ceil(c / block) * block;
    const taps = weight.kernelH * weight.kernelW;
    // The GEMM-shaped weight [cPadded, taps]: padded channels have zero weights, unit scale.
    const padded: LinearWeight = {
      data: (() => {
        const d = new Int8Array(cPadded * taps);
        d.set(gemm.data);
        return d;
      })(),
      outFeatures: cPadded,
      inFeatures: taps,
      perChannel: gemm.perChannel,
      scales: gemm.perChannel
        ? Float64Array.from({ length: cPadded }, (_, i) => (i < c ? gemm.scales[i] : 1))
        : gemm.scales,
      zeroPoints: gemm.perChannel
        ? Int32Array.from({ length: cPadded }, (_, i) => (i < c ? gemm.zeroPoints[i] : 0))
        : gemm.zeroPoints,
      bias: gemm.bias === null
        ? null
        : Float32Array.from({ length: cPadded }, (_, i) => (i < c ? gemm.bias![i] : 0)),
    };
    const mem = this.runtime.memory;
    const packedWeights = packDepthwiseWeights(spec, gemm.data, c, cPadded);
    const [weights, weightZeroPoints] = mem.allocAll([
      [packedWeights.byteLength, "packed depthwise weight"],
      [cPadded * 4, "depthwise weight zero points"],
    ]);
    new Uint8Array(mem.memory.buffer, weights.ptr, packedWeights.byteLength)
      .set(
        new Uint8Array(packedWeights.buffer, packedWeights.byteOffset, packedWeights.byteLength),
      );
    const zpw = mem.i32();
    for (let i = 0; i < cPadded; i++) {
      zpw[weightZeroPoints.ptr / 4 + i] = i < c ? padded.zeroPoints[padded.perChannel ? i : 0] : 0;
    }
    const hasWeightZeroPoint = Array.from(gemm.zeroPoints).some((z) => z !== 0);
    const depthwise: DepthwisePacking = {
      cPadded,
      weights,
      weightZeroPoints,
      hasWeightZeroPoint,
      cannotSaturate: !canSaturate(gemm),
    };
    const constants = packAllOrNone(
      [{ free: () => [weights, weightZeroPoints].forEach((b) => mem.release(b)) }],
      () => this.linear.pack(padded),
    );
    return new PackedConv((b) => mem.release(b), weight, geometry, [constants], depthwise);
  }

  /** The depthwise kernel variant matching a GEMM variant. */
  private depthwiseSpec(weight: ConvWeight, variant: DepthwiseSpec["variant"]): DepthwiseSpec {
    return {
      variant,
      kernelH: weight.kernelH,
      kernelW: weight.kernelW,
      requant: this.linear.requant,
      mutation: this.linear.config.mutation,
    };
  }

  /**
   * The depthwise kernel's variant for a call (the GEMM's choice, `chooseVariant`, in the
   * depthwise kernel's family).
   */
  private depthwiseVariant(
    packed: PackedConv,
    dw: DepthwisePacking,
    maxCode: () => number,
  ): DepthwiseSpec["variant"] {
    const variant = this.linear.chooseVariant(
      fbgemmDepthwiseFastPath(packed.weight, packed.geometry),
      () => dw.cannotSaturate || maxCode() <= 127,
    );
    return depthwiseVariantOf(variant);
  }

  /** `quantized::conv2d` on an NHWC input: returns the NHWC output `[N, OH, OW, O]`. */
  conv2dNhwc(x: Nhwc, packed: PackedConv, p: StaticLinearParams): Nhwc {
    if (packed.depthwise !== undefined) return this.depthwiseNhwc(x, packed, packed.depthwise, p);
    const [n, h, w, c] = x.shape;
    const { weight, geometry } = packed;
    const groups = geometry.groups;
    const cg = c / groups;
    if (!Number.isInteger(cg) || cg !== weight.inChannelsPerGroup) {
      throw new RangeError(
        `x: ${c} channels do not match the weight (${weight.inChannelsPerGroup} per group × ${groups} groups)`,
      );
    }
    const oh = convOutputSize(
      h,
      weight.kernelH,
      geometry.stride[0],
      geometry.padding[0],
      geometry.dilation[0],
    );
    const ow = convOutputSize(
      w,
      weight.kernelW,
      geometry.stride[1],
      geometry.padding[1],
      geometry.dilation[1],
    );
    if (oh < 1 || ow < 1) {
      throw new RangeError(`x: input ${h}x${w} is too small for this convolution`);
    }
    const o = weight.outChannels;
    const og = o / groups;
    const rt = this.runtime;
    const fbgemmDepthwise = fbgemmDepthwiseFastPath(weight, geometry);
    const input = rt.scratchBlock("qconv.x", x.data.length);
    const geom = rt.scratchBlock("qconv.geometry", IM2COL_FIELDS.length * 4);
    const out = new Uint8Array(n * oh * ow * o);
    const m = oh * ow;
    rt.memory.u8().set(x.data, input.ptr);
    const im2col = rt.instance<Im2colExports>("im2col.u8", () => buildIm2col(1)).im2col;
    for (let g = 0; g < groups; g++) {
      const packedGroup = packed.groups[g];
      const fields = {
        h,
        w,
        c,
        cg,
        kh: weight.kernelH,
        kw: weight.kernelW,
        sh: geometry.stride[0],
        sw: geometry.stride[1],
        ph: geometry.padding[0],
        pw: geometry.padding[1],
        dh: geometry.dilation[0],
        dw: geometry.dilation[1],
        oh,
        ow,
        kPadded: packedGroup.kPadded,
        pad: p.inputZeroPoint,
      };
      for (let image = 0; image < n; image++) {
        const staging = this.linear.stagingArea(m, packedGroup);
        const i32 = rt.memory.i32();
        IM2COL_FIELDS.forEach((name, i) => (i32[geom.ptr / 4 + i] = fields[name]));
        im2col(input.ptr + (image * h * w * c + g * cg), staging.ptr, geom.ptr);
        const result = this.linear.linearStaged(m, packedGroup, p, fbgemmDepthwise);
        const bytes = rt.memory.u8();
        const np = packedGroup.nPadded;
        const base = image * m * o + g * og;
        if (groups === 1 && np === o) out.set(bytes.subarray(result, result + m * o), base);
        else {
          for (let pos = 0; pos < m; pos++) {
            out.set(bytes.subarray(result + pos * np, result + pos * np + og), base + pos * o);
          }
        }
      }
    }
    return { data: out, shape: [n, oh, ow, o] };
  }
  private depthwiseNhwc(
    x: Nhwc,
    packed: PackedConv,
    dw: DepthwisePacking,
    p: StaticLinearParams,
  ): Nhwc {
    const [n, h, w, c] = x.shape;
    const { weight, geometry } = packed;
    if (c !== weight.outChannels) {
      throw new RangeError(`x: ${c} channels, the depthwise weight has ${weight.outChannels}`);
    }
    const [sh, sw] = geometry.stride;
    const [ph, pw] = geometry.padding;
    const [dh, dwl] = geometry.dilation;
    const oh = convOutputSize(h, weight.kernelH, sh, ph, dh);
    const ow = convOutputSize(w, weight.kernelW, sw, pw, dwl);
    if (oh < 1 || ow < 1) {
      throw new RangeError(`x: input ${h}x${w} is too small for this convolution`);
    }
    const hp = h + 2 * ph;
    const wp = w + 2 * pw;
    const cp = dw.cPadded;
    const rt = this.runtime;
    const imageBytes = hp * wp * cp;
    const padded = rt.scratchBlock("dw.x", Math.ceil(imageBytes / 16) * 16 + 64);
    const out8 = rt.scratchBlock("dw.out", oh * ow * cp);
    const geom = rt.scratchBlock("dw.geometry", 64);
    const group = packed.groups[0];
    // The kernel requantizes in registers with the epilogue's column constants.
    const columns = this.linear.staticColumns(group, p);
    const i32 = rt.memory.i32();
    [
      cp,
      wp,
      oh,
      ow,
      sh,
      sw,
      dh,
      dwl,
      dw.hasWeightZeroPoint ? 1 : 0,
      columns.ptr,
      p.outputZeroPoint,
      p.relu ? p.outputZeroPoint : 0,
      this.linear.biasFlag(group),
    ].forEach((v, i) => (i32[geom.ptr / 4 + i] = v));
    const out = new Uint8Array(n * oh * ow * c);
    for (let image = 0; image < n; image++) {
      // The zero-point-padded image, channels padded to the block.
      const u8 = rt.memory.u8();
      const src = x.data.subarray(image * h * w * c, (image + 1) * h * w * c);
      const zp = p.inputZeroPoint;
      // Top and bottom padding rows, then each image row with its left/right padding.
      u8.fill(zp, padded.ptr, padded.ptr + ph * wp * cp);
      u8.fill(zp, padded.ptr + (ph + h) * wp * cp, padded.ptr + imageBytes);
      u8.fill(0, padded.ptr + imageBytes, padded.ptr + Math.ceil(imageBytes / 16) * 16);
      for (let y = 0; y < h; y++) {
        const rowStart = padded.ptr + (y + ph) * wp * cp;
        const row = rowStart + pw * cp;
        u8.fill(zp, rowStart, row);
        u8.fill(zp, row + w * cp, rowStart + wp * cp);
        if (cp === c) u8.set(src.subarray(y * w * c, (y + 1) * w * c), row);
        else {
          for (let xx = 0; xx < w; xx++) {
            u8.set(src.subarray((y * w + xx) * c, (y * w + xx + 1) * c), row + xx * cp);
            u8.fill(zp, row + xx * cp + c, row + (xx + 1) * cp);
          }
        }
      }
      const variant = this.depthwiseVariant(
        packed,
        dw,
        () => this.maxCode(padded.ptr, Math.ceil(imageBytes / 16) * 16),
      );
      const spec = this.depthwiseSpec(weight, variant);
      const kernel = rt.instance<DepthwiseExports>(
        `dwconv_${variant}_${weight.kernelH}x${weight.kernelW}|${spec.requant.name}${
          spec.mutation ? `|${spec.mutation}` : ""
        }`,
        () => buildDepthwise(spec),
      );
      kernel.dwconv(padded.ptr, dw.weights.ptr, dw.weightZeroPoints.ptr, out8.ptr, geom.ptr);
      this.linear.lastKernel = depthwiseName(spec);
      const result = out8.ptr;
      const bytes = rt.memory.u8();
      const base = image * oh * ow * c;
      if (cp === c) out.set(bytes.subarray(result, result + oh * ow * c), base);
      else {
        for (let pos = 0; pos < oh * ow; pos++) {
          out.set(bytes.subarray(result + pos * cp, result + pos * cp + c), base + pos * c);
        }
      }
    }
    return { data: out, shape: [n, oh, ow, c] };
  }

  /** The largest byte of a 16-byte-multiple region (via the epilogue's prepare). */
  private maxCode(ptr: number, bytes: number): number {
    const sums = this.runtime.scratchBlock("dw.maxsums", 64);
    return this.linear.epilogue().prepare(ptr, ptr, sums.ptr, 1, bytes, 0);
  }
}

/** Whether the depthwise kernel runs a conv: one input and one output channel per group. */
function isDepthwise(weight: ConvWeight, geometry: Conv2dGeometry): boolean {
  return geometry.groups > 1 && weight.inChannelsPerGroup === 1 &&
    weight.outChannels === geometry.groups;
}

/** Output channels `[g·og, (g+1)·og)` of a GEMM weight. */
function groupSlice(w: LinearWeight, g: number, og: number): LinearWeight {
  if (og === w.outFeatures) return w;
  const k = w.inFeatures;
  return {
    data: w.data.subarray(g * og * k, (g + 1) * og * k),
    outFeatures: og,
    inFeatures: k,
    perChannel: w.perChannel,
    scales: w.perChannel ? w.scales.subarray(g * og, (g + 1) * og) : w.scales,
    zeroPoints: w.perChannel ? w.zeroPoints.subarray(g * og, (g + 1) * og) : w.zeroPoints,
    bias: w.bias?.subarray(g * og, (g + 1) * og) ?? null,
  };
}

/** NCHW → NHWC for 4-D tensors of any element type. */
export function nchwToNhwc<T extends Uint8Array | Float32Array>(
  data: T,
  shape: readonly number[],
): Nhwc<T> {
  const [n, c, h, w] = shape;
  const out = new (data.constructor as { new (length: number): T })(data.length);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          out[((i * h + y) * w + x) * c + ch] = data[((i * c + ch) * h + y) * w + x];
        }
      }
    }
  }
  return { data: out, shape: [n, h, w, c] };
}

/** NHWC → NCHW. */
export function nhwcToNchw<T extends Uint8Array | Float32Array>(
  t: Nhwc<T>,
): { data: T; shape: number[] } {
  const [n, h, w, c] = t.shape;
  const out = new (t.data.constructor as { new (length: number): T })(t.data.length);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          out[((i * c + ch) * h + y) * w + x] = t.data[((i * h + y) * w + x) * c + ch];
        }
      }
    }
  }
  return { data: out, shape: [n, c, h, w] };
}
