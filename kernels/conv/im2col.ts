/**
 * Generates the im2col kernel: for one image and one group of an NHWC input, the rows
 * `[OH·OW, Kpadded]` of patch values in the (kh, kw, c) order — FBGEMM's `PackAWithIm2Col` order,
 * the one its int16 pair saturation follows — with taps outside the image filled with the padding
 * value (the input zero point for int8: QNNPACK reads a zero-point vector there) and the K padding
 * filled with zeros. Copies are `memory.copy`/`memory.fill` of each tap's channel run.
 * @module
 */
import { ModuleBuilder } from "../wasm/mod.ts";

/** Exports of the im2col module. */
export interface Im2colExports {
  /**
   * `im2col(x, out, geometry)`: `x` points at image `n`, group `g`'s first channel (NHWC); the
   * geometry block (i32 × 16) holds H, W, C (row stride in elements), Cg, KH, KW, SH, SW, PH, PW,
   * DH, DW, OH, OW, Kpadded, padValue (a byte for u8, a float32 bit pattern for f32).
   */
  im2col(x: number, out: number, geometry: number): void;
}

/** The order of the 16 i32 fields of the geometry block. */
export const IM2COL_FIELDS = [
  "h",
  "w",
  "c",
  "cg",
  "kh",
  "kw",
  "sh",
  "sw",
  "ph",
  "pw",
  "dh",
  "dw",
  "oh",
  "ow",
  "kPadded",
  "pad",
] as const;

/** Builds the module for elements of `elementBytes` (1: u8 codes, 4: f32). */
export function buildIm2col(elementBytes: 1 | 4): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = mod.function("im2col", {
    params: ["i32", "i32", "i32"],
    paramNames: ["x", "out", "geometry"],
  });
  const [x, out, geometry] = f.params;
  const field = Object.fromEntries(IM2COL_FIELDS.map((name) => [name, f.local("i32", name)]));
  IM2COL_FIELDS.forEach((name, i) => {
    f.localGet(geometry).i32.load({ offset: i * 4 }).localSet(field[name]);
  });
  const oy = f.local("i32", "oy");
  const ox = f.local("i32", "ox");
  const r = f.local("i32", "r");
  const s = f.local("i32", "s");
  const iy = f.local("i32", "iy");
  const ix = f.local("i32", "ix");
  const rowStart = f.local("i32", "rowStart");
  const runBytes = f.local("i32", "runBytes");
  const t = f.local("i32", "t");
  const scale = (local: typeof x) => {
    f.localGet(local);
    if (elementBytes === 4) f.i32.const(2).i32.shl();
  };
  scale(field.cg);
  f.localSet(runBytes);
  f.localGet(field.oh).i32.eqz().localGet(field.ow).i32.eqz().i32.or().if(() => void f.return());
  f.i32.const(0).localSet(oy);
  f.loop((nextRow) => {
    f.i32.const(0).localSet(ox);
    f.loop((nextColumn) => {
      f.localGet(out).localSet(rowStart);
      f.i32.const(0).localSet(r);
      f.loop((nextR) => {
        // iy = oy·SH − PH + r·DH
        f.localGet(oy).localGet(field.sh).i32.mul().localGet(field.ph).i32.sub();
        f.localGet(r).localGet(field.dh).i32.mul().i32.add().localSet(iy);
        f.i32.const(0).localSet(s);
        f.loop((nextS) => {
          f.localGet(ox).localGet(field.sw).i32.mul().localGet(field.pw).i32.sub();
          f.localGet(s).localGet(field.dw).i32.mul().i32.add().localSet(ix);
          // inside = 0 <= iy < H && 0 <= ix < W (unsigned compare covers both bounds)
          f.localGet(iy).localGet(field.h).i32.ltU().localGet(ix).localGet(field.w).i32.ltU().i32
            .and();
          f.if(() => {
            // memory.copy(out, x + (iy·W + ix)·C·elementBytes, runBytes)
            f.localGet(out);
            f.localGet(iy).localGet(field.w).i32.mul().localGet(ix).i32.add().localGet(field.c).i32
              .mul();
            if (elementBytes === 4) f.i32.const(2).i32.shl();
            f.localGet(x).i32.add().localGet(runBytes).memory.copy();
          }, () => {
            if (elementBytes === 1) {
              f.localGet(out).localGet(field.pad).localGet(runBytes).memory.fill();
            } else {
              // float padding: store the pattern element by element
              f.i32.const(0).localSet(t);
              f.block((done) => {
                f.loop((next) => {
                  f.localGet(t).localGet(runBytes).i32.geU().brIf(done);
                  f.localGet(out).localGet(t).i32.add().localGet(field.pad).i32.store({ align: 4 });
                  f.localGet(t).i32.const(4).i32.add().localSet(t);
                  f.br(next);
                });
              });
            }
          });
          f.localGet(out).localGet(runBytes).i32.add().localSet(out);
          f.localGet(s).i32.const(1).i32.add().localTee(s).localGet(field.kw).i32.ltU().brIf(nextS);
        });
        f.localGet(r).i32.const(1).i32.add().localTee(r).localGet(field.kh).i32.ltU().brIf(nextR);
      });
      // zero the K padding: rowStart + Kpadded·elementBytes − out bytes
      f.localGet(out).i32.const(0);
      scale(field.kPadded);
      f.localGet(rowStart).i32.add().localGet(out).i32.sub().memory.fill();
      f.localGet(rowStart);
      scale(field.kPadded);
      f.i32.add().localSet(out);
      f.localGet(ox).i32.const(1).i32.add().localTee(ox).localGet(field.ow).i32.ltU().brIf(
        nextColumn,
      );
    });
    f.localGet(oy).i32.const(1).i32.add().localTee(oy).localGet(field.oh).i32.ltU().brIf(nextRow);
  });
  mod.exportFunction(f);
  return mod;
}
