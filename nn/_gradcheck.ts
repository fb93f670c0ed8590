/**
 * Finite-difference gradient checks for the tests (internal).
 * @module
 */
import { Tensor } from "../reference/tensor.ts";
import { GradTape } from "./autograd.ts";
import { seededRandom } from "./random.ts";

/** The result of `gradCheck`: the largest error relative to the gradient's scale. */
export interface GradCheckResult {
  /** max |analytic − numeric| / max(floor, max |numeric|), over every checked element. */
  worst: number;
  /** Which input and element it was. */
  where: string;
}

/**
 * Compares the tape's gradient of `Σ w·f(inputs)` (w fixed random weights) with central
 * differences of step `eps` (evaluated in float64 from float32 forwards).
 */
export function gradCheck(
  f: () => Tensor,
  inputs: readonly Tensor[],
  options: { eps?: number; seed?: number; maxElements?: number; floor?: number } = {},
): GradCheckResult {
  const eps = options.eps ?? 1e-2;
  const probe = f();
  const random = seededRandom(options.seed ?? 7);
  const w = Float64Array.from({ length: probe.size }, () => random() * 2 - 1);
  const loss = (y: Tensor) => y.data.reduce((s, v, i) => s + v * w[i], 0);
  const tape = new GradTape(inputs);
  const y = tape.run(f);
  const grads = tape.backward(y, w);
  let worst = 0;
  let where = "";
  inputs.forEach((t, k) => {
    const analytic = grads.get(t) ?? new Float32Array(t.size);
    const count = Math.min(t.size, options.maxElements ?? 64);
    const numeric = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const saved = t.data[i];
      t.data[i] = saved + eps;
      const plus = loss(f());
      t.data[i] = saved - eps;
      const minus = loss(f());
      t.data[i] = saved;
      numeric[i] = (plus - minus) / (2 * eps);
    }
    // The floor keeps float32 noise of a zero gradient from counting as a relative error.
    const scale = Math.max(options.floor ?? 1e-2, ...numeric.map(Math.abs));
    for (let i = 0; i < count; i++) {
      const err = Math.abs(analytic[i] - numeric[i]) / scale;
      if (err > worst) {
        worst = err;
        where = `input ${k} element ${i}: analytic ${analytic[i]}, numeric ${numeric[i]}`;
      }
    }
  });
  return { worst, where };
}
