/**
 * Generates depthwise convolution kernels (groups = channels, one filter per channel) over a
 * zero-point-padded NHWC image, so the inner loops need no bounds checks. Channels sit in SIMD
 * lanes; taps are grouped so that one dot-product instruction sums several taps of a channel:
 *
 * - `usdot` / `x86sat` (relaxed SIMD): 4 taps × 4 channels per `i8x16` vector (a 4×4 transpose of
 *   4 tap vectors by two rounds of byte/halfword interleaving), then
 *   `i32x4.relaxed_dot_i8x16_i7x16_add_s` (exact, VNNI) or `i16x8.relaxed_dot_i8x16_i7x16_s` +
 *   `i32x4.extadd_pairwise_i16x8_s` (pmaddubsw: taps paired (t0,t1), (t2,t3) with int16
 *   saturation — FBGEMM's pairs along each channel's (kh, kw) row).
 * - `dot16` / `dot16sat` (SIMD128): 2 taps × 4 channels per `i16x8` vector, `i32x4.dot_i16x8_s`
 *   (exact pair sums), saturated to int16 by `i16x8.narrow_i32x4_s` for FBGEMM's numerics.
 *
 * Raw u8 codes times raw s8 weights are accumulated; the kernel also subtracts `wz_c·Σ_t a_t`
 * (the row offset of a depthwise "row", which is per pixel and channel) when a weight zero point
 * is nonzero, so the requantization only adds per-channel constants; it runs in registers with
 * the GEMM epilogue's arithmetic (`RequantArithmetic`, `emitPackU8`). Taps are padded with zero
 * weights to a multiple of the group size.
 *
 * Output: quint8 `[OH·OW, Cpadded]`.
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder, shuffleLanes } from "../wasm/mod.ts";
import { qgemmLayout, type QGemmVariant } from "../qgemm/layout.ts";
import {
  type ColumnArray,
  columnArray,
  emitPackU8,
  emitRequantToLocal,
  REQUANT_FLAGS,
} from "../qgemm/epilogue.ts";
import { type RequantArithmetic, type RequantInputs, requantLocals } from "../qgemm/requant.ts";

/** The depthwise variants (same meaning as the GEMM variants). */
export type DepthwiseVariant = "usdot" | "x86sat" | "dot16" | "dot16sat";

/** The depthwise variant with a GEMM variant's arithmetic (`dot16c2sat` saturates as `dot16sat`). */
export function depthwiseVariantOf(variant: QGemmVariant): DepthwiseVariant {
  return variant === "dot16c2sat" ? "dot16sat" : variant;
}

/** Channels per block and taps per group of each variant. */
export function depthwiseLayout(variant: DepthwiseVariant): { channels: number; tapGroup: number } {
  return variant === "usdot" || variant === "x86sat"
    ? { channels: 16, tapGroup: 4 }
    : { channels: 8, tapGroup: 2 };
}

/** Generator parameters: the kernel size and dilation are baked in (tap offsets are immediates). */
export interface DepthwiseSpec {
  readonly variant: DepthwiseVariant;
  readonly kernelH: number;
  readonly kernelW: number;
  /** The fused requantization's arithmetic (the GEMM epilogue's, qgemm/requant.ts). */
  readonly requant: RequantArithmetic;
  /** Test-only: `flip-bit` flips bit 0 of channel 0's accumulator of every pixel. */
  readonly mutation?: "flip-bit";
}

/** Exports of a depthwise module. */
export interface DepthwiseExports {
  /**
   * `dwconv(x, w, zpw, out, geometry)`: `x` is the padded NHWC image (u8), `w` the packed
   * weights, `zpw` the per-channel weight zero points (i32, Cpadded), `out` the quint8 outputs
   * `[OH·OW, Cpadded]`, requantized in registers with the shared epilogue's arithmetic (no pass
   * over int32 accumulators). `geometry` (i32 fields): Cpadded (channel stride of x and out, a
   * multiple of the block), paddedW, OH, OW, strideH, strideW, dilationH, dilationW; `hasWz`
   * (+32) is 1 when some weight zero point is nonzero; the epilogue's column arrays (+36:
   * `COLUMN_LAYOUT` with Cpadded values per array; rowMul is unused: the kernel removes the weight zero points
   * itself, see `qgemm/epilogue.ts`); the output zero point (+40), the lower clamp (+44: the zero
   * point with ReLU, else 0) and the epilogue's flags (+48: `REQUANT_FLAGS`).
   */
  dwconv(x: number, w: number, zpw: number, out: number, geometry: number): void;
}

/** The kernel's name in the XNNPACK manner, e.g. `qu8s8_dwconv_fp32_3x3c16__wasmrelaxedsimd_usdot`. */
export function depthwiseName(spec: DepthwiseSpec): string {
  const { channels } = depthwiseLayout(spec.variant);
  return `qu8s8_dwconv_fp32_${spec.kernelH}x${spec.kernelW}c${channels}__${
    qgemmLayout(spec.variant).suffix
  }`;
}

/** The number of taps after padding to whole groups. */
export function paddedTaps(spec: DepthwiseSpec): number {
  const g = depthwiseLayout(spec.variant).tapGroup;
  return Math.ceil((spec.kernelH * spec.kernelW) / g) * g;
}

/**
 * Packs depthwise weights `[C, 1, kH, kW]` (qint8) for a variant: per channel block, per tap
 * group, the block's channels × the group's taps in the order the dot product reads them.
 */
export function packDepthwiseWeights(
  spec: DepthwiseSpec,
  w: Int8Array,
  channels: number,
  cPadded: number,
): Int8Array | Int16Array {
  const { channels: cb, tapGroup } = depthwiseLayout(spec.variant);
  const taps = spec.kernelH * spec.kernelW;
  const tp = paddedTaps(spec);
  const wide = spec.variant === "dot16" || spec.variant === "dot16sat";
  const out = wide ? new Int16Array(cPadded * tp) : new Int8Array(cPadded * tp);
  let o = 0;
  for (let block = 0; block < cPadded / cb; block++) {
    for (let t0 = 0; t0 < tp; t0 += tapGroup) {
      for (let c = 0; c < cb; c++) {
        for (let t = t0; t < t0 + tapGroup; t++, o++) {
          const ch = block * cb + c;
          out[o] = ch < channels && t < taps ? w[ch * taps + t] : 0;
        }
      }
    }
  }
  return out;
}

/** Builds the module for one variant and kernel size. */
export function buildDepthwise(spec: DepthwiseSpec): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = mod.function("dwconv", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "w", "zpw", "out", "geometry"],
  });
  new DepthwiseEmitter(f, spec).emit();
  mod.exportFunction(f);
  return mod;
}

/** The fused requantization's locals. */
interface RequantLocals {
  /** Addresses of the column arrays this kernel reads. */
  readonly colInt: Local;
  readonly biasTerm: Local;
  readonly multiplier: Local;
  readonly biasScale: Local;
  readonly biasProduct: Local;
  /** The epilogue flags. */
  readonly flags: Local;
  /** The output zero point (i16 lanes, when the pack adds it) and the lower clamp (u8 lanes). */
  readonly zp: Local;
  readonly lower: Local;
  /** Per accumulator vector: its requantized int32 values. */
  readonly y: Local[];
  /** The arithmetic's own locals. */
  readonly shared: ReturnType<typeof requantLocals>;
}

class DepthwiseEmitter {
  private readonly cb: number;
  private readonly tapGroup: number;
  private readonly taps: number;
  private readonly tp: number;
  private readonly relaxed: boolean;

  constructor(private readonly f: FunctionBuilder, private readonly spec: DepthwiseSpec) {
    const layout = depthwiseLayout(spec.variant);
    this.cb = layout.channels;
    this.tapGroup = layout.tapGroup;
    this.taps = spec.kernelH * spec.kernelW;
    this.tp = paddedTaps(spec);
    this.relaxed = spec.variant === "usdot" || spec.variant === "x86sat";
  }

  emit(): void {
    const f = this.f;
    const [x, w, zpw, out, geometry] = f.params;
    const g = ["cPadded", "paddedW", "oh", "ow", "sh", "sw", "dh", "dw", "hasWz"].map((name, i) => {
      const l = f.local("i32", name);
      f.localGet(geometry).i32.load({ offset: i * 4 }).localSet(l);
      return l;
    });
    const [cPadded, paddedW, oh, ow, sh, sw, dh, dw, hasWz] = g;
    const rq = this.requantLocals(geometry, cPadded);
    const oy = f.local("i32", "oy");
    const ox = f.local("i32", "ox");
    const cblock = f.local("i32", "cblock");
    const pixel = f.local("i32", "pixel"); // address of the window's top-left, channel 0
    const wBlock = f.local("i32", "wBlock");
    const rowStride = f.local("i32", "rowStride"); // paddedW·cPadded bytes
    const tapOffsets: Local[] = []; // byte offset of each tap relative to the window origin
    for (let t = 0; t < this.taps; t++) tapOffsets.push(f.local("i32", `tap${t}`));
    f.localGet(paddedW).localGet(cPadded).i32.mul().localSet(rowStride);
    for (let r = 0; r < this.spec.kernelH; r++) {
      for (let s = 0; s < this.spec.kernelW; s++) {
        // (r·dh)·rowStride + (s·dw)·cPadded
        f.i32.const(r).localGet(dh).i32.mul().localGet(rowStride).i32.mul();
        f.i32.const(s).localGet(dw).i32.mul().localGet(cPadded).i32.mul().i32.add();
        f.localSet(tapOffsets[r * this.spec.kernelW + s]);
      }
    }
    const nAcc = this.cb / 4;
    const acc = Array.from({ length: nAcc }, (_, i) => f.local("v128", `acc${i}`));
    const sums = Array.from({ length: nAcc }, (_, i) => f.local("v128", `sum${i}`));
    const tapVec = Array.from({ length: this.tapGroup }, (_, i) => f.local("v128", `t${i}`));
    const tmp = Array.from({ length: 4 }, (_, i) => f.local("v128", `tmp${i}`));
    const ones = f.local("v128", "ones");
    f.v128.const(
      "i32x4",
      this.relaxed
        ? [0x01010101, 0x01010101, 0x01010101, 0x01010101]
        : [0x10001, 0x10001, 0x10001, 0x10001],
    )
      .localSet(ones);

    f.localGet(oh).i32.eqz().localGet(ow).i32.eqz().i32.or().if(() => void f.return());
    f.i32.const(0).localSet(oy);
    f.loop((nextRow) => {
      f.i32.const(0).localSet(ox);
      f.loop((nextColumn) => {
        // window origin = x + (oy·sh)·rowStride + (ox·sw)·cPadded
        f.localGet(x).localGet(oy).localGet(sh).i32.mul().localGet(rowStride).i32.mul().i32.add();
        f.localGet(ox).localGet(sw).i32.mul().localGet(cPadded).i32.mul().i32.add().localSet(pixel);
        f.localGet(w).localSet(wBlock);
        f.i32.const(0).localSet(cblock);
        f.loop((nextBlock) => {
          for (const a of [...acc, ...sums]) f.v128.const("i32x4", [0, 0, 0, 0]).localSet(a);
          for (let t0 = 0; t0 < this.tp; t0 += this.tapGroup) {
            // Load the group's tap vectors; taps beyond the kernel are zero vectors (weight 0 too,
            // and they must not count in the activation sums).
            for (let j = 0; j < this.tapGroup; j++) {
              if (t0 + j >= this.taps) {
                f.v128.const("i32x4", [0, 0, 0, 0]).localSet(tapVec[j]);
                continue;
              }
              f.localGet(pixel).localGet(tapOffsets[t0 + j]).i32.add().localGet(cblock).i32.add();
              if (this.relaxed) f.v128.load({ align: 1 });
              else f.v128.load8x8U({ align: 1 });
              f.localSet(tapVec[j]);
            }
            this.emitGroup(tapVec, tmp, acc, sums, wBlock, t0 / this.tapGroup, hasWz, ones);
          }
          if (this.spec.mutation === "flip-bit") {
            f.localGet(cblock).i32.eqz().if(() => {
              f.localGet(acc[0]).v128.const("i32x4", [1, 0, 0, 0]).v128.xor().localSet(acc[0]);
            });
          }
          // Subtract wz_c·Σa when a weight zero point is nonzero, then store.
          for (let i = 0; i < nAcc; i++) {
            f.localGet(hasWz).if(() => {
              f.localGet(acc[i]).localGet(sums[i]);
              f.localGet(zpw).localGet(cblock).i32.const(2).i32.shl().i32.add().v128.load({
                offset: i * 16,
                align: 4,
              });
              f.i32x4.mul().i32x4.sub().localSet(acc[i]);
            });
          }
          this.emitRequant(rq, acc, out, cblock);
          f.localGet(wBlock).i32.const(this.cb * this.tp * (this.relaxed ? 1 : 2)).i32.add()
            .localSet(wBlock);
          f.localGet(cblock).i32.const(this.cb).i32.add().localTee(cblock).localGet(cPadded).i32
            .ltU().brIf(nextBlock);
        });
        f.localGet(out).localGet(cPadded).i32.add().localSet(out);
        f.localGet(ox).i32.const(1).i32.add().localTee(ox).localGet(ow).i32.ltU().brIf(nextColumn);
      });
      f.localGet(oy).i32.const(1).i32.add().localTee(oy).localGet(oh).i32.ltU().brIf(nextRow);
    });
  }

  /** Locals of the fused requantization, read from the geometry block. */
  private requantLocals(geometry: Local, cPadded: Local): RequantLocals {
    const f = this.f;
    const field = (name: string, offset: number) => {
      const l = f.local("i32", name);
      f.localGet(geometry).i32.load({ offset }).localSet(l);
      return l;
    };
    const cols = field("cols", 36);
    const flags = field("flags", 48);
    // Column array `name` starts at cols + slot·Cpadded·4 (`COLUMN_LAYOUT`).
    const array = (name: ColumnArray) => {
      const l = f.local("i32", name);
      f.localGet(cols).localGet(cPadded).i32.const(4 * columnArray(name)).i32.mul().i32.add()
        .localSet(l);
      return l;
    };
    const [colInt, biasTerm, multiplier, biasScale, biasProduct] = [
      array("colInt"),
      array("biasTerm"),
      array("multiplier"),
      array("biasScale"),
      array("biasProduct"),
    ];
    const shared = requantLocals(f);
    const zp = f.local("v128", "zp");
    const lower = f.local("v128", "lower");
    if (this.spec.requant.zeroPointInPack) {
      f.localGet(geometry).i32.load({ offset: 40 }).i16x8.splat().localSet(zp);
    }
    f.localGet(geometry).i32.load({ offset: 40 }).f32.convertI32S().f32x4.splat()
      .localSet(shared.zeroPoint);
    f.localGet(geometry).i32.load({ offset: 44 }).i8x16.splat().localSet(lower);
    const y = Array.from({ length: this.cb / 4 }, (_, i) => f.local("v128", `y${i}`));
    return { colInt, biasTerm, multiplier, biasScale, biasProduct, flags, zp, lower, y, shared };
  }

  /**
   * `requant_u8` of one block's accumulators, as the shared epilogue computes it: the
   * arithmetic of `spec.requant` on `acc + colInt`, then int16 (+ zero point, saturating) and
   * uint8, ReLU as the lower clamp.
   */
  private emitRequant(rq: RequantLocals, acc: Local[], out: Local, cblock: Local): void {
    const f = this.f;
    const column = (array: Local, i: number) => () => {
      f.localGet(array).localGet(cblock).i32.const(2).i32.shl().i32.add();
      f.v128.load({ offset: i * 16, align: 4 });
    };
    acc.forEach((a, i) => {
      const io: RequantInputs = {
        ...rq.shared,
        biasTerm: column(rq.biasTerm, i),
        biasScale: column(rq.biasScale, i),
        multiplier: column(rq.multiplier, i),
        biasProduct: (pair) => {
          f.localGet(rq.biasProduct).localGet(cblock).i32.const(3).i32.shl().i32.add();
          f.v128.load({ offset: i * 32 + pair * 16, align: 8 });
        },
        flag: (name) => void f.localGet(rq.flags).i32.const(REQUANT_FLAGS[name]).i32.and(),
      };
      f.localGet(a);
      column(rq.colInt, i)();
      f.i32x4.add();
      emitRequantToLocal(f, this.spec.requant, io, rq.y[i]);
    });
    f.localGet(out).localGet(cblock).i32.add();
    emitPackU8(f, rq.y, rq.zp, rq.lower);
    if (acc.length === 4) f.v128.store({ align: 1 });
    else f.v128.store64Lane(0, { align: 1 });
  }

  /** One tap group of one channel block: transpose, dot, accumulate (and sum activations). */
  private emitGroup(
    t: Local[],
    tmp: Local[],
    acc: Local[],
    sums: Local[],
    wBlock: Local,
    group: number,
    hasWz: Local,
    ones: Local,
  ): void {
    const f = this.f;
    const wOffset = (i: number) => group * this.cb * this.tapGroup + i * 16;
    if (this.relaxed) {
      // Byte-interleave taps (0,1) and (2,3), then halfword-interleave the pairs: vector i holds
      // channels 4i…4i+3, each with its 4 taps.
      const bytes = (lo: boolean) =>
        Array.from({ length: 16 }, (_, k) => (lo ? 0 : 8) + (k >> 1) + (k & 1 ? 16 : 0));
      const halves = (lo: boolean) =>
        Array.from({ length: 16 }, (_, k) => {
          const pair = k >> 2; // output 4-byte group = channel
          const src = (lo ? 0 : 4) + pair; // halfword index within each source
          return (k & 2 ? 16 : 0) + src * 2 + (k & 1);
        });
      f.localGet(t[0]).localGet(t[1]).i8x16.shuffle(bytes(true)).localSet(tmp[0]); // c0-7 × t0,t1
      f.localGet(t[0]).localGet(t[1]).i8x16.shuffle(bytes(false)).localSet(tmp[1]); // c8-15
      f.localGet(t[2]).localGet(t[3]).i8x16.shuffle(bytes(true)).localSet(tmp[2]);
      f.localGet(t[2]).localGet(t[3]).i8x16.shuffle(bytes(false)).localSet(tmp[3]);
      const transposed = [
        [tmp[0], tmp[2], true],
        [tmp[0], tmp[2], false],
        [tmp[1], tmp[3], true],
        [tmp[1], tmp[3], false],
      ] as const;
      transposed.forEach(([p, q, lo], i) => {
        const wAt = () => f.localGet(wBlock).v128.load({ offset: wOffset(i), align: 1 });
        if (this.spec.variant === "usdot") {
          wAt();
          f.localGet(p).localGet(q).i8x16.shuffle(halves(lo));
          f.localGet(acc[i]).i32x4.relaxedDotI8x16I7x16AddS().localSet(acc[i]);
        } else {
          f.localGet(acc[i]);
          wAt();
          f.localGet(p).localGet(q).i8x16.shuffle(halves(lo));
          f.i16x8.relaxedDotI8x16I7x16S().i32x4.extaddPairwiseI16x8S().i32x4.add().localSet(acc[i]);
        }
        f.localGet(hasWz).if(() => {
          f.localGet(ones).localGet(p).localGet(q).i8x16.shuffle(halves(lo));
          f.localGet(sums[i]).i32x4.relaxedDotI8x16I7x16AddS().localSet(sums[i]);
        });
      });
      return;
    }
    // Plain SIMD: two taps of 8 channels as int16; interleave halfwords → [c t, c t'] pairs.
    const lanes = (lo: boolean) =>
      shuffleLanes("i16x8", lo ? [0, 8, 1, 9, 2, 10, 3, 11] : [4, 12, 5, 13, 6, 14, 7, 15]);
    const dots: Local[] = [tmp[0], tmp[1]];
    [true, false].forEach((lo, i) => {
      f.localGet(t[0]).localGet(t[1]).i8x16.shuffle(lanes(lo));
      f.localGet(wBlock).v128.load({
        offset: group * this.cb * this.tapGroup * 2 + i * 16,
        align: 2,
      });
      f.i32x4.dotI16x8S().localSet(dots[i]);
      f.localGet(hasWz).if(() => {
        f.localGet(sums[i]);
        f.localGet(t[0]).localGet(t[1]).i8x16.shuffle(lanes(lo)).localGet(ones).i32x4.dotI16x8S();
        f.i32x4.add().localSet(sums[i]);
      });
    });
    if (this.spec.variant === "dot16sat") {
      // Saturate each pair sum to int16 (FBGEMM's vpmaddubsw), then widen back.
      f.localGet(dots[0]).localGet(dots[1]).i16x8.narrowI32x4S().localTee(tmp[2]).i32x4
        .extendLowI16x8S().localSet(dots[0]);
      f.localGet(tmp[2]).i32x4.extendHighI16x8S().localSet(dots[1]);
    }
    for (let i = 0; i < 2; i++) f.localGet(acc[i]).localGet(dots[i]).i32x4.add().localSet(acc[i]);
  }
}
