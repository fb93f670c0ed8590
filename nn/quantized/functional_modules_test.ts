import assert from "node:assert/strict";
import { bestKernelSet } from "../../kernels/paths.ts";
import { Tensor } from "../../reference/tensor.ts";
import { QuantizedOps } from "./ops.ts";
import { QFunctional } from "./functional_modules.ts";
import { Identity } from "../modules/container.ts";
import type { QTensor } from "./qtensor.ts";

Deno.test("QFunctional: add, add_relu, mul and cat run activation_post_process (hooks fire)", () => {
  const ops = new QuantizedOps(bestKernelSet("qnnpack"));
  const f = new QFunctional(0.05, 10);
  const seen: string[] = [];
  f.getSubmodule("activation_post_process").registerForwardHook((_m, _in, out) => {
    seen.push(`${(out as QTensor).shape}`);
  });
  const a = ops.quantize(Tensor.from([0.1, 0.2, -0.3, 0.4]), { scale: 0.02, zeroPoint: 100 });
  const b = ops.quantize(Tensor.from([0.5, -0.1, 0.3, 0.0]), { scale: 0.03, zeroPoint: 90 });
  f.add(a, b);
  f.addRelu(a, b);
  f.mul(a, b);
  f.cat([a, b], 0);
  assert.deepEqual(seen, ["4", "4", "4", "8"]);
  // The scalar ops are not observed, as in PyTorch.
  f.addScalar(a, 0.5);
  f.mulScalar(a, 2);
  assert.equal(seen.length, 4);
});

Deno.test("QFunctional: a replaced activation_post_process is the one that runs", () => {
  const ops = new QuantizedOps(bestKernelSet("qnnpack"));
  const f = new QFunctional(0.05, 10);
  const a = ops.quantize(Tensor.from([0.1, 0.2]), { scale: 0.02, zeroPoint: 100 });
  f.add(a, a);
  let calls = 0;
  const replacement = new Identity();
  replacement.registerForwardHook(() => void calls++);
  f.registerModule("activation_post_process", replacement);
  f.add(a, a);
  f.setSubmodule("activation_post_process", new Identity());
  f.add(a, a);
  assert.equal(calls, 1);
  f.deleteModule("activation_post_process");
  assert.throws(() => f.add(a, a), /activation_post_process/);
});
