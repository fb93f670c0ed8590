/**
 * The fp32 baselines of the non-GEMM ops — add, mul, max/avg/adaptive-avg pooling on NHWC,
 * relu, relu6, hardswish, sigmoid, tanh, channel concatenation — against which whole int8 models
 * are timed. Add, mul,
 * the clamps, hardswish and pooling run on generated SIMD kernels (`fp32/generate.ts`, pooling
 * through the same indirection tables as the quint8 kernels); sigmoid and tanh are scalar
 * (`Math.exp`, `Math.tanh`, rounded to float32) and cat copies. Every op is plain float32 arithmetic with a
 * documented order, so a scalar loop reproduces it bit for bit.
 * @module
 */
import { f32 } from "../reference/float32.ts";
import type { AvgPool2dArgs, MaxPool2dArgs, NhwcTensor, Pair } from "./kernel_set.ts";
import type { KernelRuntime } from "./runtime.ts";
import { BoundedCache, readFloats, scratchWithSlack, stage, stageTable } from "./staging.ts";
import { buildFp32Ops, type Fp32OpsExports } from "./fp32/generate.ts";
import { checkNhwc, checkPair, checkWindow } from "./pool/qpool.ts";
import {
  adaptiveWindows,
  avgPoolWindows,
  f32Word,
  maxPoolWindows,
  type PoolWindows,
  tapTable,
} from "./pool/windows.ts";

/** `f32(1 / (1 + e^−x))`, evaluated in double: the fp32 sigmoid of the baseline. */
export function fp32Sigmoid(x: number): number {
  return f32(1 / (1 + Math.exp(-x)));
}

/** `f32(tanh(x))`, evaluated in double: the fp32 tanh of the baseline. */
export function fp32Tanh(x: number): number {
  return f32(Math.tanh(x));
}

/** fp32 non-GEMM ops on NHWC float tensors. */
export class Fp32Ops {
  private readonly windows = new BoundedCache<PoolWindows>();

  constructor(private readonly runtime: KernelRuntime) {}

  private kernels(): Fp32OpsExports {
    return this.runtime.instance<Fp32OpsExports>("fp32_ops", buildFp32Ops);
  }

  private binary(
    a: Float32Array,
    b: Float32Array,
    run: (k: Fp32OpsExports, pa: number, pb: number, out: number, n: number) => void,
  ): Float32Array {
    if (!(a instanceof Float32Array)) throw new TypeError(`a: expected a Float32Array`);
    if (!(b instanceof Float32Array)) throw new TypeError(`b: expected a Float32Array`);
    if (a.length !== b.length) {
      throw new RangeError(`b: ${b.length} elements, a has ${a.length} (no broadcasting)`);
    }
    const rt = this.runtime;
    const pa = stage(rt, "f32ops.a", a).ptr;
    const pb = stage(rt, "f32ops.b", b).ptr;
    const out = scratchWithSlack(rt, "f32ops.out", a.length * 4).ptr;
    run(this.kernels(), pa, pb, out, Math.ceil(a.length / 4) * 4);
    return readFloats(rt, out, a.length);
  }

  private unary(
    x: Float32Array,
    run: (k: Fp32OpsExports, px: number, out: number, n: number) => void,
  ): Float32Array {
    if (!(x instanceof Float32Array)) throw new TypeError(`x: expected a Float32Array`);
    const rt = this.runtime;
    const px = stage(rt, "f32ops.a", x).ptr;
    const out = scratchWithSlack(rt, "f32ops.out", x.length * 4).ptr;
    run(this.kernels(), px, out, Math.ceil(x.length / 4) * 4);
    return readFloats(rt, out, x.length);
  }

  /** `a + b` (then `max(·, 0)` with `relu`, NaN kept), element by element. */
  add(a: Float32Array, b: Float32Array, relu = false): Float32Array {
    return this.binary(a, b, (k, pa, pb, out, n) => k.add(pa, pb, out, n, relu ? 0 : -Infinity));
  }

  /** `a · b`, element by element. */
  mul(a: Float32Array, b: Float32Array): Float32Array {
    return this.binary(a, b, (k, pa, pb, out, n) => k.mul(pa, pb, out, n));
  }

  /** `x < 0 ? 0 : x`. */
  relu(x: Float32Array): Float32Array {
    return this.unary(x, (k, px, out, n) => k.clamp(px, out, n, 0, Infinity));
  }

  /** `min(max(x, 0), 6)` (NaN kept). */
  relu6(x: Float32Array): Float32Array {
    return this.unary(x, (k, px, out, n) => k.clamp(px, out, n, 0, 6));
  }

  /** `f32(f32(x·clamp(f32(x + 3), 0, 6)) / 6)`. */
  hardswish(x: Float32Array): Float32Array {
    return this.unary(x, (k, px, out, n) => k.hardswish(px, out, n));
  }

  /** `fp32Sigmoid` of every element. */
  sigmoid(x: Float32Array): Float32Array {
    return x.map(fp32Sigmoid);
  }

  /** `fp32Tanh` of every element. */
  tanh(x: Float32Array): Float32Array {
    return x.map(fp32Tanh);
  }

  /** Concatenation along the channels of NHWC tensors with equal N, H, W (copies). */
  catChannelsNhwc(xs: readonly NhwcTensor<Float32Array>[]): NhwcTensor<Float32Array> {
    if (!Array.isArray(xs) || xs.length === 0) {
      throw new RangeError(`xs: expected at least one tensor, got ${xs?.length ?? xs}`);
    }
    const [n, h, w] = checkNhwc("xs[0]", xs[0]);
    xs.forEach((x, i) => {
      const [ni, hi, wi] = checkNhwc(`xs[${i}]`, x);
      if (ni !== n || hi !== h || wi !== w) {
        throw new RangeError(
          `xs[${i}]: shape [${x.shape}] differs from xs[0]'s [${xs[0].shape}] outside the channels`,
        );
      }
    });
    const cOut = xs.reduce((sum, x) => sum + x.shape[3], 0);
    const out = new Float32Array(n * h * w * cOut);
    let cBase = 0;
    for (const x of xs) {
      const c = x.shape[3];
      for (let p = 0; p < n * h * w; p++) {
        out.set(x.data.subarray(p * c, (p + 1) * c), p * cOut + cBase);
      }
      cBase += c;
    }
    return { data: out, shape: [n, h, w, cOut] };
  }

  /** `max_pool2d`: the largest value over the taps inside the input (−Infinity if none). */
  maxPool2dNhwc(x: NhwcTensor<Float32Array>, args: MaxPool2dArgs): NhwcTensor<Float32Array> {
    const [, h, w, c] = checkNhwc("x", x);
    checkWindow(args);
    checkPair("dilation", args.dilation, 1);
    const windows = this.windows.get(
      `max|${h}|${w}|${JSON.stringify(args)}`,
      () => maxPoolWindows(h, w, args, false),
    );
    if (windows.outH < 1 || windows.outW < 1) {
      throw new RangeError(
        `x: input ${h}x${w} gives an output size of ${windows.outH}x${windows.outW}, below 1`,
      );
    }
    return this.run(x, windows, tapTable(windows, c * 4), false);
  }

  /**
   * `avg_pool2d`: the sum of the taps inside the input, in window order, divided by
   * `divisorOverride`, or the window clipped to the padded input (`countIncludePad`), or the
   * number of taps.
   */
  avgPool2dNhwc(x: NhwcTensor<Float32Array>, args: AvgPool2dArgs): NhwcTensor<Float32Array> {
    const [, h, w, c] = checkNhwc("x", x);
    checkWindow(args);
    const divisor = args.divisorOverride;
    if (divisor !== null && (!Number.isInteger(divisor) || divisor === 0)) {
      throw new RangeError(`divisorOverride: must be a nonzero integer or null, got ${divisor}`);
    }
    const windows = this.windows.get(
      `avg|${h}|${w}|${JSON.stringify(args)}`,
      () => avgPoolWindows(h, w, args),
    );
    if (windows.outH < 0 || windows.outW < 0) {
      throw new RangeError(
        `x: input ${h}x${w} gives an output size of ${windows.outH}x${windows.outW}`,
      );
    }
    const table = tapTable(
      windows,
      c * 4,
      (p, count) => f32Word(divisor ?? (args.countIncludePad ? windows.poolSizes[p] : count)),
    );
    return this.run(x, windows, table, true);
  }

  /** `adaptive_avg_pool2d`: each adaptive window's sum divided by its tap count. */
  adaptiveAvgPool2dNhwc(
    x: NhwcTensor<Float32Array>,
    outputSize: Pair,
  ): NhwcTensor<Float32Array> {
    const [, h, w, c] = checkNhwc("x", x);
    checkPair("outputSize", outputSize, 1);
    const windows = this.windows.get(
      `adaptive|${h}|${w}|${outputSize[0]}|${outputSize[1]}`,
      () => adaptiveWindows(h, w, outputSize),
    );
    return this.run(x, windows, tapTable(windows, c * 4, (_, count) => f32Word(count)), true);
  }

  private run(
    x: NhwcTensor<Float32Array>,
    windows: PoolWindows,
    table: Int32Array,
    average: boolean,
  ): NhwcTensor<Float32Array> {
    const [n, h, w, c] = x.shape;
    const { outH, outW } = windows;
    const npix = outH * outW;
    const rt = this.runtime;
    const src = stage(rt, "f32pool.x", x.data).ptr;
    const out = scratchWithSlack(rt, "f32pool.out", n * npix * c * 4).ptr;
    const taps = stageTable(rt, "f32pool.taps", table).ptr;
    const k = this.kernels();
    for (let image = 0; image < n; image++) {
      const xi = src + image * h * w * c * 4;
      const oi = out + image * npix * c * 4;
      if (average) k.avg_pool(xi, taps, oi, npix, c);
      else k.max_pool(xi, taps, oi, npix, c);
    }
    return { data: readFloats(rt, out, n * npix * c), shape: [n, outH, outW, c] };
  }
}
