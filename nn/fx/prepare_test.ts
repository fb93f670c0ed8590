/**
 * prepareFx / prepareQatFx / convertFx at their edges (the bit-exact proof of what they build is
 * `deno task conform`'s graph-mode section): bad arguments are named, PyTorch's own refusals are
 * reproduced (a fixed-qparams op without its observer, PTQ fusion of a training model), ops
 * without a quantized kernel here stay float with a note, and what convert returns is a new
 * module that leaves the prepared one usable.
 */
import assert from "node:assert/strict";
import type { Tensor } from "../../reference/tensor.ts";
import { getDefaultQConfig } from "../../reference/qconfig.ts";
import { bestKernelSet } from "../../kernels/paths.ts";
import { randomizeBatchNorms, randomTensor } from "../_test_models.ts";
import { Module } from "../module.ts";
import { Conv2d } from "../modules/conv.ts";
import { ReLU } from "../modules/activation.ts";
import { BatchNorm2d } from "../modules/batchnorm.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { getBackendConfig } from "./backend_config.ts";
import { convertFx } from "./convert.ts";
import { torch } from "./functional.ts";
import { prepareFx, prepareQatFx } from "./prepare.ts";
import { DigitsNet, MobileBlockNet } from "./proof_models.ts";
import {
  getDefaultQatQConfigMapping,
  getDefaultQConfigMapping,
  QConfigMapping,
} from "./qconfig_mapping.ts";
import { symbolicTrace } from "./tracer.ts";

const x = (seed: number, shape = [2, 3, 16, 16]): Tensor => randomTensor(shape, seed, -2, 2);

function mobile(): MobileBlockNet {
  const m = new MobileBlockNet();
  let seed = 3;
  for (const [, p] of m.namedParameters()) {
    p.data.set(randomTensor([p.size], seed++, -0.4, 0.4).data);
  }
  randomizeBatchNorms(m, 7);
  return m.eval();
}

Deno.test("prepareFx names the bad argument", () => {
  const mapping = getDefaultQConfigMapping("qnnpack");
  assert.throws(() => prepareFx({} as Module, mapping, [x(1)]), /model: expected a Module/);
  assert.throws(
    () => prepareFx(mobile(), {} as QConfigMapping, [x(1)]),
    /qconfigMapping: expected a QConfigMapping/,
  );
  assert.throws(
    () => prepareFx(mobile(), mapping, x(1) as unknown as unknown[]),
    /exampleInputs: expected an array/,
  );
});

Deno.test("a fixed-qparams op without its fixed-qparams observer is refused, as in PyTorch", () => {
  // PyTorch 1.13: "QConfigMapping must specify fixed qparams observer for fixed qparams op
  // '%sigmoid : [#users=1] = call_function[target=torch.sigmoid](args = (%conv2d,), ...".
  const mapping = new QConfigMapping().setGlobal(getDefaultQConfig("qnnpack"));
  assert.throws(
    () => prepareFx(mobile(), mapping, [x(1)], { backendConfig: getBackendConfig("qnnpack") }),
    /QConfigMapping must specify fixed qparams observer for fixed qparams op '%sigmoid : \[#users=1\] = call_function\[target=torch.sigmoid\]\(args = \(%conv2d,\), kwargs = \{\}\)' type: 'torch.sigmoid'/,
  );
  // Leaving the op out (null) is allowed.
  mapping.setObjectType("torch.sigmoid", null).setObjectType("torch.tanh", null);
  prepareFx(mobile(), mapping, [x(1)], { backendConfig: getBackendConfig("qnnpack") });
});

Deno.test("PTQ fusion needs eval mode; QAT keeps BatchNorm and trains", () => {
  const train = mobile().train();
  assert.throws(
    () => prepareFx(train, getDefaultQConfigMapping("qnnpack"), [x(1)]),
    /Fusion only for eval!/,
  );
  const qat = prepareQatFx(mobile().train(), getDefaultQatQConfigMapping("qnnpack"), [x(1)], {
    backendConfig: getBackendConfig("qnnpack"),
  });
  assert.ok(qat.training);
  assert.ok(
    qat.graph.nodes.some((n) => n.op === "call_module" && n.target === "stem"),
  );
});

Deno.test("convertFx names the bad argument and leaves the prepared model usable", () => {
  assert.throws(() => convertFx({} as never), /model: expected a GraphModule made by prepareFx/);
  assert.throws(
    () => convertFx(symbolicTrace(mobile())),
    /was not made by prepareFx or prepareQatFx/,
  );
  const prepared = prepareFx(mobile(), getDefaultQConfigMapping("qnnpack"), [x(1)], {
    backendConfig: getBackendConfig("qnnpack"),
  });
  prepared.forward(x(2));
  assert.throws(
    () => convertFx(prepared, { kernels: "qnnpack" as never }),
    /kernels: expected a KernelSet or QuantizedOps/,
  );
  const before = String(prepared.graph);
  const q = convertFx(prepared, {
    kernels: bestKernelSet("qnnpack"),
    backendConfig: getBackendConfig("qnnpack"),
  });
  assert.equal(String(prepared.graph), before);
  prepared.forward(x(3)); // still calibrates
  const out = q.forward(x(4)) as Tensor;
  assert.deepEqual(out.shape, [2, 10]);
});

/** conv → ReLU → BatchNorm2d: PyTorch lowers the standalone BatchNorm to nnq.BatchNorm2d. */
class LoneBatchNormNet extends Module {
  conv = new Conv2d(3, 4, 3, { padding: 1 });
  relu = new ReLU();
  bn = new BatchNorm2d(4);
  forward(input: Tensor): Tensor {
    return torch.flatten(this.bn.forward(this.relu.forward(this.conv.forward(input))), 1);
  }
}

Deno.test("an op without a quantized lowering stays float between dequantize and quantize, noted", () => {
  const m = new LoneBatchNormNet().eval();
  m.conv.weight.data.set(randomTensor([m.conv.weight.size], 5, -0.5, 0.5).data);
  randomizeBatchNorms(m, 3);
  const prepared = prepareFx(m, getDefaultQConfigMapping("qnnpack"), [x(1, [1, 3, 6, 6])], {
    backendConfig: getBackendConfig("qnnpack"),
  });
  prepared.forward(x(2, [1, 3, 6, 6]));
  const q = convertFx(prepared, {
    kernels: bestKernelSet("qnnpack"),
    backendConfig: getBackendConfig("qnnpack"),
  });
  assert.ok(
    q.notes.some((n) => /^bn \(call_module bn\) stays float/.test(n)),
    `notes: ${q.notes.join("; ")}`,
  );
  const values = new Map<string, unknown>();
  q.run([x(3, [1, 3, 6, 6])], { onNode: (n, v) => values.set(n.name, v) });
  assert.ok(!(values.get("bn") instanceof QTensor), "the BatchNorm ran in float");
});

Deno.test("the digits CNN prepares with PyTorch's observers and converts on every backend", () => {
  for (const backend of ["qnnpack", "x86", "fbgemm", "onednn"] as const) {
    const prepared = prepareFx(
      new DigitsNet().eval(),
      getDefaultQConfigMapping(backend),
      [x(1, [2, 1, 8, 8])],
      { backendConfig: getBackendConfig(backend) },
    );
    prepared.forward(x(2, [2, 1, 8, 8]));
    const kernels = bestKernelSet(backend === "qnnpack" ? "qnnpack" : "fbgemm");
    const q = convertFx(prepared, { kernels, backendConfig: getBackendConfig(backend) });
    assert.deepEqual((q.forward(x(3, [2, 1, 8, 8])) as Tensor).shape, [2, 10], backend);
  }
});
