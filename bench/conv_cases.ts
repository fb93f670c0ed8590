/**
 * The variants timed for one conv layer: the fp32 conv baseline and, per kernel path, the int8
 * conv (NHWC, packed weights, fused requantization). Each int8 path is checked against the
 * reference conv of its numerics before it is timed.
 * @module
 */
import type { BenchCase } from "./cases.ts";
import type { ConvShape } from "./conv_shapes.ts";
import { activationCodes, benchParams, randomSource } from "./random.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import { Fp32Conv } from "../kernels/fp32_conv.ts";
import { Fp32Linear } from "../kernels/fp32_linear.ts";
import { nhwcToNchw } from "../kernels/qconv.ts";
import type { KernelRuntime } from "../kernels/runtime.ts";
import type { Numerics } from "../reference/engine.ts";
import {
  type Conv2dGeometry,
  type ConvWeight,
  REFERENCE_CONV2D,
} from "../reference/quantized_conv2d.ts";

/** A conv weight like a per-channel symmetric quantized layer (bell-shaped codes). */
function convWeightFor(s: ConvShape, rand: () => number): ConvWeight {
  const perGroup = s.cIn / s.groups;
  const size = s.cOut * perGroup * s.kernel * s.kernel;
  return {
    data: Int8Array.from({ length: size }, () => {
      const g = (rand() + rand() + rand() + rand() - 2) * 1.7;
      return Math.max(-127, Math.min(127, Math.round(g * 40)));
    }),
    outChannels: s.cOut,
    inChannelsPerGroup: perGroup,
    kernelH: s.kernel,
    kernelW: s.kernel,
    perChannel: true,
    scales: Float64Array.from({ length: s.cOut }, () => 0.002 + rand() * 0.01),
    zeroPoints: new Int32Array(s.cOut),
    bias: Float32Array.from({ length: s.cOut }, () => rand() - 0.5),
  };
}

/** The deterministic data of a conv layer: weight, geometry, NHWC activation codes, qparams. */
export function convBenchData(s: ConvShape) {
  const rand = randomSource(s.h * 977 + s.cIn * 31 + s.cOut * 7 + s.kernel + s.groups);
  const weight = convWeightFor(s, rand);
  const geometry: Conv2dGeometry = {
    stride: [s.stride, s.stride],
    padding: [s.padding, s.padding],
    dilation: [1, 1],
    groups: s.groups,
  };
  const nhwcShape = [1, s.h, s.w, s.cIn] as const;
  const codes = activationCodes(s.h * s.w * s.cIn, rand);
  return { weight, geometry, nhwcShape, ...codes, params: benchParams(true) };
}

/** Builds, checks and returns every variant for a conv layer. */
export function buildConvCases(
  s: ConvShape,
  sets: KernelSet[],
  runtime: KernelRuntime,
): BenchCase[] {
  const { weight, geometry, nhwcShape, fullRange, reduced, params } = convBenchData(s);

  const cases: BenchCase[] = [];
  const fp32 = new Fp32Conv(runtime, new Fp32Linear(runtime));
  const wf = Float32Array.from(
    weight.data,
    (v, i) => v * weight.scales[Math.floor(i / (weight.data.length / s.cOut))],
  );
  const packedF = fp32.pack(
    wf,
    [s.cOut, s.cIn / s.groups, s.kernel, s.kernel],
    weight.bias,
    geometry,
  );
  const xf = Float32Array.from(fullRange, (c) => (c - 64) * 0.02);
  cases.push({
    variant: "fp32",
    op: "conv2d",
    run: () => fp32.conv2dNhwc({ data: xf, shape: nhwcShape }, packedF),
    kernel: () => packedF.depthwise ? "f32_dwconv" : "f32_im2col+gemm",
  });

  const expected = new Map<string, Uint8Array>();
  const reference = (numerics: Numerics, codes: Uint8Array, tag: string) => {
    const key = `${numerics}|${tag}`;
    if (!expected.has(key)) {
      const nchw = nhwcToNchw({ data: codes, shape: nhwcShape });
      expected.set(
        key,
        REFERENCE_CONV2D[numerics](nchw.data, nchw.shape, weight, { ...geometry, ...params }),
      );
    }
    return expected.get(key)!;
  };
  for (const kernels of sets) {
    const packed = kernels.packConv2d(weight, geometry);
    const inputs: [string, Uint8Array][] = kernels.numerics === "fbgemm"
      ? [["full-range", fullRange], ["reduce_range", reduced]]
      : [["full-range", fullRange]];
    for (const [tag, codes] of inputs) {
      const x = { data: codes, shape: nhwcShape };
      const got = kernels.conv2dNhwc(x, packed, params);
      const gotNchw = nhwcToNchw(got).data;
      const want = reference(kernels.numerics, codes, tag);
      const bad = want.findIndex((v, i) => v !== gotNchw[i]);
      if (bad >= 0 || got.data.length !== want.length) {
        throw new Error(
          `${kernels.name} conv ${s.model} differs from the reference at ${bad}: ${
            gotNchw[bad]
          } vs ${want[bad]}`,
        );
      }
      const variant = kernels.numerics === "fbgemm" ? `${kernels.name} ${tag}` : `${kernels.name}`;
      let last = kernels.lastKernel;
      cases.push({
        variant,
        op: "conv2d",
        run: () => {
          kernels.conv2dNhwc(x, packed, params);
          last = kernels.lastKernel;
        },
        kernel: () => last,
      });
    }
  }
  return cases;
}
