/**
 * The float ops graph mode runs outside the quantized kernels, against PyTorch 1.13's outputs
 * recorded by scripts/models/record_fx.py (golden/models/fx/float_ops.safetensors): sigmoid and
 * tanh (`nn/functional`'s, which graphs call), hardswish and hardsigmoid on lengths around ATen's 16-float vector blocks, and mean over
 * trailing and non-trailing dimensions, bit for bit.
 */
import assert from "node:assert/strict";
import { Tensor } from "../../reference/tensor.ts";
import { readSafetensors } from "../safetensors.ts";
import { ATEN_AVX2_VECTOR_STEP, sigmoidVectorLane } from "../../reference/aten_float.ts";
import { sigmoid, tanh } from "../functional/elementwise.ts";
import { hardsigmoid, hardswish } from "../functional/activation.ts";
import { adaptiveAvgPool2dChannelsLast, mean } from "./float_ops.ts";
import { adaptiveAvgPool2d } from "../functional/pool.ts";

const TENSORS = readSafetensors(
  Deno.readFileSync(new URL("../../golden/models/fx/float_ops.safetensors", import.meta.url)),
);

function tensor(name: string): Tensor {
  const t = TENSORS.get(name);
  if (t === undefined || t.dtype !== "F32") {
    throw new Error(`float_ops.safetensors: no F32 ${name}`);
  }
  return new Tensor(new Float32Array(t.data as Float32Array), t.shape);
}

/** The first index where the bits differ, or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

const LENGTHS = [...TENSORS.keys()].filter((k) => k.startsWith("x.")).map((k) => Number(k.slice(2)))
  .sort((a, b) => a - b);

const UNARY: [string, (x: Tensor) => Tensor][] = [
  ["sigmoid", sigmoid],
  ["tanh", tanh],
  ["hardswish", hardswish],
  ["hardsigmoid", hardsigmoid],
];

Deno.test("float_ops.safetensors holds the recorded lengths", () => {
  assert.deepEqual(LENGTHS, [1, 7, 15, 16, 17, 31, 32, 33, 100, 1000]);
});

for (const [name, op] of UNARY) {
  Deno.test(`float ${name} equals PyTorch's bit for bit on every recorded length`, () => {
    for (const n of LENGTHS) {
      const got = op(tensor(`x.${n}`));
      const want = tensor(`${name}.${n}`);
      assert.deepEqual(got.shape, want.shape);
      const at = firstBitDifference(got.data, want.data);
      assert.equal(
        at,
        -1,
        `${name} length ${n}: element ${at}: ${got.data[at]} vs ${want.data[at]}`,
      );
    }
  });
}

for (const source of ["m", "big"]) {
  Deno.test(`float mean of ${source} equals PyTorch's bit for bit over every recorded dims`, () => {
    const x = tensor(source);
    const keys = [...TENSORS.keys()].filter((k) => k.startsWith(`${source}.mean.`));
    assert.equal(keys.length, 9);
    for (const key of keys) {
      const dims = key.slice(source.length + 6).split("_").map(Number);
      const got = mean(x, dims);
      const want = tensor(key);
      assert.deepEqual(got.shape, want.shape, key);
      const at = firstBitDifference(got.data, want.data);
      assert.equal(at, -1, `${key}: element ${at}: ${got.data[at]} vs ${want.data[at]}`);
    }
  });
}

Deno.test("float adaptive average pooling of a channels-last tensor equals PyTorch's", () => {
  const x = tensor("aap_cl.x");
  let contiguousDiffers = false;
  for (const size of [[1, 1], [3, 4], [2, 5], [7, 9]]) {
    const want = tensor(`aap_cl.${size[0]}_${size[1]}`);
    const got = adaptiveAvgPool2dChannelsLast(x, size);
    assert.deepEqual(got.shape, want.shape);
    const at = firstBitDifference(got.data, want.data);
    assert.equal(at, -1, `${size}: element ${at}: ${got.data[at]} vs ${want.data[at]}`);
    const plain = adaptiveAvgPool2d(x, size as [number, number]);
    if (firstBitDifference(plain.data, want.data) !== -1) contiguousDiffers = true;
  }
  // The contiguous kernel's arithmetic is told apart by these recordings.
  assert.ok(contiguousDiffers);
});

Deno.test("planted: a sigmoid without the vector/scalar split differs from PyTorch's", () => {
  // The scalar tail uses glibc's expf; SLEEF's everywhere is caught on some recorded length.
  assert.equal(ATEN_AVX2_VECTOR_STEP, 16);
  let caught = false;
  for (const n of LENGTHS) {
    const got = tensor(`x.${n}`).data.map(sigmoidVectorLane);
    if (firstBitDifference(got, tensor(`sigmoid.${n}`).data) !== -1) caught = true;
  }
  assert.ok(caught, "the recordings do not tell the vector path from the scalar one");
});

Deno.test("float ops reject what is not a tensor", () => {
  assert.throws(() => sigmoid([1, 2] as unknown as Tensor), TypeError);
  assert.throws(() => mean(new Tensor(new Float32Array(4), [2, 2]), [2]), /dim/);
});
