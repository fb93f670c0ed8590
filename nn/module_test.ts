import assert from "node:assert/strict";
import { Tensor } from "../reference/tensor.ts";
import { HistogramObserver } from "../reference/observers/histogram.ts";
import { Module, StateDictError } from "./module.ts";
import { Conv2d, Identity, Linear, ReLU, Sequential } from "./modules/mod.ts";
import { KeysNet, randomTensor } from "./_test_models.ts";

// Printed by PyTorch 1.13 for the same model (`state_dict()` and `named_modules()`).
const PYTORCH_KEYS = [
  ["conv1.weight", "F32", [4, 1, 3, 3]],
  ["conv1.bias", "F32", [4]],
  ["bn1.weight", "F32", [4]],
  ["bn1.bias", "F32", [4]],
  ["bn1.running_mean", "F32", [4]],
  ["bn1.running_var", "F32", [4]],
  ["bn1.num_batches_tracked", "I64", []],
  ["head.2.weight", "F32", [3, 16]],
  ["head.2.bias", "F32", [3]],
  ["head.3.weight", "F32", [3]],
  ["head.3.bias", "F32", [3]],
  ["head.3.running_mean", "F32", [3]],
  ["head.3.running_var", "F32", [3]],
  ["head.3.num_batches_tracked", "I64", []],
];
const PYTORCH_MODULES = [
  "",
  "quant",
  "conv1",
  "bn1",
  "relu1",
  "pool",
  "ff",
  "ff.activation_post_process",
  "head",
  "head.0",
  "head.1",
  "head.2",
  "head.3",
  "dequant",
];

Deno.test("state dict: PyTorch's keys, dtypes and shapes, in PyTorch's order", () => {
  const sd = new KeysNet().stateDict();
  assert.deepEqual([...sd].map(([k, t]) => [k, t.dtype, [...t.shape]]), PYTORCH_KEYS);
  assert.deepEqual(new KeysNet().namedModules().map(([n]) => n), PYTORCH_MODULES);
});

Deno.test("state dict: round trip into a fresh model gives the same outputs", () => {
  const a = new KeysNet().eval();
  const b = new KeysNet().eval();
  const x = randomTensor([2, 1, 4, 4], 1);
  assert.notDeepEqual(a.forward(x).data, b.forward(x).data);
  b.loadStateDict(a.stateDict());
  assert.deepEqual(b.forward(x).data, a.forward(x).data);
  // The state dict holds copies on load: changing the source afterwards changes nothing.
  (a.stateDict().get("conv1.weight")!.data as Float32Array).fill(0);
  assert.notDeepEqual(b.forward(x).data, a.forward(x).data);
});

Deno.test("state dict: missing, unexpected and mis-shaped keys are named, nothing is written", () => {
  const model = new KeysNet();
  const before = model.conv1.weight.data.slice();
  const sd = new KeysNet().stateDict();
  sd.delete("bn1.running_var");
  sd.set("extra.weight", { dtype: "F32", shape: [1], data: new Float32Array(1) });
  sd.set("head.2.weight", { dtype: "F32", shape: [3, 15], data: new Float32Array(45) });
  let error: StateDictError | undefined;
  try {
    model.loadStateDict(sd);
  } catch (e) {
    error = e as StateDictError;
  }
  assert.ok(error instanceof StateDictError);
  assert.deepEqual(error.missingKeys, ["bn1.running_var"]);
  assert.deepEqual(error.unexpectedKeys, ["extra.weight"]);
  assert.equal(error.mismatches.length, 1);
  assert.match(error.message, /size mismatch for head\.2\.weight: .*\[3, 15\].*\[3, 16\]/);
  assert.deepEqual(model.conv1.weight.data, before);
  // strict: false reports missing/unexpected keys but still refuses the bad shape.
  assert.throws(() => model.loadStateDict(sd, { strict: false }), /size mismatch/);
  sd.set("head.2.weight", { dtype: "F32", shape: [3, 16], data: new Float32Array(48) });
  const r = model.loadStateDict(sd, { strict: false });
  assert.deepEqual(r, { missingKeys: ["bn1.running_var"], unexpectedKeys: ["extra.weight"] });
  // A wrong dtype is a mismatch too.
  const sd2 = new KeysNet().stateDict();
  sd2.set("bn1.num_batches_tracked", { dtype: "F32", shape: [], data: new Float32Array(1) });
  assert.throws(() => model.loadStateDict(sd2), /dtype mismatch for bn1\.num_batches_tracked/);
});

Deno.test("module tree: fields become children, swaps are seen by forward", () => {
  class Net extends Module {
    fc = new Linear(2, 2);
    act = new ReLU();
    forward(x: Tensor): Tensor {
      return this.act.forward(this.fc.forward(x));
    }
  }
  const net = new Net();
  assert.deepEqual(net.namedChildren().map(([n]) => n), ["fc", "act"]);
  net.fc.weight.data.set([1, 0, 0, 1]);
  net.fc.bias!.data.set([0, 0]);
  const x = Tensor.from([-1, 2], [1, 2]);
  assert.deepEqual([...net.forward(x).data], [0, 2]);
  net.setSubmodule("act", new Identity());
  assert.deepEqual([...net.forward(x).data], [-1, 2]);
  assert.ok(net.getSubmodule("act") instanceof Identity);
  assert.throws(() => net.getSubmodule("fc.nope"), /Linear "fc" has no submodule "nope"/);
  assert.throws(() => net.setSubmodule("nope.x", new ReLU()), /has no submodule "nope"/);
  net.deleteModule("act");
  assert.deepEqual(net.namedChildren().map(([n]) => n), ["fc"]);
  assert.equal((net as unknown as Record<string, unknown>).act, undefined);
});

Deno.test("module tree: train/eval recurse; parameters and buffers are listed once", () => {
  const net = new KeysNet();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  assert.equal(net.parameters().length, 8);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), [
    "bn1.running_mean",
    "bn1.running_var",
    "bn1.num_batches_tracked",
    "head.3.running_mean",
    "head.3.running_var",
    "head.3.num_batches_tracked",
  ]);
  const shared = new Linear(2, 2);
  const seq = new Sequential(shared, shared);
  assert.equal(seq.parameters().length, 2);
  assert.equal(seq.namedModules().length, 2);
});

Deno.test("module tree: registering over an attribute of another kind is refused", () => {
  const m = new Linear(2, 2);
  assert.throws(() => m.registerModule("weight", new ReLU()), /already a parameter/);
  assert.throws(() => m.registerParameter("a.b", null), /can't contain "\."/);
  assert.throws(
    () => m.registerParameter("x", [1, 2] as unknown as Tensor),
    /expected a Tensor or null/,
  );
});

Deno.test("hooks: pre-hooks and hooks wrap forward, removal restores it, copies keep theirs", () => {
  const relu = new ReLU();
  const calls: string[] = [];
  const removePre = relu.registerForwardPreHook((_m, [x]) => {
    calls.push("pre");
    return [Tensor.from((x as Tensor).data.map((v) => v - 1))];
  });
  const remove = relu.registerForwardHook((_m, _in, out) => {
    calls.push("post");
    return Tensor.from((out as Tensor).data.map((v) => v * 10));
  });
  assert.deepEqual([...relu.forward(Tensor.from([3, 0])).data], [20, 0]);
  assert.deepEqual(calls, ["pre", "post"]);
  const copy = relu.clone();
  removePre();
  remove();
  assert.deepEqual([...relu.forward(Tensor.from([3, 0])).data], [3, 0]);
  assert.deepEqual([...copy.forward(Tensor.from([3, 0])).data], [20, 0]);
});

Deno.test("clone: a deep copy, sharing preserved; private-state observers are refused", () => {
  const conv = new Conv2d(1, 2, 1);
  const seq = new Sequential(conv, conv);
  const copy = seq.clone();
  assert.equal(copy.at(0), copy.at(1));
  assert.notEqual(copy.at(0), conv);
  (copy.at(0) as Conv2d).weight.data.fill(7);
  assert.notEqual(conv.weight.data[0], 7);
  class Holder extends Module {
    obs = new HistogramObserver();
    forward(): void {}
  }
  assert.throws(() => new Holder().clone(), /cannot copy a HistogramObserver/);
});

Deno.test("toString: PyTorch's printout", () => {
  const seq = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU());
  assert.equal(
    String(seq),
    "Sequential(\n  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n" +
      "  (1): ReLU()\n)",
  );
});
