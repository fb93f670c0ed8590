/**
 * The kernel properties of every registered op, generated from its descriptor: over arguments
 * drawn by the op's family generator (tensors, qparams) and the op's own parameter domains, the
 * op on a kernel set equals the op on the reference of the set's engine — the same codes and
 * qparams, or the same refusal (same error class) where the reference refuses.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import type { Engine } from "../../reference/engine.ts";
import { type AnyOp, runKernel, runReference } from "../../ops/op.ts";
import { OPS } from "../../ops/registry.ts";
import type { UnaryArgs, UnaryOp } from "../../ops/unary.ts";
import type { BinaryArgs } from "../../ops/binary.ts";
import type { CatArgs } from "../../ops/cat.ts";
import { batchNorm2d, type BatchNormArgs } from "../../ops/channelwise.ts";
import { linearProblemArb, xorshift } from "./linear.ts";
import { adversarialFloats, convProblemArb } from "./kernels.ts";
import { type LinearArgs, linearDynamic, type LinearDynamicArgs } from "../../ops/gemm.ts";
import type { Conv2dArgs } from "../../ops/conv.ts";
import { adaptiveAvgPool2d, maxPool2d, type PoolArgs } from "../../ops/pool.ts";
import type { NhwcTensor, QParams8 } from "../../kernels/kernel_set.ts";
import { nhwcToNchw } from "../../kernels/qconv.ts";
import { poolGeometryArb } from "./pool_geometry.ts";
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import { float32Bits } from "../../reference/float32.ts";
import { codeModeArb, codes, extremeScaleArb, lengthArb, quint8, zeroPointArb } from "./codes.ts";
import { paramsArb } from "./domain.ts";
import type { PropertyCheck } from "./property.ts";
import { onnxArgs } from "./onnx_args.ts";

/** Draws the arguments of an op of one family (undefined: no generator for this op). */
type FamilyArb = (op: AnyOp) => fc.Arbitrary<unknown> | undefined;

/** quint8 codes of every length around the vector split, extreme qparams, the op's params. */
function unaryArgs(op: UnaryOp): fc.Arbitrary<UnaryArgs> {
  return fc.record({
    n: lengthArb,
    seed: fc.integer(),
    mode: codeModeArb,
    input: fc.tuple(extremeScaleArb, zeroPointArb),
    output: fc.tuple(extremeScaleArb, zeroPointArb),
    params: paramsArb(op.properties?.params ?? {}),
  }).map((p) => ({
    x: quint8(codes(p.seed, p.n, p.mode, p.input[1]), [p.n], {
      scale: p.input[0],
      zeroPoint: p.input[1],
    }),
    params: p.params as Record<string, number>,
    output: op.spec.output === "requantized"
      ? { scale: p.output[0], zeroPoint: p.output[1] }
      : undefined,
  }));
}

/** Operands, qparams and a mode: `related` scales (QNNPACK accepts), `tie`, or `free`. */
/** The largest float32. */
const F32_MAX = 3.4028234663852886e38;

const binaryArgs: fc.Arbitrary<BinaryArgs> = fc.record({
  n: lengthArb,
  seed: fc.integer(),
  saturating: fc.boolean(),
  mode: fc.constantFrom("related", "related", "tie", "free"),
  so: extremeScaleArb,
  ratios: fc.tuple(
    fc.double({ min: -3, max: 3, noNaN: true }),
    fc.double({ min: -3, max: 3, noNaN: true }),
  ),
  free: fc.tuple(extremeScaleArb, extremeScaleArb),
  za: zeroPointArb,
  zb: zeroPointArb,
  zo: zeroPointArb,
}).map((p) => {
  const [sa, sb] = p.mode === "free" ? p.free : p.mode === "tie"
    ? [p.so / 2, p.so / 2] // output scale twice the inputs': sums land on rounding ties
    : p.ratios.map((e) => Math.min(Math.fround(p.so * 2 ** e), F32_MAX)); // a QuantizedTensor
  // holds finite scales only; the fuzz suite covers the kernels refusing an infinite one
  return {
    a: quint8(codes(p.seed, p.n, p.saturating), [p.n], { scale: sa, zeroPoint: p.za }),
    b: quint8(codes(p.seed ^ 0x5bd1e995, p.n, p.saturating), [p.n], {
      scale: sb,
      zeroPoint: p.zb,
    }),
    output: { scale: p.so, zeroPoint: p.zo },
  };
});

/** A pooling input `[N, H, W, C]` whose window fits (mostly), with a geometry. */
const poolInputArb = fc.tuple(
  poolGeometryArb({
    channels: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 14, max: 40 })),
    extraMax: 8,
  }),
  fc.record({ scale: extremeScaleArb, zp: zeroPointArb, seed: fc.integer(), mode: codeModeArb }),
).map(([g, p]) => {
  const x: NhwcTensor = {
    data: codes(p.seed, g.n * g.h * g.w * g.c, p.mode, p.zp),
    shape: [g.n, g.h, g.w, g.c],
  };
  return { ...g, ...p, x, qparams: { scale: p.scale, zeroPoint: p.zp } };
});

/** An adaptive-pooling input and output size (dividing the input size or not). */
const adaptiveInputArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 16 }),
  w: fc.integer({ min: 1, max: 16 }),
  c: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 14, max: 40 })),
  divides: fc.constantFrom(true, true, false), // QNNPACK's path needs a dividing size
  outSeed: fc.tuple(fc.nat(), fc.nat()),
  scale: extremeScaleArb,
  zp: zeroPointArb,
  seed: fc.integer(),
  mode: codeModeArb,
}).map((p) => {
  const pick = (size: number, seed: number) => {
    if (!p.divides) return 1 + (seed % (size + 3)); // upsampling included
    const divisors = Array.from({ length: size }, (_, i) => i + 1).filter((d) => size % d === 0);
    return divisors[seed % divisors.length];
  };
  const x: NhwcTensor = {
    data: codes(p.seed, p.n * p.h * p.w * p.c, false),
    shape: [p.n, p.h, p.w, p.c],
  };
  const outputSize: [number, number] = [pick(p.h, p.outSeed[0]), pick(p.w, p.outSeed[1])];
  return { x, outputSize, qparams: { scale: p.scale, zeroPoint: p.zp } };
});

/** The arguments of a pooling op: a channels-last input and a window of the op's kind. */
function poolArgs(op: AnyOp): fc.Arbitrary<PoolArgs> {
  const nchw = (x: NhwcTensor, qparams: QParams8) => {
    const t = nhwcToNchw(x);
    return quint8(t.data, t.shape, qparams);
  };
  if (op.name === adaptiveAvgPool2d.name) {
    return adaptiveInputArb.map(({ x, outputSize, qparams }) => ({
      x: nchw(x, qparams),
      channelsLast: true,
      window: { kind: "adaptive_avg" as const, outputSize },
    }));
  }
  const max = op.name === maxPool2d.name;
  return poolInputArb.map((p) => ({
    x: nchw(p.x, p.qparams),
    channelsLast: true,
    window: max
      ? {
        kind: "max" as const,
        kernelSize: p.kernel,
        stride: p.stride,
        padding: p.padding,
        dilation: p.dilation,
        ceilMode: p.ceilMode,
      }
      : {
        kind: "avg" as const,
        kernelSize: p.kernel,
        stride: p.stride,
        padding: p.padding,
        ceilMode: p.ceilMode,
        countIncludePad: p.countIncludePad,
        divisorOverride: p.divisor,
      },
  }));
}

/** Concatenation inputs: channel counts around the 8- and 16-channel blocks, some copied. */
const catInputArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 4 }),
  w: fc.integer({ min: 1, max: 4 }),
  inputs: fc.array(
    fc.record({
      c: fc.oneof(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33),
      ),
      same: fc.boolean(),
      scale: extremeScaleArb,
      zp: zeroPointArb,
    }),
    { minLength: 1, maxLength: 4 },
  ),
  output: fc.record({ scale: extremeScaleArb, zp: zeroPointArb }),
  seed: fc.integer(),
}).map((p) => {
  const output = { scale: p.output.scale, zeroPoint: p.output.zp };
  return {
    output,
    xs: p.inputs.map((input, i) => ({
      tensor: {
        data: codes(p.seed + i, p.n * p.h * p.w * input.c, false),
        shape: [p.n, p.h, p.w, input.c] as const,
      },
      qparams: input.same ? output : { scale: input.scale, zeroPoint: input.zp },
    })),
  };
});

/** The arguments of `quantized_cat` on channels-last inputs. */
const catArgs: fc.Arbitrary<CatArgs> = catInputArb.map(({ xs, output }) => ({
  xs: xs.map(({ tensor, qparams }) => {
    const t = nhwcToNchw(tensor);
    return quint8(t.data, t.shape, qparams);
  }),
  dim: 1,
  output,
  channelsLast: true,
}));

/** Batch-norm arguments: channel counts around ATen's 8/32-channel vectors, NCHW codes. */
const batchNormArgs: fc.Arbitrary<BatchNormArgs> = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.oneof(
    fc.integer({ min: 1, max: 20 }),
    fc.constantFrom(7, 8, 9, 31, 32, 33, 40, 63, 64, 65),
  ),
  h: fc.integer({ min: 1, max: 4 }),
  w: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer(),
  mode: codeModeArb,
  input: fc.tuple(extremeScaleArb, zeroPointArb),
  output: fc.tuple(extremeScaleArb, zeroPointArb),
  relu: fc.boolean(),
  params: paramsArb(batchNorm2d.properties!.params),
}).map((p) => {
  const rand = xorshift(p.seed ^ 0x2545f491);
  const { eps, gamma, spread } = p.params as { eps: number; gamma: number; spread: number };
  const perChannel = (f: () => number) => Float32Array.from({ length: p.c }, f);
  return {
    x: quint8(codes(p.seed, p.n * p.c * p.h * p.w, p.mode, p.input[1]), [p.n, p.c, p.h, p.w], {
      scale: p.input[0],
      zeroPoint: p.input[1],
    }),
    params: {
      weight: perChannel(() => gamma * (rand() * 2 - 1)),
      bias: perChannel(() => (rand() - 0.5) * 10),
      mean: perChannel(() => (rand() - 0.5) * 4),
      var: perChannel(() => spread * rand()),
      eps,
    },
    relu: p.relu,
    output: { scale: p.output[0], zeroPoint: p.output[1] },
  };
});

/** Linear problems (every tile remainder, saturating codes, per-channel or not) as op arguments. */
function gemmArgs(op: AnyOp): fc.Arbitrary<LinearArgs | LinearDynamicArgs> {
  return fc.tuple(linearProblemArb(), fc.boolean(), fc.double({ min: 0.01, max: 50, noNaN: true }))
    .map(([p, reduceRange, spread]) => {
      const k = p.weight.inFeatures;
      if (op.name === linearDynamic.name) {
        const rand = xorshift(k * 7919 + p.m);
        const x = Float32Array.from({ length: p.m * k }, () => (rand() - 0.3) * spread);
        return { x: new Tensor(x, [p.m, k]), weight: p.weight, reduceRange, relu: p.params.relu };
      }
      return {
        x: quint8(p.a, [p.m, k], {
          scale: p.params.inputScale,
          zeroPoint: p.params.inputZeroPoint,
        }),
        weight: p.weight,
        output: { scale: p.params.outputScale, zeroPoint: p.params.outputZeroPoint },
        relu: p.params.relu,
      };
    });
}

/** Convolution problems (dense, grouped, depthwise; saturating codes) as op arguments. */
const convArgs: fc.Arbitrary<Conv2dArgs> = convProblemArb.map((p) => ({
  x: quint8(p.x, p.shape, { scale: p.params.inputScale, zeroPoint: p.params.inputZeroPoint }),
  weight: p.weight,
  geometry: p.geometry,
  output: { scale: p.params.outputScale, zeroPoint: p.params.outputZeroPoint },
  relu: p.params.relu,
}));

/** Quantize/dequantize arguments: adversarial floats (NaN, ±Infinity, huge), 8-bit dtypes. */
function quantizeArgs(op: AnyOp): fc.Arbitrary<unknown> {
  return fc.record({
    dtype: fc.constantFrom<"quint8" | "qint8">("quint8", "qint8"),
    scale: extremeScaleArb,
    zp: fc.nat(255),
    units: adversarialFloats,
    channels: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer(),
  }).map((p) => {
    const min = p.dtype === "quint8" ? 0 : -128;
    const zeroPoint = min + p.zp;
    const n = p.units.length;
    const x = new Tensor(Float32Array.from(p.units, (u) => u * p.scale), [n]);
    const codes8 = p.dtype === "quint8"
      ? codes(p.seed, n, false)
      : Int8Array.from(codes(p.seed, n, false), (c) => c - 128);
    const c = Math.min(p.channels, n);
    const rows = Math.floor(n / c);
    const perChannel = {
      scales: Array.from({ length: c }, (_, i) => p.scale / (1 + i / 7)),
      zeroPoints: Array.from({ length: c }, (_, i) => min + ((p.zp + 37 * i) % 256)),
    };
    switch (op.name) {
      case "quantize_per_tensor":
        return { x, scale: p.scale, zeroPoint, dtype: p.dtype };
      case "quantize_per_channel":
        return {
          x: new Tensor(x.data.slice(0, rows * c), [rows, c]),
          ...perChannel,
          axis: 1,
          dtype: p.dtype,
          floatQParams: false,
        };
      case "dequantize_per_tensor":
        return {
          q: new QuantizedTensor(codes8, [n], p.dtype, {
            qscheme: "per_tensor_affine",
            scale: p.scale,
            zeroPoint,
          }),
        };
      default:
        return {
          q: new QuantizedTensor(codes8.slice(0, rows * c), [rows, c], p.dtype, {
            qscheme: "per_channel_affine",
            scales: Float64Array.from(perChannel.scales),
            zeroPoints: Float64Array.from(perChannel.zeroPoints),
            axis: 1,
          }),
        };
    }
  });
}

const FAMILY_ARBS: Partial<Record<string, FamilyArb>> = {
  quantize: quantizeArgs,
  gemm: gemmArgs,
  conv: () => convArgs,
  unary: (op) => unaryArgs(op as UnaryOp),
  binary: () => binaryArgs,
  pool: poolArgs,
  cat: () => catArgs,
  channelwise: () => batchNormArgs,
  onnx: onnxArgs,
};

/** Asserts two results are the same bits (quantized tensors: codes, shape and qparams). */
export function assertSameResult(got: unknown, expected: unknown, what: string): void {
  if (expected instanceof QuantizedTensor) {
    assert.ok(got instanceof QuantizedTensor, `${what}: expected a QuantizedTensor`);
    assert.deepEqual(got.shape, expected.shape, `${what}: shape`);
    assert.deepEqual(got.qparams, expected.qparams, `${what}: qparams`);
    assert.equal(got.dtype, expected.dtype, `${what}: dtype`);
    for (let i = 0; i < expected.size; i++) {
      if (got.intRepr[i] !== expected.intRepr[i]) {
        assert.fail(
          `${what}: element ${i} is ${got.intRepr[i]}, the reference gives ${expected.intRepr[i]}`,
        );
      }
    }
    return;
  }
  if (expected instanceof Tensor) {
    assert.ok(got instanceof Tensor, `${what}: expected a Tensor`);
    assert.deepEqual(got.shape, expected.shape, `${what}: shape`);
    for (let i = 0; i < expected.size; i++) {
      if (float32Bits(got.data[i]) !== float32Bits(expected.data[i])) {
        assert.fail(
          `${what}: element ${i} is ${got.data[i]}, the reference gives ${expected.data[i]}`,
        );
      }
    }
    return;
  }
  assert.deepEqual(got, expected, what);
}

/** The argument generator of an op's family (undefined for a family without one). */
export function familyArb(op: AnyOp): fc.Arbitrary<unknown> | undefined {
  return FAMILY_ARBS[op.family]?.(op);
}

/**
 * The property "op on `set` ≡ op on the reference" of every registered op that has kernels, a
 * property spec and a family generator.
 */
export function registeredKernelProperties(set: KernelSet): PropertyCheck[] {
  const engine: Engine = set.numerics; // a numerics name is an engine name too
  const checks: PropertyCheck[] = [];
  for (const op of OPS) {
    const arb = familyArb(op);
    if (op.kernel === undefined || op.properties === undefined || arb === undefined) continue;
    checks.push({
      name: `${op.name} on the kernels equals the reference (${op.family} family generator)`,
      op: op.name,
      path: set.name,
      runsFactor: op.properties.runsFactor,
      property: () =>
        fc.property(arb, (args) => {
          if (!op.kernel!.supports(set, args, engine)) return;
          let expected: unknown;
          try {
            expected = runReference(op, args, engine);
          } catch (e) {
            const refused = e as Error;
            assert.throws(
              () => runKernel(op, set, args, engine),
              (k: unknown) => k instanceof Error && k.constructor === refused.constructor,
              `${op.name}: the reference refuses (${refused.message}); the kernel must too`,
            );
            return;
          }
          assertSameResult(runKernel(op, set, args, engine), expected, `${set.name} ${op.name}`);
        }),
    });
  }
  return checks;
}
