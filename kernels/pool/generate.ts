/**
 * Generates the quint8 NHWC pooling kernels over an indirection table (`tap_loop.ts`):
 * - `max_pool(x, taps, out, npix, c)`: `u8x16.max` over the window's taps, starting from 0 (a
 *   window with no tap gives quint8's lowest code, as ATen's kernel).
 * - `avg_pool(x, taps, out, npix, c, zp)`: header word 1 is the pixel's float32 multiplier `m`;
 *   `acc = Σ q − count·zp` (int32), then `clamp(zp + rne(f32(f32(acc)·m)), 0, 255)` — both ATen's
 *   channels-last formula and QNNPACK's (whose int16 saturation before adding the zero point
 *   cannot change a result clamped to [0, 255] with a zero point in it).
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder } from "../wasm/mod.ts";
import { clampAddZeroPoint, narrowU8 } from "../elementwise/simd.ts";
import { emitTapPool } from "./tap_loop.ts";

/** Exports of the quint8 pooling module (byte offsets). */
export interface PoolExports {
  /** `max_pool(x, taps, out, npix, c)`. */
  max_pool(x: number, taps: number, out: number, npix: number, c: number): void;
  /** `avg_pool(x, taps, out, npix, c, zp)`. */
  avg_pool(x: number, taps: number, out: number, npix: number, c: number, zp: number): void;
}

/** Header words of the tables: max `[count]`, average `[count, multiplier]`. */
export const MAX_HEADER_WORDS = 1;
/** See MAX_HEADER_WORDS. */
export const AVG_HEADER_WORDS = 2;

/** Builds the module (imports `env.memory`). */
export function buildPool(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const max = mod.function("max_pool", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "taps", "out", "npix", "c"],
  });
  const acc = max.local("v128", "acc");
  emitTapPool(max, {
    lanes: 16,
    elementBytes: 1,
    headerWords: MAX_HEADER_WORDS,
    pixel() {},
    init: () => void max.v128.const("i32x4", [0, 0, 0, 0]).localSet(acc),
    tap: (addr) =>
      void max.localGet(acc).localGet(addr).v128.load({ align: 1 }).i8x16.maxU().localSet(acc),
    store: (dst) => void max.localGet(dst).localGet(acc).v128.store({ align: 1 }),
  });
  mod.exportFunction(max);
  const avg = mod.function("avg_pool", {
    params: ["i32", "i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "taps", "out", "npix", "c", "zp"],
  });
  emitAvg(avg);
  mod.exportFunction(avg);
  return mod;
}

function emitAvg(f: FunctionBuilder): void {
  const zp = f.params[5];
  const accs = [0, 1, 2, 3].map((g) => f.local("v128", `acc${g}`));
  const bias = f.local("v128", "bias");
  const m = f.local("v128", "m");
  const v = f.local("v128", "v");
  const half = [f.local("v128", "lo"), f.local("v128", "hi")];
  const zpV = f.local("v128", "zpv");
  const lowV = f.local("v128", "low");
  const highV = f.local("v128", "high");
  f.localGet(zp).i32x4.splat().localSet(zpV);
  f.i32.const(0).localGet(zp).i32.sub().i32x4.splat().localSet(lowV);
  f.i32.const(255).localGet(zp).i32.sub().i32x4.splat().localSet(highV);
  emitTapPool(f, {
    lanes: 16,
    elementBytes: 1,
    headerWords: AVG_HEADER_WORDS,
    pixel(table: Local, count: Local) {
      f.localGet(table).f32.load({ offset: 4, align: 4 }).f32x4.splat().localSet(m);
      f.i32.const(0).localGet(count).localGet(zp).i32.mul().i32.sub().i32x4.splat();
      f.localSet(bias);
    },
    init: () => accs.forEach((a) => void f.localGet(bias).localSet(a)),
    tap(addr: Local) {
      f.localGet(addr).v128.load({ align: 1 }).localSet(v);
      f.localGet(v).i16x8.extendLowI8x16U().localSet(half[0]);
      f.localGet(v).i16x8.extendHighI8x16U().localSet(half[1]);
      accs.forEach((a, g) => {
        f.localGet(a).localGet(half[g >> 1]);
        if (g % 2 === 0) f.i32x4.extendLowI16x8U();
        else f.i32x4.extendHighI16x8U();
        f.i32x4.add().localSet(a);
      });
    },
    store(dst: Local) {
      for (const a of accs) {
        f.localGet(a).f32x4.convertI32x4S().localGet(m).f32x4.mul().f32x4.nearest();
        f.i32x4.truncSatF32x4S();
        clampAddZeroPoint(f, lowV, highV, zpV);
        f.localSet(a);
      }
      f.localGet(dst);
      narrowU8(f, accs);
      f.v128.store({ align: 1 });
    },
  });
}
