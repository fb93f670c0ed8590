import assert from "node:assert/strict";
import { assertSameLayers, layerOutputs, MODEL_SPECS, ModelBench } from "./cases.ts";
import { fp32Baseline } from "./fp32_baseline.ts";
import { assertCalibrated, benchQConfig, calibratedModel, fusedRandomModel } from "./quantize.ts";
import { benchImage } from "./random_weights.ts";
import { checkedKernelSet } from "../../kernels/checked_kernel_set.ts";
import type { KernelSet, NhwcTensor } from "../../kernels/kernel_set.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { defaultRuntime } from "../../kernels/runtime.ts";
import { Conv2d, ObserverModule, prepare } from "../../nn/mod.ts";
import { MinMaxObserver } from "../../reference/observers/mod.ts";
import type { Tensor } from "../../reference/tensor.ts";

const runtime = defaultRuntime();

Deno.test("the models have torchvision's parameters, convs, names and multiply-accumulates", () => {
  // torchvision's published sizes: resnet18 11,689,512 parameters, mobilenet_v2 3,504,872;
  // 1.82 and 0.30 GMACs at 224×224.
  const expected = {
    "ResNet-18": {
      params: 11_689_512,
      convs: 20,
      gmacs: 1.82,
      key: "layer2.0.downsample.1.running_var",
    },
    "MobileNetV2": {
      params: 3_504_872,
      convs: 52,
      gmacs: 0.30,
      key: "features.17.conv.0.1.weight",
    },
  };
  for (const spec of MODEL_SPECS) {
    const want = expected[spec.name as keyof typeof expected];
    const model = spec.build();
    assert.equal(model.parameters().reduce((n, p) => n + p.size, 0), want.params, spec.name);
    assert.equal(model.modules().filter((m) => m instanceof Conv2d).length, want.convs);
    assert.ok(model.stateDict().has(want.key), `${spec.name} has ${want.key}`);
    const macs = new ModelBench(spec, 224, runtime).macs();
    assert.ok(Math.abs(macs / 1e9 - want.gmacs) < 0.01, `${spec.name}: ${macs} MACs`);
  }
});

for (const spec of MODEL_SPECS) {
  Deno.test(`${spec.name} at 32×32: every module of every converted path equals the reference`, () => {
    const bench = new ModelBench(spec, 32, runtime, { classes: 10 });
    const float = bench.fused.forward(bench.image);
    assertClose(bench.baseline.forward(bench.image), float, `${spec.name} fp32 baseline`);
    const expected = new Map<string, ReturnType<typeof layerOutputs>>();
    for (const kernels of kernelSets(undefined, { runtime })) {
      const want = expected.get(kernels.numerics) ??
        layerOutputs(bench.reference(kernels.numerics), bench.image);
      expected.set(kernels.numerics, want);
      const got = layerOutputs(bench.converted(kernels), bench.image);
      assertSameLayers(got, want, `${spec.name} on ${kernels.name}`);
      // Every conv, block and add is compared, and the network is not degenerate.
      assert.ok(want.outputs.length > 30, `${want.outputs.length} outputs compared`);
      const logits = want.outputs.at(-1)![1];
      assert.ok(new Set(logits.data).size > 1, "the logits carry information");
      assert.ok(correlation(got.y.data, float.data) > 0.9, `${kernels.name} tracks fp32`);
    }
  });
}

Deno.test("a planted wrong code in one conv is named by the layer-by-layer check", () => {
  const spec = MODEL_SPECS.find((s) => s.name === "MobileNetV2")!;
  const bench = new ModelBench(spec, 32, runtime, { classes: 10 });
  const kernels = kernelSets(undefined, { runtime })[0];
  const want = layerOutputs(bench.reference(kernels.numerics), bench.image);
  const planted = bench.converted(checkedKernelSet(corruptThirdConv(kernels)));
  assert.throws(
    () => assertSameLayers(layerOutputs(planted, bench.image), want, "planted"),
    /planted: features\.\d+\.\S* differs from the reference at element 5/,
  );
});

Deno.test("a planted baseline bug (a fused ReLU dropped) is caught by the fp32 comparison", () => {
  const spec = MODEL_SPECS.find((s) => s.name === "ResNet-18")!;
  const bench = new ModelBench(spec, 32, runtime, { classes: 10 });
  const planted = fp32Baseline(bench.fused, runtime);
  const conv = planted.modules().find((m) => (m as { relu?: boolean }).relu === true)!;
  (conv as unknown as { relu: boolean }).relu = false;
  const float = bench.fused.forward(bench.image);
  assert.throws(() => assertClose(planted.forward(bench.image), float, "planted"), /planted/);
});

Deno.test("calibrating through the fp32 baseline fills the prepared model's own observers", () => {
  const spec = MODEL_SPECS.find((s) => s.name === "MobileNetV2")!;
  const fused = fusedRandomModel(spec.build(10));
  const images = [benchImage(32, 11), benchImage(32, 12)];
  const onKernels = calibratedModel(fused, "fbgemm", images, runtime);
  // The same flow with nn's own float forward: the statistics agree to float rounding.
  const model = fused.clone();
  model.qconfig = benchQConfig("fbgemm");
  const onFloat = prepare(model, { inplace: true });
  for (const x of images) onFloat.forward(x);
  const observers = (m: typeof fused) =>
    m.namedModules().filter(([, o]) => o instanceof ObserverModule) as [string, ObserverModule][];
  const floats = new Map(observers(onFloat));
  assert.equal(observers(onKernels).length, floats.size);
  let observed = 0;
  for (const [name, o] of observers(onKernels)) {
    const a = o.observer as MinMaxObserver;
    const b = floats.get(name)!.observer as MinMaxObserver;
    // A block without a residual connection never calls its skip_add: unobserved in both.
    assert.equal(Number.isFinite(a.minVal), Number.isFinite(b.minVal), name);
    if (!Number.isFinite(b.minVal)) continue;
    observed++;
    for (const [x, y] of [[a.minVal, b.minVal], [a.maxVal, b.maxVal]]) {
      assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(y)), `${name}: ${x} vs ${y}`);
    }
  }
  assert.ok(observed > 50, `${observed} observers saw data`);
});

Deno.test("an observer the calibration never reached is refused, naming it", () => {
  const model = fusedRandomModel(MODEL_SPECS[0].build(10));
  model.qconfig = benchQConfig("qnnpack");
  const prepared = prepare(model, { inplace: true });
  assert.throws(
    () => assertCalibrated(prepared),
    /features\.0\.0\.activation_post_process: the calibration pass never reached/,
  );
});

/** A kernel set whose third conv call returns one wrong code (test-only wrapper). */
function corruptThirdConv(inner: KernelSet): KernelSet {
  let calls = 0;
  return new Proxy(inner, {
    get(target, key) {
      if (key !== "conv2dNhwc") return Reflect.get(target, key);
      return (...args: Parameters<KernelSet["conv2dNhwc"]>): NhwcTensor => {
        const y = target.conv2dNhwc(...args);
        if (++calls === 3) y.data[5] ^= 1;
        return y;
      };
    },
  });
}

/** Throws unless `got` equals `want` to float32 rounding of sums (relative to the largest). */
function assertClose(got: Tensor, want: Tensor, what: string): void {
  assert.deepEqual(got.shape, want.shape);
  const scale = Math.max(...want.data.map(Math.abs));
  const worst = Math.max(...want.data.map((v, i) => Math.abs(v - got.data[i])));
  if (!(worst <= 1e-4 * scale)) {
    throw new Error(`${what}: differs from nn's float forward by ${worst} (largest ${scale})`);
  }
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
