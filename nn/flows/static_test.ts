import assert from "node:assert/strict";
import type { Engine } from "../../reference/engine.ts";
import { getDefaultQConfig, type QConfig } from "../../reference/qconfig.ts";
import { dequantize, quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";
import { quantizedRelu6 } from "../../reference/quantized_activation.ts";
import { convWeight, quantizedConv2d } from "../../reference/quantized_conv2d.ts";
import { quantizedAddRelu } from "../../reference/quantized_elementwise.ts";
import { linearWeight, quantizedLinear } from "../../reference/quantized_linear.ts";
import { quantizedAdaptiveAvgPool2d, quantizedMaxPool2d } from "../../reference/quantized_pool.ts";
import { QuantizedTensor, type Tensor } from "../../reference/tensor.ts";
import { bestKernelSet, kernelSets } from "../../kernels/paths.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { fuseModules } from "../fuse.ts";
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  QuantStub,
} from "../modules/mod.ts";
import { isActivationPostProcess, type ObserverModule } from "../observer_module.ts";
import { QuantizedDropout, QuantizedReLU6 } from "../quantized/activation.ts";
import { QuantizedConv2d, QuantizedConvReLU2d } from "../quantized/conv.ts";
import { QFunctional } from "../quantized/functional_modules.ts";
import { toNchw, toNhwc } from "../../reference/layout.ts";
import { QuantizedLinear, QuantizedLinearReLU } from "../quantized/linear.ts";
import { DeQuantize, Quantize } from "../quantized/quantize.ts";
import { loadStateDictFromSafetensors, saveStateDictToSafetensors } from "../safetensors.ts";
import { randomizeBatchNorms, randomTensor, SMALL_NET_GROUPS, SmallNet } from "../_test_models.ts";
import { convert } from "./convert.ts";
import { prepare } from "./prepare.ts";
import { quantizeDynamic } from "./quantize_dynamic.ts";

function engineOf(kernels: KernelSet): Engine {
  return kernels.numerics;
}

function qconfigFor(kernels: KernelSet): QConfig {
  const backend = { qnnpack: "qnnpack", onednn: "onednn" } as const;
  return getDefaultQConfig(backend[kernels.numerics as keyof typeof backend] ?? "x86");
}

/** A fused, prepared and calibrated SmallNet. */
function calibrated(qconfig: QConfig, seed: number): SmallNet {
  const model = new SmallNet();
  randomizeBatchNorms(model, seed);
  model.eval();
  const fused = fuseModules(model, SMALL_NET_GROUPS);
  fused.qconfig = qconfig;
  const prepared = prepare(fused);
  for (let i = 0; i < 3; i++) prepared.forward(randomTensor([4, 1, 8, 8], seed * 10 + i, -2, 2));
  return prepared;
}

const bits = (t: Tensor) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)];

Deno.test("prepare: observers where PyTorch attaches them, qconfig propagated", () => {
  const prepared = calibrated(getDefaultQConfig("qnnpack"), 1);
  // Printed by PyTorch 1.13 for the same model, fusion and qconfig.
  assert.deepEqual(
    prepared.namedModules().filter(([n]) => n.endsWith(".activation_post_process")).map(([n]) => n),
    [
      "quant.activation_post_process",
      "conv1.activation_post_process",
      "conv2.activation_post_process",
      "skip.activation_post_process",
      "relu6.activation_post_process",
      "fc1.activation_post_process",
      "fc2.activation_post_process",
    ],
  );
  assert.equal(
    prepared.getSubmodule("conv1.activation_post_process").getName(),
    "HistogramObserver",
  );
  assert.ok(prepared.modules().every((m) => m.qconfig !== undefined || isActivationPostProcess(m)));
  // The observers saw the calibration data.
  const obs = prepared.getSubmodule("quant.activation_post_process") as ObserverModule;
  assert.ok((obs.observer as unknown as { minVal: number }).minVal < -1.5);
});

Deno.test("convert: PyTorch's quantized module tree", () => {
  const prepared = calibrated(getDefaultQConfig("qnnpack"), 2);
  const q = convert(prepared, { kernels: kernelSets().find((k) => k.numerics === "qnnpack")! });
  const types: [string, unknown][] = [
    ["quant", Quantize],
    ["conv1", QuantizedConvReLU2d],
    ["conv2", QuantizedConv2d],
    ["skip", QFunctional],
    ["pool", MaxPool2d],
    ["relu6", QuantizedReLU6],
    ["drop", QuantizedDropout],
    ["gap", AdaptiveAvgPool2d],
    ["flat", Flatten],
    ["fc1", QuantizedLinearReLU],
    ["fc2", QuantizedLinear],
    ["dequant", DeQuantize],
  ];
  for (const [name, cls] of types) {
    assert.equal(q.getSubmodule(name).constructor, cls, name);
  }
  assert.ok(q.modules().every((m) => m.qconfig === undefined));
  assert.ok(
    !q.namedModules().some(([n]) =>
      n.endsWith("activation_post_process") && n !== "skip.activation_post_process"
    ),
  );
  // Not in place: the prepared model keeps its float modules and observers.
  assert.ok(prepared.getSubmodule("conv2") instanceof Conv2d);
  assert.ok(prepared.fc2 instanceof Linear);
});

/**
 * SmallNet's int8 forward composed by hand from the reference ops, with the qparams of the
 * prepared model's observers and weights quantized by fresh weight observers.
 */
function handComposed(
  prepared: SmallNet,
  x: Tensor,
  engine: Engine,
  qconfig: QConfig,
  convEngine: Engine = engine,
) {
  const act = (path: string) => {
    const { scale, zeroPoint } =
      (prepared.getSubmodule(`${path}.activation_post_process`) as ObserverModule)
        .calculateQParams();
    return { outputScale: scale[0], outputZeroPoint: zeroPoint[0] };
  };
  const quantizeWeight = (w: Tensor) => {
    const obs = qconfig.weight.create();
    obs.forward(w);
    const { scale, zeroPoint } = obs.calculateQParams();
    return scale.length === 1 && !("chAxis" in obs)
      ? quantizePerTensor(w, { scale: scale[0], zeroPoint: zeroPoint[0], dtype: "qint8" })
      : quantizePerChannel(w, { scales: scale, zeroPoints: zeroPoint, axis: 0, dtype: "qint8" });
  };
  const conv = (path: string) => {
    const c = prepared.getSubmodule(path) as Conv2d;
    return convWeight(quantizeWeight(c.weight), c.bias);
  };
  const linear = (path: string) => {
    const l = prepared.getSubmodule(path) as Linear;
    return linearWeight(quantizeWeight(l.weight), l.bias);
  };
  const { outputScale, outputZeroPoint } = act("quant");
  const q0 = quantizePerTensor(x, {
    scale: outputScale,
    zeroPoint: outputZeroPoint,
    dtype: "quint8",
  });
  const c1 = quantizedConv2d(q0, conv("conv1.0"), {
    engine: convEngine,
    padding: 1,
    relu: true,
    ...act("conv1"),
  });
  const c2 = quantizedConv2d(c1, conv("conv2"), {
    engine: convEngine,
    padding: 1,
    ...act("conv2"),
  });
  // Conv outputs are channels-last in PyTorch: ATen's add runs over them in NHWC order.
  const nhwc = (t: QuantizedTensor) =>
    new QuantizedTensor(toNhwc(t.intRepr as Uint8Array, t.shape), [t.size], "quint8", t.qparams);
  const sum = quantizedAddRelu(nhwc(c1), nhwc(c2), { engine, ...act("skip") });
  const s = new QuantizedTensor(
    toNchw(sum.intRepr as Uint8Array, c1.shape),
    c1.shape,
    "quint8",
    sum.qparams,
  );
  const pooled = quantizedMaxPool2d(s, { engine, kernelSize: 2, channelsLast: true });
  const r6 = quantizedRelu6(pooled); // PyTorch's relu6 returns an NCHW-contiguous tensor
  const gap = quantizedAdaptiveAvgPool2d(r6, { engine, outputSize: 1, channelsLast: false });
  const flat = new QuantizedTensor(
    gap.intRepr,
    [gap.shape[0], gap.shape[1]],
    "quint8",
    gap.qparams,
  );
  const f1 = quantizedLinear(flat, linear("fc1.0"), { engine, relu: true, ...act("fc1") });
  return quantizedLinear(f1, linear("fc2"), { engine, ...act("fc2") });
}

for (const kernels of kernelSets()) {
  Deno.test(`convert (${kernels.name}): int8 outputs equal the reference ops composed by hand`, () => {
    const qconfig = qconfigFor(kernels);
    const prepared = calibrated(qconfig, 3);
    const quantized = convert(prepared, { kernels });
    const engine = engineOf(kernels);
    for (let i = 0; i < 3; i++) {
      const x = randomTensor([5, 1, 8, 8], 100 + i, -2.5, 2.5);
      const want = dequantize(handComposed(prepared, x, engine, qconfig));
      const got = quantized.forward(x);
      assert.deepEqual(got.shape, want.shape);
      assert.deepEqual(bits(got), bits(want), `batch ${i}`);
    }
  });
}

Deno.test("convert on the x86 backend of an AVX-512 VNNI CPU: convs on oneDNN, linear on FBGEMM", () => {
  // The x86 qconfig's weights are per-channel symmetric, so PyTorch sends both convs to oneDNN
  // (which numerics each conv takes is checked where the two differ: kernels/paths_test.ts).
  const kernels = bestKernelSet("x86", { isa: "avx512_vnni" });
  const qconfig = getDefaultQConfig("x86");
  const prepared = calibrated(qconfig, 5);
  const quantized = convert(prepared, { kernels });
  for (let i = 0; i < 3; i++) {
    const x = randomTensor([5, 1, 8, 8], 9 + i, -2.5, 2.5);
    const want = dequantize(handComposed(prepared, x, "fbgemm_avx512_vnni", qconfig, "onednn"));
    assert.deepEqual(bits(quantized.forward(x)), bits(want), `batch ${i}`);
  }
});

Deno.test("convert and quantizeDynamic refuse a kernels option that is not a kernel set", () => {
  const prepared = calibrated(getDefaultQConfig("qnnpack"), 6);
  // deno-lint-ignore no-explicit-any
  const missing = undefined as any;
  assert.throws(
    () => convert(prepared, { kernels: missing }),
    /kernels: expected a KernelSet or QuantizedOps, got undefined/,
  );
  assert.throws(
    () => quantizeDynamic(new SmallNet(), { kernels: missing }),
    /kernels: expected a KernelSet or QuantizedOps, got undefined/,
  );
});

Deno.test("convert: a planted bug (conv2's bias lost in conversion) breaks the comparison", () => {
  const kernels = kernelSets().find((k) => k.numerics === "qnnpack")!;
  const qconfig = qconfigFor(kernels);
  const prepared = calibrated(qconfig, 4);
  const quantized = convert(prepared, { kernels });
  const conv2 = quantized.getSubmodule("conv2") as QuantizedConv2d;
  conv2.setWeightBias(conv2.weight(), null);
  const x = randomTensor([5, 1, 8, 8], 7, -2.5, 2.5);
  const want = dequantize(handComposed(prepared, x, "qnnpack", qconfig));
  assert.notDeepEqual(bits(quantized.forward(x)), bits(want));
});

Deno.test("convert: the quantized model round-trips through safetensors bit for bit", () => {
  const kernels = kernelSets().find((k) => k.numerics === "fbgemm")!;
  const qconfig = qconfigFor(kernels);
  const a = convert(calibrated(qconfig, 5), { kernels });
  const bytes = saveStateDictToSafetensors(a);
  // A model converted the same way but without calibration, then loaded.
  const fresh = new SmallNet().eval();
  const fused = fuseModules(fresh, SMALL_NET_GROUPS);
  fused.qconfig = qconfig;
  const b = convert(prepare(fused), { kernels, uncalibrated: "ignore" });
  const x = randomTensor([3, 1, 8, 8], 9, -2, 2);
  assert.notDeepEqual(bits(b.forward(x)), bits(a.forward(x)));
  loadStateDictFromSafetensors(b, bytes);
  assert.deepEqual(bits(b.forward(x)), bits(a.forward(x)));
  assert.deepEqual([...a.stateDict().keys()].filter((k) => k.startsWith("conv1.")), [
    "conv1.weight",
    "conv1.weight_scale",
    "conv1.weight_zero_point",
    "conv1.weight_axis",
    "conv1.bias",
    "conv1.scale",
    "conv1.zero_point",
  ]);
  const sd = a.stateDict();
  sd.delete("fc2.zero_point");
  assert.throws(() => b.loadStateDict(sd), /Missing key\(s\) in state_dict: "fc2\.zero_point"/);
});

Deno.test("convert: calibration is required where PyTorch requires an observer", () => {
  const model = new SmallNet().eval();
  model.quant.qconfig = getDefaultQConfig("qnnpack");
  assert.throws(() => convert(model), /QuantStub has no observer/);
  // Without qconfigs nothing is converted (as PyTorch: convert does not propagate).
  const plain = new SmallNet().eval();
  plain.qconfig = getDefaultQConfig("qnnpack");
  assert.ok(convert(plain).quant instanceof QuantStub);
});
