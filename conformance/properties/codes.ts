/**
 * Shared generators of the kernel properties: quint8 codes (uniform, saturating, or crowded
 * around the zero point where averages land on ties), element counts around the kernels'
 * 16-lane blocks and ATen's 64-element vector split, extreme scales and edge zero points — and
 * the assertion every kernel property makes: the kernel gives the reference's codes, or refuses
 * what the reference refuses.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { xorshift } from "./linear.ts";
import { scaleArb } from "./quantize.ts";
import type { QParams8 } from "../../kernels/kernel_set.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";

/** Scales: mostly 1e-4…100, sometimes extreme (products overflow or vanish in float32). */
export const extremeScaleArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: scaleArb },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1e-38, 2e-40, 1e-7, 2 ** -20, 2 ** 20, 1e30, 3e38),
  },
);

/** Zero points: uniform, or the ends and middle of the quint8 range. */
export const zeroPointArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 255, 128) },
);

/** Element counts around the kernels' 16-lane blocks and ATen's 64-element vector split. */
export const lengthArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 70 }),
  fc.integer({ min: 120, max: 300 }),
  fc.constantFrom(63, 64, 65, 127, 128, 129, 192, 256),
);

/** How codes are drawn: uniform, crowded at the ends of the range, or `tie`. */
export type CodeMode = "uniform" | "saturating" | "tie";

export const codeModeArb: fc.Arbitrary<CodeMode> = fc.constantFrom<CodeMode>(
  "uniform",
  "saturating",
  "tie",
);

/**
 * Random codes. `saturating` crowds them at 0 and 255; `tie` draws codes within 3 of the zero
 * point, so window sums minus the zero points are small integers and averages often land exactly
 * on halves — where average-pooling multipliers one ulp apart round differently.
 */
export function codes(
  seed: number,
  n: number,
  mode: CodeMode | boolean,
  zeroPoint = 128,
): Uint8Array {
  const rand = xorshift(seed);
  return Uint8Array.from({ length: n }, () => {
    if (mode === "tie") {
      return Math.min(255, Math.max(0, zeroPoint + Math.floor(rand() * 7) - 3));
    }
    if ((mode === true || mode === "saturating") && rand() < 0.6) return rand() < 0.5 ? 0 : 255;
    return Math.floor(rand() * 256);
  });
}

/** quint8 codes with per-tensor qparams as a QuantizedTensor. */
export function quint8(data: Uint8Array, shape: readonly number[], qp: QParams8): QuantizedTensor {
  return new QuantizedTensor(data, shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale: qp.scale,
    zeroPoint: qp.zeroPoint,
  });
}

/**
 * Asserts that the kernel gives the reference's codes, or — when the reference refuses the
 * input — that the kernel refuses it with the same error class.
 */
export function assertSameCodes(
  kernel: () => ArrayLike<number>,
  reference: () => ArrayLike<number>,
  what: string,
): void {
  let expected: ArrayLike<number>;
  try {
    expected = reference();
  } catch (e) {
    const refused = e as Error;
    assert.throws(
      kernel,
      (k: unknown) => k instanceof Error && k.constructor === refused.constructor,
      `${what}: the reference refuses (${refused.message}); the kernel must refuse too`,
    );
    return;
  }
  const got = kernel();
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (got[i] !== expected[i]) {
      assert.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${expected[i]}`);
    }
  }
}
