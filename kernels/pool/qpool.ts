/**
 * quint8 NHWC pooling on the generated kernels, choosing the kernel PyTorch 1.13 runs on a
 * channels-last quint8 input (`reference/quantized_pool.ts` `poolKernel`): under the qnnpack
 * numerics QNNPACK's operators (no ceil mode; for adaptive pooling an output size dividing the
 * input size and differing from it), otherwise ATen's channels-last kernels.
 * @module
 */
import type { Numerics } from "../../reference/engine.ts";
import { f32 } from "../../reference/float32.ts";
import { qnnpackAvgPoolScale } from "../../reference/quantized_pool.ts";
import type {
  AvgPool2dArgs,
  MaxPool2dArgs,
  NhwcTensor,
  Pair,
  PoolWindowArgs,
  QParams8,
} from "../kernel_set.ts";
import type { KernelRuntime } from "../runtime.ts";
import { BoundedCache, readBytes, scratchWithSlack, stage, stageTable } from "../staging.ts";
import { checkQParams8 } from "../elementwise/qelementwise.ts";
import { buildPool, type PoolExports } from "./generate.ts";
import {
  adaptiveWindows,
  avgPoolWindows,
  f32Word,
  maxPoolWindows,
  type PoolWindows,
  tapTable,
} from "./windows.ts";

/** The two pooling kernels a channels-last quint8 tensor can take. */
export type NhwcPoolPath = "qnnpack" | "nhwc";

/** Checks an NHWC tensor's shape and data; returns `[N, H, W, C]`. */
export function checkNhwc<T extends { length: number }>(
  name: string,
  x: NhwcTensor<T>,
): readonly [number, number, number, number] {
  const s = x.shape;
  if (!Array.isArray(s) || s.length !== 4 || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`${name}: expected an NHWC shape [N, H, W, C], got [${s}]`);
  }
  if (s[1] < 1 || s[2] < 1 || s[3] < 1) {
    throw new RangeError(`${name}: channel and spatial dimensions must be >= 1, got [${s}]`);
  }
  if (x.data.length !== s[0] * s[1] * s[2] * s[3]) {
    throw new RangeError(`${name}: ${x.data.length} values for shape [${s}]`);
  }
  return [s[0], s[1], s[2], s[3]];
}

/** Checks a pair of integers `>= min`. */
export function checkPair(name: string, v: Pair, min: number): void {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= min)) {
    throw new RangeError(`${name}: expected two integers >= ${min}, got ${JSON.stringify(v)}`);
  }
}

/** Checks kernel, stride and padding (at most half the kernel), as the reference. */
export function checkWindow(args: { kernelSize: Pair; stride: Pair; padding: Pair }): void {
  checkPair("kernelSize", args.kernelSize, 1);
  checkPair("stride", args.stride, 1);
  checkPair("padding", args.padding, 0);
  const [kh, kw] = args.kernelSize;
  const [ph, pw] = args.padding;
  if (ph > Math.floor(kh / 2) || pw > Math.floor(kw / 2)) {
    throw new RangeError(
      `padding: [${ph}, ${pw}] must be at most half the kernel size [${kh}, ${kw}]`,
    );
  }
}

/** Pooling of NHWC quint8 tensors in the numerics of one family. */
export class QPool {
  private readonly windows = new BoundedCache<PoolWindows>();

  /**
   * @param numerics `qnnpack` (PyTorch's qnnpack engine) or `fbgemm` (ATen's kernels)
   */
  constructor(
    private readonly runtime: KernelRuntime,
    readonly numerics: Numerics,
  ) {}

  /** The kernel names this class runs. */
  get kernelNames(): string[] {
    return ["qu8_maxpool__wasmsimd_indirect", "qu8_avgpool__wasmsimd_indirect"];
  }

  private kernels(): PoolExports {
    return this.runtime.instance<PoolExports>("pool", buildPool);
  }

  /** Pooling of an NHWC tensor (see KernelSet.pool2dNhwc). */
  pool2dNhwc(x: NhwcTensor, qparams: QParams8, window: PoolWindowArgs): NhwcTensor {
    if (window.kind === "max") return this.maxPool2dNhwc(x, window);
    if (window.kind === "avg") return this.avgPool2dNhwc(x, qparams, window);
    return this.adaptiveAvgPool2dNhwc(x, qparams, window.outputSize);
  }

  /** `max_pool2d`. */
  maxPool2dNhwc(x: NhwcTensor, args: MaxPool2dArgs): NhwcTensor {
    const [, h, w] = checkNhwc("x", x);
    checkWindow(args);
    checkPair("dilation", args.dilation, 1);
    const path: NhwcPoolPath = this.numerics === "qnnpack" && !args.ceilMode ? "qnnpack" : "nhwc";
    if (path === "qnnpack" && args.kernelSize[0] * args.kernelSize[1] === 1) {
      throw new RangeError(`kernelSize: QNNPACK refuses 1x1 max pooling ("meaningless")`);
    }
    const windows = this.windows.get(
      `max|${path}|${h}|${w}|${JSON.stringify(args)}`,
      () => maxPoolWindows(h, w, args, path === "qnnpack"),
    );
    if (windows.outH < 1 || windows.outW < 1) {
      throw new RangeError(
        `x: input ${h}x${w} gives an output size of ${windows.outH}x${windows.outW}, below 1`,
      );
    }
    return this.run(x, windows, tapTable(windows, x.shape[3]), false, 0);
  }

  /** `avg_pool2d`. */
  avgPool2dNhwc(x: NhwcTensor, qparams: QParams8, args: AvgPool2dArgs): NhwcTensor {
    const [, h, w] = checkNhwc("x", x);
    checkQParams8("x", qparams);
    checkWindow(args);
    const divisor = args.divisorOverride;
    if (divisor !== null && (!Number.isInteger(divisor) || divisor === 0)) {
      throw new RangeError(`divisorOverride: must be a nonzero integer or null, got ${divisor}`);
    }
    const path: NhwcPoolPath = this.numerics === "qnnpack" && !args.ceilMode ? "qnnpack" : "nhwc";
    const [kh, kw] = args.kernelSize;
    const windows = this.windows.get(
      `avg|${h}|${w}|${JSON.stringify(args)}`,
      () => avgPoolWindows(h, w, args),
    );
    // ATen's kernel accepts an empty output; QNNPACK checks for one.
    const least = path === "qnnpack" ? 1 : 0;
    if (windows.outH < least || windows.outW < least) {
      throw new RangeError(
        `x: input ${h}x${w} gives an output size of ${windows.outH}x${windows.outW}`,
      );
    }
    if (path === "qnnpack" && kh * kw === 1) {
      throw new RangeError(`kernelSize: QNNPACK refuses 1x1 average pooling ("meaningless")`);
    }
    const { scale, zeroPoint } = qparams;
    const qnnpackScale = f32Word(qnnpackAvgPoolScale(scale, kh * kw));
    // ATen: m = f32(f32(f32(s)/f32(s)) / divisor), the divisor per window.
    const unit = f32(f32(scale) / f32(scale));
    const table = tapTable(windows, x.shape[3], (p, size) => {
      if (path === "qnnpack") return qnnpackScale;
      const div = divisor ?? (args.countIncludePad ? windows.poolSizes[p] : size);
      return f32Word(f32(unit / div));
    });
    return this.run(x, windows, table, true, zeroPoint);
  }

  /** `adaptive_avg_pool2d`. */
  adaptiveAvgPool2dNhwc(x: NhwcTensor, qparams: QParams8, outputSize: Pair): NhwcTensor {
    const [, h, w] = checkNhwc("x", x);
    checkQParams8("x", qparams);
    checkPair("outputSize", outputSize, 1);
    const [oh, ow] = outputSize;
    const divisible = h % oh === 0 && w % ow === 0 && !(h === oh && w === ow);
    if (this.numerics === "qnnpack" && divisible) {
      // QNNPACK's average pooling with kernel = stride = input / output.
      const k: Pair = [h / oh, w / ow];
      return this.avgPool2dNhwc(x, qparams, {
        kernelSize: k,
        stride: k,
        padding: [0, 0],
        ceilMode: false,
        countIncludePad: true,
        divisorOverride: null,
      });
    }
    const windows = this.windows.get(
      `adaptive|${h}|${w}|${oh}|${ow}`,
      () => adaptiveWindows(h, w, outputSize),
    );
    // m = f32(1 / k) with k = kH·kW, the window's tap count.
    const table = tapTable(windows, x.shape[3], (_, size) => f32Word(f32(1 / size)));
    return this.run(x, windows, table, true, qparams.zeroPoint);
  }

  private run(
    x: NhwcTensor,
    windows: PoolWindows,
    table: Int32Array,
    average: boolean,
    zeroPoint: number,
  ): NhwcTensor {
    const [n, h, w, c] = x.shape;
    const { outH, outW } = windows;
    const npix = outH * outW;
    const rt = this.runtime;
    const src = stage(rt, "pool.x", x.data).ptr;
    const out = scratchWithSlack(rt, "pool.out", n * npix * c).ptr;
    const taps = stageTable(rt, "pool.taps", table).ptr;
    const k = this.kernels();
    for (let image = 0; image < n; image++) {
      const xi = src + image * h * w * c;
      const oi = out + image * npix * c;
      if (average) k.avg_pool(xi, taps, oi, npix, c, zeroPoint);
      else k.max_pool(xi, taps, oi, npix, c);
    }
    return { data: readBytes(rt, out, n * npix * c), shape: [n, outH, outW, c] };
  }
}
