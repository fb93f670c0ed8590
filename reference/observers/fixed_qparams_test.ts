import assert from "node:assert/strict";
import { Tensor } from "../tensor.ts";
import {
  defaultFixedQParamsRange0to1Observer,
  defaultFixedQParamsRangeNeg1to1Observer,
  FixedQParamsObserver,
} from "./fixed_qparams.ts";

Deno.test("FixedQParamsObserver: answers its fixed qparams whatever it sees", () => {
  const o = new FixedQParamsObserver({
    scale: 0.1,
    zeroPoint: -3,
    dtype: "qint8",
    quantMin: -128,
    quantMax: 127,
  });
  const x = Tensor.from([100, -100]);
  assert.equal(o.forward(x), x);
  const { scale, zeroPoint } = o.calculateQParams();
  assert.deepEqual([[...scale], [...zeroPoint]], [[Math.fround(0.1)], [-3]]);
});

Deno.test("FixedQParamsObserver defaults: 0to1 = (1/256, 0), neg1to1 = (2/256, 128), quint8 [0, 255]", () => {
  const a = defaultFixedQParamsRange0to1Observer.create();
  const b = defaultFixedQParamsRangeNeg1to1Observer.create();
  assert.deepEqual([a.scale, a.zeroPoint, a.quantMin, a.quantMax, a.dtype], [
    1 / 256,
    0,
    0,
    255,
    "quint8",
  ]);
  assert.deepEqual([b.scale, b.zeroPoint, b.qscheme], [2 / 256, 128, "per_tensor_affine"]);
  assert.equal(defaultFixedQParamsRange0to1Observer.className, "FixedQParamsObserver");
});

Deno.test("FixedQParamsObserver: validation", () => {
  assert.throws(() => new FixedQParamsObserver({ zeroPoint: 0 } as never), /scale/);
  assert.throws(() => new FixedQParamsObserver({ scale: 1, zeroPoint: 0.5 }), /zeroPoint.*0.5/);
  assert.throws(
    () => new FixedQParamsObserver({ scale: 1, zeroPoint: 0, dtype: "int8" as never }),
    /dtype/,
  );
});
