/**
 * The packed layouts of the int8 GEMM variants: how activations (A) and weights (B) are laid
 * out in kernel memory, and what one k-step of the inner loop consumes.
 *
 * Every variant accumulates the products of RAW codes (u8 activations × s8 weights); zero points
 * are removed afterwards with row/column sums (shared epilogue), which is exact in int32.
 * @module
 */

/**
 * The arithmetic of the inner loop:
 * - `usdot`: `i32x4.relaxed_dot_i8x16_i7x16_add_s` where the engine computes it exactly with an
 *   unsigned second operand (x86 AVX-VNNI `vpdpbusd`): exact Σ a·w.
 * - `x86sat`: `i16x8.relaxed_dot_i8x16_i7x16_s` where the engine lowers it to `pmaddubsw`:
 *   each even-aligned pair summed with int16 saturation — FBGEMM's AVX2 numerics.
 * - `dot16sat`: plain SIMD128 emulation of the same saturation: operands widened to int16,
 *   `i32x4.dot_i16x8_s` pair sums, `i16x8.narrow_i32x4_s` saturation, `extadd_pairwise` to int32.
 * - `dot16`: plain SIMD128 exact products: widened operands, `i32x4.dot_i16x8_s`.
 * - `dot16c2sat`: `dot16`'s layout and dot products with each pair sum clamped to int16 —
 *   FBGEMM's saturation for the convolutions FBGEMM runs on its (always AVX2) depthwise kernels
 *   on a path whose GEMM is otherwise exact (`fbgemm_avx512_vnni`).
 */
export type QGemmVariant = "usdot" | "x86sat" | "dot16sat" | "dot16" | "dot16c2sat";

/** Static facts of a variant's layout. */
export interface QGemmLayout {
  readonly variant: QGemmVariant;
  /** k values consumed per column per step (the packed layout's "c"). */
  readonly kr: number;
  /** Bytes per A element (1: raw u8; 2: widened int16). */
  readonly aElementBytes: 1 | 2;
  /** Bytes per B element (1: s8; 2: widened int16). */
  readonly bElementBytes: 1 | 2;
  /** Whether it needs relaxed SIMD. */
  readonly relaxed: boolean;
  /** Whether pair sums saturate to int16 (FBGEMM numerics) or are exact. */
  readonly saturating: boolean;
  /** The ISA/variant suffix of kernel names, e.g. `wasmrelaxedsimd_x86sat`. */
  readonly suffix: string;
}

const LAYOUTS: Record<QGemmVariant, QGemmLayout> = {
  usdot: {
    variant: "usdot",
    kr: 4,
    aElementBytes: 1,
    bElementBytes: 1,
    relaxed: true,
    saturating: false,
    suffix: "wasmrelaxedsimd_usdot",
  },
  x86sat: {
    variant: "x86sat",
    kr: 4,
    aElementBytes: 1,
    bElementBytes: 1,
    relaxed: true,
    saturating: true,
    suffix: "wasmrelaxedsimd_x86sat",
  },
  dot16sat: {
    variant: "dot16sat",
    kr: 4,
    aElementBytes: 2,
    bElementBytes: 2,
    relaxed: false,
    saturating: true,
    suffix: "wasmsimd_dot16sat",
  },
  dot16c2sat: {
    variant: "dot16c2sat",
    kr: 2,
    aElementBytes: 2,
    bElementBytes: 2,
    relaxed: false,
    saturating: true,
    suffix: "wasmsimd_dot16x2sat",
  },
  dot16: {
    variant: "dot16",
    kr: 2,
    aElementBytes: 2,
    bElementBytes: 2,
    relaxed: false,
    saturating: false,
    suffix: "wasmsimd_dot16x2",
  },
};

/** The layout of a variant. */
export function qgemmLayout(variant: QGemmVariant): QGemmLayout {
  return LAYOUTS[variant];
}

/** Output columns per tile (two v128 accumulators of int32 per row). */
export const NR = 8;

/** K is padded with zeros to a multiple of this (one 16-byte A load per row per unrolled step). */
export const K_ALIGN = 16;

/** K rounded up to the padding. */
export function paddedK(k: number): number {
  return Math.max(K_ALIGN, Math.ceil(k / K_ALIGN) * K_ALIGN);
}

/** N rounded up to whole tiles. */
export function paddedN(n: number): number {
  return Math.ceil(n / NR) * NR;
}

/** Bytes of packed B for one NR-column block. */
export function packedBlockBytes(layout: QGemmLayout, kPadded: number): number {
  return kPadded * NR * layout.bElementBytes;
}

/**
 * Packs s8 weights `[N, K]` (row-major, one row per output column) into `out` (which must hold
 * `paddedN(n) / NR` blocks): per block, per k-step, the NR columns' `kr` consecutive k values.
 * Padding (k ≥ K, n ≥ N) is zero.
 */
export function packWeights(
  layout: QGemmLayout,
  w: Int8Array,
  n: number,
  k: number,
  out: Int8Array | Int16Array,
): void {
  const kp = paddedK(k);
  const { kr } = layout;
  const blocks = paddedN(n) / NR;
  out.fill(0, 0, blocks * kp * NR);
  let o = 0;
  for (let block = 0; block < blocks; block++) {
    for (let k0 = 0; k0 < kp; k0 += kr) {
      for (let col = 0; col < NR; col++) {
        const c = block * NR + col;
        for (let kk = 0; kk < kr; kk++, o++) {
          const kIndex = k0 + kk;
          if (c < n && kIndex < k) out[o] = w[c * k + kIndex];
        }
      }
    }
  }
}
