import assert from "node:assert/strict";
import { kernelSets } from "../../kernels/paths.ts";
import { kernelEngine } from "../../kernels/kernel_set.ts";
import {
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../../reference/quantized_pool.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { QuantizedOps } from "./ops.ts";
import { QTensor } from "./qtensor.ts";

// PyTorch 1.13 writes the pooling of a [N, C, 1, 1] input in NHWC order into an NCHW-contiguous
// output; nn's pooling on the kernels must give the same logical tensor as the reference.
Deno.test("pooling a 1×1 input with padding reproduces PyTorch's NHWC-read-as-NCHW output", () => {
  const codes = Uint8Array.of(10, 140, 200, 7, 9, 255);
  const qp = { qscheme: "per_tensor_affine" as const, scale: 1 / 3, zeroPoint: 3 };
  for (const kernels of kernelSets()) {
    const ops = new QuantizedOps(kernels);
    const engine = kernelEngine(kernels.numerics);
    const ref = new QuantizedTensor(codes, [2, 3, 1, 1], "quint8", qp);
    const x = QTensor.fromQuantizedTensor(ref, { channelsLast: false, ops });
    const cases: [QTensor, QuantizedTensor][] = [
      [
        ops.maxPool2d(x, { kernelSize: [1, 2], stride: 1, padding: [0, 1] }),
        quantizedMaxPool2d(ref, { engine, kernelSize: [1, 2], stride: 1, padding: [0, 1] }),
      ],
      [
        ops.avgPool2d(x, { kernelSize: [1, 2], stride: 1, padding: [0, 1] }),
        quantizedAvgPool2d(ref, { engine, kernelSize: [1, 2], stride: 1, padding: [0, 1] }),
      ],
      [
        ops.adaptiveAvgPool2d(x, [2, 2]),
        quantizedAdaptiveAvgPool2d(ref, { engine, outputSize: [2, 2] }),
      ],
    ];
    for (const [got, expected] of cases) {
      assert.deepEqual(got.shape, expected.shape);
      assert.deepEqual(got.toQuantizedTensor().intRepr, expected.intRepr, kernels.name);
    }
  }
});
