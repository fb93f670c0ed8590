import assert from "node:assert/strict";
import { fuseConvBnWeights, fuseLinearBnWeights } from "../reference/fusion.ts";
import type { Tensor } from "../reference/tensor.ts";
import { fuseModules } from "./fuse.ts";
import { Module } from "./module.ts";
import {
  BatchNorm1d,
  BatchNorm2d,
  BNReLU2d,
  Conv2d,
  ConvBnReLU2d,
  ConvReLU2d,
  Identity,
  Linear,
  LinearBn1d,
  LinearReLU,
  ReLU,
  ReLU6,
} from "./modules/mod.ts";
import { randomizeBatchNorms, randomTensor } from "./_test_models.ts";

/** The model of PyTorch's fusion printout (same modules and names). */
class M extends Module {
  conv1 = new Conv2d(1, 4, 3, { bias: false });
  bn1 = new BatchNorm2d(4);
  relu1 = new ReLU();
  fc = new Linear(4, 3);
  bn2 = new BatchNorm1d(3);
  fc2 = new Linear(3, 3);
  relu2 = new ReLU();
  bn3 = new BatchNorm2d(4);
  relu3 = new ReLU();
  forward(x: Tensor): Tensor {
    const y = this.bn3.forward(this.relu1.forward(this.bn1.forward(this.conv1.forward(x))));
    return this.relu3.forward(y);
  }
}

const GROUPS = [["conv1", "bn1", "relu1"], ["fc", "bn2"], ["fc2", "relu2"], ["bn3", "relu3"]];

const bits = (t: Tensor) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)];

Deno.test("fuseModules (eval): PyTorch's module tree and state-dict keys", () => {
  const m = new M().eval();
  const f = fuseModules(m, GROUPS);
  // Printed by PyTorch 1.13 for the same model (named_modules and state_dict keys).
  assert.deepEqual(f.namedModules().map(([n, x]) => [n, x.getName()]), [
    ["", "M"],
    ["conv1", "ConvReLU2d"],
    ["conv1.0", "Conv2d"],
    ["conv1.1", "ReLU"],
    ["bn1", "Identity"],
    ["relu1", "Identity"],
    ["fc", "Linear"],
    ["bn2", "Identity"],
    ["fc2", "LinearReLU"],
    ["fc2.0", "Linear"],
    ["fc2.1", "ReLU"],
    ["relu2", "Identity"],
    ["bn3", "BNReLU2d"],
    ["bn3.0", "BatchNorm2d"],
    ["bn3.1", "ReLU"],
    ["relu3", "Identity"],
  ]);
  assert.deepEqual([...f.stateDict().keys()], [
    "conv1.0.weight",
    "conv1.0.bias",
    "fc.weight",
    "fc.bias",
    "fc2.0.weight",
    "fc2.0.bias",
    "bn3.0.weight",
    "bn3.0.bias",
    "bn3.0.running_mean",
    "bn3.0.running_var",
    "bn3.0.num_batches_tracked",
  ]);
  // Not in place: the original keeps its modules.
  assert.ok(m.bn1 instanceof BatchNorm2d);
  assert.ok(f.bn1 instanceof Identity && !f.bn1.training);
});

Deno.test("fuseModules (eval): folded weights are reference/fusion.ts's, bit for bit", () => {
  const m = new M().eval();
  randomizeBatchNorms(m, 5);
  const f = fuseModules(m, GROUPS);
  const conv = f.getSubmodule("conv1.0") as Conv2d;
  const want = fuseConvBnWeights(m.conv1.weight, null, {
    bnRm: m.bn1.runningMean!,
    bnRv: m.bn1.runningVar!,
    bnEps: m.bn1.eps,
    bnW: m.bn1.weight,
    bnB: m.bn1.bias,
  });
  assert.deepEqual(bits(conv.weight), bits(want.weight));
  assert.deepEqual(bits(conv.bias!), bits(want.bias));
  const fc = f.fc as Linear;
  const wantFc = fuseLinearBnWeights(m.fc.weight, m.fc.bias, {
    bnRm: m.bn2.runningMean!,
    bnRv: m.bn2.runningVar!,
    bnEps: m.bn2.eps,
    bnW: m.bn2.weight!,
    bnB: m.bn2.bias!,
  });
  assert.deepEqual(bits(fc.weight), bits(wantFc.weight));
  assert.deepEqual(bits(fc.bias!), bits(wantFc.bias));
  // The fused model computes what the unfused one does (up to float rounding).
  const x = randomTensor([2, 1, 6, 6], 9);
  const a = m.forward(x).data;
  const b = f.forward(x).data;
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `${i}: ${v} vs ${b[i]}`));
});

Deno.test("fuseModules (qat): the intrinsic modules wrap the same module instances", () => {
  const m = new M();
  const f = fuseModules(m, GROUPS, { qat: true, inplace: true });
  assert.equal(f, m);
  assert.ok(m.conv1 instanceof ConvBnReLU2d);
  assert.ok((m.fc as Module) instanceof LinearBn1d);
  assert.ok((m.fc2 as Module) instanceof LinearReLU);
  assert.ok((m.bn3 as Module) instanceof BNReLU2d);
  assert.deepEqual([...m.stateDict().keys()].slice(0, 6), [
    "conv1.0.weight",
    "conv1.1.weight",
    "conv1.1.bias",
    "conv1.1.running_mean",
    "conv1.1.running_var",
    "conv1.1.num_batches_tracked",
  ]);
  const conv = new Conv2d(1, 2, 1);
  const relu = new ReLU();
  class C extends Module {
    a = conv;
    b = relu;
    forward() {}
  }
  const c = fuseModules(new C(), ["a", "b"], { qat: true, inplace: true });
  assert.ok(c.a instanceof ConvReLU2d && c.a.at(0) === conv && c.a.at(1) === relu);
});

Deno.test("fuseModules: unsupported sequences, modes and paths are clear errors", () => {
  const m = new M().eval();
  assert.throws(
    () => fuseModules(m, ["conv1", "relu2", "bn1"]),
    /did not find fuser method for: \(Conv2d, ReLU, BatchNorm2d\)/,
  );
  class R extends Module {
    conv = new Conv2d(1, 1, 1);
    act = new ReLU6();
    forward() {}
  }
  assert.throws(() => fuseModules(new R(), ["conv", "act"]), /\(Conv2d, ReLU6\)/);
  assert.throws(() => fuseModules(new M(), ["conv1", "bn1"]), /Fusion only for eval!/);
  const mixed = new M();
  mixed.bn1.eval();
  assert.throws(() => fuseModules(mixed, ["conv1", "bn1"], { qat: true }), /same mode/);
  assert.throws(() => fuseModules(m, ["conv1", "nope"]), /has no submodule "nope"/);
});

Deno.test("fuseModules: hooks move to the fused module", () => {
  const m = new M().eval();
  let pre = 0;
  let post = 0;
  m.conv1.registerForwardPreHook(() => {
    pre++;
    return undefined;
  });
  m.relu1.registerForwardHook(() => {
    post++;
  });
  fuseModules(m, ["conv1", "bn1", "relu1"], { inplace: true });
  m.forward(randomTensor([1, 1, 6, 6], 1));
  assert.deepEqual([pre, post], [1, 1]);
  assert.equal(m.conv1.forwardPreHooks().length, 1);
  assert.equal(m.conv1.forwardHooks().length, 1);
});
