/**
 * The fp32 linear layer on generated SIMD kernels: the baseline the int8 speedups are measured
 * against, so it is tuned as hard as the int8 path (register tile 2×16, packed B, A splatted
 * by shuffles, `f32x4.relaxed_madd` where the engine fuses it).
 * @module
 */
import type { Block } from "./memory.ts";
import { checkNotFreed } from "./kernel_set.ts";
import type { KernelRuntime } from "./runtime.ts";
import {
  buildSGemm,
  packSgemmWeights,
  type SGemmExports,
  sgemmName,
  type SGemmSpec,
} from "./sgemm/generate.ts";

/** An fp32 weight `[N, K]` (+ bias) packed for the fp32 kernels. */
export class PackedFp32Linear {
  /** K rounded up to a multiple of 4. */
  readonly kPadded: number;
  /** N rounded up to whole tiles. */
  readonly nPadded: number;
  /** The packed weight in kernel memory. */
  readonly packed: Block;
  /** The bias (zeros if none), nPadded floats in kernel memory. */
  readonly bias: Block;
  #freed = false;

  /** Packs `weight` `[outFeatures, inFeatures]` in blocks of `nr` columns (use Fp32Linear.pack). */
  constructor(
    private readonly runtime: KernelRuntime,
    /** N. */
    readonly outFeatures: number,
    /** K. */
    readonly inFeatures: number,
    weight: Float32Array,
    bias: Float32Array | null,
    nr: number,
  ) {
    if (weight.length !== outFeatures * inFeatures) {
      throw new RangeError(
        `weight: expected ${outFeatures}×${inFeatures} values, got ${weight.length}`,
      );
    }
    if (bias !== null && bias.length !== outFeatures) {
      throw new RangeError(`bias: expected ${outFeatures} values, got ${bias.length}`);
    }
    this.kPadded = Math.ceil(inFeatures / 4) * 4;
    this.nPadded = Math.ceil(outFeatures / nr) * nr;
    const mem = runtime.memory;
    [this.packed, this.bias] = mem.allocAll([
      [this.kPadded * this.nPadded * 4, "packed fp32 linear weight"],
      [this.nPadded * 4, "fp32 linear bias"],
    ]);
    const f = mem.f32();
    packSgemmWeights(weight, outFeatures, inFeatures, nr, f.subarray(this.packed.ptr / 4));
    f.fill(0, this.bias.ptr / 4, this.bias.ptr / 4 + this.nPadded);
    if (bias !== null) f.set(bias, this.bias.ptr / 4);
  }

  /** Returns the packed memory. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.runtime.memory.release(this.packed);
    this.runtime.memory.release(this.bias);
  }

  /** Whether `free()` was called: the fp32 kernels refuse the weight afterwards. */
  get freed(): boolean {
    return this.#freed;
  }
}

/** fp32 `y = x·Wᵀ + b` on the generated kernels. */
export class Fp32Linear {
  /** The kernel this runs, e.g. `f32_gemm_2x16__wasmrelaxedsimd_fma`. */
  readonly kernelName: string;
  private readonly spec: Omit<SGemmSpec, "kPadded">;

  /**
   * An fp32 linear on `runtime`.
   * @param options.relaxedMadd use `f32x4.relaxed_madd` (default: where the probe found it fused)
   */
  constructor(private readonly runtime: KernelRuntime, options: { relaxedMadd?: boolean } = {}) {
    const relaxedMadd = options.relaxedMadd ?? runtime.features.relaxedMaddFused === true;
    this.spec = { mr: 2, nr: 16, relaxedMadd };
    this.kernelName = sgemmName(this.spec);
  }

  /** Packs a weight `[N, K]` and optional bias `[N]`. */
  pack(
    weight: Float32Array,
    outFeatures: number,
    inFeatures: number,
    bias: Float32Array | null = null,
  ): PackedFp32Linear {
    return new PackedFp32Linear(this.runtime, outFeatures, inFeatures, weight, bias, this.spec.nr);
  }

  /** `[m, K]` → `[m, N]`, with a fused ReLU when `relu`. */
  linear(x: Float32Array, m: number, packed: PackedFp32Linear, relu = false): Float32Array {
    checkNotFreed("Fp32Linear.linear", "packed", packed);
    const { kPadded: kp, nPadded: np, inFeatures: k, outFeatures: n } = packed;
    if (x.length !== m * k) throw new RangeError(`x: expected ${m}×${k} values, got ${x.length}`);
    const a = this.stagingArea(m, packed);
    const f = this.runtime.memory.f32();
    if (kp === k) f.set(x, a.ptr / 4);
    else {
      for (let row = 0; row < m; row++) {
        const at = a.ptr / 4 + row * kp;
        f.set(x.subarray(row * k, row * k + k), at);
        f.fill(0, at + k, at + kp);
      }
    }
    const c = this.linearStaged(m, packed, relu) / 4;
    const view = this.runtime.memory.f32();
    const out = new Float32Array(m * n);
    if (n === np) out.set(view.subarray(c, c + m * n));
    else {
      for (let row = 0; row < m; row++) {
        out.set(view.subarray(c + row * np, c + row * np + n), row * n);
      }
    }
    return out;
  }

  /** The A scratch (`m` rows of `kPadded` floats, zero-padded) that `linearStaged` reads. */
  stagingArea(m: number, packed: PackedFp32Linear): Block {
    return this.runtime.scratchBlock("sgemm.a", m * packed.kPadded * 4);
  }

  /**
   * Runs on the staged rows (with a fused ReLU when `relu`); returns the byte offset of `m` rows
   * of `nPadded` output floats.
   */
  linearStaged(m: number, packed: PackedFp32Linear, relu = false): number {
    const kp = packed.kPadded;
    const a = this.stagingArea(m, packed);
    const c = this.runtime.scratchBlock("sgemm.c", m * packed.nPadded * 4);
    const gemm = this.runtime.instance<SGemmExports>(
      `${this.kernelName}|k${kp}${relu ? "|relu" : ""}`,
      () => buildSGemm({ ...this.spec, kPadded: kp, relu }),
    ).gemm;
    gemm(
      a.ptr,
      packed.packed.ptr,
      packed.bias.ptr,
      c.ptr,
      m,
      packed.nPadded / this.spec.nr,
      packed.nPadded * 4,
    );
    return c.ptr;
  }
}
