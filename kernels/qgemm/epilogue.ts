/**
 * Generates the kernels around the int8 GEMM:
 * - `prepare`: per activation row, the sum of its codes (for zero-point correction) and the
 *   largest code (to prove that no pair can saturate), widening u8 → int16 for the int16
 *   variants;
 * - `requant_u8`: int32 accumulators → quint8 outputs with one numerics' float requantization
 *   (`RequantArithmetic`, qgemm/requant.ts), then int16 and uint8 saturation and ReLU as a lower
 *   clamp;
 * - `requant_f32`: int32 accumulators → float outputs of the dynamic linear.
 *
 * Both requantizations first remove the zero points from the raw-code accumulator:
 * `acc' = acc + colInt[n] + rowSum[m]·rowMul[n]` (int32, wrapping like the C++ kernels). The
 * column block holds the arrays of `COLUMN_LAYOUT`.
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder } from "../wasm/mod.ts";
import {
  REQUANT_FLAGS,
  type RequantArithmetic,
  type RequantInputs,
  requantLocals,
} from "./requant.ts";

/**
 * The per-column arrays of a packed weight, nPadded values each, at these 4-byte slots of the
 * column block (nPadded·4 bytes per slot; the float64 array takes two slots): the integer terms
 * colInt and rowMul, the multiplier, FBGEMM's bias term and scale as float32, and their exact
 * product as a float64 (what the emulated fused multiply-add adds).
 */
export const COLUMN_LAYOUT = {
  colInt: { slot: 0, bytes: 4 },
  rowMul: { slot: 1, bytes: 4 },
  multiplier: { slot: 2, bytes: 4 },
  biasTerm: { slot: 3, bytes: 4 },
  biasScale: { slot: 4, bytes: 4 },
  biasProduct: { slot: 5, bytes: 8 },
} as const;

/** A column array's name. */
export type ColumnArray = keyof typeof COLUMN_LAYOUT;

/** 4-byte slots per column in the column block. */
export const COLUMN_SLOTS = 7;

/** The slot of a column array (its byte offset is `slot · nPadded · 4`). */
export function columnArray(name: ColumnArray): number {
  return COLUMN_LAYOUT[name].slot;
}

export { REQUANT_FLAGS } from "./requant.ts";

/** Exports of the epilogue module. */
export interface EpilogueExports {
  /**
   * `prepare(a, aOut, rowSums, m, kPadded, widen)`: `a` holds m rows of kPadded u8 codes
   * (zero-padded); writes each row's code sum to `rowSums` (int32) and, if `widen`, the rows as
   * int16 to `aOut`. Returns the largest code.
   */
  prepare(
    a: number,
    aOut: number,
    rowSums: number,
    m: number,
    kPadded: number,
    widen: number,
  ): number;
  /**
   * `requant_u8(c, out, rowSums, cols, m, nPadded, outputZeroPoint, lowerClamp, flags)`: `c` is
   * m × nPadded int32; `cols` points at the column arrays (`COLUMN_LAYOUT`); `flags` are
   * `REQUANT_FLAGS` (bias, bias term a product). Writes m × nPadded bytes to `out`.
   */
  requant_u8(
    c: number,
    out: number,
    rowSums: number,
    cols: number,
    m: number,
    nPadded: number,
    outputZeroPoint: number,
    lowerClamp: number,
    flags: number,
  ): void;
  /**
   * `requant_f32(c, out, rowSums, cols, m, nPadded, flags)`: as requant_u8 with the float output
   * of the dynamic linear (the bias in the biasTerm array), ReLU when `flags & 1`.
   */
  requant_f32(
    c: number,
    out: number,
    rowSums: number,
    cols: number,
    m: number,
    nPadded: number,
    flags: number,
  ): void;
}

/** Builds the epilogue module for one numerics' arithmetic (imports `env.memory`). */
export function buildEpilogue(arithmetic: RequantArithmetic): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const prepare = mod.function("prepare", {
    params: ["i32", "i32", "i32", "i32", "i32", "i32"],
    paramNames: ["a", "aOut", "rowSums", "m", "kPadded", "widen"],
    results: ["i32"],
  });
  emitPrepare(prepare);
  mod.exportFunction(prepare);
  for (const output of ["u8", "f32"] as const) {
    const f = output === "u8"
      ? mod.function("requant_u8", {
        params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
        paramNames: [
          "c",
          "out",
          "rowSums",
          "cols",
          "m",
          "nPadded",
          "zeroPoint",
          "lowerClamp",
          "flags",
        ],
      })
      : mod.function("requant_f32", {
        params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
        paramNames: ["c", "out", "rowSums", "cols", "m", "nPadded", "flags"],
      });
    emitRequant(f, output, arithmetic);
    mod.exportFunction(f);
  }
  return mod;
}

function emitPrepare(f: FunctionBuilder): void {
  const [a, aOut, rowSums, m, kPadded, widen] = f.params;
  const maxv = f.local("v128", "max");
  const sum = f.local("v128", "sum");
  const v = f.local("v128", "v");
  const end = f.local("i32", "end");
  f.localGet(m).i32.eqz().if(() => void f.i32.const(0).return());
  f.loop((nextRow) => {
    f.v128.const("i32x4", [0, 0, 0, 0]).localSet(sum);
    f.localGet(a).localGet(kPadded).i32.add().localSet(end);
    f.loop((nextChunk) => {
      f.localGet(a).v128.load({ align: 1 }).localSet(v);
      f.localGet(maxv).localGet(v).i8x16.maxU().localSet(maxv);
      f.localGet(sum).localGet(v).i16x8.extaddPairwiseI8x16U().i32x4.extaddPairwiseI16x8U().i32x4
        .add().localSet(sum);
      f.localGet(widen).if(() => {
        f.localGet(aOut).localGet(v).i16x8.extendLowI8x16U().v128.store({ align: 2 });
        f.localGet(aOut).localGet(v).i16x8.extendHighI8x16U().v128.store({ offset: 16, align: 2 });
        f.localGet(aOut).i32.const(32).i32.add().localSet(aOut);
      });
      f.localGet(a).i32.const(16).i32.add().localTee(a).localGet(end).i32.ne().brIf(nextChunk);
    });
    // Horizontal sum of the four lanes.
    f.localGet(rowSums);
    f.localGet(sum).i32x4.extractLane(0).localGet(sum).i32x4.extractLane(1).i32.add();
    f.localGet(sum).i32x4.extractLane(2).i32.add().localGet(sum).i32x4.extractLane(3).i32.add();
    f.i32.store();
    f.localGet(rowSums).i32.const(4).i32.add().localSet(rowSums);
    f.localGet(m).i32.const(1).i32.sub().localTee(m).brIf(nextRow);
  });
  // The largest byte of the running maximum.
  for (const lanes of [[8, 15], [4, 7], [2, 3], [1, 1]]) {
    const shuffle = Array.from({ length: 16 }, (_, i) => (i < lanes[0] ? i + lanes[0] : i));
    f.localGet(maxv).localGet(maxv).i8x16.shuffle(shuffle).localGet(maxv).i8x16.maxU().localSet(
      maxv,
    );
  }
  f.localGet(maxv).i8x16.extractLaneU(0);
}

/**
 * Requantizes the i32x4 of zero-point-corrected accumulators on the stack with `arithmetic`
 * (reading the columns through `io`) and stores the result in `y` (rounded i32x4 for u8 output).
 * Shared by every kernel that requantizes (the GEMM epilogue, depthwise).
 */
export function emitRequantToLocal(
  f: FunctionBuilder,
  arithmetic: RequantArithmetic,
  io: RequantInputs,
  y: Local,
): void {
  arithmetic.emitU8(f, io);
  f.localSet(y);
}

/**
 * Packs two or four i32x4 results into quint8 lanes: int16 with saturation, + the zero point
 * (saturating, i16 lanes of `zp`), uint8 with saturation, then the lower clamp (u8 lanes of
 * `lower`). Leaves the v128 (with two inputs, the high 8 bytes are `max(0, lower)`).
 */
export function emitPackU8(f: FunctionBuilder, y: readonly Local[], zp: Local, lower: Local): void {
  const half = (i: number) =>
    f.localGet(y[i]).localGet(y[i + 1]).i16x8.narrowI32x4S().localGet(zp).i16x8.addSatS();
  half(0);
  if (y.length === 4) half(2);
  else f.v128.const("i32x4", [0, 0, 0, 0]);
  f.i8x16.narrowI16x8U().localGet(lower).i8x16.maxU();
}

function emitRequant(
  f: FunctionBuilder,
  output: "u8" | "f32",
  arithmetic: RequantArithmetic,
): void {
  const [c, out, rowSums, cols, m, nPadded] = f.params;
  const flags = f.params[output === "u8" ? 8 : 6];
  const col = f.local("i32", "col");
  const colBytes = f.local("i32", "colBytes"); // nPadded * 4: distance between the column arrays
  const rowSum = f.local("v128", "rowSum");
  const y0 = f.local("v128", "y0");
  const y1 = f.local("v128", "y1");
  const lower = f.local("v128", "lower");
  const zp = f.local("v128", "zp");
  const locals = requantLocals(f);
  f.localGet(m).i32.eqz().if(() => void f.return());
  f.localGet(nPadded).i32.const(4).i32.mul().localSet(colBytes);
  if (output === "u8") {
    const [, , , , , , zeroPoint, lowerClamp] = f.params;
    // The pack adds the zero point in int16 unless the arithmetic added it in float.
    if (arithmetic.zeroPointInPack) f.localGet(zeroPoint).i16x8.splat().localSet(zp);
    f.localGet(zeroPoint).f32.convertI32S().f32x4.splat().localSet(locals.zeroPoint);
    f.localGet(lowerClamp).i8x16.splat().localSet(lower);
  }
  f.loop((nextRow) => {
    f.localGet(rowSums).v128.load32Splat().localSet(rowSum);
    f.i32.const(0).localSet(col);
    f.loop((nextCols) => {
      // Two vectors of four columns each.
      for (const [half, y] of [[0, y0], [1, y1]] as const) {
        // address of column array `array` at this column: cols + array·colBytes + col·4
        const at = (array: number) => {
          f.localGet(cols).localGet(colBytes).i32.const(array).i32.mul().i32.add();
          f.localGet(col).i32.const(4).i32.mul().i32.add();
        };
        const load = (array: ColumnArray) => () => {
          at(columnArray(array));
          f.v128.load({ offset: half * 16, align: 4 });
        };
        const io: RequantInputs = {
          ...locals,
          biasTerm: load("biasTerm"),
          biasScale: load("biasScale"),
          multiplier: load("multiplier"),
          biasProduct: (pair) => {
            // cols + slot·colBytes + col·8: the float64 array
            f.localGet(cols).localGet(colBytes).i32.const(columnArray("biasProduct")).i32.mul()
              .i32.add();
            f.localGet(col).i32.const(8).i32.mul().i32.add();
            f.v128.load({ offset: half * 32 + pair * 16, align: 8 });
          },
          flag: (name) => void f.localGet(flags).i32.const(REQUANT_FLAGS[name]).i32.and(),
        };
        f.localGet(c).v128.load({ offset: half * 16, align: 4 });
        load("colInt")();
        f.i32x4.add();
        f.localGet(rowSum);
        load("rowMul")();
        f.i32x4.mul().i32x4.add();
        if (output === "u8") emitRequantToLocal(f, arithmetic, io, y);
        else {
          arithmetic.emitF32(f, io);
          f.localGet(flags).i32.const(REQUANT_FLAGS.relu).i32.and().if(
            { params: ["v128"], results: ["v128"] },
            () => arithmetic.emitRelu(f, io),
          );
          f.localSet(y);
        }
      }
      if (output === "u8") {
        f.localGet(out);
        emitPackU8(f, [y0, y1], zp, lower);
        f.v128.store64Lane(0, { align: 1 });
        f.localGet(out).i32.const(8).i32.add().localSet(out);
      } else {
        for (const [half, y] of [[0, y0], [1, y1]] as const) {
          f.localGet(out).localGet(y).v128.store({ offset: half * 16, align: 4 });
        }
        f.localGet(out).i32.const(32).i32.add().localSet(out);
      }
      f.localGet(c).i32.const(32).i32.add().localSet(c);
      f.localGet(col).i32.const(8).i32.add().localTee(col).localGet(nPadded).i32.ltU().brIf(
        nextCols,
      );
    });
    f.localGet(rowSums).i32.const(4).i32.add().localSet(rowSums);
    f.localGet(m).i32.const(1).i32.sub().localTee(m).brIf(nextRow);
  });
}
