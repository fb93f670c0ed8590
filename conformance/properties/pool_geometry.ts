/**
 * The pooling geometry both the quint8 and the fp32 pooling properties draw: kernel, stride,
 * padding (at most half the kernel, as PyTorch requires), dilation, ceil mode, count_include_pad,
 * divisor override, and an input whose size fits the dilated window give or take `extraMax`.
 * @module
 */
import fc from "fast-check";

/** A pooling geometry with its input size `[n, h, w, c]`. */
export function poolGeometryArb(options: { channels: fc.Arbitrary<number>; extraMax: number }) {
  return fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    c: options.channels,
    extra: fc.tuple(
      fc.integer({ min: -1, max: options.extraMax }),
      fc.integer({ min: -1, max: options.extraMax }),
    ),
    kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padSeed: fc.tuple(fc.nat(), fc.nat()),
    dilation: fc.oneof(
      fc.constant<[number, number]>([1, 1]),
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    ),
    ceilMode: fc.boolean(),
    countIncludePad: fc.boolean(),
    divisor: fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.integer({ min: -9, max: 9 }).filter((d) => d !== 0) },
    ),
  }).map((p) => {
    const [kh, kw] = p.kernel;
    const padding: [number, number] = [
      p.padSeed[0] % (Math.floor(kh / 2) + 1),
      p.padSeed[1] % (Math.floor(kw / 2) + 1),
    ];
    const h = Math.max(1, (kh - 1) * p.dilation[0] + 1 + p.extra[0]);
    const w = Math.max(1, (kw - 1) * p.dilation[1] + 1 + p.extra[1]);
    return { ...p, padding, h, w };
  });
}
