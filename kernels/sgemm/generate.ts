/**
 * Generates the fp32 GEMM micro-kernels of the baseline: `C[m, n] = Σ_k A[m, k]·B[k, n] (+ bias)`
 * with B packed in blocks of NR columns, an MR × NR register tile, and either
 * `f32x4.relaxed_madd` (one fused instruction where the engine has FMA) or `f32x4.mul` +
 * `f32x4.add`. A rows are read as full 16-byte vectors (4 k values) and each value splatted with
 * `i8x16.shuffle` (Deno's bounds-checked loads make loads per MAC the cost to minimise).
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder, splatLane } from "../wasm/mod.ts";

/** Generator parameters. */
export interface SGemmSpec {
  /** Rows per tile (1…6). */
  readonly mr: number;
  /** Columns per tile: 8 or 16. */
  readonly nr: 8 | 16;
  /** K rounded up to a multiple of 4. */
  readonly kPadded: number;
  /** Use `f32x4.relaxed_madd` (needs relaxed SIMD). */
  readonly relaxedMadd: boolean;
  /** Fuse a ReLU into the store (`max(y, 0)`), as the int8 kernels fuse theirs. */
  readonly relu?: boolean;
}

/** What the generated module exports. */
export interface SGemmExports {
  /**
   * `gemm(a, b, bias, c, m, nBlocks, ldc)`: f32 A at byte offset `a` (rows `kPadded·4` bytes
   * apart), packed B at `b`, bias (`nBlocks·NR` floats) at `bias`, f32 C at `c` (rows `ldc`
   * bytes apart).
   */
  gemm(
    a: number,
    b: number,
    bias: number,
    c: number,
    m: number,
    nBlocks: number,
    ldc: number,
  ): void;
}

/** The kernel's name, e.g. `f32_gemm_4x8__wasmrelaxedsimd_fma`. */
export function sgemmName(spec: Pick<SGemmSpec, "mr" | "nr" | "relaxedMadd">): string {
  return `f32_gemm_${spec.mr}x${spec.nr}__${
    spec.relaxedMadd ? "wasmrelaxedsimd_fma" : "wasmsimd_muladd"
  }`;
}

/** Packs f32 weights `[N, K]` into blocks: per block, per k, the NR columns' values. */
export function packSgemmWeights(
  w: Float32Array,
  n: number,
  k: number,
  nr: number,
  out: Float32Array,
): void {
  const kp = Math.ceil(k / 4) * 4;
  const blocks = Math.ceil(n / nr);
  out.fill(0, 0, blocks * kp * nr);
  let o = 0;
  for (let block = 0; block < blocks; block++) {
    for (let kk = 0; kk < kp; kk++) {
      for (let col = 0; col < nr; col++, o++) {
        const c = block * nr + col;
        if (c < n && kk < k) out[o] = w[c * k + kk];
      }
    }
  }
}

/** Builds the module (imports `env.memory`). */
export function buildSGemm(spec: SGemmSpec): ModuleBuilder {
  if (!(spec.mr >= 1 && spec.mr <= 6)) throw new RangeError(`mr must be 1…6, got ${spec.mr}`);
  if (spec.kPadded % 4 !== 0) throw new RangeError(`kPadded must be a multiple of 4`);
  const m = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = m.function("gemm", {
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    paramNames: ["a", "b", "bias", "c", "m", "nBlocks", "ldc"],
  });
  new SGemmEmitter(f, spec).emit();
  m.exportFunction(f);
  return m;
}

class SGemmEmitter {
  // acc[row][chain][v]: a one-row tile keeps several chains so FMA latency does not bind.
  private readonly acc: Local[][][] = [];
  private readonly aVec: Local[] = [];
  private readonly bVec: Local[] = [];
  private readonly nv: number; // v128 per row of the tile
  private readonly lda: number;

  constructor(private readonly f: FunctionBuilder, private readonly spec: SGemmSpec) {
    this.nv = spec.nr / 4;
    this.lda = spec.kPadded * 4;
  }

  emit(): void {
    const { f, spec } = this;
    const [a, b, bias, c, m, nBlocks, ldc] = f.params;
    for (let r = 0; r < spec.mr; r++) {
      this.acc.push(
        Array.from(
          { length: this.chains(1) },
          (_, ch) =>
            Array.from({ length: this.nv }, (_, v) => f.local("v128", `acc${r}_${v}_${ch}`)),
        ),
      );
      this.aVec.push(f.local("v128", `a${r}`));
    }
    for (let v = 0; v < this.nv; v++) this.bVec.push(f.local("v128", `b${v}`));
    const rows = f.local("i32", "rows");
    const pa = f.local("i32", "pa");
    const pc = f.local("i32", "pc");
    const pb = f.local("i32", "pb");
    const blockBytes = spec.kPadded * spec.nr * 4;

    f.localGet(nBlocks).i32.eqz().if(() => void f.return());
    f.localGet(m).i32.eqz().if(() => void f.return());
    f.loop((nextBlock) => {
      f.localGet(a).localSet(pa);
      f.localGet(c).localSet(pc);
      f.localGet(m).localSet(rows);
      f.loop((nextRows) => {
        f.localGet(b).localSet(pb);
        this.tile(spec.mr, pa, pb, pc, ldc, rows, bias);
        f.localGet(pa).i32.const(spec.mr * this.lda).i32.add().localSet(pa);
        f.localGet(pc).localGet(ldc).i32.const(spec.mr).i32.mul().i32.add().localSet(pc);
        f.localGet(rows).i32.const(spec.mr).i32.sub().localTee(rows);
        f.i32.const(0).i32.gtS().brIf(nextRows);
      });
      f.localGet(b).i32.const(blockBytes).i32.add().localSet(b);
      f.localGet(bias).i32.const(spec.nr * 4).i32.add().localSet(bias);
      f.localGet(c).i32.const(spec.nr * 4).i32.add().localSet(c);
      f.localGet(nBlocks).i32.const(1).i32.sub().localTee(nBlocks).brIf(nextBlock);
    });
  }

  private tile(
    mr: number,
    pa: Local,
    pb: Local,
    pc: Local,
    ldc: Local,
    rows: Local,
    bias: Local,
  ): void {
    const f = this.f;
    if (mr === 1) return this.tileBody(1, pa, pb, pc, ldc, bias);
    f.localGet(rows).i32.const(mr).i32.geS().if(
      () => this.tileBody(mr, pa, pb, pc, ldc, bias),
      () => this.tile(mr - 1, pa, pb, pc, ldc, rows, bias),
    );
  }

  /** Independent accumulator chains for a tile of `rows` rows (8 accumulators at most). */
  private chains(rows: number): number {
    return Math.max(1, Math.min(4, Math.floor(8 / (rows * this.nv))));
  }

  private tileBody(rows: number, pa: Local, pb: Local, pc: Local, ldc: Local, bias: Local): void {
    const { f, spec } = this;
    const ka = f.local("i32", `ka${rows}`);
    const kEnd = f.local("i32", `kEnd${rows}`);
    const chains = this.chains(rows);
    // Chain 0 starts at the bias, the others at zero.
    for (let r = 0; r < rows; r++) {
      this.acc[r][0].forEach((acc, v) =>
        f.localGet(bias).v128.load({ offset: v * 16, align: 4 }).localSet(acc)
      );
      for (let ch = 1; ch < chains; ch++) {
        for (const acc of this.acc[r][ch]) f.v128.const("f32x4", [0, 0, 0, 0]).localSet(acc);
      }
    }
    f.localGet(pa).localTee(ka).i32.const(this.lda).i32.add().localSet(kEnd);
    f.loop((nextK) => {
      for (let r = 0; r < rows; r++) {
        f.localGet(ka).v128.load({ offset: r * this.lda, align: 4 }).localSet(this.aVec[r]);
      }
      for (let s = 0; s < 4; s++) {
        this.bVec.forEach((bv, v) => {
          f.localGet(pb).v128.load({ offset: (s * this.nv + v) * 16, align: 4 }).localSet(bv);
        });
        for (let r = 0; r < rows; r++) {
          for (let v = 0; v < this.nv; v++) {
            const acc = this.acc[r][s % chains][v];
            if (spec.relaxedMadd) {
              f.localGet(this.aVec[r]).localGet(this.aVec[r]).i8x16.shuffle(splatLane("f32x4", s));
              f.localGet(this.bVec[v]).localGet(acc).f32x4.relaxedMadd().localSet(acc);
            } else {
              f.localGet(acc);
              f.localGet(this.aVec[r]).localGet(this.aVec[r]).i8x16.shuffle(splatLane("f32x4", s));
              f.localGet(this.bVec[v]).f32x4.mul().f32x4.add().localSet(acc);
            }
          }
        }
      }
      f.localGet(pb).i32.const(4 * this.nv * 16).i32.add().localSet(pb);
      f.localGet(ka).i32.const(16).i32.add().localTee(ka).localGet(kEnd).i32.ne().brIf(nextK);
    });
    for (let r = 0; r < rows; r++) {
      for (let ch = 1; ch < chains; ch++) {
        this.acc[r][0].forEach((acc, v) =>
          f.localGet(acc).localGet(this.acc[r][ch][v]).f32x4.add().localSet(acc)
        );
      }
    }
    const pcr = f.local("i32", `pc${rows}`);
    f.localGet(pc).localSet(pcr);
    for (let r = 0; r < rows; r++) {
      this.acc[r][0].forEach((acc, v) => {
        f.localGet(pcr).localGet(acc);
        if (this.spec.relu) f.v128.const("i32x4", [0, 0, 0, 0]).f32x4.pmax();
        f.v128.store({ offset: v * 16, align: 4 });
      });
      if (r + 1 < rows) f.localGet(pcr).localGet(ldc).i32.add().localSet(pcr);
    }
  }
}
