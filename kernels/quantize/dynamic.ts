/**
 * Generates the kernels of dynamic activation quantization:
 * - `minmax`: the smallest and largest value (pmin/pmax: a NaN after the first element is
 *   ignored, as the reference's sequential scan does);
 * - `quantize`, one of:
 *   - FBGEMM's legacy `QuantizeAvx2<uint8_t, LEGACY=true>`:
 *     `clamp(cvtps(min(fma(x, inv, zp), 2147483520)), 0, 255)` — the zero point is added BEFORE
 *     rounding, in one fused multiply-add (kernels/fma.ts: `relaxed_madd` only where the probe
 *     proved it fused, else an exact emulation); `min_ps` gives the bound for NaN;
 *   - oneDNN's f32 → u8 reorder, `clamp(rne(f32(f32(x·scale) + zp)), 0, 255)` (two roundings).
 * (QNNPACK's dynamic quantization is the ordinary quantize kernel.)
 * @module
 */
import { emitMulAdd, fmaScratch, type MulAddKind } from "../fma.ts";
import { type FunctionBuilder, type Local, ModuleBuilder, shuffleLanes } from "../wasm/mod.ts";

/** Exports of the module. */
export interface DynamicQuantizeExports {
  /** `minmax(x, n, out)`: n (a multiple of 4) floats; writes min then max (f32) at `out`. */
  minmax(x: number, n: number, out: number): void;
  /**
   * `quantize(x, out, n, scale, zp)`: n (a multiple of 16) floats to u8 codes with the module's
   * engine (FBGEMM: `scale` is the inverse scale; oneDNN: oneDNN's reciprocal scale).
   */
  quantize(x: number, out: number, n: number, scale: number, zp: number): void;
}

/** Which dynamic quantizer to build and how it computes `x·scale + zp`. */
export interface DynamicQuantizeSpec {
  /** FBGEMM's legacy quantizer or oneDNN's reorder. */
  readonly engine: "fbgemm" | "onednn";
  /**
   * FBGEMM's build fuses the multiply-add (`fused-relaxed` needs relaxed SIMD with a fused
   * `relaxed_madd`, else `fused-emulated`); oneDNN's reorder does not (`unfused`).
   */
  readonly mulAdd: MulAddKind;
}

/** The module's name, e.g. `f32_qu8_dynamic_quantize_fbgemm__fused-emulated`. */
export function dynamicQuantizeName(spec: DynamicQuantizeSpec): string {
  return `f32_qu8_dynamic_quantize_${spec.engine}__${spec.mulAdd}`;
}

/** Builds the module (imports `env.memory`). */
export function buildDynamicQuantize(spec: DynamicQuantizeSpec): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const mm = mod.function("minmax", {
    params: ["i32", "i32", "i32"],
    paramNames: ["x", "n", "out"],
  });
  emitMinMax(mm);
  mod.exportFunction(mm);
  const q = mod.function("quantize", {
    params: ["i32", "i32", "i32", "f32", "i32"],
    paramNames: ["x", "out", "n", "scale", "zp"],
  });
  emitQuantize(q, spec);
  mod.exportFunction(q);
  return mod;
}

function emitMinMax(f: FunctionBuilder): void {
  const [x, n, out] = f.params;
  const end = f.local("i32", "end");
  const lo = f.local("v128", "lo");
  const hi = f.local("v128", "hi");
  const v = f.local("v128", "v");
  f.localGet(x).v128.load32Splat().localTee(lo).localSet(hi);
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(x).localGet(n).i32.const(4).i32.mul().i32.add().localSet(end);
  f.loop((next) => {
    f.localGet(x).v128.load({ align: 4 }).localSet(v);
    f.localGet(lo).localGet(v).f32x4.pmin().localSet(lo);
    f.localGet(hi).localGet(v).f32x4.pmax().localSet(hi);
    f.localGet(x).i32.const(16).i32.add().localTee(x).localGet(end).i32.ne().brIf(next);
  });
  for (const lanes of [[2, 3, 2, 3], [1, 1, 1, 1]]) {
    f.localGet(lo).localGet(lo).localGet(lo).i8x16.shuffle(shuffleLanes("i32x4", lanes)).f32x4
      .pmin().localSet(lo);
    f.localGet(hi).localGet(hi).localGet(hi).i8x16.shuffle(shuffleLanes("i32x4", lanes)).f32x4
      .pmax().localSet(hi);
  }
  f.localGet(out).localGet(lo).f32x4.extractLane(0).f32.store();
  f.localGet(out).localGet(hi).f32x4.extractLane(0).f32.store({ offset: 4 });
}

function emitQuantize(f: FunctionBuilder, { engine, mulAdd }: DynamicQuantizeSpec): void {
  const [x, out, n, scale, zp] = f.params;
  const end = f.local("i32", "end");
  const scaleV = f.local("v128", "scale");
  const zpV = f.local("v128", "zp");
  const t: Local[] = [0, 1, 2, 3].map((i) => f.local("v128", `t${i}`));
  const scratch = fmaScratch(f);
  f.localGet(n).i32.eqz().if(() => void f.return());
  f.localGet(x).localGet(n).i32.const(4).i32.mul().i32.add().localSet(end);
  f.localGet(scale).f32x4.splat().localSet(scaleV);
  f.localGet(zp).f32.convertI32S().f32x4.splat().localSet(zpV);
  f.loop((next) => {
    t.forEach((ti, i) => {
      f.localGet(x).v128.load({ offset: i * 16, align: 4 }).localGet(scaleV).localGet(zpV);
      emitMulAdd(f, mulAdd, scratch);
      if (engine === "fbgemm") {
        // min_ps(t, 2147483520) keeps cvtps in range and gives the bound for NaN:
        // pmin(bound, t) = t < bound ? t : bound.
        f.localSet(ti);
        f.v128.const("f32x4", [2147483520, 2147483520, 2147483520, 2147483520]).localGet(ti)
          .f32x4.pmin();
      }
      // Round half to even, saturate (both clamp to [0, 255] below; NaN → 0 for oneDNN).
      f.f32x4.nearest().i32x4.truncSatF32x4S().localSet(ti);
    });
    f.localGet(out);
    f.localGet(t[0]).localGet(t[1]).i16x8.narrowI32x4S();
    f.localGet(t[2]).localGet(t[3]).i16x8.narrowI32x4S();
    f.i8x16.narrowI16x8U().v128.store({ align: 1 });
    f.localGet(out).i32.const(16).i32.add().localSet(out);
    f.localGet(x).i32.const(64).i32.add().localTee(x).localGet(end).i32.ne().brIf(next);
  });
}
