import assert from "node:assert/strict";
import {
  ACTIVATION_FILES,
  assertGoldensPass,
  assertPlantedBugFails,
  FP32_FILES,
  nextFloat32Up,
} from "../conformance/testing/planted_references.ts";
import { floatElu, quantizedElu } from "./quantized_elu.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

const OP = "quantized_elu";

Deno.test(`${OP}: every golden case passes bit for bit (qnnpack, onednn)`, () => {
  assertGoldensPass(OP, ACTIVATION_FILES, 100);
});

Deno.test(`${OP}: a one-ulp larger output scale, or no vector lanes, fails the goldens`, () => {
  assertPlantedBugFails(OP, ACTIVATION_FILES, {
    quantizedElu: (x, o) => quantizedElu(x, { ...o, outputScale: nextFloat32Up(o.outputScale) }),
  });
  assertPlantedBugFails(OP, ACTIVATION_FILES, {
    quantizedElu: (x, o) => quantizedElu(x, { ...o, vectorBlock: 0 }),
  });
});

Deno.test("elu (fp32): every golden case passes; a one-ulp alpha or no vector lanes fails", () => {
  assertGoldensPass("elu", FP32_FILES, 20);
  assertPlantedBugFails("elu", FP32_FILES, {
    floatElu: (x, o) => floatElu(x, { alpha: nextFloat32Up(o.alpha) }),
  });
  assertPlantedBugFails("elu", FP32_FILES, {
    floatElu: (x, o) => floatElu(x, { ...o, vectorBlock: 0 }),
  });
});

Deno.test(`${OP}: bad arguments are refused with the argument's name`, () => {
  const x = new QuantizedTensor(new Int8Array([-128, 0, 127]), [3], "qint8", {
    qscheme: "per_tensor_affine",
    scale: 0.1,
    zeroPoint: 0,
  });
  const ok = { alpha: 1, outputScale: 0.1, outputZeroPoint: 0 };
  assert.throws(() => quantizedElu(x, { ...ok, alpha: -1e39 }), /alpha: -1e\+39/);
  assert.throws(() => quantizedElu(x, { ...ok, outputScale: NaN }), /outputScale/);
  assert.throws(() => quantizedElu(x, { ...ok, outputZeroPoint: 128 }), /outputZeroPoint/);
  assert.throws(() => quantizedElu(x, { ...ok, vectorBlock: 1.5 }), /vectorBlock/);
  const perChannel = new QuantizedTensor(new Int8Array(3), [3], "qint8", {
    qscheme: "per_channel_affine",
    scales: new Float64Array([1, 1, 1]),
    zeroPoints: new Float64Array(3),
    axis: 0,
  });
  assert.throws(() => quantizedElu(perChannel, ok), /x: must be quantized per tensor/);
  assert.throws(() => floatElu(Tensor.from([1]), { alpha: 1e39 }), /alpha/);
});
