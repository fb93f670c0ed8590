import assert from "node:assert/strict";
import { kernelCatalog } from "../../kernels/catalog.ts";
import { hasRelaxedSimd } from "../../kernels/features.ts";
import { ModuleBuilder } from "../../kernels/wasm/mod.ts";
import { mutationRewrite, OPS_MUTATIONS } from "./mutations.ts";

Deno.test("every planted slip changes some catalog kernel, and the mutated modules validate", () => {
  const relaxed = hasRelaxedSimd();
  for (const mutation of OPS_MUTATIONS) {
    let hits = 0;
    const rewrite = mutationRewrite(mutation);
    for (const entry of kernelCatalog()) {
      if (entry.relaxed && !relaxed) continue;
      const bytes = ModuleBuilder.rewriting((site) => {
        const to = rewrite(site);
        if (to !== undefined) hits++;
        return to;
      }, entry.build).toBytes();
      assert.ok(WebAssembly.validate(bytes as BufferSource), `${entry.name} (${mutation.name})`);
    }
    assert.ok(hits > 0, `"${mutation.name}" matches no instruction of any catalog kernel`);
  }
});
