/**
 * The proof on a real model: the digits CNN and MLP quantized three ways by our
 * flows, against what PyTorch 1.13 recorded in golden/models/digits/ (qnnpack engine).
 *
 * Bit-exact (checked): weights and weight qparams of every flow; activation qparams from
 * PyTorch's recorded observer statistics (static: histograms; QAT: min/max); int8 outputs (and every layer's codes) of the
 * static and QAT models; dynamic outputs. Measured (printed): our own calibration statistics
 * against PyTorch's, float logits, the QAT fake-quant logits.
 * @module
 */
import assert from "node:assert/strict";
import { getDefaultQatQConfig, getDefaultQConfig } from "../../reference/qconfig.ts";
import { Tensor } from "../../reference/tensor.ts";
import type { HistogramObserver } from "../../reference/observers/mod.ts";
import { GradTape, sgdStep } from "../autograd.ts";
import { crossEntropy } from "../functional/loss.ts";
import { disableObserver, freezeBnStats } from "../qat/helpers.ts";
import { seededRandom } from "../random.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { convert } from "../flows/convert.ts";
import { prepare } from "../flows/prepare.ts";
import { prepareQat } from "../flows/prepare_qat.ts";
import { quantizeDynamic } from "../flows/quantize_dynamic.ts";
import { fuseModules } from "../fuse.ts";
import type { Module } from "../module.ts";
import { Linear } from "../modules/mod.ts";
import type { ObserverModule } from "../observer_module.ts";
import { DIGITS_CNN_FUSION, DIGITS_MLP_FUSION, DigitsCNN, DigitsMLP } from "./digits.ts";
import {
  accuracy,
  bits,
  captureTraces,
  diffEntries,
  digitsData,
  digitsManifest,
  readDigits,
  rows,
  tensorOf,
} from "./_digits_golden.ts";

const DATA = digitsData();
const MANIFEST = digitsManifest();
const QNNPACK_PATHS = kernelSets().filter((k) => k.numerics === "qnnpack");

function floatCnn(): DigitsCNN {
  const m = new DigitsCNN();
  m.loadStateDict(readDigits("float_cnn.safetensors"));
  return m.eval();
}

function floatMlp(): DigitsMLP {
  const m = new DigitsMLP();
  m.loadStateDict(readDigits("float_mlp.safetensors"));
  return m.eval();
}

/** Keys of `want` whose entries differ from `got`'s (empty when every key matches bitwise). */
function differingKeys(
  got: Map<string, unknown>,
  want: Map<string, unknown>,
  keys: Iterable<string>,
): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const d = diffEntries(got.get(k) as never, want.get(k) as never);
    if (d !== "") out.push(`${k}: ${d}`);
  }
  return out;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);
}

Deno.test("digits: float state dicts load with PyTorch's key names; float logits (measured)", () => {
  const record = readDigits("float_record.safetensors");
  for (const [name, model] of [["cnn", floatCnn()], ["mlp", floatMlp()]] as const) {
    const logits = model.forward(DATA.testX);
    const want = tensorOf(record.get(`${name}.logits`));
    const diff = maxAbsDiff(logits, want);
    console.log(
      `  float ${name}: max |logit − PyTorch's| = ${diff.toExponential(2)}, accuracy ` +
        `${accuracy(logits, DATA.testY)} (PyTorch ${MANIFEST.accuracy[`float_${name}`]})`,
    );
    assert.ok(diff < 1e-4, `float ${name} logits differ by ${diff}`);
    assert.equal(accuracy(logits, DATA.testY), MANIFEST.accuracy[`float_${name}`]);
  }
});

for (const kernels of QNNPACK_PATHS) {
  Deno.test(`digits dynamic MLP (${kernels.name}): weights, qparams and outputs bit for bit`, () => {
    const q = quantizeDynamic(floatMlp(), { qconfigSpec: [Linear], dtype: "qint8", kernels });
    const want = readDigits("dynamic_mlp.safetensors");
    assert.deepEqual(differingKeys(q.stateDict(), want, want.keys()), []);
    assert.deepEqual([...q.stateDict().keys()].sort(), [...want.keys()].sort());
    const record = readDigits("dynamic_mlp_record.safetensors");
    const traced = new Map<string, Tensor>();
    for (const name of ["fc1", "fc2"]) {
      q.getSubmodule(name).registerForwardHook((_m, _in, out) => {
        traced.set(name, rows(out as Tensor, 0, 4));
      });
    }
    const logits = q.forward(DATA.testX); // one batch of 360, as recorded
    for (const name of ["fc1", "fc2"]) {
      assert.deepEqual(bits(traced.get(name)!), bits(tensorOf(record.get(`trace.${name}`))), name);
    }
    assert.deepEqual(bits(logits), bits(tensorOf(record.get("out.logits"))));
    assert.equal(accuracy(logits, DATA.testY), MANIFEST.accuracy.dynamic_mlp);
  });
}

/** Fuse, prepare (qnnpack qconfig) and calibrate on the calibration set in 4 batches of 16. */
function calibratedStatic(model: Module, fusion: readonly (readonly string[])[]): Module {
  const fused = fuseModules(model, fusion);
  fused.qconfig = getDefaultQConfig("qnnpack");
  const prepared = prepare(fused);
  for (let b = 0; b < 4; b++) {
    (prepared.forward as (x: Tensor) => Tensor)(rows(DATA.calibrationX, b * 16, b * 16 + 16));
  }
  return prepared;
}

const STATIC_CASES = [
  {
    name: "cnn",
    build: floatCnn,
    fusion: DIGITS_CNN_FUSION,
    layers: ["conv1", "conv2", "res_conv1", "res_conv2", "fc"],
    traced: [
      "quant",
      "conv1",
      "conv2",
      "res_conv1",
      "res_conv2",
      "skip_add",
      "pool",
      "flatten",
      "fc",
    ],
    observers: ["quant", "conv1", "conv2", "res_conv1", "res_conv2", "skip_add", "fc"],
  },
  {
    name: "mlp",
    build: floatMlp,
    fusion: DIGITS_MLP_FUSION,
    layers: ["fc1", "fc2", "fc3"],
    traced: ["quant", "fc1", "fc2", "fc3"],
    observers: ["quant", "fc1", "fc2", "fc3"],
  },
] as const;

for (const c of STATIC_CASES) {
  for (const kernels of QNNPACK_PATHS) {
    Deno.test(`digits static ${c.name} (${kernels.name}): weights, int8 outputs and every layer bit for bit`, () => {
      const prepared = calibratedStatic(c.build(), c.fusion);
      const ours = convert(prepared, { kernels });
      const want = readDigits(`static_${c.name}.safetensors`);
      // Weights and weight qparams (fold, fresh weight observer, quantize): bit for bit.
      const weightKeys = c.layers.flatMap((m) =>
        ["weight", "weight_scale", "weight_zero_point", "bias"].map((k) => `${m}.${k}`)
      );
      assert.deepEqual(differingKeys(ours.stateDict(), want, weightKeys), []);
      // PyTorch's converted model (its activation qparams) loaded into ours: the int8 outputs
      // and every traced layer's codes are PyTorch's.
      ours.loadStateDict(want);
      const record = readDigits(`static_${c.name}_record.safetensors`);
      const traces = captureTraces(ours, c.traced, 4);
      const logits = (ours.forward as (x: Tensor) => Tensor)(DATA.testX);
      for (const name of c.traced) {
        const t = traces.get(name)!;
        const codes = record.get(`trace.${name}`)!;
        assert.deepEqual(t.codes, codes.data, `trace ${name}`);
        assert.equal(t.scale, (record.get(`trace.${name}.scale`)!.data as Float64Array)[0], name);
        assert.equal(t.zeroPoint, Number(record.get(`trace.${name}.zero_point`)!.data[0]), name);
      }
      assert.deepEqual(bits(logits), bits(tensorOf(record.get("out.logits"))));
      assert.equal(accuracy(logits, DATA.testY), MANIFEST.accuracy[`static_${c.name}`]);
    });
  }

  Deno.test(`digits static ${c.name}: activation qparams from PyTorch's histograms bit for bit`, () => {
    const record = readDigits(`static_${c.name}_record.safetensors`);
    const converted = readDigits(`static_${c.name}.safetensors`);
    for (const name of c.observers) {
      // The qnnpack qconfig's activation observer, loaded with PyTorch's calibration state.
      const observer = getDefaultQConfig("qnnpack").activation.create() as HistogramObserver;
      const key = `observer.${name}.activation_post_process`;
      observer.loadState({
        histogram: record.get(`${key}.histogram`)!.data as Float32Array,
        minVal: (record.get(`${key}.min_val`)!.data as Float32Array)[0],
        maxVal: (record.get(`${key}.max_val`)!.data as Float32Array)[0],
      });
      const { scale, zeroPoint } = observer.calculateQParams();
      const q = `qparams.${name}.activation_post_process`;
      assert.equal(scale[0], (record.get(`${q}.scale`)!.data as Float32Array)[0], `${name} scale`);
      assert.equal(
        zeroPoint[0],
        (record.get(`${q}.zero_point`)!.data as Int32Array)[0],
        `${name} zero point`,
      );
      // …and they are the qparams PyTorch's convert gave the module.
      assert.equal(scale[0], (converted.get(`${name}.scale`)!.data as Float64Array)[0], name);
      assert.equal(
        zeroPoint[0],
        Number((converted.get(`${name}.zero_point`)!.data as BigInt64Array)[0]),
        name,
      );
    }
  });

  Deno.test(`digits static ${c.name}: our own calibration against PyTorch's (measured)`, () => {
    const prepared = calibratedStatic(c.build(), c.fusion);
    const record = readDigits(`static_${c.name}_record.safetensors`);
    let worstRange = 0;
    let worstHist = 0;
    let sameQParams = 0;
    for (const name of c.observers) {
      const obs = prepared.getSubmodule(`${name}.activation_post_process`) as ObserverModule;
      const o = obs.observer as unknown as {
        minVal: number;
        maxVal: number;
        histogram: Float32Array;
      };
      const key = `observer.${name}.activation_post_process`;
      const min = (record.get(`${key}.min_val`)!.data as Float32Array)[0];
      const max = (record.get(`${key}.max_val`)!.data as Float32Array)[0];
      const rel = (
        a: number,
        b: number,
      ) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-30));
      worstRange = Math.max(worstRange, rel(o.minVal, min), rel(o.maxVal, max));
      const hist = record.get(`${key}.histogram`)!.data as Float32Array;
      const total = hist.reduce((s, v) => s + v, 0);
      worstHist = Math.max(
        worstHist,
        o.histogram.reduce((s, v, i) => s + Math.abs(v - hist[i]), 0) / total,
      );
      const { scale, zeroPoint } = obs.calculateQParams();
      const q = `qparams.${name}.activation_post_process`;
      if (
        scale[0] === (record.get(`${q}.scale`)!.data as Float32Array)[0] &&
        zeroPoint[0] === (record.get(`${q}.zero_point`)!.data as Int32Array)[0]
      ) sameQParams++;
    }
    const ours = convert(prepared, { kernels: QNNPACK_PATHS[0] });
    const acc = accuracy((ours.forward as (x: Tensor) => Tensor)(DATA.testX), DATA.testY);
    console.log(
      `  static ${c.name}, own calibration: largest relative min/max difference ` +
        `${worstRange.toExponential(2)}, largest histogram L1 difference (fraction of mass) ` +
        `${worstHist.toExponential(2)}, ${sameQParams}/${c.observers.length} activation qparams ` +
        `equal PyTorch's, int8 accuracy ${acc} (PyTorch ${MANIFEST.accuracy[`static_${c.name}`]})`,
    );
    assert.ok(worstRange < 1e-5);
    assert.ok(Math.abs(acc - MANIFEST.accuracy[`static_${c.name}`]) <= 2 / 360);
  });
}

/** The QAT CNN as PyTorch prepared it, with the recorded trained state loaded. */
function trainedQat(): DigitsCNN {
  const fused = fuseModules(new DigitsCNN().train(), DIGITS_CNN_FUSION, { qat: true });
  fused.qconfig = getDefaultQatQConfig("qnnpack");
  const qat = prepareQat(fused);
  qat.loadStateDict(readDigits("qat_cnn_trained.safetensors"));
  return qat.eval();
}

for (const kernels of QNNPACK_PATHS) {
  Deno.test(`digits QAT cnn (${kernels.name}): convert of PyTorch's trained state bit for bit`, () => {
    const qat = trainedQat();
    const record = readDigits("qat_cnn_record.safetensors");
    const fakeQuant = qat.forward(DATA.testX);
    const fq = tensorOf(record.get("fake_quant.logits"));
    console.log(
      `  QAT fake-quant logits: max |ours − PyTorch's| = ${
        maxAbsDiff(fakeQuant, fq).toExponential(2)
      }`,
    );
    const ours = convert(qat, { kernels });
    // Every weight, weight qparam, bias and activation qparam (from the recorded observer
    // min/max) equals PyTorch's converted model.
    const want = readDigits("qat_cnn.safetensors");
    assert.deepEqual(differingKeys(ours.stateDict(), want, want.keys()), []);
    assert.deepEqual([...ours.stateDict().keys()].sort(), [...want.keys()].sort());
    const traced = STATIC_CASES[0].traced;
    const traces = captureTraces(ours, traced, 4);
    const logits = ours.forward(DATA.testX);
    for (const name of traced) {
      assert.deepEqual(traces.get(name)!.codes, record.get(`trace.${name}`)!.data, `trace ${name}`);
    }
    assert.deepEqual(bits(logits), bits(tensorOf(record.get("out.logits"))));
    assert.equal(accuracy(logits, DATA.testY), MANIFEST.accuracy.qat_cnn);
  });
}

Deno.test("digits QAT cnn: our own QAT run from the float CNN (drift and accuracy measured)", () => {
  // PyTorch's recipe (scripts/models/train_and_record.py): SGD lr 1e-3, momentum 0.9, batch 32,
  // 4 epochs, BN statistics frozen from epoch 2, observers disabled from epoch 3. The shuffle
  // is our own seeded one (PyTorch's randperm stream is not reproduced).
  const fused = fuseModules(floatCnn().train(), DIGITS_CNN_FUSION, { qat: true });
  fused.qconfig = getDefaultQatQConfig("qnnpack");
  const qat = prepareQat(fused);
  const params = qat.parameters();
  const momentum = new Map<Tensor, Float32Array>();
  const random = seededRandom(3);
  const n = DATA.trainY.length;
  for (let epoch = 0; epoch < 4; epoch++) {
    if (epoch >= 2) qat.apply(freezeBnStats);
    if (epoch >= 3) qat.apply(disableObserver);
    qat.train();
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < n; start += 32) {
      const index = order.slice(start, start + 32);
      const x = gatherRows(DATA.trainX, index);
      const tape = new GradTape(params);
      const loss = tape.run(() => crossEntropy(qat.forward(x), index.map((i) => DATA.trainY[i])));
      sgdStep(params, tape.backward(loss), { lr: 1e-3, momentum: 0.9, state: momentum });
    }
  }
  qat.eval();
  const fakeQuantAccuracy = accuracy(qat.forward(DATA.testX), DATA.testY);
  const pytorch = readDigits("qat_cnn_trained.safetensors");
  const start = readDigits("float_cnn.safetensors");
  const ours = qat.stateDict();
  const drift: string[] = [];
  for (
    const [layer, floatKey] of [
      ["conv1", "conv1"],
      ["conv2", "conv2"],
      ["res_conv1", "res_conv1"],
      ["res_conv2", "res_conv2"],
      ["fc", "fc"],
    ]
  ) {
    const w = ours.get(`${layer}.weight`)!.data as Float32Array;
    const p = pytorch.get(`${layer}.weight`)!.data as Float32Array;
    const f = start.get(`${floatKey}.weight`)!.data as Float32Array;
    const norm = (a: Float32Array, b: Float32Array) =>
      Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
    drift.push(
      `${layer} ${(norm(w, p) / norm(p, new Float32Array(p.length))).toExponential(1)} ` +
        `(PyTorch's own QAT moved it ${
          (norm(p, f) / norm(p, new Float32Array(p.length))).toExponential(1)
        })`,
    );
  }
  const int8 = convert(qat, { kernels: QNNPACK_PATHS[0] });
  const int8Accuracy = accuracy(int8.forward(DATA.testX), DATA.testY);
  console.log(
    `  our QAT: weight distance to PyTorch's trained weights (relative L2): ${drift.join(", ")}; ` +
      `fake-quant accuracy ${fakeQuantAccuracy} (PyTorch ${MANIFEST.accuracy.qat_fake_quant_cnn}), ` +
      `int8 accuracy ${int8Accuracy} (PyTorch ${MANIFEST.accuracy.qat_cnn})`,
  );
  assert.ok(int8Accuracy >= MANIFEST.accuracy.qat_cnn - 3 / 360, `int8 accuracy ${int8Accuracy}`);
});

function gatherRows(x: Tensor, index: readonly number[]): Tensor {
  const per = x.size / x.shape[0];
  const out = new Float32Array(index.length * per);
  index.forEach((r, i) => out.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(out, [index.length, ...x.shape.slice(1)]);
}
