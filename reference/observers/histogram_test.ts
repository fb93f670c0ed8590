import assert from "node:assert/strict";
import { Tensor } from "../tensor.ts";
import { HistogramObserver } from "./histogram.ts";
import { HistogramCapacityError } from "./_histogram_math.ts";

const f32 = Math.fround;

Deno.test("HistogramObserver: never run gives (1, 0); all-zero input gives (eps, 0)", () => {
  const o = new HistogramObserver();
  assert.deepEqual([...o.calculateQParams().scale], [1]);
  o.forward(Tensor.from([0, 0, 0, 0, 0]));
  const { scale, zeroPoint } = o.calculateQParams();
  assert.deepEqual([[...scale], [...zeroPoint]], [[f32(1.1920929e-7)], [0]]);
});

Deno.test("HistogramObserver: int() truncation of the histc bounds drops data (PyTorch 1.13)", () => {
  const o = new HistogramObserver();
  o.forward(Tensor.from([-1.9, -1.2, -0.4, 0.3, 1.1, 2.8, 2.95]));
  // int(-1.9) = -1, int(2.95) = 2: only -0.4, 0.3 and 1.1 fall in [-1, 2].
  assert.equal(o.histogram.reduce((a, b) => a + b, 0), 3);
  assert.deepEqual([o.minVal, o.maxVal], [f32(-1.9), f32(2.95)]);
  const { scale, zeroPoint } = o.calculateQParams();
  assert.equal(zeroPoint[0], 98); // PyTorch: (0.0095, 98)
  assert.ok(Math.abs(scale[0] - 0.0095) < 5e-5);
});

Deno.test("HistogramObserver: equal min and max restart the histogram at the next batch", () => {
  const o = new HistogramObserver({ bins: 8 });
  o.forward(Tensor.from([3, 3, 3]));
  assert.deepEqual([o.minVal, o.maxVal], [3, 3]);
  o.forward(Tensor.from([0.5, 1.5]));
  assert.deepEqual([o.minVal, o.maxVal], [0.5, 1.5]);
  // A fresh histc over [int(0.5), int(1.5)] = [0, 1]: 1.5 falls outside.
  assert.equal(o.histogram.reduce((a, b) => a + b, 0), 1);
});

Deno.test("HistogramObserver: a repeated batch adds its counts on the same grid", () => {
  const o = new HistogramObserver({ bins: 16 });
  const x = Tensor.from([-2, -1, 0, 1, 2, 3]);
  o.forward(x);
  const once = o.histogram;
  o.forward(x);
  assert.deepEqual([...o.histogram], [...once].map((v) => 2 * v));
});

Deno.test("HistogramObserver: a wider batch re-bins the old counts onto the new grid", () => {
  const o = new HistogramObserver({ bins: 64, upsampleRate: 16 });
  o.forward(Tensor.from([-1, -0.5, 0, 0.5, 1]));
  o.forward(Tensor.from([-4, 4]));
  assert.ok(o.minVal === -4 && o.maxVal >= 4);
  // The old counts are spread, not lost: 5 old (inside the new range) + 2 new.
  assert.ok(Math.abs(o.histogram.reduce((a, b) => a + b, 0) - 7) < 1e-4);
});

Deno.test("HistogramObserver: reduceRange with symmetric quint8 is allowed (zero point 128)", () => {
  const o = new HistogramObserver({ reduceRange: true, qscheme: "per_tensor_symmetric" });
  assert.deepEqual([o.quantMin, o.quantMax], [0, 127]);
  o.forward(Tensor.from([-1, 0.5, 1]));
  assert.equal(o.calculateQParams().zeroPoint[0], 128);
});

Deno.test("HistogramObserver: dstNbins is 256 even under reduceRange, 2^32 for qint32", () => {
  assert.equal(new HistogramObserver({ reduceRange: true }).dstNbins, 256);
  assert.equal(new HistogramObserver({ dtype: "quint4x2" }).dstNbins, 256);
  assert.equal(new HistogramObserver({ dtype: "qint32" }).dstNbins, 2 ** 32);
});

Deno.test("HistogramObserver: validation", () => {
  assert.throws(() => new HistogramObserver({ bins: 0 }), /bins: must be >= 1, got 0/);
  assert.throws(() => new HistogramObserver({ bins: 2.5 }), /bins.*2.5/);
  assert.throws(() => new HistogramObserver({ upsampleRate: 0 }), /upsampleRate/);
  assert.throws(() => new HistogramObserver({ qscheme: "per_channel_affine" }), /qscheme/);
  assert.throws(() => new HistogramObserver({ chAxis: 0 } as never), /unexpected option "chAxis"/);
  assert.throws(() => new HistogramObserver().forward(Tensor.from([1, Infinity])), /Infinity/);
  assert.throws(() => new HistogramObserver().forward(Tensor.from([NaN, 1])), /NaN/);
});

Deno.test("HistogramObserver: the search never widens the range and ends inside it", () => {
  const o = new HistogramObserver();
  const values = Array.from(
    { length: 400 },
    (_, i) => Math.sin(i * 12.9898) * 3 + (i % 97 === 0 ? 40 : 0),
  );
  o.forward(Tensor.from(values));
  const { min, max } = o.nonLinearParamSearch();
  assert.ok(min >= o.minVal && max <= o.maxVal + 1e-5 * (o.maxVal - o.minVal));
  assert.ok(min < max);
});

Deno.test("HistogramObserver: loadState restores a state that computes the same qparams", () => {
  const source = new HistogramObserver({ bins: 64 });
  source.forward(Tensor.from(Array.from({ length: 300 }, (_, i) => Math.cos(i * 0.37) * 2)));
  source.forward(Tensor.from([5, -3, 0.25]));
  const copy = new HistogramObserver({ bins: 64 });
  copy.loadState({ histogram: source.histogram, minVal: source.minVal, maxVal: source.maxVal });
  assert.deepEqual(copy.histogram, source.histogram);
  assert.deepEqual(copy.calculateQParams(), source.calculateQParams());
  // Observing after a restore continues from the restored state.
  source.forward(Tensor.from([7]));
  copy.forward(Tensor.from([7]));
  assert.deepEqual(copy.histogram, source.histogram);
  assert.throws(
    () => copy.loadState({ histogram: new Float32Array(63), minVal: 0, maxVal: 1 }),
    /histogram: expected 64 bins, got 63/,
  );
  assert.throws(
    () => copy.loadState({ histogram: new Float32Array(64), minVal: 2, maxVal: 1 }),
    /minVal, maxVal/,
  );
});

Deno.test("HistogramObserver: data PyTorch 1.13 cannot bin fails as PyTorch does, naming the observer", () => {
  const fails = (batches: number[][], pattern: RegExp, capacity: boolean) => {
    const o = new HistogramObserver();
    const before = { min: o.minVal, max: o.maxVal };
    let error: unknown;
    try {
      for (const b of batches) o.forward(Tensor.from(b));
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof RangeError, `${batches}: no error`);
    assert.equal(error instanceof HistogramCapacityError, capacity, String(error));
    assert.match(error.message, pattern);
    if (batches.length === 1) assert.deepEqual({ min: o.minVal, max: o.maxVal }, before);
  };
  // torch.histc's int64 bounds: "Overflow when unpacking long" for |values| >= 2^63 (finite data).
  fails(
    [[-3e38, 3e38]],
    /^HistogramObserver: the batch minimum: int\(-3\.0\d*e\+38\) does not fit int64/,
    true,
  );
  fails([[0, 9.3e18]], /^HistogramObserver: the batch maximum: .* does not fit int64/, true);
  // A range that grows by more than float32 can express: int() of an infinite rate in PyTorch.
  fails(
    [[0, 1e-30], [0, 1e30]],
    /^HistogramObserver: the range grew from \[0, 1\.0\d*e-30\]/,
    true,
  );
  // NaN and ±Infinity: PyTorch's int() fails.
  fails(
    [[0, Infinity]],
    /^HistogramObserver: the batch maximum \(NaN or ±Infinity in x\): cannot convert Infinity/,
    false,
  );
  fails(
    [[0, 1], [NaN]],
    /^HistogramObserver: the batch minimum \(NaN or ±Infinity in x\): cannot convert NaN/,
    false,
  );
  // Values up to 2^63 still work, as in PyTorch (scale 1.7233e13 there).
  const o = new HistogramObserver();
  o.forward(Tensor.from([0, 9e18]));
  assert.equal(o.calculateQParams().zeroPoint[0], 0);
});
