/**
 * Float32 arithmetic primitives that reproduce PyTorch's C++ float math in JavaScript.
 *
 * JavaScript computes in float64. For +, -, *, / and sqrt of two float32 values, computing in
 * float64 and rounding once to float32 gives the correctly rounded float32 result (float64 has
 * more than 2·24+2 significand bits), so `f32(a * b)` is exactly C++'s `float * float`.
 * @module
 */

/** Rounds a number to the nearest float32 (ties to even): C++'s `static_cast<float>`. */
export const f32: (x: number) => number = Math.fround;

/**
 * Rounds to the nearest integer, ties to even: C's `nearbyint`/`lrintf` in the default rounding
 * mode, `torch.round`, x86 `cvtps2dq`, wasm `f32x4.nearest`. Keeps the sign of zero, passes NaN and
 * ±Infinity through.
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  const diff = x - floor; // exact for every finite double
  const rounded = diff < 0.5 ? floor : diff > 0.5 ? floor + 1 : floor % 2 === 0 ? floor : floor + 1;
  return rounded === 0 && (x < 0 || Object.is(x, -0)) ? -0 : rounded;
}

/** Rounds half away from zero: C's `std::round`. */
export function roundHalfAway(x: number): number {
  const r = Math.round(Math.abs(x));
  return x < 0 || Object.is(x, -0) ? -r : r;
}

/** PyTorch's `1.0f / static_cast<float>(scale)`: the float32 reciprocal of a (double) scale. */
export function reciprocalF32(scale: number): number {
  return f32(1 / f32(scale));
}

/** Saturates an integer to int16, as `packs_epi32` / `vqmovn_s32` do. */
export function saturateInt16(x: number): number {
  return x < -32768 ? -32768 : x > 32767 ? 32767 : x;
}

/** Wraps an integer to int32 two's complement, as C++ int32 arithmetic does on overflow. */
export function wrapInt32(x: number): number {
  return Number(BigInt.asIntN(32, BigInt(x)));
}

/** Clamps `x` to `[lo, hi]`. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

const bitsView = new DataView(new ArrayBuffer(8));

/** The IEEE-754 bit pattern of a float32 value as an unsigned 32-bit integer. */
export function float32Bits(x: number): number {
  bitsView.setFloat32(0, x, true);
  return bitsView.getUint32(0, true);
}

/** The float32 value of a 32-bit pattern. */
export function float32FromBits(bits: number): number {
  bitsView.setUint32(0, bits >>> 0, true);
  return bitsView.getFloat32(0, true);
}

/** The IEEE-754 bit pattern of a float64 value as a 16-digit hex string. */
export function float64BitsHex(x: number): string {
  bitsView.setFloat64(0, x, true);
  return bitsView.getBigUint64(0, true).toString(16).padStart(16, "0");
}

/** `std::fma` for float32 operands: `a * b + c` with one rounding to float32. */
export function fmaF32(a: number, b: number, c: number): number {
  // a*b of two float32 values is exact in float64; the sum s is rounded once to float64, and
  // rounding s to float32 is wrong only when s lies exactly halfway between two float32 values
  // (rounding to the nearest double is monotonic, so s cannot cross a midpoint). Then the
  // neighbour o = r + 2(s − r) is itself a float32 (for any other s it lies strictly between
  // two float32 values), and the sign of the sum's rounding error breaks the tie.
  const product = a * b;
  const sum = product + c;
  const rounded = f32(sum);
  if (rounded === sum) return rounded;
  const other = rounded + 2 * (sum - rounded);
  if (f32(other) !== other) return rounded; // not a tie (also NaN and overflow)
  const err = twoSumError(product, c, sum);
  if (err === 0) return rounded; // an exact tie: f32 already rounded it to even
  return err > 0 ? Math.max(rounded, other) : Math.min(rounded, other);
}

function twoSumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return (a - (s - bb)) + (b - bb);
}
