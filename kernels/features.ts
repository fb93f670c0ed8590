/**
 * Runtime WebAssembly feature detection for kernel dispatch: whether SIMD128 and relaxed SIMD
 * validate, and what the relaxed instructions actually compute on this engine and CPU, found by
 * running them on inputs where the permitted lowerings disagree (docs/kernels.md §The probes).
 *
 * @module
 */

import {
  type FunctionBuilder,
  type InstructionName,
  INSTRUCTIONS,
  ModuleBuilder,
} from "./wasm/mod.ts";

/**
 * The hardware lowering a relaxed integer dot product behaves like:
 * - `pmaddubsw`: x86 SSSE3/AVX2 without AVX-VNNI (V8: `vpmaddubsw` [+ `vpmaddwd` + add]); second
 *   operand unsigned, pair sums saturate to int16.
 * - `vpdpbusd`: x86 AVX-VNNI; second operand unsigned, exact int32 sums.
 * - `sdot`: ARM64 DOTPROD `sdot`, or x86 AVX-VNNI-INT8 `vpdpbssd`; both signed, exact.
 * - `smull-addp`: ARM64 without DOTPROD (`smull`/`smull2` + 16-bit `addp`); both signed, pair
 *   sums wrap in int16.
 * - `unknown`: none of these (or an engine bug, such as an ignored accumulator).
 */
export type DotLowering = "pmaddubsw" | "vpdpbusd" | "sdot" | "smull-addp" | "unknown";

/** Semantics of the relaxed dot products outside their deterministic domain. */
export interface RelaxedDotSemantics {
  /**
   * `i32x4.relaxed_dot_i8x16_i7x16_add_s` reads its second operand as unsigned (0…255) when the
   * top bit is set: true for the x86 lowerings (`pmaddubsw`, `vpdpbusd`), false for ARM `sdot`
   * and x86 `vpdpbssd`. Probe: 1·255 ×4 = 1020 (unsigned) vs 1·(−1) ×4 = −4 (signed).
   */
  readonly secondOperandUnsigned: boolean;
  /**
   * Adjacent product pairs are summed into int16 with saturation before widening (x86 without
   * AVX-VNNI: `pmaddubsw`): (−128·255)+(−128·255) → −32768 instead of −65280.
   */
  readonly i16PairSaturates: boolean;
  /** Adjacent product pairs wrap in int16 (ARM without DOTPROD: 16-bit `addp`). */
  readonly i16PairWraps: boolean;
  /**
   * The accumulator operand is added. False means the engine is broken (V8 11.3 in Node 20
   * dropped it in some register assignments); do not use the instruction then.
   */
  readonly accumulatorHonoured: boolean;
  /** `i16x8.relaxed_dot_i8x16_i7x16_s` reads its second operand as unsigned (x86 `pmaddubsw`). */
  readonly i16x8SecondOperandUnsigned: boolean;
  /** `i16x8.relaxed_dot_i8x16_i7x16_s` saturates its pair sums to int16 (x86 `pmaddubsw`). */
  readonly i16x8Saturates: boolean;
  /** The lowering the i32 form's probe results identify. */
  readonly lowering: DotLowering;
}

/**
 * How `*.relaxed_laneselect(a, b, mask)` picks bits when a mask lane is neither all ones nor
 * all zeros:
 * - `bitselect`: bitwise, like `v128.bitselect` (ARM `bsl`);
 * - `lane-top-bit`: the lane's top bit decides for the whole lane (x86 `blendvps`/`blendvpd`,
 *   and `pblendvb` for i8x16);
 * - `byte-top-bit`: each byte's top bit decides that byte (x86 `pblendvb` on wider lanes);
 * - `other`: none of these.
 */
export type LaneselectSemantics = "bitselect" | "lane-top-bit" | "byte-top-bit" | "other";

/** What this engine supports and how its relaxed-SIMD instructions behave. */
export interface WasmFeatures {
  /** SIMD128 (the 0xfd instructions of Wasm 2.0) validates. */
  readonly simd128: boolean;
  /** Every relaxed-SIMD instruction validates. */
  readonly relaxedSimd: boolean;
  /** Relaxed dot-product semantics; null without relaxed SIMD. */
  readonly relaxedDot: RelaxedDotSemantics | null;
  /**
   * `f32x4.relaxed_madd` rounds once (fused multiply-add: x86 FMA3 `vfmadd`, ARM `fmla`) rather
   * than twice (`mulps` + `addps`). Probe: (1+2⁻¹²)² − (1+2⁻¹¹) is 2⁻²⁴ fused, 0 unfused.
   * Null without relaxed SIMD.
   */
  readonly relaxedMaddFused: boolean | null;
  /**
   * `i8x16.relaxed_swizzle` with indices 16…127: `zero` gives 0 like `i8x16.swizzle` (ARM
   * `tbl`); `modulo` selects lane index mod 16 (x86 `pshufb`, which zeroes only for ≥ 128).
   * Null without relaxed SIMD.
   */
  readonly relaxedSwizzle: "zero" | "modulo" | "other" | null;
  /** `relaxed_laneselect` semantics per lane width; null without relaxed SIMD. */
  readonly relaxedLaneselect: {
    readonly i8x16: LaneselectSemantics;
    readonly i16x8: LaneselectSemantics;
    readonly i32x4: LaneselectSemantics;
    readonly i64x2: LaneselectSemantics;
  } | null;
  /**
   * `i32x4.relaxed_trunc_f32x4_s` saturates like `i32x4.trunc_sat_f32x4_s` (NaN → 0, out of
   * range → INT32_MIN/MAX; ARM `fcvtzs`), rather than giving x86 `cvttps2dq`'s 0x80000000.
   * Null without relaxed SIMD.
   */
  readonly relaxedTruncSaturates: boolean | null;
  /**
   * `i16x8.relaxed_q15mulr_s(−32768, −32768)` saturates to 32767 (ARM `sqrdmulh`) rather than
   * wrapping to −32768 (x86 `pmulhrsw`). Null without relaxed SIMD.
   */
  readonly relaxedQ15mulrSaturates: boolean | null;
}

function validates(build: (f: FunctionBuilder) => void): boolean {
  if (typeof WebAssembly !== "object") return false;
  const m = new ModuleBuilder();
  build(m.function("probe", {}));
  return WebAssembly.validate(m.toBytes());
}

const ZERO = new Array(16).fill(0);

/** Whether this engine validates SIMD128 instructions. */
export function hasSimd128(): boolean {
  return validates((f) => f.i32.const(0).i8x16.splat().i8x16.popcnt().v128.anyTrue().drop());
}

/** Whether this engine validates every relaxed-SIMD instruction. */
export function hasRelaxedSimd(): boolean {
  return validates((f) => {
    for (const [name, info] of Object.entries(INSTRUCTIONS)) {
      if (!name.includes(".relaxed_")) continue;
      for (const _ of info.params) f.v128.const("i8x16", ZERO);
      f.op(name as InstructionName).drop();
    }
  });
}

type Probe = (operands: ArrayBufferView[]) => Uint8Array;

/** Builds `op(out, a, b, c)` functions applying each relaxed instruction to loaded operands. */
function relaxedProbes(): Record<string, Probe> {
  const ops = {
    dot16: "i16x8.relaxed_dot_i8x16_i7x16_s",
    dot32: "i32x4.relaxed_dot_i8x16_i7x16_add_s",
    madd: "f32x4.relaxed_madd",
    swizzle: "i8x16.relaxed_swizzle",
    sel8: "i8x16.relaxed_laneselect",
    sel16: "i16x8.relaxed_laneselect",
    sel32: "i32x4.relaxed_laneselect",
    sel64: "i64x2.relaxed_laneselect",
    trunc: "i32x4.relaxed_trunc_f32x4_s",
    q15: "i16x8.relaxed_q15mulr_s",
  } as const;
  const m = new ModuleBuilder().memory({ initial: 1 }).exportMemory("memory");
  for (const [key, name] of Object.entries(ops)) {
    const f = m.function(key, { params: ["i32", "i32", "i32", "i32"] });
    const [out, ...ins] = f.params;
    f.localGet(out);
    for (const p of ins.slice(0, INSTRUCTIONS[name].params.length)) f.localGet(p).v128.load();
    f.op(name).v128.store();
    m.exportFunction(f);
  }
  const exports = m.instantiateSync().exports;
  const memory = exports.memory as WebAssembly.Memory;
  const probes: Record<string, Probe> = {};
  for (const key of Object.keys(ops)) {
    const fn = exports[key] as (out: number, a: number, b: number, c: number) => void;
    probes[key] = (operands) => {
      operands.forEach((v, k) => {
        const bytes = new Uint8Array(v.buffer, v.byteOffset, 16);
        new Uint8Array(memory.buffer, 16 * (k + 1), 16).set(bytes);
      });
      fn(0, 16, 32, 48);
      return new Uint8Array(memory.buffer, 0, 16).slice();
    };
  }
  return probes;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

function probeDot(run: Record<string, Probe>): RelaxedDotSemantics {
  // Lanes: [signedness, unsigned overflow, signed overflow, accumulator].
  const a = new Int8Array([1, 1, 1, 1, -128, -128, -128, -128, -128, -128, -128, -128, 1, 2, 3, 4]);
  const b = new Uint8Array([
    255,
    255,
    255,
    255,
    255,
    255,
    255,
    255,
    128,
    128,
    128,
    128,
    5,
    6,
    7,
    8,
  ]);
  const c = new Int32Array([0, 0, 0, 1000]);
  const r = new Int32Array(run.dot32([a, b, c]).buffer);
  const expected: Record<Exclude<DotLowering, "unknown">, number[]> = {
    "pmaddubsw": [1020, -65536, -65536, 1070],
    "vpdpbusd": [1020, -130560, -65536, 1070],
    "sdot": [-4, 512, 65536, 1070],
    "smull-addp": [-4, 512, -65536, 1070],
  };
  const lowering =
    (Object.keys(expected) as DotLowering[]).find((k) =>
      same(r, expected[k as keyof typeof expected])
    ) ?? "unknown";
  const unsigned = r[0] === 1020;
  // i16x8 form, lanes: [signedness, unsigned overflow, signed overflow, …].
  const a16 = new Int8Array([1, 1, -128, -128, -128, -128, ...new Array(10).fill(0)]);
  const b16 = new Uint8Array([255, 255, 255, 255, 128, 128, ...new Array(10).fill(0)]);
  const r16 = new Int16Array(run.dot16([a16, b16]).buffer);
  const unsigned16 = r16[0] === 510;
  return {
    secondOperandUnsigned: unsigned,
    i16PairSaturates: unsigned ? r[1] === -65536 : r[2] === 65534,
    i16PairWraps: unsigned ? r[1] === 512 : r[2] === -65536,
    accumulatorHonoured: r[3] === 1070,
    i16x8SecondOperandUnsigned: unsigned16,
    i16x8Saturates: unsigned16 ? r16[1] === -32768 : r16[2] === 32767,
    lowering,
  };
}

function probeLaneselect(run: Probe, laneBytes: number): LaneselectSemantics {
  // Mask lanes alternate "top bit only" and "all but the top bit"; a = all ones, b = zeros.
  const mask = new Uint8Array(16);
  for (let lane = 0; lane < 16 / laneBytes; lane++) {
    for (let k = 0; k < laneBytes; k++) {
      const top = k === laneBytes - 1;
      mask[lane * laneBytes + k] = lane % 2 === 0 ? (top ? 0x80 : 0) : (top ? 0x7f : 0xff);
    }
  }
  const result = run([new Uint8Array(16).fill(0xff), new Uint8Array(16), mask]);
  const laneTop = mask.map((_, i) => {
    const msb = mask[i - (i % laneBytes) + laneBytes - 1];
    return msb & 0x80 ? 0xff : 0;
  });
  if (same(result, mask)) return "bitselect";
  if (same(result, laneTop)) return "lane-top-bit";
  if (same(result, mask.map((m) => (m & 0x80 ? 0xff : 0)))) return "byte-top-bit";
  return "other";
}

function probe(): WasmFeatures {
  const simd128 = hasSimd128();
  const relaxedSimd = simd128 && hasRelaxedSimd();
  if (!relaxedSimd) {
    return {
      simd128,
      relaxedSimd,
      relaxedDot: null,
      relaxedMaddFused: null,
      relaxedSwizzle: null,
      relaxedLaneselect: null,
      relaxedTruncSaturates: null,
      relaxedQ15mulrSaturates: null,
    };
  }
  const run = relaxedProbes();
  const x = new Float32Array(4).fill(1 + 2 ** -12);
  const madd = new Float32Array(run.madd([x, x, new Float32Array(4).fill(-(1 + 2 ** -11))]).buffer);
  const table = new Uint8Array(16).map((_, i) => 100 + i);
  const indices = new Uint8Array([16, 17, 31, 47, 100, 127, 0, 1, 16, 17, 31, 47, 100, 127, 0, 1]);
  const swizzled = run.swizzle([table, indices]);
  const modulo = indices.map((i) => (i < 128 ? table[i & 15] : 0));
  const zero = indices.map((i) => (i < 16 ? table[i] : 0));
  const trunc = new Int32Array(run.trunc([new Float32Array([NaN, 3e9, -3e9, 1.5])]).buffer);
  const q15 = new Int16Array(
    run.q15([new Int16Array(8).fill(-32768), new Int16Array(8).fill(-32768)]).buffer,
  );
  return {
    simd128,
    relaxedSimd,
    relaxedDot: Object.freeze(probeDot(run)),
    relaxedMaddFused: madd[0] === 2 ** -24,
    relaxedSwizzle: same(swizzled, zero) ? "zero" : same(swizzled, modulo) ? "modulo" : "other",
    relaxedLaneselect: Object.freeze({
      i8x16: probeLaneselect(run.sel8, 1),
      i16x8: probeLaneselect(run.sel16, 2),
      i32x4: probeLaneselect(run.sel32, 4),
      i64x2: probeLaneselect(run.sel64, 8),
    }),
    relaxedTruncSaturates: same(trunc, [0, 2 ** 31 - 1, -(2 ** 31), 1]),
    relaxedQ15mulrSaturates: q15[0] === 32767,
  };
}

let cached: WasmFeatures | undefined;

/**
 * The features of this engine, probed on first call (a few tiny modules, a few
 * milliseconds) and cached; the object is frozen.
 */
export function wasmFeatures(): WasmFeatures {
  return cached ??= Object.freeze(probe());
}
