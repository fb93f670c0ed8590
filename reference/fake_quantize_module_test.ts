import assert from "node:assert/strict";
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from "./fake_quantize.ts";
import {
  FakeQuantize,
  FixedQParamsFakeQuantize,
  FusedMovingAvgObsFakeQuantize,
} from "./fake_quantize_module.ts";
import { defaultFixedQParamsRange0to1Observer } from "./observers/fixed_qparams.ts";
import { withArgs } from "./observers/factory.ts";
import { HistogramObserver } from "./observers/histogram.ts";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "./observers/min_max.ts";
import { MovingAveragePerChannelMinMaxObserver } from "./observers/per_channel_min_max.ts";
import { Tensor } from "./tensor.ts";

const f32 = Math.fround;

Deno.test("FakeQuantize: defaults (MovingAverageMinMaxObserver, quint8 [0, 255], qparams (1, 0))", () => {
  const m = new FakeQuantize();
  assert.equal(m.activationPostProcess.className, "MovingAverageMinMaxObserver");
  assert.deepEqual([m.quantMin, m.quantMax, m.dtype, m.qscheme, m.chAxis], [
    0,
    255,
    "quint8",
    "per_tensor_affine",
    -1,
  ]);
  assert.deepEqual([[...m.scale], [...m.zeroPoint]], [[1], [0]]);
  assert.ok(m.observerEnabled && m.fakeQuantEnabled);
});

Deno.test("FakeQuantize: forward observes, then fake-quantizes with the observer's qparams", () => {
  const m = new FakeQuantize();
  const x = Tensor.from([-1, 0.3, 2]);
  const y = m.forward(x);
  assert.deepEqual([...m.scale], [f32(3 / 255)]);
  assert.deepEqual([...m.zeroPoint], [85]);
  const expected = fakeQuantizePerTensorAffine(x, {
    scale: m.scale[0],
    zeroPoint: 85,
    quantMin: 0,
    quantMax: 255,
  });
  assert.deepEqual([...y.data], [...expected.data]);
  assert.equal(y.data[1], f32(0.30588236451148987)); // PyTorch's value
});

Deno.test("FakeQuantize: the observer and fake-quant switches", () => {
  const m = new FakeQuantize();
  m.disableFakeQuant();
  const x = Tensor.from([-1, 2]);
  assert.equal(m.forward(x), x); // fake quant off: x itself, but observed
  assert.deepEqual([...m.zeroPoint], [85]);
  m.disableObserver();
  m.enableFakeQuant();
  m.forward(Tensor.from([-100, 100])); // not observed: the qparams stay
  assert.deepEqual([...m.zeroPoint], [85]);
  assert.equal(m.activationPostProcess.calculateQParams().zeroPoint[0], 85);
  m.enableObserver(true);
  m.enableFakeQuant(false);
  assert.ok(m.observerEnabled && !m.fakeQuantEnabled);
});

Deno.test("FakeQuantize: passes its range and observer arguments on; reduce_range halves the range", () => {
  const m = new FakeQuantize({
    observer: MovingAverageMinMaxObserver,
    quantMin: 0,
    quantMax: 255,
    reduceRange: true,
    averagingConstant: 0.5,
  });
  assert.deepEqual([m.quantMin, m.quantMax], [0, 127]);
  assert.equal((m.activationPostProcess as MovingAverageMinMaxObserver).averagingConstant, 0.5);
  const h = new FakeQuantize({ observer: withArgs(HistogramObserver, { dtype: "qint8" }) });
  assert.deepEqual([h.dtype, h.quantMin], ["qint8", -128]);
});

Deno.test("FakeQuantize: PyTorch's constructor checks", () => {
  assert.throws(
    () => new FakeQuantize({ quantMin: 10, quantMax: 5 }),
    /quantMin must be <= quantMax/,
  );
  assert.throws(
    () => new FakeQuantize({ quantMin: -1, quantMax: 255 }),
    /quantMin: -1 is out of bound/,
  );
  assert.throws(
    () =>
      new FakeQuantize({
        observer: withArgs(MinMaxObserver, { dtype: "qint8" }),
        quantMin: 0,
        quantMax: 255,
      }),
    /quantMax: 255 is out of bound/,
  );
  assert.throws(
    () => new FakeQuantize({ observer: MinMaxObserver, averagingConstant: 0.1 }),
    /unexpected option/,
  );
});

Deno.test("FakeQuantize: per channel uses the observer's axis and per-channel fake quantization", () => {
  const m = new FakeQuantize({
    observer: MovingAveragePerChannelMinMaxObserver,
    quantMin: -128,
    quantMax: 127,
    dtype: "qint8",
    qscheme: "per_channel_symmetric",
    chAxis: 1,
  });
  const x = new Tensor(Float32Array.from([-1, 2, 0.5, 3, -4, 0]), [3, 2]);
  const y = m.forward(x);
  assert.equal(m.chAxis, 1);
  assert.equal(m.scale.length, 2);
  const expected = fakeQuantizePerChannelAffine(x, {
    scales: m.scale,
    zeroPoints: m.zeroPoint,
    axis: 1,
    quantMin: -128,
    quantMax: 127,
  });
  assert.deepEqual([...y.data], [...expected.data]);
});

Deno.test("FusedMovingAvgObsFakeQuantize: the C++ qparams: 6.1e-5 floor, 0.1 for an all-zero range", () => {
  const tiny = new FusedMovingAvgObsFakeQuantize();
  const y = tiny.forward(Tensor.from([1e-6, 3e-6]));
  assert.deepEqual([...tiny.scale], [f32(6.1e-5)]);
  assert.deepEqual([...y.data], [0, 0]);
  // Convert uses the observer's Python rule instead.
  assert.deepEqual([...tiny.calculateQParams().scale], [f32(2 ** -23)]);
  const zeros = new FusedMovingAvgObsFakeQuantize();
  zeros.forward(Tensor.from([0, 0, 0]));
  assert.deepEqual([...zeros.scale], [f32(0.1)]);
});

Deno.test("FusedMovingAvgObsFakeQuantize: symmetric qint8 (PyTorch's values)", () => {
  const m = new FusedMovingAvgObsFakeQuantize({
    observer: MovingAverageMinMaxObserver,
    quantMin: -128,
    quantMax: 127,
    dtype: "qint8",
    qscheme: "per_tensor_symmetric",
  });
  const y = m.forward(Tensor.from([-1, 2]));
  assert.deepEqual([...m.zeroPoint], [0]);
  assert.deepEqual([...y.data], [f32(-1.0078740119934082), 2]);
  assert.ok(m.isSymmetricQuant);
});

Deno.test("FusedMovingAvgObsFakeQuantize: running min/max update and switches", () => {
  const m = new FusedMovingAvgObsFakeQuantize();
  m.forward(Tensor.from([-1, 2]));
  m.forward(Tensor.from([-3, 5]));
  const obs = m.observer as MovingAverageMinMaxObserver;
  const c = f32(0.01);
  assert.equal(obs.minVal, f32(-1 + f32(c * -2)));
  m.disableObserver();
  m.forward(Tensor.from([-100, 100]));
  assert.equal(obs.minVal, f32(-1 + f32(c * -2)));
  m.disableFakeQuant();
  const x = Tensor.from([7]);
  assert.equal(m.forward(x), x);
});

Deno.test("FusedMovingAvgObsFakeQuantize: nothing observed before fake quantization fails like a non-FBGEMM build", () => {
  const m = new FusedMovingAvgObsFakeQuantize();
  m.disableObserver();
  assert.throws(() => m.forward(Tensor.from([1])), /min <= max/);
  const fbgemm = new FusedMovingAvgObsFakeQuantize({ chooseQParamsVariant: "fbgemm" });
  fbgemm.disableObserver();
  fbgemm.forward(Tensor.from([1]));
  assert.deepEqual([...fbgemm.scale], [f32(0.1)]);
});

Deno.test("FusedMovingAvgObsFakeQuantize: PyTorch's checks", () => {
  assert.throws(
    () => new FusedMovingAvgObsFakeQuantize({ observer: MinMaxObserver }),
    /only works with MovingAverageMinMaxObserver/,
  );
  assert.throws(
    () => new FusedMovingAvgObsFakeQuantize({ dtype: "qint8" }),
    /quantMax: 255 is out of bound/,
  );
  const pc = new FusedMovingAvgObsFakeQuantize({
    observer: MovingAveragePerChannelMinMaxObserver,
    quantMin: -128,
    quantMax: 127,
    dtype: "qint8",
    qscheme: "per_channel_symmetric",
    chAxis: 1,
  });
  assert.throws(
    () => pc.forward(new Tensor(new Float32Array(4), [2, 2])),
    /only supported on axis 0/,
  );
});

Deno.test("FixedQParamsFakeQuantize: fixed (1/256, 0) whatever it sees", () => {
  const m = new FixedQParamsFakeQuantize({ observer: defaultFixedQParamsRange0to1Observer });
  const y = m.forward(Tensor.from([-1, 0.5, 2]));
  assert.deepEqual([...y.data], [0, 0.5, 255 / 256]);
  assert.deepEqual([...m.calculateQParams().scale], [1 / 256]);
  assert.throws(
    () => new FixedQParamsFakeQuantize({ observer: MinMaxObserver }),
    /FixedQParamsObserver/,
  );
});

Deno.test("fake-quant modules name themselves and their observer when the data gives no usable scale", () => {
  const infinite = Tensor.from([0, Infinity, 1]);
  assert.throws(
    () => new FakeQuantize().forward(infinite),
    /^RangeError: FakeQuantize: MovingAverageMinMaxObserver computed scale Infinity from min 0 and max Infinity/,
  );
  assert.throws(
    () => new FusedMovingAvgObsFakeQuantize().forward(infinite),
    /^RangeError: FusedMovingAvgObsFakeQuantize: MovingAverageMinMaxObserver computed scale Infinity/,
  );
  assert.throws(
    () => new FusedMovingAvgObsFakeQuantize().forward(Tensor.from([NaN, 1])),
    /^RangeError: FusedMovingAvgObsFakeQuantize: min\/max: ChooseQuantizationParams needs min <= max/,
  );
});
