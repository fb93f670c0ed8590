/**
 * Opcode tables: the structured-control opcodes, and every plain instruction the assembler can
 * emit (core MVP numeric and memory instructions, saturating truncation, sign extension,
 * `memory.copy`/`memory.fill`, all of SIMD128 and all of relaxed SIMD), keyed by the
 * instruction's text-format name, with its stack signature and immediate kind.
 *
 * Numbers are from the WebAssembly core specification (binary format, SIMD instructions
 * renumbered in 2021) and the relaxed-SIMD proposal's binary-format table (0xfd 0x100–0x113).
 *
 * @module
 */

import type { ValType } from "./types.ts";

/** Opcodes of control and variable instructions, which the function builder emits directly. */
export const CONTROL = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
} as const;

/**
 * What follows an instruction's opcode in the binary:
 * - `none`: nothing;
 * - `memarg`: alignment (log2) and offset;
 * - `lane`: one lane-index byte;
 * - `memlane`: a memarg, then a lane-index byte;
 * - `shuffle`: 16 lane-index bytes (0–31);
 * - `i32`, `i64`, `f32`, `f64`, `v128`: a constant;
 * - `memory`: one memory index (always 0 here); `memory2`: two (for `memory.copy`).
 */
export type ImmediateKind =
  | "none"
  | "memarg"
  | "lane"
  | "memlane"
  | "shuffle"
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "v128"
  | "memory"
  | "memory2";

/** One instruction of {@link INSTRUCTIONS}. */
export interface InstructionInfo<I extends ImmediateKind = ImmediateKind> {
  /** Prefix byte (0xfc misc, 0xfd SIMD), absent for single-byte opcodes. */
  readonly prefix?: 0xfc | 0xfd;
  /** The opcode byte, or the LEB128-encoded sub-opcode after the prefix. */
  readonly code: number;
  /** Operand types popped, bottom to top. */
  readonly params: readonly ValType[];
  /** Result types pushed. */
  readonly results: readonly ValType[];
  /** Kind of the immediate operands. */
  readonly imm: I;
  /** Natural alignment in bytes (memory accesses only). */
  readonly natural?: number;
  /** Number of lanes a lane index addresses (`lane` and `memlane` only). */
  readonly lanes?: number;
}

const I32 = "i32", I64 = "i64", F32 = "f32", F64 = "f64", V128 = "v128";
const V = [V128] as const;
const VV = [V128, V128] as const;
const VVV = [V128, V128, V128] as const;
const NONE = [] as const;

function imm<I extends ImmediateKind>(info: InstructionInfo<I>): InstructionInfo<I> {
  return info;
}

function core(
  code: number,
  params: readonly ValType[],
  results: readonly ValType[],
): InstructionInfo<"none"> {
  return { code, params, results, imm: "none" };
}

function misc(
  code: number,
  params: readonly ValType[],
  results: readonly ValType[],
): InstructionInfo<"none"> {
  return { prefix: 0xfc, code, params, results, imm: "none" };
}

function load(code: number, natural: number, result: ValType): InstructionInfo<"memarg"> {
  return { code, params: [I32], results: [result], imm: "memarg", natural };
}

function store(code: number, natural: number, value: ValType): InstructionInfo<"memarg"> {
  return { code, params: [I32, value], results: [], imm: "memarg", natural };
}

function simd(
  code: number,
  params: readonly ValType[],
  results: readonly ValType[],
): InstructionInfo<"none"> {
  return { prefix: 0xfd, code, params, results, imm: "none" };
}

function simdLoad(code: number, natural: number): InstructionInfo<"memarg"> {
  return { prefix: 0xfd, code, params: [I32], results: V, imm: "memarg", natural };
}

function extractLane(code: number, lanes: number, result: ValType): InstructionInfo<"lane"> {
  return { prefix: 0xfd, code, params: V, results: [result], imm: "lane", lanes };
}

function replaceLane(code: number, lanes: number, value: ValType): InstructionInfo<"lane"> {
  return { prefix: 0xfd, code, params: [V128, value], results: V, imm: "lane", lanes };
}

function loadLane(code: number, natural: number): InstructionInfo<"memlane"> {
  const lanes = 16 / natural;
  return { prefix: 0xfd, code, params: [I32, V128], results: V, imm: "memlane", natural, lanes };
}

function storeLane(code: number, natural: number): InstructionInfo<"memlane"> {
  const lanes = 16 / natural;
  return { prefix: 0xfd, code, params: [I32, V128], results: [], imm: "memlane", natural, lanes };
}

/** Every plain instruction, keyed by its text-format name. */
export const INSTRUCTIONS = {
  // ---- memory (core) ----
  "i32.load": load(0x28, 4, I32),
  "i64.load": load(0x29, 8, I64),
  "f32.load": load(0x2a, 4, F32),
  "f64.load": load(0x2b, 8, F64),
  "i32.load8_s": load(0x2c, 1, I32),
  "i32.load8_u": load(0x2d, 1, I32),
  "i32.load16_s": load(0x2e, 2, I32),
  "i32.load16_u": load(0x2f, 2, I32),
  "i64.load8_s": load(0x30, 1, I64),
  "i64.load8_u": load(0x31, 1, I64),
  "i64.load16_s": load(0x32, 2, I64),
  "i64.load16_u": load(0x33, 2, I64),
  "i64.load32_s": load(0x34, 4, I64),
  "i64.load32_u": load(0x35, 4, I64),
  "i32.store": store(0x36, 4, I32),
  "i64.store": store(0x37, 8, I64),
  "f32.store": store(0x38, 4, F32),
  "f64.store": store(0x39, 8, F64),
  "i32.store8": store(0x3a, 1, I32),
  "i32.store16": store(0x3b, 2, I32),
  "i64.store8": store(0x3c, 1, I64),
  "i64.store16": store(0x3d, 2, I64),
  "i64.store32": store(0x3e, 4, I64),
  "memory.size": imm({ code: 0x3f, params: NONE, results: [I32], imm: "memory" }),
  "memory.grow": imm({ code: 0x40, params: [I32], results: [I32], imm: "memory" }),
  "memory.copy": imm({
    prefix: 0xfc,
    code: 0x0a,
    params: [I32, I32, I32],
    results: NONE,
    imm: "memory2",
  }),
  "memory.fill": imm({
    prefix: 0xfc,
    code: 0x0b,
    params: [I32, I32, I32],
    results: NONE,
    imm: "memory",
  }),

  // ---- constants ----
  "i32.const": imm({ code: 0x41, params: NONE, results: [I32], imm: "i32" }),
  "i64.const": imm({ code: 0x42, params: NONE, results: [I64], imm: "i64" }),
  "f32.const": imm({ code: 0x43, params: NONE, results: [F32], imm: "f32" }),
  "f64.const": imm({ code: 0x44, params: NONE, results: [F64], imm: "f64" }),

  // ---- i32 comparison ----
  "i32.eqz": core(0x45, [I32], [I32]),
  "i32.eq": core(0x46, [I32, I32], [I32]),
  "i32.ne": core(0x47, [I32, I32], [I32]),
  "i32.lt_s": core(0x48, [I32, I32], [I32]),
  "i32.lt_u": core(0x49, [I32, I32], [I32]),
  "i32.gt_s": core(0x4a, [I32, I32], [I32]),
  "i32.gt_u": core(0x4b, [I32, I32], [I32]),
  "i32.le_s": core(0x4c, [I32, I32], [I32]),
  "i32.le_u": core(0x4d, [I32, I32], [I32]),
  "i32.ge_s": core(0x4e, [I32, I32], [I32]),
  "i32.ge_u": core(0x4f, [I32, I32], [I32]),
  // ---- i64 comparison ----
  "i64.eqz": core(0x50, [I64], [I32]),
  "i64.eq": core(0x51, [I64, I64], [I32]),
  "i64.ne": core(0x52, [I64, I64], [I32]),
  "i64.lt_s": core(0x53, [I64, I64], [I32]),
  "i64.lt_u": core(0x54, [I64, I64], [I32]),
  "i64.gt_s": core(0x55, [I64, I64], [I32]),
  "i64.gt_u": core(0x56, [I64, I64], [I32]),
  "i64.le_s": core(0x57, [I64, I64], [I32]),
  "i64.le_u": core(0x58, [I64, I64], [I32]),
  "i64.ge_s": core(0x59, [I64, I64], [I32]),
  "i64.ge_u": core(0x5a, [I64, I64], [I32]),
  // ---- f32 / f64 comparison ----
  "f32.eq": core(0x5b, [F32, F32], [I32]),
  "f32.ne": core(0x5c, [F32, F32], [I32]),
  "f32.lt": core(0x5d, [F32, F32], [I32]),
  "f32.gt": core(0x5e, [F32, F32], [I32]),
  "f32.le": core(0x5f, [F32, F32], [I32]),
  "f32.ge": core(0x60, [F32, F32], [I32]),
  "f64.eq": core(0x61, [F64, F64], [I32]),
  "f64.ne": core(0x62, [F64, F64], [I32]),
  "f64.lt": core(0x63, [F64, F64], [I32]),
  "f64.gt": core(0x64, [F64, F64], [I32]),
  "f64.le": core(0x65, [F64, F64], [I32]),
  "f64.ge": core(0x66, [F64, F64], [I32]),

  // ---- i32 arithmetic ----
  "i32.clz": core(0x67, [I32], [I32]),
  "i32.ctz": core(0x68, [I32], [I32]),
  "i32.popcnt": core(0x69, [I32], [I32]),
  "i32.add": core(0x6a, [I32, I32], [I32]),
  "i32.sub": core(0x6b, [I32, I32], [I32]),
  "i32.mul": core(0x6c, [I32, I32], [I32]),
  "i32.div_s": core(0x6d, [I32, I32], [I32]),
  "i32.div_u": core(0x6e, [I32, I32], [I32]),
  "i32.rem_s": core(0x6f, [I32, I32], [I32]),
  "i32.rem_u": core(0x70, [I32, I32], [I32]),
  "i32.and": core(0x71, [I32, I32], [I32]),
  "i32.or": core(0x72, [I32, I32], [I32]),
  "i32.xor": core(0x73, [I32, I32], [I32]),
  "i32.shl": core(0x74, [I32, I32], [I32]),
  "i32.shr_s": core(0x75, [I32, I32], [I32]),
  "i32.shr_u": core(0x76, [I32, I32], [I32]),
  "i32.rotl": core(0x77, [I32, I32], [I32]),
  "i32.rotr": core(0x78, [I32, I32], [I32]),
  // ---- i64 arithmetic ----
  "i64.clz": core(0x79, [I64], [I64]),
  "i64.ctz": core(0x7a, [I64], [I64]),
  "i64.popcnt": core(0x7b, [I64], [I64]),
  "i64.add": core(0x7c, [I64, I64], [I64]),
  "i64.sub": core(0x7d, [I64, I64], [I64]),
  "i64.mul": core(0x7e, [I64, I64], [I64]),
  "i64.div_s": core(0x7f, [I64, I64], [I64]),
  "i64.div_u": core(0x80, [I64, I64], [I64]),
  "i64.rem_s": core(0x81, [I64, I64], [I64]),
  "i64.rem_u": core(0x82, [I64, I64], [I64]),
  "i64.and": core(0x83, [I64, I64], [I64]),
  "i64.or": core(0x84, [I64, I64], [I64]),
  "i64.xor": core(0x85, [I64, I64], [I64]),
  "i64.shl": core(0x86, [I64, I64], [I64]),
  "i64.shr_s": core(0x87, [I64, I64], [I64]),
  "i64.shr_u": core(0x88, [I64, I64], [I64]),
  "i64.rotl": core(0x89, [I64, I64], [I64]),
  "i64.rotr": core(0x8a, [I64, I64], [I64]),
  // ---- f32 arithmetic ----
  "f32.abs": core(0x8b, [F32], [F32]),
  "f32.neg": core(0x8c, [F32], [F32]),
  "f32.ceil": core(0x8d, [F32], [F32]),
  "f32.floor": core(0x8e, [F32], [F32]),
  "f32.trunc": core(0x8f, [F32], [F32]),
  "f32.nearest": core(0x90, [F32], [F32]),
  "f32.sqrt": core(0x91, [F32], [F32]),
  "f32.add": core(0x92, [F32, F32], [F32]),
  "f32.sub": core(0x93, [F32, F32], [F32]),
  "f32.mul": core(0x94, [F32, F32], [F32]),
  "f32.div": core(0x95, [F32, F32], [F32]),
  "f32.min": core(0x96, [F32, F32], [F32]),
  "f32.max": core(0x97, [F32, F32], [F32]),
  "f32.copysign": core(0x98, [F32, F32], [F32]),
  // ---- f64 arithmetic ----
  "f64.abs": core(0x99, [F64], [F64]),
  "f64.neg": core(0x9a, [F64], [F64]),
  "f64.ceil": core(0x9b, [F64], [F64]),
  "f64.floor": core(0x9c, [F64], [F64]),
  "f64.trunc": core(0x9d, [F64], [F64]),
  "f64.nearest": core(0x9e, [F64], [F64]),
  "f64.sqrt": core(0x9f, [F64], [F64]),
  "f64.add": core(0xa0, [F64, F64], [F64]),
  "f64.sub": core(0xa1, [F64, F64], [F64]),
  "f64.mul": core(0xa2, [F64, F64], [F64]),
  "f64.div": core(0xa3, [F64, F64], [F64]),
  "f64.min": core(0xa4, [F64, F64], [F64]),
  "f64.max": core(0xa5, [F64, F64], [F64]),
  "f64.copysign": core(0xa6, [F64, F64], [F64]),

  // ---- conversions ----
  "i32.wrap_i64": core(0xa7, [I64], [I32]),
  "i32.trunc_f32_s": core(0xa8, [F32], [I32]),
  "i32.trunc_f32_u": core(0xa9, [F32], [I32]),
  "i32.trunc_f64_s": core(0xaa, [F64], [I32]),
  "i32.trunc_f64_u": core(0xab, [F64], [I32]),
  "i64.extend_i32_s": core(0xac, [I32], [I64]),
  "i64.extend_i32_u": core(0xad, [I32], [I64]),
  "i64.trunc_f32_s": core(0xae, [F32], [I64]),
  "i64.trunc_f32_u": core(0xaf, [F32], [I64]),
  "i64.trunc_f64_s": core(0xb0, [F64], [I64]),
  "i64.trunc_f64_u": core(0xb1, [F64], [I64]),
  "f32.convert_i32_s": core(0xb2, [I32], [F32]),
  "f32.convert_i32_u": core(0xb3, [I32], [F32]),
  "f32.convert_i64_s": core(0xb4, [I64], [F32]),
  "f32.convert_i64_u": core(0xb5, [I64], [F32]),
  "f32.demote_f64": core(0xb6, [F64], [F32]),
  "f64.convert_i32_s": core(0xb7, [I32], [F64]),
  "f64.convert_i32_u": core(0xb8, [I32], [F64]),
  "f64.convert_i64_s": core(0xb9, [I64], [F64]),
  "f64.convert_i64_u": core(0xba, [I64], [F64]),
  "f64.promote_f32": core(0xbb, [F32], [F64]),
  "i32.reinterpret_f32": core(0xbc, [F32], [I32]),
  "i64.reinterpret_f64": core(0xbd, [F64], [I64]),
  "f32.reinterpret_i32": core(0xbe, [I32], [F32]),
  "f64.reinterpret_i64": core(0xbf, [I64], [F64]),
  "i32.extend8_s": core(0xc0, [I32], [I32]),
  "i32.extend16_s": core(0xc1, [I32], [I32]),
  "i64.extend8_s": core(0xc2, [I64], [I64]),
  "i64.extend16_s": core(0xc3, [I64], [I64]),
  "i64.extend32_s": core(0xc4, [I64], [I64]),
  "i32.trunc_sat_f32_s": misc(0x00, [F32], [I32]),
  "i32.trunc_sat_f32_u": misc(0x01, [F32], [I32]),
  "i32.trunc_sat_f64_s": misc(0x02, [F64], [I32]),
  "i32.trunc_sat_f64_u": misc(0x03, [F64], [I32]),
  "i64.trunc_sat_f32_s": misc(0x04, [F32], [I64]),
  "i64.trunc_sat_f32_u": misc(0x05, [F32], [I64]),
  "i64.trunc_sat_f64_s": misc(0x06, [F64], [I64]),
  "i64.trunc_sat_f64_u": misc(0x07, [F64], [I64]),

  // ---- SIMD: memory ----
  "v128.load": simdLoad(0x00, 16),
  "v128.load8x8_s": simdLoad(0x01, 8),
  "v128.load8x8_u": simdLoad(0x02, 8),
  "v128.load16x4_s": simdLoad(0x03, 8),
  "v128.load16x4_u": simdLoad(0x04, 8),
  "v128.load32x2_s": simdLoad(0x05, 8),
  "v128.load32x2_u": simdLoad(0x06, 8),
  "v128.load8_splat": simdLoad(0x07, 1),
  "v128.load16_splat": simdLoad(0x08, 2),
  "v128.load32_splat": simdLoad(0x09, 4),
  "v128.load64_splat": simdLoad(0x0a, 8),
  "v128.store": imm({
    prefix: 0xfd,
    code: 0x0b,
    params: [I32, V128],
    results: NONE,
    imm: "memarg",
    natural: 16,
  }),
  "v128.load32_zero": simdLoad(0x5c, 4),
  "v128.load64_zero": simdLoad(0x5d, 8),
  "v128.load8_lane": loadLane(0x54, 1),
  "v128.load16_lane": loadLane(0x55, 2),
  "v128.load32_lane": loadLane(0x56, 4),
  "v128.load64_lane": loadLane(0x57, 8),
  "v128.store8_lane": storeLane(0x58, 1),
  "v128.store16_lane": storeLane(0x59, 2),
  "v128.store32_lane": storeLane(0x5a, 4),
  "v128.store64_lane": storeLane(0x5b, 8),

  // ---- SIMD: constants, shuffles, splats, lanes ----
  "v128.const": imm({ prefix: 0xfd, code: 0x0c, params: NONE, results: V, imm: "v128" }),
  "i8x16.shuffle": imm({ prefix: 0xfd, code: 0x0d, params: VV, results: V, imm: "shuffle" }),
  "i8x16.swizzle": simd(0x0e, VV, V),
  "i8x16.splat": simd(0x0f, [I32], V),
  "i16x8.splat": simd(0x10, [I32], V),
  "i32x4.splat": simd(0x11, [I32], V),
  "i64x2.splat": simd(0x12, [I64], V),
  "f32x4.splat": simd(0x13, [F32], V),
  "f64x2.splat": simd(0x14, [F64], V),
  "i8x16.extract_lane_s": extractLane(0x15, 16, I32),
  "i8x16.extract_lane_u": extractLane(0x16, 16, I32),
  "i8x16.replace_lane": replaceLane(0x17, 16, I32),
  "i16x8.extract_lane_s": extractLane(0x18, 8, I32),
  "i16x8.extract_lane_u": extractLane(0x19, 8, I32),
  "i16x8.replace_lane": replaceLane(0x1a, 8, I32),
  "i32x4.extract_lane": extractLane(0x1b, 4, I32),
  "i32x4.replace_lane": replaceLane(0x1c, 4, I32),
  "i64x2.extract_lane": extractLane(0x1d, 2, I64),
  "i64x2.replace_lane": replaceLane(0x1e, 2, I64),
  "f32x4.extract_lane": extractLane(0x1f, 4, F32),
  "f32x4.replace_lane": replaceLane(0x20, 4, F32),
  "f64x2.extract_lane": extractLane(0x21, 2, F64),
  "f64x2.replace_lane": replaceLane(0x22, 2, F64),

  // ---- SIMD: comparisons ----
  "i8x16.eq": simd(0x23, VV, V),
  "i8x16.ne": simd(0x24, VV, V),
  "i8x16.lt_s": simd(0x25, VV, V),
  "i8x16.lt_u": simd(0x26, VV, V),
  "i8x16.gt_s": simd(0x27, VV, V),
  "i8x16.gt_u": simd(0x28, VV, V),
  "i8x16.le_s": simd(0x29, VV, V),
  "i8x16.le_u": simd(0x2a, VV, V),
  "i8x16.ge_s": simd(0x2b, VV, V),
  "i8x16.ge_u": simd(0x2c, VV, V),
  "i16x8.eq": simd(0x2d, VV, V),
  "i16x8.ne": simd(0x2e, VV, V),
  "i16x8.lt_s": simd(0x2f, VV, V),
  "i16x8.lt_u": simd(0x30, VV, V),
  "i16x8.gt_s": simd(0x31, VV, V),
  "i16x8.gt_u": simd(0x32, VV, V),
  "i16x8.le_s": simd(0x33, VV, V),
  "i16x8.le_u": simd(0x34, VV, V),
  "i16x8.ge_s": simd(0x35, VV, V),
  "i16x8.ge_u": simd(0x36, VV, V),
  "i32x4.eq": simd(0x37, VV, V),
  "i32x4.ne": simd(0x38, VV, V),
  "i32x4.lt_s": simd(0x39, VV, V),
  "i32x4.lt_u": simd(0x3a, VV, V),
  "i32x4.gt_s": simd(0x3b, VV, V),
  "i32x4.gt_u": simd(0x3c, VV, V),
  "i32x4.le_s": simd(0x3d, VV, V),
  "i32x4.le_u": simd(0x3e, VV, V),
  "i32x4.ge_s": simd(0x3f, VV, V),
  "i32x4.ge_u": simd(0x40, VV, V),
  "f32x4.eq": simd(0x41, VV, V),
  "f32x4.ne": simd(0x42, VV, V),
  "f32x4.lt": simd(0x43, VV, V),
  "f32x4.gt": simd(0x44, VV, V),
  "f32x4.le": simd(0x45, VV, V),
  "f32x4.ge": simd(0x46, VV, V),
  "f64x2.eq": simd(0x47, VV, V),
  "f64x2.ne": simd(0x48, VV, V),
  "f64x2.lt": simd(0x49, VV, V),
  "f64x2.gt": simd(0x4a, VV, V),
  "f64x2.le": simd(0x4b, VV, V),
  "f64x2.ge": simd(0x4c, VV, V),
  "i64x2.eq": simd(0xd6, VV, V),
  "i64x2.ne": simd(0xd7, VV, V),
  "i64x2.lt_s": simd(0xd8, VV, V),
  "i64x2.gt_s": simd(0xd9, VV, V),
  "i64x2.le_s": simd(0xda, VV, V),
  "i64x2.ge_s": simd(0xdb, VV, V),

  // ---- SIMD: bitwise ----
  "v128.not": simd(0x4d, V, V),
  "v128.and": simd(0x4e, VV, V),
  "v128.andnot": simd(0x4f, VV, V),
  "v128.or": simd(0x50, VV, V),
  "v128.xor": simd(0x51, VV, V),
  "v128.bitselect": simd(0x52, VVV, V),
  "v128.any_true": simd(0x53, V, [I32]),

  // ---- SIMD: float/float conversions and rounding ----
  "f32x4.demote_f64x2_zero": simd(0x5e, V, V),
  "f64x2.promote_low_f32x4": simd(0x5f, V, V),
  "f32x4.ceil": simd(0x67, V, V),
  "f32x4.floor": simd(0x68, V, V),
  "f32x4.trunc": simd(0x69, V, V),
  "f32x4.nearest": simd(0x6a, V, V),
  "f64x2.ceil": simd(0x74, V, V),
  "f64x2.floor": simd(0x75, V, V),
  "f64x2.trunc": simd(0x7a, V, V),
  "f64x2.nearest": simd(0x94, V, V),

  // ---- SIMD: i8x16 ----
  "i8x16.abs": simd(0x60, V, V),
  "i8x16.neg": simd(0x61, V, V),
  "i8x16.popcnt": simd(0x62, V, V),
  "i8x16.all_true": simd(0x63, V, [I32]),
  "i8x16.bitmask": simd(0x64, V, [I32]),
  "i8x16.narrow_i16x8_s": simd(0x65, VV, V),
  "i8x16.narrow_i16x8_u": simd(0x66, VV, V),
  "i8x16.shl": simd(0x6b, [V128, I32], V),
  "i8x16.shr_s": simd(0x6c, [V128, I32], V),
  "i8x16.shr_u": simd(0x6d, [V128, I32], V),
  "i8x16.add": simd(0x6e, VV, V),
  "i8x16.add_sat_s": simd(0x6f, VV, V),
  "i8x16.add_sat_u": simd(0x70, VV, V),
  "i8x16.sub": simd(0x71, VV, V),
  "i8x16.sub_sat_s": simd(0x72, VV, V),
  "i8x16.sub_sat_u": simd(0x73, VV, V),
  "i8x16.min_s": simd(0x76, VV, V),
  "i8x16.min_u": simd(0x77, VV, V),
  "i8x16.max_s": simd(0x78, VV, V),
  "i8x16.max_u": simd(0x79, VV, V),
  "i8x16.avgr_u": simd(0x7b, VV, V),

  // ---- SIMD: i16x8 ----
  "i16x8.extadd_pairwise_i8x16_s": simd(0x7c, V, V),
  "i16x8.extadd_pairwise_i8x16_u": simd(0x7d, V, V),
  "i16x8.abs": simd(0x80, V, V),
  "i16x8.neg": simd(0x81, V, V),
  "i16x8.q15mulr_sat_s": simd(0x82, VV, V),
  "i16x8.all_true": simd(0x83, V, [I32]),
  "i16x8.bitmask": simd(0x84, V, [I32]),
  "i16x8.narrow_i32x4_s": simd(0x85, VV, V),
  "i16x8.narrow_i32x4_u": simd(0x86, VV, V),
  "i16x8.extend_low_i8x16_s": simd(0x87, V, V),
  "i16x8.extend_high_i8x16_s": simd(0x88, V, V),
  "i16x8.extend_low_i8x16_u": simd(0x89, V, V),
  "i16x8.extend_high_i8x16_u": simd(0x8a, V, V),
  "i16x8.shl": simd(0x8b, [V128, I32], V),
  "i16x8.shr_s": simd(0x8c, [V128, I32], V),
  "i16x8.shr_u": simd(0x8d, [V128, I32], V),
  "i16x8.add": simd(0x8e, VV, V),
  "i16x8.add_sat_s": simd(0x8f, VV, V),
  "i16x8.add_sat_u": simd(0x90, VV, V),
  "i16x8.sub": simd(0x91, VV, V),
  "i16x8.sub_sat_s": simd(0x92, VV, V),
  "i16x8.sub_sat_u": simd(0x93, VV, V),
  "i16x8.mul": simd(0x95, VV, V),
  "i16x8.min_s": simd(0x96, VV, V),
  "i16x8.min_u": simd(0x97, VV, V),
  "i16x8.max_s": simd(0x98, VV, V),
  "i16x8.max_u": simd(0x99, VV, V),
  "i16x8.avgr_u": simd(0x9b, VV, V),
  "i16x8.extmul_low_i8x16_s": simd(0x9c, VV, V),
  "i16x8.extmul_high_i8x16_s": simd(0x9d, VV, V),
  "i16x8.extmul_low_i8x16_u": simd(0x9e, VV, V),
  "i16x8.extmul_high_i8x16_u": simd(0x9f, VV, V),

  // ---- SIMD: i32x4 ----
  "i32x4.extadd_pairwise_i16x8_s": simd(0x7e, V, V),
  "i32x4.extadd_pairwise_i16x8_u": simd(0x7f, V, V),
  "i32x4.abs": simd(0xa0, V, V),
  "i32x4.neg": simd(0xa1, V, V),
  "i32x4.all_true": simd(0xa3, V, [I32]),
  "i32x4.bitmask": simd(0xa4, V, [I32]),
  "i32x4.extend_low_i16x8_s": simd(0xa7, V, V),
  "i32x4.extend_high_i16x8_s": simd(0xa8, V, V),
  "i32x4.extend_low_i16x8_u": simd(0xa9, V, V),
  "i32x4.extend_high_i16x8_u": simd(0xaa, V, V),
  "i32x4.shl": simd(0xab, [V128, I32], V),
  "i32x4.shr_s": simd(0xac, [V128, I32], V),
  "i32x4.shr_u": simd(0xad, [V128, I32], V),
  "i32x4.add": simd(0xae, VV, V),
  "i32x4.sub": simd(0xb1, VV, V),
  "i32x4.mul": simd(0xb5, VV, V),
  "i32x4.min_s": simd(0xb6, VV, V),
  "i32x4.min_u": simd(0xb7, VV, V),
  "i32x4.max_s": simd(0xb8, VV, V),
  "i32x4.max_u": simd(0xb9, VV, V),
  "i32x4.dot_i16x8_s": simd(0xba, VV, V),
  "i32x4.extmul_low_i16x8_s": simd(0xbc, VV, V),
  "i32x4.extmul_high_i16x8_s": simd(0xbd, VV, V),
  "i32x4.extmul_low_i16x8_u": simd(0xbe, VV, V),
  "i32x4.extmul_high_i16x8_u": simd(0xbf, VV, V),

  // ---- SIMD: i64x2 ----
  "i64x2.abs": simd(0xc0, V, V),
  "i64x2.neg": simd(0xc1, V, V),
  "i64x2.all_true": simd(0xc3, V, [I32]),
  "i64x2.bitmask": simd(0xc4, V, [I32]),
  "i64x2.extend_low_i32x4_s": simd(0xc7, V, V),
  "i64x2.extend_high_i32x4_s": simd(0xc8, V, V),
  "i64x2.extend_low_i32x4_u": simd(0xc9, V, V),
  "i64x2.extend_high_i32x4_u": simd(0xca, V, V),
  "i64x2.shl": simd(0xcb, [V128, I32], V),
  "i64x2.shr_s": simd(0xcc, [V128, I32], V),
  "i64x2.shr_u": simd(0xcd, [V128, I32], V),
  "i64x2.add": simd(0xce, VV, V),
  "i64x2.sub": simd(0xd1, VV, V),
  "i64x2.mul": simd(0xd5, VV, V),
  "i64x2.extmul_low_i32x4_s": simd(0xdc, VV, V),
  "i64x2.extmul_high_i32x4_s": simd(0xdd, VV, V),
  "i64x2.extmul_low_i32x4_u": simd(0xde, VV, V),
  "i64x2.extmul_high_i32x4_u": simd(0xdf, VV, V),

  // ---- SIMD: f32x4 ----
  "f32x4.abs": simd(0xe0, V, V),
  "f32x4.neg": simd(0xe1, V, V),
  "f32x4.sqrt": simd(0xe3, V, V),
  "f32x4.add": simd(0xe4, VV, V),
  "f32x4.sub": simd(0xe5, VV, V),
  "f32x4.mul": simd(0xe6, VV, V),
  "f32x4.div": simd(0xe7, VV, V),
  "f32x4.min": simd(0xe8, VV, V),
  "f32x4.max": simd(0xe9, VV, V),
  "f32x4.pmin": simd(0xea, VV, V),
  "f32x4.pmax": simd(0xeb, VV, V),

  // ---- SIMD: f64x2 ----
  "f64x2.abs": simd(0xec, V, V),
  "f64x2.neg": simd(0xed, V, V),
  "f64x2.sqrt": simd(0xef, V, V),
  "f64x2.add": simd(0xf0, VV, V),
  "f64x2.sub": simd(0xf1, VV, V),
  "f64x2.mul": simd(0xf2, VV, V),
  "f64x2.div": simd(0xf3, VV, V),
  "f64x2.min": simd(0xf4, VV, V),
  "f64x2.max": simd(0xf5, VV, V),
  "f64x2.pmin": simd(0xf6, VV, V),
  "f64x2.pmax": simd(0xf7, VV, V),

  // ---- SIMD: int/float conversions ----
  "i32x4.trunc_sat_f32x4_s": simd(0xf8, V, V),
  "i32x4.trunc_sat_f32x4_u": simd(0xf9, V, V),
  "f32x4.convert_i32x4_s": simd(0xfa, V, V),
  "f32x4.convert_i32x4_u": simd(0xfb, V, V),
  "i32x4.trunc_sat_f64x2_s_zero": simd(0xfc, V, V),
  "i32x4.trunc_sat_f64x2_u_zero": simd(0xfd, V, V),
  "f64x2.convert_low_i32x4_s": simd(0xfe, V, V),
  "f64x2.convert_low_i32x4_u": simd(0xff, V, V),

  // ---- relaxed SIMD ----
  "i8x16.relaxed_swizzle": simd(0x100, VV, V),
  "i32x4.relaxed_trunc_f32x4_s": simd(0x101, V, V),
  "i32x4.relaxed_trunc_f32x4_u": simd(0x102, V, V),
  "i32x4.relaxed_trunc_f64x2_s_zero": simd(0x103, V, V),
  "i32x4.relaxed_trunc_f64x2_u_zero": simd(0x104, V, V),
  "f32x4.relaxed_madd": simd(0x105, VVV, V),
  "f32x4.relaxed_nmadd": simd(0x106, VVV, V),
  "f64x2.relaxed_madd": simd(0x107, VVV, V),
  "f64x2.relaxed_nmadd": simd(0x108, VVV, V),
  "i8x16.relaxed_laneselect": simd(0x109, VVV, V),
  "i16x8.relaxed_laneselect": simd(0x10a, VVV, V),
  "i32x4.relaxed_laneselect": simd(0x10b, VVV, V),
  "i64x2.relaxed_laneselect": simd(0x10c, VVV, V),
  "f32x4.relaxed_min": simd(0x10d, VV, V),
  "f32x4.relaxed_max": simd(0x10e, VV, V),
  "f64x2.relaxed_min": simd(0x10f, VV, V),
  "f64x2.relaxed_max": simd(0x110, VV, V),
  "i16x8.relaxed_q15mulr_s": simd(0x111, VV, V),
  "i16x8.relaxed_dot_i8x16_i7x16_s": simd(0x112, VV, V),
  "i32x4.relaxed_dot_i8x16_i7x16_add_s": simd(0x113, VVV, V),
} satisfies Record<string, InstructionInfo>;

/** The text-format name of an instruction in {@link INSTRUCTIONS}. */
export type InstructionName = keyof typeof INSTRUCTIONS;
