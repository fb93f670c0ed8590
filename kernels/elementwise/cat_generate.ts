/**
 * Generates the channel-concatenation kernels of NHWC quint8 tensors (one input at a time,
 * written into its channel range of every output pixel):
 * - `cat_lut(x, out, npix, c, cOut, nv16, nv, tv, ts)`: requantizes through 256-byte tables —
 *   channel `ch < nv` through `tv` (ATen's vector quantize), the rest through `ts` (its scalar
 *   tail). The first `nv16` channels (a multiple of 16, at most `nv`) go 16 at a time through
 *   `i8x16.swizzle`, the rest one by one.
 * - `cat_copy(x, out, npix, c, cOut)`: copies (inputs whose qparams equal the output's).
 * @module
 */
import { ModuleBuilder } from "../wasm/mod.ts";
import { emitLut16, loadSubTables } from "../activation/generate.ts";

/** Exports of the cat module (pointers are byte offsets). */
export interface CatExports {
  /** `cat_lut(x, out, npix, c, cOut, nv16, nv, tv, ts)`. */
  cat_lut(
    x: number,
    out: number,
    npix: number,
    c: number,
    cOut: number,
    nv16: number,
    nv: number,
    tv: number,
    ts: number,
  ): void;
  /** `cat_copy(x, out, npix, c, cOut)`. */
  cat_copy(x: number, out: number, npix: number, c: number, cOut: number): void;
}

/** Builds the module (imports `env.memory`). */
export function buildCat(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = mod.function("cat_lut", {
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "out", "npix", "c", "cOut", "nv16", "nv", "tv", "ts"],
  });
  {
    const [x, out, npix, c, cOut, nv16, nv, tv, ts] = f.params;
    const ch = f.local("i32", "ch");
    const cEnd = f.local("i32", "cEnd");
    const index = f.local("v128", "index");
    f.localGet(npix).i32.eqz().if(() => void f.return());
    const tables = loadSubTables(f, tv, "t");
    f.localGet(c).localSet(cEnd);
    f.loop((pixel) => {
      f.i32.const(0).localSet(ch);
      f.block((done) => {
        f.localGet(nv16).i32.eqz().brIf(done);
        f.loop((next) => {
          f.localGet(out).localGet(ch).i32.add();
          f.localGet(x).localGet(ch).i32.add().v128.load({ align: 1 });
          emitLut16(f, tables, index);
          f.v128.store({ align: 1 });
          f.localGet(ch).i32.const(16).i32.add().localTee(ch).localGet(nv16).i32.ltU().brIf(next);
        });
      });
      f.block((done) => {
        f.loop((next) => {
          f.localGet(ch).localGet(cEnd).i32.geS().brIf(done);
          f.localGet(out).localGet(ch).i32.add();
          f.localGet(tv).localGet(ts).localGet(ch).localGet(nv).i32.ltS().select();
          f.localGet(x).localGet(ch).i32.add().i32.load8U().i32.add().i32.load8U();
          f.i32.store8();
          f.localGet(ch).i32.const(1).i32.add().localSet(ch);
          f.br(next);
        });
      });
      f.localGet(x).localGet(c).i32.add().localSet(x);
      f.localGet(out).localGet(cOut).i32.add().localSet(out);
      f.localGet(npix).i32.const(1).i32.sub().localTee(npix).brIf(pixel);
    });
  }
  mod.exportFunction(f);
  const copy = mod.function("cat_copy", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "out", "npix", "c", "cOut"],
  });
  {
    const [x, out, npix, c, cOut] = copy.params;
    copy.localGet(npix).i32.eqz().if(() => void copy.return());
    copy.loop((pixel) => {
      copy.localGet(out).localGet(x).localGet(c).memory.copy();
      copy.localGet(x).localGet(c).i32.add().localSet(x);
      copy.localGet(out).localGet(cOut).i32.add().localSet(out);
      copy.localGet(npix).i32.const(1).i32.sub().localTee(npix).brIf(pixel);
    });
  }
  mod.exportFunction(copy);
  return mod;
}
