/**
 * Float32 multiply-add in SIMD for kernels that must round exactly as a C++ build does: fused
 * (`fma(a, b, c)`, one rounding — GCC contracts FBGEMM's AVX2 requantization so) or not
 * (`f32(f32(a·b) + c)`, two roundings).
 *
 * The fused form uses `f32x4.relaxed_madd` only where the start-up probe proved that it fuses
 * (`WasmFeatures.relaxedMaddFused`); everywhere else it is emulated exactly in plain SIMD128 with
 * float64 lanes: the product of two float32 values is exact in float64, TwoSum gives the exact
 * error of the float64 sum, and rounding that sum to odd before the final rounding to float32
 * avoids double rounding (docs/kernels.md §Exact FMA).
 * @module
 */
import { type FunctionBuilder, type Local, shuffleLanes } from "./wasm/mod.ts";

/** How a kernel computes `a·b + c` on f32x4 lanes. */
export type MulAddKind = "fused-relaxed" | "fused-emulated" | "unfused";

/** Scratch locals of the emulated fused multiply-add (declare once per function). */
export interface FmaScratch {
  /** The three float32 operands. */
  readonly a: Local;
  readonly b: Local;
  readonly c: Local;
  /** Per half (two float64 lanes each): the exact product, `c`, and their float64 sum. */
  readonly p: readonly [Local, Local];
  readonly cd: readonly [Local, Local];
  readonly s: readonly [Local, Local];
  /** TwoSum temporaries. */
  readonly t: Local;
  readonly err: Local;
}

/** Declares the scratch locals `emitMulAdd` needs. */
export function fmaScratch(f: FunctionBuilder): FmaScratch {
  const v = (name: string) => f.local("v128", `fma_${name}`);
  return {
    a: v("a"),
    b: v("b"),
    c: v("c"),
    p: [v("p0"), v("p1")],
    cd: [v("c0"), v("c1")],
    s: [v("s0"), v("s1")],
    t: v("t"),
    err: v("err"),
  };
}

/** Low 29 bits of a float64 mantissa, and the pattern of a float32 rounding midpoint in them. */
const BELOW_F32 = [0x1fffffff, 0, 0x1fffffff, 0];
const MIDPOINT = [0x10000000, 0, 0x10000000, 0];
/** Below this magnitude a float32 result is subnormal (its midpoints sit elsewhere). */
const F32_NORMAL = 2 ** -125;

/**
 * With f32x4 `a`, `b`, `c` on the stack (pushed in that order), leaves `a·b + c` rounded as
 * `kind` says. `fused-relaxed` needs relaxed SIMD with a fused `relaxed_madd` (the caller checks
 * the probe).
 *
 * `fused-emulated`: per pair of lanes, `s = p + c` in float64 with `p = a·b` exact. Rounding `s`
 * to float32 is the correctly rounded `a·b + c` unless `s` landed exactly on a float32 rounding
 * midpoint (the float64 rounding may have moved it there) or is too small for a normal float32;
 * only then — rarely, and for the whole vector — TwoSum's exact error moves `s` one ulp toward
 * the true value when its last bit is even ("round to odd"), which makes the final rounding
 * correct.
 */
export function emitMulAdd(f: FunctionBuilder, kind: MulAddKind, r: FmaScratch): void {
  if (kind === "fused-relaxed") {
    f.f32x4.relaxedMadd();
    return;
  }
  if (kind === "unfused") {
    f.localSet(r.c).f32x4.mul().localGet(r.c).f32x4.add();
    return;
  }
  f.localSet(r.c).localSet(r.b).localSet(r.a);
  const upper = shuffleLanes("i32x4", [2, 3, 2, 3]);
  const promote = (x: Local, half: number) => {
    f.localGet(x);
    if (half === 1) f.localGet(x).i8x16.shuffle(upper);
    f.f64x2.promoteLowF32x4();
  };
  for (const half of [0, 1]) {
    promote(r.a, half);
    promote(r.b, half);
    f.f64x2.mul().localTee(r.p[half]); // exact: 24 + 24 significant bits
    promote(r.c, half);
    f.localTee(r.cd[half]).f64x2.add().localSet(r.s[half]);
  }
  // Any lane on a float32 midpoint, or subnormal as a float32?
  for (const half of [0, 1]) {
    f.localGet(r.s[half]).v128.const("i32x4", BELOW_F32).v128.and();
    f.v128.const("i32x4", MIDPOINT).i64x2.eq();
    f.localGet(r.s[half]).f64x2.abs().v128.const("f64x2", [F32_NORMAL, F32_NORMAL]).f64x2.lt();
    f.v128.or();
  }
  f.v128.or().v128.anyTrue().if(() => {
    for (const half of [0, 1]) roundToOdd(f, r, half);
  });
  f.localGet(r.s[0]).f32x4.demoteF64x2Zero();
  f.localGet(r.s[1]).f32x4.demoteF64x2Zero();
  f.i8x16.shuffle(shuffleLanes("i32x4", [0, 1, 4, 5]));
}

/**
 * With f32x4 `c` on the stack, leaves `p + c` rounded once to float32, where `p` is exact in
 * float64 and pushed as f64x2 pairs by `pushP(0)` (lanes 0, 1) and `pushP(1)` (lanes 2, 3) — a
 * fused multiply-add whose product is known in advance (a per-column constant). As the emulated
 * FMA: the float64 sum, rounded to odd only when it lands on a float32 midpoint. `c` must be
 * integer-valued (an int32 accumulator converted to float32): a sum below float32's normal range
 * is then exact, so no subnormal case arises.
 */
export function emitAddExact(
  f: FunctionBuilder,
  pushP: (pair: 0 | 1) => void,
  r: FmaScratch,
): void {
  f.localSet(r.c);
  const upper = shuffleLanes("i32x4", [2, 3, 2, 3]);
  for (const half of [0, 1] as const) {
    f.localGet(r.c);
    if (half === 1) f.localGet(r.c).i8x16.shuffle(upper);
    f.f64x2.promoteLowF32x4().localTee(r.cd[half]);
    pushP(half);
    f.localTee(r.p[half]).f64x2.add().localSet(r.s[half]);
  }
  for (const half of [0, 1]) {
    f.localGet(r.s[half]).v128.const("i32x4", BELOW_F32).v128.and();
    f.v128.const("i32x4", MIDPOINT).i64x2.eq();
  }
  f.v128.or().v128.anyTrue().if(() => {
    for (const half of [0, 1]) roundToOdd(f, r, half);
  });
  f.localGet(r.s[0]).f32x4.demoteF64x2Zero();
  f.localGet(r.s[1]).f32x4.demoteF64x2Zero();
  f.i8x16.shuffle(shuffleLanes("i32x4", [0, 1, 4, 5]));
}

/**
 * TwoSum's exact error of `s = p + c`, and `s` rounded to odd: an inexact sum whose last bit is
 * even moves one ulp toward the error.
 */
function roundToOdd(f: FunctionBuilder, r: FmaScratch, half: number): void {
  const [p, c, s] = [r.p[half], r.cd[half], r.s[half]];
  // err = (p − (s − t)) + (c − t) with t = s − p
  f.localGet(s).localGet(p).f64x2.sub().localSet(r.t);
  f.localGet(p).localGet(s).localGet(r.t).f64x2.sub().f64x2.sub();
  f.localGet(c).localGet(r.t).f64x2.sub().f64x2.add().localSet(r.err);
  const one = [1, 0, 1, 0];
  f.localGet(s);
  f.localGet(r.err).v128.const("f64x2", [0, 0]).f64x2.ne(); // inexact
  f.localGet(s).v128.const("i32x4", one).v128.and().v128.const("i32x4", [0, 0, 0, 0]).i64x2
    .eq(); // last bit even
  f.v128.and();
  // step = +1 when s and err have the same sign (the magnitude grows), else −1
  f.localGet(s).localGet(r.err).v128.xor().i32.const(63).i64x2.shrS();
  f.i32.const(1).i64x2.shl().v128.const("i32x4", one).i64x2.add();
  f.v128.and().i64x2.add().localSet(s);
}
