/**
 * The int8 linear layer on the generated kernels: weights packed once, then per call the
 * activations are prepared (padding, row sums, widening), multiplied by the GEMM variant of the
 * path, and requantized by the shared epilogue — bit for bit the reference of the path's engine.
 * @module
 */
import type { NumericsFamily } from "../reference/engine.ts";
import { reciprocalF32 } from "../reference/float32.ts";
import {
  chooseDynamicQParams,
  columnOffsets,
  dynamicMultiplier,
  fbgemmScaleTerms,
  type LinearWeight,
  qnnpackScaleTerms,
  type StaticLinearParams,
} from "../reference/quantized_linear.ts";
import { buildDynamicQuantize, type DynamicQuantizeExports } from "./quantize/dynamic.ts";
import { buildQuantize, type QuantizeExports } from "./quantize/generate.ts";
import type { Block } from "./memory.ts";
import { buildEpilogue, type EpilogueExports } from "./qgemm/epilogue.ts";
import { buildQGemm, type QGemmExports, qgemmName } from "./qgemm/generate.ts";
import {
  NR,
  packedBlockBytes,
  packWeights,
  paddedK,
  paddedN,
  type QGemmLayout,
  qgemmLayout,
  type QGemmVariant,
} from "./qgemm/layout.ts";
import type { KernelRuntime } from "./runtime.ts";

/** How a path computes int8 linear layers. */
export interface QLinearPathConfig {
  /** The path's name (`x86`, `arm`, …). */
  readonly name: string;
  /** Which engine's numerics it reproduces. */
  readonly numerics: NumericsFamily;
  /** The GEMM variant used whenever pair saturation could matter (or always). */
  readonly variant: QGemmVariant;
  /**
   * An exact, non-saturating variant with the same packed layout, used for FBGEMM numerics
   * when saturation is proven impossible: all activation codes ≤ 127 in this call, or no weight
   * pair that could overflow int16 with codes up to 255 (checked at packing).
   */
  readonly unsaturatedVariant?: QGemmVariant;
  /** Rows per GEMM tile. */
  readonly mr: number;
  /** Test-only: a planted GEMM bug (see QGemmSpec.mutation). */
  readonly mutation?: "flip-bit";
}

/** Weights packed for one path; free() returns their memory. */
export class PackedLinear {
  /** The weight as given. */
  readonly weight: LinearWeight;
  /** K padded to the kernels' alignment. */
  readonly kPadded: number;
  /** N padded to whole tiles. */
  readonly nPadded: number;
  /** No int16 pair of this weight can saturate, whatever the activation codes. */
  readonly cannotSaturate: boolean;
  /** `Σ_k w[n,k] − wz_n·K`. */
  readonly columnOffsets: Int32Array;
  /** Packed B in kernel memory. */
  readonly packed: Block;
  /** Column parameters (colInt, rowMul, biasTerm, multiplier; nPadded each) in kernel memory. */
  readonly columns: Block;
  /** The call parameters the column block currently holds. */
  columnsKey = "";
  private freed = false;

  constructor(
    private readonly runtime: KernelRuntime,
    weight: LinearWeight,
    readonly layout: QGemmLayout,
  ) {
    const { outFeatures: n, inFeatures: k } = weight;
    this.weight = weight;
    this.kPadded = paddedK(k);
    this.nPadded = paddedN(n);
    this.cannotSaturate = !canSaturate(weight);
    this.columnOffsets = columnOffsets(weight);
    const mem = runtime.memory;
    this.packed = mem.alloc(packedBlockBytes(layout, this.kPadded) * (this.nPadded / NR));
    this.columns = mem.alloc(4 * this.nPadded * 4);
    const elements = this.kPadded * this.nPadded;
    const view = layout.bElementBytes === 1
      ? mem.i8().subarray(this.packed.ptr, this.packed.ptr + elements)
      : mem.i16().subarray(this.packed.ptr / 2, this.packed.ptr / 2 + elements);
    packWeights(layout, weight.data, n, k, view);
    // rowMul = −wz (constant); the other column arrays are filled per call.
    const i32 = mem.i32();
    const rowMul = this.columns.ptr / 4 + this.nPadded;
    const perChannel = weight.perChannel;
    i32.fill(0, this.columns.ptr / 4, this.columns.ptr / 4 + 4 * this.nPadded);
    for (let c = 0; c < n; c++) i32[rowMul + c] = -weight.zeroPoints[perChannel ? c : 0];
  }

  /** Returns the packed memory to the runtime. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.runtime.memory.release(this.packed);
    this.runtime.memory.release(this.columns);
  }
}

/** Whether some even-aligned weight pair could overflow int16 with activation codes up to 255. */
export function canSaturate(weight: LinearWeight): boolean {
  const { data, outFeatures: n, inFeatures: k } = weight;
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < k; i += 2) {
      const w0 = data[c * k + i];
      const w1 = i + 1 < k ? data[c * k + i + 1] : 0;
      const positive = Math.max(w0, 0) + Math.max(w1, 0);
      const negative = Math.min(w0, 0) + Math.min(w1, 0);
      if (255 * positive > 32767 || 255 * negative < -32768) return true;
    }
  }
  return false;
}

/** Options of a dynamic linear call. */
export interface DynamicLinearOptions {
  /** FBGEMM: quantize activations to [0, 127]. QNNPACK ignores it. */
  reduceRange: boolean;
  /** ReLU on the float output. */
  relu: boolean;
}

/** The int8 linear operations of one path. */
export class QLinearPath {
  /** The kernel names this path may run. */
  readonly kernelNames: readonly string[];
  /** The GEMM kernel the last call ran (for reports and tests). */
  lastKernel = "";
  private readonly layout: QGemmLayout;

  constructor(private readonly runtime: KernelRuntime, readonly config: QLinearPathConfig) {
    this.layout = qgemmLayout(config.variant);
    const unsat = config.unsaturatedVariant;
    if (unsat !== undefined) {
      const other = qgemmLayout(unsat);
      if (other.kr !== this.layout.kr || other.aElementBytes !== this.layout.aElementBytes) {
        throw new Error(
          `${config.name}: ${unsat} and ${config.variant} do not share a packed layout`,
        );
      }
    }
    this.kernelNames = [config.variant, ...(unsat ? [unsat] : [])].map((v) =>
      qgemmName({ layout: qgemmLayout(v), mr: config.mr })
    );
  }

  /** Whether `packed` was packed in this path's layout. */
  owns(packed: PackedLinear): boolean {
    return packed.layout === this.layout;
  }

  /** Packs a weight for this path. */
  pack(weight: LinearWeight): PackedLinear {
    return new PackedLinear(this.runtime, weight, this.layout);
  }

  /** Static quantized linear: u8 activations `[m, K]` → u8 outputs `[m, N]`. */
  linear(x: Uint8Array, m: number, packed: PackedLinear, p: StaticLinearParams): Uint8Array {
    this.stage(x, m, packed);
    const out = this.linearStaged(m, packed, p);
    return copyRows(
      this.runtime.memory.u8(),
      out,
      m,
      packed.weight.outFeatures,
      packed.nPadded,
      Uint8Array,
    );
  }

  /**
   * The A scratch rows (`m` rows of `kPadded` u8 codes, zero-padded) that `linearStaged` reads;
   * callers that produce activations in kernel memory (im2col) write them here.
   */
  stagingArea(m: number, packed: PackedLinear): Block {
    return this.runtime.scratchBlock("qlinear.a", m * packed.kPadded);
  }

  /**
   * Static linear on activations already in the staging area; returns the byte offset of the
   * output scratch (`m` rows of `nPadded` quint8 codes; the first N of each row are the outputs).
   */
  linearStaged(m: number, packed: PackedLinear, p: StaticLinearParams): number {
    const prepared = this.multiply(m, packed);
    return this.requantizeStaged(prepared.c, prepared.rowSums, m, packed, p);
  }

  /**
   * Requantizes int32 raw-code accumulators (`m` rows of `nPadded`, at byte offset `c`) with the
   * static parameters of `packed`'s weight; `rowSums` (m int32) are the activation row sums the
   * weight zero points multiply. Returns the output scratch offset (`m` × `nPadded` bytes).
   */
  requantizeStaged(
    c: number,
    rowSums: number,
    m: number,
    packed: PackedLinear,
    p: StaticLinearParams,
  ): number {
    const prepared = { c, rowSums };
    this.staticColumns(packed, p);
    const out = this.runtime.scratchBlock("qlinear.out", m * packed.nPadded);
    const lower = p.relu ? p.outputZeroPoint : 0;
    this.epilogue().requant_u8(
      prepared.c,
      out.ptr,
      prepared.rowSums,
      packed.columns.ptr,
      m,
      packed.nPadded,
      p.outputZeroPoint,
      lower,
    );
    return out.ptr;
  }

  /**
   * The epilogue's column arrays of `packed` for static parameters `p` (filled on first use and
   * when `p` changes): four `nPadded` arrays colInt, rowMul, biasTerm, multiplier. Kernels that
   * fuse the requantization (depthwise) read them.
   */
  staticColumns(packed: PackedLinear, p: StaticLinearParams): Block {
    const key = `s|${p.inputScale}|${p.inputZeroPoint}|${p.outputScale}`;
    if (packed.columnsKey !== key) {
      this.fillStaticColumns(packed, p);
      packed.columnsKey = key;
    }
    return packed.columns;
  }

  /** Dynamic quantized linear: float activations `[m, K]` → float outputs `[m, N]`. */
  linearDynamic(
    x: Float32Array,
    m: number,
    packed: PackedLinear,
    o: DynamicLinearOptions,
  ): Float32Array {
    const act = this.quantizeActivations(x, m, packed, o.reduceRange);
    const prepared = this.multiply(m, packed);
    const key = `d|${act.scale}|${act.zeroPoint}`;
    if (packed.columnsKey !== key) {
      this.dynamicColumns(packed, act.scale, act.zeroPoint);
      packed.columnsKey = key;
    }
    const out = this.runtime.scratchBlock("qlinear.outf", m * packed.nPadded * 4);
    const flags = (o.relu ? 1 : 0) | (packed.weight.bias !== null ? 2 : 0);
    this.epilogue().requant_f32(
      prepared.c,
      out.ptr,
      prepared.rowSums,
      packed.columns.ptr,
      m,
      packed.nPadded,
      flags,
    );
    return copyRows(
      this.runtime.memory.f32(),
      out.ptr / 4,
      m,
      packed.weight.outFeatures,
      packed.nPadded,
      Float32Array,
    );
  }

  /** Copies u8 activations into the staging area's padded rows. */
  private stage(x: Uint8Array, m: number, packed: PackedLinear): void {
    const { kPadded: kp } = packed;
    const k = packed.weight.inFeatures;
    if (x.length !== m * k) {
      throw new RangeError(`x: expected ${m}×${k} = ${m * k} codes, got ${x.length}`);
    }
    const a = this.stagingArea(m, packed);
    const u8 = this.runtime.memory.u8();
    if (kp === k) u8.set(x, a.ptr);
    else {
      for (let row = 0; row < m; row++) {
        const at = a.ptr + row * kp;
        u8.set(x.subarray(row * k, row * k + k), at);
        u8.fill(0, at + k, at + kp);
      }
    }
  }

  /**
   * Quantizes float activations into the padded A rows as the engine's dynamic linear does
   * (min/max, ChooseQuantizationParams, quantize) and returns the chosen qparams.
   */
  private quantizeActivations(
    x: Float32Array,
    m: number,
    packed: PackedLinear,
    reduceRange: boolean,
  ): { scale: number; zeroPoint: number } {
    const { kPadded: kp } = packed;
    const k = packed.weight.inFeatures;
    const length = m * k;
    if (x.length !== length) {
      throw new RangeError(`x: expected ${m}×${k} = ${length} values, got ${x.length}`);
    }
    const rt = this.runtime;
    const padded = Math.max(16, Math.ceil(length / 16) * 16);
    const xs = rt.scratchBlock("qlinear.x", padded * 4);
    const codes = rt.scratchBlock("qlinear.codes", padded);
    const minmax = rt.scratchBlock("qlinear.minmax", 8);
    const a = rt.scratchBlock("qlinear.a", m * kp);
    const f = rt.memory.f32();
    f.set(x, xs.ptr / 4);
    f.fill(length > 0 ? x[0] : 0, xs.ptr / 4 + length, xs.ptr / 4 + padded); // neutral for min/max
    const dq = this.dynamicKernels();
    let min = 0;
    let max = 0;
    if (length > 0) {
      dq.minmax(xs.ptr, padded, minmax.ptr);
      const view = rt.memory.f32();
      min = view[minmax.ptr / 4];
      max = view[minmax.ptr / 4 + 1];
    }
    const engine = this.config.numerics === "fbgemm" ? "fbgemm" : "qnnpack";
    const { scale, zeroPoint } = chooseDynamicQParams(min, max, engine, reduceRange);
    const inv = reciprocalF32(scale);
    if (engine === "fbgemm") dq.quantize_fbgemm(xs.ptr, codes.ptr, padded, inv, zeroPoint);
    else {
      const q = rt.instance<QuantizeExports>("quantize", buildQuantize);
      q.quantize(xs.ptr, codes.ptr, padded, inv, zeroPoint, 0, 255, 0);
    }
    const u8 = rt.memory.u8();
    for (let row = 0; row < m; row++) {
      const at = a.ptr + row * kp;
      u8.copyWithin(at, codes.ptr + row * k, codes.ptr + row * k + k);
      u8.fill(0, at + k, at + kp);
    }
    return { scale, zeroPoint };
  }

  private dynamicKernels(): DynamicQuantizeExports {
    const fusedMadd = this.runtime.features.relaxedMaddFused === true && this.layout.relaxed;
    return this.runtime.instance<DynamicQuantizeExports>(
      `dynamic-quantize|${fusedMadd ? "fma" : "emulated"}`,
      () => buildDynamicQuantize({ fusedMadd }),
    );
  }

  /** Sums the padded A rows (widening them if needed) and runs the GEMM; returns scratch offsets. */
  private multiply(m: number, packed: PackedLinear): { c: number; rowSums: number } {
    const { kPadded: kp, nPadded: np } = packed;
    const rt = this.runtime;
    const widen = this.layout.aElementBytes === 2;
    const a = rt.scratchBlock("qlinear.a", m * kp);
    const a16 = widen ? rt.scratchBlock("qlinear.a16", m * kp * 2) : a;
    const rowSums = rt.scratchBlock("qlinear.rowsums", m * 4);
    const c = rt.scratchBlock("qlinear.c", m * np * 4);
    const maxCode = this.epilogue().prepare(a.ptr, a16.ptr, rowSums.ptr, m, kp, widen ? 1 : 0);
    const unsaturated = this.config.unsaturatedVariant !== undefined &&
      (maxCode <= 127 || packed.cannotSaturate);
    const variant = unsaturated ? this.config.unsaturatedVariant! : this.config.variant;
    const layout = qgemmLayout(variant);
    const mr = this.config.mr;
    this.lastKernel = qgemmName({ layout, mr });
    const mutation = this.config.mutation;
    const gemm = rt.instance<QGemmExports>(
      `${this.lastKernel}|k${kp}${mutation ? `|${mutation}` : ""}`,
      () => buildQGemm({ layout, mr, kPadded: kp, mutation }),
    ).gemm;
    gemm(a16.ptr, packed.packed.ptr, c.ptr, m, np / NR, np * 4);
    return { c: c.ptr, rowSums: rowSums.ptr };
  }

  private epilogue(): EpilogueExports {
    return this.runtime.instance<EpilogueExports>("qgemm.epilogue", buildEpilogue);
  }

  /** Fills colInt, biasTerm and multiplier for a static call (rowMul is constant). */
  private fillStaticColumns(packed: PackedLinear, p: StaticLinearParams): void {
    const { weight, nPadded: np } = packed;
    const mem = this.runtime.memory;
    const base = packed.columns.ptr / 4;
    const i32 = mem.i32();
    const f32 = mem.f32();
    const n = weight.outFeatures;
    const za = p.inputZeroPoint;
    if (this.config.numerics === "fbgemm") {
      const terms = fbgemmScaleTerms(weight, p.inputScale, p.outputScale);
      for (let c = 0; c < n; c++) {
        i32[base + c] = -Math.imul(za, packed.columnOffsets[c]);
        f32[base + 2 * np + c] = terms.biasTerms?.[c] ?? 0;
        f32[base + 3 * np + c] = terms.multipliers[c];
      }
    } else {
      // Raw-code accumulators: Σ(a−za)(w−wz) = acc − za·colOffset − wz·rowSum (+ the int32 bias).
      const terms = qnnpackScaleTerms(weight, p.inputScale, p.outputScale);
      for (let c = 0; c < n; c++) {
        i32[base + c] = (terms.biasInt32[c] - Math.imul(za, packed.columnOffsets[c])) | 0;
        f32[base + 2 * np + c] = 0;
        f32[base + 3 * np + c] = terms.multipliers[c];
      }
    }
  }

  /** Fills the column arrays for a dynamic call. */
  private dynamicColumns(packed: PackedLinear, scale: number, zeroPoint: number): void {
    const { weight, nPadded: np } = packed;
    const mem = this.runtime.memory;
    const base = packed.columns.ptr / 4;
    const i32 = mem.i32();
    const f32 = mem.f32();
    const perChannel = weight.perChannel;
    for (let c = 0; c < weight.outFeatures; c++) {
      i32[base + c] = -Math.imul(zeroPoint, packed.columnOffsets[c]);
      f32[base + 2 * np + c] = weight.bias?.[c] ?? 0;
      f32[base + 3 * np + c] = dynamicMultiplier(weight.scales[perChannel ? c : 0], scale);
    }
  }
}

function copyRows<T extends Uint8Array | Float32Array>(
  view: T,
  start: number,
  m: number,
  n: number,
  stride: number,
  Out: { new (length: number): T },
): T {
  const out = new Out(m * n);
  if (n === stride) out.set(view.subarray(start, start + m * n) as never);
  else {
    for (let row = 0; row < m; row++) {
      out.set(view.subarray(start + row * stride, start + row * stride + n) as never, row * n);
    }
  }
  return out;
}
