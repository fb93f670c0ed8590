/**
 * Generates the int8 GEMM micro-kernels: `C[m, n] = Σ_k A[m, k]·B[k, n]` over raw codes, int32
 * results, for one of the variants of `layout.ts`, specialised to a tile of MR rows × NR = 8
 * columns and to a padded K (so that row strides are immediates).
 *
 * Loop order (XNNPACK style): for each 8-column block of packed B, for each MR-row block of A,
 * accumulate 2·MR v128 int32 accumulators over K, then store them. A rows are read as full
 * 16-byte vectors and their 4- or 8-byte groups splatted with `i8x16.shuffle`: Deno runs wasm
 * without the trap handler, so each load costs a bounds check and loads per MAC matter most
 * (docs/kernels.md §Deno runs wasm without the trap handler).
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder, splatLane } from "../wasm/mod.ts";
import { K_ALIGN, NR, packedBlockBytes, type QGemmLayout } from "./layout.ts";

/** What the generated module exports. */
export interface QGemmExports {
  /**
   * `gemm(a, b, c, m, nBlocks, ldc)`: A at byte offset `a` (rows `kPadded·aElementBytes` bytes
   * apart), packed B at `b`, int32 C at `c` (rows `ldc` bytes apart, NR·4 bytes per block).
   */
  gemm(a: number, b: number, c: number, m: number, nBlocks: number, ldc: number): void;
}

/** Generator parameters. */
export interface QGemmSpec {
  readonly layout: QGemmLayout;
  /** Rows per tile (1…4). */
  readonly mr: number;
  /** K rounded up to K_ALIGN. */
  readonly kPadded: number;
  /**
   * Test-only: plant a bug so tests can show that conformance catches it. `flip-bit` flips bit 0
   * of column 0's accumulator in the first row of every tile.
   */
  readonly mutation?: "flip-bit";
  /** Accumulator chains for a one-row tile (default: one per sub-step of an A load, at most 4). */
  readonly singleRowChains?: number;
}

/** The kernel's XNNPACK-style name, e.g. `qu8s8_gemm_fp32_4x8c4__wasmrelaxedsimd_usdot`. */
export function qgemmName(spec: Pick<QGemmSpec, "layout" | "mr">): string {
  return `qu8s8_gemm_fp32_${spec.mr}x${NR}c${spec.layout.kr}__${spec.layout.suffix}`;
}

/** Builds the module (imports `env.memory`). */
export function buildQGemm(spec: QGemmSpec): ModuleBuilder {
  const { mr, kPadded } = spec;
  if (!(mr >= 1 && mr <= 4)) throw new RangeError(`mr must be 1…4, got ${mr}`);
  if (kPadded % K_ALIGN !== 0) throw new RangeError(`kPadded must be a multiple of ${K_ALIGN}`);
  const m = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = m.function("gemm", {
    params: ["i32", "i32", "i32", "i32", "i32", "i32"],
    paramNames: ["a", "b", "c", "m", "nBlocks", "ldc"],
  });
  new QGemmEmitter(f, spec).emit();
  m.exportFunction(f);
  return m;
}

class QGemmEmitter {
  private readonly f: FunctionBuilder;
  private readonly layout: QGemmLayout;
  private readonly mr: number;
  private readonly lda: number; // bytes between A rows
  private readonly aStepBytes: number; // A bytes per k-step
  private readonly bStepBytes: number; // B bytes per k-step (all NR columns)
  private readonly stepsPerLoad: number; // k-steps covered by one 16-byte A load
  private readonly kSteps: number;
  // acc[row][chain][v]: tiles with few rows keep several independent chains per column
  // vector (summed at the end), so the dot products' latency does not serialise the loop.
  private readonly acc: Local[][][] = [];
  private readonly aVec: Local[] = [];
  private readonly bVec: Local[] = [];
  /** The int16 bounds of the dot16c2sat step. */
  private bounds: Local[] = [];
  private readonly mutation: QGemmSpec["mutation"];
  private readonly singleRowChains: number | undefined;

  constructor(f: FunctionBuilder, spec: QGemmSpec) {
    this.f = f;
    this.mutation = spec.mutation;
    this.singleRowChains = spec.singleRowChains;
    this.layout = spec.layout;
    this.mr = spec.mr;
    this.lda = spec.kPadded * spec.layout.aElementBytes;
    this.aStepBytes = spec.layout.kr * spec.layout.aElementBytes;
    this.bStepBytes = NR * spec.layout.kr * spec.layout.bElementBytes;
    this.stepsPerLoad = 16 / this.aStepBytes;
    this.kSteps = spec.kPadded / spec.layout.kr;
  }

  emit(): void {
    const f = this.f;
    const [a, b, c, m, nBlocks, ldc] = f.params;
    const maxChains = Math.max(...Array.from({ length: this.mr }, (_, r) => this.chains(r + 1)));
    for (let r = 0; r < this.mr; r++) {
      const chains = Array.from({ length: maxChains }, (_, ch) => [
        f.local("v128", `acc${r}a${ch}`),
        f.local("v128", `acc${r}b${ch}`),
      ]);
      this.acc.push(chains);
      this.aVec.push(f.local("v128", `a${r}`));
    }
    const bCount = this.bStepBytes / 16;
    for (let v = 0; v < bCount; v++) this.bVec.push(f.local("v128", `b${v}`));
    if (this.layout.variant === "dot16c2sat") {
      this.bounds = [f.local("v128", "int16Min"), f.local("v128", "int16Max")];
      f.v128.const("i32x4", [-32768, -32768, -32768, -32768]).localSet(this.bounds[0]);
      f.v128.const("i32x4", [32767, 32767, 32767, 32767]).localSet(this.bounds[1]);
    }
    const rows = f.local("i32", "rows");
    const pa = f.local("i32", "pa");
    const pc = f.local("i32", "pc");
    const pb = f.local("i32", "pb");
    const kEnd = f.local("i32", "kEnd");
    const blockBytes = packedBlockBytes(this.layout, this.kSteps * this.layout.kr);

    f.localGet(nBlocks).i32.eqz().if(() => void f.return());
    f.localGet(m).i32.eqz().if(() => void f.return());
    f.loop((nextBlock) => {
      f.localGet(a).localSet(pa);
      f.localGet(c).localSet(pc);
      f.localGet(m).localSet(rows);
      f.loop((nextRows) => {
        // Full tiles of MR rows; the last partial tile has MR' < MR rows.
        f.localGet(pa).i32.const(this.kSteps * this.aStepBytes).i32.add().localSet(kEnd);
        f.localGet(b).localSet(pb);
        this.tile(this.mr, pa, pb, kEnd, pc, ldc, rows);
        f.localGet(pa).i32.const(this.mr * this.lda).i32.add().localSet(pa);
        f.localGet(pc).localGet(ldc).i32.const(this.mr).i32.mul().i32.add().localSet(pc);
        f.localGet(rows).i32.const(this.mr).i32.sub().localTee(rows);
        f.i32.const(0).i32.gtS().brIf(nextRows);
      });
      f.localGet(b).i32.const(blockBytes).i32.add().localSet(b);
      f.localGet(c).i32.const(NR * 4).i32.add().localSet(c);
      f.localGet(nBlocks).i32.const(1).i32.sub().localTee(nBlocks).brIf(nextBlock);
    });
  }

  /** One tile: dispatches on the remaining rows so a partial tile computes only real rows. */
  private tile(
    mr: number,
    pa: Local,
    pb: Local,
    kEnd: Local,
    pc: Local,
    ldc: Local,
    rows: Local,
  ): void {
    const f = this.f;
    if (mr === 1) {
      this.tileBody(1, pa, pb, kEnd, pc, ldc);
      return;
    }
    f.localGet(rows).i32.const(mr).i32.geS().if(
      () => this.tileBody(mr, pa, pb, kEnd, pc, ldc),
      () => this.tile(mr - 1, pa, pb, kEnd, pc, ldc, rows),
    );
  }

  /** Independent accumulator chains per column vector for a tile of `rows` rows. */
  private chains(rows: number): number {
    if (rows === 1 && this.singleRowChains !== undefined) return this.singleRowChains;
    return Math.max(1, Math.min(this.stepsPerLoad, Math.floor(4 / rows)));
  }

  private tileBody(rows: number, pa: Local, pb: Local, kEnd: Local, pc: Local, ldc: Local): void {
    const f = this.f;
    const ka = f.local("i32", `ka${rows}`);
    const chains = this.chains(rows);
    for (let r = 0; r < rows; r++) {
      for (let ch = 0; ch < chains; ch++) {
        for (const acc of this.acc[r][ch]) f.v128.const("i32x4", [0, 0, 0, 0]).localSet(acc);
      }
    }
    f.localGet(pa).localSet(ka);
    f.loop((nextK) => {
      for (let r = 0; r < rows; r++) {
        f.localGet(ka).v128.load({ offset: r * this.lda, align: 1 }).localSet(this.aVec[r]);
      }
      for (let s = 0; s < this.stepsPerLoad; s++) {
        this.bVec.forEach((bv, v) => {
          f.localGet(pb).v128.load({ offset: s * this.bStepBytes + v * 16, align: 1 }).localSet(bv);
        });
        for (let r = 0; r < rows; r++) this.step(r, s, s % chains);
      }
      f.localGet(pb).i32.const(this.stepsPerLoad * this.bStepBytes).i32.add().localSet(pb);
      f.localGet(ka).i32.const(16).i32.add().localTee(ka).localGet(kEnd).i32.ne().brIf(nextK);
    });
    for (let r = 0; r < rows; r++) {
      for (let ch = 1; ch < chains; ch++) {
        this.acc[r][0].forEach((acc, v) => {
          f.localGet(acc).localGet(this.acc[r][ch][v]).i32x4.add().localSet(acc);
        });
      }
    }
    const pcr = f.local("i32", `pc${rows}`);
    f.localGet(pc).localSet(pcr);
    if (this.mutation === "flip-bit") {
      const acc = this.acc[0][0][0];
      f.localGet(acc).v128.const("i32x4", [1, 0, 0, 0]).v128.xor().localSet(acc);
    }
    for (let r = 0; r < rows; r++) {
      this.acc[r][0].forEach((acc, v) => {
        f.localGet(pcr).localGet(acc).v128.store({ offset: v * 16, align: 4 });
      });
      if (r + 1 < rows) f.localGet(pcr).localGet(ldc).i32.add().localSet(pcr);
    }
  }

  /** Pushes row r's A operand for sub-step s (its k-step group splatted to all lanes). */
  private aSplat(r: number, s: number): void {
    const shape = this.aStepBytes === 4 ? "i32x4" : "i64x2";
    this.f.localGet(this.aVec[r]).localGet(this.aVec[r]).i8x16.shuffle(splatLane(shape, s));
  }

  /** One k-step of one row: accumulate into the row's two accumulators of chain `ch`. */
  private step(r: number, s: number, ch: number): void {
    const f = this.f;
    const [acc0, acc1] = this.acc[r][ch];
    switch (this.layout.variant) {
      case "usdot":
        // relaxed_dot(a = weights (signed), b = activations (unsigned on x86), c = accumulator)
        for (const [v, acc] of [[0, acc0], [1, acc1]] as const) {
          f.localGet(this.bVec[v]);
          this.aSplat(r, s);
          f.localGet(acc).i32x4.relaxedDotI8x16I7x16AddS().localSet(acc);
        }
        return;
      case "x86sat":
        for (const [v, acc] of [[0, acc0], [1, acc1]] as const) {
          f.localGet(acc).localGet(this.bVec[v]);
          this.aSplat(r, s);
          f.i16x8.relaxedDotI8x16I7x16S().i32x4.extaddPairwiseI16x8S().i32x4.add().localSet(acc);
        }
        return;
      case "dot16sat":
        // Each dot lane is one column's pair sum; narrowing two dots saturates them to int16 and
        // extadd_pairwise adds a column's two pairs exactly.
        for (const [v, acc] of [[0, acc0], [1, acc1]] as const) {
          f.localGet(acc);
          this.aSplat(r, s);
          f.localGet(this.bVec[2 * v]).i32x4.dotI16x8S();
          this.aSplat(r, s);
          f.localGet(this.bVec[2 * v + 1]).i32x4.dotI16x8S();
          f.i16x8.narrowI32x4S().i32x4.extaddPairwiseI16x8S().i32x4.add().localSet(acc);
        }
        return;
      case "dot16c2sat":
        // dot16's pair sums, each clamped to int16 (FBGEMM's vpmaddubsw) before accumulating.
        for (const [v, acc] of [[0, acc0], [1, acc1]] as const) {
          f.localGet(acc);
          this.aSplat(r, s);
          f.localGet(this.bVec[v]).i32x4.dotI16x8S();
          f.localGet(this.bounds[0]).i32x4.maxS().localGet(this.bounds[1]).i32x4.minS();
          f.i32x4.add().localSet(acc);
        }
        return;
      case "dot16":
        for (const [v, acc] of [[0, acc0], [1, acc1]] as const) {
          f.localGet(acc);
          this.aSplat(r, s);
          f.localGet(this.bVec[v]).i32x4.dotI16x8S().i32x4.add().localSet(acc);
        }
        return;
    }
  }
}
