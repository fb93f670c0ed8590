/**
 * Properties of the fp32 linear baseline. It is not bit-exact with anything (summation order and
 * FMA differ from PyTorch's BLAS), so it is checked against the exact product within the
 * standard forward error bound of a dot product: |ŷ − y| ≤ γ(K+1)·(Σ|x||w| + |b|),
 * γ(n) = n·u/(1 − n·u), u = 2⁻²⁴.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { xorshift } from "./linear.ts";
import type { Fp32Linear } from "../../kernels/fp32_linear.ts";

/** The fp32 linear properties of a kernel instance. */
export function fp32Properties(fp32: Fp32Linear, path = "fp32"): PropertyCheck[] {
  return [{
    name: "fp32 linear is within the dot-product error bound of the exact result",
    op: "linear (fp32 baseline)",
    path,
    runsFactor: 0.5,
    property: () =>
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 70 }),
        fc.boolean(),
        fc.integer(),
        (m, k, n, hasBias, seed) => {
          const rand = xorshift(seed);
          const x = Float32Array.from({ length: m * k }, () => rand() * 2 - 1);
          const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
          const b = hasBias ? Float32Array.from({ length: n }, () => rand() * 4 - 2) : null;
          const packed = fp32.pack(w, n, k, b);
          try {
            const y = fp32.linear(x, m, packed);
            const u = 2 ** -24;
            const gamma = ((k + 1) * u) / (1 - (k + 1) * u);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let exact = b?.[j] ?? 0;
                let magnitude = Math.abs(b?.[j] ?? 0);
                for (let kk = 0; kk < k; kk++) {
                  exact += x[i * k + kk] * w[j * k + kk];
                  magnitude += Math.abs(x[i * k + kk] * w[j * k + kk]);
                }
                const error = Math.abs(y[i * n + j] - exact);
                assert.ok(
                  error <= gamma * magnitude,
                  `y[${i},${j}] = ${y[i * n + j]}, exact ${exact}: error ${error} > bound ${
                    gamma * magnitude
                  }`,
                );
              }
            }
          } finally {
            packed.free();
          }
        },
      ),
  }];
}
