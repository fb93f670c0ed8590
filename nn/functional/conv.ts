/**
 * `F.conv2d` in float32 on NCHW data: accumulated in float64 and rounded once (at least as
 * accurate as PyTorch's, not bit-identical to it). Records its gradient on an active
 * `GradTape`.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { checkInt, type IntPair, pair } from "../_util.ts";
import { checkTensor, showShape } from "./_shape.ts";

/** Padding of a convolution: per-side integers, or PyTorch's `"valid"` / `"same"`. */
export type ConvPadding = IntPair | "valid" | "same";

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Stride (default 1). */
  stride?: IntPair;
  /** Zero padding on both sides of each spatial dimension, `"valid"` or `"same"` (default 0). */
  padding?: ConvPadding;
  /** Dilation (default 1). */
  dilation?: IntPair;
  /** Groups (default 1): in and out channels must be divisible by it. */
  groups?: number;
}

/** The output size of one convolution dimension. */
export function convOutputSize(
  input: number,
  kernel: number,
  options: { stride: number; padBefore: number; padAfter: number; dilation: number },
): number {
  const { stride, padBefore, padAfter, dilation } = options;
  return Math.floor((input + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * The per-side padding of a conv: `[top, bottom, left, right]`. PyTorch's `"same"` puts the odd
 * extra pixel after.
 * @throws {RangeError} for `"same"` with a stride other than 1 (PyTorch refuses it).
 */
export function convPadding(
  padding: ConvPadding,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new RangeError(`padding: padding='same' is not supported for strided convolutions`);
    }
    const th = dilation[0] * (kernel[0] - 1);
    const tw = dilation[1] * (kernel[1] - 1);
    return [
      Math.floor(th / 2),
      th - Math.floor(th / 2),
      Math.floor(tw / 2),
      tw - Math.floor(tw / 2),
    ];
  }
  const [ph, pw] = pair("padding", padding, 0);
  return [ph, ph, pw, pw];
}

/**
 * `F.conv2d(x, weight, bias, stride, padding, dilation, groups)`: `x` `[N, C, H, W]` (or
 * unbatched `[C, H, W]`), `weight` `[O, C/groups, kH, kW]`, zero padding.
 * @throws {RangeError} for mismatched channels or groups, or an output smaller than 1×1.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  checkTensor("x", x);
  checkTensor("weight", weight);
  if (weight.shape.length !== 4) {
    throw new RangeError(
      `weight: expected shape [out, in/groups, kH, kW], got ${showShape(weight.shape)}`,
    );
  }
  const unbatched = x.shape.length === 3;
  if (x.shape.length !== 4 && !unbatched) {
    throw new RangeError(
      `x: expected 3D (unbatched) or 4D (batched) input to conv2d, got ${showShape(x.shape)}`,
    );
  }
  const [n, c, h, w] = unbatched ? [1, ...x.shape] : x.shape;
  const [o, cg, kh, kw] = weight.shape;
  const groups = checkInt("groups", options.groups ?? 1, 1);
  const [sh, sw] = pair("stride", options.stride ?? 1, 1);
  const [dh, dw] = pair("dilation", options.dilation ?? 1, 1);
  const [pt, pb, pl, pr] = convPadding(options.padding ?? 0, [kh, kw], [sh, sw], [dh, dw]);
  if (o % groups !== 0) {
    throw new RangeError(`weight: out_channels (${o}) must be divisible by groups (${groups})`);
  }
  if (c !== cg * groups) {
    throw new RangeError(
      `x: expected input ${showShape(x.shape)} to have ${cg * groups} channels (weight ` +
        `${showShape(weight.shape)} with groups=${groups}), but got ${c} channels instead`,
    );
  }
  if (bias !== null) {
    checkTensor("bias", bias);
    if (bias.size !== o) {
      throw new RangeError(
        `bias: expected ${o} values (out_channels), got ${showShape(bias.shape)}`,
      );
    }
  }
  const oh = convOutputSize(h, kh, { stride: sh, padBefore: pt, padAfter: pb, dilation: dh });
  const ow = convOutputSize(w, kw, { stride: sw, padBefore: pl, padAfter: pr, dilation: dw });
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `x: calculated output size (${oh}x${ow}) is too small for input ${showShape(x.shape)}, ` +
        `kernel ${kh}x${kw}, padding, stride and dilation`,
    );
  }
  const og = o / groups;
  const xd = x.data;
  const wd = weight.data;
  const geometry = { n, c, h, w, o, cg, kh, kw, oh, ow, og, sh, sw, dh, dw, pt, pl };
  const acc = new Float64Array(n * o * oh * ow);
  if (bias !== null) {
    for (let i = 0; i < acc.length; i++) acc[i] = bias.data[Math.floor(i / (oh * ow)) % o];
  }
  forEachTap(geometry, (oi, xi, wi, count) => {
    let sum = 0;
    for (let t = 0; t < count; t++) sum += xd[xi + t * dw] * wd[wi + t];
    acc[oi] += sum;
  });
  const y = new Tensor(Float32Array.from(acc), unbatched ? [o, oh, ow] : [n, o, oh, ow]);
  recordOp([x, weight, bias], y, (g, needs) => {
    const gx = needs[0] ? new Float64Array(x.size) : null;
    const gw = needs[1] ? new Float64Array(weight.size) : null;
    if (gx !== null || gw !== null) {
      forEachTap(geometry, (oi, xi, wi, count) => {
        const go = g[oi];
        if (go === 0) return;
        for (let t = 0; t < count; t++) {
          if (gx !== null) gx[xi + t * dw] += go * wd[wi + t];
          if (gw !== null) gw[wi + t] += go * xd[xi + t * dw];
        }
      });
    }
    let gb: Float64Array | null = null;
    if (needs[2]) {
      gb = new Float64Array(o);
      for (let i = 0; i < g.length; i++) gb[Math.floor(i / (oh * ow)) % o] += g[i];
    }
    return [gx, gw, gb];
  });
  return y;
}

interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  cg: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  og: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
}

/**
 * Visits every kernel row of the convolution that lies inside the input: output index `oi`, the
 * input index `xi` of its first tap inside the input (later taps step by the dilation), the
 * weight index `wi` of that tap (later taps step by 1) and the number of taps `count`.
 */
function forEachTap(
  g: ConvGeometry,
  visit: (oi: number, xi: number, wi: number, count: number) => void,
): void {
  const { n, c, h, w, o, cg, kh, kw, oh, ow, og, sh, sw, dh, dw, pt, pl } = g;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const grp = Math.floor(oc / og);
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          const oi = ((b * o + oc) * oh + y) * ow + xo;
          // Taps j with 0 <= xo·sw − pl + j·dw < w.
          const x0 = xo * sw - pl;
          const jFirst = x0 >= 0 ? 0 : Math.ceil(-x0 / dw);
          const jEnd = Math.min(kw, Math.floor((w - 1 - x0) / dw) + 1);
          if (jFirst >= jEnd) continue;
          for (let ic = 0; ic < cg; ic++) {
            const xBase = (b * c + grp * cg + ic) * h;
            const wBase = (oc * cg + ic) * kh;
            for (let i = 0; i < kh; i++) {
              const iy = y * sh - pt + i * dh;
              if (iy < 0 || iy >= h) continue;
              visit(
                oi,
                (xBase + iy) * w + x0 + jFirst * dw,
                (wBase + i) * kw + jFirst,
                jEnd - jFirst,
              );
            }
          }
        }
      }
    }
  }
}
