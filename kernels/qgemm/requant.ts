/**
 * The float arithmetic between an int32 accumulator (zero points already removed) and a kernel's
 * output, one per numerics, bit for bit as the reference computes it (reference/quantized_linear.ts,
 * reference/onednn.ts; docs/numerics/linear_conv.md):
 *
 * - **FBGEMM** (`fbgemm`, `fbgemm_avx512_vnni`): `xf = fma(biasTerm, biasScale, f32(acc))` (one
 *   rounding: GCC's contraction; emulated as `f32(biasProduct + f32(acc))` with the per-column
 *   product exact in float64), `× multiplier`, x86 `cvtps2dq` (INT32_MIN outside int32), then the
 *   int16/uint8 pack adds the zero point. Dynamic: `fma(f32(acc), multiplier, bias)`.
 * - **QNNPACK**: `f32(acc + intBias)·multiplier` (the int32 bias is folded into the column's
 *   integer term), rounded with saturation (the reference's choice for a build-dependent case).
 *   Dynamic: `f32(f32(acc)·multiplier) + bias`.
 * - **oneDNN**: `f32(f32(acc) + biasTerm)·multiplier`, then the zero point added in float before
 *   rounding (the pack adds none). Dynamic: the same without a zero point, ReLU as `max(y, 0)`.
 *
 * Kernels that requantize (the GEMM epilogue, the depthwise kernel) take a `RequantArithmetic`,
 * so a test can hand them a wrapped one (a planted bug) without touching production code.
 * @module
 */
import type { Numerics } from "../../reference/engine.ts";
import { emitAddExact, emitMulAdd, type FmaScratch, fmaScratch, type MulAddKind } from "../fma.ts";
import type { FunctionBuilder, Local } from "../wasm/mod.ts";

/**
 * The per-call flags of a requantization: ReLU (dynamic outputs), a bias, and a bias term that is
 * a product (FBGEMM per tensor: `bias·f32(1/aw)`, which needs the fused multiply-add; per channel
 * the term is a quotient and a plain add is exact).
 */
export const REQUANT_FLAGS = { relu: 1, bias: 2, biasProduct: 4 } as const;

/** A flag's name. */
export type RequantFlag = keyof typeof REQUANT_FLAGS;

/** What the arithmetic reads for the four lanes being requantized. */
export interface RequantInputs {
  /** Pushes the f32x4 bias term of the columns (the float bias, or `bias/aw` per channel). */
  biasTerm(): void;
  /** Pushes the f32x4 second factor of FBGEMM's bias term (`f32(1/aw)`, or 1 per channel). */
  biasScale(): void;
  /** Pushes the f32x4 multiplier of the columns. */
  multiplier(): void;
  /** Pushes the f64x2 exact product `biasTerm·biasScale` of lanes `2·pair` and `2·pair + 1`. */
  biasProduct(pair: 0 | 1): void;
  /** Pushes an i32 that is nonzero when the call's flag is set (`REQUANT_FLAGS`). */
  flag(name: RequantFlag): void;
  /** An f32x4 splat of the output zero point (oneDNN adds it in float). */
  readonly zeroPoint: Local;
  /** An f32x4 of zeros. */
  readonly zero: Local;
  /** Scratch for an emulated fused multiply-add. */
  readonly scratch: FmaScratch;
  /** Two v128 temporaries. */
  readonly temp: readonly [Local, Local];
}

/** Declares the locals of `RequantInputs` that do not depend on the caller's data layout. */
export function requantLocals(
  f: FunctionBuilder,
): Pick<RequantInputs, "zeroPoint" | "zero" | "scratch" | "temp"> {
  return {
    zeroPoint: f.local("v128", "rq_zp"),
    zero: f.local("v128", "rq_zero"),
    scratch: fmaScratch(f),
    temp: [f.local("v128", "rq_t0"), f.local("v128", "rq_t1")],
  };
}

/** One numerics' requantization, emitted into a kernel. */
export interface RequantArithmetic {
  /** Names the arithmetic in module cache keys and kernel names, e.g. `fbgemm_fma-emulated`. */
  readonly name: string;
  /** Whether the int16/uint8 pack adds the zero point (else the arithmetic added it in float). */
  readonly zeroPointInPack: boolean;
  /** i32x4 corrected accumulators on the stack → the i32x4 rounded values before the pack. */
  emitU8(f: FunctionBuilder, io: RequantInputs): void;
  /** i32x4 corrected accumulators on the stack → the f32x4 dynamic-linear output (no ReLU). */
  emitF32(f: FunctionBuilder, io: RequantInputs): void;
  /** f32x4 output on the stack → the output with the numerics' ReLU. */
  emitRelu(f: FunctionBuilder, io: RequantInputs): void;
}

/** With f32x4 `x` on the stack, leaves `hasBias ? body() : x` (`body` reads `io.temp[0]`). */
function ifBias(f: FunctionBuilder, io: RequantInputs, body: () => void): void {
  const x = io.temp[0];
  f.localSet(x);
  io.flag("bias");
  f.if({ results: ["v128"] }, body, () => void f.localGet(x));
}

/** `max(y, 0)` keeping −0 and NaN, as FBGEMM's `max_ps(0, y)` and the QNNPACK reference do. */
function reluKeepingNaN(f: FunctionBuilder, io: RequantInputs): void {
  f.localGet(io.zero).f32x4.pmax();
}

/**
 * FBGEMM's requantization with its bias multiply-add fused (`fused-relaxed` where the probe
 * proved `relaxed_madd` fused, else `fused-emulated`); other kinds model other builds.
 */
export function fbgemmArithmetic(mulAdd: MulAddKind): RequantArithmetic {
  return {
    name: `fbgemm_${mulAdd}`,
    zeroPointInPack: true,
    emitU8(f, io) {
      const [x, y] = io.temp;
      f.f32x4.convertI32x4S();
      ifBias(f, io, () => {
        if (mulAdd !== "fused-emulated") {
          io.biasTerm();
          io.biasScale();
          f.localGet(x);
          emitMulAdd(f, mulAdd, io.scratch);
          return;
        }
        // The product is per column: precomputed exactly (biasProduct), only the sum rounds; a
        // per-channel term (scale 1) is added as is.
        io.flag("biasProduct");
        f.if({ results: ["v128"] }, () => {
          f.localGet(x);
          emitAddExact(f, io.biasProduct, io.scratch);
        }, () => {
          f.localGet(x);
          io.biasTerm();
          f.f32x4.add();
        });
      });
      io.multiplier();
      f.f32x4.mul().localTee(y);
      // cvtps2dq: round half to even; NaN and values >= 2^31 give INT32_MIN (trunc_sat gives
      // INT32_MIN below −2^31 already).
      f.f32x4.nearest().i32x4.truncSatF32x4S();
      f.v128.const("i32x4", [-2147483648, -2147483648, -2147483648, -2147483648]);
      f.localGet(y).v128.const("f32x4", [2147483648, 2147483648, 2147483648, 2147483648]).f32x4
        .lt();
      f.v128.bitselect();
    },
    emitF32(f, io) {
      const x = io.temp[0];
      f.f32x4.convertI32x4S().localSet(x);
      io.flag("bias");
      f.if({ results: ["v128"] }, () => {
        f.localGet(x);
        io.multiplier();
        io.biasTerm();
        emitMulAdd(f, mulAdd, io.scratch);
      }, () => {
        f.localGet(x);
        io.multiplier();
        f.f32x4.mul();
      });
    },
    emitRelu: reluKeepingNaN,
  };
}

/** QNNPACK's requantization (its int32 bias is part of the column's integer term). */
export function qnnpackArithmetic(): RequantArithmetic {
  return {
    name: "qnnpack",
    zeroPointInPack: true,
    emitU8(f, io) {
      f.f32x4.convertI32x4S();
      io.multiplier();
      f.f32x4.mul().f32x4.nearest().i32x4.truncSatF32x4S();
    },
    emitF32(f, io) {
      f.f32x4.convertI32x4S();
      io.multiplier();
      f.f32x4.mul();
      ifBias(f, io, () => {
        f.localGet(io.temp[0]);
        io.biasTerm();
        f.f32x4.add();
      });
    },
    emitRelu: reluKeepingNaN,
  };
}

/** oneDNN's requantization: bias added, then scaled, zero point added in float. */
export function onednnArithmetic(): RequantArithmetic {
  const scaled = (f: FunctionBuilder, io: RequantInputs) => {
    f.f32x4.convertI32x4S();
    ifBias(f, io, () => {
      f.localGet(io.temp[0]);
      io.biasTerm();
      f.f32x4.add();
    });
    io.multiplier();
    f.f32x4.mul();
  };
  return {
    name: "onednn",
    zeroPointInPack: false,
    emitU8(f, io) {
      scaled(f, io);
      f.localGet(io.zeroPoint).f32x4.add().f32x4.nearest().i32x4.truncSatF32x4S();
    },
    emitF32: scaled,
    emitRelu(f, io) {
      // max(0, y): −0 and NaN become +0
      const x = io.temp[0];
      f.localSet(x).localGet(io.zero).localGet(x).f32x4.pmax();
    },
  };
}

/**
 * The production arithmetic of a numerics; `fusedMadd` says whether `relaxed_madd` is proven
 * fused on this engine (FBGEMM's fused multiply-adds then use it, else an exact emulation).
 */
export function requantArithmetic(numerics: Numerics, fusedMadd: boolean): RequantArithmetic {
  if (numerics === "qnnpack") return qnnpackArithmetic();
  if (numerics === "onednn") return onednnArithmetic();
  return fbgemmArithmetic(fusedMadd ? "fused-relaxed" : "fused-emulated");
}
