/**
 * Properties of an engine of the `onnx` profile: on random shapes, qparams and values (ties,
 * saturation, ±Infinity, NaN, every remainder of small tiles), each operator of the engine equals
 * the scalar reference of the profile bit for bit. The engine may answer asynchronously.
 * @module
 */
import fc from "fast-check";
import type { PropertyCheck } from "./property.ts";
import { scaleArb } from "./quantize.ts";
import { xorshift } from "./linear.ts";
import { float32Bits } from "../../reference/float32.ts";
import { type OnnxOps, referenceOnnxOps } from "../../peers/onnx_ops.ts";
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

function sameBits(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  if (got.length !== want.length) {
    throw new Error(`${name}: ${got.length} elements, reference ${want.length}`);
  }
  for (let i = 0; i < want.length; i++) {
    const equal = Number.isInteger(want[i])
      ? got[i] === want[i]
      : float32Bits(got[i]) === float32Bits(want[i]);
    if (!equal && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      throw new Error(`${name}: element ${i}: got ${got[i]}, the reference ${want[i]}`);
    }
  }
}

/** A property: the engine's answer equals the reference's on every drawn problem. */
function agrees<P>(
  engine: OnnxOps,
  op: string,
  name: string,
  arb: fc.Arbitrary<P>,
  run: (ops: OnnxOps, p: P) => Promise<ArrayLike<number>> | ArrayLike<number>,
  runsFactor = 0.3,
): PropertyCheck {
  return {
    op,
    path: engine.name,
    name,
    runsFactor,
    property: () =>
      fc.asyncProperty(arb, async (p) => {
        const want = await run(referenceOnnxOps, p);
        const got = await run(engine, p);
        sameBits(op, got, want);
      }),
  };
}

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

/** Every property of one engine. */
export function onnxEngineProperties(engine: OnnxOps): PropertyCheck[] {
  return [
    agrees(
      engine,
      "onnx.QuantizeLinear",
      "QuantizeLinear (per tensor and per axis) equals the reference",
      fc.record({
        shape: shapeArb,
        type: type8,
        seed: fc.integer(),
        perAxis: fc.boolean(),
        axisPick: fc.nat(),
      }),
      (ops, p) => {
        const rand = xorshift(p.seed);
        const n = p.shape.reduce((a, b) => a * b, 1);
        const axis = p.axisPick % p.shape.length;
        const channels = p.perAxis ? p.shape[axis] : 1;
        const scales = Array.from({ length: channels }, () => Math.fround(10 ** (rand() * 5 - 4)));
        const zps = Array.from({ length: channels }, () => zeroPointOf(p.type, rand));
        const x = { data: floats(n, scales[0], zps[0], rand), shape: p.shape };
        return ops.quantizeLinear(x, {
          scale: p.perAxis ? scales : scales[0],
          zeroPoint: p.perAxis ? zps : zps[0],
          axis,
          type: p.type,
        });
      },
    ),
    agrees(
      engine,
      "onnx.DequantizeLinear",
      "DequantizeLinear equals the reference",
      fc.record({ shape: shapeArb, type: type8, seed: fc.integer(), scale: scaleArb }),
      (ops, p) => {
        const rand = xorshift(p.seed);
        const n = p.shape.reduce((a, b) => a * b, 1);
        return ops.dequantizeLinear({ data: codes(p.type, n, rand), shape: p.shape }, {
          scale: p.scale,
          zeroPoint: zeroPointOf(p.type, rand),
        });
      },
    ),
    agrees(
      engine,
      "onnx.DynamicQuantizeLinear",
      "DynamicQuantizeLinear (codes, scale, zero point) equals the reference",
      fc.record({
        shape: shapeArb,
        seed: fc.integer(),
        lo: fc.double({ min: -50, max: 10, noNaN: true }),
        span: fc.double({ min: 1e-3, max: 60, noNaN: true }),
      }),
      async (ops, p) => {
        const rand = xorshift(p.seed);
        const n = p.shape.reduce((a, b) => a * b, 1);
        const x = Float32Array.from({ length: n }, () => p.lo + rand() * p.span);
        const r = await ops.dynamicQuantizeLinear({ data: x, shape: p.shape });
        return [...r.y, r.scale, r.zeroPoint];
      },
    ),
    agrees(
      engine,
      "onnx.MatMulInteger",
      "MatMulInteger equals the reference",
      fc.record({
        m: fc.integer({ min: 1, max: 33 }),
        k: fc.integer({ min: 1, max: 70 }),
        n: fc.integer({ min: 1, max: 40 }),
        ta: type8,
        tb: type8,
        seed: fc.integer(),
      }),
      async (ops, p) => {
        const rand = xorshift(p.seed);
        const y = await ops.matMulInteger(
          { data: codes(p.ta, p.m * p.k, rand), shape: [p.m, p.k] },
          { data: codes(p.tb, p.k * p.n, rand), shape: [p.k, p.n] },
          { aZeroPoint: zeroPointOf(p.ta, rand), bZeroPoint: zeroPointOf(p.tb, rand) },
        );
        return y.data;
      },
    ),
    agrees(
      engine,
      "onnx.QLinearMatMul",
      "QLinearMatMul (per tensor and per column) equals the reference",
      fc.record({
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
      }),
      async (ops, p) => {
        const rand = xorshift(p.seed);
        const [ta, tb] = p.types;
        const cols = p.perColumn ? p.n : 1;
        const bScale = Array.from(
          { length: cols },
          () => Math.fround(p.scales[1] * (0.5 + rand())),
        );
        const bZp = Array.from({ length: cols }, () => zeroPointOf(tb, rand));
        const y = await ops.qLinearMatMul(
          { data: codes(ta, p.m * p.k, rand), shape: [p.m, p.k] },
          { data: codes(tb, p.k * p.n, rand), shape: [p.k, p.n] },
          {
            aScale: p.scales[0] * 0.05,
            aZeroPoint: zeroPointOf(ta, rand),
            bScale: p.perColumn ? bScale : bScale[0],
            bZeroPoint: p.perColumn ? bZp : bZp[0],
            yScale: p.scales[2],
            yZeroPoint: zeroPointOf(ta, rand),
            yType: ta,
          },
        );
        return y.data;
      },
    ),
    agrees(
      engine,
      "onnx.QLinearConv",
      "QLinearConv (groups, stride, padding, dilation, bias, per channel) equals the reference",
      fc.record({
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
      ),
      async (ops, p) => {
        const rand = xorshift(p.seed);
        const [tx, tw] = p.types;
        const c = p.c * p.group;
        const m = p.mPerGroup * p.group;
        const chans = p.perChannel ? m : 1;
        const y = await ops.qLinearConv(
          { data: codes(tx, c * p.hw[0] * p.hw[1], rand), shape: [1, c, p.hw[0], p.hw[1]] },
          { data: codes(tw, m * p.c * p.k * p.k, rand), shape: [m, p.c, p.k, p.k] },
          {
            group: p.group,
            strides: p.stride,
            dilations: [p.dilation, p.dilation],
            pads: [p.pad, p.pad, p.pad, p.pad],
            xScale: Math.fround(0.01 + rand() * 0.05),
            xZeroPoint: zeroPointOf(tx, rand),
            wScale: Array.from({ length: chans }, () => Math.fround(0.001 + rand() * 0.01)),
            // onnxruntime needs symmetric int8 weights (zero point 0).
            wZeroPoint: Array.from(
              { length: chans },
              () => (tw === "int8" ? 0 : zeroPointOf(tw, rand)),
            ),
            yScale: Math.fround(0.05 + rand() * 0.5),
            yZeroPoint: zeroPointOf(tx, rand),
            yType: tx,
            bias: p.bias
              ? Int32Array.from({ length: m }, () => Math.floor(rand() * 20000) - 10000)
              : null,
          },
        );
        return y.data;
      },
    ),
    ...(["Add", "Mul"] as const).map((kind) =>
      agrees(
        engine,
        `com.microsoft.QLinear${kind}`,
        `QLinear${kind} (same shape and broadcast) equals the reference`,
        fc.record({
          shape: shapeArb,
          type: type8,
          seed: fc.integer(),
          broadcast: fc.boolean(),
          scales: fc.tuple(scaleArb, scaleArb, scaleArb),
        }),
        async (ops, p) => {
          const rand = xorshift(p.seed);
          const n = p.shape.reduce((a, b) => a * b, 1);
          const bShape = p.broadcast ? p.shape.slice(-1) : p.shape;
          const a: OnnxTensor<Int8Data> = { data: codes(p.type, n, rand), shape: p.shape };
          const b: OnnxTensor<Int8Data> = {
            data: codes(p.type, bShape.reduce((x, y) => x * y, 1), rand),
            shape: bShape,
          };
          const args = {
            aScale: p.scales[0],
            aZeroPoint: zeroPointOf(p.type, rand),
            bScale: p.scales[1],
            bZeroPoint: zeroPointOf(p.type, rand),
            cScale: kind === "Mul" ? Math.fround(p.scales[2] * p.scales[0]) : p.scales[2],
            cZeroPoint: zeroPointOf(p.type, rand),
          };
          const c =
            await (kind === "Add" ? ops.qLinearAdd(a, b, args) : ops.qLinearMul(a, b, args));
          return c.data;
        },
      )
    ),
  ];
}
