import assert from "node:assert/strict";
import { OnnxruntimeWeb } from "./mod.ts";
import { ProtoWriter } from "./protobuf.ts";
import { checkKernelModule } from "../../ops/kernel_module.ts";
import { ONNX_OPS } from "../../ops/onnx.ts";
import { kernelModuleProperties } from "../../conformance/properties/kernel_module.ts";
import { runProperty } from "../../conformance/properties/property.ts";

Deno.test("protobuf varints: negative int64 takes ten bytes, as protobuf encodes it", () => {
  assert.deepEqual([...new ProtoWriter().int(1, 300).finish()], [8, 0xac, 0x02]);
  const negative = new ProtoWriter().int(1, -1).finish();
  assert.equal(negative.length, 11);
  assert.equal(negative[10], 0x01);
});

Deno.test("onnxruntime-web is a kernel module of every onnx op and meets their properties", async () => {
  const ort = await OnnxruntimeWeb.create();
  const module = checkKernelModule(ort.kernelModule(), "onnxruntime-web");
  assert.equal(module.numerics, "onnx");
  assert.deepEqual(Object.keys(module.ops).sort(), ONNX_OPS.map((op) => op.name).sort());
  const { checks, withoutGenerator } = kernelModuleProperties(module);
  assert.deepEqual(withoutGenerator, []);
  assert.equal(checks.length, ONNX_OPS.length);
  for (const check of checks) {
    const outcome = await runProperty(check, { seed: 7, runs: 10 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
  // An input the engine cannot take is an error, not a silent answer.
  await assert.rejects(() =>
    ort.quantizeLinear({ x: { data: new Float32Array(2), shape: [3] }, scale: 1, type: "uint8" })
  );
});
