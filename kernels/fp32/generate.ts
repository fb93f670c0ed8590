/**
 * Generates the fp32 baseline kernels of the non-GEMM ops (4 floats per vector; callers pad to
 * whole vectors). Plain IEEE float32 arithmetic, no fused multiply-add:
 * - `add(a, b, out, n, floor)`: `c = a + b`, then `c < floor ? floor : c` (floor −Infinity, or 0
 *   for a fused ReLU; NaN passes); `mul(a, b, out, n)`: `a·b`;
 * - `clamp(x, out, n, lo, hi)`: `t = x < lo ? lo : x; hi < t ? hi : t` (relu, relu6; NaN passes);
 * - `hardswish(x, out, n)`: `f32(f32(x·clamp(f32(x + 3), 0, 6)) / 6)`;
 * - `max_pool(x, taps, out, npix, c)`: `f32x4.max` (NaN-propagating) from −Infinity over the
 *   window's taps; `avg_pool(x, taps, out, npix, c)`: the taps summed in table order from +0, then
 *   divided by the pixel's divisor (header word 1) — indirection tables as in `pool/tap_loop.ts`.
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder } from "../wasm/mod.ts";
import { emitTapPool } from "../pool/tap_loop.ts";

/** Exports of the fp32 ops module (pointers are byte offsets; n counts floats, a multiple of 4). */
export interface Fp32OpsExports {
  /** `add(a, b, out, n, floor)`. */
  add(a: number, b: number, out: number, n: number, floor: number): void;
  /** `mul(a, b, out, n)`. */
  mul(a: number, b: number, out: number, n: number): void;
  /** `clamp(x, out, n, lo, hi)`. */
  clamp(x: number, out: number, n: number, lo: number, hi: number): void;
  /** `hardswish(x, out, n)`. */
  hardswish(x: number, out: number, n: number): void;
  /** `max_pool(x, taps, out, npix, c)`. */
  max_pool(x: number, taps: number, out: number, npix: number, c: number): void;
  /** `avg_pool(x, taps, out, npix, c)`. */
  avg_pool(x: number, taps: number, out: number, npix: number, c: number): void;
}

/**
 * Emits a loop over `n` floats (a multiple of 4, returning at once when 0): `body` per vector,
 * then `first` and every pointer in `others` advance by 16 bytes.
 */
function vectorLoop(
  f: FunctionBuilder,
  first: Local,
  n: Local,
  others: readonly Local[],
  body: () => void,
): void {
  const end = f.local("i32", "end");
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(first).localGet(n).i32.const(4).i32.mul().i32.add().localSet(end);
  f.loop((next) => {
    body();
    for (const p of others) f.localGet(p).i32.const(16).i32.add().localSet(p);
    f.localGet(first).i32.const(16).i32.add().localTee(first).localGet(end).i32.ne().brIf(next);
  });
}

function splatF32(f: FunctionBuilder, value: Local | number, name: string): Local {
  const v = f.local("v128", name);
  if (typeof value === "number") f.f32.const(value);
  else f.localGet(value);
  f.f32x4.splat().localSet(v);
  return v;
}

/** Builds the module (imports `env.memory`). */
export function buildFp32Ops(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  for (const name of ["add", "mul"] as const) {
    const f = mod.function(name, {
      params: name === "add" ? ["i32", "i32", "i32", "i32", "f32"] : ["i32", "i32", "i32", "i32"],
      paramNames: name === "add" ? ["a", "b", "out", "n", "floor"] : ["a", "b", "out", "n"],
    });
    const [a, b, out, n] = f.params;
    const floorV = name === "add" ? splatF32(f, f.params[4], "floorv") : undefined;
    vectorLoop(f, a, n, [b, out], () => {
      f.localGet(out).localGet(a).v128.load({ align: 4 }).localGet(b).v128.load({ align: 4 });
      if (floorV === undefined) f.f32x4.mul();
      else f.f32x4.add().localGet(floorV).f32x4.pmax();
      f.v128.store({ align: 4 });
    });
    mod.exportFunction(f);
  }
  const clamp = mod.function("clamp", {
    params: ["i32", "i32", "i32", "f32", "f32"],
    paramNames: ["x", "out", "n", "lo", "hi"],
  });
  {
    const [x, out, n, lo, hi] = clamp.params;
    const loV = splatF32(clamp, lo, "lov");
    const hiV = splatF32(clamp, hi, "hiv");
    vectorLoop(clamp, x, n, [out], () => {
      clamp.localGet(out).localGet(x).v128.load({ align: 4 }).localGet(loV).f32x4.pmax();
      clamp.localGet(hiV).f32x4.pmin().v128.store({ align: 4 });
    });
  }
  mod.exportFunction(clamp);
  const hs = mod.function("hardswish", {
    params: ["i32", "i32", "i32"],
    paramNames: ["x", "out", "n"],
  });
  {
    const [x, out, n] = hs.params;
    const v = hs.local("v128", "v");
    const three = splatF32(hs, 3, "three");
    const zero = splatF32(hs, 0, "zero");
    const six = splatF32(hs, 6, "six");
    vectorLoop(hs, x, n, [out], () => {
      hs.localGet(x).v128.load({ align: 4 }).localSet(v);
      hs.localGet(out).localGet(v);
      hs.localGet(v).localGet(three).f32x4.add().localGet(zero).f32x4.pmax();
      hs.localGet(six).f32x4.pmin().f32x4.mul().localGet(six).f32x4.div();
      hs.v128.store({ align: 4 });
    });
  }
  mod.exportFunction(hs);
  const max = mod.function("max_pool", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "taps", "out", "npix", "c"],
  });
  {
    const acc = max.local("v128", "acc");
    const minusInf = splatF32(max, -Infinity, "minf");
    emitTapPool(max, {
      lanes: 4,
      elementBytes: 4,
      headerWords: 1,
      pixel() {},
      init: () => void max.localGet(minusInf).localSet(acc),
      tap: (addr) =>
        void max.localGet(acc).localGet(addr).v128.load({ align: 4 }).f32x4.max().localSet(acc),
      store: (dst) => void max.localGet(dst).localGet(acc).v128.store({ align: 4 }),
    });
  }
  mod.exportFunction(max);
  const avg = mod.function("avg_pool", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "taps", "out", "npix", "c"],
  });
  {
    const acc = avg.local("v128", "acc");
    const div = avg.local("v128", "div");
    emitTapPool(avg, {
      lanes: 4,
      elementBytes: 4,
      headerWords: 2,
      pixel: (table) =>
        void avg.localGet(table).f32.load({ offset: 4, align: 4 }).f32x4.splat().localSet(div),
      init: () => void avg.v128.const("f32x4", [0, 0, 0, 0]).localSet(acc),
      tap: (addr) =>
        void avg.localGet(acc).localGet(addr).v128.load({ align: 4 }).f32x4.add().localSet(acc),
      store: (dst) =>
        void avg.localGet(dst).localGet(acc).localGet(div).f32x4.div().v128.store({ align: 4 }),
    });
  }
  mod.exportFunction(avg);
  return mod;
}
