/**
 * Quantized embeddings — `quantized::embedding_bag_byte` / `embedding_bag_4bit` (what
 * `nn.quantized.EmbeddingBag` runs) and `quantized::embedding_byte` / `embedding_4bit`
 * (`nn.quantized.Embedding`) — bit for bit as PyTorch 1.13 computes them
 * (aten/src/ATen/native/quantized/cpu/qembeddingbag.cpp, qembeddingbag_prepack.cpp):
 *
 * - **weights**: quint8 or quint4x2 quantized per row with float qparams
 *   (`per_channel_affine_float_qparams`, axis 0: `float_qparams_weight_only_qconfig`).
 *   `embedding_bag_prepack` stores each row's codes with a float `scale` and `bias =
 *   −(zero_point·scale)` (float32 for 8-bit; rounded to float16 for 4-bit).
 * - **lookup** (the kernel without FBGEMM; FBGEMM's `EmbeddingSpMDM` computes the same sums): each
 *   output row starts at zero and every index of its bag adds
 *   `out = f32(fma(scale·w, code, f32(out + bias·w)))` where `w` is the per-sample weight (1 when
 *   absent) and the `fma` is evaluated in double (its integer argument promotes it), then rounded
 *   to float.
 *
 * PyTorch 1.13 facts reproduced and documented here: the ops take a `mode` argument and ignore it
 * (every build passes `normalize_by_lengths = false`), so they always return the bag's sum; and
 * `nn.quantized.EmbeddingBag.from_float` builds its module with the default `mode='sum'` and
 * `include_last_offset=False` whatever the float module had. This reference computes the sum and
 * refuses `mode` "mean" and "max" instead of silently summing (the nn module reproduces
 * PyTorch's module).
 * @module
 */
import {
  checkInteger,
  checkLength,
  checkNumbers,
  checkObject,
  checkOneOf,
  checkOptions,
  checkShape,
  checkTypedArray,
  optionalBoolean,
  show,
} from "./_check.ts";
import { f32 } from "./float32.ts";
import { floatQParamsWeightOnlyQConfig, floatQParamsWeightOnlyQConfig4bit } from "./qconfig.ts";
import { quantizePerChannel } from "./quantize.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

/** The dtypes of quantized embedding weights. */
export type EmbeddingDType = "quint8" | "quint4x2";

/** A quantized embedding table in the form `embedding_bag_prepack` stores it. */
export interface EmbeddingWeight {
  /** quint8 (8-bit rows) or quint4x2 (4-bit rows). */
  readonly dtype: EmbeddingDType;
  /** Rows. */
  readonly numEmbeddings: number;
  /** Columns. */
  readonly embeddingDim: number;
  /** The codes, one per element (unpacked for 4-bit), row-major `[num, dim]`. */
  readonly codes: Uint8Array;
  /** Each row's scale as the kernel reads it (float32; float16-rounded for 4-bit). */
  readonly scales: Float32Array;
  /** Each row's `−zero_point·scale` as the kernel reads it (float16-rounded for 4-bit). */
  readonly biases: Float32Array;
}

/** Rounds a float32 value to float16 and back (`at::Half` storage), ties to even. */
function toHalf(x: number): number {
  return (Math as unknown as { f16round(x: number): number }).f16round(x);
}

/**
 * `embedding_bag_prepack(qweight)`: the table of a quint8 or quint4x2 weight `[num, dim]`
 * quantized per row with float qparams (axis 0).
 * @throws {TypeError|RangeError} for another dtype, qscheme or axis, or a 4-bit weight with an
 * odd dimension.
 */
export function embeddingWeight(qweight: QuantizedTensor): EmbeddingWeight {
  if (!(qweight instanceof QuantizedTensor)) {
    throw new TypeError(`qweight: expected a QuantizedTensor, got ${show(qweight)}`);
  }
  const dtype = qweight.dtype;
  if (dtype !== "quint8" && dtype !== "quint4x2") {
    throw new TypeError(
      `qweight: QEmbeddingBag prepack weight only works for quint8 or quint4x2, got ${dtype}`,
    );
  }
  if (qweight.shape.length !== 2) {
    throw new RangeError(`qweight: must be 2-D [num_embeddings, dim], got [${qweight.shape}]`);
  }
  const qp = qweight.qparams;
  if (qp.qscheme !== "per_channel_affine_float_qparams" || qp.axis !== 0) {
    throw new TypeError(
      `qweight: embedding weights must be quantized per_channel_affine_float_qparams on axis 0 ` +
        `(float_qparams_weight_only_qconfig), got ${qp.qscheme}` +
        ("axis" in qp ? ` on axis ${qp.axis}` : ""),
    );
  }
  const [num, dim] = qweight.shape;
  if (dtype === "quint4x2" && dim % 2 !== 0) {
    throw new RangeError(`qweight: a quint4x2 embedding needs an even dimension, got ${dim}`);
  }
  const scales = new Float32Array(num);
  const biases = new Float32Array(num);
  for (let r = 0; r < num; r++) {
    const scale = f32(qp.scales[r]);
    const bias = f32(-f32(f32(qp.zeroPoints[r]) * scale));
    scales[r] = dtype === "quint8" ? scale : toHalf(scale);
    biases[r] = dtype === "quint8" ? bias : toHalf(bias);
  }
  return {
    dtype,
    numEmbeddings: num,
    embeddingDim: dim,
    codes: Uint8Array.from(qweight.intRepr as Uint8Array),
    scales,
    biases,
  };
}

/**
 * A float table `[num, dim]` quantized as `float_qparams_weight_only_qconfig` (quint8) or its
 * `_4bit` version (quint4x2) does: a per-row min/max observer with float zero points, then
 * `quantize_per_channel` (what `from_float` and `quantize_dynamic` do).
 * @throws {TypeError|RangeError} for a dtype other than quint8/quint4x2 or a weight that is not
 * 2-D.
 */
export function quantizeEmbeddingWeight(weight: Tensor, dtype: EmbeddingDType): QuantizedTensor {
  if (dtype !== "quint8" && dtype !== "quint4x2") {
    throw new TypeError(`dtype: expected "quint8" or "quint4x2", got ${show(dtype)}`);
  }
  if (!(weight instanceof Tensor) || weight.shape.length !== 2) {
    throw new RangeError(`weight: expected a 2-D float Tensor [num, dim], got ${show(weight)}`);
  }
  const qconfig = dtype === "quint8"
    ? floatQParamsWeightOnlyQConfig
    : floatQParamsWeightOnlyQConfig4bit;
  const observer = qconfig.weight.create();
  observer.forward(weight);
  const { scale, zeroPoint } = observer.calculateQParams();
  return quantizePerChannel(weight, {
    scales: scale,
    zeroPoints: zeroPoint,
    axis: 0,
    dtype,
    floatQParams: true,
  });
}

/** Indices or offsets: integers given as numbers or int64 values. */
export type IndexArray = ArrayLike<number> | BigInt64Array;

/**
 * Checks an EmbeddingWeight however it was built (`embeddingWeight` builds one): its dtype, sizes,
 * and codes, scales and biases of those sizes.
 * @throws {TypeError|RangeError} naming the bad field.
 */
export function checkEmbeddingWeight(table: EmbeddingWeight): void {
  checkObject("table", table, "an EmbeddingWeight (embeddingWeight(qweight) builds one)");
  checkOneOf("table.dtype", table.dtype, ["quint8", "quint4x2"]);
  for (const name of ["numEmbeddings", "embeddingDim"] as const) {
    checkInteger(`table.${name}`, table[name]);
    if (table[name] < 0) {
      throw new RangeError(`table.${name}: expected an integer >= 0, got ${table[name]}`);
    }
  }
  const rows = table.numEmbeddings;
  checkTypedArray("table.codes", table.codes, Uint8Array, "codes");
  checkLength("table.codes", table.codes, rows * table.embeddingDim);
  for (const name of ["scales", "biases"] as const) {
    checkTypedArray(`table.${name}`, table[name], Float32Array, "one float per row");
    checkLength(`table.${name}`, table[name], rows);
  }
}

/** Checks a 1-D or 2-D shape of `count` indices. */
function checkIndicesShape(name: string, shape: readonly number[], count: number): void {
  const size = checkShape(name, shape);
  if (size !== count || shape.length < 1 || shape.length > 2) {
    throw new RangeError(
      `${name}: expected a 1-D or 2-D shape holding ${count} indices, got [${shape}]`,
    );
  }
}

/** Reads an index array as numbers, checking each is a safe integer. */
function toIndices(name: string, values: IndexArray): number[] {
  if (!(values instanceof BigInt64Array)) checkNumbers(name, values);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`${name}[${i}]: expected an integer, got ${show(values[i])}`);
    }
    out[i] = v;
  }
  return out;
}

/** Options of `quantizedEmbeddingBag`. */
export interface QuantizedEmbeddingBagOptions {
  /** Bag starts into `indices` (1-D indices); null for 2-D indices (fixed-length bags). */
  offsets?: IndexArray | null;
  /** The shape of `indices`: `[n]` (default) or `[bags, length]`. */
  indicesShape?: readonly number[];
  /** `offsets` ends with the total count (one more offset than bags). Default false. */
  includeLastOffset?: boolean;
  /** A float weight per index, scaling its row. */
  perSampleWeights?: Float32Array | null;
  /**
   * Only "sum" (the default): PyTorch 1.13's quantized embedding_bag ops ignore their mode and
   * always sum; "mean" and "max" are refused rather than silently summed.
   */
  mode?: "sum" | "mean" | "max";
}

/** Adds row `idx` (scaled by `w`) into `out` at `at`, as the kernel does. */
function accumulateRow(
  table: EmbeddingWeight,
  idx: number,
  w: number,
  out: Float32Array,
  at: number,
): void {
  const dim = table.embeddingDim;
  const scale = f32(w * table.scales[idx]);
  const bias = f32(w * table.biases[idx]);
  const row = idx * dim;
  for (let j = 0; j < dim; j++) {
    // fma(float, uint8, float) promotes to double: one double rounding, then float.
    out[at + j] = f32(scale * table.codes[row + j] + f32(out[at + j] + bias));
  }
}

function checkIndex(table: EmbeddingWeight, idx: number, at: number): void {
  if (idx < 0 || idx >= table.numEmbeddings) {
    throw new RangeError(
      `indices[${at}]: index ${idx} is out of range [0, ${table.numEmbeddings}) ` +
        `(Invalid indices data)`,
    );
  }
}

/**
 * `quantized::embedding_bag_byte` / `embedding_bag_4bit` (`_rowwise_offsets`): the sum of each
 * bag's rows (scaled by the per-sample weights), `[bags, dim]`.
 * @throws {RangeError} for mode "mean"/"max", indices outside the table, offsets that do not
 * start at 0, decrease or pass the end, 2-D indices with offsets (or 1-D without), or
 * per-sample weights of another length.
 */
export function quantizedEmbeddingBag(
  table: EmbeddingWeight,
  indices: IndexArray,
  options: QuantizedEmbeddingBagOptions = {},
): Tensor {
  checkEmbeddingWeight(table);
  checkOptions("options", options, "offsets?, indicesShape?, includeLastOffset?, …");
  const mode = options.mode ?? "sum";
  if (mode !== "sum") {
    throw new RangeError(
      `mode: PyTorch 1.13's quantized embedding_bag kernels ignore the mode and always return ` +
        `the sum; got ${show(mode)} — use "sum" (and divide yourself for a mean)`,
    );
  }
  const idx = toIndices("indices", indices);
  const shape = options.indicesShape ?? [idx.length];
  checkIndicesShape("indicesShape", shape, idx.length);
  let offsets: number[];
  const given = options.offsets ?? null;
  if (shape.length === 2) {
    if (given !== null) {
      throw new RangeError(
        `offsets: indices are 2-D, so offsets has to be None (fixed-length bags), got offsets`,
      );
    }
    offsets = Array.from({ length: shape[0] }, (_, b) => b * shape[1]);
  } else {
    if (given === null) {
      throw new RangeError(`offsets: embedding_bag expects offsets to be set for 1-D indices`);
    }
    offsets = toIndices("offsets", given);
  }
  const includeLast = optionalBoolean("includeLastOffset", options.includeLastOffset, false);
  const bags = includeLast ? Math.max(offsets.length - 1, 0) : offsets.length;
  const ends = [...offsets.slice(0, bags + (includeLast ? 1 : 0))];
  if (!includeLast) ends.push(idx.length);
  if (offsets.length > 0 && offsets[0] !== 0) {
    throw new RangeError(
      `offsets[0]: must be 0, got ${offsets[0]} (PyTorch's builds disagree on other starts)`,
    );
  }
  for (let b = 0; b < bags; b++) {
    if (ends[b + 1] < ends[b] || ends[b + 1] > idx.length) {
      throw new RangeError(
        `offsets[${b + 1}]: offsets must be non-decreasing and at most the number of indices ` +
          `${idx.length}, got ${ends[b + 1]} after ${ends[b]}`,
      );
    }
  }
  const weights = options.perSampleWeights ?? null;
  if (weights !== null && weights.length !== idx.length) {
    throw new RangeError(
      `perSampleWeights: expected one weight per index (${idx.length}), got ${weights.length}`,
    );
  }
  const dim = table.embeddingDim;
  const out = new Float32Array(bags * dim);
  for (let b = 0; b < bags; b++) {
    for (let i = ends[b]; i < ends[b + 1]; i++) {
      checkIndex(table, idx[i], i);
      accumulateRow(table, idx[i], weights === null ? 1 : weights[i], out, b * dim);
    }
  }
  return new Tensor(out, [bags, dim]);
}

/**
 * `quantized::embedding_byte` / `embedding_4bit`: each index's row, `[...indices.shape, dim]`
 * (a bag of one: `f32(fma(scale, code, f32(0 + bias)))`).
 * @throws {RangeError} for indices outside the table or a shape that is not 1-D or 2-D.
 */
export function quantizedEmbedding(
  table: EmbeddingWeight,
  indices: IndexArray,
  indicesShape?: readonly number[],
): Tensor {
  checkEmbeddingWeight(table);
  const idx = toIndices("indices", indices);
  const shape = indicesShape === undefined ? [idx.length] : indicesShape;
  checkIndicesShape("indicesShape", shape, idx.length);
  const dim = table.embeddingDim;
  const out = new Float32Array(idx.length * dim);
  idx.forEach((v, i) => {
    checkIndex(table, v, i);
    accumulateRow(table, v, 1, out, i * dim);
  });
  return new Tensor(out, [...shape, dim]);
}
