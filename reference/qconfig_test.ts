import assert from "node:assert/strict";
import { FakeQuantize, FusedMovingAvgObsFakeQuantize } from "./fake_quantize_module.ts";
import { HistogramObserver } from "./observers/histogram.ts";
import { MinMaxObserver } from "./observers/min_max.ts";
import type { Observer } from "./observers/observer.ts";
import { PerChannelMinMaxObserver } from "./observers/per_channel_min_max.ts";
import { PlaceholderObserver } from "./observers/placeholder.ts";
import {
  defaultDynamicQConfig,
  defaultDynamicQConfigFor,
  defaultFakeQuant,
  defaultObserver,
  defaultQatQConfig,
  defaultQatQConfigV2,
  defaultQConfig,
  defaultSymmetricQnnpackQConfig,
  defaultWeightFakeQuant,
  float16DynamicQConfig,
  getDefaultQatQConfig,
  getDefaultQConfig,
  perChannelDynamicQConfig,
  QConfig,
  QCONFIGS_BY_NAME,
} from "./qconfig.ts";

/** A compact summary: class, dtype, qscheme, effective range. */
function summary(m: Observer): string {
  if (m instanceof FakeQuantize) return `${m.className}(${summary(m.activationPostProcess)})`;
  const q = m as Observer & { qscheme?: string; quantMin?: number; quantMax?: number };
  return q.qscheme === undefined
    ? `${m.className} ${m.dtype}`
    : `${m.className} ${m.dtype} ${q.qscheme} [${q.quantMin}, ${q.quantMax}]`;
}

const pair = (q: QConfig) => [summary(q.activation.create()), summary(q.weight.create())];

Deno.test("getDefaultQConfig: PyTorch 1.13's table", () => {
  const perChannelWeights = "PerChannelMinMaxObserver qint8 per_channel_symmetric [-128, 127]";
  assert.deepEqual(pair(getDefaultQConfig("fbgemm")), [
    "HistogramObserver quint8 per_tensor_affine [0, 127]",
    perChannelWeights,
  ]);
  assert.deepEqual(pair(getDefaultQConfig("x86")), pair(getDefaultQConfig("fbgemm")));
  assert.deepEqual(pair(getDefaultQConfig("qnnpack")), [
    "HistogramObserver quint8 per_tensor_affine [0, 255]",
    "MinMaxObserver qint8 per_tensor_symmetric [-128, 127]",
  ]);
  assert.deepEqual(pair(getDefaultQConfig("onednn")), [
    "HistogramObserver quint8 per_tensor_affine [0, 255]",
    perChannelWeights,
  ]);
  assert.deepEqual(pair(getDefaultQConfig()), pair(getDefaultQConfig("fbgemm")));
});

Deno.test("getDefaultQConfig: an unknown backend falls back to default_qconfig; versions other than 0 throw", () => {
  assert.equal(getDefaultQConfig("tpu"), defaultQConfig);
  assert.deepEqual(pair(defaultQConfig), [
    "MinMaxObserver quint8 per_tensor_affine [0, 127]",
    "MinMaxObserver qint8 per_tensor_symmetric [-128, 127]",
  ]);
  assert.throws(
    () => getDefaultQConfig("fbgemm", 1),
    /version: getDefaultQConfig supports version 0, got 1/,
  );
});

Deno.test("getDefaultQatQConfig: version 1 (fused) and version 0 (FakeQuantize)", () => {
  assert.deepEqual(pair(getDefaultQatQConfig("fbgemm")), [
    "FusedMovingAvgObsFakeQuantize(MovingAverageMinMaxObserver quint8 per_tensor_affine [0, 127])",
    "FusedMovingAvgObsFakeQuantize(MovingAveragePerChannelMinMaxObserver qint8 per_channel_symmetric [-128, 127])",
  ]);
  assert.deepEqual(pair(getDefaultQatQConfig("qnnpack")), [
    "FusedMovingAvgObsFakeQuantize(MovingAverageMinMaxObserver quint8 per_tensor_affine [0, 255])",
    "FusedMovingAvgObsFakeQuantize(MovingAverageMinMaxObserver qint8 per_tensor_symmetric [-128, 127])",
  ]);
  assert.deepEqual(pair(getDefaultQatQConfig("onednn", 0)), [
    "FakeQuantize(MovingAverageMinMaxObserver quint8 per_tensor_affine [0, 255])",
    "FakeQuantize(MovingAveragePerChannelMinMaxObserver qint8 per_channel_symmetric [-128, 127])",
  ]);
  assert.equal(getDefaultQatQConfig("unknown"), defaultQatQConfigV2);
  assert.equal(getDefaultQatQConfig("unknown", 0), defaultQatQConfig);
  assert.throws(() => getDefaultQatQConfig("fbgemm", 2), /version/);
  const weight = getDefaultQatQConfig("fbgemm").weight.create() as FusedMovingAvgObsFakeQuantize;
  assert.equal(weight.chooseQParamsVariant, "quant_utils");
});

Deno.test("default fake quants: c = 0.01 for weights (despite PyTorch's docstring), reduce_range for activations", () => {
  const w = defaultWeightFakeQuant.create() as FakeQuantize;
  assert.equal(
    (w.activationPostProcess as unknown as { averagingConstant: number }).averagingConstant,
    0.01,
  );
  const a = defaultFakeQuant.create() as FakeQuantize;
  assert.deepEqual([a.quantMin, a.quantMax], [0, 127]);
});

Deno.test("dynamic qconfigs", () => {
  const act = defaultDynamicQConfig.activation.create() as PlaceholderObserver;
  assert.deepEqual([act.className, act.dtype, act.computeDtype], [
    "PlaceholderObserver",
    "quint8",
    "quint8",
  ]);
  assert.ok(defaultDynamicQConfig.weight.create() instanceof MinMaxObserver);
  assert.ok(perChannelDynamicQConfig.weight.create() instanceof PerChannelMinMaxObserver);
  const f16 = float16DynamicQConfig.weight.create() as PlaceholderObserver;
  assert.deepEqual([f16.dtype, f16.computeDtype], ["float16", null]);
  assert.equal(defaultDynamicQConfigFor("qint8"), defaultDynamicQConfig);
  assert.equal(defaultDynamicQConfigFor("float16"), float16DynamicQConfig);
  assert.throws(
    () => defaultDynamicQConfigFor("qint32"),
    /dtype: quantize_dynamic has no default qconfig for "qint32"/,
  );
});

Deno.test("QConfig holds factories: a class is wrapped, an instance is refused", () => {
  const q = new QConfig(HistogramObserver as never, defaultObserver);
  assert.ok(q.activation.create() instanceof HistogramObserver);
  assert.notEqual(q.activation.create(), q.activation.create());
  assert.throws(
    () => new QConfig(new MinMaxObserver() as never, defaultObserver),
    /not an observer instance/,
  );
  assert.ok(Object.isFrozen(q));
});

Deno.test("the symmetric qnnpack qconfig: qint8 histogram with eps 2^-12, weights in [-127, 127]", () => {
  const act = defaultSymmetricQnnpackQConfig.activation.create() as HistogramObserver;
  assert.deepEqual([act.dtype, act.eps, act.quantMin, act.quantMax], [
    "qint8",
    2 ** -12,
    -128,
    127,
  ]);
  const w = defaultSymmetricQnnpackQConfig.weight.create() as MinMaxObserver;
  assert.deepEqual([w.quantMin, w.quantMax, w.eps], [-127, 127, 2 ** -12]);
  assert.equal(Object.keys(QCONFIGS_BY_NAME).length, 17);
});
