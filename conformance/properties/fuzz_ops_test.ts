import assert from "node:assert/strict";
import { hardswish } from "../../ops/activations.ts";
import { unaryOp } from "../../ops/unary.ts";
import { quantizedRelu } from "../../reference/quantized_activation.ts";
import type { QuantizedTensor } from "../../reference/tensor.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { opFuzzProperties } from "./fuzz_ops.ts";
import { propertyFails } from "./property.ts";

Deno.test("the op fuzz properties pass on the registered ops", async () => {
  for (const check of opFuzzProperties(kernelSets())) {
    assert.ok(!(await propertyFails(check, 100)), check.name);
  }
});

Deno.test("the op fuzz property catches an op that checks nothing", async () => {
  // A requantizing op whose reference ignores its output qparams and whose kernel is a clamp:
  // bad output qparams go through unnoticed unless the fuzz notices.
  const unchecked = {
    ...unaryOp<Record<never, number>>({
      ...hardswish.spec,
      name: "unchecked",
      reference: (x: QuantizedTensor) => quantizedRelu(x),
      clampBounds: (x) => [x.zeroPoint, 255],
    }),
    check() {},
  };
  const check = opFuzzProperties(kernelSets(), [unchecked])[0];
  assert.ok(await propertyFails(check, 300));
});
