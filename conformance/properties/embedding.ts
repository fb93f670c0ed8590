/**
 * Properties of the quantized embeddings on the reference (the only path that runs them):
 * relations PyTorch's kernels imply exactly, over random quint8 and quint4x2 tables (rows with
 * tiny, huge, constant and all-positive values) and random bags.
 *
 * - a bag of one index is that row's `embedding` lookup;
 * - per-sample weights of 1 change nothing;
 * - `include_last_offset` with the total appended equals the offsets without it;
 * - 2-D indices are fixed-length bags;
 * - an empty bag is zeros; bags are independent (one bag alone equals its row of the batch).
 *
 * Built from the implementation it checks, so a test can hand it a broken one.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { xorshift } from "./linear.ts";
import { float32Bits } from "../../reference/float32.ts";
import {
  type EmbeddingWeight,
  embeddingWeight,
  quantizedEmbedding,
  quantizedEmbeddingBag,
  quantizeEmbeddingWeight,
} from "../../reference/quantized_embedding.ts";
import { Tensor } from "../../reference/tensor.ts";

/** The embedding_bag implementation under test (the reference's signature). */
export type EmbeddingBagImpl = typeof quantizedEmbeddingBag;

const problemArb = fc.record({
  dtype: fc.constantFrom("quint8" as const, "quint4x2" as const),
  num: fc.integer({ min: 1, max: 30 }),
  dim: fc.integer({ min: 1, max: 20 }).map((d) => 2 * d),
  bags: fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 6 }),
  weighted: fc.boolean(),
  seed: fc.integer(),
}).map((p) => {
  const rand = xorshift(p.seed);
  const scaleOf = [1e-4, 1, 30];
  const w = new Float32Array(p.num * p.dim);
  for (let r = 0; r < p.num; r++) {
    const kind = Math.floor(rand() * 5);
    const scale = scaleOf[Math.floor(rand() * 3)];
    for (let j = 0; j < p.dim; j++) {
      const v = (rand() * 2 - 1) * scale;
      w[r * p.dim + j] = kind === 0 ? scale : kind === 1 ? Math.abs(v) : v;
    }
  }
  const table = embeddingWeight(quantizeEmbeddingWeight(new Tensor(w, [p.num, p.dim]), p.dtype));
  const total = p.bags.reduce((a, b) => a + b, 0);
  const indices = Array.from({ length: total }, () => Math.floor(rand() * p.num));
  const offsets: number[] = [];
  p.bags.reduce((at, n) => (offsets.push(at), at + n), 0);
  const weights = p.weighted
    ? Float32Array.from({ length: total }, () => (rand() * 2 - 1) * 3)
    : null;
  return { table, indices, offsets, weights, bags: p.bags };
});

function assertBits(got: Tensor, want: Tensor, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  want.data.forEach((v, i) => {
    if (float32Bits(got.data[i]) !== float32Bits(v)) {
      assert.fail(`${what}: element ${i} is ${got.data[i]}, expected ${v}`);
    }
  });
}

function rowsOf(t: Tensor, from: number, to: number): Tensor {
  const w = t.shape[1];
  return new Tensor(t.data.slice(from * w, to * w), [to - from, w]);
}

/** The reference properties of `quantized_embedding_bag` / `quantized_embedding`. */
export function embeddingProperties(
  impl: EmbeddingBagImpl = quantizedEmbeddingBag,
): PropertyCheck[] {
  const check = (
    name: string,
    body: (p: {
      table: EmbeddingWeight;
      indices: number[];
      offsets: number[];
      weights: Float32Array | null;
      bags: number[];
    }) => void,
  ): PropertyCheck => ({
    name,
    op: "quantized_embedding_bag",
    path: "reference",
    property: () => fc.property(problemArb, body),
  });
  return [
    check("a bag of one index is that row's embedding lookup", (p) => {
      const ones = p.indices.map((_, i) => i);
      assertBits(
        impl(p.table, p.indices, { offsets: ones }),
        quantizedEmbedding(p.table, p.indices),
        "bags of one",
      );
    }),
    check("per-sample weights of 1 change nothing", (p) => {
      assertBits(
        impl(p.table, p.indices, {
          offsets: p.offsets,
          perSampleWeights: new Float32Array(p.indices.length).fill(1),
        }),
        impl(p.table, p.indices, { offsets: p.offsets }),
        "unit weights",
      );
    }),
    check("include_last_offset with the total appended equals the offsets alone", (p) => {
      const options = { perSampleWeights: p.weights };
      assertBits(
        impl(p.table, p.indices, {
          ...options,
          offsets: [...p.offsets, p.indices.length],
          includeLastOffset: true,
        }),
        impl(p.table, p.indices, { ...options, offsets: p.offsets }),
        "include_last_offset",
      );
    }),
    check("2-D indices are fixed-length bags", (p) => {
      const length = Math.max(1, p.bags[0]);
      const count = Math.floor(p.indices.length / length);
      if (count === 0) return;
      const indices = p.indices.slice(0, count * length);
      assertBits(
        impl(p.table, indices, { indicesShape: [count, length] }),
        impl(p.table, indices, { offsets: Array.from({ length: count }, (_, b) => b * length) }),
        "2-D indices",
      );
    }),
    check("bags are independent and an empty bag is zeros", (p) => {
      const all = impl(p.table, p.indices, { offsets: p.offsets, perSampleWeights: p.weights });
      p.offsets.forEach((start, b) => {
        const end = start + p.bags[b];
        const alone = impl(p.table, p.indices.slice(start, end), {
          offsets: [0],
          perSampleWeights: p.weights?.slice(start, end) ?? null,
        });
        assertBits(alone, rowsOf(all, b, b + 1), `bag ${b}`);
        if (start === end) assert.ok(alone.data.every((v) => Object.is(v, 0)), "empty bag");
      });
    }),
  ];
}
