/**
 * Generates the kernels of dynamic activation quantization:
 * - `minmax`: the smallest and largest value (pmin/pmax: a NaN after the first element is
 *   ignored, as the reference's sequential scan does);
 * - `quantize_fbgemm`: FBGEMM's legacy `QuantizeAvx2<uint8_t, LEGACY=true>`:
 *   `clamp(cvtps(min(fma(x, inv, zp), 2147483520)), 0, 255)` — the zero point is added BEFORE
 *   rounding, in one fused multiply-add. With `fusedMadd` the module uses `f32x4.relaxed_madd`
 *   (only where the probe proved it fused); otherwise it emulates the single rounding exactly in
 *   float64: the product of two float32 values is exact there, TwoSum gives the addition's
 *   error, and rounding the sum to odd before the final float32 rounding avoids double rounding.
 * (QNNPACK's dynamic quantization is the ordinary quantize kernel.)
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder, shuffleLanes } from "../wasm/mod.ts";

/** Exports of the module. */
export interface DynamicQuantizeExports {
  /** `minmax(x, n, out)`: n (a multiple of 4) floats; writes min then max (f32) at `out`. */
  minmax(x: number, n: number, out: number): void;
  /** `quantize_fbgemm(x, out, n, inv, zp)`: n (a multiple of 16) floats to u8 codes. */
  quantize_fbgemm(x: number, out: number, n: number, inv: number, zp: number): void;
}

/** Builds the module; `fusedMadd` needs relaxed SIMD with a fused `relaxed_madd`. */
export function buildDynamicQuantize(options: { fusedMadd: boolean }): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const mm = mod.function("minmax", {
    params: ["i32", "i32", "i32"],
    paramNames: ["x", "n", "out"],
  });
  emitMinMax(mm);
  mod.exportFunction(mm);
  const q = mod.function("quantize_fbgemm", {
    params: ["i32", "i32", "i32", "f32", "i32"],
    paramNames: ["x", "out", "n", "inv", "zp"],
  });
  emitQuantizeFbgemm(q, options.fusedMadd);
  mod.exportFunction(q);
  return mod;
}

function emitMinMax(f: FunctionBuilder): void {
  const [x, n, out] = f.params;
  const end = f.local("i32", "end");
  const lo = f.local("v128", "lo");
  const hi = f.local("v128", "hi");
  const v = f.local("v128", "v");
  f.localGet(x).v128.load32Splat().localTee(lo).localSet(hi);
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(x).localGet(n).i32.const(4).i32.mul().i32.add().localSet(end);
  f.loop((next) => {
    f.localGet(x).v128.load({ align: 4 }).localSet(v);
    f.localGet(lo).localGet(v).f32x4.pmin().localSet(lo);
    f.localGet(hi).localGet(v).f32x4.pmax().localSet(hi);
    f.localGet(x).i32.const(16).i32.add().localTee(x).localGet(end).i32.ne().brIf(next);
  });
  for (const lanes of [[2, 3, 2, 3], [1, 1, 1, 1]]) {
    f.localGet(lo).localGet(lo).localGet(lo).i8x16.shuffle(shuffleLanes("i32x4", lanes)).f32x4
      .pmin().localSet(lo);
    f.localGet(hi).localGet(hi).localGet(hi).i8x16.shuffle(shuffleLanes("i32x4", lanes)).f32x4
      .pmax().localSet(hi);
  }
  f.localGet(out).localGet(lo).f32x4.extractLane(0).f32.store();
  f.localGet(out).localGet(hi).f32x4.extractLane(0).f32.store({ offset: 4 });
}

function emitQuantizeFbgemm(f: FunctionBuilder, fusedMadd: boolean): void {
  const [x, out, n, inv, zp] = f.params;
  const end = f.local("i32", "end");
  const invV = f.local("v128", "inv");
  const zpV = f.local("v128", "zp");
  const invD = f.local("v128", "invD");
  const zpD = f.local("v128", "zpD");
  const t: Local[] = [0, 1, 2, 3].map((i) => f.local("v128", `t${i}`));
  const scratch = {
    p: f.local("v128", "p"),
    s: f.local("v128", "s"),
    bb: f.local("v128", "bb"),
    err: f.local("v128", "err"),
    lo: f.local("v128", "lo"),
    hi: f.local("v128", "hi"),
  };
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(x).localGet(n).i32.const(4).i32.mul().i32.add().localSet(end);
  f.localGet(inv).f32x4.splat().localSet(invV);
  f.localGet(zp).f32.convertI32S().f32x4.splat().localSet(zpV);
  f.localGet(inv).f64.promoteF32().f64x2.splat().localSet(invD);
  f.localGet(zp).f64.convertI32S().f64x2.splat().localSet(zpD);
  f.loop((next) => {
    t.forEach((ti, i) => {
      if (fusedMadd) {
        f.localGet(x).v128.load({ offset: i * 16, align: 4 }).localGet(invV).localGet(zpV).f32x4
          .relaxedMadd();
      } else {
        emitExactFma(f, x, i * 16, invD, zpD, scratch);
      }
      // min(t, 2147483520) keeps cvtps in range; then round half to even and saturate (NaN → 0).
      f.v128.const("f32x4", [2147483520, 2147483520, 2147483520, 2147483520]).f32x4.pmin();
      f.f32x4.nearest().i32x4.truncSatF32x4S().localSet(ti);
    });
    f.localGet(out);
    f.localGet(t[0]).localGet(t[1]).i16x8.narrowI32x4S();
    f.localGet(t[2]).localGet(t[3]).i16x8.narrowI32x4S();
    f.i8x16.narrowI16x8U().v128.store({ align: 1 });
    f.localGet(out).i32.const(16).i32.add().localSet(out);
    f.localGet(x).i32.const(64).i32.add().localTee(x).localGet(end).i32.ne().brIf(next);
  });
}

/** Pushes f32x4 `fma(x[offset…], inv, zp)` rounded once, computed in float64 (see module docs). */
function emitExactFma(
  f: FunctionBuilder,
  x: Local,
  offset: number,
  invD: Local,
  zpD: Local,
  r: { p: Local; s: Local; bb: Local; err: Local; lo: Local; hi: Local },
): void {
  const one = [1, 0, 1, 0];
  for (const half of [0, 1]) {
    f.localGet(x).v128.load({ offset, align: 4 });
    if (half === 1) {
      f.localGet(x).v128.load({ offset, align: 4 }).i8x16.shuffle(
        shuffleLanes("i32x4", [2, 3, 2, 3]),
      );
    }
    f.f64x2.promoteLowF32x4().localGet(invD).f64x2.mul().localSet(r.p); // exact: 24+24 bits
    f.localGet(r.p).localGet(zpD).f64x2.add().localSet(r.s);
    // TwoSum: err = (p − (s − bb)) + (zp − bb) with bb = s − p is the exact rounding error.
    f.localGet(r.s).localGet(r.p).f64x2.sub().localSet(r.bb);
    f.localGet(r.p).localGet(r.s).localGet(r.bb).f64x2.sub().f64x2.sub();
    f.localGet(zpD).localGet(r.bb).f64x2.sub().f64x2.add().localSet(r.err);
    // Round to odd: an inexact sum whose last bit is even moves one ulp toward the error.
    f.localGet(r.s);
    f.localGet(r.err).v128.const("f64x2", [0, 0]).f64x2.ne(); // inexact
    f.localGet(r.s).v128.const("i32x4", one).v128.and().v128.const("i32x4", [0, 0, 0, 0]).i64x2
      .eq(); // even
    f.v128.and();
    // delta = +1 (same signs: magnitude grows) or −1: ((s ^ err) >>s 63)·2 + 1
    f.localGet(r.s).localGet(r.err).v128.xor().i32.const(63).i64x2.shrS();
    f.i32.const(1).i64x2.shl().v128.const("i32x4", one).i64x2.add();
    f.v128.and().i64x2.add();
    f.f32x4.demoteF64x2Zero().localSet(half === 0 ? r.lo : r.hi);
  }
  f.localGet(r.lo).localGet(r.hi).i8x16.shuffle(shuffleLanes("i32x4", [0, 1, 4, 5]));
}
