/**
 * Convolution layers of ResNet-18 and MobileNetV2 at 224×224 (batch 1), as `deno task bench`
 * times them: dense 3×3 and 7×7 convolutions, and MobileNetV2's depthwise 3×3 layers.
 * @module
 */

/** One conv layer: NHWC input `[1, h, w, cIn]`, OIHW weight `[cOut, cIn/groups, k, k]`. */
export interface ConvShape {
  /** Where it comes from, e.g. `ResNet-18 layer1 3×3`. */
  readonly model: string;
  readonly h: number;
  readonly w: number;
  readonly cIn: number;
  readonly cOut: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
  /** Part of the quick set. */
  readonly quick?: boolean;
}

function dense(model: string, h: number, cIn: number, cOut: number, kernel: number, stride = 1) {
  return { model, h, w: h, cIn, cOut, kernel, stride, padding: kernel >> 1, groups: 1 };
}

function depthwise(model: string, h: number, c: number, stride = 1) {
  return { model, h, w: h, cIn: c, cOut: c, kernel: 3, stride, padding: 1, groups: c };
}

/** The conv layers `deno task bench` runs. */
export const CONV_SHAPES: readonly ConvShape[] = [
  dense("ResNet-18 stem 7×7/2", 224, 3, 64, 7, 2),
  { ...dense("ResNet-18 layer1 3×3", 56, 64, 64, 3), quick: true },
  dense("ResNet-18 layer2 3×3/2", 56, 64, 128, 3, 2),
  dense("ResNet-18 layer2 3×3", 28, 128, 128, 3),
  dense("ResNet-18 layer3 3×3", 14, 256, 256, 3),
  dense("ResNet-18 layer4 3×3", 7, 512, 512, 3),
  dense("MobileNetV2 stem 3×3/2", 224, 3, 32, 3, 2),
  depthwise("MobileNetV2 dw 3×3 32ch", 112, 32),
  depthwise("MobileNetV2 dw 3×3/2 96ch", 112, 96, 2),
  { ...depthwise("MobileNetV2 dw 3×3 144ch", 56, 144), quick: true },
  depthwise("MobileNetV2 dw 3×3 192ch", 28, 192),
  depthwise("MobileNetV2 dw 3×3 384ch", 14, 384),
  depthwise("MobileNetV2 dw 3×3 960ch", 7, 960),
];

/** The output size of one spatial dimension. */
export function convOut(size: number, s: ConvShape): number {
  return Math.floor((size + 2 * s.padding - s.kernel) / s.stride) + 1;
}

/** The GEMM-equivalent dimensions: M output pixels, K taps·(input channels per group), N outputs. */
export function convGemmDims(s: ConvShape): { m: number; k: number; n: number } {
  return {
    m: convOut(s.h, s) * convOut(s.w, s),
    k: s.kernel * s.kernel * (s.cIn / s.groups),
    n: s.cOut,
  };
}
