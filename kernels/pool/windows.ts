/**
 * Pooling windows and the indirection tables the pooling kernels read (`tap_loop.ts`). The
 * windows follow `reference/quantized_pool.ts` line by line: max pooling over the taps inside the
 * input (ATen) or over taps clamped into it (QNNPACK's indirection), average pooling over the
 * window clipped to the input with its padded size for `count_include_pad`, adaptive windows
 * `[adaptiveStart, adaptiveEnd)`.
 * @module
 */
import {
  adaptiveEnd,
  adaptiveStart,
  avgPoolWindow,
  poolOutputSize,
} from "../../reference/quantized_pool.ts";
import type { AvgPool2dArgs, MaxPool2dArgs, Pair } from "../kernel_set.ts";

/** The windows of every output pixel of one image, in output order. */
export interface PoolWindows {
  /** Output height and width. */
  readonly outH: number;
  readonly outW: number;
  /** Input pixel indices (`iy·W + ix`) of all windows, concatenated. */
  readonly taps: Int32Array;
  /** Window `p` is `taps[starts[p] .. starts[p+1])`. */
  readonly starts: Int32Array;
  /** Average pooling: the window clipped to the padded input (count_include_pad's divisor). */
  readonly poolSizes: Int32Array;
}

class WindowBuilder {
  private taps: number[] = [];
  private readonly starts: number[] = [0];
  private readonly poolSizes: number[] = [];

  constructor(readonly outH: number, readonly outW: number) {}

  tap(pixel: number): void {
    this.taps.push(pixel);
  }

  close(poolSize = 0): void {
    this.starts.push(this.taps.length);
    this.poolSizes.push(poolSize);
  }

  build(): PoolWindows {
    return {
      outH: this.outH,
      outW: this.outW,
      taps: Int32Array.from(this.taps),
      starts: Int32Array.from(this.starts),
      poolSizes: Int32Array.from(this.poolSizes),
    };
  }
}

/**
 * Max-pooling windows of an `h × w` image.
 * @param clampTaps QNNPACK: clamp each tap's row and column into the image (a padded tap may then
 * read a pixel outside the window); ATen: skip taps outside the image.
 */
export function maxPoolWindows(
  h: number,
  w: number,
  args: MaxPool2dArgs,
  clampTaps: boolean,
): PoolWindows {
  const [kh, kw] = args.kernelSize;
  const [sh, sw] = args.stride;
  const [ph, pw] = args.padding;
  const [dh, dw] = args.dilation;
  const oh = poolOutputSize(h, kh, sh, ph, dh, args.ceilMode);
  const ow = poolOutputSize(w, kw, sw, pw, dw, args.ceilMode);
  const b = new WindowBuilder(oh, ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let r = 0; r < kh; r++) {
        let iy = y * sh - ph + r * dh;
        if (clampTaps) iy = Math.min(Math.max(iy, 0), h - 1);
        else if (iy < 0 || iy >= h) continue;
        for (let s = 0; s < kw; s++) {
          let ix = x * sw - pw + s * dw;
          if (clampTaps) ix = Math.min(Math.max(ix, 0), w - 1);
          else if (ix < 0 || ix >= w) continue;
          b.tap(iy * w + ix);
        }
      }
      b.close();
    }
  }
  return b.build();
}

/** Average-pooling windows: the taps inside the image, and each window's padded size. */
export function avgPoolWindows(h: number, w: number, args: AvgPool2dArgs): PoolWindows {
  const [kh, kw] = args.kernelSize;
  const [sh, sw] = args.stride;
  const [ph, pw] = args.padding;
  const oh = poolOutputSize(h, kh, sh, ph, 1, args.ceilMode);
  const ow = poolOutputSize(w, kw, sw, pw, 1, args.ceilMode);
  const b = new WindowBuilder(Math.max(oh, 0), Math.max(ow, 0));
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const { hs, he, ws, we, poolSize } = avgPoolWindow(
        y,
        x,
        h,
        w,
        args.kernelSize,
        args.stride,
        args.padding,
      );
      for (let iy = hs; iy < he; iy++) {
        for (let ix = ws; ix < we; ix++) b.tap(iy * w + ix);
      }
      b.close(poolSize);
    }
  }
  return b.build();
}

/** Adaptive-average-pooling windows to an `outputSize` `[OH, OW]`. */
export function adaptiveWindows(h: number, w: number, outputSize: Pair): PoolWindows {
  const [oh, ow] = outputSize;
  const b = new WindowBuilder(oh, ow);
  for (let y = 0; y < oh; y++) {
    const hs = adaptiveStart(y, oh, h);
    const he = adaptiveEnd(y, oh, h);
    for (let x = 0; x < ow; x++) {
      const ws = adaptiveStart(x, ow, w);
      const we = adaptiveEnd(x, ow, w);
      for (let iy = hs; iy < he; iy++) {
        for (let ix = ws; ix < we; ix++) b.tap(iy * w + ix);
      }
      b.close((he - hs) * (we - ws));
    }
  }
  return b.build();
}

const bits = new DataView(new ArrayBuffer(4));

/** The int32 word holding a float32 value's bits. */
export function f32Word(value: number): number {
  bits.setFloat32(0, value, true);
  return bits.getInt32(0, true);
}

/**
 * The indirection table of `windows` (layout in `tap_loop.ts`): per pixel the tap count, the
 * word `extra(p, count)` returns (when given), then the byte offsets `pixel · pixelBytes`.
 */
export function tapTable(
  windows: PoolWindows,
  pixelBytes: number,
  extra?: (pixel: number, count: number) => number,
): Int32Array {
  const npix = windows.starts.length - 1;
  const header = extra === undefined ? 1 : 2;
  const table = new Int32Array(npix * header + windows.taps.length);
  let o = 0;
  for (let p = 0; p < npix; p++) {
    const start = windows.starts[p];
    const count = windows.starts[p + 1] - start;
    table[o++] = count;
    if (extra !== undefined) table[o++] = extra(p, count);
    for (let t = 0; t < count; t++) table[o++] = windows.taps[start + t] * pixelBytes;
  }
  return table;
}
