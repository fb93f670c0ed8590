/**
 * Generates the elementwise quantization kernels (16 elements per iteration; callers pad):
 * - quantize f32 → u8/i8: `clamp(rne(f32(x·inv)), qmin−zp, qmax−zp) + zp` — equal to PyTorch's
 *   `f32(rne(x·inv) + zp)` then clamp for every finite input, and the reference's choice for
 *   NaN (→ zp) and ±Infinity (→ the bounds) because `i32x4.trunc_sat_f32x4_s` maps NaN to 0;
 * - quantize as FBGEMM's AVX2 kernel (`quantize_fbgemm`, the FBGEMM numerics): `t = min(f32(x·inv),
 *   2147483520)` (NaN gives the bound), round half to even (−Infinity and values below −2³¹ give
 *   INT32_MIN), `+ zp` in int32 wrapping, clamped to [qmin, qmax];
 * - dequantize u8/i8 → f32 per tensor: `f32(f32(scale)·f32(q − zp))`;
 * - per channel, with per-element scale/zero-point arrays: quantize as above; dequantize with the
 *   double product PyTorch uses: `f32(double(q − zp)·scale_c)`.
 * @module
 */
import { type FunctionBuilder, type Local, ModuleBuilder, shuffleLanes } from "../wasm/mod.ts";

/** Exports of the quantization module. */
export interface QuantizeExports {
  /** `quantize(x, out, n, inv, zp, qmin, qmax, signed)` over n (a multiple of 16) floats. */
  quantize(
    x: number,
    out: number,
    n: number,
    inv: number,
    zp: number,
    qmin: number,
    qmax: number,
    signed: number,
  ): void;
  /** `quantize_fbgemm(x, out, n, inv, zp, qmin, qmax, signed)`: FBGEMM's AVX2 quantize. */
  quantize_fbgemm(
    x: number,
    out: number,
    n: number,
    inv: number,
    zp: number,
    qmin: number,
    qmax: number,
    signed: number,
  ): void;
  /** `quantize_pc(x, out, n, invs, zps, qmin, qmax, signed)`: per-element f32 inverse scales and i32 zero points. */
  quantize_pc(
    x: number,
    out: number,
    n: number,
    invs: number,
    zps: number,
    qmin: number,
    qmax: number,
    signed: number,
  ): void;
  /** `dequantize(q, out, n, scale, zp, signed)` over n (a multiple of 16) codes. */
  dequantize(q: number, out: number, n: number, scale: number, zp: number, signed: number): void;
  /** `dequantize_pc(q, out, n, scales, zps, signed)`: per-element f64 scales and i32 zero points. */
  dequantize_pc(
    q: number,
    out: number,
    n: number,
    scales: number,
    zps: number,
    signed: number,
  ): void;
}

/** Builds the module (imports `env.memory`). */
export function buildQuantize(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const fbgemm = mod.function("quantize_fbgemm", {
    params: ["i32", "i32", "i32", "f32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "out", "n", "inv", "zp", "qmin", "qmax", "signed"],
  });
  emitQuantize(fbgemm, false, "fbgemm");
  mod.exportFunction(fbgemm);
  for (const perChannel of [false, true]) {
    const q = mod.function(perChannel ? "quantize_pc" : "quantize", {
      params: ["i32", "i32", "i32", perChannel ? "i32" : "f32", "i32", "i32", "i32", "i32"],
      paramNames: [
        "x",
        "out",
        "n",
        perChannel ? "invs" : "inv",
        perChannel ? "zps" : "zp",
        "qmin",
        "qmax",
        "signed",
      ],
    });
    emitQuantize(q, perChannel, "pytorch");
    mod.exportFunction(q);
    const d = mod.function(perChannel ? "dequantize_pc" : "dequantize", {
      params: ["i32", "i32", "i32", perChannel ? "i32" : "f32", "i32", "i32"],
      paramNames: [
        "q",
        "out",
        "n",
        perChannel ? "scales" : "scale",
        perChannel ? "zps" : "zp",
        "signed",
      ],
    });
    emitDequantize(d, perChannel);
    mod.exportFunction(d);
  }
  return mod;
}

/**
 * The quantize loop: `pytorch` (per tensor or per channel) clamps in float before the zero point
 * is added; `fbgemm` (per tensor) bounds `x·inv` as FBGEMM's `min_ps`, adds the zero point in
 * wrapping int32 and clamps after (module documentation).
 */
function emitQuantize(f: FunctionBuilder, perChannel: boolean, mode: "pytorch" | "fbgemm"): void {
  const [x, out, n, inv, zp, qmin, qmax, signed] = f.params;
  const end = f.local("i32", "end");
  const invV = f.local("v128", "inv");
  const zpV = f.local("v128", "zp");
  const qminV = f.local("v128", "qmin");
  const qmaxV = f.local("v128", "qmax");
  const t = f.local("v128", "t");
  const lanes: Local[] = [0, 1, 2, 3].map((i) => f.local("v128", `q${i}`));
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(x).localGet(n).i32.const(4).i32.mul().i32.add().localSet(end);
  if (!perChannel) {
    f.localGet(inv).f32x4.splat().localSet(invV);
    f.localGet(zp).i32x4.splat().localSet(zpV);
  }
  f.localGet(qmin).i32x4.splat().localSet(qminV);
  f.localGet(qmax).i32x4.splat().localSet(qmaxV);
  f.loop((next) => {
    lanes.forEach((q, i) => {
      if (perChannel) {
        f.localGet(inv).v128.load({ offset: i * 16, align: 4 }).localSet(invV);
        f.localGet(zp).v128.load({ offset: i * 16, align: 4 }).localSet(zpV);
      }
      f.localGet(x).v128.load({ offset: i * 16, align: 4 }).localGet(invV).f32x4.mul();
      if (mode === "fbgemm") {
        // min_ps(t, bound) = t < bound ? t : bound = pmin(bound, t); then + zp, clamp.
        f.localSet(t);
        f.v128.const("f32x4", [2147483520, 2147483520, 2147483520, 2147483520]).localGet(t)
          .f32x4.pmin();
        f.f32x4.nearest().i32x4.truncSatF32x4S().localGet(zpV).i32x4.add();
        f.localGet(qminV).i32x4.maxS().localGet(qmaxV).i32x4.minS().localSet(q);
        return;
      }
      // t = rne(f32(x·inv)), clamped to [qmin−zp, qmax−zp] in float (NaN passes through).
      f.f32x4.nearest();
      f.localGet(qminV).localGet(zpV).i32x4.sub().f32x4.convertI32x4S().f32x4.pmax();
      f.localGet(qmaxV).localGet(zpV).i32x4.sub().f32x4.convertI32x4S().f32x4.pmin();
      f.i32x4.truncSatF32x4S().localGet(zpV).i32x4.add().localSet(q);
    });
    f.localGet(out);
    f.localGet(lanes[0]).localGet(lanes[1]).i16x8.narrowI32x4S();
    f.localGet(lanes[2]).localGet(lanes[3]).i16x8.narrowI32x4S();
    f.localGet(signed).if(
      { params: ["v128", "v128"], results: ["v128"] },
      () => void f.i8x16.narrowI16x8S(),
      () => void f.i8x16.narrowI16x8U(),
    );
    f.v128.store({ align: 1 });
    if (perChannel) {
      f.localGet(inv).i32.const(64).i32.add().localSet(inv);
      f.localGet(zp).i32.const(64).i32.add().localSet(zp);
    }
    f.localGet(out).i32.const(16).i32.add().localSet(out);
    f.localGet(x).i32.const(64).i32.add().localTee(x).localGet(end).i32.ne().brIf(next);
  });
}

function emitDequantize(f: FunctionBuilder, perChannel: boolean): void {
  const [q, out, n, scale, zp, signed] = f.params;
  const end = f.local("i32", "end");
  const bytes = f.local("v128", "bytes");
  const wide = [f.local("v128", "lo"), f.local("v128", "hi")];
  const scaleV = f.local("v128", "scale");
  const zpV = f.local("v128", "zp");
  const d = f.local("v128", "d");
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(q).localGet(n).i32.add().localSet(end);
  if (!perChannel) {
    f.localGet(scale).f32x4.splat().localSet(scaleV);
    f.localGet(zp).i32x4.splat().localSet(zpV);
  }
  f.loop((next) => {
    f.localGet(q).v128.load({ align: 1 }).localSet(bytes);
    f.localGet(signed).if(() => {
      f.localGet(bytes).i16x8.extendLowI8x16S().localSet(wide[0]);
      f.localGet(bytes).i16x8.extendHighI8x16S().localSet(wide[1]);
    }, () => {
      f.localGet(bytes).i16x8.extendLowI8x16U().localSet(wide[0]);
      f.localGet(bytes).i16x8.extendHighI8x16U().localSet(wide[1]);
    });
    for (let i = 0; i < 4; i++) {
      f.localGet(wide[i >> 1]);
      if (i % 2 === 0) f.i32x4.extendLowI16x8S();
      else f.i32x4.extendHighI16x8S();
      if (perChannel) f.localGet(zp).v128.load({ offset: i * 16, align: 4 }).localSet(zpV);
      f.localGet(zpV).i32x4.sub().localSet(d);
      if (!perChannel) {
        f.localGet(out).localGet(d).f32x4.convertI32x4S().localGet(scaleV).f32x4.mul();
        f.v128.store({ offset: i * 16, align: 4 });
        continue;
      }
      // double product, as PyTorch's per-channel dequantize: two lanes at a time.
      f.localGet(out);
      f.localGet(d).f64x2.convertLowI32x4S().localGet(scale).v128.load({
        offset: i * 32,
        align: 8,
      });
      f.f64x2.mul().f32x4.demoteF64x2Zero();
      f.localGet(d).localGet(d).i8x16.shuffle(shuffleLanes("i32x4", [2, 3, 2, 3]));
      f.f64x2.convertLowI32x4S().localGet(scale).v128.load({ offset: i * 32 + 16, align: 8 });
      f.f64x2.mul().f32x4.demoteF64x2Zero();
      f.i8x16.shuffle(shuffleLanes("i32x4", [0, 1, 4, 5]));
      f.v128.store({ offset: i * 16, align: 4 });
    }
    if (perChannel) {
      f.localGet(scale).i32.const(128).i32.add().localSet(scale);
      f.localGet(zp).i32.const(64).i32.add().localSet(zp);
    }
    f.localGet(out).i32.const(64).i32.add().localSet(out);
    f.localGet(q).i32.const(16).i32.add().localTee(q).localGet(end).i32.ne().brIf(next);
  });
}
