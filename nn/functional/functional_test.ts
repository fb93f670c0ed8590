import assert from "node:assert/strict";
import { Tensor } from "../../reference/tensor.ts";
import { recordOp, sgdStep } from "../autograd.ts";
import { gradCheck } from "../_gradcheck.ts";
import { randomTensor } from "../_test_models.ts";
import {
  adaptiveAvgPool2d,
  add,
  avgPool2d,
  batchNorm,
  cat,
  conv2d,
  crossEntropy,
  div,
  flatten,
  linear,
  maxPool2d,
  mul,
  relu,
  relu6,
  sqrt,
  sub,
} from "./mod.ts";

const TOLERANCE = 2e-3;

function check(name: string, f: () => Tensor, inputs: Tensor[], eps?: number): void {
  const { worst, where } = gradCheck(f, inputs, { eps });
  assert.ok(worst < TOLERANCE, `${name}: gradient differs from finite differences (${where})`);
}

/** Keeps values away from a kink (0 for relu, 0 and 6 for relu6) so differences are smooth. */
function awayFrom(t: Tensor, kinks: number[], margin = 0.05): Tensor {
  t.data.forEach((v, i) => {
    for (const k of kinks) if (Math.abs(v - k) < margin) t.data[i] = k + margin * 2;
  });
  return t;
}

Deno.test("conv2d: equals a direct sum, for stride, padding, dilation and groups", () => {
  const x = randomTensor([2, 4, 5, 6], 1);
  const w = randomTensor([6, 2, 3, 2], 2);
  const b = randomTensor([6], 3);
  const y = conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 });
  assert.deepEqual(y.shape, [2, 6, 3, 8]);
  // Output (1, 4, 2, 3): group 1, input channels 2..3.
  let acc = b.data[4];
  for (let ic = 0; ic < 2; ic++) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const iy = 2 * 2 - 1 + i;
        const ix = 3 - 2 + 2 * j;
        if (iy < 0 || iy >= 5 || ix < 0 || ix >= 6) continue;
        acc += x.data[((1 * 4 + 2 + ic) * 5 + iy) * 6 + ix] *
          w.data[((4 * 2 + ic) * 3 + i) * 2 + j];
      }
    }
  }
  assert.equal(y.data[((1 * 6 + 4) * 3 + 2) * 8 + 3], Math.fround(acc));
  assert.throws(() => conv2d(x, randomTensor([6, 3, 3, 3], 1)), /to have 3 channels .* but got 4/);
});

Deno.test("pooling: shapes and values of max, average and adaptive pooling", () => {
  const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 1, 4, 4]);
  assert.deepEqual([...maxPool2d(x, { kernelSize: 2 }).data], [6, 8, 14, 16]);
  assert.deepEqual([...avgPool2d(x, { kernelSize: 2 }).data], [3.5, 5.5, 11.5, 13.5]);
  assert.deepEqual(
    [...avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).data],
    [3.5, 5, 9.5, 11],
  );
  assert.deepEqual([...adaptiveAvgPool2d(x, 1).data], [8.5]);
  assert.deepEqual([...adaptiveAvgPool2d(x, [3, 2]).data], [3.5, 5.5, 7.5, 9.5, 11.5, 13.5]);
  assert.throws(() => maxPool2d(x, { kernelSize: 2, padding: 2 }), /at most half of kernel/);
});

Deno.test("gradients of every op equal finite differences", () => {
  const x4 = randomTensor([2, 3, 5, 5], 11);
  const w4 = randomTensor([4, 3, 3, 3], 12);
  const b4 = randomTensor([4], 13);
  check("conv2d", () => conv2d(x4, w4, b4, { padding: 1, stride: 2 }), [x4, w4, b4]);
  const x2 = randomTensor([3, 5], 14);
  const w2 = randomTensor([4, 5], 15);
  const b2 = randomTensor([4], 16);
  check("linear", () => linear(x2, w2, b2), [x2, w2, b2]);
  const g = randomTensor([3], 17, 0.5, 1.5);
  const beta = randomTensor([3], 18);
  const rm = randomTensor([3], 19);
  const rv = randomTensor([3], 20, 0.5, 2);
  const bnOptions = {
    runningMean: null,
    runningVar: null,
    weight: g,
    bias: beta,
    momentum: 0.1,
    eps: 1e-5,
  };
  check("batchNorm (batch stats)", () => batchNorm(x4, { ...bnOptions, training: true }), [
    x4,
    g,
    beta,
  ]);
  check(
    "batchNorm (running stats)",
    () => batchNorm(x4, { ...bnOptions, runningMean: rm, runningVar: rv, training: false }),
    [x4, g, beta],
  );
  const xr = awayFrom(randomTensor([2, 3, 5, 5], 21, -2, 8), [0, 6]);
  check("relu", () => relu(xr), [xr]);
  check("relu6", () => relu6(xr), [xr]);
  const xp = randomTensor([1, 2, 6, 6], 22); // distinct values: max pooling is smooth
  check("maxPool2d", () => maxPool2d(xp, { kernelSize: 3, stride: 2, padding: 1 }), [xp], 1e-4);
  check("avgPool2d", () => avgPool2d(xp, { kernelSize: 3, stride: 2, padding: 1 }), [xp]);
  check("adaptiveAvgPool2d", () => adaptiveAvgPool2d(xp, [4, 3]), [xp]);
  const a = randomTensor([2, 3, 1, 4], 23);
  const b = randomTensor([3, 2, 4], 24, 0.5, 1.5);
  check("add (broadcast)", () => add(a, b), [a, b]);
  check("sub (broadcast)", () => sub(a, b), [a, b]);
  check("mul (broadcast)", () => mul(a, b), [a, b]);
  check("div (broadcast)", () => div(a, b), [a, b]);
  check("sqrt", () => sqrt(b), [b]);
  check("cat", () => cat([a, mul(a, a)], 1), [a]);
  check("flatten", () => mul(flatten(a, { startDim: 1 }), flatten(a, { startDim: 1 })), [a]);
  const logits = randomTensor([4, 5], 25, -2, 2);
  check("crossEntropy", () => crossEntropy(logits, [0, 4, 2, 2]), [logits]);
});

Deno.test("gradient checks fail on a planted bug (a relu whose gradient ignores the mask)", () => {
  const buggyRelu = (x: Tensor): Tensor => {
    const y = new Tensor(x.data.map((v) => (v < 0 ? 0 : v)), x.shape);
    recordOp([x], y, (g) => [g]); // planted bug: the mask is missing
    return y;
  };
  const x = awayFrom(randomTensor([4, 4], 31), [0]);
  assert.ok(gradCheck(() => buggyRelu(x), [x]).worst > TOLERANCE);
  assert.ok(gradCheck(() => relu(x), [x]).worst < TOLERANCE);
});

Deno.test("sgdStep: p -= lr·(g + wd·p), with momentum buffers", () => {
  const p = Tensor.from([1, 2]);
  const grads = new Map([[p, Float32Array.from([0.5, -1])]]);
  sgdStep([p], grads, { lr: 0.1 });
  assert.deepEqual([...p.data], [Math.fround(1 - Math.fround(0.05)), Math.fround(2.1)]);
  const state = new Map<Tensor, Float32Array>();
  const q = Tensor.from([0]);
  const gq = new Map([[q, Float32Array.from([1])]]);
  sgdStep([q], gq, { lr: 1, momentum: 0.9, state });
  sgdStep([q], gq, { lr: 1, momentum: 0.9, state });
  assert.equal(q.data[0], Math.fround(-1 - 1.9));
  assert.throws(() => sgdStep([q], gq, { lr: -1 }), /lr: expected a finite number >= 0/);
});
