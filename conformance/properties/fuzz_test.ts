import assert from "node:assert/strict";
import { checkedKernelSet } from "../../kernels/checked_kernel_set.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { ReferenceKernelSet } from "../../kernels/reference_kernel_set.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { WasmKernelSet } from "../../kernels/wasm_kernel_set.ts";
import { fuzzProperties } from "./fuzz.ts";
import { propertyFails } from "./property.ts";

const runtime = new KernelRuntime();
const wasm = new WasmKernelSet(runtime, {
  name: "arm",
  numerics: "qnnpack",
  variant: "dot16",
  mr: 4,
  relaxed: false,
  description: "test",
});
const reference = checkedKernelSet(new ReferenceKernelSet("arm", "qnnpack"));

/** The checked set with the boundary of `method` removed: the planted missing check. */
function withoutCheck(method: string): KernelSet {
  const checked = checkedKernelSet(wasm);
  return new Proxy(checked, {
    get(target, key) {
      if (key === method) {
        const raw = (wasm as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
        return raw.bind(wasm);
      }
      const v = (target as unknown as Record<string | symbol, unknown>)[key];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

Deno.test("the fuzz properties pass on a checked kernel set", async () => {
  for (const check of fuzzProperties(checkedKernelSet(wasm), reference)) {
    assert.ok(!(await propertyFails(check, 300)), check.name);
  }
});

for (const method of ["quantize", "linear", "binary", "pool2dNhwc", "conv2dNhwc", "lookup"]) {
  Deno.test(`the fuzz property of ${method} catches a kernel set that skips its check`, async () => {
    const check = fuzzProperties(withoutCheck(method), reference).find((c) =>
      c.op === `fuzz ${method}`
    );
    assert.ok(check, method);
    assert.ok(await propertyFails(check, 300), `${method}: a missing check went unnoticed`);
  });
}
