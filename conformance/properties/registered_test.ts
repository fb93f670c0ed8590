import assert from "node:assert/strict";
import { registeredKernelProperties } from "./registered.ts";
import { propertyFails } from "./property.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { WasmKernelSet } from "../../kernels/wasm_kernel_set.ts";
import type { NumericsFamily } from "../../reference/engine.ts";
import type { OpsMutation } from "../../kernels/ops_mutation.ts";

const runtime = new KernelRuntime();

function kernelSet(numerics: NumericsFamily, opsMutation?: OpsMutation): WasmKernelSet {
  return new WasmKernelSet(runtime, {
    name: `${numerics}${opsMutation ? `-${opsMutation}` : ""}`,
    numerics,
    variant: numerics === "fbgemm" ? "dot16sat" : "dot16",
    mr: 2,
    relaxed: false,
    description: "test",
    opsMutation,
  });
}

function property(numerics: NumericsFamily, prefix: string, mutation?: OpsMutation) {
  const set = kernelSet(numerics, mutation);
  const found = registeredKernelProperties(set).find((p) => p.name.startsWith(prefix));
  assert.ok(found, `no property named ${prefix}…`);
  return found;
}

/** Which properties each planted bug must fail (property name prefixes). */
const CAUGHT_BY: Record<OpsMutation, readonly string[]> = {
  "add-rounding": ["quantized_add ", "quantized_add_relu"],
  "mul-rounding": ["quantized_mul ", "quantized_mul_relu"],
  "pool-last-tap": [
    "quantized_max_pool2d",
    "quantized_avg_pool2d",
    "quantized_adaptive_avg_pool2d",
  ],
  "lut-index": ["quantized_hardswish", "quantized_sigmoid", "quantized_tanh"],
  "clamp-bound": ["quantized_relu ", "quantized_relu6"],
  "cat-last-channel": ["quantized_cat"],
};

for (const numerics of ["fbgemm", "qnnpack"] as const) {
  Deno.test(`registered kernel properties pass on the ${numerics} kernels (a few runs)`, async () => {
    const set = kernelSet(numerics);
    for (const check of registeredKernelProperties(set)) {
      assert.ok(!(await propertyFails(check, 20)), check.name);
    }
  });

  for (const [mutation, prefixes] of Object.entries(CAUGHT_BY) as [OpsMutation, string[]][]) {
    Deno.test(`the ${numerics} registered kernel properties catch the planted bug ${mutation}`, async () => {
      for (const prefix of prefixes) {
        assert.ok(
          await propertyFails(property(numerics, prefix, mutation)),
          `${prefix}… did not notice ${mutation}`,
        );
      }
    });
  }
}

Deno.test("a planted bug leaves the other op properties passing (it is local)", async () => {
  // The rounding bug of add must not show up in mul's property, and so on: each property checks
  // its own kernel.
  assert.ok(!(await propertyFails(property("qnnpack", "quantized_mul ", "add-rounding"), 20)));
  assert.ok(!(await propertyFails(property("fbgemm", "quantized_cat", "lut-index"), 20)));
});
