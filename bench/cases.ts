/**
 * The variants timed for one shape: the fp32 baseline and, per kernel path, the static and the
 * dynamic int8 linear. Each is checked against the reference of its numerics before timing.
 * @module
 */
import type { Shape } from "./shapes.ts";
import { activationCodes, benchParams, randomSource } from "./random.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import { Fp32Linear } from "../kernels/fp32_linear.ts";
import type { KernelRuntime } from "../kernels/runtime.ts";
import type { Numerics } from "../reference/engine.ts";
import {
  type LinearWeight,
  quantizedLinearDynamic,
  REFERENCE_LINEAR,
} from "../reference/quantized_linear.ts";
import { Tensor } from "../reference/tensor.ts";

/** What a timed variant computes (`op`: one registered op, `bench --kernels`). */
export type BenchOp = "linear" | "linear_dynamic" | "conv2d" | "model" | "rnn" | "op";

/** A timed variant. */
export interface BenchCase {
  /** `fp32`, `<path> static`, `<path> dynamic`, … */
  readonly variant: string;
  readonly op: BenchOp;
  /** Runs it once (inputs prepared, weights packed); a peer engine may answer with a promise. */
  readonly run: () => unknown;
  /** The kernel it ran last. */
  kernel(): string;
}

/** A weight like a per-channel symmetric quantized layer: codes −127…127, bell-shaped. */
function weightFor(shape: Shape, rand: () => number): LinearWeight {
  const { n, k } = shape;
  const data = Int8Array.from({ length: n * k }, () => {
    const g = (rand() + rand() + rand() + rand() - 2) * 1.7; // ~N(0, 1)
    return Math.max(-127, Math.min(127, Math.round(g * 40)));
  });
  return {
    data,
    outFeatures: n,
    inFeatures: k,
    perChannel: true,
    scales: Float64Array.from({ length: n }, () => 0.002 + rand() * 0.01),
    zeroPoints: new Int32Array(n),
    bias: Float32Array.from({ length: n }, () => rand() - 0.5),
  };
}

/** The deterministic data of a linear shape: weight, float input, activation codes, qparams. */
export function linearBenchData(shape: Shape) {
  const { m, k, n } = shape;
  const rand = randomSource(m * 131 + k * 7 + n);
  const weight = weightFor(shape, rand);
  const xf = Float32Array.from({ length: m * k }, () => (rand() - 0.3) * 4);
  return { weight, xf, ...activationCodes(m * k, rand), params: benchParams(false) };
}

/** Builds, checks and returns every variant for a shape. */
export function buildCases(shape: Shape, sets: KernelSet[], runtime: KernelRuntime): BenchCase[] {
  const { m, k, n } = shape;
  const { weight, xf, fullRange, reduced, params } = linearBenchData(shape);

  const cases: BenchCase[] = [];
  // fp32 baseline on the dequantized weight.
  const fp32 = new Fp32Linear(runtime);
  const wf = Float32Array.from(weight.data, (v, i) => v * weight.scales[Math.floor(i / k)]);
  const packedF = fp32.pack(wf, n, k, weight.bias);
  cases.push({
    variant: "fp32",
    op: "linear",
    run: () => fp32.linear(xf, m, packedF),
    kernel: () => fp32.kernelName,
  });

  const expectedStatic = new Map<string, Uint8Array>();
  const referenceStatic = (numerics: Numerics, codes: Uint8Array, tag: string) => {
    const key = `${numerics}|${tag}`;
    if (!expectedStatic.has(key)) {
      expectedStatic.set(
        key,
        REFERENCE_LINEAR[numerics](codes, m, weight, params),
      );
    }
    return expectedStatic.get(key)!;
  };
  const expectedDynamic = new Map<string, Float32Array>();
  for (const kernels of sets) {
    const packed = kernels.packLinear(weight);
    const staticInputs: [string, Uint8Array][] = kernels.numerics === "fbgemm"
      ? [["full-range", fullRange], ["reduce_range", reduced]]
      : [["full-range", fullRange]];
    for (const [tag, codes] of staticInputs) {
      const got = kernels.linear(codes, m, packed, params);
      assertEqual(
        got,
        referenceStatic(kernels.numerics, codes, tag),
        `${kernels.name} static (${tag})`,
        shape,
      );
      const variant = kernels.numerics === "fbgemm"
        ? `${kernels.name} static ${tag}`
        : `${kernels.name} static`;
      let last = kernels.lastKernel;
      cases.push({
        variant,
        op: "linear",
        run: () => {
          kernels.linear(codes, m, packed, params);
          last = kernels.lastKernel;
        },
        kernel: () => last,
      });
    }
    const dynamicArgs = { reduceRange: kernels.numerics === "fbgemm", relu: false };
    if (!expectedDynamic.has(kernels.numerics)) {
      expectedDynamic.set(
        kernels.numerics,
        quantizedLinearDynamic(new Tensor(xf, [m, k]), weight, {
          engine: kernels.numerics,
          ...dynamicArgs,
        }).data,
      );
    }
    assertEqual(
      kernels.linearDynamic(xf, m, packed, dynamicArgs),
      expectedDynamic.get(kernels.numerics)!,
      `${kernels.name} dynamic`,
      shape,
    );
    let last = kernels.lastKernel;
    cases.push({
      variant: `${kernels.name} dynamic`,
      op: "linear_dynamic",
      run: () => {
        kernels.linearDynamic(xf, m, packed, dynamicArgs);
        last = kernels.lastKernel;
      },
      kernel: () => last,
    });
  }
  return cases;
}

function assertEqual(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  shape: Shape,
): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(got[i], expected[i])) {
      throw new Error(
        `${what} on ${shape.m}x${shape.k}x${shape.n} differs from the reference at ${i}: ${
          got[i]
        } vs ${expected[i]}`,
      );
    }
  }
}
