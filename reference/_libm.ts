/**
 * Float32 libm functions exactly as the C library that PyTorch calls computes them: glibc 2.36
 * on x86-64 (Debian 12, the machine the goldens were recorded on). QNNPACK's sigmoid and tanh
 * lookup tables and ATen's scalar tails call `expf` and `tanhf`; neither is correctly rounded, so
 * the algorithms are reproduced operation by operation:
 *
 * - `expf`: glibc's sysdeps/ieee754/flt-32/e_expf.c (Szabolcs Nagy, ARM optimized-routines;
 *   tables from e_exp2f_data.c): double-precision evaluation with a 32-entry table of 2^(i/32)
 *   and a cubic polynomial, rounded once to float (ULP error 0.502). glibc selects an FMA-compiled
 *   copy on CPUs with FMA; contracting its three multiply-adds changes the double result by a few
 *   units in its last place, which alters the float result only when that double lies within
 *   ~2^-29 ulp of a rounding boundary — never observed (checked against the machine's libm on
 *   millions of inputs).
 * - `expm1f` and `tanhf`: glibc's fdlibm-derived sysdeps/ieee754/flt-32/s_expm1f.c and
 *   s_tanhf.c, all float arithmetic.
 * @module
 */
import { f32, float32Bits, float32FromBits } from "./float32.ts";

const view = new DataView(new ArrayBuffer(8));

function doubleFromBits(bits: bigint): number {
  view.setBigUint64(0, BigInt.asUintN(64, bits), true);
  return view.getFloat64(0, true);
}

function doubleBits(x: number): bigint {
  view.setFloat64(0, x, true);
  return view.getBigUint64(0, true);
}

/** `__exp2f_data.tab`: `asuint64(2^(i/32)) − (i << 47)`. */
const EXP2F_TAB: readonly bigint[] = [
  0x3ff0000000000000n,
  0x3fefd9b0d3158574n,
  0x3fefb5586cf9890fn,
  0x3fef9301d0125b51n,
  0x3fef72b83c7d517bn,
  0x3fef54873168b9aan,
  0x3fef387a6e756238n,
  0x3fef1e9df51fdee1n,
  0x3fef06fe0a31b715n,
  0x3feef1a7373aa9cbn,
  0x3feedea64c123422n,
  0x3feece086061892dn,
  0x3feebfdad5362a27n,
  0x3feeb42b569d4f82n,
  0x3feeab07dd485429n,
  0x3feea47eb03a5585n,
  0x3feea09e667f3bcdn,
  0x3fee9f75e8ec5f74n,
  0x3feea11473eb0187n,
  0x3feea589994cce13n,
  0x3feeace5422aa0dbn,
  0x3feeb737b0cdc5e5n,
  0x3feec49182a3f090n,
  0x3feed503b23e255dn,
  0x3feee89f995ad3adn,
  0x3feeff76f2fb5e47n,
  0x3fef199bdd85529cn,
  0x3fef3720dcef9069n,
  0x3fef5818dcfba487n,
  0x3fef7c97337b9b5fn,
  0x3fefa4afa2a490dan,
  0x3fefd0765b6e4540n,
];
const N = 32;
/** `0x1.71547652b82fep+0 * N`. */
const INV_LN2_N = doubleFromBits(0x3ff71547652b82fen) * N;
/** `0x1.8p+52`. */
const SHIFT = 6755399441055744;
/** `__exp2f_data.poly_scaled`: C0/N³, C1/N², C2/N (C = 0x1.c6af84b912394p-5, 0x1.ebfce50fac4f3p-3, 0x1.62e42ff0c52d6p-1). */
const C0 = doubleFromBits(0x3fac6af84b912394n) / (N * N * N);
const C1 = doubleFromBits(0x3fcebfce50fac4f3n) / (N * N);
const C2 = doubleFromBits(0x3fe62e42ff0c52d6n) / N;

/**
 * glibc 2.36 `expf` (see the module documentation). NaN → NaN, +Infinity → +Infinity,
 * −Infinity → 0, overflow → +Infinity, underflow → 0.
 */
export function expf(x: number): number {
  x = f32(x);
  if (x !== x) return x;
  const abstop = (float32Bits(x) >>> 20) & 0x7ff;
  if (abstop >= ((float32Bits(88) >>> 20) & 0x7ff)) {
    if (x === -Infinity) return 0;
    if (abstop >= 0x7f8) return x + x;
    if (x > 88.72283172607422) return Infinity; // 0x1.62e42ep6f
    if (x < -103.97207641601562) return 0; // -0x1.9fe368p6f
  }
  const z = INV_LN2_N * x;
  const kdShifted = z + SHIFT;
  const ki = doubleBits(kdShifted);
  const kd = kdShifted - SHIFT;
  const r = z - kd;
  const t = EXP2F_TAB[Number(ki % BigInt(N))] + (ki << 47n);
  const s = doubleFromBits(t);
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  y = y * s;
  return f32(y);
}

const LN2_HI = f32(6.9313812256e-01); // 0x3f317180
const LN2_LO = f32(9.0580006145e-06); // 0x3717f7d1
const INV_LN2 = f32(1.4426950216e+00); // 0x3fb8aa3b
const Q1 = f32(-3.3333335072e-02);
const Q2 = f32(1.5873016091e-03);
const Q3 = f32(-7.9365076090e-05);
const Q4 = f32(4.0082177293e-06);
const Q5 = f32(-2.0109921195e-07);
const O_THRESHOLD = f32(8.8721679688e+01);

/** glibc 2.36 `expm1f` (fdlibm s_expm1f.c, float arithmetic). */
export function expm1f(x: number): number {
  x = f32(x);
  let hx = float32Bits(x);
  const negative = (hx & 0x80000000) !== 0;
  hx &= 0x7fffffff;
  if (hx >= 0x4195b844) { // |x| >= 27·ln2
    if (hx >= 0x42b17218) { // |x| >= 88.721...
      if (hx > 0x7f800000) return x + x; // NaN
      if (hx === 0x7f800000) return negative ? -1 : x;
      if (x > O_THRESHOLD) return Infinity;
    }
    if (negative) return -1;
  }
  let hi: number, lo: number, k: number, c = 0;
  if (hx > 0x3eb17218) { // |x| > 0.5·ln2
    if (hx < 0x3f851592) { // and |x| < 1.5·ln2
      if (!negative) {
        hi = f32(x - LN2_HI);
        lo = LN2_LO;
        k = 1;
      } else {
        hi = f32(x + LN2_HI);
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = Math.trunc(f32(f32(INV_LN2 * x) + (negative ? -0.5 : 0.5)));
      const t = k;
      hi = f32(x - f32(t * LN2_HI));
      lo = f32(t * LN2_LO);
    }
    x = f32(hi - lo);
    c = f32(f32(hi - x) - lo);
  } else if (hx < 0x33000000) { // |x| < 2^-25
    return x;
  } else k = 0;
  const hfx = f32(0.5 * x);
  const hxs = f32(x * hfx);
  const r1 = f32(
    1 +
      f32(
        hxs *
          f32(Q1 + f32(hxs * f32(Q2 + f32(hxs * f32(Q3 + f32(hxs * f32(Q4 + f32(hxs * Q5)))))))),
      ),
  );
  let t = f32(3 - f32(r1 * hfx));
  let e = f32(hxs * f32(f32(r1 - t) / f32(6 - f32(x * t))));
  if (k === 0) return f32(x - f32(f32(x * e) - hxs));
  e = f32(f32(x * f32(e - c)) - c);
  e = f32(e - hxs);
  if (k === -1) return f32(f32(0.5 * f32(x - e)) - 0.5);
  if (k === 1) {
    if (x < -0.25) return f32(-2 * f32(e - f32(x + 0.5)));
    return f32(1 + f32(2 * f32(x - e)));
  }
  let y: number;
  if (k <= -2 || k > 56) {
    y = f32(1 - f32(e - x));
    y = float32FromBits(float32Bits(y) + (k << 23));
    return f32(y - 1);
  }
  if (k < 23) {
    t = float32FromBits(0x3f800000 - (0x1000000 >> k)); // 1 − 2^-k
    y = f32(t - f32(e - x));
    y = float32FromBits(float32Bits(y) + (k << 23));
  } else {
    t = float32FromBits((0x7f - k) << 23); // 2^-k
    y = f32(x - f32(e + t));
    y = f32(y + 1);
    y = float32FromBits(float32Bits(y) + (k << 23));
  }
  return y;
}

/** glibc 2.36 `tanhf` (fdlibm s_tanhf.c, float arithmetic, through `expm1f`). */
export function tanhf(x: number): number {
  x = f32(x);
  const jx = float32Bits(x);
  const ix = jx & 0x7fffffff;
  const negative = (jx & 0x80000000) !== 0;
  if (ix >= 0x7f800000) { // Inf or NaN
    if (x !== x) return x;
    return negative ? -1 : 1;
  }
  let z: number;
  if (ix < 0x41b00000) { // |x| < 22
    if (ix === 0) return x;
    if (ix < 0x24000000) return f32(x * f32(1 + x)); // |x| < 2^-55
    const ax = Math.abs(x);
    if (ix >= 0x3f800000) { // |x| >= 1
      const t = expm1f(f32(2 * ax));
      z = f32(1 - f32(2 / f32(t + 2)));
    } else {
      const t = expm1f(f32(-2 * ax));
      z = f32(-t / f32(t + 2));
    }
  } else {
    z = 1; // 1 − tiny rounds to 1
  }
  return negative ? -z : z;
}
