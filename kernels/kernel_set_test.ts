import assert from "node:assert/strict";
import { conv2dGeometry, type ConvWeight } from "../reference/quantized_conv2d.ts";
import type { LinearWeight } from "../reference/quantized_linear.ts";
import { Fp32Linear } from "./fp32_linear.ts";
import { kernelSets } from "./paths.ts";
import { ReferenceKernelSet } from "./reference_kernel_set.ts";
import { checkedKernelSet } from "./checked_kernel_set.ts";
import { defaultRuntime } from "./runtime.ts";
import type { KernelSet } from "./kernel_set.ts";

const LINEAR: LinearWeight = {
  data: Int8Array.of(1, -2, 3, -4, 5, -6),
  outFeatures: 2,
  inFeatures: 3,
  perChannel: false,
  scales: Float64Array.of(0.1),
  zeroPoints: Int32Array.of(0),
  bias: null,
};
const CONV: ConvWeight = {
  data: Int8Array.of(1, -1, 2, -2, 3, -3, 4, -4),
  outChannels: 2,
  inChannelsPerGroup: 1,
  kernelH: 2,
  kernelW: 2,
  scales: Float64Array.of(0.1),
  zeroPoints: Int32Array.of(0),
  perChannel: false,
  bias: null,
};
const PARAMS = {
  inputScale: 0.1,
  inputZeroPoint: 0,
  outputScale: 0.1,
  outputZeroPoint: 0,
  relu: false,
};

/** Every kernel set, behind the checked boundary and (for the inner checks) without it. */
function everySet(): KernelSet[] {
  const references = [
    new ReferenceKernelSet("x86", "fbgemm"),
    new ReferenceKernelSet("arm", "qnnpack"),
  ];
  return [...kernelSets(), ...references, ...references.map(checkedKernelSet)];
}

Deno.test("a freed packed weight makes linear, linearDynamic and conv2dNhwc throw, naming the op", () => {
  for (const set of everySet()) {
    const linear = set.packLinear(LINEAR);
    const conv = set.packConv2d(CONV, conv2dGeometry({}));
    const x = new Uint8Array(3);
    const image = { data: new Uint8Array(9), shape: [1, 3, 3, 1] as const };
    set.linear(x, 1, linear, PARAMS); // usable before free()
    assert.equal(linear.freed, false);
    linear.free();
    conv.free();
    linear.free(); // freeing twice is harmless
    assert.equal(linear.freed, true);
    assert.equal(conv.freed, true);
    const freed = (op: string) => new RegExp(`^TypeError: ${set.name}\\.${op}: packed was freed`);
    assert.throws(() => set.linear(x, 1, linear, PARAMS), freed("linear"), set.name);
    assert.throws(
      () => set.linearDynamic(new Float32Array(3), 1, linear, { reduceRange: false, relu: false }),
      freed("linearDynamic"),
      set.name,
    );
    assert.throws(() => set.conv2dNhwc(image, conv, PARAMS), freed("conv2dNhwc"), set.name);
  }
});

Deno.test("the fp32 baseline refuses a freed weight too", () => {
  const fp32 = new Fp32Linear(defaultRuntime());
  const packed = fp32.pack(new Float32Array(6), 2, 3);
  packed.free();
  assert.throws(
    () => fp32.linear(new Float32Array(3), 1, packed),
    /^TypeError: Fp32Linear\.linear: packed was freed/,
  );
});
