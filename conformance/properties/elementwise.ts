/**
 * Properties of the quantized elementwise ops and activations (add, add_relu, mul, cat, sigmoid,
 * tanh) under both elementwise families (qnnpack; onednn = aten_avx2). Built from the functions
 * they check, so a test can pass broken ones.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { scaleArb } from "./quantize.ts";
import type { Engine } from "../../reference/engine.ts";
import {
  quantizedAdd,
  quantizedAddRelu,
  quantizedCat,
  quantizedMul,
  quantizedMulRelu,
} from "../../reference/quantized_elementwise.ts";
import { quantizedSigmoid, quantizedTanh } from "../../reference/quantized_activation.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";

/** The functions these properties check. */
export interface ElementwiseImpl {
  quantizedAdd: typeof quantizedAdd;
  quantizedAddRelu: typeof quantizedAddRelu;
  quantizedMul: typeof quantizedMul;
  quantizedMulRelu: typeof quantizedMulRelu;
  quantizedCat: typeof quantizedCat;
  quantizedSigmoid: typeof quantizedSigmoid;
  quantizedTanh: typeof quantizedTanh;
}

/** The reference implementation. */
export const REFERENCE_ELEMENTWISE: ElementwiseImpl = {
  quantizedAdd,
  quantizedAddRelu,
  quantizedMul,
  quantizedMulRelu,
  quantizedCat,
  quantizedSigmoid,
  quantizedTanh,
};

function quint8(codes: Uint8Array, scale: number, zeroPoint: number, shape = [codes.length]) {
  return new QuantizedTensor(codes, shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
}

/** Scales whose ratios QNNPACK's add accepts (output scale within 2^-10..2^8 of the inputs'). */
const addScalesArb = fc.tuple(
  scaleArb,
  fc.double({ min: -3, max: 3, noNaN: true }),
  fc.double({
    min: -3,
    max: 3,
    noNaN: true,
  }),
).map(([so, ea, eb]) => ({ so, sa: Math.fround(so * 2 ** ea), sb: Math.fround(so * 2 ** eb) }));

/** Two same-shape quint8 operands with qparams, and output qparams (sizes straddle 64, 128). */
const binaryArb = fc.record({
  n: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 120, max: 200 })),
  seed: fc.integer(),
  scales: addScalesArb,
  za: fc.integer({ min: 0, max: 255 }),
  zb: fc.integer({ min: 0, max: 255 }),
  zo: fc.integer({ min: 0, max: 254 }),
}).map((p) => {
  let s = (p.seed | 0) || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) & 255;
  };
  const qa = Uint8Array.from({ length: p.n }, next);
  const qb = Uint8Array.from({ length: p.n }, next);
  return {
    a: quint8(qa, p.scales.sa, p.za),
    b: quint8(qb, p.scales.sb, p.zb),
    so: p.scales.so,
    zo: p.zo,
  };
});

/**
 * Operands whose sums often land on a rounding tie (output scale twice the inputs'), where the
 * FMA (vector) and plain (scalar) dequantize round differently.
 */
const tieArb = fc.record({
  n: fc.integer({ min: 1, max: 200 }),
  seed: fc.integer(),
  scale: fc.constantFrom(0.01, 0.02, 0.05, 0.1, 0.037, 0.3, 0.0123),
  za: fc.integer({ min: 0, max: 255 }),
  zb: fc.integer({ min: 0, max: 255 }),
  zo: fc.integer({ min: 0, max: 255 }),
}).map((p) => {
  let s = (p.seed | 0) || 1;
  const next = () => ((s = (s * 1103515245 + 12345) | 0) >>> 24);
  return {
    a: quint8(Uint8Array.from({ length: p.n }, next), p.scale, p.za),
    b: quint8(Uint8Array.from({ length: p.n }, next), p.scale, p.zb),
    so: 2 * p.scale,
    zo: p.zo,
  };
});

const ENGINES: readonly Engine[] = ["qnnpack", "onednn"];

/** Builds the elementwise and activation properties. */
export function elementwiseProperties(
  impl: ElementwiseImpl = REFERENCE_ELEMENTWISE,
  path = "reference",
): PropertyCheck[] {
  const checks: PropertyCheck[] = [];
  for (const engine of ENGINES) {
    checks.push(
      {
        name: `add is commutative (operands swapped with their qparams) [${engine}]`,
        op: "quantized_add",
        path,
        property: () =>
          fc.property(binaryArb, ({ a, b, so, zo }) => {
            const o = { engine, outputScale: so, outputZeroPoint: zo };
            assert.deepEqual([...impl.quantizedAdd(a, b, o).intRepr], [
              ...impl.quantizedAdd(b, a, o).intRepr,
            ]);
          }),
      },
      {
        name: `add_relu equals max(add, output zero point) [${engine}]`,
        op: "quantized_add_relu",
        path,
        property: () =>
          fc.property(binaryArb, ({ a, b, so, zo }) => {
            const o = { engine, outputScale: so, outputZeroPoint: zo };
            const plain = impl.quantizedAdd(a, b, o).intRepr;
            const relu = impl.quantizedAddRelu(a, b, o).intRepr;
            plain.forEach((v, i) => assert.equal(relu[i], Math.max(v, zo), `element ${i}`));
          }),
      },
      {
        name: `mul is commutative and mul_relu equals max(mul, output zero point) [${engine}]`,
        op: "quantized_mul",
        path,
        property: () =>
          fc.property(binaryArb, ({ a, b, so, zo }) => {
            const o = { engine, outputScale: so, outputZeroPoint: zo };
            const ab = impl.quantizedMul(a, b, o).intRepr;
            assert.deepEqual([...ab], [...impl.quantizedMul(b, a, o).intRepr]);
            const relu = impl.quantizedMulRelu(a, b, o).intRepr;
            ab.forEach((v, i) => assert.equal(relu[i], Math.max(v, zo), `element ${i}`));
          }),
      },
      {
        name: `sigmoid and tanh are non-decreasing in the code [${engine}]`,
        op: "quantized_sigmoid",
        path,
        property: () =>
          fc.property(
            scaleArb,
            fc.integer({ min: 0, max: 255 }),
            fc.constantFrom(63, 256),
            (scale, zp, n) => {
              // n = 63: every element takes the scalar path; n = 256: every one the vector path.
              const codes = Uint8Array.from({ length: n }, (_, i) => Math.floor(i * 256 / n));
              const x = quint8(codes, scale, zp);
              for (const fn of [impl.quantizedSigmoid, impl.quantizedTanh]) {
                const y = fn(x, { engine }).intRepr;
                for (let i = 1; i < n; i++) {
                  assert.ok(y[i] >= y[i - 1], `code ${codes[i]}: ${y[i]} < ${y[i - 1]}`);
                }
              }
            },
          ),
      },
    );
  }
  checks.push(
    {
      name: "add (aten_avx2): element i takes the vector path (as in a 64-element tensor) when " +
        "i < floor(n/64)·64, else the scalar path (as in a 1-element tensor)",
      op: "quantized_add",
      path,
      property: () =>
        fc.property(tieArb, ({ a, b, so, zo }) => {
          const o = { engine: "onednn" as const, outputScale: so, outputZeroPoint: zo };
          const y = impl.quantizedAdd(a, b, o).intRepr;
          const split = Math.floor(a.size / 64) * 64;
          const { scale: sa, zeroPoint: za } = a.qparams as { scale: number; zeroPoint: number };
          const { scale: sb, zeroPoint: zb } = b.qparams as { scale: number; zeroPoint: number };
          for (let i = 0; i < a.size; i++) {
            const n = i < split ? 64 : 1;
            const one = impl.quantizedAdd(
              quint8(new Uint8Array(n).fill(a.intRepr[i]), sa, za),
              quint8(new Uint8Array(n).fill(b.intRepr[i]), sb, zb),
              o,
            ).intRepr[0];
            assert.equal(
              y[i],
              one,
              `element ${i} of ${a.size} (${i < split ? "vector" : "scalar"})`,
            );
          }
        }),
    },
    {
      name: "cat of tensors that share the output qparams concatenates their codes",
      op: "quantized_cat",
      path,
      property: () =>
        fc.property(
          fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 1, max: 3 }),
          scaleArb,
          fc.integer({ min: 0, max: 255 }),
          fc.boolean(),
          fc.integer(),
          (channels, hw, scale, zp, channelsLast, seed) => {
            let s = (seed | 0) || 7;
            const xs = channels.map((c) =>
              quint8(
                Uint8Array.from(
                  { length: 2 * c * hw },
                  () => (s = (s * 1103515245 + 12345) | 0) >>> 24,
                ),
                scale,
                zp,
                [2, c, hw, 1],
              )
            );
            const y = impl.quantizedCat(xs, {
              dim: 1,
              outputScale: scale,
              outputZeroPoint: zp,
              channelsLast,
            });
            let offset = 0;
            const cOut = y.shape[1];
            for (const x of xs) {
              const c = x.shape[1];
              for (let img = 0; img < 2; img++) {
                assert.deepEqual(
                  [...y.intRepr.subarray(
                    (img * cOut + offset) * hw,
                    (img * cOut + offset + c) * hw,
                  )],
                  [...x.intRepr.subarray(img * c * hw, (img + 1) * c * hw)],
                );
              }
              offset += c;
            }
          },
        ),
    },
  );
  return checks;
}
