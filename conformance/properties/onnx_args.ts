/**
 * The argument generator of the onnx family (`ops/onnx.ts`): per operator, random shapes, qparams
 * and values — ties, saturation, ±Infinity, NaN, every remainder of small tiles, per-axis and
 * per-column qparams, groups, strides, padding, dilation, bias, broadcasting — drawn as the op's
 * argument object. The kernel-module properties check an engine against the reference on them.
 * @module
 */
import fc from "fast-check";
import { scaleArb } from "./quantize.ts";
import { xorshift } from "./linear.ts";
import type { AnyOp } from "../../ops/op.ts";
import type {
  ConvIntegerOpArgs,
  DequantizeLinearOpArgs,
  DynamicQuantizeLinearOpArgs,
  MatMulIntegerOpArgs,
  QLinearBinaryOpArgs,
  QLinearConvOpArgs,
  QLinearMatMulOpArgs,
  QuantizeLinearOpArgs,
} from "../../ops/onnx.ts";
import {
  type Int8Data,
  int8Range,
  type OnnxInt8Type,
  type OnnxTensor,
} from "../../reference/onnx/mod.ts";

const type8 = fc.constantFrom<OnnxInt8Type>("uint8", "int8");

function codes(type: OnnxInt8Type, n: number, rand: () => number): Int8Data {
  const { min } = int8Range(type);
  const a = type === "uint8" ? new Uint8Array(n) : new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = min + Math.floor(rand() * 256);
  return a;
}

const zeroPointOf = (type: OnnxInt8Type, rand: () => number) =>
  int8Range(type).min + Math.floor(rand() * 256);

/** Floats around the codes of (scale, zero point): ties, saturation, extremes. */
function floats(n: number, scale: number, zp: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.02) return [Infinity, -Infinity, NaN, 3e38, -3e38][Math.floor(rand() * 5)];
    const k = Math.floor(rand() * 340) - 170 - zp;
    return r < 0.4 ? (k + 0.5) * scale : (k + rand()) * scale;
  });
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 });

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** QuantizeLinear, per tensor and per axis. */
const quantizeLinearArgs: fc.Arbitrary<QuantizeLinearOpArgs> = fc.record({
  shape: shapeArb,
  type: type8,
  seed: fc.integer(),
  perAxis: fc.boolean(),
  axisPick: fc.nat(),
}).map((p) => {
  const rand = xorshift(p.seed);
  const axis = p.axisPick % p.shape.length;
  const channels = p.perAxis ? p.shape[axis] : 1;
  const scales = Array.from({ length: channels }, () => Math.fround(10 ** (rand() * 5 - 4)));
  const zps = Array.from({ length: channels }, () => zeroPointOf(p.type, rand));
  return {
    x: { data: floats(sizeOf(p.shape), scales[0], zps[0], rand), shape: p.shape },
    scale: p.perAxis ? scales : scales[0],
    zeroPoint: p.perAxis ? zps : zps[0],
    axis,
    type: p.type,
  };
});

const dequantizeLinearArgs: fc.Arbitrary<DequantizeLinearOpArgs> = fc.record({
  shape: shapeArb,
  type: type8,
  seed: fc.integer(),
  scale: scaleArb,
}).map((p) => {
  const rand = xorshift(p.seed);
  return {
    x: { data: codes(p.type, sizeOf(p.shape), rand), shape: p.shape },
    scale: p.scale,
    zeroPoint: zeroPointOf(p.type, rand),
  };
});

const dynamicQuantizeLinearArgs: fc.Arbitrary<DynamicQuantizeLinearOpArgs> = fc.record({
  shape: shapeArb,
  seed: fc.integer(),
  lo: fc.double({ min: -50, max: 10, noNaN: true }),
  span: fc.double({ min: 1e-3, max: 60, noNaN: true }),
}).map((p) => {
  const rand = xorshift(p.seed);
  const data = Float32Array.from({ length: sizeOf(p.shape) }, () => p.lo + rand() * p.span);
  return { x: { data, shape: p.shape } };
});

const matMulIntegerArgs: fc.Arbitrary<MatMulIntegerOpArgs> = fc.record({
  m: fc.integer({ min: 1, max: 33 }),
  k: fc.integer({ min: 1, max: 70 }),
  n: fc.integer({ min: 1, max: 40 }),
  ta: type8,
  tb: type8,
  seed: fc.integer(),
}).map((p) => {
  const rand = xorshift(p.seed);
  return {
    a: { data: codes(p.ta, p.m * p.k, rand), shape: [p.m, p.k] },
    b: { data: codes(p.tb, p.k * p.n, rand), shape: [p.k, p.n] },
    aZeroPoint: zeroPointOf(p.ta, rand),
    bZeroPoint: zeroPointOf(p.tb, rand),
  };
});

/** QLinearMatMul, per tensor and per column. */
const qLinearMatMulArgs: fc.Arbitrary<QLinearMatMulOpArgs> = fc.record({
  m: fc.integer({ min: 1, max: 33 }),
  k: fc.integer({ min: 1, max: 70 }),
  n: fc.integer({ min: 1, max: 40 }),
  types: fc.constantFrom<[OnnxInt8Type, OnnxInt8Type]>(
    ["uint8", "uint8"],
    ["uint8", "int8"],
    ["int8", "int8"],
  ),
  perColumn: fc.boolean(),
  seed: fc.integer(),
  scales: fc.tuple(scaleArb, scaleArb, scaleArb),
}).map((p) => {
  const rand = xorshift(p.seed);
  const [ta, tb] = p.types;
  const cols = p.perColumn ? p.n : 1;
  const bScale = Array.from({ length: cols }, () => Math.fround(p.scales[1] * (0.5 + rand())));
  const bZp = Array.from({ length: cols }, () => zeroPointOf(tb, rand));
  return {
    a: { data: codes(ta, p.m * p.k, rand), shape: [p.m, p.k] },
    b: { data: codes(tb, p.k * p.n, rand), shape: [p.k, p.n] },
    aScale: p.scales[0] * 0.05,
    aZeroPoint: zeroPointOf(ta, rand),
    bScale: p.perColumn ? bScale : bScale[0],
    bZeroPoint: p.perColumn ? bZp : bZp[0],
    yScale: p.scales[2],
    yZeroPoint: zeroPointOf(ta, rand),
    yType: ta,
  };
});

/** A 2-D convolution problem: groups, stride, padding, dilation, per-channel weights. */
const convProblem = fc.record({
  c: fc.integer({ min: 1, max: 6 }),
  mPerGroup: fc.integer({ min: 1, max: 6 }),
  group: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 3 }),
  hw: fc.tuple(fc.integer({ min: 3, max: 10 }), fc.integer({ min: 3, max: 10 })),
  stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  dilation: fc.integer({ min: 1, max: 2 }),
  pad: fc.integer({ min: 0, max: 1 }),
  types: fc.constantFrom<[OnnxInt8Type, OnnxInt8Type]>(
    ["uint8", "uint8"],
    ["uint8", "int8"],
    ["int8", "int8"],
  ),
  perChannel: fc.boolean(),
  bias: fc.boolean(),
  seed: fc.integer(),
}).filter((p) =>
  p.hw[0] + 2 * p.pad > (p.k - 1) * p.dilation && p.hw[1] + 2 * p.pad > (p.k - 1) * p.dilation
).map((p) => {
  const rand = xorshift(p.seed);
  const [tx, tw] = p.types;
  const c = p.c * p.group;
  const m = p.mPerGroup * p.group;
  const chans = p.perChannel ? m : 1;
  return {
    group: p.group,
    strides: p.stride,
    dilations: [p.dilation, p.dilation],
    pads: [p.pad, p.pad, p.pad, p.pad],
    x: { data: codes(tx, c * p.hw[0] * p.hw[1], rand), shape: [1, c, p.hw[0], p.hw[1]] },
    w: { data: codes(tw, m * p.c * p.k * p.k, rand), shape: [m, p.c, p.k, p.k] },
    xScale: Math.fround(0.01 + rand() * 0.05),
    xZeroPoint: zeroPointOf(tx, rand),
    wScale: Array.from({ length: chans }, () => Math.fround(0.001 + rand() * 0.01)),
    // onnxruntime needs symmetric int8 weights (zero point 0).
    wZeroPoint: Array.from({ length: chans }, () => (tw === "int8" ? 0 : zeroPointOf(tw, rand))),
    yScale: Math.fround(0.05 + rand() * 0.5),
    yZeroPoint: zeroPointOf(tx, rand),
    yType: tx,
    bias: p.bias ? Int32Array.from({ length: m }, () => Math.floor(rand() * 20000) - 10000) : null,
  };
});

const qLinearConvArgs: fc.Arbitrary<QLinearConvOpArgs> = convProblem;

const convIntegerArgs: fc.Arbitrary<ConvIntegerOpArgs> = convProblem.map((q) => ({
  group: q.group,
  strides: q.strides,
  dilations: q.dilations,
  pads: q.pads,
  x: q.x,
  w: q.w,
  xZeroPoint: q.xZeroPoint,
  wZeroPoint: q.wZeroPoint,
}));

/** QLinearAdd / QLinearMul operands of one shape, or `b` broadcast along the last dimension. */
function qLinearBinaryArgs(mul: boolean): fc.Arbitrary<QLinearBinaryOpArgs> {
  return fc.record({
    shape: shapeArb,
    type: type8,
    seed: fc.integer(),
    broadcast: fc.boolean(),
    scales: fc.tuple(scaleArb, scaleArb, scaleArb),
  }).map((p) => {
    const rand = xorshift(p.seed);
    const bShape = p.broadcast ? p.shape.slice(-1) : p.shape;
    const a: OnnxTensor<Int8Data> = { data: codes(p.type, sizeOf(p.shape), rand), shape: p.shape };
    const b: OnnxTensor<Int8Data> = { data: codes(p.type, sizeOf(bShape), rand), shape: bShape };
    return {
      a,
      b,
      aScale: p.scales[0],
      aZeroPoint: zeroPointOf(p.type, rand),
      bScale: p.scales[1],
      bZeroPoint: zeroPointOf(p.type, rand),
      cScale: mul ? Math.fround(p.scales[2] * p.scales[0]) : p.scales[2],
      cZeroPoint: zeroPointOf(p.type, rand),
    };
  });
}

const ONNX_ARBS: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  "onnx.QuantizeLinear": quantizeLinearArgs,
  "onnx.DequantizeLinear": dequantizeLinearArgs,
  "onnx.DynamicQuantizeLinear": dynamicQuantizeLinearArgs,
  "onnx.MatMulInteger": matMulIntegerArgs,
  "onnx.QLinearMatMul": qLinearMatMulArgs,
  "onnx.ConvInteger": convIntegerArgs,
  "onnx.QLinearConv": qLinearConvArgs,
  "com.microsoft.QLinearAdd": qLinearBinaryArgs(false),
  "com.microsoft.QLinearMul": qLinearBinaryArgs(true),
};

/** The argument generator of an op of the onnx family (undefined for an op it does not know). */
export function onnxArgs(op: AnyOp): fc.Arbitrary<unknown> | undefined {
  return ONNX_ARBS[op.name];
}
