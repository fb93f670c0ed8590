/**
 * onnxruntime's requantization of int32 accumulators (`MlasRequantizeOutput`, portable C++
 * path), shared by QLinearMatMul and QLinearConv.
 * @module
 */
import { f32, roundHalfEven } from "../float32.ts";
import { checkOnnxScale, int8Range, type OnnxInt8Type } from "./types.ts";

/**
 * The output multiplier of QLinearMatMul / QLinearConv as onnxruntime computes it:
 * `a_scale * b_scale / y_scale`, left to right in float32.
 */
export function outputMultiplier(aScale: number, bScale: number, yScale: number): number {
  return f32(f32(aScale * bScale) / yScale);
}

/** Output multipliers per column (or one) from an input scale, weight scales and output scale. */
export function outputMultipliers(
  aScale: number,
  bScales: ArrayLike<number>,
  yScale: number,
  names: { a: string; b: string; y: string },
): Float32Array {
  const a = checkOnnxScale(names.a, aScale);
  const y = checkOnnxScale(names.y, yScale);
  return Float32Array.from(
    { length: bScales.length },
    (_, i) => outputMultiplier(a, checkOnnxScale(`${names.b}[${i}]`, bScales[i]), y),
  );
}

/**
 * One requantized element: `float(acc)` (rounded to float32), times the multiplier in float32,
 * clamped to `[qmin − zp, qmax − zp]`, rounded half to even, plus the zero point.
 */
export function requantizeValue(
  acc: number,
  multiplier: number,
  zeroPoint: number,
  type: OnnxInt8Type,
): number {
  const { min, max } = int8Range(type);
  let v = f32(f32(acc) * multiplier);
  v = v < min - zeroPoint ? min - zeroPoint : v;
  v = max - zeroPoint < v ? max - zeroPoint : v;
  return roundHalfEven(v) + zeroPoint;
}
