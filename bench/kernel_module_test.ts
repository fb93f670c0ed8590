import assert from "node:assert/strict";
import { moduleBenchItem } from "./kernel_module.ts";
import example from "../examples/kernel_module/mod.ts";
import { Fp32Ops } from "../kernels/fp32_ops.ts";
import { kernelSets } from "../kernels/paths.ts";
import { defaultRuntime } from "../kernels/runtime.ts";
import { referenceKernelModule } from "../ops/kernel_module.ts";
import { add } from "../ops/elementwise.ts";
import { qLinearConv } from "../ops/onnx.ts";
import type { BinaryArgs } from "../ops/binary.ts";

const runtime = defaultRuntime();
const sets = kernelSets(undefined, { runtime });
const fp32 = new Fp32Ops(runtime);

Deno.test("bench --kernels: an op item times fp32, our paths that run it and the module, each checked", async () => {
  const item = await moduleBenchItem(add, example, sets, fp32);
  assert.ok(typeof item !== "string");
  const names = item.variants.map((v) => v.variant);
  assert.equal(names[0], "fp32");
  assert.equal(names.at(-1), "example-scalar");
  // quantized_add depends on the engine: only our QNNPACK paths run it for a qnnpack module.
  const ours = sets.filter((s) => s.numerics === "qnnpack").map((s) => s.name);
  assert.deepEqual(names.slice(1, -1), ours);
  const result = await item.variants.at(-1)!.run();
  assert.ok(result !== undefined);
});

Deno.test("bench --kernels: a module that differs is flagged; an op without a bench input is named", async () => {
  const base = referenceKernelModule("qnnpack", [add]);
  const wrong = {
    ...base,
    name: "wrong",
    ops: {
      [add.name]: (args: BinaryArgs) => {
        const y = base.ops[add.name](args);
        y.intRepr[0] ^= 1;
        return y;
      },
    },
  };
  const logged: string[] = [];
  const log = console.log;
  console.log = (line: string) => logged.push(line);
  try {
    await moduleBenchItem(add, wrong, sets, fp32);
  } finally {
    console.log = log;
  }
  assert.match(
    logged.join("\n"),
    /wrong DIFFERS from the reference \(y: 1 of \d+ elements differ; first at index 0/,
  );
  const none = await moduleBenchItem(
    qLinearConv,
    referenceKernelModule("onnx", [qLinearConv]),
    sets,
    fp32,
  );
  assert.equal(none, "onnx.QLinearConv: not timed (the bench has no item for the onnx family)");
});
