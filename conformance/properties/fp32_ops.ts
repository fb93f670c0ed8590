/**
 * Properties of the fp32 baselines of the non-GEMM ops (`kernels/fp32_ops.ts`): each equals a
 * scalar float32 computation written here independently — the same operations in the same
 * order, each rounded to float32 — bit for bit (any NaN matches any NaN), on inputs with NaN,
 * ±Infinity and −0 mixed in, over random NHWC shapes and pooling geometries.
 * @module
 */
import fc from "fast-check";
import { poolGeometryArb } from "./pool_geometry.ts";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { xorshift } from "./linear.ts";
import { float32Bits } from "../../reference/float32.ts";
import { adaptiveEnd, adaptiveStart, poolOutputSize } from "../../reference/quantized_pool.ts";
import type { Fp32Ops } from "../../kernels/fp32_ops.ts";

const f32 = Math.fround;

/** Asserts equal float32 bit patterns (NaN equals NaN), naming the first difference. */
function assertSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (float32Bits(a) !== float32Bits(e)) {
      assert.fail(`${what}: element ${i} is ${Object.is(a, -0) ? "-0" : a}, expected ${e}`);
    }
  }
}

/** Float32 values: mostly in [−10, 10], with NaN, ±Infinity, ±0 and large values mixed in. */
function floats(seed: number, n: number, special: boolean): Float32Array {
  const rand = xorshift(seed);
  const specials = [NaN, Infinity, -Infinity, -0, 0, 3e38, -3e38, 6, -3, 3];
  return Float32Array.from(
    { length: n },
    () =>
      special && rand() < 0.1
        ? specials[Math.floor(rand() * specials.length)]
        : (rand() - 0.5) * 20,
  );
}

const lengthArb = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 300 }));

/** A pooling problem on an NHWC float tensor. */
const poolArb = fc.tuple(
  poolGeometryArb({
    channels: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 24 })),
    extraMax: 7,
  }),
  fc.record({
    adaptive: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
    seed: fc.integer(),
    special: fc.boolean(),
  }),
).map(([g, p]) => ({ ...g, ...p, data: floats(p.seed, g.n * g.h * g.w * g.c, p.special) }));

type Window = (y: number, x: number) => { taps: [number, number][]; divisor: number };

/** The scalar pooling: per output pixel and channel, fold the window's taps in order. */
function scalarPool(
  data: Float32Array,
  [n, h, w, c]: readonly number[],
  [oh, ow]: readonly number[],
  window: Window,
  average: boolean,
): Float32Array {
  const out = new Float32Array(n * oh * ow * c);
  for (let img = 0; img < n; img++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const { taps, divisor } = window(y, x);
        for (let ch = 0; ch < c; ch++) {
          let acc = average ? 0 : -Infinity;
          for (const [iy, ix] of taps) {
            const v = data[((img * h + iy) * w + ix) * c + ch];
            acc = average ? f32(acc + v) : Math.max(acc, v);
          }
          out[((img * oh + y) * ow + x) * c + ch] = average ? f32(acc / divisor) : acc;
        }
      }
    }
  }
  return out;
}

/** The fp32 properties of the non-GEMM ops of an Fp32Ops instance. */
export function fp32OpsProperties(ops: Fp32Ops, path = "fp32"): PropertyCheck[] {
  return [
    {
      name:
        "fp32 add, mul, relu, relu6, hardswish, sigmoid, tanh and cat equal scalar float32 code",
      op: "elementwise (fp32 baseline)",
      path,
      property: () =>
        fc.property(lengthArb, fc.integer(), fc.boolean(), (n, seed, special) => {
          const a = floats(seed, n, special);
          const b = floats(seed ^ 0x2545f491, n, special);
          const map = (fn: (v: number, i: number) => number) => Float32Array.from(a, fn);
          assertSameFloats(ops.add(a, b), map((v, i) => f32(v + b[i])), "add");
          assertSameFloats(
            ops.add(a, b, true),
            map((v, i) => {
              const s = f32(v + b[i]);
              return s < 0 ? 0 : s;
            }),
            "add_relu",
          );
          assertSameFloats(ops.mul(a, b), map((v, i) => f32(v * b[i])), "mul");
          assertSameFloats(ops.relu(a), map((v) => (v < 0 ? 0 : v)), "relu");
          assertSameFloats(ops.relu6(a), map((v) => (v < 0 ? 0 : v > 6 ? 6 : v)), "relu6");
          assertSameFloats(
            ops.hardswish(a),
            map((v) => {
              const t = f32(v + 3);
              return f32(f32(v * (t < 0 ? 0 : t > 6 ? 6 : t)) / 6);
            }),
            "hardswish",
          );
          assertSameFloats(ops.sigmoid(a), map((v) => f32(1 / (1 + Math.exp(-v)))), "sigmoid");
          assertSameFloats(ops.tanh(a), map((v) => f32(Math.tanh(v))), "tanh");
          // cat of [1, n, 1, 1] and [1, n, 1, 2]: each pixel's channels, a's then b's.
          const bb = new Float32Array(2 * n).map((_, i) => b[i >> 1]);
          const cat = ops.catChannelsNhwc([
            { data: a, shape: [1, n, 1, 1] },
            { data: bb, shape: [1, n, 1, 2] },
          ]);
          assertSameFloats(
            cat.data,
            Float32Array.from({ length: 3 * n }, (_, i) =>
              i % 3 === 0 ? a[i / 3] : b[Math.floor(i / 3)]),
            "cat",
          );
        }),
    },
    {
      name: "fp32 max, avg and adaptive avg pooling equal scalar float32 code (geometries, NaN)",
      op: "pooling (fp32 baseline)",
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(poolArb, (p) => {
          const { h, w, data } = p;
          const shape = [p.n, h, w, p.c] as const;
          const x = { data, shape };
          const [kh, kw] = p.kernel;
          const [sh, sw] = p.stride;
          const [ph, pw] = p.padding;
          const [dh, dw] = p.dilation;
          const oh = poolOutputSize(h, kh, sh, ph, dh, p.ceilMode);
          const ow = poolOutputSize(w, kw, sw, pw, dw, p.ceilMode);
          if (oh >= 1 && ow >= 1) {
            const got = ops.maxPool2dNhwc(x, {
              kernelSize: p.kernel,
              stride: p.stride,
              padding: p.padding,
              dilation: p.dilation,
              ceilMode: p.ceilMode,
            });
            const expected = scalarPool(data, shape, [oh, ow], (y, xo) => {
              const taps: [number, number][] = [];
              for (let r = 0; r < kh; r++) {
                for (let s = 0; s < kw; s++) {
                  const iy = y * sh - ph + r * dh;
                  const ix = xo * sw - pw + s * dw;
                  if (iy >= 0 && iy < h && ix >= 0 && ix < w) taps.push([iy, ix]);
                }
              }
              return { taps, divisor: 1 };
            }, false);
            assertSameFloats(got.data, expected, "max_pool2d");
          }
          const aoh = poolOutputSize(h, kh, sh, ph, 1, p.ceilMode);
          const aow = poolOutputSize(w, kw, sw, pw, 1, p.ceilMode);
          if (aoh >= 0 && aow >= 0) {
            const got = ops.avgPool2dNhwc(x, {
              kernelSize: p.kernel,
              stride: p.stride,
              padding: p.padding,
              ceilMode: p.ceilMode,
              countIncludePad: p.countIncludePad,
              divisorOverride: p.divisor,
            });
            const expected = scalarPool(data, shape, [aoh, aow], (y, xo) => {
              const y0 = y * sh - ph;
              const x0 = xo * sw - pw;
              const y1 = Math.min(y0 + kh, h + ph);
              const x1 = Math.min(x0 + kw, w + pw);
              const padded = (y1 - y0) * (x1 - x0);
              const taps: [number, number][] = [];
              for (let iy = Math.max(y0, 0); iy < Math.min(y1, h); iy++) {
                for (let ix = Math.max(x0, 0); ix < Math.min(x1, w); ix++) taps.push([iy, ix]);
              }
              return {
                taps,
                divisor: p.divisor ?? (p.countIncludePad ? padded : taps.length),
              };
            }, true);
            assertSameFloats(got.data, expected, "avg_pool2d");
          }
          const size = p.adaptive;
          const adaptive = ops.adaptiveAvgPool2dNhwc(x, size);
          const expected = scalarPool(data, shape, size, (y, xo) => {
            const taps: [number, number][] = [];
            for (let iy = adaptiveStart(y, size[0], h); iy < adaptiveEnd(y, size[0], h); iy++) {
              for (let ix = adaptiveStart(xo, size[1], w); ix < adaptiveEnd(xo, size[1], w); ix++) {
                taps.push([iy, ix]);
              }
            }
            return { taps, divisor: taps.length };
          }, true);
          assertSameFloats(adaptive.data, expected, "adaptive_avg_pool2d");
        }),
    },
  ];
}
