import assert from "node:assert/strict";
import { conformOnnxEngine, pytorchDifferences } from "./peer.ts";
import { type OnnxOps, referenceOnnxOps } from "../peers/onnx_ops.ts";
import { onnxEngineProperties } from "./properties/onnx_engine.ts";
import { propertyFails } from "./properties/property.ts";
import { f32, reciprocalF32, roundHalfEven } from "../reference/float32.ts";
import { int8Range, qLinearAdd, qLinearConv, quantizeLinear } from "../reference/onnx/mod.ts";

const ONNX_GOLDEN = new URL("../golden/onnx", import.meta.url).pathname;

/** The reference with one wrong element in every QLinearConv output (a planted bug). */
const oneWrongElement: OnnxOps = {
  ...referenceOnnxOps,
  name: "planted",
  qLinearConv(x, w, args) {
    const y = qLinearConv(x, w, args);
    const data = y.data.slice();
    data[data.length >> 1] ^= 1;
    return { data, shape: y.shape };
  },
};

Deno.test("the onnx goldens pass on the reference and catch one wrong element, naming it", async () => {
  const ok = await conformOnnxEngine(referenceOnnxOps, [ONNX_GOLDEN]);
  assert.ok(ok.length > 300);
  assert.deepEqual(ok.filter((r) => r.status !== "pass"), []);
  const bad = await conformOnnxEngine(oneWrongElement, [ONNX_GOLDEN]);
  const failed = bad.filter((r) => r.status === "fail");
  assert.equal(failed.length, bad.filter((r) => r.op === "onnx.QLinearConv").length);
  assert.match(
    failed[0].reason!,
    /1 of \d+ elements differ; first at index \d+ .*expected \d+, got \d+/,
  );
});

Deno.test("the onnx properties fail for PyTorch's reciprocal multiply and for rounding before the zero point", async () => {
  const reciprocal: OnnxOps = {
    ...referenceOnnxOps,
    quantizeLinear(x, args) {
      const s = args.scale as number;
      const { min, max } = int8Range(args.type);
      const y = quantizeLinear(x, args);
      x.data.forEach((v, i) => {
        if (Number.isFinite(v)) {
          y[i] = Math.min(
            max,
            Math.max(
              min,
              roundHalfEven(f32(v * reciprocalF32(s))) + (args.zeroPoint as number ?? 0),
            ),
          );
        }
      });
      return y;
    },
  };
  const roundFirst: OnnxOps = {
    ...referenceOnnxOps,
    qLinearAdd(a, b, args) {
      const c = qLinearAdd(a, b, args);
      // ONNX's formula read literally: round, then add the zero point (ties differ).
      const { min, max } = int8Range(c.data instanceof Int8Array ? "int8" : "uint8");
      const zc = args.cZeroPoint ?? 0;
      const data = c.data.slice();
      for (let i = 0; i < data.length; i++) {
        const va = f32(f32(args.aScale) * (a.data[i % a.data.length] - (args.aZeroPoint ?? 0)));
        const vb = f32(f32(args.bScale) * (b.data[i % b.data.length] - (args.bZeroPoint ?? 0)));
        data[i] = Math.min(
          max,
          Math.max(min, roundHalfEven(f32(f32(va + vb) / f32(args.cScale))) + zc),
        );
      }
      return { data, shape: c.shape };
    },
  };
  const check = (ops: OnnxOps, op: string) => onnxEngineProperties(ops).find((c) => c.op === op)!;
  assert.equal(await propertyFails(check(referenceOnnxOps, "onnx.QuantizeLinear"), 50), false);
  assert.equal(await propertyFails(check(reciprocal, "onnx.QuantizeLinear"), 200), true);
  assert.equal(await propertyFails(check(roundFirst, "com.microsoft.QLinearAdd"), 500), true);
});

Deno.test("test_dynamicquantizelinear: x = -2.5 gives 26 by division, PyTorch's reciprocal multiply 25", async () => {
  const rows = await pytorchDifferences(referenceOnnxOps, [
    new URL("../golden/quantize.json", import.meta.url).pathname,
  ]);
  const q = rows.find((r) => r.op === "quantize_per_tensor")!;
  assert.ok(q.elementsDiffering > 0 && q.maxAbsDifference === 1, JSON.stringify(q));
  const scale = f32(f32(2 - -3) / 255);
  const zp = roundHalfEven(f32(0 - f32(-3 / scale)));
  assert.equal(zp, 153);
  assert.equal(
    quantizeLinear({ data: Float32Array.of(-2.5), shape: [1] }, {
      scale,
      zeroPoint: zp,
      type: "uint8",
    })[0],
    26,
  );
  assert.equal(roundHalfEven(f32(-2.5 * reciprocalF32(scale))) + zp, 25);
});
