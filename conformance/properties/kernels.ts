/**
 * Properties of a kernel set: every operation equals the reference of the set's numerics bit
 * for bit, over random shapes (M, N, K up to ~300, so every remainder of the tile sizes occurs),
 * random quantization parameters and weights, and adversarial values (saturating pairs, NaN,
 * ±Infinity, huge values).
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { xorshift } from "./linear.ts";
import { REFERENCE_LINEAR } from "../../reference/quantized_linear.ts";
import { scaleArb } from "./quantize.ts";
import type { Dtype8, KernelSet } from "../../kernels/kernel_set.ts";
import { requantizeReference } from "../../kernels/reference_kernel_set.ts";
import { dtypeRange } from "../../reference/dtype.ts";
import { float32Bits } from "../../reference/float32.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";
import {
  type LinearWeight,
  quantizedLinearDynamic,
  type StaticLinearParams,
} from "../../reference/quantized_linear.ts";
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { conv2dOutputShape, type ConvWeight } from "../../reference/quantized_conv2d.ts";
import { assertConvEqual, requantTieProperties } from "./requant_ties.ts";

/** A dimension: mostly small (every tile remainder), sometimes up to `max`. */
const dim = (max: number) =>
  fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 24 }) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max }),
  });

/** How activation and weight codes are drawn. */
type CodeMode = "uniform" | "saturating" | "reduced";

/** A random linear problem; `mode` decides whether pairs can saturate int16. */
function problemArb(mode: fc.Arbitrary<CodeMode>) {
  return fc.record({
    m: dim(40),
    k: dim(300),
    n: dim(300),
    perChannel: fc.boolean(),
    hasBias: fc.boolean(),
    seed: fc.integer(),
    mode,
    inputScale: scaleArb,
    outputScale: scaleArb,
    inputZeroPoint: fc.integer({ min: 0, max: 255 }),
    outputZeroPoint: fc.integer({ min: 0, max: 255 }),
    weightZeroPoint: fc.oneof(fc.constant(0), fc.integer({ min: -128, max: 127 })),
    relu: fc.boolean(),
  }).filter((p) => p.m * p.k * p.n <= 3_000_000).map((p) => {
    const rand = xorshift(p.seed);
    const code = () => Math.floor(rand() * 256);
    const a = Uint8Array.from({ length: p.m * p.k }, () => {
      if (p.mode === "reduced") return code() >> 1;
      if (p.mode === "saturating") return rand() < 0.7 ? 255 : code();
      return code();
    });
    const data = Int8Array.from(
      { length: p.n * p.k },
      () => p.mode === "saturating" && rand() < 0.7 ? (rand() < 0.5 ? 127 : -128) : code() - 128,
    );
    const channels = p.perChannel ? p.n : 1;
    const weight: LinearWeight = {
      data,
      outFeatures: p.n,
      inFeatures: p.k,
      perChannel: p.perChannel,
      scales: Float64Array.from({ length: channels }, () => 0.0005 + rand() * 0.02),
      zeroPoints: Int32Array.from(
        { length: channels },
        () => (p.perChannel ? Math.floor(rand() * 41) - 20 : p.weightZeroPoint),
      ),
      bias: p.hasBias ? Float32Array.from({ length: p.n }, () => (rand() - 0.5) * 40) : null,
    };
    const params: StaticLinearParams = {
      inputScale: p.inputScale,
      inputZeroPoint: p.inputZeroPoint,
      outputScale: p.outputScale,
      outputZeroPoint: p.outputZeroPoint,
      relu: p.relu,
    };
    return { a, m: p.m, weight, params, mode: p.mode };
  });
}

/** Asserts two arrays are equal element by element (floats by bit pattern), naming the first difference. */
function assertSameBits(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const same = Object.is(actual[i], expected[i]) ||
      (Number.isNaN(actual[i]) && Number.isNaN(expected[i])) ||
      (actual[i] === expected[i] && float32Bits(actual[i]) === float32Bits(expected[i]));
    if (!same) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, the reference gives ${expected[i]}`);
    }
  }
}

/** Float32 inputs in units of a scale, with NaN, ±Infinity and huge values mixed in. */
export const adversarialFloats: fc.Arbitrary<number[]> = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -400, max: 400, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 3e38, -3e38, 0.5, -0.5, -0) },
  ),
  { minLength: 1, maxLength: 100 },
);

/** A random conv2d problem (a third of them depthwise), codes that may saturate int16 pairs. */
export const convProblemArb = fc.record({
  kind: fc.constantFrom("dense", "grouped", "depthwise"),
  seed: fc.integer(),
  kernel: fc.constantFrom<[number, number]>([1, 1], [3, 3], [5, 5], [1, 3], [3, 1], [2, 2]),
  stride: fc.constantFrom<[number, number]>([1, 1], [2, 2], [1, 2]),
  padding: fc.constantFrom<[number, number]>([0, 0], [1, 1], [2, 2], [0, 1]),
  dilation: fc.constantFrom<[number, number]>([1, 1], [2, 2], [1, 2]),
  channels: fc.integer({ min: 1, max: 40 }),
  spatial: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })),
  batch: fc.integer({ min: 1, max: 2 }),
  perChannel: fc.boolean(),
  lowCodes: fc.boolean(),
  relu: fc.boolean(),
}).map((p) => {
  const rand = xorshift(p.seed);
  const [kh, kw] = p.kernel;
  const groups = p.kind === "dense" ? 1 : p.kind === "grouped" ? 1 + (p.channels % 3) : p.channels;
  const cg = p.kind === "depthwise" ? 1 : 1 + (p.channels % 6);
  const og = p.kind === "depthwise" ? 1 : 1 + Math.floor(rand() * 5);
  const c = cg * groups;
  const o = og * groups;
  const h = (kh - 1) * p.dilation[0] + 1 + p.spatial[0];
  const w = (kw - 1) * p.dilation[1] + 1 + p.spatial[1];
  const channels = p.perChannel ? o : 1;
  const weight: ConvWeight = {
    data: Int8Array.from(
      { length: o * cg * kh * kw },
      () => (rand() < 0.3 ? (rand() < 0.5 ? 127 : -128) : Math.floor(rand() * 256) - 128),
    ),
    outChannels: o,
    inChannelsPerGroup: cg,
    kernelH: kh,
    kernelW: kw,
    perChannel: p.perChannel,
    scales: Float64Array.from({ length: channels }, () => 0.001 + rand() * 0.02),
    zeroPoints: Int32Array.from(
      { length: channels },
      () => (rand() < 0.5 ? 0 : Math.floor(rand() * 21) - 10),
    ),
    bias: rand() < 0.7 ? Float32Array.from({ length: o }, () => rand() * 10 - 5) : null,
  };
  const top = p.lowCodes ? 128 : 256;
  const x = Uint8Array.from(
    { length: p.batch * c * h * w },
    () => (!p.lowCodes && rand() < 0.4 ? 255 : Math.floor(rand() * top)),
  );
  const geometry = { stride: p.stride, padding: p.padding, dilation: p.dilation, groups };
  const params: StaticLinearParams = {
    inputScale: 0.02,
    inputZeroPoint: Math.floor(rand() * top),
    // Log-uniform over 1e-6…1: requantization multipliers from ~2e-4 up to ~200, so that an
    // error of one unit in an accumulator shows in the output codes.
    outputScale: 10 ** (rand() * 6 - 6),
    outputZeroPoint: Math.floor(rand() * 256),
    relu: p.relu,
  };
  const shape = [p.batch, c, h, w];
  conv2dOutputShape(shape, weight, geometry); // throws if the geometry is impossible
  return { x, shape, weight, geometry, params };
});

/** The same weight with every zero point 0 (what oneDNN accepts). */
function symmetricWeight<W extends { zeroPoints: Int32Array }>(weight: W): W {
  return { ...weight, zeroPoints: new Int32Array(weight.zeroPoints.length) };
}

/** Builds the properties of one kernel set. */
export function kernelProperties(kernels: KernelSet): PropertyCheck[] {
  const path = kernels.name;
  const reference = REFERENCE_LINEAR[kernels.numerics];
  const linearOp = `quantized_linear (${kernels.numerics})`;
  // oneDNN takes symmetric weights only (PyTorch's onednn prepack refuses others).
  const symmetric = kernels.numerics === "onednn";
  const linearArb = (mode: fc.Arbitrary<CodeMode>) =>
    problemArb(mode).map((p) => (symmetric ? { ...p, weight: symmetricWeight(p.weight) } : p));
  const convArb = convProblemArb.map((p) =>
    symmetric ? { ...p, weight: symmetricWeight(p.weight) } : p
  );
  const staticLinear = (mode: fc.Arbitrary<CodeMode>) =>
    fc.property(linearArb(mode), ({ a, m, weight, params }) => {
      const packed = kernels.packLinear(weight);
      try {
        const got = kernels.linear(a, m, packed, params);
        assert.deepEqual(
          [...got],
          [...reference(a, m, weight, params)],
          `${kernels.lastKernel} differs from the reference`,
        );
      } finally {
        packed.free();
      }
    });
  return [
    {
      name: "static linear equals the reference (uniform codes)",
      op: linearOp,
      path,
      runsFactor: 0.5,
      property: () => staticLinear(fc.constant("uniform")),
    },
    {
      name: "static linear equals the reference where int16 pairs saturate and where they cannot",
      op: linearOp,
      path,
      runsFactor: 0.5,
      property: () => staticLinear(fc.constantFrom<CodeMode>("saturating", "reduced")),
    },
    {
      name: "dynamic linear equals the reference (reduce_range, ReLU, bias)",
      op: `quantized_linear_dynamic (${kernels.numerics})`,
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(
          linearArb(fc.constant("uniform")),
          fc.boolean(),
          fc.boolean(),
          fc.constantFrom(0.01, 1, 100),
          ({ m, weight, params }, reduceRange, relu, spread) => {
            const rand = xorshift(weight.inFeatures * 7919 + m);
            const x = Float32Array.from({ length: m * weight.inFeatures }, () =>
              (rand() - 0.3) * spread);
            const packed = kernels.packLinear(weight);
            try {
              const run = () =>
                kernels.linearDynamic(x, m, packed, { reduceRange, relu });
              let expected: Float32Array;
              try {
                expected = quantizedLinearDynamic(new Tensor(x, [m, weight.inFeatures]), weight, {
                  engine: kernels.numerics,
                  reduceRange,
                  relu,
                }).data;
              } catch (e) {
                // Refused by the reference (oneDNN with reduce_range): the kernels refuse too.
                assert.throws(run, (k: unknown) =>
                  (k as Error).constructor === (e as Error).constructor);
                return;
              }
              assertSameBits(run(), expected, kernels.lastKernel);
            } finally {
              void params;
              packed.free();
            }
          },
        ),
    },
    {
      name:
        "quantize and dequantize per tensor equal the reference (NaN, ±Infinity, huge values included)",
      op: "quantize_per_tensor",
      path,
      property: () =>
        fc.property(
          fc.constantFrom<Dtype8>("quint8", "qint8"),
          scaleArb,
          fc.nat(255),
          adversarialFloats,
          (dtype, scale, zpSeed, units) => {
            const { min } = dtypeRange(dtype);
            const zeroPoint = min + zpSeed;
            const x = Float32Array.from(units, (u) => u * scale);
            const q = kernels.quantize(x, { scale, zeroPoint, dtype });
            const expected = quantizePerTensor(new Tensor(x), {
              scale,
              zeroPoint,
              dtype,
              engine: kernels.numerics,
            });
            assert.deepEqual([...q], [...expected.intRepr], "quantize");
            assertSameBits(
              kernels.dequantize(q, { scale, zeroPoint, dtype }),
              dequantize(expected).data,
              "dequantize",
            );
          },
        ),
    },
    {
      name: "quantize and dequantize per channel equal the reference on every axis",
      op: "quantize_per_channel",
      path,
      property: () =>
        fc.property(
          fc.constantFrom<Dtype8>("quint8", "qint8"),
          fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
          fc.nat(),
          fc.infiniteStream(fc.tuple(fc.double({ min: 1e-4, max: 3, noNaN: true }), fc.nat(255))),
          fc.infiniteStream(fc.double({ min: -300, max: 300, noNaN: true })),
          (dtype, shape, axisSeed, qpStream, values) => {
            const axis = axisSeed % shape.length;
            const channels = shape[axis];
            const { min } = dtypeRange(dtype);
            const qps = [...qpStream.take(channels)];
            const scales = qps.map(([s]) => s); // doubles: the per-channel dequantize multiplies in double
            const zeroPoints = qps.map(([, z]) => min + z);
            const size = shape.reduce((p, d) => p * d, 1);
            const x = Float32Array.from(values.take(size));
            const args = { scales, zeroPoints, axis, shape, dtype };
            const q = kernels.quantizePerChannel(x, args);
            const expected = quantizePerChannel(new Tensor(x, shape), args);
            assert.deepEqual([...q], [...expected.intRepr], "quantize");
            const qt = new QuantizedTensor(q, shape, dtype, expected.qparams);
            assertSameBits(
              kernels.dequantizePerChannel(q, args),
              dequantize(qt).data,
              "dequantize",
            );
          },
        ),
    },
    {
      name: "conv2d equals the reference: groups, depthwise 3×3/5×5, stride, padding, dilation",
      op: `quantized_conv2d (${kernels.numerics})`,
      path,
      runsFactor: 0.5,
      property: () => fc.property(convArb, (problem) => assertConvEqual(kernels, problem)),
    },
    {
      name: "requantize int32 → quint8 equals the reference (extreme accumulators included)",
      op: "requantize",
      path,
      property: () =>
        fc.property(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer(),
          fc.integer({ min: 0, max: 255 }),
          fc.boolean(),
          (m, n, seed, zeroPoint, relu) => {
            const rand = xorshift(seed);
            const acc = Int32Array.from({ length: m * n }, () =>
              rand() < 0.1
                ? (rand() < 0.5 ? -2147483648 : 2147483647)
                : Math.floor((rand() - 0.5) * 2e6));
            const multipliers = Float32Array.from({ length: n }, () =>
              10 ** (rand() * 8 - 6));
            const args = { multipliers, zeroPoint, relu };
            assert.deepEqual([...kernels.requantize(acc, m, args)], [
              ...requantizeReference(acc, m, args),
            ]);
          },
        ),
    },
    ...requantTieProperties(kernels),
  ];
}
