/**
 * Deterministic random weights for the benchmark models (no trained weights are shipped):
 * He-normal conv weights (fan in), so activations keep their scale through the depth; BatchNorm
 * statistics and affine parameters near identity but not equal to it, so that fusion really
 * folds them; small linear weights and biases. Every run times the same network.
 * @module
 */
import { BatchNorm2d, Conv2d, Linear, type Module } from "../../nn/mod.ts";
import { Tensor } from "../../reference/tensor.ts";
import { randomSource } from "../random.ts";

/** Sets every Conv2d, BatchNorm2d and Linear of `model` from `seed` (in place). */
export function randomizeWeights(model: Module, seed: number): void {
  const rand = randomSource(seed);
  // A sum of four uniforms: bell-shaped, mean 0, standard deviation ≈ 1.
  const normal = () => (rand() + rand() + rand() + rand() - 2) * 1.7;
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const fill = (t: Tensor | null, value: () => number) => {
    if (t !== null) { for (let i = 0; i < t.size; i++) t.data[i] = value(); }
  };
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      const [, cg, kh, kw] = m.weight.shape;
      const std = Math.sqrt(2 / (cg * kh * kw));
      fill(m.weight, () => normal() * std);
      fill(m.bias, () => normal() * 0.05);
    } else if (m instanceof BatchNorm2d) {
      fill(m.weight, () => uniform(0.8, 1.2));
      fill(m.bias, () => normal() * 0.05);
      fill(m.runningMean, () => normal() * 0.05);
      fill(m.runningVar, () => uniform(0.8, 1.2));
    } else if (m instanceof Linear) {
      const std = Math.sqrt(1 / m.inFeatures);
      fill(m.weight, () => normal() * std);
      fill(m.bias, () => normal() * 0.05);
    }
  }
}

/** A deterministic NCHW image batch `[1, 3, size, size]`, values in [-2, 2). */
export function benchImage(size: number, seed: number): Tensor {
  const rand = randomSource(seed);
  return new Tensor(
    Float32Array.from({ length: 3 * size * size }, () => rand() * 4 - 2),
    [1, 3, size, size],
  );
}
