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
import { Fp32Conv } from "../../kernels/fp32_conv.ts";
import type { KernelRuntime } from "../../kernels/runtime.ts";
import { convOutputSize } from "../../reference/quantized_conv2d.ts";

/** The fp32 linear (and conv) properties of a kernel instance. */
export function fp32Properties(
  fp32: Fp32Linear,
  runtime: KernelRuntime,
  path = "fp32",
): PropertyCheck[] {
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
        fc.boolean(),
        fc.integer(),
        (m, k, n, hasBias, relu, seed) => {
          const rand = xorshift(seed);
          const x = Float32Array.from({ length: m * k }, () => rand() * 2 - 1);
          const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
          const b = hasBias ? Float32Array.from({ length: n }, () => rand() * 4 - 2) : null;
          const packed = fp32.pack(w, n, k, b);
          try {
            const y = fp32.linear(x, m, packed, relu);
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
                // ReLU is 1-Lipschitz: the bound on y holds for max(y, 0).
                if (relu) exact = Math.max(exact, 0);
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
  }, fp32ConvProperty(new Fp32Conv(runtime, fp32), path)];
}

/** An fp32 conv (dense, grouped or depthwise, ReLU or not) within the dot-product bound. */
function fp32ConvProperty(conv: Fp32Conv, path: string): PropertyCheck {
  return {
    name: "fp32 conv (dense, grouped, depthwise; ReLU) is within the dot-product error bound",
    op: "conv2d (fp32 baseline)",
    path,
    runsFactor: 0.5,
    property: () =>
      fc.property(
        fc.record({
          h: fc.integer({ min: 1, max: 9 }),
          w: fc.integer({ min: 1, max: 9 }),
          groups: fc.integer({ min: 1, max: 3 }),
          perGroup: fc.integer({ min: 1, max: 5 }),
          outPerGroup: fc.integer({ min: 1, max: 5 }),
          depthwise: fc.boolean(),
          kernel: fc.constantFrom(1, 3, 5),
          stride: fc.integer({ min: 1, max: 2 }),
          padding: fc.integer({ min: 0, max: 2 }),
          relu: fc.boolean(),
          seed: fc.integer(),
        }),
        (c) => {
          const rand = xorshift(c.seed);
          const groups = c.depthwise ? c.groups * c.perGroup : c.groups;
          const ci = c.depthwise ? 1 : c.perGroup;
          const og = c.depthwise ? 1 : c.outPerGroup;
          const cin = groups * ci;
          const o = groups * og;
          const k = c.kernel;
          const oh = convOutputSize(c.h, k, c.stride, c.padding, 1);
          const ow = convOutputSize(c.w, k, c.stride, c.padding, 1);
          if (oh < 1 || ow < 1) return;
          const x = Float32Array.from({ length: c.h * c.w * cin }, () => rand() * 2 - 1);
          const wt = Float32Array.from({ length: o * ci * k * k }, () => rand() * 2 - 1);
          const b = Float32Array.from({ length: o }, () => rand() - 0.5);
          const geometry = {
            stride: [c.stride, c.stride],
            padding: [c.padding, c.padding],
            dilation: [1, 1],
            groups,
          } as const;
          const packed = conv.pack(wt, [o, ci, k, k], b, geometry);
          try {
            const y = conv.conv2dNhwc({ data: x, shape: [1, c.h, c.w, cin] }, packed, c.relu);
            assert.deepEqual(y.shape, [1, oh, ow, o]);
            const gamma = ((ci * k * k + 1) * 2 ** -24) / (1 - (ci * k * k + 1) * 2 ** -24);
            for (let p = 0; p < oh * ow; p++) {
              const [py, px] = [Math.floor(p / ow), p % ow];
              for (let oc = 0; oc < o; oc++) {
                const g = Math.floor(oc / og);
                let exact = b[oc];
                let magnitude = Math.abs(b[oc]);
                for (let r = 0; r < k; r++) {
                  for (let s = 0; s < k; s++) {
                    const iy = py * c.stride - c.padding + r;
                    const ix = px * c.stride - c.padding + s;
                    if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                    for (let ic = 0; ic < ci; ic++) {
                      const v = x[(iy * c.w + ix) * cin + g * ci + ic] *
                        wt[((oc * ci + ic) * k + r) * k + s];
                      exact += v;
                      magnitude += Math.abs(v);
                    }
                  }
                }
                if (c.relu) exact = Math.max(exact, 0);
                const got = y.data[p * o + oc];
                assert.ok(
                  Math.abs(got - exact) <= gamma * magnitude,
                  `y[${p},${oc}] = ${got}, exact ${exact}`,
                );
              }
            }
          } finally {
            packed.free();
          }
        },
      ),
  };
}
