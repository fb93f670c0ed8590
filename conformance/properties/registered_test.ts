import assert from "node:assert/strict";
import { registeredKernelProperties } from "./registered.ts";
import { propertyFails } from "./property.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { WasmKernelSet } from "../../kernels/wasm_kernel_set.ts";
import type { Numerics } from "../../reference/engine.ts";
import { type KernelMutation, mutationRewrite, OPS_MUTATIONS } from "./mutations.ts";

function kernelSet(numerics: Numerics, mutation?: KernelMutation): WasmKernelSet {
  const runtime = new KernelRuntime(undefined, {
    rewrite: mutation === undefined ? undefined : mutationRewrite(mutation),
  });
  return new WasmKernelSet(runtime, {
    name: `${numerics}${mutation ? ` (${mutation.name})` : ""}`,
    numerics,
    variant: numerics === "fbgemm" ? "dot16sat" : "dot16",
    mr: 2,
    relaxed: false,
    description: "test",
  });
}

function property(numerics: Numerics, prefix: string, mutation?: KernelMutation) {
  const found = registeredKernelProperties(kernelSet(numerics, mutation)).find((p) =>
    p.name.startsWith(prefix)
  );
  assert.ok(found, `no property named ${prefix}…`);
  return found;
}

for (const numerics of ["fbgemm", "qnnpack"] as const) {
  Deno.test(`registered kernel properties pass on the ${numerics} kernels (a few runs)`, async () => {
    for (const check of registeredKernelProperties(kernelSet(numerics))) {
      assert.ok(!(await propertyFails(check, 20)), check.name);
    }
  });

  for (const mutation of OPS_MUTATIONS) {
    // QNNPACK's add runs only on the qnnpack paths, ATen's only on the x86 ones.
    const onlyOn = /aten/.test(mutation.fn.source)
      ? "fbgemm"
      : /qnnpack/.test(mutation.fn.source)
      ? "qnnpack"
      : numerics;
    if (onlyOn !== numerics) continue;
    Deno.test(`the ${numerics} kernel properties catch the planted slip "${mutation.name}"`, async () => {
      for (const prefix of mutation.caughtBy) {
        assert.ok(
          await propertyFails(property(numerics, prefix, mutation)),
          `${prefix}… did not notice "${mutation.name}"`,
        );
      }
    });
  }
}

Deno.test("a planted slip leaves the other op properties passing (it is local)", async () => {
  const addSlip = OPS_MUTATIONS.find((m) =>
    m.name === "qnnpack add shifts negative sums as unsigned"
  )!;
  assert.ok(!(await propertyFails(property("qnnpack", "quantized_mul ", addSlip), 20)));
  const lutSlip = OPS_MUTATIONS.find((m) => m.fn.source === "^lut$")!;
  assert.ok(!(await propertyFails(property("fbgemm", "quantized_cat", lutSlip), 20)));
});
