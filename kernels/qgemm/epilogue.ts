/**
 * Generates the kernels around the int8 GEMM:
 * - `prepare`: per activation row, the sum of its codes (for zero-point correction) and the
 *   largest code (to prove that no pair can saturate), widening u8 → int16 for the int16
 *   variants;
 * - `requant_u8`: int32 accumulators → quint8 outputs with the float requantization both engines
 *   share (`cvtdq2ps`, + bias term, × multiplier, round half to even, int16 then uint8
 *   saturation, ReLU as a lower clamp);
 * - `requant_f32`: int32 accumulators → float outputs of the dynamic linear.
 *
 * Both requantizations first remove the zero points from the raw-code accumulator:
 * `acc' = acc + colInt[n] + rowSum[m]·rowMul[n]` (int32, wrapping like the C++ kernels).
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder } from "../wasm/mod.ts";

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
   * `requant_u8(c, out, rowSums, cols, m, nPadded, outputZeroPoint, lowerClamp)`: `c` is
   * m × nPadded int32; `cols` points at four nPadded arrays: colInt (i32), rowMul (i32), biasTerm
   * (f32), multiplier (f32). Writes m × nPadded bytes to `out`.
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
  ): void;
  /**
   * `requant_f32(c, out, rowSums, cols, m, nPadded, flags)`: as requant_u8 but
   * `y = f32(acc')·multiplier (+ bias if flags & 2)` (float bias in the biasTerm array), ReLU
   * (flags & 1) as `pmax(y, 0)` (keeps −0 and NaN, like FBGEMM's `max_ps(0, y)`), float output.
   * Without a bias nothing is added, so a −0 product stays −0.
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

/** Builds the epilogue module (imports `env.memory`). */
export function buildEpilogue(): ModuleBuilder {
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
        params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
        paramNames: ["c", "out", "rowSums", "cols", "m", "nPadded", "zeroPoint", "lowerClamp"],
      })
      : mod.function("requant_f32", {
        params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
        paramNames: ["c", "out", "rowSums", "cols", "m", "nPadded", "flags"],
      });
    emitRequant(f, output);
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
 * The float part of `requant_u8` on the i32x4 of zero-point-corrected accumulators on the stack:
 * `f32(acc') + biasTerm`, `× multiplier`, round half to even, saturate to int32 (NaN → 0).
 * Leaves the i32x4 result. Shared by every kernel that requantizes (GEMM epilogue, depthwise).
 */
export function emitScaleAndRound(
  f: FunctionBuilder,
  loadBiasTerm: () => void,
  loadMultiplier: () => void,
): void {
  f.f32x4.convertI32x4S();
  loadBiasTerm();
  f.f32x4.add();
  loadMultiplier();
  f.f32x4.mul().f32x4.nearest().i32x4.truncSatF32x4S();
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

function emitRequant(f: FunctionBuilder, output: "u8" | "f32"): void {
  const [c, out, rowSums, cols, m, nPadded] = f.params;
  const col = f.local("i32", "col");
  const colBytes = f.local("i32", "colBytes"); // nPadded * 4: distance between the column arrays
  const rowSum = f.local("v128", "rowSum");
  const y0 = f.local("v128", "y0");
  const y1 = f.local("v128", "y1");
  const lower = f.local("v128", "lower");
  const zp = f.local("v128", "zp");
  const zero = f.local("v128", "zero");
  f.localGet(m).i32.eqz().if(() => void f.return());
  f.localGet(nPadded).i32.const(4).i32.mul().localSet(colBytes);
  if (output === "u8") {
    const [, , , , , , zeroPoint, lowerClamp] = f.params;
    f.localGet(zeroPoint).i16x8.splat().localSet(zp);
    f.localGet(lowerClamp).i8x16.splat().localSet(lower);
  }
  f.loop((nextRow) => {
    f.localGet(rowSums).v128.load32Splat().localSet(rowSum);
    f.i32.const(0).localSet(col);
    f.loop((nextCols) => {
      // Two vectors of four columns each.
      for (const [half, y] of [[0, y0], [1, y1]] as const) {
        const at = (array: number) => {
          // address of column array `array` at this column: cols + array·colBytes + col·4
          f.localGet(cols).localGet(colBytes).i32.const(array).i32.mul().i32.add();
          f.localGet(col).i32.const(4).i32.mul().i32.add();
        };
        f.localGet(c).v128.load({ offset: half * 16, align: 4 });
        at(0);
        f.v128.load({ offset: half * 16, align: 4 }).i32x4.add();
        f.localGet(rowSum);
        at(1);
        f.v128.load({ offset: half * 16, align: 4 }).i32x4.mul().i32x4.add();
        if (output === "u8") {
          const load = (array: number) => () => {
            at(array);
            f.v128.load({ offset: half * 16, align: 4 });
          };
          emitScaleAndRound(f, load(2), load(3));
          f.localSet(y);
        } else {
          f.f32x4.convertI32x4S();
          at(3);
          f.v128.load({ offset: half * 16, align: 4 }).f32x4.mul().localSet(y);
          const [, , , , , , flags] = f.params;
          f.localGet(flags).i32.const(2).i32.and().if(() => {
            f.localGet(y);
            at(2);
            f.v128.load({ offset: half * 16, align: 4 }).f32x4.add().localSet(y);
          });
        }
      }
      if (output === "u8") {
        f.localGet(out);
        emitPackU8(f, [y0, y1], zp, lower);
        f.v128.store64Lane(0, { align: 1 });
        f.localGet(out).i32.const(8).i32.add().localSet(out);
      } else {
        const [, , , , , , flags] = f.params;
        for (const [half, y] of [[0, y0], [1, y1]] as const) {
          f.localGet(flags).i32.const(1).i32.and().if(() =>
            void f.localGet(y).localGet(zero).f32x4.pmax().localSet(y)
          );
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
