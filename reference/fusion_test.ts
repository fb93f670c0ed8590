import assert from "node:assert/strict";
import { fuseConvBnWeights, fuseLinearBnWeights } from "./fusion.ts";
import { Tensor } from "./tensor.ts";

function same(actual: ArrayLike<number>, expected: number[], what = "values"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Object.is(actual[i], expected[i]),
      `${what}[${i}]: expected ${expected[i]}, got ${actual[i]}`,
    );
  }
}

const bn = (rm: number[], rv: number[], eps = 0) => ({
  bnRm: Tensor.from(rm),
  bnRv: Tensor.from(rv),
  bnEps: eps,
});

Deno.test("conv: weights scale per output channel by γ/sqrt(var + eps), bias folds the mean", () => {
  // Weight [2 out, 1 in, 2]: channel 0 by 3/sqrt(4) = 1.5, channel 1 by 1/sqrt(0.25 + 0) = 2.
  const w = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 1, 2]);
  const { weight, bias } = fuseConvBnWeights(w, Tensor.from([5, 1]), {
    ...bn([1, 2], [4, 0.25]),
    bnW: Tensor.from([3, 1]),
    bnB: Tensor.from([0.5, -1]),
  });
  same(weight.data, [1.5, 3, 6, 8]);
  assert.deepEqual(weight.shape, [2, 1, 2]);
  // (5 - 1) * 0.5 * 3 + 0.5 = 6.5; (1 - 2) * 2 * 1 - 1 = -3.
  same(bias.data, [6.5, -3]);
});

Deno.test("conv: missing bias, BN weight and BN bias count as 0, 1, 0; eps is added to the variance", () => {
  const w = new Tensor(Float32Array.from([2, 4]), [2, 1]);
  const { weight, bias } = fuseConvBnWeights(w, null, {
    ...bn([1, -0], [3, 0], 1),
    bnW: null,
    bnB: null,
  });
  same(weight.data, [1, 4]);
  same(bias.data, [-0.5, 0]); // (0 - 1) * 1/2; (0 - -0) * 1 = +0
});

Deno.test("conv transpose: scales along dim 1", () => {
  // Weight [1 in, 2 out, 1]: out channel 0 by 1/sqrt(4), out channel 1 by 1/sqrt(1).
  const w = new Tensor(Float32Array.from([2, 2]), [1, 2, 1]);
  const fused = fuseConvBnWeights(w, null, {
    ...bn([0, 0], [4, 1]),
    bnW: null,
    bnB: null,
    transpose: true,
  });
  same(fused.weight.data, [1, 2]);
  const notTransposed = () =>
    fuseConvBnWeights(w, null, { ...bn([0, 0], [4, 1]), bnW: null, bnB: null });
  assert.throws(notTransposed, /convW: dim 0 of shape \[1,2,1\] must equal the 2 BN channels/);
});

Deno.test("linear: rows scale by γ/sqrt(var + eps)", () => {
  const w = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
  const { weight, bias } = fuseLinearBnWeights(w, null, {
    ...bn([1, 0], [4, 1]),
    bnW: Tensor.from([2, 1]),
    bnB: Tensor.from([0, 0.5]),
  });
  same(weight.data, [1, 2, 3, 4]);
  same(bias.data, [-1, 0.5]);
});

Deno.test("fusion argument errors name the argument", () => {
  const w = new Tensor(Float32Array.from([1, 2]), [2, 1]);
  const stats = bn([0, 0], [1, 1]);
  assert.throws(
    () => fuseConvBnWeights(w, Tensor.from([1]), { ...stats, bnW: null, bnB: null }),
    /convB: expected 2 values, got 1/,
  );
  assert.throws(
    () => fuseConvBnWeights(Tensor.from([1, 2]), null, { ...stats, bnW: null, bnB: null }),
    /convW: a convolution weight has rank >= 2/,
  );
  assert.throws(
    () => fuseConvBnWeights(w, null, { ...stats, bnRv: Tensor.from([1]), bnW: null, bnB: null }),
    /bnRv: expected 2 values, got 1/,
  );
  assert.throws(
    () => fuseConvBnWeights(w, null, { ...stats, bnEps: NaN, bnW: null, bnB: null }),
    /bnEps: .*NaN/,
  );
  assert.throws(
    () =>
      fuseLinearBnWeights(w, null, {
        ...stats,
        bnW: null as unknown as Tensor,
        bnB: Tensor.from([0, 0]),
      }),
    /bnW\/bnB: .*needs the BN weight and bias/,
  );
  assert.throws(
    () =>
      fuseLinearBnWeights(new Tensor(Float32Array.from([1, 2]), [1, 2]), null, {
        ...stats,
        bnW: Tensor.from([1, 1]),
        bnB: Tensor.from([0, 0]),
      }),
    /linearW: expected shape \[2, in\]/,
  );
});
