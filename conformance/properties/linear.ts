/**
 * Properties of the quantized linear reference (both engines' numerics).
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import type { Numerics } from "../../reference/engine.ts";
import {
  fbgemmDot,
  type LinearWeight,
  REFERENCE_LINEAR,
  type StaticLinearImpl,
  type StaticLinearParams,
} from "../../reference/quantized_linear.ts";
import { scaleArb } from "./quantize.ts";

/** A random static linear problem with shapes up to `maxDim`. */
export function linearProblemArb(maxDim = 40, options: { perChannel?: boolean } = {}) {
  return fc.record({
    m: fc.integer({ min: 1, max: 6 }),
    k: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    perChannel: options.perChannel === undefined ? fc.boolean() : fc.constant(options.perChannel),
    hasBias: fc.boolean(),
    seed: fc.integer(),
    inputScale: scaleArb,
    outputScale: scaleArb,
    inputZeroPoint: fc.integer({ min: 0, max: 255 }),
    outputZeroPoint: fc.integer({ min: 0, max: 255 }),
    weightZeroPoint: fc.oneof(fc.constant(0), fc.integer({ min: -128, max: 127 })),
    relu: fc.boolean(),
    saturating: fc.boolean(),
  }).map((p) => buildProblem(p));
}

/** A deterministic pseudo-random generator (xorshift32). */
export function xorshift(seed: number): () => number {
  let s = (seed | 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** A problem instance: activations, weight and parameters. */
export interface LinearProblem {
  a: Uint8Array;
  m: number;
  weight: LinearWeight;
  params: StaticLinearParams;
}

function buildProblem(p: {
  m: number;
  k: number;
  n: number;
  perChannel: boolean;
  hasBias: boolean;
  seed: number;
  inputScale: number;
  outputScale: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  weightZeroPoint: number;
  relu: boolean;
  saturating: boolean;
}): LinearProblem {
  const rand = xorshift(p.seed);
  const a = Uint8Array.from({ length: p.m * p.k }, () => Math.floor(rand() * 256));
  // "Saturating" problems use extreme codes so that pairs overflow int16 in vpmaddubsw.
  const data = Int8Array.from(
    { length: p.n * p.k },
    () => p.saturating ? (rand() < 0.5 ? 127 : -128) : Math.floor(rand() * 256) - 128,
  );
  if (p.saturating) a.forEach((_, i) => (a[i] = rand() < 0.8 ? 255 : a[i]));
  const channels = p.perChannel ? p.n : 1;
  const scales = Float64Array.from({ length: channels }, () => 0.001 + rand() * 0.05);
  const zeroPoints = Int32Array.from(
    { length: channels },
    () => (p.perChannel ? Math.floor(rand() * 21) - 10 : p.weightZeroPoint),
  );
  const bias = p.hasBias ? Float32Array.from({ length: p.n }, () => (rand() - 0.5) * 20) : null;
  return {
    a,
    m: p.m,
    weight: {
      data,
      outFeatures: p.n,
      inFeatures: p.k,
      perChannel: p.perChannel,
      scales,
      zeroPoints,
      bias,
    },
    params: {
      inputScale: p.inputScale,
      inputZeroPoint: p.inputZeroPoint,
      outputScale: p.outputScale,
      outputZeroPoint: p.outputZeroPoint,
      relu: p.relu,
    },
  };
}

/** Builds the linear reference properties of one numerics family. */
export function linearProperties(
  family: Numerics,
  impl: StaticLinearImpl = REFERENCE_LINEAR[family],
  path = "reference",
): PropertyCheck[] {
  const op = `quantized_linear (${family})`;
  return [
    {
      name: "rows are independent: a batch equals its rows computed one at a time",
      op,
      path,
      property: () =>
        fc.property(linearProblemArb(), ({ a, m, weight, params }) => {
          const all = impl(a, m, weight, params);
          const k = weight.inFeatures;
          const n = weight.outFeatures;
          for (let row = 0; row < m; row++) {
            const one = impl(a.subarray(row * k, (row + 1) * k), 1, weight, params);
            assert.deepEqual([...one], [...all.subarray(row * n, (row + 1) * n)], `row ${row}`);
          }
        }),
    },
    {
      name: "linear_relu equals max(linear, output zero point)",
      op,
      path,
      property: () =>
        fc.property(linearProblemArb(), ({ a, m, weight, params }) => {
          const plain = impl(a, m, weight, { ...params, relu: false });
          const relu = impl(a, m, weight, { ...params, relu: true });
          plain.forEach((v, i) =>
            assert.equal(relu[i], Math.max(v, params.outputZeroPoint), `element ${i}`)
          );
        }),
    },
    {
      name: "per-channel weights with one shared scale and zero point equal per-tensor weights" +
        (family === "fbgemm"
          ? " (no bias: FBGEMM divides a per-channel bias, multiplies a per-tensor one)"
          : ""),
      op,
      path,
      property: () =>
        fc.property(linearProblemArb(40, { perChannel: false }), ({ a, m, weight, params }) => {
          const w = family === "fbgemm" ? { ...weight, bias: null } : weight;
          const n = w.outFeatures;
          const perChannel = {
            ...w,
            perChannel: true,
            scales: new Float64Array(n).fill(w.scales[0]),
            zeroPoints: new Int32Array(n).fill(w.zeroPoints[0]),
          };
          assert.deepEqual([...impl(a, m, perChannel, params)], [...impl(a, m, w, params)]);
        }),
    },
  ];
}

/** Properties of FBGEMM's saturating u8·s8 dot product. */
export function fbgemmDotProperties(
  dot: typeof fbgemmDot = fbgemmDot,
  path = "reference",
): PropertyCheck[] {
  return [{
    name:
      "fbgemmDot is exact when activations are <= 127 and otherwise differs only by int16 pair saturation",
    op: "quantized_linear (fbgemm)",
    path,
    property: () =>
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -128, max: 127 })), {
          minLength: 1,
          maxLength: 64,
        }),
        fc.boolean(),
        (pairs, reduced) => {
          const a = Uint8Array.from(pairs, ([x]) => (reduced ? x >> 1 : x));
          const w = Int8Array.from(pairs, ([, y]) => y);
          let exact = 0;
          let saturated = 0;
          for (let i = 0; i < a.length; i += 2) {
            const s = a[i] * w[i] + (i + 1 < a.length ? a[i + 1] * w[i + 1] : 0);
            exact += s;
            saturated += Math.max(-32768, Math.min(32767, s));
          }
          const got = dot(a, 0, w, 0, a.length);
          assert.equal(got, saturated);
          if (reduced) assert.equal(got, exact);
        },
      ),
  }];
}
