/**
 * Properties of fake quantization (forward, straight-through gradient) and of the learnable LSQ
 * variant. Each is built from the implementation it checks, so a test can hand it a broken one.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import type { QuantizedDType } from "../../reference/dtype.ts";
import {
  fakeQuantizeLearnablePerChannelAffine,
  fakeQuantizeLearnablePerChannelAffineBackward,
  fakeQuantizeLearnablePerTensorAffine,
  fakeQuantizeLearnablePerTensorAffineBackward,
  fakeQuantizePerChannelAffine,
  fakeQuantizePerChannelAffineBackward,
  fakeQuantizePerTensorAffine,
  fakeQuantizePerTensorAffineBackward,
} from "../../reference/fake_quantize.ts";
import { dequantize, quantizePerTensor } from "../../reference/quantize.ts";
import { splitAtAxis, Tensor } from "../../reference/tensor.ts";

/** The functions these properties check. */
export interface FakeQuantizeImpl {
  /** Per-tensor forward. */
  fakeQuantizePerTensorAffine: typeof fakeQuantizePerTensorAffine;
  /** Per-tensor gradient (straight-through). */
  fakeQuantizePerTensorAffineBackward: typeof fakeQuantizePerTensorAffineBackward;
  /** Per-channel forward. */
  fakeQuantizePerChannelAffine: typeof fakeQuantizePerChannelAffine;
  /** Per-channel gradient. */
  fakeQuantizePerChannelAffineBackward: typeof fakeQuantizePerChannelAffineBackward;
  /** LSQ per-tensor forward. */
  fakeQuantizeLearnablePerTensorAffine: typeof fakeQuantizeLearnablePerTensorAffine;
  /** LSQ per-tensor gradients. */
  fakeQuantizeLearnablePerTensorAffineBackward: typeof fakeQuantizeLearnablePerTensorAffineBackward;
  /** LSQ per-channel forward. */
  fakeQuantizeLearnablePerChannelAffine: typeof fakeQuantizeLearnablePerChannelAffine;
  /** LSQ per-channel gradients. */
  fakeQuantizeLearnablePerChannelAffineBackward:
    typeof fakeQuantizeLearnablePerChannelAffineBackward;
}

/** The reference implementation. */
export const REFERENCE_FAKE_QUANTIZE: FakeQuantizeImpl = {
  fakeQuantizePerTensorAffine,
  fakeQuantizePerTensorAffineBackward,
  fakeQuantizePerChannelAffine,
  fakeQuantizePerChannelAffineBackward,
  fakeQuantizeLearnablePerTensorAffine,
  fakeQuantizeLearnablePerTensorAffineBackward,
  fakeQuantizeLearnablePerChannelAffine,
  fakeQuantizeLearnablePerChannelAffineBackward,
};

const f32 = Math.fround;

/** Quantization ranges and the 8-bit dtype that holds each. */
const RANGES: readonly { quantMin: number; quantMax: number; dtype: QuantizedDType }[] = [
  { quantMin: 0, quantMax: 255, dtype: "quint8" },
  { quantMin: 0, quantMax: 127, dtype: "quint8" },
  { quantMin: 0, quantMax: 15, dtype: "quint8" },
  { quantMin: 5, quantMax: 200, dtype: "quint8" },
  { quantMin: -128, quantMax: 127, dtype: "qint8" },
  { quantMin: -127, quantMax: 127, dtype: "qint8" },
  { quantMin: -20, quantMax: 37, dtype: "qint8" },
];

/** A float32 scale, log-uniform over [1e-3, 10]. */
const scaleArb = fc.double({ min: -3, max: 1, noNaN: true }).map((e) => f32(10 ** e));

/** A range, a zero point inside it and a scale. */
const qparamsArb = fc.constantFrom(...RANGES).chain((r) =>
  fc.record({
    quantMin: fc.constant(r.quantMin),
    quantMax: fc.constant(r.quantMax),
    dtype: fc.constant(r.dtype),
    zeroPoint: fc.integer({ min: r.quantMin, max: r.quantMax }),
    scale: scaleArb,
  })
);

/**
 * Offsets from the zero point, in units of the scale: integers a little beyond the range (so the
 * edges are hit), plus a tie, plus any fraction.
 */
function unitsArb(quantMin: number, quantMax: number, zeroPoint: number, maxLength = 48) {
  const k = fc.integer({ min: quantMin - zeroPoint - 3, max: quantMax - zeroPoint + 3 });
  const frac = fc.oneof(
    fc.constant(0),
    fc.constant(0.5),
    fc.constant(-0.5),
    fc.double({ min: -1, max: 1, noNaN: true }),
  );
  return fc.array(fc.tuple(k, frac).map(([i, f]) => i + f), { minLength: 1, maxLength });
}

/** Per-tensor qparams with matching values `x = units * scale` and a gradient `dy`. */
const perTensorCaseArb = qparamsArb.chain((qp) =>
  unitsArb(qp.quantMin, qp.quantMax, qp.zeroPoint).chain((units) =>
    fc.record({
      qp: fc.constant(qp),
      x: fc.constant(Float32Array.from(units, (u) => u * qp.scale)),
      dy: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
        minLength: units.length,
        maxLength: units.length,
      }).map((v) => Float32Array.from(v)),
    })
  )
);

/** The unclamped code `zp + rne(x * inv)`, from the quantize reference with qint32's wide range. */
function codes(x: Float32Array, scale: number, zeroPoint: number): Int32Array {
  return quantizePerTensor(new Tensor(x), { scale, zeroPoint, dtype: "qint32" })
    .intRepr as Int32Array;
}

function sameBits(actual: number, expected: number, what: string): void {
  assert.ok(Object.is(actual, expected), `${what}: expected ${expected}, got ${actual}`);
}

/** A shape of rank 1..4 and an axis in it, with one scale and integer zero point per channel. */
const perChannelCaseArb = fc.constantFrom(...RANGES).chain((r) =>
  fc.tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.nat())
    .chain(
      ([shape, axisSeed]) => {
        const axis = axisSeed % shape.length;
        const channels = shape[axis];
        const size = shape.reduce((a, b) => a * b, 1);
        return fc.record({
          range: fc.constant(r),
          shape: fc.constant(shape),
          axis: fc.constant(axis),
          scales: fc.array(scaleArb, { minLength: channels, maxLength: channels }),
          zeroPoints: fc.array(fc.integer({ min: r.quantMin, max: r.quantMax }), {
            minLength: channels,
            maxLength: channels,
          }),
          units: fc.array(fc.double({ min: -300, max: 300, noNaN: true }), {
            minLength: size,
            maxLength: size,
          }),
          dy: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
            minLength: size,
            maxLength: size,
          }),
        });
      },
    )
);

/** The flat indices of channel `c` of a row-major tensor, in order. */
function channelIndices(shape: readonly number[], axis: number, c: number): number[] {
  const { outer, channels, inner } = splitAtAxis(shape, axis);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out.push((o * channels + c) * inner + i);
  }
  return out;
}

/** Builds every fake quantization property for `impl`. */
export function fakeQuantizeProperties(
  impl: FakeQuantizeImpl = REFERENCE_FAKE_QUANTIZE,
  path = "reference",
): PropertyCheck[] {
  return [
    {
      name: "fake quantize equals dequantize(quantize(x)) where the code is inside the range",
      op: "fake_quantize_per_tensor_affine",
      path,
      property: () =>
        fc.property(perTensorCaseArb, ({ qp, x }) => {
          const y = impl.fakeQuantizePerTensorAffine(new Tensor(x), qp).data;
          const q = quantizePerTensor(new Tensor(x), qp);
          const back = dequantize(q).data;
          for (let i = 0; i < x.length; i++) {
            const code = q.intRepr[i];
            if (code >= qp.quantMin && code <= qp.quantMax) sameBits(y[i], back[i], `x=${x[i]}`);
          }
        }),
    },
    {
      name:
        "the straight-through mask is 1 exactly where the rounded code is in [quantMin, quantMax]",
      op: "fake_quantize_per_tensor_affine",
      path,
      property: () =>
        fc.property(perTensorCaseArb, ({ qp, x }) => {
          const ones = new Tensor(new Float32Array(x.length).fill(1));
          const dx = impl.fakeQuantizePerTensorAffineBackward(ones, new Tensor(x), qp).data;
          const q = codes(x, qp.scale, qp.zeroPoint);
          for (let i = 0; i < x.length; i++) {
            const inRange = q[i] >= qp.quantMin && q[i] <= qp.quantMax;
            assert.equal(dx[i], inRange ? 1 : 0, `x=${x[i]} has code ${q[i]}`);
          }
        }),
    },
    {
      name: "dx = dy · mask bit for bit (a masked negative dy gives -0)",
      op: "fake_quantize_per_tensor_affine",
      path,
      property: () =>
        fc.property(perTensorCaseArb, ({ qp, x, dy }) => {
          const dx =
            impl.fakeQuantizePerTensorAffineBackward(new Tensor(dy), new Tensor(x), qp).data;
          const q = codes(x, qp.scale, qp.zeroPoint);
          for (let i = 0; i < x.length; i++) {
            const mask = q[i] >= qp.quantMin && q[i] <= qp.quantMax ? 1 : 0;
            sameBits(dx[i], dy[i] * mask, `dx[${i}] (x=${x[i]}, code ${q[i]})`);
          }
        }),
    },
    {
      name: "ties round half to even before the zero point is added: x = (k + 1/2)·2^e",
      op: "fake_quantize_per_tensor_affine",
      path,
      property: () =>
        fc.property(
          fc.constantFrom(...RANGES),
          fc.integer({ min: -10, max: 3 }),
          fc.integer({ min: -300, max: 300 }),
          fc.nat(),
          (r, exponent, k, zpSeed) => {
            const scale = 2 ** exponent;
            const zeroPoint = r.quantMin + (zpSeed % (r.quantMax - r.quantMin + 1));
            const x = (k + 0.5) * scale;
            const y = impl.fakeQuantizePerTensorAffine(Tensor.from([x]), { ...r, scale, zeroPoint })
              .data[0];
            const even = k % 2 === 0 ? k : k + 1;
            const code = Math.min(r.quantMax, Math.max(r.quantMin, zeroPoint + even));
            sameBits(
              y,
              (code - zeroPoint) * scale + 0,
              `x = (${k} + 1/2)·${scale}, zero point ${zeroPoint}`,
            );
          },
        ),
    },
    {
      name: "fake quantize is idempotent: fq(fq(x)) = fq(x) (per tensor and per channel)",
      op: "fake_quantize_per_tensor_affine",
      path,
      property: () =>
        fc.property(perTensorCaseArb, perChannelCaseArb, ({ qp, x }, pc) => {
          const once = impl.fakeQuantizePerTensorAffine(new Tensor(x), qp);
          const twice = impl.fakeQuantizePerTensorAffine(once, qp);
          once.data.forEach((v, i) => sameBits(twice.data[i], v, `per tensor, x=${x[i]}`));
          const xc = perChannelInput(pc);
          const o = { ...pc.range, scales: pc.scales, zeroPoints: pc.zeroPoints, axis: pc.axis };
          const onceC = impl.fakeQuantizePerChannelAffine(xc, o);
          const twiceC = impl.fakeQuantizePerChannelAffine(onceC, o);
          onceC.data.forEach((v, i) => sameBits(twiceC.data[i], v, `per channel, element ${i}`));
        }),
    },
    {
      name: "per channel equals per tensor on each channel's slice (forward and gradient)",
      op: "fake_quantize_per_channel_affine",
      path,
      property: () =>
        fc.property(perChannelCaseArb, (pc) => {
          const x = perChannelInput(pc);
          const dy = new Tensor(Float32Array.from(pc.dy), pc.shape);
          const o = { ...pc.range, scales: pc.scales, zeroPoints: pc.zeroPoints, axis: pc.axis };
          const y = impl.fakeQuantizePerChannelAffine(x, o).data;
          const dx = impl.fakeQuantizePerChannelAffineBackward(dy, x, o).data;
          for (let c = 0; c < pc.scales.length; c++) {
            const idx = channelIndices(pc.shape, pc.axis, c);
            const slice = Tensor.from(idx.map((i) => x.data[i]));
            const dySlice = Tensor.from(idx.map((i) => dy.data[i]));
            const ot = { ...pc.range, scale: pc.scales[c], zeroPoint: pc.zeroPoints[c] };
            const ys = impl.fakeQuantizePerTensorAffine(slice, ot).data;
            const dxs = impl.fakeQuantizePerTensorAffineBackward(dySlice, slice, ot).data;
            idx.forEach((i, j) => {
              sameBits(y[i], ys[j], `y, channel ${c}, element ${i}`);
              sameBits(dx[i], dxs[j], `dx, channel ${c}, element ${i}`);
            });
          }
        }),
    },
    {
      name: "LSQ forward equals the non-learnable op for integral zero points",
      op: "fake_quantize_learnable_per_tensor_affine",
      path,
      property: () =>
        fc.property(perTensorCaseArb, perChannelCaseArb, ({ qp, x }, pc) => {
          const y = impl.fakeQuantizeLearnablePerTensorAffine(new Tensor(x), qp).data;
          const ref = impl.fakeQuantizePerTensorAffine(new Tensor(x), qp).data;
          ref.forEach((v, i) => sameBits(y[i], v, `per tensor, x=${x[i]}`));
          const xc = perChannelInput(pc);
          const o = { ...pc.range, scales: pc.scales, zeroPoints: pc.zeroPoints, axis: pc.axis };
          const yc = impl.fakeQuantizeLearnablePerChannelAffine(xc, o).data;
          const refC = impl.fakeQuantizePerChannelAffine(xc, o).data;
          refC.forEach((v, i) => sameBits(yc[i], v, `per channel, element ${i}`));
        }),
    },
    {
      name:
        "LSQ per-channel gradients on axis 0 equal per-tensor LSQ gradients of each channel's slice",
      op: "fake_quantize_learnable_per_channel_affine",
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(
          perChannelCaseArb.filter((pc) => pc.range.quantMin <= 0 && pc.range.quantMax >= 0),
          fc.integer({ min: 1, max: 40 }),
          fc.double({ min: 0.01, max: 2, noNaN: true }),
          (pc, rows, gradFactor) => {
            // Lay the channels out along axis 0 of a [channels, rows] tensor.
            const channels = pc.scales.length;
            const shape = [channels, rows];
            const n = channels * rows;
            const x = new Tensor(
              Float32Array.from({ length: n }, (_, i) =>
                pc.units[i % pc.units.length] * pc.scales[Math.floor(i / rows)]),
              shape,
            );
            const dy = new Tensor(
              Float32Array.from({ length: n }, (_, i) =>
                pc.dy[i % pc.dy.length]),
              shape,
            );
            const o = {
              ...pc.range,
              scales: pc.scales,
              zeroPoints: pc.zeroPoints,
              axis: 0,
              gradFactor,
            };
            const g = impl.fakeQuantizeLearnablePerChannelAffineBackward(dy, x, o);
            for (let c = 0; c < channels; c++) {
              const part = (t: Tensor) => Tensor.from(t.data.subarray(c * rows, (c + 1) * rows));
              // The per-tensor backward truncates zp + 1/2, so a negative integral zero point z
              // would become z + 1 there (a PyTorch quirk); z - 1/2 gives z.
              const z = pc.zeroPoints[c];
              const gt = impl.fakeQuantizeLearnablePerTensorAffineBackward(part(dy), part(x), {
                ...pc.range,
                scale: pc.scales[c],
                zeroPoint: z < 0 ? z - 0.5 : z,
                gradFactor,
              });
              gt.dx.data.forEach((v, j) =>
                sameBits(g.dx.data[c * rows + j], v, `dx, channel ${c}, row ${j}`)
              );
              sameBits(g.dScale.data[c], gt.dScale.data[0], `dScale, channel ${c}`);
              sameBits(g.dZeroPoint.data[c], gt.dZeroPoint.data[0], `dZeroPoint, channel ${c}`);
            }
          },
        ),
    },
  ];
}

/** The per-channel case's input tensor: each element is its units times its channel's scale. */
function perChannelInput(pc: {
  shape: number[];
  axis: number;
  scales: number[];
  units: number[];
}): Tensor {
  const { channels, inner } = splitAtAxis(pc.shape, pc.axis);
  return new Tensor(
    Float32Array.from(pc.units, (u, i) => u * pc.scales[Math.floor(i / inner) % channels]),
    pc.shape,
  );
}
