/**
 * Golden ops `quantized_embedding_bag` and `quantized_embedding`: a float table quantized as
 * `float_qparams_weight_only_qconfig` (quint8) or its 4-bit version (quint4x2) does, packed as
 * `embedding_bag_prepack` packs it, then looked up. Reference-only: no kernel path has embedding
 * kernels. PyTorch 1.13's ops ignore `mode` and return the sum for "mean" and "max" too, so the
 * recorded outputs are sums; this handler reproduces that by asking the reference for the sum
 * (whose own `mode` refuses "mean"/"max" rather than summing silently).
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenTensor } from "../golden_file.ts";
import {
  float32Input,
  MalformedCase,
  numericInput,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "../op_handler.ts";
import {
  type EmbeddingDType,
  embeddingWeight,
  quantizedEmbedding,
  quantizedEmbeddingBag,
  quantizeEmbeddingWeight,
} from "../../reference/quantized_embedding.ts";
import { Tensor } from "../../reference/tensor.ts";

const MODES = ["sum", "mean", "max"];

function caseTable(ctx: RunContext) {
  const dtype = ctx.attrs.string("dtype");
  if (dtype !== "quint8" && dtype !== "quint4x2") {
    throw new UnsupportedCase(`dtype "${dtype}" (quint8 or quint4x2)`);
  }
  const w = ctx.input("weight");
  if (w.shape.length !== 2) throw new MalformedCase(`input "weight" must be 2-D [num, dim]`);
  const weight = new Tensor(float32Input(w, "weight"), w.shape);
  return embeddingWeight(quantizeEmbeddingWeight(weight, dtype as EmbeddingDType));
}

function indexInput(t: GoldenTensor, name: string): Float64Array {
  return numericInput(t, name, ["int64", "int32"]);
}

/** `quantized::embedding_bag_byte` / `embedding_bag_4bit`. */
export const quantizedEmbeddingBagOp: OpHandler = {
  op: "quantized_embedding_bag",
  attrs: ["mode", "dtype", "include_last_offset"],
  inputs: ["weight", "indices", "offsets", "per_sample_weights"],
  outputs: ["y"],
  run(ctx): Record<string, Produced> {
    const mode = ctx.attrs.string("mode");
    if (!MODES.includes(mode)) throw new UnsupportedCase(`mode "${mode}" (sum, mean or max)`);
    const indices = ctx.input("indices");
    const offsets = ctx.optionalInput("offsets");
    const weights = ctx.optionalInput("per_sample_weights");
    // PyTorch's op ignores `mode`: every recorded output is the sum.
    const y = quantizedEmbeddingBag(caseTable(ctx), indexInput(indices, "indices"), {
      mode: "sum",
      indicesShape: indices.shape,
      offsets: offsets === undefined ? null : indexInput(offsets, "offsets"),
      includeLastOffset: ctx.attrs.bool("include_last_offset"),
      perSampleWeights: weights === undefined ? null : float32Input(weights, "per_sample_weights"),
    });
    return { y: { shape: y.shape, data: y.data } };
  },
};

/** `quantized::embedding_byte` / `embedding_4bit`. */
export const quantizedEmbeddingOp: OpHandler = {
  op: "quantized_embedding",
  attrs: ["dtype"],
  inputs: ["weight", "indices"],
  outputs: ["y"],
  run(ctx): Record<string, Produced> {
    const indices = ctx.input("indices");
    const y = quantizedEmbedding(caseTable(ctx), indexInput(indices, "indices"), indices.shape);
    return { y: { shape: y.shape, data: y.data } };
  },
};

/** The quantized embedding handlers. */
export const embeddingOps: readonly OpHandler[] = [quantizedEmbeddingBagOp, quantizedEmbeddingOp];
