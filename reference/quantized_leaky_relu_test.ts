import assert from "node:assert/strict";
import {
  ACTIVATION_FILES,
  assertGoldensPass,
  assertPlantedBugFails,
  FP32_FILES,
  nextFloat32Up,
} from "../conformance/testing/planted_references.ts";
import { floatLeakyRelu, quantizedLeakyRelu } from "./quantized_leaky_relu.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

const OP = "quantized_leaky_relu";

Deno.test(`${OP}: every golden case passes bit for bit (qnnpack, onednn)`, () => {
  assertGoldensPass(OP, ACTIVATION_FILES, 100);
});

Deno.test(`${OP}: a one-ulp larger output scale, or no vector lanes, fails the goldens`, () => {
  assertPlantedBugFails(OP, ACTIVATION_FILES, {
    quantizedLeakyRelu: (x, o) =>
      quantizedLeakyRelu(x, { ...o, outputScale: nextFloat32Up(o.outputScale) }),
  });
  assertPlantedBugFails(OP, ACTIVATION_FILES, {
    quantizedLeakyRelu: (x, o) => quantizedLeakyRelu(x, { ...o, vectorBlock: 0 }),
  });
});

Deno.test("leaky_relu (fp32): every golden case passes; a one-ulp slope fails", () => {
  assertGoldensPass("leaky_relu", FP32_FILES, 20);
  assertPlantedBugFails("leaky_relu", FP32_FILES, {
    floatLeakyRelu: (x, slope) => floatLeakyRelu(x, nextFloat32Up(slope)),
  });
});

function quint8(codes: ArrayLike<number>): QuantizedTensor {
  return new QuantizedTensor(Uint8Array.from(codes), [codes.length], "quint8", {
    qscheme: "per_tensor_affine",
    scale: 0.1,
    zeroPoint: 128,
  });
}

Deno.test(`${OP}: bad arguments are refused with the argument's name`, () => {
  const x = quint8([0, 128, 255]);
  const ok = { negativeSlope: 0.01, outputScale: 0.1, outputZeroPoint: 3 };
  assert.throws(
    () => quantizedLeakyRelu(x, { ...ok, negativeSlope: 1e39 }),
    /negativeSlope: 1e\+39/,
  );
  assert.throws(() => quantizedLeakyRelu(x, { ...ok, outputScale: 0 }), /outputScale/);
  assert.throws(() => quantizedLeakyRelu(x, { ...ok, outputZeroPoint: 256 }), /outputZeroPoint/);
  assert.throws(() => quantizedLeakyRelu(x, { ...ok, vectorBlock: -1 }), /vectorBlock/);
  const q32 = new QuantizedTensor(new Int32Array(3), [3], "qint32", x.qparams);
  assert.throws(() => quantizedLeakyRelu(q32, ok), /x: must be quint8 or qint8, got qint32/);
  assert.throws(() => floatLeakyRelu(Tensor.from([1]), -1e39), /negativeSlope/);
});

Deno.test(`${OP}: an infinite slope gives PyTorch's codes (NaN at the zero point)`, () => {
  // Recorded from PyTorch 1.13 here by hand: a golden file cannot hold an infinite attribute.
  // x = [0, 128, 255] (scale 0.1, zero point 128) repeated 30 times: the first 64 elements are
  // vector lanes (NaN → 2147483520, plus the zero point in wrapping int32), the rest scalar
  // (NaN → INT64_MIN → qmin).
  const x = quint8(Array.from({ length: 90 }, (_, i) => [0, 128, 255][i % 3]));
  const run = (zp: number) =>
    quantizedLeakyRelu(x, { negativeSlope: Infinity, outputScale: 0.1, outputZeroPoint: zp })
      .intRepr;
  assert.deepEqual([...run(3).slice(0, 3)], [0, 255, 130]);
  assert.deepEqual([...run(3).slice(87)], [0, 0, 130]);
  assert.deepEqual([...run(200).slice(0, 3)], [0, 0, 255]);
});
