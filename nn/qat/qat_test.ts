import assert from "node:assert/strict";
import { fuseConvBnWeights } from "../../reference/fusion.ts";
import { getDefaultQatQConfig, QConfig } from "../../reference/qconfig.ts";
import { fakeQuantizePerTensorAffineCachemask } from "../../reference/fake_quantize.ts";
import { Tensor } from "../../reference/tensor.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { GradTape, sgdStep } from "../autograd.ts";
import { convert } from "../flows/convert.ts";
import { prepareQat } from "../flows/prepare_qat.ts";
import { crossEntropy } from "../functional/loss.ts";
import { linear } from "../functional/linear.ts";
import { fuseModules } from "../fuse.ts";
import { BatchNorm2d, Conv2d, ReLU } from "../modules/mod.ts";
import { ConvBn2d, ConvBnReLU2d, LinearBn1d } from "../modules/fused.ts";
import { BatchNorm1d, Linear } from "../modules/mod.ts";
import { FakeQuantizeModule } from "../observer_module.ts";
import { QuantizedConvReLU2d } from "../quantized/conv.ts";
import { quantizeWeight } from "../quantized/weights.ts";
import { gradCheck } from "../_gradcheck.ts";
import { randomizeBatchNorms, randomTensor, SMALL_NET_GROUPS, SmallNet } from "../_test_models.ts";
import { QatConvBn2d, QatConvBnReLU2d, QatConvReLU2d } from "./conv.ts";
import { disableObserver, freezeBnStats } from "./helpers.ts";
import { QatLinear, QatLinearBn1d, QatLinearReLU } from "./linear.ts";

const QCONFIG = getDefaultQatQConfig("qnnpack");
const TOLERANCE = 2e-3;

function qatSmallNet(seed: number): SmallNet {
  const model = new SmallNet();
  randomizeBatchNorms(model, seed);
  const fused = fuseModules(model, SMALL_NET_GROUPS, { qat: true });
  fused.qconfig = QCONFIG;
  return prepareQat(fused);
}

Deno.test("prepareQat: PyTorch's QAT module tree", () => {
  const q = qatSmallNet(1);
  const types: [string, unknown][] = [
    ["conv1", QatConvBnReLU2d],
    ["conv2", QatConvBn2d],
    ["fc1", QatLinearReLU],
    ["fc2", QatLinear],
  ];
  for (const [name, cls] of types) assert.equal(q.getSubmodule(name).constructor, cls, name);
  // Paths printed by PyTorch 1.13 for the same model (fake-quantize modules and their observers).
  const fq = q.namedModules().filter(([n]) =>
    n.includes("activation_post_process") || n.includes("weight_fake_quant")
  );
  assert.deepEqual(fq.map(([n, m]) => [n, m.getName()]), [
    ["quant.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["quant.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
    ["conv1.weight_fake_quant", "FusedMovingAvgObsFakeQuantize"],
    ["conv1.weight_fake_quant.activation_post_process", "MovingAverageMinMaxObserver"],
    ["conv1.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["conv1.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
    ["conv2.weight_fake_quant", "FusedMovingAvgObsFakeQuantize"],
    ["conv2.weight_fake_quant.activation_post_process", "MovingAverageMinMaxObserver"],
    ["conv2.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["conv2.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
    ["skip.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["skip.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
    ["relu6.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["relu6.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
    ["fc1.weight_fake_quant", "FusedMovingAvgObsFakeQuantize"],
    ["fc1.weight_fake_quant.activation_post_process", "MovingAverageMinMaxObserver"],
    ["fc1.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["fc1.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
    ["fc2.weight_fake_quant", "FusedMovingAvgObsFakeQuantize"],
    ["fc2.weight_fake_quant.activation_post_process", "MovingAverageMinMaxObserver"],
    ["fc2.activation_post_process", "FusedMovingAvgObsFakeQuantize"],
    ["fc2.activation_post_process.activation_post_process", "MovingAverageMinMaxObserver"],
  ]);
  const conv1 = q.getSubmodule("conv1") as QatConvBnReLU2d;
  assert.deepEqual(conv1.namedChildren().map(([n]) => n), [
    "bn",
    "weight_fake_quant",
    "activation_post_process",
  ]);
  assert.throws(() => prepareQat(new SmallNet().eval()), /only works on models in training mode/);
});

Deno.test("prepareQat: QAT modules share the float parameters", () => {
  const model = new SmallNet();
  const [conv, bn] = [model.conv1, model.bn1];
  const fused = fuseModules(model, SMALL_NET_GROUPS, { qat: true, inplace: true });
  fused.qconfig = QCONFIG;
  const q = prepareQat(fused, { inplace: true });
  const conv1 = q.getSubmodule("conv1") as QatConvBnReLU2d;
  assert.equal(conv1.weight, conv.weight);
  assert.equal(conv1.bias, conv.bias);
  assert.equal(conv1.bn.weight, bn.weight);
  assert.equal(conv1.bn.runningVar, bn.runningVar);
});

function convBn(freezeBn: boolean, relu = false) {
  const conv = new Conv2d(3, 4, 3, { padding: 1 });
  const bn = new BatchNorm2d(4);
  conv.qconfig = QCONFIG;
  const seq = relu ? new ConvBnReLU2d(conv, bn, new ReLU()) : new ConvBn2d(conv, bn);
  randomizeBatchNorms(seq, 8);
  seq.qconfig = QCONFIG;
  const qat = (relu ? QatConvBnReLU2d : QatConvBn2d).fromFloat(seq);
  if (freezeBn) qat.freezeBnStats();
  return qat;
}

Deno.test("QAT ConvBn2d: gradients equal finite differences (fake quantization off)", () => {
  for (const freeze of [false, true]) {
    const qat = convBn(freeze);
    (qat.weight_fake_quant as FakeQuantizeModule).disableFakeQuant();
    const x = randomTensor([2, 3, 5, 5], 9);
    const params = [x, qat.weight, qat.bias!, qat.bn.weight!, qat.bn.bias!];
    // Training BN updates running statistics on every forward: restore them around each call.
    const rm = qat.bn.runningMean!.data.slice();
    const rv = qat.bn.runningVar!.data.slice();
    const f = () => {
      qat.bn.runningMean!.data.set(rm);
      qat.bn.runningVar!.data.set(rv);
      return qat.forward(x);
    };
    const { worst, where } = gradCheck(f, params);
    assert.ok(worst < TOLERANCE, `freezeBn=${freeze}: ${where}`);
  }
});

Deno.test("QAT LinearBn1d: gradients equal finite differences (fake quantization off)", () => {
  const lin = new Linear(5, 4);
  const bn = new BatchNorm1d(4);
  const seq = new LinearBn1d(lin, bn);
  randomizeBatchNorms(seq, 3);
  seq.qconfig = QCONFIG;
  const qat = QatLinearBn1d.fromFloat(seq);
  (qat.weight_fake_quant as FakeQuantizeModule).disableFakeQuant();
  const x = randomTensor([6, 5], 10);
  const rm = qat.bn.runningMean!.data.slice();
  const rv = qat.bn.runningVar!.data.slice();
  const f = () => {
    qat.bn.runningMean!.data.set(rm);
    qat.bn.runningVar!.data.set(rv);
    return qat.forward(x);
  };
  const { worst, where } = gradCheck(f, [x, qat.weight, qat.bias!, qat.bn.weight!, qat.bn.bias!]);
  assert.ok(worst < TOLERANCE, where);
});

Deno.test("QAT: the straight-through estimator passes the gradient only inside the range", () => {
  const lin = new Linear(6, 3);
  lin.qconfig = QCONFIG;
  const qat = QatLinear.fromFloat(lin);
  const fq = qat.weight_fake_quant as FakeQuantizeModule;
  const x = randomTensor([4, 6], 11);
  // Calibrate the weight fake quant on a narrow range, then freeze it: big weights clip.
  fq.forward(new Tensor(qat.weight.data.map((v) => v * 0.5), qat.weight.shape));
  fq.disableObserver();
  const tape = new GradTape([x, qat.weight]);
  const y = tape.run(() => qat.forward(x));
  const g = Float64Array.from({ length: y.size }, (_, i) => Math.sin(i + 1));
  const grads = tape.backward(y, g);
  // By hand: dW_fq = gᵀ·x, masked where the weight's code left [quant_min, quant_max].
  const { y: wq, mask } = fakeQuantizePerTensorAffineCachemask(qat.weight, {
    scale: fq.fakeQuant.scale[0],
    zeroPoint: fq.fakeQuant.zeroPoint[0],
    quantMin: fq.fakeQuant.quantMin,
    quantMax: fq.fakeQuant.quantMax,
  });
  assert.ok(mask.some((m) => m === 0) && mask.some((m) => m === 1));
  const gw = grads.get(qat.weight)!;
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 6; i++) {
      let want = 0;
      for (let r = 0; r < 4; r++) want += g[r * 3 + j] * x.data[r * 6 + i];
      want = mask[j * 6 + i] ? want : 0;
      assert.ok(Math.abs(gw[j * 6 + i] - Math.fround(want)) <= 1e-6 * (1 + Math.abs(want)));
    }
  }
  // The input gradient is that of a linear layer with the fake-quantized weight.
  const { worst, where } = gradCheck(() => linear(x, wq), [x]);
  assert.ok(worst < TOLERANCE, where);
  const { worst: w2 } = gradCheck(() => qat.forward(x), [x]);
  assert.ok(w2 < TOLERANCE);
});

Deno.test("QAT ConvBn2d: freeze_bn and train() follow PyTorch", () => {
  const qat = convBn(false);
  assert.ok(qat.bn.training);
  qat.eval();
  assert.ok(!qat.bn.training);
  qat.train();
  assert.ok(qat.bn.training);
  qat.freezeBnStats();
  qat.train();
  assert.ok(qat.training && !qat.bn.training);
  const rv = qat.bn.runningVar!.data.slice();
  qat.forward(randomTensor([2, 3, 5, 5], 1));
  assert.deepEqual(qat.bn.runningVar!.data, rv, "frozen statistics stay");
  qat.updateBnStats();
  qat.forward(randomTensor([2, 3, 5, 5], 1));
  assert.notDeepEqual(qat.bn.runningVar!.data, rv);
});

Deno.test("QAT end to end: SGD lowers the loss; convert folds BN and quantizes as PyTorch", () => {
  const q = qatSmallNet(2);
  const params = q.parameters();
  const x = randomTensor([16, 1, 8, 8], 12, -2, 2);
  const labels = Array.from({ length: 16 }, (_, i) => (x.data[i * 64] > 0 ? 1 : i % 3));
  const state = new Map<Tensor, Float32Array>();
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const tape = new GradTape(params);
    const loss = tape.run(() => crossEntropy(q.forward(x), labels));
    losses.push(loss.data[0]);
    sgdStep(params, tape.backward(loss), { lr: 0.05, momentum: 0.9, state });
  }
  assert.ok(losses[losses.length - 1] < losses[0] * 0.9, `losses ${losses[0]} → ${losses.at(-1)}`);
  q.apply(disableObserver);
  q.apply(freezeBnStats);
  q.eval();
  // What convert must produce for conv1, computed by hand from a copy of the QAT model.
  const copy = q.clone();
  const c1 = copy.getSubmodule("conv1") as QatConvBnReLU2d;
  const folded = fuseConvBnWeights(c1.weight, c1.bias, {
    bnRm: c1.bn.runningMean!,
    bnRv: c1.bn.runningVar!,
    bnEps: c1.bn.eps,
    bnW: c1.bn.weight,
    bnB: c1.bn.bias,
  });
  const fq = c1.weight_fake_quant as FakeQuantizeModule;
  fq.forward(folded.weight);
  const wantWeight = quantizeWeight(folded.weight, fq.fakeQuant);
  const kernels = kernelSets().find((k) => k.numerics === "qnnpack")!;
  const quantized = convert(q, { kernels });
  const qc1 = quantized.getSubmodule("conv1") as QuantizedConvReLU2d;
  assert.ok(qc1 instanceof QuantizedConvReLU2d);
  assert.deepEqual(qc1.weight().intRepr, wantWeight.intRepr);
  assert.deepEqual(qc1.weight().qparams, wantWeight.qparams);
  assert.deepEqual(qc1.bias()!.data, folded.bias.data);
  const act = (c1.getSubmodule("activation_post_process") as FakeQuantizeModule).calculateQParams();
  assert.equal(qc1.scale, act.scale[0]);
  assert.equal(qc1.zeroPoint, act.zeroPoint[0]);
  // The int8 model agrees with the fake-quantized one on most predictions.
  const fakeQ = q.forward(x);
  const int8 = quantized.forward(x);
  const argmax = (t: Tensor, r: number) => {
    const row = t.data.subarray(r * 3, r * 3 + 3);
    return row.indexOf(Math.max(...row));
  };
  let agree = 0;
  for (let r = 0; r < 16; r++) agree += argmax(fakeQ, r) === argmax(int8, r) ? 1 : 0;
  assert.ok(agree >= 12, `${agree}/16 predictions agree`);
});

Deno.test("QAT: a qconfig is required", () => {
  const lin = new Linear(2, 2);
  assert.throws(() => QatLinear.fromFloat(lin), /a qconfig must be provided/);
  assert.throws(
    () => new QatConvReLU2d(1, 1, 1, { qconfig: undefined as unknown as QConfig }),
    /a qconfig must be provided for QAT module QatConvReLU2d/,
  );
});

Deno.test("clone: fake-quantize modules are rebuilt with their state, independent of the original", () => {
  const lin = new Linear(4, 3);
  lin.qconfig = QCONFIG;
  const qat = QatLinear.fromFloat(lin);
  const fq = qat.weight_fake_quant as FakeQuantizeModule;
  fq.forward(qat.weight);
  fq.disableObserver();
  const copy = qat.clone();
  const cfq = copy.weight_fake_quant as FakeQuantizeModule;
  assert.notEqual(cfq.fakeQuant, fq.fakeQuant);
  assert.equal(cfq.fakeQuant.constructor, fq.fakeQuant.constructor);
  assert.deepEqual(cfq.fakeQuant.scale, fq.fakeQuant.scale);
  assert.deepEqual(cfq.fakeQuant.zeroPoint, fq.fakeQuant.zeroPoint);
  assert.equal(cfq.fakeQuant.observerEnabled, false);
  assert.equal(
    (cfq.getSubmodule("activation_post_process") as unknown as { observer: unknown }).observer,
    cfq.fakeQuant.activationPostProcess,
  );
  assert.deepEqual(copy.stateDict(), qat.stateDict());
  cfq.enableObserver();
  cfq.forward(new Tensor(qat.weight.data.map((v) => v * 3), qat.weight.shape));
  assert.notDeepEqual(cfq.fakeQuant.scale, fq.fakeQuant.scale);
  assert.equal(fq.fakeQuant.observerEnabled, false);
});
