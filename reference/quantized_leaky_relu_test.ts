import assert from "node:assert/strict";
import {
  ACTIVATION_FILES,
  checkGoldens,
  FP32_FILES,
  nextFloat32Up,
  REFERENCES,
} from "./_new_op_handlers.ts";
import { floatLeakyRelu, quantizedLeakyRelu } from "./quantized_leaky_relu.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

const OP = "quantized_leaky_relu";

Deno.test(`${OP}: every golden case passes bit for bit (qnnpack, onednn)`, () => {
  const { checked, failures } = checkGoldens(OP, ACTIVATION_FILES);
  assert.ok(checked >= 100, `only ${checked} cases`);
  assert.deepEqual(failures, []);
});

Deno.test(`${OP}: a one-ulp larger output scale, or no vector lanes, fails the goldens`, () => {
  const ulp = checkGoldens(OP, ACTIVATION_FILES, {
    ...REFERENCES,
    quantizedLeakyRelu: (x, o) =>
      quantizedLeakyRelu(x, { ...o, outputScale: nextFloat32Up(o.outputScale) }),
  });
  assert.ok(ulp.failures.length > 0);
  const scalarOnly = checkGoldens(OP, ACTIVATION_FILES, {
    ...REFERENCES,
    quantizedLeakyRelu: (x, o) => quantizedLeakyRelu(x, { ...o, vectorBlock: 0 }),
  });
  assert.ok(scalarOnly.failures.length > 0);
});

Deno.test("leaky_relu (fp32): every golden case passes; a one-ulp slope fails", () => {
  const { checked, failures } = checkGoldens("leaky_relu", FP32_FILES);
  assert.ok(checked >= 20, `only ${checked} cases`);
  assert.deepEqual(failures, []);
  const planted = checkGoldens("leaky_relu", FP32_FILES, {
    ...REFERENCES,
    floatLeakyRelu: (x, slope) => floatLeakyRelu(x, nextFloat32Up(slope)),
  });
  assert.ok(planted.failures.length > 0);
});

Deno.test(`${OP}: bad arguments are refused with the argument's name`, () => {
  const x = new QuantizedTensor(new Uint8Array([0, 128, 255]), [3], "quint8", {
    qscheme: "per_tensor_affine",
    scale: 0.1,
    zeroPoint: 128,
  });
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
  const x = new QuantizedTensor(
    new Uint8Array(90).map((_, i) => [0, 128, 255][i % 3]),
    [90],
    "quint8",
    {
      qscheme: "per_tensor_affine",
      scale: 0.1,
      zeroPoint: 128,
    },
  );
  const run = (zp: number) =>
    quantizedLeakyRelu(x, { negativeSlope: Infinity, outputScale: 0.1, outputZeroPoint: zp })
      .intRepr;
  assert.deepEqual([...run(3).slice(0, 3)], [0, 255, 130]);
  assert.deepEqual([...run(3).slice(87)], [0, 0, 130]);
  assert.deepEqual([...run(200).slice(0, 3)], [0, 0, 255]);
});
