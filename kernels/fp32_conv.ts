/**
 * The fp32 2-D convolution of the baseline, NHWC: im2col (kh, kw, c) rows into the fp32 GEMM's
 * staging area, then the register-tiled fp32 GEMM — the same structure as the int8 path, so the
 * measured speedup compares like with like.
 * @module
 */
import { type Conv2dGeometry, convOutputSize } from "../reference/quantized_conv2d.ts";
import { buildIm2col, IM2COL_FIELDS, type Im2colExports } from "./conv/im2col.ts";
import { type Fp32Linear, PackedFp32Linear } from "./fp32_linear.ts";
import {
  buildFp32Depthwise,
  FP32_DEPTHWISE_BLOCK,
  type Fp32DepthwiseExports,
} from "./conv/fp32_depthwise.ts";
import { type Block, packAllOrNone } from "./memory.ts";
import { checkNotFreed, type NhwcTensor } from "./kernel_set.ts";
import type { KernelRuntime } from "./runtime.ts";

/** An fp32 conv weight `[O, I, kH, kW]` packed per group (or for the depthwise kernel). */
export class PackedFp32Conv {
  #freed = false;
  constructor(
    private readonly release: (b: Block) => void,
    /** `[O, I (per group), kH, kW]`. */
    readonly shape: readonly [number, number, number, number],
    /** Stride, padding, dilation, groups. */
    readonly geometry: Conv2dGeometry,
    /** One packed `[O/groups, kH·kW·I]` weight per group (empty for depthwise). */
    readonly groups: readonly PackedFp32Linear[],
    /** Depthwise: weights `[taps][Cpadded]` and bias `[Cpadded]` in kernel memory. */
    readonly depthwise?: { weights: Block; bias: Block; cPadded: number },
  ) {}

  /** Returns the packed memory. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    for (const g of this.groups) g.free();
    if (this.depthwise) {
      this.release(this.depthwise.weights);
      this.release(this.depthwise.bias);
    }
  }

  /** Whether `free()` was called: the fp32 kernels refuse the weight afterwards. */
  get freed(): boolean {
    return this.#freed;
  }
}

/** fp32 convolution on the generated kernels. */
export class Fp32Conv {
  constructor(private readonly runtime: KernelRuntime, private readonly linear: Fp32Linear) {}

  /** Packs an OIHW weight (and bias) for a geometry. */
  pack(
    weight: Float32Array,
    shape: readonly [number, number, number, number],
    bias: Float32Array | null,
    geometry: Conv2dGeometry,
  ): PackedFp32Conv {
    const [o, ci, kh, kw] = shape;
    const release = (b: Block) => this.runtime.memory.release(b);
    if (geometry.groups > 1 && ci === 1 && o === geometry.groups) {
      const cPadded = Math.ceil(o / FP32_DEPTHWISE_BLOCK) * FP32_DEPTHWISE_BLOCK;
      const taps = kh * kw;
      const mem = this.runtime.memory;
      const [weights, biasBlock] = mem.allocAll([
        [taps * cPadded * 4, "packed fp32 depthwise weight"],
        [cPadded * 4, "fp32 depthwise bias"],
      ]);
      const f = mem.f32();
      f.fill(0, weights.ptr / 4, weights.ptr / 4 + taps * cPadded);
      f.fill(0, biasBlock.ptr / 4, biasBlock.ptr / 4 + cPadded);
      for (let c = 0; c < o; c++) {
        for (let t = 0; t < taps; t++) f[weights.ptr / 4 + t * cPadded + c] = weight[c * taps + t];
        if (bias !== null) f[biasBlock.ptr / 4 + c] = bias[c];
      }
      return new PackedFp32Conv(release, shape, geometry, [], {
        weights,
        bias: biasBlock,
        cPadded,
      });
    }
    const og = o / geometry.groups;
    const k = kh * kw * ci;
    const groups: PackedFp32Linear[] = [];
    for (let g = 0; g < geometry.groups; g++) {
      const rows = new Float32Array(og * k);
      for (let oc = 0; oc < og; oc++) {
        for (let r = 0; r < kh; r++) {
          for (let s = 0; s < kw; s++) {
            for (let c = 0; c < ci; c++) {
              rows[oc * k + (r * kw + s) * ci + c] =
                weight[((((g * og + oc) * ci) + c) * kh + r) * kw + s];
            }
          }
        }
      }
      const groupBias = bias?.subarray(g * og, (g + 1) * og) ?? null;
      groups.push(packAllOrNone(groups, () => this.linear.pack(rows, og, k, groupBias)));
    }
    return new PackedFp32Conv(release, shape, geometry, groups);
  }

  /** NHWC float input → NHWC float output `[N, OH, OW, O]`, with a fused ReLU when `relu`. */
  conv2dNhwc(
    x: NhwcTensor<Float32Array>,
    packed: PackedFp32Conv,
    relu = false,
  ): NhwcTensor<Float32Array> {
    checkNotFreed("Fp32Conv.conv2dNhwc", "packed", packed);
    if (packed.depthwise !== undefined) {
      return this.depthwiseNhwc(x, packed, packed.depthwise, relu);
    }
    const [n, h, w, c] = x.shape;
    const [o, ci, kh, kw] = packed.shape;
    const { stride, padding, dilation, groups } = packed.geometry;
    const oh = convOutputSize(h, kh, stride[0], padding[0], dilation[0]);
    const ow = convOutputSize(w, kw, stride[1], padding[1], dilation[1]);
    const og = o / groups;
    const m = oh * ow;
    const rt = this.runtime;
    const input = rt.scratchBlock("fconv.x", x.data.length * 4);
    const geom = rt.scratchBlock("fconv.geometry", IM2COL_FIELDS.length * 4);
    rt.memory.f32().set(x.data, input.ptr / 4);
    const im2col = rt.instance<Im2colExports>("im2col.f32", () => buildIm2col(4)).im2col;
    const out = new Float32Array(n * m * o);
    for (let g = 0; g < groups; g++) {
      const pg = packed.groups[g];
      const fields: Record<(typeof IM2COL_FIELDS)[number], number> = {
        h,
        w,
        c,
        cg: ci,
        kh,
        kw,
        sh: stride[0],
        sw: stride[1],
        ph: padding[0],
        pw: padding[1],
        dh: dilation[0],
        dw: dilation[1],
        oh,
        ow,
        kPadded: pg.kPadded,
        pad: 0,
      };
      for (let image = 0; image < n; image++) {
        const staging = this.linear.stagingArea(m, pg);
        const i32 = rt.memory.i32();
        IM2COL_FIELDS.forEach((name, i) => (i32[geom.ptr / 4 + i] = fields[name]));
        im2col(input.ptr + (image * h * w * c + g * ci) * 4, staging.ptr, geom.ptr);
        const result = this.linear.linearStaged(m, pg, relu) / 4;
        const view = rt.memory.f32();
        const np = pg.nPadded;
        // One copy when the GEMM's rows are the output's rows (as the int8 conv does).
        if (groups === 1 && np === o) {
          out.set(view.subarray(result, result + m * o), image * m * o);
        } else {
          for (let pos = 0; pos < m; pos++) {
            out.set(
              view.subarray(result + pos * np, result + pos * np + og),
              (image * m + pos) * o + g * og,
            );
          }
        }
      }
    }
    return { data: out, shape: [n, oh, ow, o] };
  }

  private depthwiseNhwc(
    x: NhwcTensor<Float32Array>,
    packed: PackedFp32Conv,
    dw: { weights: Block; bias: Block; cPadded: number },
    relu: boolean,
  ): NhwcTensor<Float32Array> {
    const [n, h, w, c] = x.shape;
    const [, , kh, kw] = packed.shape;
    const { stride, padding, dilation } = packed.geometry;
    const oh = convOutputSize(h, kh, stride[0], padding[0], dilation[0]);
    const ow = convOutputSize(w, kw, stride[1], padding[1], dilation[1]);
    const hp = h + 2 * padding[0];
    const wp = w + 2 * padding[1];
    const cp = dw.cPadded;
    const rt = this.runtime;
    const padded = rt.scratchBlock("fdw.x", hp * wp * cp * 4);
    const acc = rt.scratchBlock("fdw.out", oh * ow * cp * 4);
    const geom = rt.scratchBlock("fdw.geometry", 64);
    const relaxedMadd = rt.features.relaxedMaddFused === true;
    const kernel = rt.instance<Fp32DepthwiseExports>(
      `f32_dwconv_${kh}x${kw}${relaxedMadd ? "_fma" : ""}${relu ? "_relu" : ""}`,
      () => buildFp32Depthwise({ kernelH: kh, kernelW: kw, relaxedMadd, relu }),
    );
    const i32 = rt.memory.i32();
    [cp, wp, oh, ow, stride[0], stride[1], dilation[0], dilation[1]].forEach((
      v,
      i,
    ) => (i32[geom.ptr / 4 + i] = v));
    const out = new Float32Array(n * oh * ow * c);
    for (let image = 0; image < n; image++) {
      const f = rt.memory.f32();
      f.fill(0, padded.ptr / 4, padded.ptr / 4 + hp * wp * cp);
      const src = x.data.subarray(image * h * w * c, (image + 1) * h * w * c);
      for (let y = 0; y < h; y++) {
        const row = padded.ptr / 4 + ((y + padding[0]) * wp + padding[1]) * cp;
        if (cp === c) f.set(src.subarray(y * w * c, (y + 1) * w * c), row);
        else {for (let xx = 0; xx < w; xx++) {
            f.set(src.subarray((y * w + xx) * c, (y * w + xx + 1) * c), row + xx * cp);
          }}
      }
      kernel.dwconv(padded.ptr, dw.weights.ptr, dw.bias.ptr, acc.ptr, geom.ptr);
      const view = rt.memory.f32();
      const base = image * oh * ow * c;
      if (cp === c) out.set(view.subarray(acc.ptr / 4, acc.ptr / 4 + oh * ow * c), base);
      else {
        for (let pos = 0; pos < oh * ow; pos++) {
          out.set(
            view.subarray(acc.ptr / 4 + pos * cp, acc.ptr / 4 + pos * cp + c),
            base + pos * c,
          );
        }
      }
    }
    return { data: out, shape: [n, oh, ow, c] };
  }
}
