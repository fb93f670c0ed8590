import assert from "node:assert/strict";
import { OnnxruntimeWeb } from "./mod.ts";
import { ProtoWriter } from "./protobuf.ts";
import { referenceOnnxOps } from "../onnx_ops.ts";
import { onnxEngineProperties } from "../../conformance/properties/onnx_engine.ts";
import { runProperty } from "../../conformance/properties/property.ts";

Deno.test("protobuf varints: negative int64 takes ten bytes, as protobuf encodes it", () => {
  assert.deepEqual([...new ProtoWriter().int(1, 300).finish()], [8, 0xac, 0x02]);
  const negative = new ProtoWriter().int(1, -1).finish();
  assert.equal(negative.length, 11);
  assert.equal(negative[10], 0x01);
});

Deno.test("onnxruntime-web runs the one-node models built at run time and meets the onnx properties", async () => {
  const ort = await OnnxruntimeWeb.create();
  assert.equal(ort.numerics, "onnx");
  for (const check of onnxEngineProperties(ort)) {
    const outcome = await runProperty(check, { seed: 7, runs: 10 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
  // An input the engine cannot take is an error, not a silent answer.
  await assert.rejects(() =>
    ort.quantizeLinear({ data: new Float32Array(2), shape: [3] }, { scale: 1, type: "uint8" })
  );
  assert.equal(referenceOnnxOps.numerics, "onnx");
});
