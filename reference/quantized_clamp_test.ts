import assert from "node:assert/strict";
import {
  ACTIVATION_FILES,
  assertGoldensPass,
  assertPlantedBugFails,
  FP32_FILES,
  nextFloat32Up,
} from "../conformance/testing/planted_references.ts";
import {
  clampCodes,
  floatClamp,
  floatHardtanh,
  quantizedClamp,
  quantizedHardtanh,
} from "./quantized_clamp.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

Deno.test("quantized clamp, hardtanh: every golden case passes bit for bit (qnnpack, onednn)", () => {
  assertGoldensPass("quantized_clamp", ACTIVATION_FILES, 80);
  assertGoldensPass("quantized_hardtanh", ACTIVATION_FILES, 80);
});

Deno.test("quantized clamp, hardtanh: bounds one ulp lower fail the goldens (half-code ties)", () => {
  const down = (v: number) => -nextFloat32Up(-v);
  assertPlantedBugFails("quantized_clamp", ACTIVATION_FILES, {
    quantizedClamp: (x, o) => quantizedClamp(x, { ...o, min: down(o.min), max: down(o.max) }),
  });
  assertPlantedBugFails("quantized_hardtanh", ACTIVATION_FILES, {
    quantizedHardtanh: (x, o) =>
      quantizedHardtanh(x, { ...o, minVal: down(o.minVal), maxVal: down(o.maxVal) }),
  });
});

Deno.test("clamp, hardtanh (fp32): every golden case passes; a one-ulp bound fails", () => {
  assertGoldensPass("clamp", FP32_FILES, 20);
  assertGoldensPass("hardtanh", FP32_FILES, 20);
  assertPlantedBugFails("clamp", FP32_FILES, {
    floatClamp: (x, b) => floatClamp(x, { ...b, min: nextFloat32Up(b.min) }),
  });
  assertPlantedBugFails("hardtanh", FP32_FILES, {
    floatHardtanh: (x, b) => floatHardtanh(x, { ...b, maxVal: nextFloat32Up(b.maxVal) }),
  });
});

function quint8(codes: number[], shape = [codes.length]): QuantizedTensor {
  return new QuantizedTensor(new Uint8Array(codes), shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale: 0.1,
    zeroPoint: 128,
  });
}

Deno.test("quantized clamp: crossed bounds give max's code on x86, fail under QNNPACK", () => {
  const x = quint8([0, 100, 200, 255]);
  const y = quantizedClamp(x, { engine: "onednn", min: 1, max: -1 });
  assert.deepEqual([...y.intRepr], [118, 118, 118, 118]);
  assert.deepEqual(y.qparams, x.qparams);
  assert.throws(
    () => quantizedClamp(x, { engine: "qnnpack", min: 1, max: -1 }),
    /min: its code 138 exceeds the code 118 of max/,
  );
  assert.throws(
    () => quantizedHardtanh(x, { engine: "qnnpack", minVal: 1, maxVal: -1 }),
    /minVal: its code 138/,
  );
  // qint8 under qnnpack runs ATen's kernel, which accepts crossed bounds.
  const q8 = new QuantizedTensor(new Int8Array([-5, 5]), [2], "qint8", {
    qscheme: "per_tensor_affine",
    scale: 0.1,
    zeroPoint: 0,
  });
  assert.deepEqual([...quantizedClamp(q8, { engine: "qnnpack", min: 1, max: -1 }).intRepr], [
    -10,
    -10,
  ]);
});

Deno.test("quantized clamp: QNNPACK's shape failures and bounds beyond float are refused", () => {
  const scalar = quint8([7], []);
  assert.throws(() => quantizedClamp(scalar, { engine: "qnnpack", min: -1, max: 1 }), /0-dim/);
  assert.equal(quantizedClamp(scalar, { engine: "onednn", min: -1, max: 1 }).intRepr[0], 118);
  const emptyRows = quint8([], [2, 0]);
  assert.throws(() => quantizedClamp(emptyRows, { engine: "qnnpack", min: -1, max: 1 }), /row/);
  assert.equal(quantizedClamp(quint8([], [0, 3]), { engine: "qnnpack", min: -1, max: 1 }).size, 0);
  assert.throws(
    () => quantizedClamp(quint8([1]), { engine: "onednn", min: -4e38, max: 1 }),
    /min:/,
  );
  assert.throws(
    () => quantizedHardtanh(quint8([1]), { engine: "onednn", minVal: -1, maxVal: 4e38 }),
    /maxVal: 4e\+38/,
  );
  assert.throws(() => floatHardtanh(Tensor.from([1]), { minVal: -4e38, maxVal: 1 }), /minVal/);
  assert.throws(
    () => quantizedClamp(quint8([1]), { engine: "tpu" as "x86", min: 0, max: 1 }),
    /engine/,
  );
});

Deno.test("quantized clamp: bounds past int64 become the lowest code (x86 quantize_val)", () => {
  // clamp(x, -1e30, 1e30) is all zeros on x86-64 PyTorch (a golden case records it too).
  const y = quantizedClamp(quint8([0, 128, 255]), { engine: "onednn", min: -1e30, max: 1e30 });
  assert.deepEqual([...y.intRepr], [0, 0, 0]);
  const z = quantizedClamp(quint8([0, 128, 255]), { engine: "onednn", min: -Infinity, max: 1 });
  assert.deepEqual([...z.intRepr], [0, 128, 138]);
});

Deno.test("clampCodes: the codes a clamp kernel clamps to, checked", () => {
  const qp = { scale: 0.1, zeroPoint: 128 };
  assert.deepEqual(clampCodes(qp, { min: -1, max: 1 }), [118, 138]);
  assert.deepEqual(clampCodes({ scale: 0.1, zeroPoint: 0 }, { min: -1, max: 1, dtype: "qint8" }), [
    -10,
    10,
  ]);
  assert.deepEqual(clampCodes(qp, { min: -1e30, max: 1e30 }), [0, 0]);
  assert.throws(() => clampCodes({ scale: 0.1, zeroPoint: -1 }, { min: 0, max: 1 }), /zero point/);
  assert.throws(() => clampCodes(qp, { min: 0, max: 5e38 }), /max: 5e\+38/);
});
