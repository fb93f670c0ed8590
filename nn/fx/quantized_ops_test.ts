/**
 * Quantized ops graph mode runs on QTensors, against PyTorch 1.13 (qnnpack engine) recorded by
 * scripts/models/record_fx.py in golden/models/fx/float_ops.safetensors: `mean` on ATen's
 * generic path (dequantize, float mean in the tensor's memory format, quantize), contiguous and
 * channels-last, on every kernel set; `quantized::add` where ATen's kernel runs (broadcasting on
 * every engine, mixed memory formats on the others), through the graph op on every kernel set of
 * the engine's numerics; and the paths they refuse.
 */
import assert from "node:assert/strict";
import { kernelSets } from "../../kernels/paths.ts";
import { quantizedOps } from "../flows/convert.ts";
import { toNhwc } from "../../reference/layout.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { readSafetensors } from "../safetensors.ts";
import { quantizedAddAten, quantizedMean } from "./quantized_ops.ts";
import { runOp } from "./ops.ts";

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
  const ops = quantizedOps({ kernels });
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

for (const engine of ["qnnpack", "onednn"]) {
  const numerics = engine === "qnnpack" ? "qnnpack" : "onednn";
  for (const kernels of kernelSets().filter((k) => k.numerics === numerics)) {
    Deno.test(`quantized mean over the innermost dims (${engine}) on ${kernels.name}`, () => {
      const ops = quantizedOps({ kernels });
      const x = new QTensor(toNhwc(INPUT.data, INPUT.shape), INPUT.shape, QPARAMS, { ops });
      const keys = [...TENSORS.keys()].filter((k) => k.startsWith(`qmean_inner.${engine}.`));
      assert.equal(keys.length, 4);
      for (const key of keys) {
        const dims = key.split(".")[2].split("_").map((d) => Number(d.replace("m", "-")));
        const got = quantizedMean(x, dims);
        assert.deepEqual([...got.logicalCodes()], [...codes(key).data], key);
        assert.deepEqual(got.shape, codes(key).shape, key);
      }
    });
  }
}

Deno.test("quantized mean names bad dimensions", () => {
  const ops = quantizedOps({ kernels: kernelSets()[0] });
  const x = new QTensor(new Uint8Array(2 * 3 * 4 * 5), [2, 3, 4, 5], QPARAMS, { ops });
  assert.throws(() => quantizedMean(x, [9]), RangeError);
  assert.throws(() => quantizedMean(x, [1, 1]), /appears multiple times/);
});

/** The recorded `quantized::add` cases: `[a shape, b shape, a CL, b CL, relu, engine]`. */
const ADD_CASES: Record<string, [number[], number[], boolean, boolean, boolean, string]> = {
  row4: [[2, 4], [4], false, false, false, "qnnpack"],
  row130: [[3, 130], [130], false, false, false, "qnnpack"],
  col100: [[4, 100], [4, 1], false, false, true, "qnnpack"],
  mid70: [[2, 3, 70], [2, 1, 70], false, false, false, "qnnpack"],
  bias_nchw: [[2, 5, 6, 7], [1, 5, 1, 1], false, false, false, "qnnpack"],
  bias_nhwc: [[1, 80, 3, 3], [1, 80, 1, 1], true, false, true, "qnnpack"],
  bias_nhwc_onednn: [[1, 80, 3, 3], [1, 80, 1, 1], true, false, false, "onednn"],
  mixed_onednn: [[1, 70, 2, 3], [1, 70, 2, 3], false, true, false, "onednn"],
  mixed_cl_onednn: [[1, 70, 2, 3], [1, 70, 2, 3], true, false, false, "onednn"],
};

for (const [name, [sa, sb, aCl, bCl, relu, engine]] of Object.entries(ADD_CASES)) {
  const numerics = engine === "qnnpack" ? "qnnpack" : "fbgemm";
  for (const kernels of kernelSets().filter((k) => k.numerics === numerics)) {
    Deno.test(`quantized add ${name} (${engine}) equals PyTorch's codes on ${kernels.name}`, () => {
      const ops = quantizedOps({ kernels });
      const make = (key: string, shape: number[], cl: boolean, scale: number, zp: number) => {
        const c = codes(`qadd.${name}.${key}`);
        assert.deepEqual(c.shape, shape);
        const data = shape.length === 4 ? toNhwc(c.data, shape) : c.data.slice();
        return new QTensor(data, shape, { scale, zeroPoint: zp }, { channelsLast: cl, ops });
      };
      const a = make("a", sa, aCl, 0.05, 120);
      const b = make("b", sb, bCl, 0.04, 131);
      const target = relu ? "torch.ops.quantized.add_relu" : "torch.ops.quantized.add";
      const got = runOp("call_function", target, [a, b, 0.07, 125], {}, { ops }) as QTensor;
      assert.equal(got.channelsLast, aCl && sa.length === 4);
      assert.deepEqual([...got.logicalCodes()], [...codes(`qadd.${name}.out`).data]);
    });
  }
}

for (const name of ["pairs_vector", "pairs_scalar"]) {
  Deno.test(`quantized add ${name}: every code pair on one path equals PyTorch's`, () => {
    // Qparams (0.013, 77) + (0.0171, 200) → (0.023, 131): the vector and scalar formulas
    // disagree on 62 of the 65536 pairs, so these pin which elements take which path.
    const ops = quantizedOps({ kernels: kernelSets().find((k) => k.numerics === "qnnpack")! });
    const a = codes(`qadd.${name}.a`);
    const b = codes(`qadd.${name}.b`);
    const qa = new QTensor(a.data.slice(), a.shape, { scale: 0.013, zeroPoint: 77 }, { ops });
    const qb = new QTensor(b.data.slice(), b.shape, { scale: 0.0171, zeroPoint: 200 }, { ops });
    const got = quantizedAddAten(qa, qb, { scale: 0.023, zeroPoint: 131 }, false);
    assert.deepEqual([...got.logicalCodes()], [...codes(`qadd.${name}.out`).data]);
  });
}

Deno.test("quantized add pairs_strided: long strided rows take the scalar path (onednn)", () => {
  // a contiguous, b channels-last: the rows of 256 are strided in b, so no vector prefix.
  for (const kernels of kernelSets().filter((k) => k.numerics === "fbgemm")) {
    const ops = quantizedOps({ kernels });
    const a = codes("qadd.pairs_strided.a");
    const b = codes("qadd.pairs_strided.b");
    const shape = [1, 256, 1, 256];
    const qa = new QTensor(toNhwc(a.data, shape), shape, { scale: 0.013, zeroPoint: 77 }, { ops });
    const qb = new QTensor(toNhwc(b.data, shape), shape, { scale: 0.0171, zeroPoint: 200 }, {
      ops,
      channelsLast: true,
    });
    const got = runOp("call_function", "torch.ops.quantized.add", [qa, qb, 0.023, 131], {}, {
      ops,
    }) as QTensor;
    assert.deepEqual([...got.logicalCodes()], [...codes("qadd.pairs_strided.out").data]);
  }
});

Deno.test("quantized add refuses an output PyTorch would resize", () => {
  const ops = quantizedOps({ kernels: kernelSets()[0] });
  const a = new QTensor(new Uint8Array(4), [4], QPARAMS, { ops });
  const b = new QTensor(new Uint8Array(8), [2, 4], QPARAMS, { ops });
  assert.throws(
    () => quantizedAddAten(a, b, QPARAMS, false),
    /PyTorch resizes an output of the first operand's shape to \[2,4\]/,
  );
});
