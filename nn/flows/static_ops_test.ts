import assert from "node:assert/strict";
import type { Engine } from "../../reference/engine.ts";
import { getDefaultQConfig, type QConfig } from "../../reference/qconfig.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";
import { quantizedRelu } from "../../reference/quantized_activation.ts";
import { convWeight, quantizedConv2d } from "../../reference/quantized_conv2d.ts";
import { quantizedCat, quantizedMul } from "../../reference/quantized_elementwise.ts";
import { linearWeight, quantizedLinear } from "../../reference/quantized_linear.ts";
import { quantizedAvgPool2d } from "../../reference/quantized_pool.ts";
import { QuantizedTensor, type Tensor } from "../../reference/tensor.ts";
import { kernelSets } from "../../kernels/paths.ts";
import type { Conv2d, Linear } from "../modules/mod.ts";
import type { ObserverModule } from "../observer_module.ts";
import { CatNet, randomTensor } from "../_test_models.ts";
import { convert } from "./convert.ts";
import { prepare } from "./prepare.ts";

const bits = (t: Tensor) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)];

function handComposed(prepared: CatNet, x: Tensor, engine: Engine, qconfig: QConfig) {
  const act = (path: string) => {
    const obs = prepared.getSubmodule(`${path}.activation_post_process`) as ObserverModule;
    const { scale, zeroPoint } = obs.calculateQParams();
    return { outputScale: scale[0], outputZeroPoint: zeroPoint[0] };
  };
  const quantizeWeight = (w: Tensor) => {
    const obs = qconfig.weight.create();
    obs.forward(w);
    const { scale, zeroPoint } = obs.calculateQParams();
    return "chAxis" in obs
      ? quantizePerChannel(w, { scales: scale, zeroPoints: zeroPoint, axis: 0, dtype: "qint8" })
      : quantizePerTensor(w, { scale: scale[0], zeroPoint: zeroPoint[0], dtype: "qint8" });
  };
  const conv = (c: Conv2d) => convWeight(quantizeWeight(c.weight), c.bias);
  const q = act("quant");
  const q0 = quantizePerTensor(x, {
    scale: q.outputScale,
    zeroPoint: q.outputZeroPoint,
    dtype: "quint8",
  });
  const a = quantizedRelu(
    quantizedConv2d(q0, conv(prepared.convA), { engine, padding: 1, ...act("convA") }),
  );
  const b = quantizedConv2d(q0, conv(prepared.convB), { engine, ...act("convB") });
  // Both conv outputs are channels-last, so PyTorch takes its NHWC cat path.
  const c = quantizedCat([a, b], { dim: 1, channelsLast: true, ...act("cat") });
  const m = quantizedMul(c, c, { engine, ...act("mul") });
  const p = quantizedAvgPool2d(m, { engine, kernelSize: 2, channelsLast: true });
  const flat = new QuantizedTensor(p.intRepr, [p.shape[0], 20], "quint8", p.qparams);
  const fc = prepared.fc as Linear;
  return quantizedLinear(flat, linearWeight(quantizeWeight(fc.weight), fc.bias), {
    engine,
    ...act("fc"),
  });
}

for (const kernels of kernelSets()) {
  Deno.test(`convert (${kernels.name}): relu, cat, mul, avg pool and flatten equal the reference`, () => {
    const engine: Engine = kernels.numerics;
    const backend = { qnnpack: "qnnpack", onednn: "onednn" } as const;
    const qconfig = getDefaultQConfig(backend[engine as keyof typeof backend] ?? "x86");
    const model = new CatNet().eval();
    model.qconfig = qconfig;
    const prepared = prepare(model);
    for (let i = 0; i < 3; i++) prepared.forward(randomTensor([4, 2, 4, 4], 20 + i, -1, 1));
    const quantized = convert(prepared, { kernels });
    for (let i = 0; i < 2; i++) {
      const x = randomTensor([3, 2, 4, 4], 40 + i, -1.2, 1.2);
      const want = dequantize(handComposed(prepared, x, engine, qconfig));
      assert.deepEqual(bits(quantized.forward(x)), bits(want), `batch ${i}`);
    }
  });
}
