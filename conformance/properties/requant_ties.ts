/**
 * Properties of a kernel set's requantization where rounding is decided by the last bit: random
 * problems almost never land there, so these build them on purpose.
 *
 * - **Static linear at output ties**: one input feature with weight code 1, so the accumulator
 *   is the activation code, and either `M = 1` (the output scale equals `x_scale·w_scale`) with
 *   biases whose term lands within a few ulps of `k + ½` — the output code then depends on
 *   whether the bias is added with one rounding (FBGEMM's contracted FMA) or two — or power-of-two
 *   scales with `M = ½`, where every odd accumulator is a tie decided by the multiplier's last
 *   bit and the numerics' rounding (oneDNN's zero point in float, QNNPACK's integer bias).
 * - **Conv2d at output ties**: the same for a depthwise 3×3 (the depthwise kernel's fused
 *   requantization) and a dense conv.
 * - **Dynamic linear at quantization ties**: activations within a few ulps of the values the
 *   engine's quantizer maps to `k + ½` (FBGEMM: `fma(x, 1/s, zp)`; oneDNN: `f32(x·(1/s)) + zp`),
 *   the output compared bit for bit.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { xorshift } from "./linear.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { f32, float32Bits, float32FromBits, reciprocalF32 } from "../../reference/float32.ts";
import {
  chooseDynamicQParams,
  type LinearWeight,
  quantizedLinearDynamic,
  REFERENCE_LINEAR,
  type StaticLinearParams,
} from "../../reference/quantized_linear.ts";
import { Tensor } from "../../reference/tensor.ts";
import {
  type Conv2dGeometry,
  type ConvWeight,
  REFERENCE_CONV2D,
} from "../../reference/quantized_conv2d.ts";
import { nchwToNhwc, nhwcToNchw } from "../../kernels/qconv.ts";

/** `x` moved by `ulps` float32 steps (toward +∞ for positive counts on positive values). */
function nudge(x: number, ulps: number): number {
  if (ulps === 0 || x === 0) return f32(x);
  const bits = float32Bits(f32(x));
  return float32FromBits(bits + (x > 0 ? ulps : -ulps));
}

/**
 * The scales of a tie problem: random ones with `M = 1` (the bias term decides the ties), or
 * powers of two with `M = ½` (odd accumulators are exact ties; the multiplier decides them).
 */
const tieScales = {
  powerOfTwo: fc.boolean(),
  inputScale: fc.double({ min: 1e-3, max: 0.5, noNaN: true }),
  weightScale: fc.double({ min: 1e-3, max: 0.05, noNaN: true }),
  exponents: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 4, max: 10 })),
};

interface TieScales {
  powerOfTwo: boolean;
  inputScale: number;
  weightScale: number;
  exponents: [number, number];
}

/** Rewrites the scales of a power-of-two problem in place and returns aw, 1/aw and y_scale. */
function tieScaleTerms(p: TieScales): { aw: number; r: number; outputScale: number } {
  if (p.powerOfTwo) {
    p.inputScale = 2 ** -p.exponents[0];
    p.weightScale = 2 ** -p.exponents[1];
  }
  const aw = f32(f32(p.inputScale) * f32(p.weightScale));
  return { aw, r: f32(1 / aw), outputScale: p.powerOfTwo ? 2 * aw : aw };
}

/**
 * A bias whose term lies within a few ulps of `k + ½` (random scales), or an integer multiple
 * of `aw` (powers of two: the integer part stays exact and odd sums tie).
 */
function tieBias(p: TieScales, r: number, rand: () => number): number {
  const k = Math.floor(rand() * 41) - 20;
  if (p.powerOfTwo) return f32(k / r);
  return nudge((k + 0.5) / r, Math.floor(rand() * 7) - 3);
}

/** A static linear problem whose outputs sit next to rounding ties (module documentation). */
const staticTieArb = fc.record({
  seed: fc.integer(),
  m: fc.integer({ min: 1, max: 64 }),
  n: fc.integer({ min: 1, max: 40 }),
  perChannel: fc.boolean(),
  relu: fc.boolean(),
  ...tieScales,
}).map((p) => {
  const rand = xorshift(p.seed);
  const { r, outputScale } = tieScaleTerms(p);
  const channels = p.perChannel ? p.n : 1;
  const weight: LinearWeight = {
    data: new Int8Array(p.n).fill(1),
    outFeatures: p.n,
    inFeatures: 1,
    perChannel: p.perChannel,
    scales: new Float64Array(channels).fill(p.weightScale),
    zeroPoints: new Int32Array(channels),
    bias: Float32Array.from({ length: p.n }, () => tieBias(p, r, rand)),
  };
  const a = Uint8Array.from({ length: p.m }, (_, i) => i % 256);
  return { a, m: p.m, weight, params: tieParams(p.inputScale, outputScale, p.relu) };
});

/**
 * A conv problem whose outputs sit next to rounding ties: `M = 1`, biases near `k + ½` as for the
 * static linear, small weights and codes; a depthwise 3×3 (FBGEMM's depthwise kernel, with its
 * own fused requantization) or a dense conv (the GEMM epilogue).
 */
const convTieArb = fc.record({
  seed: fc.integer(),
  depthwise: fc.boolean(),
  blocks: fc.integer({ min: 1, max: 3 }),
  stride: fc.constantFrom(1, 2),
  perChannel: fc.boolean(),
  relu: fc.boolean(),
  ...tieScales,
}).map((p) => {
  const rand = xorshift(p.seed);
  const c = 8 * p.blocks;
  const groups = p.depthwise ? c : 1;
  const o = p.depthwise ? c : 1 + Math.floor(rand() * 9);
  const cg = c / groups;
  const { r, outputScale } = tieScaleTerms(p);
  const channels = p.perChannel ? o : 1;
  const weight: ConvWeight = {
    data: Int8Array.from({ length: o * cg * 9 }, () => Math.floor(rand() * 7) - 3),
    outChannels: o,
    inChannelsPerGroup: cg,
    kernelH: 3,
    kernelW: 3,
    perChannel: p.perChannel,
    scales: new Float64Array(channels).fill(p.weightScale),
    zeroPoints: new Int32Array(channels),
    bias: Float32Array.from({ length: o }, () => tieBias(p, r, rand)),
  };
  const shape = [1, c, 5, 4];
  const x = Uint8Array.from({ length: c * 20 }, () => Math.floor(rand() * 16));
  const geometry = {
    stride: [p.stride, p.stride] as const,
    padding: [1, 1] as const,
    dilation: [1, 1] as const,
    groups,
  };
  const params = tieParams(p.inputScale, outputScale, p.relu);
  return { x, shape, weight, geometry, params };
});

/** A dynamic linear problem whose activations sit next to quantization ties. */
function dynamicTieArb(kernels: KernelSet) {
  return fc.record({
    seed: fc.integer(),
    m: fc.integer({ min: 1, max: 8 }),
    k: fc.integer({ min: 2, max: 40 }),
    n: fc.integer({ min: 1, max: 24 }),
    // reduce_range is undefined on oneDNN (refused): its ties are drawn without it.
    reduceRange: kernels.numerics === "onednn" ? fc.constant(false) : fc.boolean(),
    relu: fc.boolean(),
    low: fc.double({ min: -50, max: 0, noNaN: true }),
    high: fc.double({ min: 1e-3, max: 50, noNaN: true }),
  }).map((p) => {
    const rand = xorshift(p.seed);
    const { scale, exactScale, zeroPoint } = chooseDynamicQParams(
      f32(p.low),
      f32(p.high),
      kernels.numerics,
      p.reduceRange,
    );
    const inv = kernels.numerics === "onednn" ? f32(1 / exactScale) : reciprocalF32(scale);
    const qmax = p.reduceRange && kernels.numerics !== "qnnpack" ? 127 : 255;
    const x = Float32Array.from({ length: p.m * p.k }, (_, i) => {
      if (i === 0) return f32(p.low);
      if (i === 1) return f32(p.high);
      const code = Math.floor(rand() * qmax);
      const v = nudge((code + 0.5 - zeroPoint) / inv, Math.floor(rand() * 5) - 2);
      return Math.min(Math.max(v, f32(p.low)), f32(p.high));
    });
    const weight: LinearWeight = {
      data: Int8Array.from({ length: p.n * p.k }, () => Math.floor(rand() * 256) - 128),
      outFeatures: p.n,
      inFeatures: p.k,
      perChannel: false,
      scales: Float64Array.of(0.001 + rand() * 0.02),
      zeroPoints: new Int32Array(1),
      bias: rand() < 0.7 ? Float32Array.from({ length: p.n }, () => (rand() - 0.5) * 10) : null,
    };
    return { x, m: p.m, weight, reduceRange: p.reduceRange, relu: p.relu };
  });
}

/** A conv problem: NCHW codes, the weight, its geometry and the static parameters. */
export interface ConvProblem {
  readonly x: Uint8Array;
  readonly shape: number[];
  readonly weight: ConvWeight;
  readonly geometry: Conv2dGeometry;
  readonly params: StaticLinearParams;
}

/** Asserts that a kernel set's conv2d equals the reference of its numerics on one problem. */
export function assertConvEqual(kernels: KernelSet, problem: ConvProblem): void {
  const { x, shape, weight, geometry, params } = problem;
  const expected = REFERENCE_CONV2D[kernels.numerics](x, shape, weight, {
    ...geometry,
    ...params,
  });
  const packed = kernels.packConv2d(weight, geometry);
  try {
    const y = kernels.conv2dNhwc(nchwToNhwc(x, shape), packed, params);
    assert.deepEqual([...nhwcToNchw(y).data], [...expected], `${kernels.lastKernel} conv`);
  } finally {
    packed.free();
  }
}

/** The static parameters of a tie problem (input zero point 0, output zero point 128). */
function tieParams(inputScale: number, outputScale: number, relu: boolean): StaticLinearParams {
  return { inputScale, inputZeroPoint: 0, outputScale, outputZeroPoint: 128, relu };
}

/** The tie properties of one kernel set. */
export function requantTieProperties(kernels: KernelSet): PropertyCheck[] {
  const path = kernels.name;
  return [
    {
      name: "static linear equals the reference at output rounding ties (bias term near k + ½)",
      op: `quantized_linear (${kernels.numerics})`,
      path,
      property: () =>
        fc.property(staticTieArb, ({ a, m, weight, params }) => {
          const packed = kernels.packLinear(weight);
          try {
            assert.deepEqual(
              [...kernels.linear(a, m, packed, params)],
              [...REFERENCE_LINEAR[kernels.numerics](a, m, weight, params)],
              `${kernels.lastKernel} differs from the reference`,
            );
          } finally {
            packed.free();
          }
        }),
    },
    {
      name: "conv2d equals the reference at output rounding ties (depthwise and dense)",
      op: `quantized_conv2d (${kernels.numerics})`,
      path,
      property: () => fc.property(convTieArb, (problem) => assertConvEqual(kernels, problem)),
    },
    {
      name: "dynamic linear equals the reference at activation quantization ties",
      op: `quantized_linear_dynamic (${kernels.numerics})`,
      path,
      property: () =>
        fc.property(dynamicTieArb(kernels), ({ x, m, weight, reduceRange, relu }) => {
          const packed = kernels.packLinear(weight);
          try {
            const got = kernels.linearDynamic(x, m, packed, { reduceRange, relu });
            const want = quantizedLinearDynamic(new Tensor(x, [m, weight.inFeatures]), weight, {
              engine: kernels.numerics,
              reduceRange,
              relu,
            }).data;
            assert.deepEqual(
              [...new Uint32Array(got.buffer, got.byteOffset, got.length)],
              [...new Uint32Array(want.buffer, want.byteOffset, want.length)],
              `${kernels.lastKernel} differs from the reference (float bits)`,
            );
          } finally {
            packed.free();
          }
        }),
    },
  ];
}
