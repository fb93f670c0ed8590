/**
 * The float ops whose PyTorch result is reproducible, against what real PyTorch 1.13 computed
 * on this machine (`golden/models/flows/float_ops.safetensors`, `scripts/models/record_flows.py`):
 * sigmoid and tanh at every vector/scalar split, sum and mean over everything and over each
 * dimension, mse_loss, BatchNorm in training (outputs and running statistics over three steps)
 * and evaluation, and EmbeddingBag's sum/mean/max — bit for bit.
 * @module
 */
import assert from "node:assert/strict";
import { Tensor } from "../../reference/tensor.ts";
import { BatchNorm1d, BatchNorm2d, EmbeddingBag } from "../modules/mod.ts";
import { readSafetensors } from "../safetensors.ts";
import type { TypedTensor } from "../typed_tensor.ts";
import { sigmoid, tanh } from "./elementwise.ts";
import { mseLoss } from "./loss.ts";
import { mean, sum } from "./reduction.ts";

const T = readSafetensors(
  Deno.readFileSync(new URL("../../golden/models/flows/float_ops.safetensors", import.meta.url)),
);

function get(key: string): TypedTensor {
  const t = T.get(key);
  if (t === undefined) throw new Error(`float_ops.safetensors has no ${key}`);
  return t;
}

function tensor(key: string): Tensor {
  const t = get(key);
  return new Tensor(Float32Array.from(t.data as Float32Array), t.shape);
}

function bits(x: ArrayLike<number>): number[] {
  return [...new Uint32Array(Float32Array.from(x).buffer)];
}

function assertSame(got: Tensor, key: string): void {
  const want = tensor(key);
  assert.deepEqual(got.shape, want.shape, `${key}: shape`);
  assert.deepEqual(bits(got.data), bits(want.data), key);
}

Deno.test("float exact: sigmoid and tanh at every vector/scalar split", () => {
  const x = tensor("unary.x").data;
  let at = 0;
  for (const n of Array.from(get("unary.lengths").data as BigInt64Array, Number)) {
    const part = new Tensor(x.slice(at, at + n));
    const s = tensor("unary.sigmoid").data.slice(at, at + n);
    const t = tensor("unary.tanh").data.slice(at, at + n);
    assert.deepEqual(bits(sigmoid(part).data), bits(s), `sigmoid of ${n}`);
    assert.deepEqual(bits(tanh(part).data), bits(t), `tanh of ${n}`);
    at += n;
  }
});

Deno.test("float exact: sum and mean over everything and over each dimension", () => {
  for (let i = 0; T.has(`reduce${i}.x`); i++) {
    const x = tensor(`reduce${i}.x`);
    assertSame(sum(x), `reduce${i}.sum`);
    assertSame(mean(x), `reduce${i}.mean`);
    for (let d = 0; d < x.shape.length; d++) {
      assertSame(sum(x, { dim: d }), `reduce${i}.sum${d}`);
      assertSame(mean(x, { dim: d }), `reduce${i}.mean${d}`);
    }
  }
});

Deno.test("float exact: mse_loss with every reduction", () => {
  for (const reduction of ["mean", "sum", "none"] as const) {
    assertSame(mseLoss(tensor("mse.a"), tensor("mse.b"), { reduction }), `mse.${reduction}`);
  }
});

Deno.test("float exact: BatchNorm training (running statistics) and evaluation", () => {
  for (let i = 0; T.has(`bn${i}.x0`); i++) {
    const x0 = tensor(`bn${i}.x0`);
    const c = x0.shape[1];
    const bn = x0.shape.length === 4 ? new BatchNorm2d(c) : new BatchNorm1d(c);
    const state = new Map(
      ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map((k) =>
        [k, get(`bn${i}.${k}`)] as const
      ),
    );
    bn.loadStateDict(state);
    bn.train();
    for (let j = 0; T.has(`bn${i}.x${j}`); j++) {
      assertSame(bn.forward(tensor(`bn${i}.x${j}`)), `bn${i}.train_y${j}`);
    }
    assertSame(bn.runningMean!, `bn${i}.after.running_mean`);
    assertSame(bn.runningVar!, `bn${i}.after.running_var`);
    bn.eval();
    assertSame(bn.forward(x0), `bn${i}.eval_y`);
  }
});

Deno.test("float exact: EmbeddingBag sum, mean, max and per-sample weights", () => {
  const indices = get("bag.indices").data as BigInt64Array;
  const offsets = get("bag.offsets").data as BigInt64Array;
  for (const mode of ["sum", "mean", "max"] as const) {
    const bag = new EmbeddingBag(20, 37, { mode });
    bag.loadStateDict(new Map([["weight", get("bag.weight")]]));
    assertSame(bag.forward(indices, offsets), `bag.${mode}`);
    if (mode === "sum") {
      assertSame(bag.forward(indices, offsets, tensor("bag.psw").data), "bag.sum_psw");
    }
  }
});
