/**
 * Quantized ops graph mode runs on QTensors, against PyTorch 1.13 (qnnpack engine) recorded by
 * scripts/models/record_fx.py in golden/models/fx/float_ops.safetensors: `mean` on ATen's
 * generic path (dequantize, float mean in the tensor's memory format, quantize), contiguous and
 * channels-last, on every kernel set; and the paths it refuses.
 */
import assert from "node:assert/strict";
import { kernelSets } from "../../kernels/paths.ts";
import { quantizedOps } from "../flows/convert.ts";
import { toNhwc } from "../quantized/layout.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { readSafetensors } from "../safetensors.ts";
import { quantizedMean } from "./quantized_ops.ts";

const TENSORS = readSafetensors(
  Deno.readFileSync(new URL("../../golden/models/fx/float_ops.safetensors", import.meta.url)),
);

function codes(name: string): { data: Uint8Array; shape: readonly number[] } {
  const t = TENSORS.get(name);
  if (t === undefined || t.dtype !== "U8") throw new Error(`float_ops.safetensors: no U8 ${name}`);
  return { data: t.data as Uint8Array, shape: t.shape };
}

const INPUT = codes("qmean.codes");
const QPARAMS = { scale: 0.05, zeroPoint: 128 };

for (const kernels of kernelSets()) {
  const ops = quantizedOps(kernels);
  for (const layout of ["nchw", "nhwc"]) {
    Deno.test(`quantized mean (${layout}) equals PyTorch's codes on ${kernels.name}`, () => {
      const x = new QTensor(toNhwc(INPUT.data, INPUT.shape), INPUT.shape, QPARAMS, {
        channelsLast: layout === "nhwc",
        ops,
      });
      const keys = [...TENSORS.keys()].filter((k) => k.startsWith(`qmean.${layout}.`));
      assert.equal(keys.length, 6);
      for (const key of keys) {
        const dims = key.split(".")[2].split("_").map(Number);
        const got = quantizedMean(x, dims);
        const want = codes(key);
        assert.deepEqual(got.shape, want.shape, key);
        assert.equal(got.scale, QPARAMS.scale);
        assert.equal(got.zeroPoint, QPARAMS.zeroPoint);
        assert.deepEqual(got.logicalCodes(), want.data, key);
      }
    });
  }
}

Deno.test("quantized mean refuses ATen's inner-dimension kernel with a clear message", () => {
  const ops = quantizedOps(kernelSets()[0]);
  const x = new QTensor(new Uint8Array(2 * 3 * 4 * 5), [2, 3, 4, 5], QPARAMS, { ops });
  assert.throws(() => quantizedMean(x, [3]), /innermost dims \[3\].*does not reproduce/);
  assert.throws(() => quantizedMean(x, [9]), RangeError);
  assert.throws(() => quantizedMean(x, [1, 1]), /appears multiple times/);
});
