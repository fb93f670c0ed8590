import assert from "node:assert/strict";
import {
  assertGoldensPass,
  assertPlantedBugFails,
  BATCH_NORM_FILES,
  FP32_FILES,
  nextFloat32Up,
} from "../conformance/testing/planted_references.ts";
import {
  batchNormVectorChannels,
  floatBatchNorm2d,
  quantizedBatchNorm2d,
} from "./quantized_batch_norm.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

const OP = "quantized_batch_norm2d";

Deno.test(`${OP}: every golden case passes bit for bit (qnnpack, onednn)`, () => {
  assertGoldensPass(OP, BATCH_NORM_FILES, 150);
});

Deno.test(`${OP}: a one-ulp larger output scale, or every channel scalar, fails`, () => {
  assertPlantedBugFails(OP, BATCH_NORM_FILES, {
    quantizedBatchNorm2d: (x, o) =>
      quantizedBatchNorm2d(x, { ...o, outputScale: nextFloat32Up(o.outputScale) }),
  });
  assertPlantedBugFails(OP, BATCH_NORM_FILES, {
    quantizedBatchNorm2d: (x, o) => quantizedBatchNorm2d(x, { ...o, vectorBlock: 0 }),
  });
});

Deno.test("batch_norm2d (fp32): every golden case passes; a one-ulp eps fails", () => {
  assertGoldensPass("batch_norm2d", FP32_FILES, 20);
  assertPlantedBugFails("batch_norm2d", FP32_FILES, {
    floatBatchNorm2d: (x, p) => floatBatchNorm2d(x, { ...p, eps: nextFloat32Up(p.eps) }),
  });
});

Deno.test(`${OP}: the channels of each path (AVX2 32 + 8, AVX-512 64, none)`, () => {
  const avx2 = [1, 7, 8, 15, 31, 32, 39, 40, 47, 70].map((c) => batchNormVectorChannels(c));
  assert.deepEqual(avx2, [0, 0, 8, 8, 24, 32, 32, 40, 40, 64]);
  assert.deepEqual([63, 64, 130].map((c) => batchNormVectorChannels(c, 128)), [0, 64, 128]);
  assert.equal(batchNormVectorChannels(70, 0), 0);
  assert.throws(() => batchNormVectorChannels(8, 32), /vectorBlock: must be 64/);
});

const params = (c: number) => ({
  weight: new Float32Array(c).fill(1),
  bias: new Float32Array(c),
  mean: new Float32Array(c),
  var: new Float32Array(c).fill(1),
  eps: 1e-5,
  outputScale: 0.1,
  outputZeroPoint: 3,
});

function quint8(shape: number[]): QuantizedTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new QuantizedTensor(new Uint8Array(size).fill(7), shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale: 0.05,
    zeroPoint: 2,
  });
}

Deno.test(`${OP}: bad arguments are refused with the argument's name`, () => {
  const x = quint8([1, 2, 2, 2]);
  assert.throws(() => quantizedBatchNorm2d(quint8([2, 2, 2]), params(2)), /x: expected a 4-d/);
  assert.throws(() => quantizedBatchNorm2d(x, params(3)), /weight: expected 2 values, got 3/);
  assert.throws(
    () => quantizedBatchNorm2d(x, { ...params(2), var: [1, 1] as unknown as Float32Array }),
    /var: expected a Float32Array/,
  );
  for (const eps of [-1e-5, NaN, Infinity]) {
    assert.throws(() => quantizedBatchNorm2d(x, { ...params(2), eps }), /eps: must be a finite/);
  }
  assert.throws(() => quantizedBatchNorm2d(x, { ...params(2), outputScale: -1 }), /outputScale/);
  assert.throws(
    () => quantizedBatchNorm2d(x, { ...params(2), outputZeroPoint: -1 }),
    /outputZeroPoint/,
  );
  assert.throws(() => quantizedBatchNorm2d(x, { ...params(2), vectorBlock: 16 }), /vectorBlock/);
  assert.throws(() => floatBatchNorm2d(Tensor.from([1, 2]), params(2)), /x: expected a 4-d/);
});

Deno.test(`${OP}: an empty input comes back with its own qparams, as in PyTorch`, () => {
  const x = quint8([0, 2, 3, 3]);
  const y = quantizedBatchNorm2d(x, params(2));
  assert.deepEqual(y.shape, [0, 2, 3, 3]);
  assert.deepEqual(y.qparams, x.qparams);
});
