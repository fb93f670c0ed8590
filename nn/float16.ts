/**
 * IEEE 754 half precision (`torch.float16`) conversions, exact: float32 → float16 rounds to
 * nearest, ties to even (as `Tensor.half()` and FBGEMM's fp16 packing), overflow gives ±Infinity,
 * NaN stays NaN; float16 → float32 is exact.
 * @module
 */

const f32 = Math.fround;
const F32_VIEW = new Float32Array(1);
const U32_VIEW = new Uint32Array(F32_VIEW.buffer);

/** The float16 bit pattern nearest to `x` (after rounding `x` to float32), ties to even. */
export function float16Bits(x: number): number {
  F32_VIEW[0] = x;
  const bits = U32_VIEW[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let h = mantissa >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  const rest = mantissa & 0x1fff;
  let h = (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // may carry into the exponent
  return sign | h;
}

/** The value of a float16 bit pattern (exact in float32). */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** `x` rounded to float16 and back (`x.half().float()`). */
export function roundToFloat16(x: number): number {
  return f32(float16Value(float16Bits(x)));
}

/** Rounds every element to float16 (a new array of float32 values). */
export function roundArrayToFloat16(data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = roundToFloat16(data[i]);
  return out;
}
