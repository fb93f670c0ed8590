/**
 * Deterministic benchmark inputs: a small random source (xorshift32), so every run times the
 * same data, and the activation codes and requantization parameters the int8 layers run on.
 * @module
 */
import type { StaticLinearParams } from "../reference/quantized_linear.ts";

/** xorshift32 in [0, 1), seeded. */
export function randomSource(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * Activation codes: full range (what QNNPACK and FBGEMM with reduce_range=False give) and the
 * same halved to [0, 127] (FBGEMM's default qconfig observes with reduce_range=True).
 */
export function activationCodes(
  length: number,
  rand: () => number,
): { fullRange: Uint8Array; reduced: Uint8Array } {
  const fullRange = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
  return { fullRange, reduced: fullRange.map((c) => c >> 1) };
}

/** The static requantization parameters every int8 layer benchmark uses. */
export function benchParams(relu: boolean): StaticLinearParams {
  return { inputScale: 0.02, inputZeroPoint: 64, outputScale: 0.05, outputZeroPoint: 128, relu };
}
