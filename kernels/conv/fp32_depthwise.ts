/**
 * Generates the fp32 depthwise convolution of the baseline over a zero-padded NHWC image:
 * 16 channels per block in four f32x4 accumulators that start at the bias, every tap unrolled
 * with `f32x4.relaxed_madd` (fused where the engine has FMA) or `mul` + `add`.
 * @module
 */
import { type Local, ModuleBuilder } from "../wasm/mod.ts";

/** Channels per block of the fp32 depthwise kernel. */
export const FP32_DEPTHWISE_BLOCK = 16;

/** Exports of the fp32 depthwise module. */
export interface Fp32DepthwiseExports {
  /**
   * `dwconv(x, w, bias, out, geometry)`: `x` is the padded NHWC image (f32), `w` the weights
   * `[taps][Cpadded]`, `bias` Cpadded floats, `out` `[OH·OW, Cpadded]` floats; `geometry` as the
   * int8 kernel's (Cpadded, paddedW, OH, OW, strideH, strideW, dilationH, dilationW).
   */
  dwconv(x: number, w: number, bias: number, out: number, geometry: number): void;
}

/** Builds the module for a kernel size. */
export function buildFp32Depthwise(
  spec: { kernelH: number; kernelW: number; relaxedMadd: boolean; relu?: boolean },
): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = mod.function("dwconv", {
    params: ["i32", "i32", "i32", "i32", "i32"],
    paramNames: ["x", "w", "bias", "out", "geometry"],
  });
  const [x, w, bias, out, geometry] = f.params;
  const [cPadded, paddedW, oh, ow, sh, sw, dh, dw] = [
    "cPadded",
    "paddedW",
    "oh",
    "ow",
    "sh",
    "sw",
    "dh",
    "dw",
  ]
    .map((name, i) => {
      const l = f.local("i32", name);
      f.localGet(geometry).i32.load({ offset: i * 4 }).localSet(l);
      return l;
    });
  const taps = spec.kernelH * spec.kernelW;
  const rowStride = f.local("i32", "rowStride");
  const tapOffsets: Local[] = [];
  for (let t = 0; t < taps; t++) tapOffsets.push(f.local("i32", `tap${t}`));
  f.localGet(paddedW).localGet(cPadded).i32.mul().i32.const(4).i32.mul().localSet(rowStride);
  for (let r = 0; r < spec.kernelH; r++) {
    for (let s = 0; s < spec.kernelW; s++) {
      f.i32.const(r).localGet(dh).i32.mul().localGet(rowStride).i32.mul();
      f.i32.const(s).localGet(dw).i32.mul().localGet(cPadded).i32.mul().i32.const(4).i32.mul().i32
        .add();
      f.localSet(tapOffsets[r * spec.kernelW + s]);
    }
  }
  const wTapStride = f.local("i32", "wTapStride"); // Cpadded·4 bytes between taps of the weights
  f.localGet(cPadded).i32.const(4).i32.mul().localSet(wTapStride);
  const oy = f.local("i32", "oy");
  const ox = f.local("i32", "ox");
  const cb = f.local("i32", "cb"); // byte offset of the channel block
  const pixel = f.local("i32", "pixel");
  const wt = f.local("i32", "wt");
  const acc = [0, 1, 2, 3].map((i) => f.local("v128", `acc${i}`));
  f.localGet(oh).i32.eqz().localGet(ow).i32.eqz().i32.or().if(() => void f.return());
  f.i32.const(0).localSet(oy);
  f.loop((nextRow) => {
    f.i32.const(0).localSet(ox);
    f.loop((nextColumn) => {
      f.localGet(x).localGet(oy).localGet(sh).i32.mul().localGet(rowStride).i32.mul().i32.add();
      f.localGet(ox).localGet(sw).i32.mul().localGet(cPadded).i32.mul().i32.const(4).i32.mul().i32
        .add();
      f.localSet(pixel);
      f.i32.const(0).localSet(cb);
      f.loop((nextBlock) => {
        acc.forEach((a, i) =>
          f.localGet(bias).localGet(cb).i32.add().v128.load({ offset: i * 16, align: 4 }).localSet(
            a,
          )
        );
        f.localGet(w).localGet(cb).i32.add().localSet(wt);
        for (let t = 0; t < taps; t++) {
          acc.forEach((a, i) => {
            const xv = () =>
              f.localGet(pixel).localGet(tapOffsets[t]).i32.add().localGet(cb).i32.add().v128.load({
                offset: i * 16,
                align: 4,
              });
            const wv = () => f.localGet(wt).v128.load({ offset: i * 16, align: 4 });
            if (spec.relaxedMadd) {
              xv();
              wv();
              f.localGet(a).f32x4.relaxedMadd().localSet(a);
            } else {
              f.localGet(a);
              xv();
              wv();
              f.f32x4.mul().f32x4.add().localSet(a);
            }
          });
          f.localGet(wt).localGet(wTapStride).i32.add().localSet(wt);
        }
        acc.forEach((a, i) => {
          f.localGet(out).localGet(cb).i32.add().localGet(a);
          if (spec.relu) f.v128.const("i32x4", [0, 0, 0, 0]).f32x4.pmax();
          f.v128.store({ offset: i * 16, align: 4 });
        });
        f.localGet(cb).i32.const(64).i32.add().localTee(cb).localGet(cPadded).i32.const(4).i32.mul()
          .i32.ltU().brIf(nextBlock);
      });
      f.localGet(out).localGet(cPadded).i32.const(4).i32.mul().i32.add().localSet(out);
      f.localGet(ox).i32.const(1).i32.add().localTee(ox).localGet(ow).i32.ltU().brIf(nextColumn);
    });
    f.localGet(oy).i32.const(1).i32.add().localTee(oy).localGet(oh).i32.ltU().brIf(nextRow);
  });
  mod.exportFunction(f);
  return mod;
}
