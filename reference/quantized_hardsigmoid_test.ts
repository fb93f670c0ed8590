import assert from "node:assert/strict";
import {
  ACTIVATION_FILES,
  assertGoldensPass,
  assertPlantedBugFails,
  FP32_FILES,
  nextFloat32Up,
} from "../conformance/testing/planted_references.ts";
import {
  floatHardsigmoid,
  hardsigmoidOutputQParams,
  quantizedHardsigmoid,
} from "./quantized_hardsigmoid.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

const OP = "quantized_hardsigmoid";

/** `x` with its (per-tensor) scale one float32 ulp larger. */
function scaleUlpUp(x: QuantizedTensor): QuantizedTensor {
  const { zeroPoint, scale } = x.qparams as { zeroPoint: number; scale: number };
  return new QuantizedTensor(x.intRepr, x.shape, x.dtype, {
    qscheme: "per_tensor_affine",
    scale: nextFloat32Up(scale),
    zeroPoint,
  });
}

Deno.test(`${OP}: every golden case passes bit for bit (qnnpack, onednn)`, () => {
  assertGoldensPass(OP, ACTIVATION_FILES, 100);
});

Deno.test(`${OP}: a one-ulp input scale, no vector lanes, or no QNNPACK table fails`, () => {
  const planted: (typeof quantizedHardsigmoid)[] = [
    (x, o) => quantizedHardsigmoid(scaleUlpUp(x), o),
    (x, o) => quantizedHardsigmoid(x, { ...o, vectorBlock: 0 }),
    (x, o) => quantizedHardsigmoid(x, { ...o, engine: "onednn" }),
  ];
  for (const quantizedHardsigmoid of planted) {
    assertPlantedBugFails(OP, ACTIVATION_FILES, { quantizedHardsigmoid });
  }
});

Deno.test("hardsigmoid (fp32): every golden case passes; a one-ulp input fails", () => {
  assertGoldensPass("hardsigmoid", FP32_FILES, 20);
  assertPlantedBugFails("hardsigmoid", FP32_FILES, {
    floatHardsigmoid: (x) => floatHardsigmoid(new Tensor(x.data.map(nextFloat32Up), x.shape)),
  });
});

function quint8(codes: number[], shape: number[], scale: number): QuantizedTensor {
  return new QuantizedTensor(new Uint8Array(codes), shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint: 3,
  });
}

Deno.test(`${OP}: fixed output qparams; QNNPACK's refusals are errors`, () => {
  assert.deepEqual(hardsigmoidOutputQParams("quint8"), { scale: 1 / 256, zeroPoint: 0 });
  assert.deepEqual(hardsigmoidOutputQParams("qint8"), { scale: 1 / 256, zeroPoint: -128 });
  const subnormal = quint8([0, 1, 255], [3], 1e-40);
  assert.throws(
    () => quantizedHardsigmoid(subnormal, { engine: "qnnpack" }),
    /x scale: QNNPACK's hardsigmoid needs a normal float32 scale/,
  );
  assert.deepEqual([...quantizedHardsigmoid(subnormal, { engine: "onednn" }).intRepr], [
    128,
    128,
    128,
  ]);
  assert.throws(() => quantizedHardsigmoid(quint8([0], [], 0.1), { engine: "qnnpack" }), /0-dim/);
  assert.throws(
    () => quantizedHardsigmoid(quint8([], [0, 4], 0.1), { engine: "qnnpack" }),
    /first dimension \(0\) and crashes/,
  );
  assert.throws(() => quantizedHardsigmoid(quint8([], [2, 0], 0.1), { engine: "qnnpack" }), /row/);
  assert.equal(quantizedHardsigmoid(quint8([], [2, 0], 0.1), { engine: "onednn" }).size, 0);
  assert.throws(
    () => quantizedHardsigmoid(quint8([1], [1], 0.1), { engine: "onednn", vectorBlock: -64 }),
    /vectorBlock/,
  );
});
