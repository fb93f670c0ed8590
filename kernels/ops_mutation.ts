/**
 * Test-only planted bugs in the elementwise, pooling, activation and cat kernels: each one is a
 * realistic slip in one generated kernel, so a test can show that the kernel properties notice
 * it (a property that cannot fail is a defect).
 * @module
 */

/**
 * - `add-rounding`: add rounds wrongly (QNNPACK: the shift truncates instead of rounding half
 *   away from zero; ATen: `trunc` instead of `nearest` before the zero point).
 * - `mul-rounding`: mul truncates instead of rounding to nearest even.
 * - `pool-last-tap`: max and average pooling skip the last tap of every window.
 * - `lut-index`: the table lookup reads entry `q + 1`.
 * - `clamp-bound`: relu/relu6 forget the lower bound.
 * - `cat-last-channel`: the requantizing cat leaves each input's last channel unwritten.
 */
export type OpsMutation =
  | "add-rounding"
  | "mul-rounding"
  | "pool-last-tap"
  | "lut-index"
  | "clamp-bound"
  | "cat-last-channel";

/** Every planted bug, for tests. */
export const OPS_MUTATIONS: readonly OpsMutation[] = [
  "add-rounding",
  "mul-rounding",
  "pool-last-tap",
  "lut-index",
  "clamp-bound",
  "cat-last-channel",
];
