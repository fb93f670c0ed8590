import assert from "node:assert/strict";
import { kernelProperties } from "./kernels.ts";
import { propertyFails, runProperty } from "./property.ts";
import { hasExactUnsignedDot, hasPmaddubswDot, kernelSets } from "../../kernels/paths.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { WasmKernelSet } from "../../kernels/wasm_kernel_set.ts";
import type { QLinearPathConfig } from "../../kernels/qlinear.ts";

const runtime = new KernelRuntime();

function set(config: Omit<QLinearPathConfig, "relaxed"> & { relaxed?: boolean }): WasmKernelSet {
  return new WasmKernelSet(runtime, { relaxed: true, description: "test", ...config });
}

function property(kernels: WasmKernelSet, prefix: string) {
  const found = kernelProperties(kernels).find((p) => p.name.startsWith(prefix));
  assert.ok(found, `no property named ${prefix}…`);
  return found;
}

Deno.test("kernel properties catch a one-bit error planted in each GEMM variant", async () => {
  const variants: Parameters<typeof set>[0][] = [
    { name: "x86-flip", numerics: "fbgemm", variant: "dot16sat", mr: 2, mutation: "flip-bit" },
    { name: "arm-flip", numerics: "qnnpack", variant: "dot16", mr: 4, mutation: "flip-bit" },
  ];
  if (hasPmaddubswDot(runtime.features)) {
    variants.push({
      name: "x86r-flip",
      numerics: "fbgemm",
      variant: "x86sat",
      mr: 4,
      mutation: "flip-bit",
    });
  }
  if (hasExactUnsignedDot(runtime.features)) {
    variants.push({
      name: "armr-flip",
      numerics: "qnnpack",
      variant: "usdot",
      mr: 4,
      mutation: "flip-bit",
    });
  }
  for (const config of variants) {
    const broken = set(config);
    assert.ok(
      await propertyFails(property(broken, "static linear equals the reference (uniform")),
      config.name,
    );
    assert.ok(await propertyFails(property(broken, "dynamic linear")), `${config.name} (dynamic)`);
    assert.ok(await propertyFails(property(broken, "conv2d equals"), 100), `${config.name} (conv)`);
  }
});

Deno.test("the conv property catches a one-bit error planted in the depthwise kernel", async () => {
  const { KernelRuntime: Runtime } = await import("../../kernels/runtime.ts");
  const { WasmKernelSet: Set } = await import("../../kernels/wasm_kernel_set.ts");
  const { nchwToNhwc } = await import("../../kernels/qconv.ts");
  const rt = new Runtime();
  const broken = new Set(rt, {
    name: "arm-dw-flip",
    numerics: "qnnpack",
    variant: "dot16",
    mr: 4,
    mutation: "flip-bit",
    relaxed: false,
    description: "test",
  });
  // Depthwise only: the GEMM is mutated too, so check that depthwise problems alone fail.
  const weight = {
    data: Int8Array.from({ length: 16 * 9 }, (_, i) => (i % 5) - 2), // small: outputs stay in range
    outChannels: 16,
    inChannelsPerGroup: 1,
    kernelH: 3,
    kernelW: 3,
    perChannel: false,
    scales: Float64Array.of(0.01),
    zeroPoints: Int32Array.of(0),
    bias: null,
  };
  const geometry = {
    stride: [1, 1] as [number, number],
    padding: [1, 1] as [number, number],
    dilation: [1, 1] as [number, number],
    groups: 16,
  };
  const x = Uint8Array.from({ length: 16 * 25 }, (_, i) => (i * 7) % 11);
  const params = {
    inputScale: 1,
    inputZeroPoint: 3,
    outputScale: 0.01,
    outputZeroPoint: 100,
    relu: false,
  };
  const good = kernelSets(undefined, { runtime }).find((k) => k.name === "arm")!;
  const run = (k: typeof good) => {
    const packed = k.packConv2d(weight, geometry);
    const y = k.conv2dNhwc(nchwToNhwc(x, [1, 16, 5, 5]), packed, params).data;
    packed.free();
    return [...y];
  };
  assert.notDeepEqual(run(broken), run(good), "the planted depthwise bug changes outputs");
  assert.ok(await propertyFails(property(broken, "conv2d equals"), 100));
});

Deno.test("kernel properties catch FBGEMM numerics computed without int16 pair saturation", async () => {
  // A realistic bug: using the exact VNNI dot (or plain int16 dots) for x86 numerics.
  const broken = set({ name: "x86-nosat", numerics: "fbgemm", variant: "dot16", mr: 4 });
  assert.ok(
    await propertyFails(property(broken, "static linear equals the reference where int16 pairs")),
  );
  // The same bug in the conv path (im2col GEMM and the depthwise kernel).
  assert.ok(await propertyFails(property(broken, "conv2d equals the reference"), 100));
});

Deno.test("the unmutated kernel sets pass the same properties", async () => {
  for (const kernels of kernelSets(undefined, { runtime })) {
    for (const check of kernelProperties(kernels)) {
      const outcome = await runProperty(check, { seed: 3, runs: 30 });
      assert.ok(outcome.passed, `${kernels.name}: ${check.name}: ${outcome.reason}`);
    }
  }
});

Deno.test("x86-relaxed runs the exact VNNI dot only where saturation is impossible", () => {
  const x86 = kernelSets(undefined, { runtime }).find((k) => k.name === "x86-relaxed");
  if (x86 === undefined || !hasExactUnsignedDot(runtime.features)) return; // not on this engine
  const k = 32;
  const weight = {
    data: new Int8Array(8 * k).fill(127),
    outFeatures: 8,
    inFeatures: k,
    perChannel: false,
    scales: Float64Array.of(0.01),
    zeroPoints: Int32Array.of(0),
    bias: null,
  };
  const params = {
    inputScale: 0.1,
    inputZeroPoint: 0,
    outputScale: 1,
    outputZeroPoint: 0,
    relu: false,
  };
  const packed = x86.packLinear(weight);
  x86.linear(new Uint8Array(k).fill(255), 1, packed, params);
  assert.match(x86.lastKernel, /x86sat/, "full-range codes with saturating pairs need pmaddubsw");
  x86.linear(new Uint8Array(k).fill(127), 1, packed, params);
  assert.match(x86.lastKernel, /usdot/, "codes <= 127 cannot saturate: the exact dot is used");
  packed.free();
});

Deno.test("a weight packed by one kernel set is refused by another", () => {
  const [first, second] = kernelSets(undefined, { runtime }).filter((k) =>
    k.name === "x86" || k.name === "arm"
  );
  const weight = {
    data: new Int8Array(4),
    outFeatures: 2,
    inFeatures: 2,
    perChannel: false,
    scales: Float64Array.of(1),
    zeroPoints: Int32Array.of(0),
    bias: null,
  };
  const packed = first.packLinear(weight);
  const params = {
    inputScale: 1,
    inputZeroPoint: 0,
    outputScale: 1,
    outputZeroPoint: 0,
    relu: false,
  };
  assert.throws(
    () => second.linear(new Uint8Array(2), 1, packed, params),
    /packed by another kernel set/,
  );
  packed.free();
});

Deno.test("the fp32 error-bound property catches a kernel that drops the last k", async () => {
  const { Fp32Linear } = await import("../../kernels/fp32_linear.ts");
  const { fp32Properties } = await import("./fp32.ts");
  const good = new Fp32Linear(runtime);
  assert.ok(!(await propertyFails(fp32Properties(good, runtime)[0], 40)));
  // A broken baseline: the weight's last input feature is zeroed while packing.
  const broken = new Fp32Linear(runtime);
  const pack = broken.pack.bind(broken);
  broken.pack = (w, n, k, b) => pack(w.map((v, i) => (i % k === k - 1 ? 0 : v)), n, k, b);
  assert.ok(await propertyFails(fp32Properties(broken, runtime)[0], 40));
});

Deno.test("the fp32 conv property passes, and catches a conv whose ReLU is dropped", async () => {
  const { Fp32Linear } = await import("../../kernels/fp32_linear.ts");
  const { fp32Properties } = await import("./fp32.ts");
  const linear = new Fp32Linear(runtime);
  const convProperty = fp32Properties(linear, runtime)[1];
  assert.ok(!(await propertyFails(convProperty, 60)));
  const { Fp32Conv } = await import("../../kernels/fp32_conv.ts");
  const conv = Fp32Conv.prototype.conv2dNhwc;
  Fp32Conv.prototype.conv2dNhwc = function (x, packed) {
    return conv.call(this, x, packed, false);
  };
  try {
    assert.ok(await propertyFails(convProperty, 60));
  } finally {
    Fp32Conv.prototype.conv2dNhwc = conv;
  }
});
