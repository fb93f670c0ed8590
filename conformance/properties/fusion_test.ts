import assert from "node:assert/strict";
import { propertyFails, runProperty } from "./property.ts";
import { type FusionImpl, fusionProperties, REFERENCE_FUSION } from "./fusion.ts";
import { Tensor } from "../../reference/tensor.ts";

Deno.test("fusion properties pass on the reference", async () => {
  for (const check of fusionProperties()) {
    const outcome = await runProperty(check, { seed: 3, runs: 200 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

async function failingProperties(impl: FusionImpl): Promise<string[]> {
  const failing: string[] = [];
  for (const check of fusionProperties(impl, "broken")) {
    if (await propertyFails(check)) failing.push(check.name);
  }
  return failing;
}

Deno.test("fusion properties catch a fold that forgets eps", async () => {
  const broken: FusionImpl = {
    ...REFERENCE_FUSION,
    fuseConvBnWeights: (w, b, o) => REFERENCE_FUSION.fuseConvBnWeights(w, b, { ...o, bnEps: 0 }),
    fuseLinearBnWeights: (w, b, o) =>
      REFERENCE_FUSION.fuseLinearBnWeights(w, b, { ...o, bnEps: 0 }),
  };
  assert.equal((await failingProperties(broken)).length, 2);
});

Deno.test("fusion properties catch a transposed conv scaled along dim 0", async () => {
  const broken: FusionImpl = {
    ...REFERENCE_FUSION,
    fuseConvBnWeights: (w, b, o) => {
      if (!o.transpose || w.shape[0] !== w.shape[1]) {
        return REFERENCE_FUSION.fuseConvBnWeights(w, b, o);
      }
      return REFERENCE_FUSION.fuseConvBnWeights(w, b, { ...o, transpose: false });
    },
  };
  assert.deepEqual(await failingProperties(broken), [fusionProperties()[0].name]);
});

Deno.test("fusion properties catch a bias folded without the running mean", async () => {
  const broken: FusionImpl = {
    ...REFERENCE_FUSION,
    fuseLinearBnWeights: (w, b, o) =>
      REFERENCE_FUSION.fuseLinearBnWeights(w, b, {
        ...o,
        bnRm: new Tensor(new Float32Array(o.bnRm.size)),
      }),
  };
  assert.deepEqual(await failingProperties(broken), [fusionProperties()[1].name]);
});
