import assert from "node:assert/strict";
import { kernelCatalog } from "./catalog.ts";
import { hasRelaxedSimd } from "./features.ts";
import { kernelSets } from "./paths.ts";
import { KernelRuntime } from "./runtime.ts";
import { wasmFeatures } from "./features.ts";

Deno.test("every generated module of the catalog passes WebAssembly.validate", () => {
  const relaxed = hasRelaxedSimd();
  let validated = 0;
  for (const entry of kernelCatalog()) {
    if (entry.relaxed && !relaxed) continue;
    const bytes = entry.build().toBytes();
    assert.ok(WebAssembly.validate(bytes as BufferSource), `${entry.name} does not validate`);
    validated++;
  }
  assert.ok(validated >= 60, `only ${validated} modules validated`);
});

Deno.test("without SIMD128 every kernel set falls back to the reference and says so", () => {
  const runtime = new KernelRuntime({
    ...wasmFeatures(),
    simd128: false,
    relaxedSimd: false,
    relaxedDot: null,
  });
  const sets = kernelSets(undefined, { runtime });
  assert.deepEqual(sets.map((s) => s.name), ["x86", "x86-vnni", "x86-onednn", "arm"]);
  for (const s of sets) assert.match(s.description, /no SIMD128/);
});
