/**
 * Properties of quantize_per_tensor, quantize_per_channel and dequantize.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { dtypeRange, type QuantizedDType } from "../../reference/dtype.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";
import { QuantizedTensor, splitAtAxis, Tensor } from "../../reference/tensor.ts";

/** The functions these properties check. */
export interface QuantizeImpl {
  quantizePerTensor: typeof quantizePerTensor;
  quantizePerChannel: typeof quantizePerChannel;
  dequantize: typeof dequantize;
}

/** The reference implementation. */
export const REFERENCE_QUANTIZE: QuantizeImpl = {
  quantizePerTensor,
  quantizePerChannel,
  dequantize,
};

const f32 = Math.fround;
const dtype8 = fc.constantFrom<QuantizedDType>("quint8", "qint8");

/** A float32 scale, log-uniform over [1e-4, 100]. */
export const scaleArb: fc.Arbitrary<number> = fc.double({ min: -4, max: 2, noNaN: true })
  .map((e) => f32(10 ** e));

/** An 8-bit dtype with a scale and a zero point inside its range. */
const qparams8 = dtype8.chain((dtype) => {
  const { min, max } = dtypeRange(dtype);
  return fc.record({
    dtype: fc.constant(dtype),
    scale: scaleArb,
    zeroPoint: fc.integer({ min, max }),
  });
});

/** Float32 values in units of the scale, spanning the range and beyond. */
function valuesArb(maxLength = 64) {
  return fc.array(fc.double({ min: -600, max: 600, noNaN: true }), { minLength: 1, maxLength });
}

/** Builds every quantize property for `impl`. */
export function quantizeProperties(
  impl: QuantizeImpl = REFERENCE_QUANTIZE,
  path = "reference",
): PropertyCheck[] {
  return [
    {
      name: "dequantize(quantize(x)) is within scale/2 of x inside the range and saturates outside",
      op: "quantize_per_tensor",
      path,
      property: () =>
        fc.property(qparams8, valuesArb(), ({ dtype, scale, zeroPoint }, units) => {
          const { min, max } = dtypeRange(dtype);
          const x = Float32Array.from(units, (u) => u * scale);
          const q = impl.quantizePerTensor(new Tensor(x), { scale, zeroPoint, dtype });
          const back = impl.dequantize(q).data;
          for (let i = 0; i < x.length; i++) {
            const v = x[i] / scale + zeroPoint; // the exact real code
            if (v >= min - 0.5 && v <= max + 0.5) {
              const tolerance = scale / 2 + (Math.abs(x[i]) + Math.abs(back[i])) * 2 ** -20;
              assert.ok(
                Math.abs(back[i] - x[i]) <= tolerance,
                `x=${x[i]} came back as ${back[i]} (scale ${scale}, zero point ${zeroPoint})`,
              );
            }
            if (v > max + 0.5 + 1e-3) assert.equal(q.intRepr[i], max, `x=${x[i]} must saturate`);
            if (v < min - 0.5 - 1e-3) assert.equal(q.intRepr[i], min, `x=${x[i]} must saturate`);
          }
        }),
    },
    {
      name: "quantize is monotone: x1 <= x2 gives q1 <= q2",
      op: "quantize_per_tensor",
      path,
      property: () =>
        fc.property(qparams8, valuesArb(), ({ dtype, scale, zeroPoint }, units) => {
          const x = Float32Array.from(units, (u) => u * scale).sort();
          const q = impl.quantizePerTensor(new Tensor(x), { scale, zeroPoint, dtype }).intRepr;
          for (let i = 1; i < q.length; i++) {
            assert.ok(q[i - 1] <= q[i], `x ${x[i - 1]} <= ${x[i]} but q ${q[i - 1]} > ${q[i]}`);
          }
        }),
    },
    {
      name: "ties round to even: x = (k + 1/2)·scale with a power-of-two scale",
      op: "quantize_per_tensor",
      path,
      property: () =>
        fc.property(
          dtype8,
          fc.integer({ min: -12, max: 4 }),
          fc.integer({ min: -140, max: 140 }),
          (dtype, exponent, k) => {
            const { min, max } = dtypeRange(dtype);
            const scale = 2 ** exponent;
            const x = (k + 0.5) * scale;
            const q = impl.quantizePerTensor(Tensor.from([x]), { scale, zeroPoint: 0, dtype });
            const even = k % 2 === 0 ? k : k + 1;
            assert.equal(
              q.intRepr[0],
              Math.min(max, Math.max(min, even)),
              `x = (${k} + 0.5)·${scale}`,
            );
          },
        ),
    },
    {
      name: "quantize(dequantize(q)) = q for every code",
      op: "dequantize_per_tensor",
      path,
      property: () =>
        fc.property(qparams8, fc.array(fc.nat(255), { maxLength: 64 }), (qp, raw) => {
          const { min, max } = dtypeRange(qp.dtype);
          const codes = raw.map((r) => min + (r % (max - min + 1)));
          const q = new QuantizedTensor(
            qp.dtype === "quint8" ? Uint8Array.from(codes) : Int8Array.from(codes),
            [codes.length],
            qp.dtype,
            { qscheme: "per_tensor_affine", scale: qp.scale, zeroPoint: qp.zeroPoint },
          );
          const again = impl.quantizePerTensor(impl.dequantize(q), qp).intRepr;
          assert.deepEqual([...again], codes);
        }),
    },
    {
      name: "per channel equals per tensor applied to each channel's slice (float32 scales)",
      op: "quantize_per_channel",
      path,
      property: () =>
        fc.property(
          dtype8,
          fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
          fc.nat(),
          fc.infiniteStream(fc.tuple(scaleArb, fc.nat(255))),
          fc.infiniteStream(fc.double({ min: -300, max: 300, noNaN: true })),
          (dtype, shape, axisSeed, qpStream, valueStream) => {
            const axis = axisSeed % shape.length;
            const { outer, channels, inner } = splitAtAxis(shape, axis);
            const { min, max } = dtypeRange(dtype);
            const qps = [...qpStream.take(channels)];
            const scales = qps.map(([s]) => s);
            const zeroPoints = qps.map(([, z]) => min + (z % (max - min + 1)));
            const size = outer * channels * inner;
            const x = Float32Array.from(valueStream.take(size), (u, i) =>
              u * scales[Math.floor(i / inner) % channels]);
            const q = impl.quantizePerChannel(new Tensor(x, shape), {
              scales,
              zeroPoints,
              axis,
              dtype,
            });
            const back = impl.dequantize(q).data;
            for (let c = 0; c < channels; c++) {
              const slice: number[] = [];
              const indices: number[] = [];
              for (let o = 0; o < outer; o++) {
                for (let i = 0; i < inner; i++) {
                  const index = (o * channels + c) * inner + i;
                  indices.push(index);
                  slice.push(x[index]);
                }
              }
              const qt = impl.quantizePerTensor(Tensor.from(slice), {
                scale: scales[c],
                zeroPoint: zeroPoints[c],
                dtype,
              });
              const dt = impl.dequantize(qt).data;
              indices.forEach((index, j) => {
                assert.equal(q.intRepr[index], qt.intRepr[j], `channel ${c}, element ${index}`);
                assert.ok(
                  Object.is(back[index], dt[j]),
                  `dequantized channel ${c}, element ${index}`,
                );
              });
            }
          },
        ),
    },
  ];
}
