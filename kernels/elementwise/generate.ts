/**
 * Generates the quint8 elementwise kernels (16 elements per iteration; callers pad):
 *
 * - `add_qnnpack`: QNNPACK's fixed-point add (q8vadd): `acc = zpp + am·qa + bm·qb` (int32),
 *   shifted right with round half away from zero — `(acc >> s) + (rem > thr)` with
 *   `rem = (acc & mask) − (acc < 0)` — plus the output zero point, clamped to `[lo, 255]`.
 * - `add_aten_vector`: ATen's AVX2 lanes. The dequantize is one FMA `fma(s, q, f32(s·−zp))`;
 *   SIMD128 has no fused multiply-add, but `s·q` (24 × 8 bits) and the sum (both terms are
 *   multiples of ulp(s) below 2^10·2^e(s): at most 34 significant bits) are exact in float64, so
 *   `f32(f64(s)·q + f64(c))` rounds once, as the FMA does. Then `c = da + db`, ReLU as
 *   `c < 0 ? 0 : c`, and the AVX2 quantize: `t = f32(c·inv)`, `t <= 2147483520 ? t : 2147483520`
 *   (NaN too), `cvtps2dq` (`nearest` + `trunc_sat`), `r + zo` in wrapping int32 (as
 *   `_mm256_add_epi32`: a lane at 2147483520 with zo >= 128 wraps to qmin), clamped.
 * - `add_aten_scalar`: the scalar tail: `f32(s)·f32(q − zp)` for each operand and
 *   `quantize_val` (`trunc_sat` sends NaN to 0, i.e. the zero point, as `quantize_val` does).
 * - `mul_aten_vector`, `mul_aten_scalar`: `t = f32(f32((qa−za)(qb−zb))·m)`, then
 *   `clamp(rne(t) + zo, lo, 255)`. The vector lanes round with `cvtps2dq` (NaN and `t` beyond
 *   int32 give INT32_MIN) and add zo wrapping; the scalar tail's `lrintf` is 64-bit (NaN and `t`
 *   beyond int64 give INT64_MIN, hence lo) and its sum cannot wrap.
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder, shuffleLanes } from "../wasm/mod.ts";
import { clampAddZeroPoint, narrowU8, stridedLoop, widenU8, wrapAddZeroPoint } from "./simd.ts";

/** Exports of the elementwise module (pointers are byte offsets; n is a multiple of 16). */
export interface ElementwiseExports {
  /** `add_qnnpack(a, b, out, n, am, bm, zpp, shift, zo, lo)`. */
  add_qnnpack(
    a: number,
    b: number,
    out: number,
    n: number,
    am: number,
    bm: number,
    zpp: number,
    shift: number,
    zo: number,
    lo: number,
  ): void;
  /** `add_aten_vector(a, b, out, n, sa, ca, sb, cb, inv, zo, floor)`: s, c as float32 values. */
  add_aten_vector(
    a: number,
    b: number,
    out: number,
    n: number,
    sa: number,
    ca: number,
    sb: number,
    cb: number,
    inv: number,
    zo: number,
    floor: number,
  ): void;
  /** `add_aten_scalar(a, b, out, n, sa, za, sb, zb, inv, zo, floor)`. */
  add_aten_scalar(
    a: number,
    b: number,
    out: number,
    n: number,
    sa: number,
    za: number,
    sb: number,
    zb: number,
    inv: number,
    zo: number,
    floor: number,
  ): void;
  /** `mul_aten_vector(a, b, out, n, za, zb, m, zo, lo)`. */
  mul_aten_vector(a: number, b: number, out: number, n: number, ...args: MulArgs): void;
  /** `mul_aten_scalar(a, b, out, n, za, zb, m, zo, lo)`. */
  mul_aten_scalar(a: number, b: number, out: number, n: number, ...args: MulArgs): void;
}

/** Mul's scalars: `za, zb, m, zo, lo`. */
type MulArgs = [za: number, zb: number, m: number, zo: number, lo: number];

/** The largest float below 2^31 that AVX2's quantize clamps to (`2147483520`). */
const AVX2_INT_LIMIT = 2147483520;

/** Builds the module (imports `env.memory`). */
export function buildElementwise(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const ptrs = ["i32", "i32", "i32", "i32"] as const;
  const addQ = mod.function("add_qnnpack", {
    params: [...ptrs, "i32", "i32", "i32", "i32", "i32", "i32"],
    paramNames: ["a", "b", "out", "n", "am", "bm", "zpp", "shift", "zo", "lo"],
  });
  emitAddQnnpack(addQ);
  mod.exportFunction(addQ);
  const addV = mod.function("add_aten_vector", {
    params: [...ptrs, "f64", "f64", "f64", "f64", "f32", "i32", "f32"],
    paramNames: ["a", "b", "out", "n", "sa", "ca", "sb", "cb", "inv", "zo", "floor"],
  });
  emitAddAten(addV, true);
  mod.exportFunction(addV);
  const addS = mod.function("add_aten_scalar", {
    params: [...ptrs, "f32", "i32", "f32", "i32", "f32", "i32", "f32"],
    paramNames: ["a", "b", "out", "n", "sa", "za", "sb", "zb", "inv", "zo", "floor"],
  });
  emitAddAten(addS, false);
  mod.exportFunction(addS);
  for (const vector of [true, false]) {
    const mul = mod.function(vector ? "mul_aten_vector" : "mul_aten_scalar", {
      params: [...ptrs, "i32", "i32", "f32", "i32", "i32"],
      paramNames: ["a", "b", "out", "n", "za", "zb", "m", "zo", "lo"],
    });
    emitMul(mul, vector);
    mod.exportFunction(mul);
  }
  return mod;
}

/** The shared frame: loads 16 bytes of a and b per iteration, stores 16 results. */
function binaryLoop(
  f: FunctionBuilder,
  group: (va: Local, vb: Local, g: number) => void,
): void {
  const [a, b, out, n] = f.params;
  const end = f.local("i32", "end");
  const va = f.local("v128", "va");
  const vb = f.local("v128", "vb");
  const groups = [0, 1, 2, 3].map((g) => f.local("v128", `r${g}`));
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(a).localGet(n).i32.add().localSet(end);
  stridedLoop(f, a, end, 16, [[b, 16], [out, 16]], () => {
    f.localGet(a).v128.load({ align: 1 }).localSet(va);
    f.localGet(b).v128.load({ align: 1 }).localSet(vb);
    groups.forEach((r, g) => {
      group(va, vb, g);
      f.localSet(r);
    });
    f.localGet(out);
    narrowU8(f, groups);
    f.v128.store({ align: 1 });
  });
}

function splatI32(f: FunctionBuilder, value: Local | number, name: string): Local {
  const v = f.local("v128", name);
  if (typeof value === "number") f.i32.const(value);
  else f.localGet(value);
  f.i32x4.splat().localSet(v);
  return v;
}

function emitAddQnnpack(f: FunctionBuilder): void {
  const [, , , , am, bm, zpp, shift, zo, lo] = f.params;
  const amV = splatI32(f, am, "am");
  const bmV = splatI32(f, bm, "bm");
  const zppV = splatI32(f, zpp, "zpp");
  const mask = f.local("i32", "mask");
  f.i32.const(1).localGet(shift).i32.shl().i32.const(1).i32.sub().localSet(mask);
  const maskV = splatI32(f, mask, "maskv");
  const thr = f.local("i32", "thr");
  f.localGet(mask).i32.const(1).i32.shrU().localSet(thr);
  const thrV = splatI32(f, thr, "thrv");
  const zoV = splatI32(f, zo, "zov");
  const loV = splatI32(f, lo, "lov");
  const hiV = splatI32(f, 255, "hiv");
  const acc = f.local("v128", "acc");
  binaryLoop(f, (va, vb, g) => {
    f.localGet(zppV);
    widenU8(f, va, g);
    f.localGet(amV).i32x4.mul().i32x4.add();
    widenU8(f, vb, g);
    f.localGet(bmV).i32x4.mul().i32x4.add().localSet(acc);
    f.localGet(acc).localGet(shift).i32x4.shrS();
    // + (((acc & mask) − (acc < 0)) > thr): gt yields −1 for true, so subtract it.
    f.localGet(acc).localGet(maskV).v128.and();
    f.localGet(acc).i32.const(31).i32x4.shrS().i32x4.add();
    f.localGet(thrV).i32x4.gtS().i32x4.sub();
    f.localGet(zoV).i32x4.add().localGet(loV).i32x4.maxS().localGet(hiV).i32x4.minS();
  });
}

/** Pushes the four f32 lanes of `f32(f64(q)·s + c)` for the i32x4 `q` in `lanes`. */
function dequantizeFused(f: FunctionBuilder, lanes: Local, s: Local, c: Local): void {
  f.localGet(lanes).f64x2.convertLowI32x4S().localGet(s).f64x2.mul().localGet(c).f64x2.add();
  f.f32x4.demoteF64x2Zero();
  f.localGet(lanes).localGet(lanes).i8x16.shuffle(shuffleLanes("i32x4", [2, 3, 2, 3]));
  f.f64x2.convertLowI32x4S().localGet(s).f64x2.mul().localGet(c).f64x2.add();
  f.f32x4.demoteF64x2Zero();
  f.i8x16.shuffle(shuffleLanes("i32x4", [0, 1, 4, 5]));
}

function emitAddAten(f: FunctionBuilder, vector: boolean): void {
  const [, , , , sa, za, sb, zb, inv, zo, floor] = f.params;
  const sAV = f.local("v128", "sav");
  const sBV = f.local("v128", "sbv");
  const zAV = f.local("v128", "zav");
  const zBV = f.local("v128", "zbv");
  if (vector) {
    // za/zb hold the premultiplied c = f32(s·−zp) here (float64 params).
    f.localGet(sa).f64x2.splat().localSet(sAV);
    f.localGet(sb).f64x2.splat().localSet(sBV);
    f.localGet(za).f64x2.splat().localSet(zAV);
    f.localGet(zb).f64x2.splat().localSet(zBV);
  } else {
    f.localGet(sa).f32x4.splat().localSet(sAV);
    f.localGet(sb).f32x4.splat().localSet(sBV);
    f.localGet(za).i32x4.splat().localSet(zAV);
    f.localGet(zb).i32x4.splat().localSet(zBV);
  }
  const invV = f.local("v128", "invv");
  f.localGet(inv).f32x4.splat().localSet(invV);
  const floorV = f.local("v128", "floorv");
  f.localGet(floor).f32x4.splat().localSet(floorV);
  const limitV = f.local("v128", "limit");
  f.v128.const("f32x4", [AVX2_INT_LIMIT, AVX2_INT_LIMIT, AVX2_INT_LIMIT, AVX2_INT_LIMIT]);
  f.localSet(limitV);
  const zoV = splatI32(f, zo, "zov");
  const lowV = f.local("v128", "low");
  f.i32.const(0).localGet(zo).i32.sub().i32x4.splat().localSet(lowV);
  const highV = f.local("v128", "high");
  f.i32.const(255).localGet(zo).i32.sub().i32x4.splat().localSet(highV);
  const zeroV = splatI32(f, 0, "zero");
  const maxV = splatI32(f, 255, "max");
  const qa = f.local("v128", "qa");
  const qb = f.local("v128", "qb");
  const t = f.local("v128", "t");
  binaryLoop(f, (va, vb, g) => {
    widenU8(f, va, g);
    f.localSet(qa);
    widenU8(f, vb, g);
    f.localSet(qb);
    if (vector) {
      dequantizeFused(f, qa, sAV, zAV);
      dequantizeFused(f, qb, sBV, zBV);
    } else {
      f.localGet(qa).localGet(zAV).i32x4.sub().f32x4.convertI32x4S().localGet(sAV).f32x4.mul();
      f.localGet(qb).localGet(zBV).i32x4.sub().f32x4.convertI32x4S().localGet(sBV).f32x4.mul();
    }
    // c = da + db; relu: c < floor ? floor : c (floor is 0 or −Infinity; NaN passes).
    f.f32x4.add().localGet(floorV).f32x4.pmax();
    f.localGet(invV).f32x4.mul();
    if (vector) {
      // pmin(limit, t) = t < limit ? t : limit: NaN becomes the limit, as minps does.
      f.localSet(t);
      f.localGet(limitV).localGet(t).f32x4.pmin();
    }
    f.f32x4.nearest().i32x4.truncSatF32x4S();
    if (vector) wrapAddZeroPoint(f, zoV, zeroV, maxV);
    else clampAddZeroPoint(f, lowV, highV, zoV);
  });
}

function emitMul(f: FunctionBuilder, vector: boolean): void {
  const [, , , , za, zb, m, zo, lo] = f.params;
  const zaV = splatI32(f, za, "zav");
  const zbV = splatI32(f, zb, "zbv");
  const mV = f.local("v128", "mv");
  f.localGet(m).f32x4.splat().localSet(mV);
  const zoV = splatI32(f, zo, "zov");
  const loV = splatI32(f, lo, "lov");
  const maxV = splatI32(f, 255, "max");
  const lowV = f.local("v128", "low");
  f.localGet(lo).localGet(zo).i32.sub().i32x4.splat().localSet(lowV);
  const highV = f.local("v128", "high");
  f.i32.const(255).localGet(zo).i32.sub().i32x4.splat().localSet(highV);
  // Below this bound the conversion is exact; NaN and larger t give the integer minimum.
  const limit = vector ? 2 ** 31 : 2 ** 63;
  const limitV = f.local("v128", "limit");
  f.v128.const("f32x4", [limit, limit, limit, limit]).localSet(limitV);
  const intMinV = splatI32(f, -2147483648, "intmin");
  const t = f.local("v128", "t");
  binaryLoop(f, (va, vb, g) => {
    widenU8(f, va, g);
    f.localGet(zaV).i32x4.sub();
    widenU8(f, vb, g);
    f.localGet(zbV).i32x4.sub().i32x4.mul();
    f.f32x4.convertI32x4S().localGet(mV).f32x4.mul();
    f.f32x4.nearest().localTee(t).i32x4.truncSatF32x4S();
    // trunc_sat already gives INT32_MIN below −2^31; keep its lane only where t < limit.
    f.localGet(intMinV).localGet(t).localGet(limitV).f32x4.lt().v128.bitselect();
    if (vector) wrapAddZeroPoint(f, zoV, loV, maxV);
    else clampAddZeroPoint(f, lowV, highV, zoV);
  });
}
