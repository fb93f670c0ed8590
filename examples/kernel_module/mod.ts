/**
 * An example third-party kernel set: plain scalar TypeScript kernels for four ops with QNNPACK's
 * numerics, written from QNNPACK's and ATen's arithmetic (not from this library's reference), as
 * any kernel author would. Check it with
 *
 *     deno task conform --kernels examples/kernel_module/mod.ts
 *
 * It implements quantized_add (QNNPACK's fixed-point add), quantized_mul (ATen's float
 * multiplier, the same on every engine), quantized_relu and quantized_max_pool2d (QNNPACK's
 * operator, ATen's loop where PyTorch does not call QNNPACK). Every other registered op is
 * missing on purpose: conform lists them as unsupported.
 * @module
 */
import {
  type BinaryArgs,
  type KernelModule,
  type PoolArgs,
  QuantizedTensor,
  type UnaryArgs,
} from "../../mod.ts";

const f32 = Math.fround;

/** Round half to even (`nearbyint` in the default rounding mode). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A per-tensor result of `like`'s shape and dtype. */
function result(like: QuantizedTensor, codes: number[], scale: number, zeroPoint: number) {
  const data = like.dtype === "quint8" ? Uint8Array.from(codes) : Int8Array.from(codes);
  return new QuantizedTensor(data, like.shape, like.dtype, {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
}

/** The qparams of a per-tensor input (refusing anything else, as PyTorch does). */
function qparams(t: QuantizedTensor): { scale: number; zeroPoint: number } {
  if (t.qparams.qscheme !== "per_tensor_affine") throw new TypeError("expected per-tensor qparams");
  return t.qparams;
}

/** QNNPACK's add: fixed-point multipliers with a shift chosen from the larger scale ratio. */
function add({ a, b, output }: BinaryArgs): QuantizedTensor {
  if (a.dtype !== "quint8" || b.dtype !== "quint8") throw new TypeError("a, b: quint8 only");
  const [pa, pb] = [qparams(a), qparams(b)];
  const ratios = [f32(f32(pa.scale) / f32(output.scale)), f32(f32(pb.scale) / f32(output.scale))];
  if (ratios.some((r) => !(r >= 2 ** -14 && r < 2 ** 8))) {
    throw new RangeError("scale ratio outside QNNPACK's [2^-14, 2^8)");
  }
  const shift = 21 - Math.floor(Math.log2(Math.max(...ratios)));
  if (shift > 31) throw new RangeError("scales too small for QNNPACK's add");
  const [ma, mb] = ratios.map((r) => rint(f32(r * 2 ** shift)));
  const zpp = -(ma * pa.zeroPoint + mb * pb.zeroPoint);
  const codes = Array.from(a.intRepr, (qa, i) => {
    const acc = (zpp + ma * qa + mb * b.intRepr[i]) | 0;
    // Shift right rounding half away from zero, QNNPACK's way (remainder against a threshold).
    const q = Math.floor(acc / 2 ** shift);
    const remainder = acc - q * 2 ** shift - (acc < 0 ? 1 : 0);
    const rounded = q + (remainder > Math.floor((2 ** shift - 1) / 2) ? 1 : 0);
    return clamp(rounded + output.zeroPoint, 0, 255);
  });
  return result(a, codes, output.scale, output.zeroPoint);
}

/**
 * ATen's mul: `(qa − za)(qb − zb)` times a float32 multiplier, rounded, plus the zero point. The
 * leading multiple of 64 elements take AVX2's lanes, where a product beyond int32 rounds to
 * INT32_MIN (`cvtps2dq`) and the zero point adds in wrapping int32; the tail's `lrintf` is 64-bit
 * (INT64_MIN beyond it, and for NaN).
 */
function mul({ a, b, output }: BinaryArgs): QuantizedTensor {
  const [pa, pb] = [qparams(a), qparams(b)];
  const m = f32(f32(f32(pa.scale) * f32(pb.scale)) * f32(1 / f32(output.scale)));
  const [lo, hi] = a.dtype === "quint8" ? [0, 255] : [-128, 127];
  const vectorEnd = Math.floor(a.size / 64) * 64;
  const codes = Array.from(a.intRepr, (qa, i) => {
    const t = f32(f32((qa - pa.zeroPoint) * (b.intRepr[i] - pb.zeroPoint)) * m);
    const limit = i < vectorEnd ? 2 ** 31 : 2 ** 63;
    const r = t >= -limit && t < limit ? rint(t) : -limit;
    const sum = r + output.zeroPoint;
    return clamp(i < vectorEnd ? sum | 0 : sum, lo, hi);
  });
  return result(a, codes, output.scale, output.zeroPoint);
}

/** relu: codes below the zero point become it; the qparams stay. */
function relu({ x }: UnaryArgs): QuantizedTensor {
  const { scale, zeroPoint } = qparams(x);
  return result(x, Array.from(x.intRepr, (q) => Math.max(q, zeroPoint)), scale, zeroPoint);
}

/** One output size: `floor((n + 2p − d(k−1) − 1 [+ s − 1 in ceil mode]) / s) + 1`. */
function outputSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean) {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--; // the last window must start inside
  return out;
}

/**
 * max_pool2d. PyTorch calls QNNPACK for a 4-D quint8 input without ceil mode: its indirection
 * buffer clamps every tap into the input (and it refuses a 1×1 window). Otherwise ATen's loop
 * skips the taps outside; on a channels-last input with H·W = 1 (and C > 1) ATen writes its
 * NHWC-ordered output into an NCHW tensor, so the result is that data read as NCHW.
 */
function maxPool2d({ x, window: w }: PoolArgs): QuantizedTensor {
  if (w.kind !== "max" || x.shape.length !== 4) throw new TypeError("4-D max pooling only");
  const [n, c, h, wd] = x.shape;
  const [kh, kw] = w.kernelSize;
  const [sh, sw] = w.stride;
  const [ph, pw] = w.padding;
  const [dh, dw] = w.dilation;
  if (![kh, kw, sh, sw, dh, dw].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new RangeError("kernelSize, stride and dilation must be integers >= 1");
  }
  if (ph < 0 || pw < 0 || ph > kh >> 1 || pw > kw >> 1) {
    throw new RangeError("padding must be at most half the kernel size");
  }
  const oh = outputSize(h, kh, sh, ph, dh, w.ceilMode);
  const ow = outputSize(wd, kw, sw, pw, dw, w.ceilMode);
  if (oh < 1 || ow < 1) throw new RangeError("the window does not fit the input");
  const qnnpack = x.dtype === "quint8" && !w.ceilMode;
  if (qnnpack && kh * kw === 1) throw new RangeError("QNNPACK refuses a 1x1 window");
  const lowest = x.dtype === "quint8" ? 0 : -128;
  const out: number[] = [];
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let best = lowest;
        for (let r = 0; r < kh; r++) {
          for (let s = 0; s < kw; s++) {
            let iy = y * sh - ph + r * dh;
            let ix = xo * sw - pw + s * dw;
            if (qnnpack) [iy, ix] = [clamp(iy, 0, h - 1), clamp(ix, 0, wd - 1)];
            else if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            best = Math.max(best, x.intRepr[(plane * h + iy) * wd + ix]);
          }
        }
        out.push(best);
      }
    }
  }
  // A 1×1 input is channels-last contiguous whatever `channelsLast` says: ATen's NHWC loop runs.
  const nhwcAsNchw = !qnnpack && h * wd === 1 && c > 1 && oh * ow > 1;
  const codes = nhwcAsNchw
    ? out.map((_, i) => { // position i of the NHWC order holds element (b, ch, y, xo)
      const ch = i % c;
      const pixel = Math.floor(i / c) % (oh * ow);
      const b = Math.floor(i / (c * oh * ow));
      return out[(b * c + ch) * oh * ow + pixel];
    })
    : out;
  const { scale, zeroPoint } = qparams(x);
  return new QuantizedTensor(
    x.dtype === "quint8" ? Uint8Array.from(codes) : Int8Array.from(codes),
    [n, c, oh, ow],
    x.dtype,
    { qscheme: "per_tensor_affine", scale, zeroPoint },
  );
}

/** The kernel module: its name, the numerics it claims, and its ops by registered name. */
const kernels: KernelModule = {
  name: "example-scalar",
  numerics: "qnnpack",
  description: "examples/kernel_module: scalar TypeScript add, mul, relu, max_pool2d",
  ops: {
    quantized_add: add,
    quantized_mul: mul,
    quantized_relu: relu,
    quantized_max_pool2d: maxPool2d,
  },
};
export default kernels;
