import assert from "node:assert/strict";
import { PyTorchUndefinedError } from "../../reference/_check.ts";
import { defaultDynamicQConfig } from "../../reference/qconfig.ts";
import { quantizePerTensor } from "../../reference/quantize.ts";
import { linearWeight, quantizedLinearDynamic } from "../../reference/quantized_linear.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { roundToFloat16 } from "../float16.ts";
import { relu } from "../functional/elementwise.ts";
import { fuseModules } from "../fuse.ts";
import { Module } from "../module.ts";
import { Linear, LinearReLU, ReLU } from "../modules/mod.ts";
import { DynamicQuantizedLinear, DynamicQuantizedLinearReLU } from "../quantized/dynamic_linear.ts";
import { loadStateDictFromSafetensors, saveStateDictToSafetensors } from "../safetensors.ts";
import { randomTensor } from "../_test_models.ts";
import { quantizeDynamic } from "./quantize_dynamic.ts";

class Mlp extends Module {
  fc1 = new Linear(16, 32);
  relu = new ReLU();
  fc2 = new Linear(32, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.relu.forward(this.fc1.forward(x)));
  }
}

const bits = (t: Tensor) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)];

function qint8Weight(w: Tensor) {
  const obs = defaultDynamicQConfig.weight.create();
  obs.forward(w);
  const { scale, zeroPoint } = obs.calculateQParams();
  return quantizePerTensor(w, { scale: scale[0], zeroPoint: zeroPoint[0], dtype: "qint8" });
}

for (const kernels of kernelSets()) {
  if (kernels.numerics === "onednn") {
    // nnq.dynamic.Linear passes reduce_range=True, undefined on oneDNN in PyTorch 1.13.
    Deno.test(`quantizeDynamic (${kernels.name}): refused, reduce_range is undefined there`, () => {
      const q = quantizeDynamic(new Mlp().eval(), { kernels });
      assert.throws(() => q.forward(randomTensor([2, 16], 3)), PyTorchUndefinedError);
    });
    continue;
  }
  Deno.test(`quantizeDynamic (${kernels.name}): outputs equal quantizedLinearDynamic by hand`, () => {
    const engine = kernels.numerics;
    const mlp = new Mlp();
    const fused = fuseModules(mlp.eval(), ["fc1", "relu"]);
    // As in PyTorch, the default spec ({Linear}) leaves a fused LinearReLU in float.
    assert.ok(quantizeDynamic(fused, { kernels }).fc1 instanceof LinearReLU);
    const q = quantizeDynamic(fused, { kernels, qconfigSpec: [Linear, LinearReLU] });
    assert.ok(q.fc1 instanceof DynamicQuantizedLinearReLU);
    assert.ok(q.fc2 instanceof DynamicQuantizedLinear);
    assert.ok(fused.fc1 instanceof LinearReLU, "not in place");
    const x = randomTensor([7, 16], 3, -3, 3);
    const h = quantizedLinearDynamic(x, linearWeight(qint8Weight(mlp.fc1.weight), mlp.fc1.bias), {
      engine,
      reduceRange: true,
      relu: true,
    });
    const want = quantizedLinearDynamic(
      h,
      linearWeight(qint8Weight(mlp.fc2.weight), mlp.fc2.bias),
      {
        engine,
        reduceRange: true,
      },
    );
    assert.deepEqual(bits(q.forward(x)), bits(want));
  });
}

Deno.test("quantizeDynamic: float16 weights are rounded once; outputs close to float", () => {
  const mlp = new Mlp().eval();
  const q = quantizeDynamic(mlp, { dtype: "float16" });
  const fc1 = q.fc1 as unknown as DynamicQuantizedLinear;
  assert.equal(fc1.dtype, "float16");
  const w = fc1.weight().weight as Tensor;
  assert.deepEqual([...w.data], [...mlp.fc1.weight.data].map(roundToFloat16));
  const x = randomTensor([5, 16], 4);
  const a = mlp.forward(x).data;
  const b = q.forward(x).data;
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 2e-3, `${i}: ${v} vs ${b[i]}`));
  // The float16 model round-trips through safetensors (weights stored as F16).
  const bytes = saveStateDictToSafetensors(q);
  const other = quantizeDynamic(new Mlp().eval(), { dtype: "float16" });
  loadStateDictFromSafetensors(other, bytes);
  assert.deepEqual(bits(other.forward(x)), bits(q.forward(x)));
});

Deno.test("quantizeDynamic: qconfigSpec selects modules by name or type", () => {
  const mlp = new Mlp().eval();
  const q = quantizeDynamic(mlp, { qconfigSpec: ["fc2"] });
  assert.ok(q.fc1 instanceof Linear);
  assert.ok(q.fc2 instanceof DynamicQuantizedLinear);
  const byType = quantizeDynamic(mlp, { qconfigSpec: new Map([[Linear, defaultDynamicQConfig]]) });
  assert.ok(byType.fc1 instanceof DynamicQuantizedLinear);
  assert.throws(
    () => quantizeDynamic(mlp, { dtype: "int4" as "qint8" }),
    /dtype: quantize_dynamic has no default qconfig for "int4"/,
  );
  // A ReLU between the layers is untouched; the model computes relu of the dynamic linear.
  const x = randomTensor([2, 16], 5);
  assert.equal(q.forward(x).shape[1], 10);
  assert.ok(relu(x).size === 32);
});
