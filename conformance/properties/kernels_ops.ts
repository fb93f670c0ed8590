/**
 * Properties of a kernel set's elementwise, pooling, activation and cat kernels: each equals the
 * reference of the set's engine (`kernelEngine`) bit for bit — over sizes around ATen's 64-element
 * vector split and the kernels' 16-lane blocks, random and extreme qparams (tiny, subnormal and
 * huge scales whose products overflow, zero points at both ends, output scales that make ties),
 * channel counts around every block size, and pooling geometries (kernel, stride, padding,
 * dilation, ceil mode, count_include_pad, divisor_override, adaptive sizes that divide or not).
 * Where the reference refuses an input (QNNPACK's scale ratios, a 1×1 QNNPACK window, an empty
 * output), the kernel must refuse it too, with the same error class.
 * @module
 */
import fc from "fast-check";
import {
  assertSameCodes,
  codeModeArb,
  codes,
  extremeScaleArb,
  quint8,
  zeroPointArb,
} from "./codes.ts";
import { poolGeometryArb } from "./pool_geometry.ts";
import type { PropertyCheck } from "./property.ts";
import {
  kernelEngine,
  type KernelSet,
  type NhwcTensor,
  type QParams8,
} from "../../kernels/kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "../../kernels/qconv.ts";
import { quantizedCat } from "../../reference/quantized_elementwise.ts";
import {
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../../reference/quantized_pool.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";

/** A pooling input `[N, H, W, C]` whose window fits (mostly), with a geometry. */
const poolArb = fc.tuple(
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
const adaptiveArb = fc.record({
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

/** Concatenation inputs: channel counts around the 8- and 16-channel blocks, some copied. */
const catArb = fc.record({
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

/** Runs a reference NCHW op on an NHWC input and returns the NHWC output codes. */
function onNchw(x: NhwcTensor, qp: QParams8, op: (q: QuantizedTensor) => QuantizedTensor) {
  const t = nhwcToNchw(x);
  const y = op(quint8(t.data, t.shape, qp));
  return nchwToNhwc(y.intRepr as Uint8Array, y.shape);
}

/** The properties of one kernel set's non-GEMM quint8 kernels. */
export function kernelOpsProperties(kernels: KernelSet): PropertyCheck[] {
  const path = kernels.name;
  const engine = kernelEngine(kernels.numerics);
  const tag = `(${engine})`;
  return [
    {
      name: "max_pool2d equals the reference (kernel, stride, padding, dilation, ceil mode)",
      op: `quantized_max_pool2d ${tag}`,
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(poolArb, (p) => {
          const args = {
            kernelSize: p.kernel,
            stride: p.stride,
            padding: p.padding,
            dilation: p.dilation,
            ceilMode: p.ceilMode,
          };
          assertSameCodes(
            () => kernels.maxPool2dNhwc(p.x, args).data,
            () =>
              onNchw(p.x, p.qparams, (q) =>
                quantizedMaxPool2d(q, { engine, channelsLast: true, ...args })).data,
            `${path} max_pool2d`,
          );
        }),
    },
    {
      name: "avg_pool2d equals the reference (padding, ceil mode, count_include_pad, divisor)",
      op: `quantized_avg_pool2d ${tag}`,
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(poolArb, (p) => {
          const args = {
            kernelSize: p.kernel,
            stride: p.stride,
            padding: p.padding,
            ceilMode: p.ceilMode,
            countIncludePad: p.countIncludePad,
            divisorOverride: p.divisor,
          };
          assertSameCodes(
            () => kernels.avgPool2dNhwc(p.x, p.qparams, args).data,
            () =>
              onNchw(p.x, p.qparams, (q) =>
                quantizedAvgPool2d(q, { engine, channelsLast: true, ...args })).data,
            `${path} avg_pool2d`,
          );
        }),
    },
    {
      name: "adaptive_avg_pool2d equals the reference (output sizes dividing the input or not)",
      op: `quantized_adaptive_avg_pool2d ${tag}`,
      path,
      property: () =>
        fc.property(adaptiveArb, ({ x, outputSize, qparams }) => {
          assertSameCodes(
            () => kernels.adaptiveAvgPool2dNhwc(x, qparams, outputSize).data,
            () =>
              onNchw(x, qparams, (q) =>
                quantizedAdaptiveAvgPool2d(q, { engine, channelsLast: true, outputSize })).data,
            `${path} adaptive_avg_pool2d`,
          );
        }),
    },
    {
      name:
        "cat along NHWC channels equals the reference (copies, requantization, 8-channel split)",
      op: "quantized_cat",
      path,
      property: () =>
        fc.property(catArb, ({ xs, output }) => {
          assertSameCodes(
            () => kernels.catChannelsNhwc(xs, output).data,
            () => {
              const y = quantizedCat(
                xs.map(({ tensor, qparams }) => {
                  const t = nhwcToNchw(tensor);
                  return quint8(t.data, t.shape, qparams);
                }),
                {
                  dim: 1,
                  outputScale: output.scale,
                  outputZeroPoint: output.zeroPoint,
                  channelsLast: true,
                },
              );
              return nchwToNhwc(y.intRepr as Uint8Array, y.shape).data;
            },
            `${path} cat`,
          );
        }),
    },
  ];
}
