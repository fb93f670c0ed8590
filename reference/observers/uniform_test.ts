import assert from "node:assert/strict";
import {
  calculateQMinQMax,
  calculateQParamsFromMinMax,
  zeroPointIsBuildDependent,
} from "./uniform.ts";

const rule = {
  dtype: "quint8" as const,
  qscheme: "per_tensor_affine" as const,
  quantMin: 0,
  quantMax: 255,
  eps: 2 ** -23,
  hasCustomizedQRange: false,
};

Deno.test("calculateQParamsFromMinMax: scalar and per-channel inputs", () => {
  assert.deepEqual(
    [...calculateQParamsFromMinMax(-1, 2, rule).zeroPoint],
    [85],
  );
  const r = calculateQParamsFromMinMax(Float32Array.of(-1, 0), Float32Array.of(2, 0), rule);
  assert.deepEqual([...r.zeroPoint], [85, 0]);
  assert.equal(r.scale[1], 2 ** -23);
  assert.equal(
    calculateQParamsFromMinMax(new Float32Array(0), new Float32Array(0), rule).scale[0],
    1,
  );
  assert.throws(
    () => calculateQParamsFromMinMax(2, 1, rule),
    /min 2 should be less than or equal to max 1/,
  );
  assert.throws(
    () => calculateQParamsFromMinMax(Float32Array.of(0, 3), Float32Array.of(1, 1), rule),
    /channel 1/,
  );
});

Deno.test("calculateQParamsFromMinMax: the zero point is clamped to the range", () => {
  // A positive range with an eps-floored scale: qmin - round(0 / s) = 0.
  assert.equal(calculateQParamsFromMinMax(5, 6, rule).zeroPoint[0], 0);
  assert.equal(calculateQParamsFromMinMax(-6, -5, rule).zeroPoint[0], 255);
});

Deno.test("calculateQMinQMax: PyTorch's table", () => {
  assert.deepEqual(calculateQMinQMax("qint8", { reduceRange: true }), {
    quantMin: -64,
    quantMax: 63,
    hasCustomizedQRange: false,
  });
  assert.deepEqual(calculateQMinQMax("quint8", { quantMin: -3, quantMax: 9, reduceRange: true }), {
    quantMin: -2,
    quantMax: 4,
    hasCustomizedQRange: true,
  });
});

Deno.test("zeroPointIsBuildDependent: only when round(min / scale) leaves int32", () => {
  assert.ok(!zeroPointIsBuildDependent(-1, 0.01));
  assert.ok(zeroPointIsBuildDependent(-1000, 2.33e-7));
});
