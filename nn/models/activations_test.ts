/**
 * The nn proof of the activations and batch norm added through the op registry: ActivationsNet,
 * recorded from real PyTorch 1.13 by `scripts/models/record_activations.py` (static PTQ, qnnpack
 * and onednn engines). PyTorch's calibrated state loads into our prepared model, `convert` gives
 * PyTorch's converted modules (QuantizedBatchNorm2d, QuantizedBNReLU2d, QuantizedLeakyReLU,
 * QuantizedHardswish, QuantizedELU; Hardtanh and Hardsigmoid stay and run quantized), and every
 * quantized module's output codes and qparams equal PyTorch's on every kernel path of the
 * engine's numerics.
 * @module
 */
import assert from "node:assert/strict";
import { kernelSets } from "../../kernels/paths.ts";
import { getDefaultQConfig } from "../../reference/qconfig.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { convert } from "../flows/convert.ts";
import { prepare } from "../flows/prepare.ts";
import { fuseModules } from "../fuse.ts";
import type { Module } from "../module.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { readSafetensors } from "../safetensors.ts";
import type { TypedTensor } from "../typed_tensor.ts";
import { bits, tensorOf } from "./_digits_golden.ts";
import { ACTIVATIONS_FUSION, ActivationsNet } from "./_flow_models.ts";

const DIR = new URL("../../golden/models/activations/", import.meta.url);
const LAYERS = ["quant", "conv1", "bn1", "leaky", "conv2", "bn2", "hswish", "elu", "htanh", "hsig"]
  .concat(["pool", "fc"]);

function read(name: string): Map<string, TypedTensor> {
  return readSafetensors(Deno.readFileSync(new URL(name, DIR)));
}

const DATA = read("data.safetensors");

/** Every listed module's quantized output, and the logits. */
function run(model: Module, x: Tensor) {
  const outputs = new Map<string, QTensor>();
  for (const name of LAYERS) {
    model.getSubmodule(name).registerForwardHook((_m, _i, y) => {
      assert.ok(y instanceof QTensor, `${name}: not quantized`);
      outputs.set(name, y);
    });
  }
  const logits = (model.forward as (x: Tensor) => Tensor)(x);
  return { outputs, logits };
}

for (const engine of ["qnnpack", "onednn"] as const) {
  const record = read(`${engine}_record.safetensors`);
  for (const kernels of kernelSets().filter((k) => k.numerics === engine)) {
    Deno.test(`activations: ${engine} static PTQ, every layer's codes are PyTorch's (${kernels.name})`, () => {
      const float = new ActivationsNet();
      float.loadStateDict(read("float.safetensors"));
      const fused = fuseModules(float.eval(), ACTIVATIONS_FUSION);
      fused.qconfig = getDefaultQConfig(engine);
      const prepared = prepare(fused);
      prepared.loadStateDict(read(`${engine}_prepared.safetensors`));
      const ours = convert(prepared, { kernels });
      const got = run(ours, tensorOf(DATA.get("test")));
      for (const name of LAYERS) {
        const y = got.outputs.get(name)!;
        assert.deepEqual(y.logicalCodes(), record.get(`${name}.codes`)!.data, `${name}: codes`);
        assert.equal(y.scale, (record.get(`${name}.scale`)!.data as Float64Array)[0], name);
        assert.equal(y.zeroPoint, Number(record.get(`${name}.zero_point`)!.data[0]), name);
      }
      assert.deepEqual(bits(got.logits), bits(tensorOf(record.get("logits"))));
      // PyTorch's converted state loads into ours, strict.
      ours.loadStateDict(read(`${engine}_static.safetensors`));
    });
  }
}
