/**
 * The int8 linear layer on the generated kernels: weights packed once, then per call the
 * activations are prepared (padding, row sums, widening), multiplied by the GEMM variant of the
 * path, and requantized by the shared epilogue — bit for bit the reference of the path's engine.
 * @module
 */
import type { Numerics } from "../reference/engine.ts";
import { f32, reciprocalF32 } from "../reference/float32.ts";
import { checkOnednnWeight, onednnScaleTerms } from "../reference/onednn.ts";
import {
  chooseDynamicQParams,
  columnOffsets,
  dynamicMultiplier,
  fbgemmScaleTerms,
  type LinearWeight,
  qnnpackScaleTerms,
  type StaticLinearParams,
} from "../reference/quantized_linear.ts";
import {
  buildDynamicQuantize,
  type DynamicQuantizeExports,
  dynamicQuantizeName,
  type DynamicQuantizeSpec,
} from "./quantize/dynamic.ts";
import type { MulAddKind } from "./fma.ts";
import { buildQuantize, type QuantizeExports } from "./quantize/generate.ts";
import type { Block } from "./memory.ts";
import {
  buildEpilogue,
  COLUMN_SLOTS,
  type ColumnArray,
  columnArray,
  type EpilogueExports,
  REQUANT_FLAGS,
} from "./qgemm/epilogue.ts";
import { type RequantArithmetic, requantArithmetic } from "./qgemm/requant.ts";
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
  readonly numerics: Numerics;
  /** The GEMM variant used whenever pair saturation could matter (or always). */
  readonly variant: QGemmVariant;
  /**
   * An exact, non-saturating variant with the same packed layout, used for FBGEMM numerics
   * when saturation is proven impossible: all activation codes ≤ 127 in this call, or no weight
   * pair that could overflow int16 with codes up to 255 (checked at packing).
   */
  readonly unsaturatedVariant?: QGemmVariant;
  /**
   * A saturating variant with the same packed layout, for the convolutions FBGEMM runs on its
   * depthwise kernels when the path's own GEMM is exact (`fbgemm_avx512_vnni`: those kernels
   * are AVX2 code on every CPU and saturate int16 pairs).
   */
  readonly saturatingVariant?: QGemmVariant;
  /** Rows per GEMM tile. */
  readonly mr: number;
  /** Whether the path may use relaxed SIMD (a fused `relaxed_madd` where the probe proved it). */
  readonly relaxed: boolean;
  /**
   * The float requantization the epilogue and the depthwise kernel emit; default the path's
   * numerics (`requantArithmetic`). Tests hand in wrapped ones to plant bugs.
   */
  readonly requant?: RequantArithmetic;
  /**
   * How the dynamic quantizer computes `x·scale + zp`; default the numerics' (FBGEMM fused,
   * oneDNN not). Tests hand in the other kind to plant a one-ulp bug.
   */
  readonly quantizeMulAdd?: MulAddKind;
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
  /** Column parameters (`COLUMN_LAYOUT`, nPadded each) in kernel memory. */
  readonly columns: Block;
  /** The call parameters the column block currently holds. */
  columnsKey = "";
  #freed = false;

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
    [this.packed, this.columns] = mem.allocAll([
      [packedBlockBytes(layout, this.kPadded) * (this.nPadded / NR), "packed linear weight"],
      [COLUMN_SLOTS * this.nPadded * 4, "linear column parameters"],
    ]);
    const elements = this.kPadded * this.nPadded;
    const view = layout.bElementBytes === 1
      ? mem.i8().subarray(this.packed.ptr, this.packed.ptr + elements)
      : mem.i16().subarray(this.packed.ptr / 2, this.packed.ptr / 2 + elements);
    packWeights(layout, weight.data, n, k, view);
    // rowMul = −wz (constant); the other column arrays are filled per call.
    const i32 = mem.i32();
    const rowMul = this.columns.ptr / 4 + columnArray("rowMul") * this.nPadded;
    const perChannel = weight.perChannel;
    i32.fill(0, this.columns.ptr / 4, this.columns.ptr / 4 + COLUMN_SLOTS * this.nPadded);
    for (let c = 0; c < n; c++) i32[rowMul + c] = -weight.zeroPoints[perChannel ? c : 0];
  }

  /** Returns the packed memory to the runtime. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.runtime.memory.release(this.packed);
    this.runtime.memory.release(this.columns);
  }

  /** Whether `free()` was called. */
  get freed(): boolean {
    return this.#freed;
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
  /** The float requantization of the path's numerics. */
  readonly requant: RequantArithmetic;

  constructor(private readonly runtime: KernelRuntime, readonly config: QLinearPathConfig) {
    this.layout = qgemmLayout(config.variant);
    this.requant = config.requant ?? requantArithmetic(config.numerics, this.fusedMadd);
    const others = [config.unsaturatedVariant, config.saturatingVariant].filter((v) =>
      v !== undefined
    );
    for (const other of others) {
      const layout = qgemmLayout(other);
      if (layout.kr !== this.layout.kr || layout.aElementBytes !== this.layout.aElementBytes) {
        throw new Error(
          `${config.name}: ${other} and ${config.variant} do not share a packed layout`,
        );
      }
    }
    this.kernelNames = [config.variant, ...others].map((v) =>
      qgemmName({ layout: qgemmLayout(v), mr: config.mr })
    );
  }

  /** Whether `packed` was packed in this path's layout. */
  owns(packed: PackedLinear): boolean {
    return packed.layout === this.layout;
  }

  /** Whether this path may use `relaxed_madd` as a fused multiply-add (probed). */
  get fusedMadd(): boolean {
    return this.config.relaxed && this.runtime.features.relaxedMaddFused === true;
  }

  /**
   * Packs a weight for this path.
   * @throws {RangeError} (onednn numerics) for a weight zero point other than 0.
   */
  pack(weight: LinearWeight): PackedLinear {
    if (this.config.numerics === "onednn") checkOnednnWeight(weight.zeroPoints);
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
  linearStaged(
    m: number,
    packed: PackedLinear,
    p: StaticLinearParams,
    fbgemmDepthwise = false,
  ): number {
    const prepared = this.multiply(m, packed, fbgemmDepthwise);
    return this.requantizeStaged(prepared.c, prepared.rowSums, m, packed, p);
  }

  /**
   * The GEMM variant of one call: the path's own, or for a convolution FBGEMM runs on its
   * depthwise kernels (`fbgemmDepthwise`) the saturating one; a saturating variant gives way to
   * its exact twin where no pair can saturate (`unsaturated`: codes ≤ 127 or the weight).
   */
  chooseVariant(fbgemmDepthwise: boolean, unsaturated: () => boolean): QGemmVariant {
    const { variant, unsaturatedVariant, saturatingVariant } = this.config;
    const saturating = fbgemmDepthwise && saturatingVariant !== undefined;
    const chosen = saturating ? saturatingVariant : variant;
    const exact = saturating ? variant : unsaturatedVariant;
    return qgemmLayout(chosen).saturating && exact !== undefined && unsaturated() ? exact : chosen;
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
    this.staticColumns(packed, p);
    const out = this.runtime.scratchBlock("qlinear.out", m * packed.nPadded);
    const lower = p.relu ? p.outputZeroPoint : 0;
    this.epilogue().requant_u8(
      c,
      out.ptr,
      rowSums,
      packed.columns.ptr,
      m,
      packed.nPadded,
      p.outputZeroPoint,
      lower,
      this.biasFlag(packed),
    );
    return out.ptr;
  }

  /** The epilogue's bias flags for a packed weight (`REQUANT_FLAGS`). */
  biasFlag(packed: PackedLinear): number {
    const { bias, perChannel } = packed.weight;
    if (bias === null) return 0;
    const fbgemm = this.config.numerics === "fbgemm" ||
      this.config.numerics === "fbgemm_avx512_vnni";
    return REQUANT_FLAGS.bias | (fbgemm && !perChannel ? REQUANT_FLAGS.biasProduct : 0);
  }

  /**
   * The epilogue's column arrays of `packed` for static parameters `p` (filled on first use and
   * when `p` changes): `COLUMN_LAYOUT`, nPadded each. Kernels that fuse the requantization
   * (depthwise) read them.
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
    const key = `d|${act.exactScale}|${act.zeroPoint}`;
    if (packed.columnsKey !== key) {
      this.dynamicColumns(packed, act);
      packed.columnsKey = key;
    }
    const out = this.runtime.scratchBlock("qlinear.outf", m * packed.nPadded * 4);
    const flags = (o.relu ? REQUANT_FLAGS.relu : 0) | this.biasFlag(packed);
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
  ): { scale: number; exactScale: number; zeroPoint: number } {
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
    const numerics = this.config.numerics;
    const chosen = chooseDynamicQParams(min, max, numerics, reduceRange);
    const { scale, exactScale, zeroPoint } = chosen;
    if (numerics === "qnnpack") {
      const q = rt.instance<QuantizeExports>("quantize", buildQuantize);
      q.quantize(xs.ptr, codes.ptr, padded, reciprocalF32(scale), zeroPoint, 0, 255, 0);
    } else {
      // oneDNN multiplies by its reciprocal of the double scale, FBGEMM by f32(1/f32(scale)).
      const s = numerics === "onednn" ? f32(1 / exactScale) : reciprocalF32(scale);
      dq.quantize(xs.ptr, codes.ptr, padded, s, zeroPoint);
    }
    const u8 = rt.memory.u8();
    for (let row = 0; row < m; row++) {
      const at = a.ptr + row * kp;
      u8.copyWithin(at, codes.ptr + row * k, codes.ptr + row * k + k);
      u8.fill(0, at + k, at + kp);
    }
    return chosen;
  }

  /** The dynamic quantizer of this path's numerics (QNNPACK's uses only its minmax). */
  private dynamicKernels(): DynamicQuantizeExports {
    const onednn = this.config.numerics === "onednn";
    const spec: DynamicQuantizeSpec = {
      engine: onednn ? "onednn" : "fbgemm",
      mulAdd: this.config.quantizeMulAdd ??
        (onednn ? "unfused" : this.fusedMadd ? "fused-relaxed" : "fused-emulated"),
    };
    return this.runtime.instance<DynamicQuantizeExports>(
      dynamicQuantizeName(spec),
      () => buildDynamicQuantize(spec),
    );
  }

  /** Sums the padded A rows (widening them if needed) and runs the GEMM; returns scratch offsets. */
  private multiply(
    m: number,
    packed: PackedLinear,
    fbgemmDepthwise = false,
  ): { c: number; rowSums: number } {
    const { kPadded: kp, nPadded: np } = packed;
    const rt = this.runtime;
    const widen = this.layout.aElementBytes === 2;
    const a = rt.scratchBlock("qlinear.a", m * kp);
    const a16 = widen ? rt.scratchBlock("qlinear.a16", m * kp * 2) : a;
    const rowSums = rt.scratchBlock("qlinear.rowsums", m * 4);
    const c = rt.scratchBlock("qlinear.c", m * np * 4);
    const maxCode = this.epilogue().prepare(a.ptr, a16.ptr, rowSums.ptr, m, kp, widen ? 1 : 0);
    const variant = this.chooseVariant(
      fbgemmDepthwise,
      () => maxCode <= 127 || packed.cannotSaturate,
    );
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

  /** The epilogue module of this path's arithmetic. */
  epilogue(): EpilogueExports {
    return this.runtime.instance<EpilogueExports>(
      `qgemm.epilogue|${this.requant.name}`,
      () => buildEpilogue(this.requant),
    );
  }

  /** Fills the column arrays but rowMul (constant) for a static call. */
  private fillStaticColumns(packed: PackedLinear, p: StaticLinearParams): void {
    const { weight } = packed;
    const n = weight.outFeatures;
    const za = p.inputZeroPoint;
    const colInt = Int32Array.from(
      { length: n },
      (_, c) => -Math.imul(za, packed.columnOffsets[c]),
    );
    const numerics = this.config.numerics;
    if (numerics === "qnnpack") {
      // Raw-code accumulators: Σ(a−za)(w−wz) = acc − za·colOffset − wz·rowSum (+ the int32 bias).
      const terms = qnnpackScaleTerms(weight, p.inputScale, p.outputScale);
      for (let c = 0; c < n; c++) colInt[c] = (colInt[c] + terms.biasInt32[c]) | 0;
      this.writeColumns(packed, { colInt, multiplier: terms.multipliers });
    } else if (numerics === "onednn") {
      const terms = onednnScaleTerms({
        weightScales: weight.scales,
        perChannel: weight.perChannel,
        columns: n,
        bias: weight.bias,
        inputScale: p.inputScale,
        outputScale: p.outputScale,
      });
      this.writeColumns(packed, {
        colInt,
        biasTerm: terms.biasTerms,
        multiplier: terms.multipliers,
      });
    } else {
      const terms = fbgemmScaleTerms(weight, p.inputScale, p.outputScale);
      this.writeColumns(packed, {
        colInt,
        biasTerm: terms.biasTerms,
        biasScale: terms.biasScales,
        multiplier: terms.multipliers,
      });
    }
  }

  /** Fills the column arrays for a dynamic call with the chosen activation qparams. */
  private dynamicColumns(
    packed: PackedLinear,
    act: { scale: number; exactScale: number; zeroPoint: number },
  ): void {
    const { weight } = packed;
    const n = weight.outFeatures;
    const colInt = Int32Array.from(
      { length: n },
      (_, c) => -Math.imul(act.zeroPoint, packed.columnOffsets[c]),
    );
    if (this.config.numerics === "onednn") {
      const terms = onednnScaleTerms({
        weightScales: weight.scales,
        perChannel: weight.perChannel,
        columns: n,
        bias: weight.bias,
        inputScale: act.exactScale,
        outputScale: null,
      });
      this.writeColumns(packed, {
        colInt,
        biasTerm: terms.biasTerms,
        multiplier: terms.multipliers,
      });
      return;
    }
    const perChannel = weight.perChannel;
    const multiplier = Float32Array.from(
      { length: n },
      (_, c) => dynamicMultiplier(weight.scales[perChannel ? c : 0], act.scale),
    );
    this.writeColumns(packed, { colInt, biasTerm: weight.bias, multiplier });
  }

  /**
   * Writes column arrays (the padding columns and absent arrays get 0; biasScale 1) and the exact
   * float64 product biasTerm·biasScale.
   */
  private writeColumns(
    packed: PackedLinear,
    arrays: {
      colInt: Int32Array;
      multiplier: Float32Array;
      biasTerm?: ArrayLike<number> | null;
      biasScale?: ArrayLike<number> | null;
    },
  ): void {
    const { nPadded: np } = packed;
    const base = packed.columns.ptr / 4;
    const mem = this.runtime.memory;
    const i32 = mem.i32();
    const f = mem.f32();
    const at = (name: ColumnArray) => base + columnArray(name) * np;
    i32.fill(0, at("colInt"), at("colInt") + np);
    i32.set(arrays.colInt, at("colInt"));
    f.fill(0, at("multiplier"), at("multiplier") + np);
    f.set(arrays.multiplier, at("multiplier"));
    f.fill(0, at("biasTerm"), at("biasTerm") + np);
    if (arrays.biasTerm) f.set(arrays.biasTerm, at("biasTerm"));
    f.fill(1, at("biasScale"), at("biasScale") + np);
    if (arrays.biasScale) f.set(arrays.biasScale, at("biasScale"));
    // Products of two float32 values are exact in float64.
    const product = at("biasProduct") / 2;
    const d = mem.f64();
    for (let c = 0; c < np; c++) d[product + c] = f[at("biasTerm") + c] * f[at("biasScale") + c];
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
