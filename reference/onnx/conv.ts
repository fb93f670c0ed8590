/**
 * ONNX ConvInteger and QLinearConv on 2-D NCHW images: exact integer accumulation
 * `Σ (x − x_zp)(w − w_zp[m])` (padding contributes nothing: onnxruntime pads with the zero point),
 * the int32 bias added, and for QLinearConv onnxruntime's requantization with the per-channel
 * multiplier `x_scale * w_scale[m] / y_scale` (float32).
 * @module
 */
import { show } from "../_check.ts";
import { outputMultipliers, requantizeValue } from "./requantize.ts";
import {
  allocInt8,
  checkOnnxOptions,
  checkOnnxZeroPoint,
  checkTensor,
  type Int8Data,
  int8TypeOf,
  type OnnxInt8Type,
  type OnnxTensor,
} from "./types.ts";

/** ONNX Conv attributes (2-D): omitted ones take ONNX's defaults. */
export interface OnnxConvAttrs {
  /** `NOTSET` (explicit `pads`), `SAME_UPPER`, `SAME_LOWER` or `VALID`; default `NOTSET`. */
  readonly autoPad?: "NOTSET" | "SAME_UPPER" | "SAME_LOWER" | "VALID";
  /** `[dH, dW]`; default `[1, 1]`. */
  readonly dilations?: readonly number[];
  /** Default 1. */
  readonly group?: number;
  /** `[kH, kW]`; must equal the weight's when given. */
  readonly kernelShape?: readonly number[];
  /** `[top, left, bottom, right]`; default zeros. */
  readonly pads?: readonly number[];
  /** `[sH, sW]`; default `[1, 1]`. */
  readonly strides?: readonly number[];
}

/** Zero points of ConvInteger (`w` per tensor or per output channel). */
export interface ConvIntegerArgs extends OnnxConvAttrs {
  readonly xZeroPoint?: number;
  readonly wZeroPoint?: number | ArrayLike<number>;
}

/** Arguments of QLinearConv. */
export interface QLinearConvArgs extends OnnxConvAttrs {
  readonly xScale: number;
  readonly xZeroPoint: number;
  /** A number, or one per output channel. */
  readonly wScale: number | ArrayLike<number>;
  /** A number, or one per output channel. */
  readonly wZeroPoint: number | ArrayLike<number>;
  readonly yScale: number;
  readonly yZeroPoint: number;
  /** Optional int32 bias, one per output channel. */
  readonly bias?: Int32Array | null;
  /** The output type (ONNX: the type of `y_zero_point`). */
  readonly yType: OnnxInt8Type;
}

/** The resolved geometry of one conv. */
export interface ConvGeometry2d {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly m: number;
  readonly kh: number;
  readonly kw: number;
  readonly group: number;
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** `[top, left, bottom, right]` after auto_pad. */
  readonly pads: readonly [number, number, number, number];
  readonly oh: number;
  readonly ow: number;
}

function pair(name: string, v: readonly number[] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${name}: expected two integers >= 1, got ${show(v)}`);
  }
  return [v[0], v[1]];
}

/** Checks shapes and attributes and resolves padding and the output size. */
export function convGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: OnnxConvAttrs,
): ConvGeometry2d {
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw new RangeError(
      `x [${xShape}] and w [${wShape}]: only 2-D convolutions (NCHW input, MCkHkW weight) are supported`,
    );
  }
  const [n, c, h, w] = xShape;
  const [m, cg, kh, kw] = wShape;
  const group = attrs.group ?? 1;
  if (
    !Number.isInteger(group) || group < 1 || c % group !== 0 || m % group !== 0 || c / group !== cg
  ) {
    throw new RangeError(
      `group: ${
        show(group)
      } does not fit x's ${c} channels and w [${wShape}] (w's dimension 1 must be C / group)`,
    );
  }
  if (
    attrs.kernelShape !== undefined && (attrs.kernelShape[0] !== kh || attrs.kernelShape[1] !== kw)
  ) {
    throw new RangeError(`kernelShape: ${show(attrs.kernelShape)} differs from w's [${kh}, ${kw}]`);
  }
  const strides = pair("strides", attrs.strides, 1);
  const dilations = pair("dilations", attrs.dilations, 1);
  const autoPad = attrs.autoPad ?? "NOTSET";
  const extent = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1];
  const size = [h, w];
  let pads: [number, number, number, number];
  if (autoPad === "NOTSET") {
    const p = attrs.pads ?? [0, 0, 0, 0];
    if (!Array.isArray(p) || p.length !== 4 || !p.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RangeError(
        `pads: expected four integers >= 0 [top, left, bottom, right], got ${show(p)}`,
      );
    }
    pads = [p[0], p[1], p[2], p[3]];
  } else if (autoPad === "VALID") {
    pads = [0, 0, 0, 0];
  } else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const begin: number[] = [];
    const end: number[] = [];
    for (let d = 0; d < 2; d++) {
      const out = Math.ceil(size[d] / strides[d]);
      const total = Math.max(0, (out - 1) * strides[d] + extent[d] - size[d]);
      const small = Math.floor(total / 2);
      begin.push(autoPad === "SAME_UPPER" ? small : total - small);
      end.push(autoPad === "SAME_UPPER" ? total - small : small);
    }
    pads = [begin[0], begin[1], end[0], end[1]];
  } else {
    throw new RangeError(
      `autoPad: expected NOTSET, SAME_UPPER, SAME_LOWER or VALID, got ${show(autoPad)}`,
    );
  }
  const oh = Math.floor((h + pads[0] + pads[2] - extent[0]) / strides[0]) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - extent[1]) / strides[1]) + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `x [${xShape}] is smaller than the dilated kernel ${extent} after padding`,
    );
  }
  return { n, c, h, w, m, kh, kw, group, strides, dilations, pads, oh, ow };
}

function weightZeroPoints(
  zp: number | ArrayLike<number> | undefined,
  m: number,
  type: OnnxInt8Type,
): Int32Array {
  const values = zp === undefined ? [0] : typeof zp === "number" ? [zp] : zp;
  if (values.length !== 1 && values.length !== m) {
    throw new RangeError(
      `wZeroPoint: expected one value or ${m} (per output channel), got ${values.length}`,
    );
  }
  return Int32Array.from(
    { length: m },
    (_, i) => checkOnnxZeroPoint("wZeroPoint", values[values.length === 1 ? 0 : i], type),
  );
}

/** Calls `emit(index, acc, m)` for every output element with its int32 accumulator. */
function accumulate(
  x: Int8Data,
  w: Int8Data,
  g: ConvGeometry2d,
  xZp: number,
  wZp: Int32Array,
  bias: Int32Array | null,
  emit: (index: number, acc: number, m: number) => void,
): void {
  const cg = g.c / g.group;
  const mg = g.m / g.group;
  for (let b = 0; b < g.n; b++) {
    for (let m = 0; m < g.m; m++) {
      const c0 = Math.floor(m / mg) * cg;
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          let acc = bias === null ? 0 : bias[m];
          for (let ci = 0; ci < cg; ci++) {
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strides[0] - g.pads[0] + ky * g.dilations[0];
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strides[1] - g.pads[1] + kx * g.dilations[1];
                if (ix < 0 || ix >= g.w) continue;
                const xv = x[((b * g.c + c0 + ci) * g.h + iy) * g.w + ix] - xZp;
                const wv = w[((m * cg + ci) * g.kh + ky) * g.kw + kx] - wZp[m];
                acc += xv * wv;
              }
            }
          }
          emit(((b * g.m + m) * g.oh + oy) * g.ow + ox, acc | 0, m);
        }
      }
    }
  }
}

/**
 * ONNX ConvInteger (opset 10): uint8/int8 → int32 NCHW, exact (wrapping in int32).
 * @throws {RangeError} for bad shapes, attributes or zero points.
 */
export function convInteger(
  x: OnnxTensor<Int8Data>,
  w: OnnxTensor<Int8Data>,
  args: ConvIntegerArgs = {},
): OnnxTensor<Int32Array> {
  const { g, xZp, wZp } = prepareConvInteger(x, w, args);
  const y = new Int32Array(g.n * g.m * g.oh * g.ow);
  accumulate(x.data, w.data, g, xZp, wZp, null, (i, acc) => (y[i] = acc));
  return { data: y, shape: [g.n, g.m, g.oh, g.ow] };
}

/**
 * ONNX QLinearConv (opset 10): uint8/int8 NCHW → uint8/int8 NCHW.
 * @throws {RangeError} for bad shapes, attributes, qparams or bias.
 */
export function qLinearConv(
  x: OnnxTensor<Int8Data>,
  w: OnnxTensor<Int8Data>,
  args: QLinearConvArgs,
): OnnxTensor<Int8Data> {
  const { g, xZp, wZp, multipliers, bias, yZp } = prepareQLinearConv(x, w, args);
  const y = allocInt8(args.yType, g.n * g.m * g.oh * g.ow);
  accumulate(x.data, w.data, g, xZp, wZp, bias, (i, acc, m) => {
    y[i] = requantizeValue(acc, multipliers[multipliers.length === 1 ? 0 : m], yZp, args.yType);
  });
  return { data: y, shape: [g.n, g.m, g.oh, g.ow] };
}

function prepareConvInteger(
  x: OnnxTensor<Int8Data>,
  w: OnnxTensor<Int8Data>,
  args: ConvIntegerArgs,
) {
  checkTensor("x", x);
  checkTensor("w", w);
  checkOnnxOptions(args);
  const g = convGeometry(x.shape, w.shape, args);
  const xZp = checkOnnxZeroPoint("xZeroPoint", args.xZeroPoint ?? 0, int8TypeOf("x", x.data));
  const wZp = weightZeroPoints(args.wZeroPoint, g.m, int8TypeOf("w", w.data));
  return { g, xZp, wZp };
}

/**
 * Checks the arguments of `convInteger` without computing it.
 * @throws {TypeError|RangeError} naming the bad argument, as `convInteger` would.
 */
export function checkConvInteger(
  x: OnnxTensor<Int8Data>,
  w: OnnxTensor<Int8Data>,
  args: ConvIntegerArgs = {},
): void {
  prepareConvInteger(x, w, args);
}

/**
 * Checks the arguments of `qLinearConv` without computing it.
 * @throws {TypeError|RangeError} naming the bad argument, as `qLinearConv` would.
 */
export function checkQLinearConv(
  x: OnnxTensor<Int8Data>,
  w: OnnxTensor<Int8Data>,
  args: QLinearConvArgs,
): void {
  prepareQLinearConv(x, w, args);
}

function prepareQLinearConv(
  x: OnnxTensor<Int8Data>,
  w: OnnxTensor<Int8Data>,
  args: QLinearConvArgs,
) {
  checkTensor("x", x);
  checkTensor("w", w);
  checkOnnxOptions(args);
  if (args.yType !== "uint8" && args.yType !== "int8") {
    throw new RangeError(`yType: expected "uint8" or "int8", got ${show(args.yType)}`);
  }
  const g = convGeometry(x.shape, w.shape, args);
  const xZp = checkOnnxZeroPoint("xZeroPoint", args.xZeroPoint, int8TypeOf("x", x.data));
  const wZp = weightZeroPoints(args.wZeroPoint, g.m, int8TypeOf("w", w.data));
  const wScales = typeof args.wScale === "number" ? [args.wScale] : args.wScale;
  if (wScales.length !== 1 && wScales.length !== g.m) {
    throw new RangeError(
      `wScale: expected one value or ${g.m} (per output channel), got ${wScales.length}`,
    );
  }
  const multipliers = outputMultipliers(args.xScale, wScales, args.yScale, {
    a: "xScale",
    b: "wScale",
    y: "yScale",
  });
  const bias = args.bias ?? null;
  if (bias !== null && (!(bias instanceof Int32Array) || bias.length !== g.m)) {
    throw new RangeError(`bias: expected an Int32Array of ${g.m} values, got ${show(bias)}`);
  }
  const yZp = checkOnnxZeroPoint("yZeroPoint", args.yZeroPoint, args.yType);
  return { g, xZp, wZp, multipliers, bias, yZp };
}
