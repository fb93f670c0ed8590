/**
 * Float pooling (`F.max_pool2d`, `F.avg_pool2d`, `F.adaptive_avg_pool2d`) on NCHW (or CHW)
 * data, with gradients recorded on an active `GradTape`. Max pooling is exact; the averages
 * add in float32 in row order within each window and divide once (PyTorch's CPU kernels'
 * formulas, not checked bit for bit here).
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { torchSumFloat32 } from "../../reference/torch_sum.ts";
import { recordOp } from "../autograd.ts";
import { checkInt, type IntPair, pair, show } from "../_util.ts";
import { checkTensor, showShape } from "./_shape.ts";

const f32 = Math.fround;

/**
 * The output size of one pooling dimension (aten/src/ATen/native/Pool.h
 * `pooling_output_shape`).
 */
export function poolOutputSize(
  input: number,
  kernel: number,
  options: { stride: number; padding: number; dilation: number; ceilMode: boolean },
): number {
  const { stride, padding, dilation, ceilMode } = options;
  let out = Math.floor(
    (input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride,
  ) + 1;
  if (ceilMode && (out - 1) * stride >= input + padding) out--;
  return out;
}

/** Options of `maxPool2d`. */
export interface MaxPool2dOptions {
  /** Window size. */
  kernelSize: IntPair;
  /** Stride (default: the kernel size). */
  stride?: IntPair | null;
  /** Implicit −∞ padding on both sides (at most half the kernel; default 0). */
  padding?: IntPair;
  /** Dilation (default 1). */
  dilation?: IntPair;
  /** Use ceil instead of floor for the output size (default false). */
  ceilMode?: boolean;
}

/** Options of `avgPool2d`. */
export interface AvgPool2dOptions {
  /** Window size. */
  kernelSize: IntPair;
  /** Stride (default: the kernel size). */
  stride?: IntPair | null;
  /** Implicit zero padding on both sides (at most half the kernel; default 0). */
  padding?: IntPair;
  /** Use ceil instead of floor for the output size (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size (default none). */
  divisorOverride?: number | null;
}

/** The normalised geometry of a 2-D pooling. */
export interface PoolGeometry {
  /** Batch size (1 for a CHW input). */
  n: number;
  /** Channels. */
  c: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Output height. */
  oh: number;
  /** Output width. */
  ow: number;
  /** Window `[kH, kW]`. */
  kernel: [number, number];
  /** Stride `[sH, sW]`. */
  stride: [number, number];
  /** Padding `[pH, pW]`. */
  padding: [number, number];
  /** Dilation `[dH, dW]`. */
  dilation: [number, number];
  /** The output shape (rank of the input). */
  outShape: number[];
}

/**
 * Checks and normalises a pooling's options for an input shape.
 * @throws {RangeError} for a bad rank, padding above half the kernel, or an empty output.
 */
export function poolGeometry(
  op: string,
  shape: readonly number[],
  o: {
    kernelSize: IntPair;
    stride?: IntPair | null;
    padding?: IntPair;
    dilation?: IntPair;
    ceilMode?: boolean;
  },
): PoolGeometry {
  if (shape.length !== 3 && shape.length !== 4) {
    throw new RangeError(`x: ${op} expects a 3D or 4D input, got ${showShape(shape)}`);
  }
  const [n, c, h, w] = shape.length === 4 ? shape : [1, ...shape];
  const kernel = pair("kernelSize", o.kernelSize, 1);
  const stride = o.stride === undefined || o.stride === null ||
      (Array.isArray(o.stride) && o.stride.length === 0)
    ? kernel
    : pair("stride", o.stride, 1);
  const padding = pair("padding", o.padding ?? 0, 0);
  const dilation = pair("dilation", o.dilation ?? 1, 1);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new RangeError(
      `padding: pad should be at most half of kernel size, but got pad=(${padding}) and ` +
        `kernel_size=(${kernel})`,
    );
  }
  const ceilMode = o.ceilMode ?? false;
  const oh = poolOutputSize(h, kernel[0], {
    stride: stride[0],
    padding: padding[0],
    dilation: dilation[0],
    ceilMode,
  });
  const ow = poolOutputSize(w, kernel[1], {
    stride: stride[1],
    padding: padding[1],
    dilation: dilation[1],
    ceilMode,
  });
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `x: Given input size ${showShape(shape)}, the calculated output size (${oh}x${ow}) is ` +
        `too small`,
    );
  }
  const outShape = [...shape.slice(0, -2), oh, ow];
  return { n, c, h, w, oh, ow, kernel, stride, padding, dilation, outShape };
}

/**
 * `F.max_pool2d` (NCHW or CHW). Padding never wins; NaN propagates (PyTorch's
 * `val > max || isnan(val)`); the gradient goes to the first maximum of each window.
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  checkTensor("x", x);
  const g = poolGeometry("max_pool2d", x.shape, options);
  const out = new Float32Array(g.n * g.c * g.oh * g.ow);
  const argmax = new Int32Array(out.length).fill(-1);
  const xd = x.data;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * g.h * g.w;
    for (let y = 0; y < g.oh; y++) {
      for (let xo = 0; xo < g.ow; xo++) {
        let max = -Infinity;
        let at = -1;
        for (let i = 0; i < g.kernel[0]; i++) {
          const iy = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
          if (iy < 0 || iy >= g.h) continue;
          for (let j = 0; j < g.kernel[1]; j++) {
            const ix = xo * g.stride[1] - g.padding[1] + j * g.dilation[1];
            if (ix < 0 || ix >= g.w) continue;
            const v = xd[base + iy * g.w + ix];
            if (at < 0) at = base + iy * g.w + ix; // PyTorch starts at the first tap
            if (v > max || Number.isNaN(v)) {
              max = v;
              at = base + iy * g.w + ix;
            }
          }
        }
        const oi = (plane * g.oh + y) * g.ow + xo;
        out[oi] = max;
        argmax[oi] = at;
      }
    }
  }
  const y = new Tensor(out, g.outShape);
  recordOp([x], y, (gy) => {
    const gx = new Float64Array(x.size);
    for (let i = 0; i < gy.length; i++) if (argmax[i] >= 0) gx[argmax[i]] += gy[i];
    return [gx];
  });
  return y;
}

/**
 * `F.avg_pool2d` (NCHW or CHW): the window clipped to the padded input for the
 * `count_include_pad` divisor and to the input for the sum; the sum is float32 in row order,
 * then `f32(sum / divisor)`.
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  checkTensor("x", x);
  const g = poolGeometry("avg_pool2d", x.shape, options);
  const countIncludePad = options.countIncludePad ?? true;
  const divisorOverride = options.divisorOverride ?? null;
  if (divisorOverride !== null) checkInt("divisorOverride", divisorOverride, 1);
  const out = new Float32Array(g.n * g.c * g.oh * g.ow);
  const windows: [number, number, number, number, number][] = []; // h0, h1, w0, w1, divisor
  const xd = x.data;
  for (let y = 0; y < g.oh; y++) {
    for (let xo = 0; xo < g.ow; xo++) {
      let h0 = y * g.stride[0] - g.padding[0];
      let w0 = xo * g.stride[1] - g.padding[1];
      let h1 = Math.min(h0 + g.kernel[0], g.h + g.padding[0]);
      let w1 = Math.min(w0 + g.kernel[1], g.w + g.padding[1]);
      const poolSize = (h1 - h0) * (w1 - w0);
      h0 = Math.max(h0, 0);
      w0 = Math.max(w0, 0);
      h1 = Math.min(h1, g.h);
      w1 = Math.min(w1, g.w);
      const divisor = divisorOverride ?? (countIncludePad ? poolSize : (h1 - h0) * (w1 - w0));
      windows.push([h0, h1, w0, w1, divisor]);
    }
  }
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * g.h * g.w;
    windows.forEach(([h0, h1, w0, w1, divisor], k) => {
      if (h0 >= h1 || w0 >= w1) return; // stays 0, as PyTorch
      let sum = 0;
      for (let iy = h0; iy < h1; iy++) {
        for (let ix = w0; ix < w1; ix++) sum = f32(sum + xd[base + iy * g.w + ix]);
      }
      out[plane * g.oh * g.ow + k] = f32(sum / divisor) + 0; // + 0: −0 becomes +0, as PyTorch
    });
  }
  const y = new Tensor(out, g.outShape);
  recordOp([x], y, (gy) => {
    const gx = new Float64Array(x.size);
    for (let plane = 0; plane < g.n * g.c; plane++) {
      const base = plane * g.h * g.w;
      windows.forEach(([h0, h1, w0, w1, divisor], k) => {
        const share = gy[plane * g.oh * g.ow + k] / divisor;
        for (let iy = h0; iy < h1; iy++) {
          for (let ix = w0; ix < w1; ix++) gx[base + iy * g.w + ix] += share;
        }
      });
    }
    return [gx];
  });
  return y;
}

/** The first input index of adaptive window `index` (`floor(f32(index·in) / out)`). */
export function adaptiveStart(index: number, outSize: number, inSize: number): number {
  return Math.floor(f32(f32(index * inSize) / outSize));
}

/** One past the last input index of adaptive window `index` (`ceil(f32((index+1)·in) / out)`). */
export function adaptiveEnd(index: number, outSize: number, inSize: number): number {
  return Math.ceil(f32(f32((index + 1) * inSize) / outSize));
}

/**
 * `F.adaptive_avg_pool2d` (NCHW or CHW) to `outputSize` (`null` keeps that dimension). Windows
 * `[adaptiveStart, adaptiveEnd)`; the sum is float32 in row order, then
 * `f32(f32(sum / kh) / kw)`. A 1×1 output is `x.mean((-1, -2))` as in PyTorch: its `sum` order
 * (`torchSumFloat32`), then `f32(sum / (H·W))`.
 */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: number | readonly [number | null, number | null],
): Tensor {
  checkTensor("x", x);
  if (x.shape.length !== 3 && x.shape.length !== 4) {
    throw new RangeError(
      `x: adaptive_avg_pool2d expects a 3D or 4D input, got ${showShape(x.shape)}`,
    );
  }
  const [n, c, h, w] = x.shape.length === 4 ? x.shape : [1, ...x.shape];
  const sizes = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(sizes) || sizes.length !== 2) {
    throw new RangeError(`outputSize: expected an integer or a pair, got ${show(outputSize)}`);
  }
  const oh = checkInt("outputSize[0]", sizes[0] ?? h, 1);
  const ow = checkInt("outputSize[1]", sizes[1] ?? w, 1);
  const out = new Float32Array(n * c * oh * ow);
  const xd = x.data;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    if (oh === 1 && ow === 1) {
      out[plane] = f32(torchSumFloat32(xd.subarray(base, base + h * w)) / (h * w));
      continue;
    }
    for (let y = 0; y < oh; y++) {
      const h0 = adaptiveStart(y, oh, h);
      const h1 = adaptiveEnd(y, oh, h);
      for (let xo = 0; xo < ow; xo++) {
        const w0 = adaptiveStart(xo, ow, w);
        const w1 = adaptiveEnd(xo, ow, w);
        let sum = 0;
        for (let iy = h0; iy < h1; iy++) {
          for (let ix = w0; ix < w1; ix++) sum = f32(sum + xd[base + iy * w + ix]);
        }
        out[(plane * oh + y) * ow + xo] = f32(f32(sum / (h1 - h0)) / (w1 - w0));
      }
    }
  }
  const y = new Tensor(out, [...x.shape.slice(0, -2), oh, ow]);
  recordOp([x], y, (gy) => {
    const gx = new Float64Array(x.size);
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let yy = 0; yy < oh; yy++) {
        const h0 = adaptiveStart(yy, oh, h);
        const h1 = adaptiveEnd(yy, oh, h);
        for (let xo = 0; xo < ow; xo++) {
          const w0 = adaptiveStart(xo, ow, w);
          const w1 = adaptiveEnd(xo, ow, w);
          const share = gy[(plane * oh + yy) * ow + xo] / ((h1 - h0) * (w1 - w0));
          for (let iy = h0; iy < h1; iy++) {
            for (let ix = w0; ix < w1; ix++) gx[base + iy * w + ix] += share;
          }
        }
      }
    }
    return [gx];
  });
  return y;
}
