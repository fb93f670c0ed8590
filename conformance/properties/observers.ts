/**
 * Properties of the observers and fake-quantize modules (docs/numerics/observers.md,
 * docs/numerics/fake_quantize.md §The modules).
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import type { QScheme, QuantizedDType } from "../../reference/dtype.ts";
import {
  fakeQuantizePerChannelAffine,
  fakeQuantizePerTensorAffine,
} from "../../reference/fake_quantize.ts";
import { FusedMovingAvgObsFakeQuantize } from "../../reference/fake_quantize_module.ts";
import {
  FLOAT32_EPS,
  HistogramCapacityError,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  type Observer,
  PerChannelMinMaxObserver,
  type QParamsResult,
} from "../../reference/observers/mod.ts";
import { splitAtAxis, Tensor } from "../../reference/tensor.ts";

/** The classes these properties check (a test can hand in broken subclasses). */
export interface ObserverImpl {
  /** MinMaxObserver or a subclass. */
  MinMaxObserver: typeof MinMaxObserver;
  /** MovingAverageMinMaxObserver or a subclass. */
  MovingAverageMinMaxObserver: typeof MovingAverageMinMaxObserver;
  /** PerChannelMinMaxObserver or a subclass. */
  PerChannelMinMaxObserver: typeof PerChannelMinMaxObserver;
  /** MovingAveragePerChannelMinMaxObserver or a subclass. */
  MovingAveragePerChannelMinMaxObserver: typeof MovingAveragePerChannelMinMaxObserver;
  /** HistogramObserver or a subclass. */
  HistogramObserver: typeof HistogramObserver;
  /** FusedMovingAvgObsFakeQuantize or a subclass. */
  FusedMovingAvgObsFakeQuantize: typeof FusedMovingAvgObsFakeQuantize;
}

/** The reference classes. */
export const REFERENCE_OBSERVERS: ObserverImpl = {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  HistogramObserver,
  FusedMovingAvgObsFakeQuantize,
};

const f32 = Math.fround;

/** A per-tensor observer configuration PyTorch accepts. */
interface Config {
  dtype: QuantizedDType;
  symmetric: boolean;
  reduceRange: boolean;
  quantMin?: number;
  quantMax?: number;
  eps?: number;
}

/**
 * Valid configurations: quint8/qint8, affine or symmetric, reduce_range (not with symmetric
 * quint8), default or custom ranges (symmetric custom ranges centred on their midpoint, so that
 * the symmetric range covers the data; at least 2 codes wide, since reduce_range halves a
 * custom range [0, 1] into [0, 0], where PyTorch's scale is NaN), default or custom eps.
 */
const configArb: fc.Arbitrary<Config> = fc.record({
  dtype: fc.constantFrom<QuantizedDType>("quint8", "qint8"),
  symmetric: fc.boolean(),
  reduceRange: fc.boolean(),
  range: fc.option(fc.integer({ min: 2, max: 127 }), { nil: undefined }),
  eps: fc.option(fc.constantFrom(2 ** -12, 1e-3, 0.1, 1e-10), { nil: undefined }),
}).map(({ dtype, symmetric, reduceRange, range, eps }) => {
  const config: Config = {
    dtype,
    symmetric,
    reduceRange: reduceRange && !(symmetric && dtype === "quint8"),
    eps,
  };
  if (range !== undefined) {
    if (dtype === "qint8") {
      config.quantMin = -range;
      config.quantMax = symmetric ? range : 127;
    } else {
      config.quantMin = 0;
      config.quantMax = symmetric ? 2 * range : range;
    }
  }
  return config;
});

function options(config: Config, perChannel = false) {
  const { symmetric, ...rest } = config;
  const qscheme: QScheme = perChannel
    ? (symmetric ? "per_channel_symmetric" : "per_channel_affine")
    : (symmetric ? "per_tensor_symmetric" : "per_tensor_affine");
  return { ...rest, qscheme };
}

/**
 * A float32 value without -0: an integer times 1e-4, 1e-2 or 1 (so |v| <= 1e4 and the ranges of
 * two batches differ at most 1e10-fold: HistogramObserver re-bins by allocating a grid of
 * bins × 128 × growth cells, which PyTorch cannot do for the 1e30-fold growth of denormals).
 */
const valueArb = fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.constantFrom(1e-4, 1e-2, 1))
  .map(([i, s]) => f32(Math.max(-1e4, Math.min(1e4, i * s))) + 0);

/** A batch of values: random, constant, all zero, one-signed, narrow or with outliers. */
function batchArb(maxLength = 40): fc.Arbitrary<number[]> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(valueArb, { minLength: 1, maxLength }) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.array(valueArb, { minLength: 1, maxLength }),
        fc.constantFrom(1e-6, 1e-3, 1),
      )
        .map(([v, s]) => v.map((x) => f32(x * s) + 0)),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: maxLength }).map((n) => new Array(n).fill(0)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valueArb, fc.integer({ min: 1, max: maxLength })).map(([v, n]) =>
        new Array(n).fill(v)
      ),
    },
    {
      weight: 1,
      arbitrary: fc.array(valueArb, { minLength: 1, maxLength }).map((v) =>
        v.map((x) => Math.abs(x))
      ),
    },
    {
      weight: 1,
      arbitrary: fc.array(valueArb, { minLength: 1, maxLength }).map((v) =>
        v.map((x) => -Math.abs(x) + 0)
      ),
    },
  );
}

const batchesArb = fc.array(batchArb(), { minLength: 1, maxLength: 4 });

function observe(o: Observer, batches: readonly (readonly number[])[]): void {
  for (const b of batches) o.forward(Tensor.from(b));
}

/**
 * Observes the batches; false when HistogramObserver meets data PyTorch 1.13 itself cannot
 * handle (a range that grows by many orders of magnitude between batches).
 */
function observeIfPossible(o: Observer, batches: readonly (readonly number[])[]): boolean {
  try {
    observe(o, batches);
    return true;
  } catch (e) {
    if (e instanceof HistogramCapacityError) return false;
    throw e;
  }
}

function sameQParams(a: QParamsResult, b: QParamsResult, what: string): void {
  assert.deepEqual([...a.scale], [...b.scale], `${what}: scales differ`);
  assert.deepEqual([...a.zeroPoint], [...b.zeroPoint], `${what}: zero points differ`);
}

/** The values of channel `c` along `axis` of a row-major tensor. */
function channelSlice(
  data: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  c: number,
): number[] {
  const { outer, channels, inner } = splitAtAxis(shape, axis);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out.push(data[(o * channels + c) * inner + i]);
  }
  return out;
}

/** A per-channel case: a shape, an axis and batches of that shape. */
const perChannelCaseArb = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
  axisSeed: fc.nat(),
  count: fc.integer({ min: 1, max: 3 }),
}).chain(({ shape, axisSeed, count }) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc.record({
    shape: fc.constant(shape),
    axis: fc.constant(axisSeed % shape.length),
    batches: fc.array(fc.array(valueArb, { minLength: size, maxLength: size }), {
      minLength: count,
      maxLength: count,
    }),
  });
});

/** The per-tensor observers the generic properties run over. */
function perTensorObservers(impl: ObserverImpl, config: Config): Observer[] {
  return [
    new impl.MinMaxObserver(options(config)),
    new impl.MovingAverageMinMaxObserver({ ...options(config), averagingConstant: 0.25 }),
    new impl.HistogramObserver({ ...options(config), bins: 128, upsampleRate: 8 }),
  ];
}

/** Builds every observer property for `impl`. */
export function observerProperties(
  impl: ObserverImpl = REFERENCE_OBSERVERS,
  path = "reference",
): PropertyCheck[] {
  return [
    {
      name: "every observer's zero point is an integer code in [quantMin, quantMax]: 0.0 is exact",
      op: "observer",
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(configArb, batchesArb, (config, batches) => {
          for (const o of perTensorObservers(impl, config)) {
            if (!observeIfPossible(o, batches)) continue;
            const { scale, zeroPoint } = o.calculateQParams();
            const { quantMin, quantMax } = o as unknown as { quantMin: number; quantMax: number };
            const zp = zeroPoint[0];
            assert.ok(
              Number.isInteger(zp) && zp >= quantMin && zp <= quantMax,
              `${o.className}: zp ${zp}`,
            );
            const zero = fakeQuantizePerTensorAffine(Tensor.from([0]), {
              scale: scale[0],
              zeroPoint: zp,
              quantMin,
              quantMax,
            });
            assert.ok(Object.is(zero.data[0], 0), `${o.className}: 0 came back as ${zero.data[0]}`);
          }
        }),
    },
    {
      name: "scales are > 0 and >= eps; a zero-width range gives exactly eps (2^-23 by default)",
      op: "observer",
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(configArb, batchesArb, fc.boolean(), (config, batches, zeroWidth) => {
          const data = zeroWidth ? [batches[0].map(() => 0)] : batches;
          const eps = f32(config.eps ?? FLOAT32_EPS);
          for (const o of perTensorObservers(impl, config)) {
            if (!observeIfPossible(o, data)) continue;
            const s = o.calculateQParams().scale[0];
            assert.ok(s > 0 && s >= eps, `${o.className}: scale ${s} < eps ${eps}`);
            if (zeroWidth) {
              assert.equal(s, eps, `${o.className}: all-zero input must give scale = eps`);
            }
          }
        }),
    },
    {
      name:
        "MinMax qparams cover the observed range: every observed value fake-quantizes within scale/2",
      op: "observer",
      path,
      property: () =>
        fc.property(configArb, batchesArb, (config, batches) => {
          const o = new impl.MinMaxObserver(options(config));
          observe(o, batches);
          const { scale, zeroPoint } = o.calculateQParams();
          const x = Tensor.from(batches.flat());
          const y = fakeQuantizePerTensorAffine(x, {
            scale: scale[0],
            zeroPoint: zeroPoint[0],
            quantMin: o.quantMin,
            quantMax: o.quantMax,
          });
          x.data.forEach((v, i) => {
            const tolerance = scale[0] / 2 * (1 + 1e-5) + Math.abs(v) * 2 ** -22;
            assert.ok(
              Math.abs(y.data[i] - v) <= tolerance,
              `${v} came back as ${y.data[i]} (scale ${scale[0]}, zero point ${zeroPoint[0]})`,
            );
          });
        }),
    },
    {
      name:
        "symmetric qparams have the documented zero point (qint8 0, quint8 128 or the range's floor midpoint)",
      op: "observer",
      path,
      property: () =>
        fc.property(configArb, batchesArb, (config, batches) => {
          const sym = { ...config, symmetric: true };
          sym.reduceRange = sym.reduceRange && sym.dtype !== "quint8";
          const o = new impl.MinMaxObserver(options(sym));
          observe(o, batches);
          const expected = sym.dtype === "qint8"
            ? 0
            : sym.quantMin !== undefined
            ? Math.floor((o.quantMin + o.quantMax) / 2)
            : 128;
          assert.equal(o.calculateQParams().zeroPoint[0], expected);
        }),
    },
    {
      name: "MinMax after several batches equals MinMax of their concatenation",
      op: "observer",
      path,
      property: () =>
        fc.property(configArb, batchesArb, (config, batches) => {
          const a = new impl.MinMaxObserver(options(config));
          observe(a, batches);
          const b = new impl.MinMaxObserver(options(config));
          observe(b, [batches.flat()]);
          assert.deepEqual([a.minVal, a.maxVal], [b.minVal, b.maxVal]);
          sameQParams(a.calculateQParams(), b.calculateQParams(), "batches vs concatenation");
        }),
    },
    {
      name: "MovingAverageMinMax after one batch equals MinMax",
      op: "observer",
      path,
      property: () =>
        fc.property(
          configArb,
          batchArb(),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (config, batch, c) => {
            const a = new impl.MovingAverageMinMaxObserver({
              ...options(config),
              averagingConstant: c,
            });
            const b = new impl.MinMaxObserver(options(config));
            observe(a, [batch]);
            observe(b, [batch]);
            assert.deepEqual([a.minVal, a.maxVal], [b.minVal, b.maxVal]);
            sameQParams(a.calculateQParams(), b.calculateQParams(), "moving average vs min/max");
          },
        ),
    },
    {
      name: "per-channel observers equal the per-tensor observer applied to each channel's slice",
      op: "observer",
      path,
      property: () =>
        fc.property(
          configArb,
          perChannelCaseArb,
          fc.boolean(),
          (config, { shape, axis, batches }, moving) => {
            const perChannel = moving
              ? new impl.MovingAveragePerChannelMinMaxObserver({
                ...options(config, true),
                chAxis: axis,
              })
              : new impl.PerChannelMinMaxObserver({ ...options(config, true), chAxis: axis });
            for (const b of batches) perChannel.forward(Tensor.from(b, shape));
            const got = perChannel.calculateQParams();
            for (let c = 0; c < shape[axis]; c++) {
              const perTensor = moving
                ? new impl.MovingAverageMinMaxObserver(options(config))
                : new impl.MinMaxObserver(options(config));
              for (const b of batches) {
                perTensor.forward(Tensor.from(channelSlice(b, shape, axis, c)));
              }
              const want = perTensor.calculateQParams();
              assert.equal(got.scale[c], want.scale[0], `channel ${c} scale`);
              assert.equal(got.zeroPoint[c], want.zeroPoint[0], `channel ${c} zero point`);
              assert.equal(perChannel.minVal[c], perTensor.minVal, `channel ${c} min`);
            }
          },
        ),
    },
    {
      name: "the histogram counts exactly the inputs inside histc's [int(min), int(max)] range " +
        "(twice for a repeated batch)",
      op: "observer",
      path,
      runsFactor: 0.5,
      property: () =>
        fc.property(
          batchArb(200),
          fc.constantFrom(16, 100, 2048),
          fc.boolean(),
          (batch, bins, twice) => {
            const o = new impl.HistogramObserver({ bins });
            const count = () => o.histogram.reduce((a, b) => a + b, 0);
            observe(o, [batch]);
            const min = f32(Math.min(...batch));
            const max = f32(Math.max(...batch));
            let lo = Math.trunc(min) + 0;
            let hi = Math.trunc(max) + 0;
            if (lo === hi) [lo, hi] = [min, max];
            if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
            const inRange = batch.filter((v) => v >= f32(lo) && v <= f32(hi)).length;
            assert.equal(count(), inRange);
            if (!twice) return;
            // The same batch again adds its counts on the same grid, unless min == max (which
            // restarts the histogram) or float32 rounding widened the grid by one step.
            o.forward(Tensor.from(batch));
            if (min === max) assert.equal(count(), inRange);
            else if (o.minVal === min && o.maxVal === max) assert.equal(count(), 2 * inRange);
          },
        ),
    },
    {
      name: "FusedMovingAvgObsFakeQuantize's output equals fake quantization with its own qparams",
      op: "fake_quantize_module",
      path,
      property: () =>
        fc.property(fc.boolean(), fc.boolean(), batchesArb, (symmetric, reduceRange, batches) => {
          const m = new impl.FusedMovingAvgObsFakeQuantize(
            symmetric
              ? { quantMin: -128, quantMax: 127, dtype: "qint8", qscheme: "per_tensor_symmetric" }
              : { quantMin: 0, quantMax: 255, reduceRange },
          );
          for (const b of batches) {
            const x = Tensor.from(b);
            const y = m.forward(x);
            const want = fakeQuantizePerTensorAffine(x, {
              scale: m.scale[0],
              zeroPoint: m.zeroPoint[0],
              quantMin: m.quantMin,
              quantMax: m.quantMax,
            });
            assert.deepEqual([...y.data], [...want.data]);
          }
        }),
    },
    {
      name:
        "per-channel FusedMovingAvgObsFakeQuantize equals per-channel fake quantization with its qparams",
      op: "fake_quantize_module",
      path,
      property: () =>
        fc.property(perChannelCaseArb, ({ shape, batches }) => {
          const m = new impl.FusedMovingAvgObsFakeQuantize({
            observer: MovingAveragePerChannelMinMaxObserver,
            quantMin: -128,
            quantMax: 127,
            dtype: "qint8",
            qscheme: "per_channel_symmetric",
          });
          for (const b of batches) {
            const x = Tensor.from(b, shape);
            const y = m.forward(x);
            const want = fakeQuantizePerChannelAffine(x, {
              scales: m.scale,
              zeroPoints: m.zeroPoint,
              axis: 0,
              quantMin: -128,
              quantMax: 127,
            });
            assert.deepEqual([...y.data], [...want.data]);
          }
        }),
    },
  ];
}
