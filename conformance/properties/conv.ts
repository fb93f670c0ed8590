/**
 * Properties of the quantized conv2d reference (both engines' numerics). Each property is built
 * from a `Conv2dImpl`, so a test can hand it a broken implementation and see it fail
 * (conv_test.ts plants an im2col K order of (C, kh, kw), zero padding with 0, and a depthwise
 * channel mix-up).
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { xorshift } from "./linear.ts";
import { REFERENCE_LINEAR } from "../../reference/quantized_linear.ts";
import { scaleArb } from "./quantize.ts";
import type { Numerics } from "../../reference/engine.ts";
import {
  type Conv2dGeometry,
  type Conv2dImpl,
  conv2dOutputShape,
  type Conv2dParams,
  type ConvWeight,
  REFERENCE_CONV2D,
} from "../../reference/quantized_conv2d.ts";
import type { LinearWeight } from "../../reference/quantized_linear.ts";

/** A conv problem: NCHW codes, their shape, the weight and the parameters. */
export interface ConvProblem {
  x: Uint8Array;
  shape: number[];
  weight: ConvWeight;
  params: Conv2dParams;
}

/**
 * A random conv2d problem: dense, grouped or depthwise (channel multiplier 1 or 2), kernels up to
 * 5×5, stride, padding, dilation, per-tensor or per-channel weights with zero points, and (when
 * `saturating`) extreme codes that overflow int16 pairs in FBGEMM's `vpmaddubsw`.
 */
export function convProblemArb(
  options: { kind?: "dense" | "grouped" | "depthwise"; kernel1x1?: boolean } = {},
): fc.Arbitrary<ConvProblem> {
  return fc.record({
    kind: options.kind === undefined
      ? fc.constantFrom("dense", "grouped", "depthwise")
      : fc.constant(options.kind),
    seed: fc.integer(),
    kernel: options.kernel1x1
      ? fc.constant<[number, number]>([1, 1])
      : fc.constantFrom<[number, number]>([1, 1], [3, 3], [5, 5], [1, 3], [3, 2], [2, 2]),
    stride: options.kernel1x1
      ? fc.constant<[number, number]>([1, 1])
      : fc.constantFrom<[number, number]>([1, 1], [2, 2], [1, 2]),
    padding: options.kernel1x1
      ? fc.constant<[number, number]>([0, 0])
      : fc.constantFrom<[number, number]>([0, 0], [1, 1], [2, 1]),
    dilation: fc.constantFrom<[number, number]>([1, 1], [2, 2], [1, 2]),
    channels: fc.integer({ min: 1, max: 6 }),
    multiplier: fc.integer({ min: 1, max: 2 }),
    spatial: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })),
    batch: fc.integer({ min: 1, max: 2 }),
    perChannel: fc.boolean(),
    saturating: fc.boolean(),
    hasBias: fc.boolean(),
    relu: fc.boolean(),
    inputScale: scaleArb,
    outputScale: scaleArb,
    inputZeroPoint: fc.integer({ min: 0, max: 255 }),
    outputZeroPoint: fc.integer({ min: 0, max: 255 }),
  }).map((p) => {
    const rand = xorshift(p.seed);
    const [kh, kw] = p.kernel;
    const groups = p.kind === "dense"
      ? 1
      : p.kind === "grouped"
      ? 2 + (p.channels % 2)
      : p.channels;
    const cg = p.kind === "depthwise" ? 1 : p.channels;
    const og = p.kind === "depthwise" ? p.multiplier : 1 + Math.floor(rand() * 3);
    const c = cg * groups;
    const o = og * groups;
    const h = (kh - 1) * p.dilation[0] + 1 + p.spatial[0];
    const w = (kw - 1) * p.dilation[1] + 1 + p.spatial[1];
    const n = p.perChannel ? o : 1;
    const code = () => p.saturating ? (rand() < 0.5 ? 127 : -128) : Math.floor(rand() * 256) - 128;
    const weight: ConvWeight = {
      data: Int8Array.from({ length: o * cg * kh * kw }, code),
      outChannels: o,
      inChannelsPerGroup: cg,
      kernelH: kh,
      kernelW: kw,
      perChannel: p.perChannel,
      scales: Float64Array.from({ length: n }, () => 0.001 + rand() * 0.05),
      zeroPoints: Int32Array.from({ length: n }, () => Math.floor(rand() * 21) - 10),
      // Small enough that the int32 bias never overflows (QNNPACK's overflow is build-dependent).
      bias: p.hasBias ? Float32Array.from({ length: o }, () => (rand() - 0.5) * 8) : null,
    };
    const x = Uint8Array.from(
      { length: p.batch * c * h * w },
      () => (p.saturating && rand() < 0.7 ? 255 : Math.floor(rand() * 256)),
    );
    const params: Conv2dParams = {
      stride: p.stride,
      padding: p.padding,
      dilation: p.dilation,
      groups,
      inputScale: p.inputScale,
      inputZeroPoint: p.saturating ? 0 : p.inputZeroPoint,
      outputScale: p.outputScale,
      outputZeroPoint: p.outputZeroPoint,
      relu: p.relu,
    };
    const shape = [p.batch, c, h, w];
    conv2dOutputShape(shape, weight, params);
    return { x, shape, weight, params };
  });
}

/**
 * The rows of a conv as the specification states them, gathered independently of the reference
 * helpers: for image `n`, group `g` and each output position, the taps in the order (kh, kw, c)
 * of an NHWC image, padding taps holding the input zero point.
 */
export function specIm2col(
  x: Uint8Array,
  shape: readonly number[],
  n: number,
  g: number,
  weight: ConvWeight,
  p: Conv2dGeometry & { inputZeroPoint: number },
): { rows: Uint8Array; positions: number; k: number } {
  const [, c, h, w] = shape;
  const cg = c / p.groups;
  const { kernelH: kh, kernelW: kw } = weight;
  const oh = Math.floor((h + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
  const ow = Math.floor((w + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
  const k = kh * kw * cg;
  const rows: number[] = [];
  for (let y = 0; y < oh; y++) {
    for (let xo = 0; xo < ow; xo++) {
      for (let r = 0; r < kh; r++) {
        for (let s = 0; s < kw; s++) {
          for (let ci = 0; ci < cg; ci++) {
            const iy = y * p.stride[0] - p.padding[0] + r * p.dilation[0];
            const ix = xo * p.stride[1] - p.padding[1] + s * p.dilation[1];
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            rows.push(inside ? x[((n * c + g * cg + ci) * h + iy) * w + ix] : p.inputZeroPoint);
          }
        }
      }
    }
  }
  return { rows: Uint8Array.from(rows), positions: oh * ow, k };
}

/** The weight of group `g` as a linear weight `[og, kH·kW·Cg]` in (kh, kw, c) order. */
export function specGroupWeight(weight: ConvWeight, groups: number, g: number): LinearWeight {
  const { outChannels: o, inChannelsPerGroup: cg, kernelH: kh, kernelW: kw } = weight;
  const og = o / groups;
  const k = kh * kw * cg;
  const data = new Int8Array(og * k);
  for (let j = 0; j < og; j++) {
    const oc = g * og + j;
    let i = 0;
    for (let r = 0; r < kh; r++) {
      for (let s = 0; s < kw; s++) {
        for (let ci = 0; ci < cg; ci++) {
          data[j * k + i++] = weight.data[((oc * cg + ci) * kh + r) * kw + s];
        }
      }
    }
  }
  const pick = <T extends Float64Array | Int32Array>(a: T): T =>
    (weight.perChannel ? a.slice(g * og, (g + 1) * og) : a.slice()) as T;
  return {
    data,
    outFeatures: og,
    inFeatures: k,
    perChannel: weight.perChannel,
    scales: pick(weight.scales),
    zeroPoints: pick(weight.zeroPoints),
    bias: weight.bias === null ? null : weight.bias.slice(g * og, (g + 1) * og),
  };
}

/** Splits a conv into the conv of each group (`groups = 1`), the input and weight sliced. */
function groupSlices(problem: ConvProblem) {
  const { x, shape, weight, params } = problem;
  const [n, c, h, w] = shape;
  const { groups } = params;
  const cg = c / groups;
  const og = weight.outChannels / groups;
  const slices = [];
  for (let g = 0; g < groups; g++) {
    const xs = new Uint8Array(n * cg * h * w);
    for (let img = 0; img < n; img++) {
      xs.set(
        x.subarray((img * c + g * cg) * h * w, (img * c + (g + 1) * cg) * h * w),
        img * cg * h * w,
      );
    }
    const per = og * cg * weight.kernelH * weight.kernelW;
    const lw = specGroupWeight(weight, groups, g);
    const wg: ConvWeight = {
      ...weight,
      data: weight.data.slice(g * per, (g + 1) * per),
      outChannels: og,
      scales: lw.scales,
      zeroPoints: lw.zeroPoints,
      bias: lw.bias,
    };
    slices.push({ x: xs, shape: [n, cg, h, w], weight: wg });
  }
  return slices;
}

/** Builds the conv2d properties of one numerics family. */
export function convProperties(
  family: Numerics,
  impl: Conv2dImpl = REFERENCE_CONV2D[family],
  path = "reference",
): PropertyCheck[] {
  const op = `quantized_conv2d (${family})`;
  const linear = REFERENCE_LINEAR[family];
  return [
    {
      name: "conv equals the engine's linear layer on (kh, kw, C)-ordered im2col rows padded " +
        "with the input zero point",
      op,
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(convProblemArb(), (problem) => {
          const { x, shape, weight, params } = problem;
          const y = impl(x, shape, weight, params);
          const [n, o, oh, ow] = conv2dOutputShape(shape, weight, params);
          const og = o / params.groups;
          for (let img = 0; img < n; img++) {
            for (let g = 0; g < params.groups; g++) {
              const { rows, positions } = specIm2col(x, shape, img, g, weight, params);
              const expected = linear(
                rows,
                positions,
                specGroupWeight(weight, params.groups, g),
                params,
              );
              for (let pos = 0; pos < positions; pos++) {
                for (let j = 0; j < og; j++) {
                  const got = y[((img * o + g * og + j) * oh * ow) + pos];
                  assert.equal(
                    got,
                    expected[pos * og + j],
                    `image ${img} channel ${g * og + j} position ${pos}`,
                  );
                }
              }
            }
          }
        }),
    },
    {
      name: "a 1×1 conv with stride 1 and no padding equals the linear layer on the NHWC pixels",
      op,
      path,
      property: () =>
        fc.property(convProblemArb({ kind: "dense", kernel1x1: true }), (problem) => {
          const { x, shape, weight, params } = problem;
          const [n, c, h, w] = shape;
          const nhwc = new Uint8Array(x.length);
          for (let img = 0; img < n; img++) {
            for (let ch = 0; ch < c; ch++) {
              for (let p = 0; p < h * w; p++) {
                nhwc[(img * h * w + p) * c + ch] = x[(img * c + ch) * h * w + p];
              }
            }
          }
          const lw: LinearWeight = { ...specGroupWeight(weight, 1, 0) };
          const rows = linear(nhwc, n * h * w, lw, params);
          const y = impl(x, shape, weight, params);
          const o = weight.outChannels;
          for (let img = 0; img < n; img++) {
            for (let oc = 0; oc < o; oc++) {
              for (let p = 0; p < h * w; p++) {
                assert.equal(y[(img * o + oc) * h * w + p], rows[(img * h * w + p) * o + oc]);
              }
            }
          }
        }),
    },
    {
      name: "a grouped conv equals the concatenation of its groups' convs",
      op,
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(convProblemArb({ kind: "grouped" }), (problem) => {
          const whole = impl(problem.x, problem.shape, problem.weight, problem.params);
          const [n, o, oh, ow] = conv2dOutputShape(problem.shape, problem.weight, problem.params);
          const og = o / problem.params.groups;
          groupSlices(problem).forEach((slice, g) => {
            const part = impl(slice.x, slice.shape, slice.weight, { ...problem.params, groups: 1 });
            for (let img = 0; img < n; img++) {
              const size = og * oh * ow;
              assert.deepEqual(
                [...part.subarray(img * size, (img + 1) * size)],
                [...whole.subarray(
                  (img * o + g * og) * oh * ow,
                  (img * o + (g + 1) * og) * oh * ow,
                )],
                `group ${g}, image ${img}`,
              );
            }
          });
        }),
    },
    {
      name: "a depthwise conv equals the per-channel 2-D correlation of each input channel",
      op,
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(convProblemArb({ kind: "depthwise" }), (problem) => {
          // Each channel's correlation: a one-channel conv of that channel with its filters.
          const whole = impl(problem.x, problem.shape, problem.weight, problem.params);
          const [n, o, oh, ow] = conv2dOutputShape(problem.shape, problem.weight, problem.params);
          const m = o / problem.params.groups;
          groupSlices(problem).forEach((slice, c) => {
            const part = impl(slice.x, slice.shape, slice.weight, { ...problem.params, groups: 1 });
            for (let img = 0; img < n; img++) {
              const size = m * oh * ow;
              assert.deepEqual(
                [...part.subarray(img * size, (img + 1) * size)],
                [...whole.subarray((img * o + c * m) * oh * ow, (img * o + (c + 1) * m) * oh * ow)],
                `channel ${c}, image ${img}`,
              );
            }
          });
        }),
    },
    {
      name: "conv_relu equals max(conv, output zero point)",
      op,
      path,
      property: () =>
        fc.property(convProblemArb(), ({ x, shape, weight, params }) => {
          const plain = impl(x, shape, weight, { ...params, relu: false });
          const relu = impl(x, shape, weight, { ...params, relu: true });
          plain.forEach((v, i) =>
            assert.equal(relu[i], Math.max(v, params.outputZeroPoint), `element ${i}`)
          );
        }),
    },
  ];
}
