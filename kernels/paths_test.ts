import assert from "node:assert/strict";
import {
  bestKernelSet,
  hasExactUnsignedDot,
  hasPmaddubswDot,
  KERNEL_PATHS,
  kernelSets,
} from "./paths.ts";
import { defaultRuntime, KernelRuntime } from "./runtime.ts";
import { wasmFeatures } from "./features.ts";
import { x86ConvNumerics as convNumerics } from "./x86_backend_kernel_set.ts";
import { nchwToNhwc, nhwcToNchw } from "./qconv.ts";
import { type ConvWeight, REFERENCE_CONV2D } from "../reference/quantized_conv2d.ts";
import { BACKENDS } from "../reference/engine.ts";

const features = defaultRuntime().features;

Deno.test("backend names pick the numerics of the backend on its modelled CPU", () => {
  assert.equal(bestKernelSet("fbgemm").numerics, "fbgemm");
  assert.equal(bestKernelSet("fbgemm", { isa: "avx2" }).numerics, "fbgemm");
  assert.equal(bestKernelSet("fbgemm", { isa: "avx512_vnni" }).numerics, "fbgemm_avx512_vnni");
  assert.equal(bestKernelSet("x86").numerics, "fbgemm"); // AVX2: every op on FBGEMM
  assert.equal(bestKernelSet("onednn").numerics, "onednn");
  assert.equal(bestKernelSet("qnnpack").numerics, "qnnpack");
  assert.match(bestKernelSet("x86", { isa: "avx512_vnni" }).name, /^x86 backend \(x86-vnni/);
  for (const backend of BACKENDS) {
    const sets = kernelSets(backend);
    assert.ok(sets.length >= 1, backend);
    assert.ok(sets.includes(bestKernelSet(backend)) || backend === "x86", backend);
  }
});

Deno.test("bestKernelSet prefers the relaxed path where the probes allow it", () => {
  assert.equal(bestKernelSet("fbgemm").name, hasPmaddubswDot(features) ? "x86-relaxed" : "x86");
  assert.equal(
    bestKernelSet("qnnpack").name,
    hasExactUnsignedDot(features) ? "arm-relaxed" : "arm",
  );
  assert.equal(
    bestKernelSet("onednn").name,
    hasExactUnsignedDot(features) ? "x86-onednn-relaxed" : "x86-onednn",
  );
});

Deno.test("path names select one path; a backend name wins where the two coincide", () => {
  for (const name of ["x86-vnni", "x86-onednn", "arm"]) {
    assert.deepEqual(kernelSets(name).map((k) => k.name), [name]);
    assert.equal(bestKernelSet(name).name, name);
  }
  assert.deepEqual(
    kernelSets("x86").map((k) => k.numerics),
    kernelSets("fbgemm").map((k) => k.numerics),
  );
  assert.deepEqual(
    kernelSets().map((k) => k.name),
    KERNEL_PATHS.filter((n) => kernelSets().some((k) => k.name === n)),
  );
});

Deno.test("unknown names and impossible ISAs are errors that list what is valid", () => {
  assert.throws(
    () => bestKernelSet("tpu"),
    /name: unknown backend or kernel path "tpu"; backends: fbgemm, x86, qnnpack, onednn; kernel paths: x86, x86-relaxed, x86-vnni/,
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => bestKernelSet(undefined as any), /unknown backend or kernel path/);
  assert.throws(() => kernelSets("ARM"), /unknown backend or kernel path "ARM"/);
  assert.throws(() => bestKernelSet("onednn", { isa: "avx2" }), /isa: oneDNN's int8 arithmetic/);
  assert.throws(() => bestKernelSet("qnnpack", { isa: "avx2" }), /isa: the qnnpack backend/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => bestKernelSet("fbgemm", { isa: "avx512" as any }), /isa: unknown ISA/);
  assert.throws(() => kernelSets("arm", { isa: "avx2" }), /fixed numerics \(qnnpack\)/);
  assert.throws(() => kernelSets(undefined, { isa: "avx2" }), /isa: needs a backend name/);
});

Deno.test("a relaxed path that cannot run on this engine is refused with the reason", () => {
  const runtime = new KernelRuntime({
    ...wasmFeatures(),
    relaxedSimd: false,
    relaxedDot: null,
    relaxedMaddFused: null,
  });
  assert.throws(
    () => kernelSets("x86-vnni-relaxed", { runtime }),
    /kernel path "x86-vnni-relaxed" cannot run on this engine: it needs relaxed SIMD/,
  );
  assert.equal(bestKernelSet("fbgemm", { runtime, isa: "avx512_vnni" }).name, "x86-vnni");
});

/** A depthwise 3×3 conv with 16 channels and a weight zero point of `zp` on every channel. */
function depthwise(zp: number): ConvWeight {
  return {
    data: Int8Array.from({ length: 16 * 9 }, (_, i) => ((i * 37) % 255) - 127),
    outChannels: 16,
    inChannelsPerGroup: 1,
    kernelH: 3,
    kernelW: 3,
    perChannel: false,
    scales: Float64Array.of(0.013),
    zeroPoints: Int32Array.of(zp),
    bias: Float32Array.from({ length: 16 }, (_, i) => i * 0.37 - 2),
  };
}

Deno.test("x86 on AVX-512 VNNI: convolutions on oneDNN or FBGEMM exactly as PyTorch dispatches", () => {
  const x86 = bestKernelSet("x86", { isa: "avx512_vnni" });
  const shape = [1, 16, 6, 5];
  const x = Uint8Array.from({ length: 16 * 30 }, (_, i) => (i * 89) % 256); // saturating pairs
  const geometry = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 16 } as const;
  const params = {
    inputScale: 0.02,
    inputZeroPoint: 7,
    outputScale: 0.3,
    outputZeroPoint: 100,
    relu: false,
  };
  for (const [zp, numerics] of [[0, "onednn"], [3, "fbgemm_avx512_vnni"]] as const) {
    const weight = depthwise(zp);
    assert.equal(convNumerics(weight, geometry), numerics);
    const packed = x86.packConv2d(weight, geometry);
    const y = nhwcToNchw(x86.conv2dNhwc(nchwToNhwc(x, shape), packed, params)).data;
    packed.free();
    const want = REFERENCE_CONV2D[numerics](x, shape, weight, { ...geometry, ...params });
    assert.deepEqual([...y], [...want], `zero point ${zp}`);
    const other = REFERENCE_CONV2D[numerics === "onednn" ? "fbgemm_avx512_vnni" : "onednn"](
      x,
      shape,
      zp === 0 ? weight : depthwise(0),
      { ...geometry, ...params },
    );
    if (zp === 0) assert.notDeepEqual([...y], [...other], "the two numerics differ here");
  }
  // More than 100 groups: FBGEMM even with a symmetric weight.
  const wide = { ...depthwise(0), outChannels: 104 };
  assert.equal(convNumerics(wide, { ...geometry, groups: 104 }), "fbgemm_avx512_vnni");
});
