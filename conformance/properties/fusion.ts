/**
 * Properties of Conv/Linear + BatchNorm folding: the fused layer computes what the layer followed
 * by the eval-mode BatchNorm computes, up to the float32 rounding of the fused parameters. This is
 * a mathematical property, not bit-exactness (the golden vectors check the bits).
 *
 * **Tolerance.** Both sides are evaluated in float64 from float32 parameters, so the only
 * difference is the rounding inside the fused parameters; with `u = 2^-24` (float32's unit
 * roundoff) and `r = 1/sqrt(rv + eps)` exact:
 * - `r~ = f32(1/f32(sqrt(f32(rv + f32(eps)))))` is `r(1 + e)` with `|e| <= 3u` (the eps
 *   conversion and the sum perturb `rv + eps` by at most 2u, halved by the square root, then one
 *   rounding each for the square root and the reciprocal);
 * - each fused weight `f32(w · f32(γ · r~))` is `wγr(1 + d)` with `|d| <= 5u`;
 * - the fused bias is `((b - rm)γr(1 + d') + β)(1 + d'')` with `|d'| <= 6u`, `|d''| <= u` (conv
 *   and linear group the products differently; both take 3 roundings before the sum).
 * So `|fused(x) - bn(layer(x))| <= 5.01u·Σ|w_j x_j γ r| + 7.01u·|(b - rm)γr| + 1.01u·|β|`, plus
 * float64 summation error (bounded by `2^-45` times the same magnitudes). The check uses exactly
 * that bound. Values are multiples of 2^-6 and 2^-8 (no subnormals, where relative bounds fail).
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { fuseConvBnWeights, fuseLinearBnWeights } from "../../reference/fusion.ts";
import { Tensor } from "../../reference/tensor.ts";

/** The functions these properties check. */
export interface FusionImpl {
  /** Conv + BN folding. */
  fuseConvBnWeights: typeof fuseConvBnWeights;
  /** Linear + BN folding. */
  fuseLinearBnWeights: typeof fuseLinearBnWeights;
}

/** The reference implementation. */
export const REFERENCE_FUSION: FusionImpl = { fuseConvBnWeights, fuseLinearBnWeights };

const U = 2 ** -24;

const valueArb = fc.integer({ min: -256, max: 256 }).map((v) => v / 64);
const varianceArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4096 }).map((v) => v / 256));

function vector(length: number, arb: fc.Arbitrary<number> = valueArb) {
  return fc.array(arb, { minLength: length, maxLength: length }).map((v) => Float32Array.from(v));
}

/** BatchNorm statistics and affine parameters for `channels` channels. */
function bnArb(channels: number) {
  return fc.record({
    rm: vector(channels),
    rv: vector(channels, varianceArb),
    gamma: vector(channels),
    beta: vector(channels),
    bias: fc.option(vector(channels), { nil: undefined }),
    eps: fc.constantFrom(1e-5, 1e-3, 0.1),
  });
}

type Bn = {
  rm: Float32Array;
  rv: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  eps: number;
};

/** Checks `fused` against `bn(acc + b)` where `acc`/`mag` are the float64 sum and its magnitude. */
function checkOutput(
  fused: number,
  acc: number,
  mag: number,
  b: number,
  bn: Bn,
  c: number,
  what: string,
): void {
  const r = 1 / Math.sqrt(bn.rv[c] + bn.eps);
  const g = bn.gamma[c] * r;
  const expected = (acc + b - bn.rm[c]) * g + bn.beta[c];
  const weightMag = mag * Math.abs(g);
  const biasMag = Math.abs((b - bn.rm[c]) * g);
  const tolerance = U * (5.01 * weightMag + 7.01 * biasMag + 1.01 * Math.abs(bn.beta[c])) +
    2 ** -45 * (weightMag + biasMag + Math.abs(bn.beta[c]));
  assert.ok(
    Math.abs(fused - expected) <= tolerance,
    `${what}: fused layer gives ${fused}, bn(layer(x)) = ${expected}, tolerance ${tolerance}`,
  );
}

/** Builds the fusion properties for `impl`. */
export function fusionProperties(
  impl: FusionImpl = REFERENCE_FUSION,
  path = "reference",
): PropertyCheck[] {
  const convCase = fc.record({
    cin: fc.integer({ min: 1, max: 3 }),
    cout: fc.integer({ min: 1, max: 4 }),
    k: fc.integer({ min: 1, max: 3 }),
    length: fc.integer({ min: 3, max: 6 }),
    transpose: fc.boolean(),
  }).chain((s) =>
    fc.record({
      s: fc.constant(s),
      w: vector(s.cin * s.cout * s.k),
      x: vector(s.cin * s.length),
      bn: bnArb(s.cout),
    })
  );
  return [
    {
      name:
        "conv1d (and transposed) with fused weights equals bn(conv(x)) within the rounding bound",
      op: "fuse_conv_bn_eval",
      path,
      property: () =>
        fc.property(convCase, ({ s, w, x, bn }) => {
          // Weight layout: [out, in, k], or [in, out, k] for a transposed convolution.
          const shape = s.transpose ? [s.cin, s.cout, s.k] : [s.cout, s.cin, s.k];
          const wAt = (o: number, i: number, j: number) =>
            s.transpose ? (i * s.cout + o) * s.k + j : (o * s.cin + i) * s.k + j;
          const fused = impl.fuseConvBnWeights(
            new Tensor(w, shape),
            bn.bias ? new Tensor(bn.bias) : null,
            {
              bnRm: new Tensor(bn.rm),
              bnRv: new Tensor(bn.rv),
              bnEps: bn.eps,
              bnW: new Tensor(bn.gamma),
              bnB: new Tensor(bn.beta),
              transpose: s.transpose,
            },
          );
          const outLength = s.transpose ? s.length + s.k - 1 : s.length - s.k + 1;
          for (let o = 0; o < s.cout; o++) {
            for (let t = 0; t < outLength; t++) {
              let acc = 0;
              let fusedAcc = 0;
              let mag = 0;
              for (let i = 0; i < s.cin; i++) {
                for (let j = 0; j < s.k; j++) {
                  // conv: y[t] = Σ x[t + j] w[j]; transposed: y[t] = Σ x[t - j] w[j].
                  const p = s.transpose ? t - j : t + j;
                  if (p < 0 || p >= s.length) continue;
                  const xv = x[i * s.length + p];
                  acc += xv * w[wAt(o, i, j)];
                  fusedAcc += xv * fused.weight.data[wAt(o, i, j)];
                  mag += Math.abs(xv * w[wAt(o, i, j)]);
                }
              }
              const b = bn.bias ? bn.bias[o] : 0;
              checkOutput(
                fusedAcc + fused.bias.data[o],
                acc,
                mag,
                b,
                bn,
                o,
                `channel ${o}, t=${t}`,
              );
            }
          }
        }),
    },
    {
      name: "linear with fused weights equals bn(linear(x)) within the rounding bound",
      op: "fuse_linear_bn_eval",
      path,
      property: () =>
        fc.property(
          fc.integer({ min: 1, max: 5 }).chain((cin) =>
            fc.integer({ min: 1, max: 5 }).chain((cout) =>
              fc.record({
                cin: fc.constant(cin),
                cout: fc.constant(cout),
                w: vector(cin * cout),
                x: vector(cin),
                bn: bnArb(cout),
              })
            )
          ),
          ({ cin, cout, w, x, bn }) => {
            const fused = impl.fuseLinearBnWeights(
              new Tensor(w, [cout, cin]),
              bn.bias ? new Tensor(bn.bias) : null,
              {
                bnRm: new Tensor(bn.rm),
                bnRv: new Tensor(bn.rv),
                bnEps: bn.eps,
                bnW: new Tensor(bn.gamma),
                bnB: new Tensor(bn.beta),
              },
            );
            for (let o = 0; o < cout; o++) {
              let acc = 0;
              let fusedAcc = 0;
              let mag = 0;
              for (let i = 0; i < cin; i++) {
                acc += x[i] * w[o * cin + i];
                fusedAcc += x[i] * fused.weight.data[o * cin + i];
                mag += Math.abs(x[i] * w[o * cin + i]);
              }
              const b = bn.bias ? bn.bias[o] : 0;
              checkOutput(fusedAcc + fused.bias.data[o], acc, mag, b, bn, o, `output ${o}`);
            }
          },
        ),
    },
  ];
}
