import assert from "node:assert/strict";
import { mobileNetV2, resnet18 } from "./architectures.ts";
import { assertSameLayers } from "./cases.ts";
import { graphMacs, nodeShapes } from "./graph.ts";
import { calibrate, convertedQParams, FloatModel, Fp32Network, Int8Network } from "./network.ts";
import { Fp32Ops } from "../../kernels/fp32_ops.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { ReferenceKernelSet } from "../../kernels/reference_kernel_set.ts";
import { defaultRuntime } from "../../kernels/runtime.ts";

Deno.test("the architectures have torchvision's layer counts and multiply-accumulates", () => {
  const r = resnet18();
  const m = mobileNetV2();
  const convs = (g: typeof r) => g.nodes.filter((n) => n.op === "conv").length;
  assert.equal(convs(r), 20); // 17 3×3/7×7 convs + 3 downsample 1×1
  assert.equal(convs(m), 52); // stem + 17 blocks (16 with expansion) + last 1×1
  // torchvision reports 1.82 GMACs (ResNet-18) and 0.30 GMACs (MobileNetV2) at 224×224.
  assert.ok(Math.abs(graphMacs(r, 224) / 1e9 - 1.82) < 0.01, `${graphMacs(r, 224)}`);
  assert.ok(Math.abs(graphMacs(m, 224) / 1e9 - 0.30) < 0.01, `${graphMacs(m, 224)}`);
  assert.deepEqual(nodeShapes(r, 224).at(-2), [1, 1, 512]);
  assert.deepEqual(nodeShapes(m, 224).at(-2), [1, 1, 1280]);
});

for (const graph of [resnet18(10), mobileNetV2(10)]) {
  Deno.test(`${graph.name} at 32×32: every layer of every int8 path equals the reference`, () => {
    const runtime = defaultRuntime();
    const model = new FloatModel(graph, 32);
    const fp32 = new Fp32Network(model, runtime, new Fp32Ops(runtime));
    const image = model.image();
    for (const kernels of kernelSets(undefined, { runtime })) {
      const qparams = convertedQParams(graph, calibrate(fp32, [model.image(3)], kernels.numerics));
      const network = new Int8Network(model, kernels, qparams);
      const reference = new Int8Network(
        model,
        new ReferenceKernelSet(kernels.name, kernels.numerics),
        qparams,
      );
      const want = reference.forwardAll(image);
      assertSameLayers(network.forwardAll(image), want, graph, kernels);
      // Not a degenerate network: the logits are not all one code.
      assert.ok(new Set(want.at(-1)).size > 1, "the logits carry information");
      // int8 tracks fp32: the dequantized logits correlate with the float ones.
      const yf = fp32.forward(image);
      const yq = network.forward(image);
      assert.ok(correlation(yf, yq) > 0.9, `correlation ${correlation(yf, yq)}`);
      network.free();
    }
  });
}

function correlation(a: Float32Array, b: Float32Array): number {
  const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
