/**
 * Small emitters shared by the elementwise, activation and pooling generators: widening 16 bytes
 * to four i32x4 groups, narrowing them back with saturation, and the requantization tail
 * `clamp(r, lo − zp, hi − zp) + zp` that cannot wrap whatever `r` is.
 * @module
 */
import type { FunctionBuilder, Local } from "../wasm/mod.ts";

/** Pushes lanes `4g … 4g+3` of the u8x16 in `v`, zero-extended to i32x4. */
export function widenU8(f: FunctionBuilder, v: Local, group: number): void {
  f.localGet(v);
  if (group < 2) f.i16x8.extendLowI8x16U();
  else f.i16x8.extendHighI8x16U();
  if (group % 2 === 0) f.i32x4.extendLowI16x8U();
  else f.i32x4.extendHighI16x8U();
}

/** Pushes the u8x16 of four i32x4 groups (each lane already in [0, 255] or saturated). */
export function narrowU8(f: FunctionBuilder, groups: readonly Local[]): void {
  f.localGet(groups[0]).localGet(groups[1]).i16x8.narrowI32x4S();
  f.localGet(groups[2]).localGet(groups[3]).i16x8.narrowI32x4S();
  f.i8x16.narrowI16x8U();
}

/**
 * With an i32x4 `r` on the stack, leaves `clamp(r, lo − zp, hi − zp) + zp` = `clamp(r + zp, lo,
 * hi)` computed without overflow (`r` may be anything `trunc_sat` produces).
 * @param lowMinusZp splat of `lo − zp`
 * @param highMinusZp splat of `hi − zp`
 * @param zp splat of the zero point
 */
export function clampAddZeroPoint(
  f: FunctionBuilder,
  lowMinusZp: Local,
  highMinusZp: Local,
  zp: Local,
): void {
  f.localGet(lowMinusZp).i32x4.maxS().localGet(highMinusZp).i32x4.minS();
  f.localGet(zp).i32x4.add();
}

/**
 * With an i32x4 `r` on the stack, leaves `clamp(r + zp, lo, hi)` with the sum in wrapping int32
 * arithmetic, as x86's `_mm256_add_epi32` before a saturating pack.
 * @param zp splat of the zero point
 * @param lo splat of the lowest code
 * @param hi splat of the highest code
 */
export function wrapAddZeroPoint(f: FunctionBuilder, zp: Local, lo: Local, hi: Local): void {
  f.localGet(zp).i32x4.add().localGet(lo).i32x4.maxS().localGet(hi).i32x4.minS();
}

/**
 * Emits `do { body } while ((ptr += step) != end)` — the caller guarantees at least one
 * iteration and that `end − ptr` is a multiple of `step`; `advance` lists other pointers moved by
 * their own steps each iteration.
 */
export function stridedLoop(
  f: FunctionBuilder,
  ptr: Local,
  end: Local,
  step: number,
  advance: readonly (readonly [Local, number])[],
  body: () => void,
): void {
  f.loop((next) => {
    body();
    for (const [p, s] of advance) f.localGet(p).i32.const(s).i32.add().localSet(p);
    f.localGet(ptr).i32.const(step).i32.add().localTee(ptr).localGet(end).i32.ne().brIf(next);
  });
}
