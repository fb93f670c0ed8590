/**
 * SLEEF 3.5.1's AVX2 single-precision `expf` and `tanhf` (`Sleef_expf8_u10avx2`,
 * `Sleef_tanhf8_u10avx2`; shibatch/sleef src/libm/sleefsimdsp.c `xexpf`, `xtanhf`, `expk2f`,
 * src/libm/df.h with `ENABLE_FMA_SP`), one lane at a time: ATen's `Vectorized<float>::exp()` and
 * `::tanh()` on AVX2, which the vector lanes of quantized sigmoid and tanh use. Every `vmla`/
 * `vfma` is a fused multiply-add (`_mm256_fmadd_ps`), `vfmapn(x, y, z) = fma(x, y, −z)`,
 * `vfmanp(x, y, z) = fma(−x, y, z)`, `vrint` is `cvtps2dq` (ties to even), `vrec` a true
 * division. Checked bit for bit against `torch.exp`/`torch.tanh` of float tensors (their vector
 * lanes) on this machine.
 * @module
 */
import { f32, float32FromBits, fmaF32, roundHalfEven } from "./float32.ts";

const R_LN2F = f32(1.442695040888963407359924681001892137426645954152985934135449406931);
const L2UF = f32(0.693145751953125);
const L2LF = f32(1.428606765330187045e-06);

/** `2^q` for q in [-127, 128] as `vpow2i_vf_vi2` builds it from exponent bits (q = −127 gives 0). */
const POW2I = Float64Array.from(
  { length: 256 },
  (_, i) => float32FromBits((((i - 127) + 0x7f) << 23) >>> 0),
);

/** `vpow2i_vf_vi2`: 2^q built from its exponent bits. */
function pow2i(q: number): number {
  return q >= -127 && q <= 128 ? POW2I[q + 127] : float32FromBits(((q + 0x7f) << 23) >>> 0);
}

/** `vldexp2_vf_vf_vi2`: `d · 2^(q>>1) · 2^(q − (q>>1))`. */
function ldexp2(d: number, q: number): number {
  return f32(f32(d * pow2i(q >> 1)) * pow2i(q - (q >> 1)));
}

/** 1.5·2^52: adding and subtracting it rounds a double below 2^51 to an integer, ties to even. */
const ROUNDER = 6755399441055744;

/** `vrint_vi2_vf`: `cvtps2dq`, ties to even (INT32_MIN outside int32 and for NaN). */
function rint(x: number): number {
  if (x > -2147483648 && x < 2147483647) return (x + ROUNDER) - ROUNDER;
  const r = roundHalfEven(x);
  return r === r && r >= -2147483648 && r <= 2147483647 ? r : -2147483648;
}

/** SLEEF `xexpf` (u10), AVX2 with FMA. */
export function sleefExpf(d: number): number {
  d = f32(d);
  const q = rint(f32(d * R_LN2F));
  let s = fmaF32(q, -L2UF, d);
  s = fmaF32(q, -L2LF, s);
  let u = f32(0.000198527617612853646278381);
  u = fmaF32(u, s, f32(0.00139304355252534151077271));
  u = fmaF32(u, s, f32(0.00833336077630519866943359));
  u = fmaF32(u, s, f32(0.0416664853692054748535156));
  u = fmaF32(u, s, f32(0.166666671633720397949219));
  u = fmaF32(u, s, 0.5);
  u = f32(1 + fmaF32(f32(s * s), u, s));
  u = ldexp2(u, q);
  if (d < -104) u = 0;
  if (100 < d) u = Infinity;
  return d !== d ? NaN : u;
}

type DF = [number, number];

/** `vfmapn`: `x·y − z` with one rounding. */
const fmapn = (x: number, y: number, z: number) => fmaF32(x, y, -z);
/** `vfmanp`: `z − x·y` with one rounding. */
const fmanp = (x: number, y: number, z: number) => fmaF32(-x, y, z);

function dfadd2_df_f([xx, xy]: DF, y: number): DF {
  const s = f32(xx + y);
  const v = f32(s - xx);
  const t = f32(f32(xx - f32(s - v)) + f32(y - v));
  return [s, f32(t + xy)];
}

function dfadd2_df_df([xx, xy]: DF, [yx, yy]: DF): DF {
  const s = f32(xx + yx);
  const v = f32(s - xx);
  const t = f32(f32(xx - f32(s - v)) + f32(yx - v));
  return [s, f32(t + f32(xy + yy))];
}

function dfadd_f_df(x: number, [yx, yy]: DF): DF {
  const s = f32(x + yx);
  return [s, f32(f32(f32(x - s) + yx) + yy)];
}

function dfadd_df_df([xx, xy]: DF, [yx, yy]: DF): DF {
  const s = f32(xx + yx);
  return [s, f32(f32(f32(f32(xx - s) + yx) + xy) + yy)];
}

function dfmul_df_f([xx, xy]: DF, y: number): DF {
  const s = f32(xx * y);
  return [s, fmaF32(xy, y, fmapn(xx, y, s))];
}

function dfmul_df_df([xx, xy]: DF, [yx, yy]: DF): DF {
  const s = f32(xx * yx);
  return [s, fmaF32(xx, yy, fmaF32(xy, yx, fmapn(xx, yx, s)))];
}

function dfsqu([xx, xy]: DF): DF {
  const s = f32(xx * xx);
  return [s, fmaF32(f32(xx + xx), xy, fmapn(xx, xx, s))];
}

function dfrec([dx, dy]: DF): DF {
  const s = f32(1 / dx);
  return [s, f32(s * fmanp(dy, s, fmanp(dx, s, 1)))];
}

function dfdiv([nx, ny]: DF, [dx, dy]: DF): DF {
  const t = f32(1 / dx);
  const s = f32(nx * t);
  const u = fmapn(t, nx, s);
  const v = fmanp(dy, t, fmanp(dx, t, 1));
  return [s, fmaF32(s, v, fmaF32(ny, t, u))];
}

/** SLEEF `expk2f`: exp of a double-float, as a double-float. */
function expk2f(d: DF): DF {
  const u0 = f32(f32(d[0] + d[1]) * R_LN2F);
  const q = rint(u0);
  let s = dfadd2_df_f(d, f32(q * -L2UF));
  s = dfadd2_df_f(s, f32(q * -L2LF));
  let u = f32(+0.1980960224e-3);
  u = fmaF32(u, s[0], f32(+0.1394256484e-2));
  u = fmaF32(u, s[0], f32(+0.8333456703e-2));
  u = fmaF32(u, s[0], f32(+0.4166637361e-1));
  let t = dfadd2_df_f(dfmul_df_f(s, u), f32(+0.166666659414234244790680580464e+0));
  t = dfadd2_df_f(dfmul_df_df(s, t), 0.5);
  t = dfadd2_df_df(s, dfmul_df_df(dfsqu(s), t));
  t = dfadd_f_df(1, t);
  t = [ldexp2(t[0], q), ldexp2(t[1], q)];
  if (d[0] < -104) t = [0, 0];
  return t;
}

/** SLEEF `xtanhf` (u10), AVX2 with FMA. */
export function sleefTanhf(x: number): number {
  x = f32(x);
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  let d = expk2f([ax, 0]);
  const e = dfrec(d);
  d = dfdiv(dfadd_df_df(d, [-e[0], -e[1]]), dfadd_df_df(d, e));
  let y = f32(d[0] + d[1]);
  if (ax > f32(8.664339742) || y !== y) y = 1;
  // vmulsign: flip the sign bit of y by the sign of x.
  return x < 0 || Object.is(x, -0) ? -y : y;
}
