/**
 * Properties of quantized pooling (max, average, adaptive average) on every PyTorch kernel
 * (qnnpack, NCHW loops, channels-last), built from the functions they check so a test can
 * pass broken ones.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { PropertyCheck } from "./property.ts";
import { scaleArb } from "./quantize.ts";
import {
  type PoolKernel,
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../../reference/quantized_pool.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";

/** The functions these properties check. */
export interface PoolImpl {
  quantizedMaxPool2d: typeof quantizedMaxPool2d;
  quantizedAvgPool2d: typeof quantizedAvgPool2d;
  quantizedAdaptiveAvgPool2d: typeof quantizedAdaptiveAvgPool2d;
}

/** The reference implementation. */
export const REFERENCE_POOL: PoolImpl = {
  quantizedMaxPool2d,
  quantizedAvgPool2d,
  quantizedAdaptiveAvgPool2d,
};

const POOL_KERNELS: readonly PoolKernel[] = ["qnnpack", "nchw", "nhwc"];

/** A constant quint8 (or, off the qnnpack kernel, qint8) tensor and a pooling window. */
const constantArb = fc.record({
  pytorchKernel: fc.constantFrom(...POOL_KERNELS),
  signed: fc.boolean(),
  value: fc.integer({ min: 0, max: 255 }),
  zp: fc.integer({ min: 0, max: 255 }),
  scale: scaleArb,
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 40 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  ceil: fc.boolean(),
}).map((p) => {
  const signed = p.signed && p.pytorchKernel !== "qnnpack";
  const size = p.n * p.c * p.h * p.w;
  const x = signed
    ? new QuantizedTensor(new Int8Array(size).fill(p.value - 128), [p.n, p.c, p.h, p.w], "qint8", {
      qscheme: "per_tensor_affine",
      scale: p.scale,
      zeroPoint: p.zp - 128,
    })
    : new QuantizedTensor(new Uint8Array(size).fill(p.value), [p.n, p.c, p.h, p.w], "quint8", {
      qscheme: "per_tensor_affine",
      scale: p.scale,
      zeroPoint: p.zp,
    });
  // QNNPACK refuses 1x1 windows and ceil mode; keep the window inside the input.
  const kernel: [number, number] = [Math.min(p.kernel[0], p.h), Math.min(p.kernel[1], p.w)];
  if (p.pytorchKernel === "qnnpack" && kernel[0] * kernel[1] === 1) {
    if (p.h > 1) kernel[0] = 2;
    else if (p.w > 1) kernel[1] = 2;
  }
  return {
    x,
    pytorchKernel: p.pytorchKernel,
    value: x.intRepr[0],
    kernel,
    stride: p.stride,
    ceil: p.ceil && p.pytorchKernel !== "qnnpack",
    valid: !(p.pytorchKernel === "qnnpack" && kernel[0] * kernel[1] === 1),
  };
});

/** Builds the pooling properties. */
export function poolProperties(
  impl: PoolImpl = REFERENCE_POOL,
  path = "reference",
): PropertyCheck[] {
  return [
    {
      name: "max_pool2d of a constant tensor is the constant (every PyTorch kernel)",
      op: "quantized_max_pool2d",
      path,
      property: () =>
        fc.property(constantArb, fc.boolean(), (p, padded) => {
          fc.pre(p.valid);
          const y = impl.quantizedMaxPool2d(p.x, {
            engine: "qnnpack",
            pytorchKernel: p.pytorchKernel,
            kernelSize: p.kernel,
            stride: p.stride,
            padding: padded ? [p.kernel[0] >> 1, p.kernel[1] >> 1] : 0,
            ceilMode: p.ceil,
          });
          y.intRepr.forEach((v, i) => assert.equal(v, p.value, `element ${i}`));
        }),
    },
    {
      name:
        "avg_pool2d of a constant tensor without padding is the constant (every PyTorch kernel)",
      op: "quantized_avg_pool2d",
      path,
      property: () =>
        fc.property(constantArb, fc.boolean(), (p, countIncludePad) => {
          fc.pre(p.valid);
          const y = impl.quantizedAvgPool2d(p.x, {
            engine: "qnnpack",
            pytorchKernel: p.pytorchKernel,
            kernelSize: p.kernel,
            stride: p.stride,
            ceilMode: p.ceil,
            countIncludePad,
          });
          // Ceil mode's last window may hang over the edge: without padding it still averages
          // only input taps (its divisor is clipped to the input).
          y.intRepr.forEach((v, i) => assert.equal(v, p.value, `element ${i}`));
        }),
    },
    {
      name: "adaptive_avg_pool2d of a constant tensor is the constant, and the identity at the " +
        "input size (NCHW and channels-last)",
      op: "quantized_adaptive_avg_pool2d",
      path,
      property: () =>
        fc.property(
          constantArb,
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer(),
          (p, oh, ow, seed) => {
            const kernelAda = p.pytorchKernel === "qnnpack" ? "nchw" : p.pytorchKernel;
            const [h, w] = p.x.shape.slice(2);
            const y = impl.quantizedAdaptiveAvgPool2d(p.x, {
              engine: "onednn",
              pytorchKernel: kernelAda,
              outputSize: [Math.min(oh, h), Math.min(ow, w)],
            });
            y.intRepr.forEach((v, i) => assert.equal(v, p.value, `element ${i}`));
            // A random tensor pooled to its own size comes back unchanged.
            let s = (seed | 0) || 3;
            const codes = p.x.intRepr.map(() =>
              ((s = (s * 1103515245 + 12345) | 0) >>> 24) - (p.x.dtype === "qint8" ? 128 : 0)
            );
            const x = new QuantizedTensor(codes, p.x.shape, p.x.dtype, p.x.qparams);
            const same = impl.quantizedAdaptiveAvgPool2d(x, {
              engine: "onednn",
              pytorchKernel: kernelAda,
              outputSize: [h, w],
            });
            assert.deepEqual([...same.intRepr], [...codes]);
          },
        ),
    },
  ];
}
