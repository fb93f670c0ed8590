import assert from "node:assert/strict";
import { fp32OpsProperties } from "./fp32_ops.ts";
import { propertyFails } from "./property.ts";
import { Fp32Ops } from "../../kernels/fp32_ops.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { mutationRewrite } from "./mutations.ts";

const runtime = new KernelRuntime();

Deno.test("the fp32 op properties pass on the baseline (a few runs)", async () => {
  for (const check of fp32OpsProperties(new Fp32Ops(runtime))) {
    assert.ok(!(await propertyFails(check, 20)), check.name);
  }
});

Deno.test("the fp32 pooling property catches a max pooling that takes the minimum", async () => {
  const rewrite = mutationRewrite({
    name: "fp32 max pooling takes the minimum",
    fn: /^max_pool$/,
    from: "f32x4.max",
    to: "f32x4.min",
  });
  const broken = new Fp32Ops(new KernelRuntime(undefined, { rewrite }));
  const pooling = fp32OpsProperties(broken).find((p) => p.name.includes("pooling"));
  assert.ok(pooling !== undefined);
  assert.ok(await propertyFails(pooling));
});

Deno.test("the fp32 elementwise property catches an add_relu that turns −0 into +0", async () => {
  // −0 < 0 is false, so relu keeps −0; a max(·, +0)-style ReLU would return +0 instead.
  const broken = new Fp32Ops(runtime);
  const add = broken.add.bind(broken);
  broken.add = (a, b, relu = false) => add(a, b, false).map((v) => (relu ? Math.max(v, 0) : v));
  const elementwise = fp32OpsProperties(broken).find((p) => p.name.includes("add, mul"));
  assert.ok(elementwise !== undefined);
  assert.ok(await propertyFails(elementwise));
});
