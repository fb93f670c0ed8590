import assert from "node:assert/strict";
import { quantizedEmbeddingBag } from "../../reference/quantized_embedding.ts";
import { Tensor } from "../../reference/tensor.ts";
import { type EmbeddingBagImpl, embeddingProperties } from "./embedding.ts";
import { propertyFails, runProperty } from "./property.ts";

Deno.test("embedding properties hold on the reference", async () => {
  for (const check of embeddingProperties()) {
    const outcome = await runProperty(check, { seed: 3, runs: 100 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

Deno.test("embedding properties catch planted errors", async () => {
  // Per-sample weights that perturb the result.
  const halfWeighted: EmbeddingBagImpl = (table, indices, options = {}) => {
    const w = options.perSampleWeights;
    if (w === null || w === undefined) return quantizedEmbeddingBag(table, indices, options);
    const plain = quantizedEmbeddingBag(table, indices, { ...options, perSampleWeights: null });
    return new Tensor(plain.data.map((v) => v * 1.0000001), plain.shape);
  };
  // The last bag dropped when include_last_offset is set and the last offset equals the count.
  const dropsLast: EmbeddingBagImpl = (table, indices, options = {}) => {
    const out = quantizedEmbeddingBag(table, indices, options);
    if (!options.includeLastOffset) return out;
    return new Tensor(
      out.data.map((v, i) => (i >= out.size - table.embeddingDim ? 0 : v)),
      out.shape,
    );
  };
  const named = (impl: EmbeddingBagImpl, prefix: string) =>
    embeddingProperties(impl).find((c) => c.name.startsWith(prefix))!;
  assert.ok(await propertyFails(named(halfWeighted, "per-sample weights of 1")));
  assert.ok(await propertyFails(named(dropsLast, "include_last_offset")));
});
