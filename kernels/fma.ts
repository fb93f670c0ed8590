/**
 * Float32 multiply-add in SIMD for kernels that must round exactly as a C++ build does: fused
 * (`fma(a, b, c)`, one rounding — GCC contracts FBGEMM's AVX2 requantization so) or not
 * (`f32(f32(a·b) + c)`, two roundings).
 *
 * The fused form uses `f32x4.relaxed_madd` only where the start-up probe proved that it fuses
 * (`WasmFeatures.relaxedMaddFused`); everywhere else it is emulated exactly in plain SIMD128 with
 * float64 lanes: the product of two float32 values is exact in float64, TwoSum gives the exact
 * error of the float64 sum, and rounding that sum to odd before the final rounding to float32
 * avoids double rounding (docs/numerics.md, "Exact FMA without an FMA").
 * @module
 */
import { type FunctionBuilder, type Local, shuffleLanes } from "./wasm/mod.ts";

/** How a kernel computes `a·b + c` on f32x4 lanes. */
export type MulAddKind = "fused-relaxed" | "fused-emulated" | "unfused";

/** Scratch locals of the emulated fused multiply-add (declare once per function). */
export interface FmaScratch {
  readonly a: Local;
  readonly b: Local;
  readonly c: Local;
  /** Two float64 lanes: the product, the sum, `c`, `s − p`, the sum's error. */
  readonly p: Local;
  readonly s: Local;
  readonly cd: Local;
  readonly t: Local;
  readonly err: Local;
  /** The low two float32 results. */
  readonly lo: Local;
}

/** Declares the scratch locals `emitMulAdd` needs. */
export function fmaScratch(f: FunctionBuilder): FmaScratch {
  const v = (name: string) => f.local("v128", `fma_${name}`);
  return {
    a: v("a"),
    b: v("b"),
    c: v("c"),
    p: v("p"),
    s: v("s"),
    cd: v("cd"),
    t: v("t"),
    err: v("err"),
    lo: v("lo"),
  };
}

/**
 * With f32x4 `a`, `b`, `c` on the stack (pushed in that order), leaves `a·b + c` rounded as
 * `kind` says. `fused-relaxed` needs relaxed SIMD with a fused `relaxed_madd` (the caller checks
 * the probe).
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
  for (const half of [0, 1]) {
    const upper = shuffleLanes("i32x4", [2, 3, 2, 3]);
    const promote = (x: Local) => {
      f.localGet(x);
      if (half === 1) f.localGet(x).i8x16.shuffle(upper);
      f.f64x2.promoteLowF32x4();
    };
    promote(r.a);
    promote(r.b);
    f.f64x2.mul().localSet(r.p); // exact: 24 + 24 significant bits
    promote(r.c);
    f.localSet(r.cd);
    f.localGet(r.p).localGet(r.cd).f64x2.add().localSet(r.s);
    // TwoSum: err = (p − (s − t)) + (c − t) with t = s − p is the exact error of s = p + c.
    f.localGet(r.s).localGet(r.p).f64x2.sub().localSet(r.t);
    f.localGet(r.p).localGet(r.s).localGet(r.t).f64x2.sub().f64x2.sub();
    f.localGet(r.cd).localGet(r.t).f64x2.sub().f64x2.add().localSet(r.err);
    // Round to odd: an inexact sum whose last bit is even moves one ulp toward the error.
    const one = [1, 0, 1, 0];
    f.localGet(r.s);
    f.localGet(r.err).v128.const("f64x2", [0, 0]).f64x2.ne(); // inexact
    f.localGet(r.s).v128.const("i32x4", one).v128.and().v128.const("i32x4", [0, 0, 0, 0]).i64x2
      .eq(); // last bit even
    f.v128.and();
    // step = +1 when s and err have the same sign (the magnitude grows), else −1
    f.localGet(r.s).localGet(r.err).v128.xor().i32.const(63).i64x2.shrS();
    f.i32.const(1).i64x2.shl().v128.const("i32x4", one).i64x2.add();
    f.v128.and().i64x2.add();
    f.f32x4.demoteF64x2Zero();
    if (half === 0) f.localSet(r.lo);
  }
  f.localSet(r.s);
  f.localGet(r.lo).localGet(r.s).i8x16.shuffle(shuffleLanes("i32x4", [0, 1, 4, 5]));
}
