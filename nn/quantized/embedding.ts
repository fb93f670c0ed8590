/**
 * Quantized embeddings (`torch.ao.nn.quantized.Embedding` / `EmbeddingBag`, printed as
 * `QuantizedEmbedding` / `QuantizedEmbeddingBag`): a quint8 or quint4x2 table quantized per row
 * with float qparams, looked up as PyTorch's `embedding_byte`/`embedding_4bit` and
 * `embedding_bag_byte`/`embedding_bag_4bit` compute it (`reference/quantized_embedding.ts`;
 * there are no embedding kernels, so every kernel set runs the reference).
 *
 * PyTorch 1.13's module behaviour, reproduced: `QuantizedEmbeddingBag` always sums (its ops
 * ignore the mode), and `fromFloat` (like `nnq.EmbeddingBag.from_float`) builds it with
 * `mode="sum"` and `includeLastOffset=false` whatever the float module had — it warns when that
 * changes the float module's meaning. `QuantizedEmbedding.fromFloat` needs quint8 weights
 * (PyTorch 1.13's fails on quint4x2).
 *
 * State dict (see `nn/quantized/state_dict.ts` for the other modules): `weight` U8, PyTorch's
 * `int_repr()` (`[num, dim]` for quint8, `[num, dim/2]` packed nibbles for quint4x2, low nibble
 * first), `weight_scale` F32 `[num]`, `weight_zero_point` F32 `[num]`, `weight_axis` I64 `[]` (0).
 * @module
 */
import {
  type EmbeddingDType,
  type EmbeddingWeight,
  embeddingWeight,
  type IndexArray,
  quantizedEmbedding,
  quantizedEmbeddingBag,
} from "../../reference/quantized_embedding.ts";
import { packQuint4x2 } from "../../reference/quantize.ts";
import { QuantizedTensor, type Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import { type IndexInput, readIndices } from "../modules/embedding.ts";
import { showShape } from "../functional/_shape.ts";

const TABLES = new WeakMap<object, EmbeddingWeight>();

/** What the quantized embeddings share: the table and its state dict. */
abstract class QuantizedEmbeddingBase extends Module {
  /** Rows. */
  readonly numEmbeddings: number;
  /** Columns. */
  readonly embeddingDim: number;
  private qweight!: QuantizedTensor;

  /**
   * A quantized table from a quint8 / quint4x2 weight quantized per row with float qparams.
   * @throws {TypeError|RangeError} for another weight.
   */
  constructor(weight: QuantizedTensor) {
    super();
    this.setWeight(weight);
    [this.numEmbeddings, this.embeddingDim] = weight.shape;
    this.training = false;
  }

  /** quint8 or quint4x2. */
  get dtype(): EmbeddingDType {
    return this.qweight.dtype as EmbeddingDType;
  }

  /** The quantized weight. */
  weight(): QuantizedTensor {
    return this.qweight;
  }

  /**
   * Replaces the weight (`set_weight`).
   * @throws as `embeddingWeight` for a weight that is not a float-qparams quint8/quint4x2 table.
   */
  setWeight(weight: QuantizedTensor): void {
    const table = embeddingWeight(weight);
    if (this.qweight !== undefined && weight.shape.some((d, i) => d !== this.qweight.shape[i])) {
      throw new RangeError(
        `weight: expected shape ${showShape(this.qweight.shape)}, got ${showShape(weight.shape)}`,
      );
    }
    this.qweight = weight;
    TABLES.set(this, table);
  }

  /** The packed table. */
  protected table(): EmbeddingWeight {
    let t = TABLES.get(this);
    if (t === undefined) {
      t = embeddingWeight(this.qweight);
      TABLES.set(this, t);
    }
    return t;
  }

  /** Adds this module's entries (see the module documentation). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    const q = this.qweight;
    const qp = q.qparams as { scales: Float64Array; zeroPoints: Float64Array };
    const [num, dim] = q.shape;
    const four = q.dtype === "quint4x2";
    destination.set(prefix + "weight", {
      dtype: "U8",
      shape: [num, four ? dim / 2 : dim],
      data: four ? packQuint4x2(q.intRepr) : Uint8Array.from(q.intRepr as Uint8Array),
    });
    destination.set(prefix + "weight_scale", {
      dtype: "F32",
      shape: [num],
      data: Float32Array.from(qp.scales),
    });
    destination.set(prefix + "weight_zero_point", {
      dtype: "F32",
      shape: [num],
      data: Float32Array.from(qp.zeroPoints),
    });
    destination.set(prefix + "weight_axis", {
      dtype: "I64",
      shape: [],
      data: BigInt64Array.of(0n),
    });
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const [num, dim] = this.qweight.shape;
    const four = this.dtype === "quint4x2";
    const w = reader.expect(prefix + "weight", {
      dtype: "U8",
      shape: [num, four ? dim / 2 : dim],
      data: new Uint8Array(0),
    });
    const s = reader.expect(prefix + "weight_scale", {
      dtype: "F32",
      shape: [num],
      data: new Float32Array(0),
    });
    const z = reader.expect(prefix + "weight_zero_point", {
      dtype: "F32",
      shape: [num],
      data: new Float32Array(0),
    });
    const axis = reader.expect(prefix + "weight_axis", {
      dtype: "I64",
      shape: [],
      data: new BigInt64Array(1),
    });
    if (w === undefined || s === undefined || z === undefined || axis === undefined) return;
    if ((axis.data as BigInt64Array)[0] !== 0n) {
      reader.reportMismatch(`${prefix}weight_axis: embeddings are quantized per row (axis 0)`);
      return;
    }
    const bytes = w.data as Uint8Array;
    const codes = four
      ? Uint8Array.from({ length: num * dim }, (_, i) => (bytes[i >> 1] >> ((i & 1) * 4)) & 15)
      : Uint8Array.from(bytes);
    const weight = new QuantizedTensor(codes, [num, dim], this.dtype, {
      qscheme: "per_channel_affine_float_qparams",
      scales: Float64Array.from(s.data as Float32Array),
      zeroPoints: Float64Array.from(z.data as Float32Array),
      axis: 0,
    });
    reader.defer(() => this.setWeight(weight));
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `num_embeddings=${this.numEmbeddings}, embedding_dim=${this.embeddingDim}, ` +
      `dtype=torch.${this.dtype}, qscheme=torch.per_channel_affine_float_qparams`;
  }
}

/** `torch.ao.nn.quantized.Embedding`. */
export class QuantizedEmbedding extends QuantizedEmbeddingBase {
  /** The rows of `indices`, `[...indices.shape, dim]` (`embedding_byte` / `embedding_4bit`). */
  forward(indices: IndexInput): Tensor {
    const { indices: idx, shape } = readIndices(indices, this.numEmbeddings);
    return quantizedEmbedding(this.table(), idx, shape);
  }
}

/** `torch.ao.nn.quantized.EmbeddingBag` (always sums, as PyTorch 1.13's). */
export class QuantizedEmbeddingBag extends QuantizedEmbeddingBase {
  /** Always "sum": PyTorch's quantized embedding_bag ops ignore the mode. */
  readonly mode = "sum" as const;
  /** `offsets` ends with the total count. */
  readonly includeLastOffset: boolean;

  /**
   * A quantized embedding bag.
   * @throws {RangeError} for a mode other than "sum" (PyTorch would silently sum).
   */
  constructor(
    weight: QuantizedTensor,
    options: { mode?: "sum" | "mean" | "max"; includeLastOffset?: boolean } = {},
  ) {
    super(weight);
    if ((options.mode ?? "sum") !== "sum") {
      throw new RangeError(
        `mode: PyTorch 1.13's quantized EmbeddingBag always sums (its ops ignore the mode), got ` +
          `${show(options.mode)}; use "sum"`,
      );
    }
    this.includeLastOffset = options.includeLastOffset ?? false;
  }

  /**
   * The sum of each bag `[bags, dim]` (`embedding_bag_byte` / `embedding_bag_4bit`); `offsets`
   * are bag starts into 1-D `indices` (none for 2-D indices), `perSampleWeights` scale the rows.
   */
  forward(
    indices: IndexInput,
    offsets: IndexArray | null = null,
    perSampleWeights: Float32Array | null = null,
  ): Tensor {
    const read = readIndices(indices, this.numEmbeddings);
    return quantizedEmbeddingBag(this.table(), read.indices, {
      indicesShape: read.shape,
      offsets,
      includeLastOffset: this.includeLastOffset,
      perSampleWeights,
    });
  }
}
