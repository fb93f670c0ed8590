/**
 * Generates the quint8 activation kernels (16 codes per iteration; callers pad):
 * - `lut(x, out, n, table)`: `out[i] = table[x[i]]` for a 256-byte table — QNNPACK's own method
 *   for hardswish, sigmoid and tanh, and exact by construction for ATen's kernels too (a code's
 *   result depends only on the code and on whether it takes the vector or the scalar path, so
 *   the caller passes one table per path). 16 `i8x16.swizzle`s over the table's 16-byte
 *   sub-tables: `swizzle(T_k, x − 16k)` is `T_k[x − 16k]` when that index is below 16 and 0
 *   otherwise, so the OR of the 16 lookups is the entry.
 * - `clamp(x, out, n, lo, hi)`: `min(max(x, lo), hi)` (relu, relu6).
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder } from "../wasm/mod.ts";
import { stridedLoop } from "../elementwise/simd.ts";

/** Exports of the activation module (pointers are byte offsets; n is a multiple of 16). */
export interface ActivationExports {
  /** `lut(x, out, n, table)`. */
  lut(x: number, out: number, n: number, table: number): void;
  /** `clamp(x, out, n, lo, hi)`. */
  clamp(x: number, out: number, n: number, lo: number, hi: number): void;
  /** `lut_channels(x, out, npix, c, tables)`: NHWC codes, one 256-byte table per channel. */
  lut_channels(x: number, out: number, npix: number, c: number, tables: number): void;
}

/** Loads the 16 sub-tables of the 256-byte table at `table` into 16 v128 locals. */
export function loadSubTables(f: FunctionBuilder, table: Local, prefix: string): Local[] {
  return Array.from({ length: 16 }, (_, k) => {
    const t = f.local("v128", `${prefix}${k}`);
    f.localGet(table).v128.load({ offset: k * 16, align: 1 }).localSet(t);
    return t;
  });
}

/**
 * With a u8x16 of codes on the stack, leaves the u8x16 of their table entries.
 * @param index a scratch v128 local
 * @param offByOne test-only: look up `q + 1` instead
 */
export function emitLut16(
  f: FunctionBuilder,
  tables: readonly Local[],
  index: Local,
): void {
  f.localSet(index);
  const sixteen = f.local("v128", "sixteen");
  f.i32.const(16).i8x16.splat().localSet(sixteen);
  tables.forEach((t, k) => {
    f.localGet(t).localGet(index).i8x16.swizzle();
    if (k > 0) f.v128.or();
    if (k < 15) f.localGet(index).localGet(sixteen).i8x16.sub().localSet(index);
  });
}

/** Builds the module (imports `env.memory`). */
export function buildActivation(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const lut = mod.function("lut", {
    params: ["i32", "i32", "i32", "i32"],
    paramNames: ["x", "out", "n", "table"],
  });
  {
    const [x, out, n, table] = lut.params;
    const end = lut.local("i32", "end");
    const index = lut.local("v128", "index");
    lut.localGet(n).i32.eqz().if(() => void lut.return());
    const tables = loadSubTables(lut, table, "t");
    lut.localGet(x).localGet(n).i32.add().localSet(end);
    stridedLoop(lut, x, end, 16, [[out, 16]], () => {
      lut.localGet(out);
      lut.localGet(x).v128.load({ align: 1 });
      emitLut16(lut, tables, index);
      lut.v128.store({ align: 1 });
    });
  }
  mod.exportFunction(lut);
  const clamp = mod.function("clamp", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "out", "n", "lo", "hi"],
  });
  {
    const [x, out, n, lo, hi] = clamp.params;
    const end = clamp.local("i32", "end");
    const loV = clamp.local("v128", "lov");
    const hiV = clamp.local("v128", "hiv");
    clamp.localGet(n).i32.eqz().if(() => void clamp.return());
    clamp.localGet(lo).i8x16.splat().localSet(loV);
    clamp.localGet(hi).i8x16.splat().localSet(hiV);
    clamp.localGet(x).localGet(n).i32.add().localSet(end);
    stridedLoop(clamp, x, end, 16, [[out, 16]], () => {
      clamp.localGet(out).localGet(x).v128.load({ align: 1 });
      clamp.localGet(loV).i8x16.maxU().localGet(hiV).i8x16.minU().v128.store({ align: 1 });
    });
  }
  mod.exportFunction(clamp);
  const channels = mod.function("lut_channels", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "out", "npix", "c", "tables"],
  });
  {
    // Per pixel, channel ch looks its code up in table ch (`tables + 256·ch`): byte loads, as
    // wasm has no gather.
    const [x, out, npix, c, tables] = channels.params;
    const ch = channels.local("i32", "ch");
    const table = channels.local("i32", "table");
    channels.localGet(npix).i32.eqz().localGet(c).i32.eqz().i32.or()
      .if(() => void channels.return());
    channels.loop((pixel) => {
      channels.i32.const(0).localSet(ch);
      channels.localGet(tables).localSet(table);
      channels.loop((channel) => {
        channels.localGet(out);
        channels.localGet(table).localGet(x).i32.load8U().i32.add().i32.load8U();
        channels.i32.store8();
        channels.localGet(x).i32.const(1).i32.add().localSet(x);
        channels.localGet(out).i32.const(1).i32.add().localSet(out);
        channels.localGet(table).i32.const(256).i32.add().localSet(table);
        channels.localGet(ch).i32.const(1).i32.add().localTee(ch).localGet(c).i32.ltU()
          .brIf(channel);
      });
      channels.localGet(npix).i32.const(1).i32.sub().localTee(npix).brIf(pixel);
    });
  }
  mod.exportFunction(channels);
  return mod;
}
