/**
 * Float `nn.Embedding` and `nn.EmbeddingBag` (state-dict key `weight` `[num, dim]`), bit for bit
 * with PyTorch 1.13 on the CPU: a lookup copies rows; a bag sums its rows in index order in
 * float32 (each per-sample weight applied by a fused multiply-add), divides by the bag size for
 * "mean" (an empty bag gives zeros) and takes the element-wise maximum for "max". Indices are
 * integers (`number[]`, `Int32Array`, `BigInt64Array`) with an optional shape. No gradient is
 * recorded, and `max_norm` is not supported.
 * @module
 */
import { fmaF32 } from "../../reference/float32.ts";
import type { IndexArray } from "../../reference/quantized_embedding.ts";
import { Tensor } from "../../reference/tensor.ts";
import { checkInt, show } from "../_util.ts";
import { Module } from "../module.ts";
import { defaultRandom, type RandomSource } from "../random.ts";

/** Indices: a flat array (1-D), or data with a shape (`[B, L]` for fixed-length bags). */
export type IndexInput = IndexArray | {
  readonly data: IndexArray;
  readonly shape: readonly number[];
};

/** The flat indices and their shape, each checked against `[0, num)`. */
export function readIndices(
  input: IndexInput,
  num: number,
): { indices: number[]; shape: number[] } {
  const data = "shape" in input && !ArrayBuffer.isView(input) && !Array.isArray(input)
    ? (input as { data: IndexArray }).data
    : input as IndexArray;
  const shape = "shape" in input && !ArrayBuffer.isView(input) && !Array.isArray(input)
    ? [...(input as { shape: readonly number[] }).shape]
    : [data.length];
  if (shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new RangeError(`indices: shape [${shape}] does not hold ${data.length} indices`);
  }
  const indices = Array.from({ length: data.length }, (_, i) => Number(data[i]));
  indices.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= num) {
      throw new RangeError(`indices[${i}]: index ${show(v)} is out of range [0, ${num})`);
    }
  });
  return { indices, shape };
}

/** Standard normal numbers (Box–Muller) for `N(0, 1)` initialisation, as PyTorch's embeddings. */
function normalFill(data: Float32Array, random: RandomSource): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const u = 1 - random();
    data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return data;
}

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /** A row whose entry is ignored by training in PyTorch (kept for printing). */
  paddingIdx?: number | null;
  /** The random source of the `N(0, 1)` initial weights. */
  random?: RandomSource;
}

/** `torch.nn.Embedding(num_embeddings, embedding_dim)`. */
export class Embedding extends Module {
  /** Rows. */
  readonly numEmbeddings: number;
  /** Columns. */
  readonly embeddingDim: number;
  /** The padding row, or null. */
  readonly paddingIdx: number | null;
  /** `[num, dim]`. */
  declare weight: Tensor;

  /**
   * An embedding table initialised `N(0, 1)` (PyTorch's distribution, not its stream); the
   * padding row starts at zero.
   * @throws {RangeError} for bad sizes or a padding index outside `[−num, num)`.
   */
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkInt("numEmbeddings", numEmbeddings, 0);
    this.embeddingDim = checkInt("embeddingDim", embeddingDim, 0);
    let padding = options.paddingIdx ?? null;
    if (padding !== null) {
      if (!Number.isInteger(padding) || padding < -numEmbeddings || padding >= numEmbeddings) {
        throw new RangeError(
          `paddingIdx: Padding_idx must be within num_embeddings, got ${show(padding)}`,
        );
      }
      if (padding < 0) padding += numEmbeddings;
    }
    this.paddingIdx = padding;
    const w = normalFill(
      new Float32Array(numEmbeddings * embeddingDim),
      options.random ?? defaultRandom,
    );
    if (padding !== null) w.fill(0, padding * embeddingDim, (padding + 1) * embeddingDim);
    this.registerParameter("weight", new Tensor(w, [numEmbeddings, embeddingDim]));
  }

  /** The rows of `indices`: `[...indices.shape, dim]`. */
  forward(indices: IndexInput): Tensor {
    const { indices: idx, shape } = readIndices(indices, this.numEmbeddings);
    const dim = this.embeddingDim;
    const out = new Float32Array(idx.length * dim);
    idx.forEach((r, i) => out.set(this.weight.data.subarray(r * dim, (r + 1) * dim), i * dim));
    return new Tensor(out, [...shape, dim]);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}` +
      (this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : "");
  }
}

/** The reductions of `EmbeddingBag`. */
export type EmbeddingBagMode = "sum" | "mean" | "max";

/** Options of `EmbeddingBag`. */
export interface EmbeddingBagOptions {
  /** "sum", "mean" (default, as PyTorch) or "max". */
  mode?: EmbeddingBagMode;
  /** `offsets` ends with the total count (default false). */
  includeLastOffset?: boolean;
  /** The random source of the initial weights. */
  random?: RandomSource;
}

/** The bags of `indices`: their start and end positions. */
export function bagBounds(
  indices: { indices: number[]; shape: number[] },
  offsets: IndexArray | null,
  includeLastOffset: boolean,
): [number, number][] {
  const n = indices.indices.length;
  if (indices.shape.length === 2) {
    if (offsets !== null) {
      throw new RangeError(`offsets: indices are 2-D, so offsets has to be None`);
    }
    const [bags, length] = indices.shape;
    return Array.from({ length: bags }, (_, b) => [b * length, (b + 1) * length]);
  }
  if (indices.shape.length !== 1) {
    throw new RangeError(`indices: expected 1-D or 2-D indices, got shape [${indices.shape}]`);
  }
  if (offsets === null) throw new RangeError(`offsets: 1-D indices need offsets`);
  const starts = Array.from(offsets, Number);
  if (starts.length > 0 && starts[0] !== 0) {
    throw new RangeError(`offsets[0]: has to be 0, got ${starts[0]}`);
  }
  const ends = includeLastOffset ? starts.slice(1) : [...starts.slice(1), n];
  const bounds = ends.map((end, b): [number, number] => [starts[b], end]);
  bounds.forEach(([start, end], b) => {
    if (!Number.isInteger(end) || end < start || end > n) {
      throw new RangeError(
        `offsets[${b + 1}]: offsets must be non-decreasing integers up to ${n}, got ${show(end)}`,
      );
    }
  });
  return bounds;
}

/** `torch.nn.EmbeddingBag(num_embeddings, embedding_dim, mode='mean')`. */
export class EmbeddingBag extends Module {
  /** Rows. */
  readonly numEmbeddings: number;
  /** Columns. */
  readonly embeddingDim: number;
  /** The reduction. */
  readonly mode: EmbeddingBagMode;
  /** `offsets` ends with the total count. */
  readonly includeLastOffset: boolean;
  /** `[num, dim]`. */
  declare weight: Tensor;

  /**
   * An embedding bag initialised `N(0, 1)`.
   * @throws {RangeError} for bad sizes or mode.
   */
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingBagOptions = {}) {
    super();
    this.numEmbeddings = checkInt("numEmbeddings", numEmbeddings, 0);
    this.embeddingDim = checkInt("embeddingDim", embeddingDim, 0);
    const mode = options.mode ?? "mean";
    if (mode !== "sum" && mode !== "mean" && mode !== "max") {
      throw new RangeError(`mode: expected "sum", "mean" or "max", got ${show(mode)}`);
    }
    this.mode = mode;
    this.includeLastOffset = options.includeLastOffset ?? false;
    const w = normalFill(
      new Float32Array(numEmbeddings * embeddingDim),
      options.random ?? defaultRandom,
    );
    this.registerParameter("weight", new Tensor(w, [numEmbeddings, embeddingDim]));
  }

  /**
   * The bags' reductions `[bags, dim]`: `offsets` gives each bag's start in 1-D `indices`
   * (2-D indices are fixed-length bags, without offsets).
   * @throws {RangeError} for bad indices or offsets, or per-sample weights with a mode other
   * than "sum" (as PyTorch).
   */
  forward(
    indices: IndexInput,
    offsets: IndexArray | null = null,
    perSampleWeights: Float32Array | null = null,
  ): Tensor {
    const read = readIndices(indices, this.numEmbeddings);
    const bounds = bagBounds(read, offsets, this.includeLastOffset);
    if (perSampleWeights !== null) {
      if (this.mode !== "sum") {
        throw new RangeError(
          `perSampleWeights: embedding_bag: per_sample_weights was not None. ` +
            `per_sample_weights is only supported for mode='sum' (got mode='${this.mode}')`,
        );
      }
      if (perSampleWeights.length !== read.indices.length) {
        throw new RangeError(
          `perSampleWeights: expected ${read.indices.length} weights, got ${perSampleWeights.length}`,
        );
      }
    }
    const dim = this.embeddingDim;
    const w = this.weight.data;
    const out = new Float32Array(bounds.length * dim);
    bounds.forEach(([start, end], b) => {
      const acc = out.subarray(b * dim, (b + 1) * dim);
      for (let i = start; i < end; i++) {
        const row = read.indices[i] * dim;
        for (let j = 0; j < dim; j++) {
          const v = w[row + j];
          if (this.mode === "max") acc[j] = i === start || v > acc[j] ? v : acc[j];
          else if (perSampleWeights !== null) acc[j] = fmaF32(perSampleWeights[i], v, acc[j]);
          else acc[j] = acc[j] + v;
        }
      }
      if (this.mode === "mean" && end > start) {
        const count = Math.fround(end - start);
        for (let j = 0; j < dim; j++) acc[j] = acc[j] / count;
      }
    });
    return new Tensor(out, [bounds.length, dim]);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode=${this.mode}`;
  }
}
