import assert from "node:assert/strict";
import {
  conv2dBuildDependent,
  conv2dGeometry,
  conv2dOutputShape,
  convOutputSize,
  type ConvWeight,
  convWeight,
  convWeightAsLinear,
  im2colNhwc,
  quantizedConv2d,
  type QuantizedConv2dOptions,
} from "./quantized_conv2d.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";

function x8(codes: number[], shape: number[], scale = 1, zeroPoint = 0): QuantizedTensor {
  return new QuantizedTensor(Uint8Array.from(codes), shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
}

function weight(
  codes: number[],
  shape: [number, number, number, number],
  extra: Partial<ConvWeight> = {},
): ConvWeight {
  const [o, i, kh, kw] = shape;
  return {
    data: Int8Array.from(codes),
    outChannels: o,
    inChannelsPerGroup: i,
    kernelH: kh,
    kernelW: kw,
    perChannel: false,
    scales: Float64Array.of(1),
    zeroPoints: Int32Array.of(0),
    bias: null,
    ...extra,
  };
}

const unit: QuantizedConv2dOptions = { engine: "qnnpack", outputScale: 1, outputZeroPoint: 0 };

Deno.test("convOutputSize follows floor((n + 2p − d(k−1) − 1)/s) + 1", () => {
  assert.equal(convOutputSize(7, 3, 1, 0, 1), 5);
  assert.equal(convOutputSize(7, 3, 2, 1, 1), 4);
  assert.equal(convOutputSize(7, 3, 1, 0, 2), 3);
  assert.equal(convOutputSize(224, 7, 2, 3, 1), 112);
  assert.equal(convOutputSize(2, 5, 1, 0, 1), -2);
});

Deno.test("a 3x3 conv with unit scales is the integer correlation plus the output zero point", () => {
  // Input 3x3 codes 1..9 with zero point 1, an all-ones 3x3 kernel, padding 1: the centre sees
  // all nine (sum of 0..8 = 36), a corner four of them.
  const x = x8([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3], 1, 1);
  const w = weight(new Array(9).fill(1), [1, 1, 3, 3]);
  for (const engine of ["qnnpack", "fbgemm"] as const) {
    const y = quantizedConv2d(x, w, { ...unit, engine, padding: 1, outputZeroPoint: 10 });
    assert.deepEqual(y.shape, [1, 1, 3, 3]);
    // Padding reads the zero point, so it contributes 0 in both engines.
    assert.deepEqual([...y.intRepr], [18, 25, 22, 31, 46, 37, 30, 43, 34]);
  }
});

Deno.test("output saturates at 0 and 255, ReLU clamps at the output zero point", () => {
  const x = x8([0, 255], [1, 2, 1, 1]);
  const w = weight([1, -1, -1, 1], [2, 2, 1, 1]);
  const y = quantizedConv2d(x, w, { ...unit, outputZeroPoint: 100 });
  assert.deepEqual([...y.intRepr], [0, 255]);
  const r = quantizedConv2d(x, w, { ...unit, outputZeroPoint: 100, relu: true });
  assert.deepEqual([...r.intRepr], [100, 255]);
});

Deno.test("FBGEMM sums pairs of products with int16 saturation, QNNPACK exactly", () => {
  // Two channels of code 255 against weights -128: each product is -32640, the pair -65280.
  const x = x8([255, 255], [1, 2, 1, 1], 1, 0);
  const w = weight([-128, -128], [1, 2, 1, 1]);
  const opts = { ...unit, outputScale: 512, outputZeroPoint: 200 };
  // qnnpack: rne(-65280 / 512) = -128 → 72; fbgemm: sat16 → -32768 / 512 = -64 → 136.
  assert.deepEqual([...quantizedConv2d(x, w, { ...opts, engine: "qnnpack" }).intRepr], [72]);
  assert.deepEqual([...quantizedConv2d(x, w, { ...opts, engine: "fbgemm" }).intRepr], [136]);
});

Deno.test("im2colNhwc orders each row (kh, kw, c) and pads with the zero point", () => {
  // Two channels of a 2x2 image: channel 0 = 1..4, channel 1 = 11..14; kernel 2x2, padding 1
  // on the width only, so the first output reads a padded column.
  const x = Uint8Array.from([1, 2, 3, 4, 11, 12, 13, 14]);
  const rows = im2colNhwc(x, [1, 2, 2, 2], 0, 0, [2, 2], conv2dGeometry({ padding: [0, 1] }), 99);
  assert.deepEqual([...rows.subarray(0, 8)], [99, 99, 1, 11, 99, 99, 3, 13]);
  assert.equal(rows.length, 3 * 8);
  const w = convWeightAsLinear(weight([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]));
  // OIHW [c0: 1 2 / 3 4, c1: 5 6 / 7 8] → (kh, kw, c): 1 5 2 6 3 7 4 8.
  assert.deepEqual([...w.data], [1, 5, 2, 6, 3, 7, 4, 8]);
});

Deno.test("depthwise conv keeps channels apart; a channel multiplier of 2 gives two outputs per channel", () => {
  const x = x8([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
  const w = weight([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0], [4, 1, 2, 2]);
  const y = quantizedConv2d(x, w, { ...unit, groups: 2 });
  assert.deepEqual(y.shape, [1, 4, 1, 1]);
  assert.deepEqual([...y.intRepr], [10, 10, 40, 10]);
});

Deno.test("QNNPACK: an int32 bias overflow saturates on the GEMM kernel, INT32_MIN elsewhere", () => {
  const x = x8([0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 3, 3]);
  const bias = Float32Array.of(3e9);
  const gemm = weight([0], [1, 1, 1, 1], { bias });
  const conv = weight(new Array(9).fill(0), [1, 1, 3, 3], { bias });
  const opts = { ...unit, outputScale: 1e9, outputZeroPoint: 128 };
  assert.deepEqual([...quantizedConv2d(x, gemm, opts).intRepr.subarray(0, 1)], [130]);
  assert.deepEqual([...quantizedConv2d(x, conv, { ...opts, padding: 1 }).intRepr.subarray(0, 1)], [
    126,
  ]);
  assert.ok(conv2dBuildDependent(x, conv, { ...opts, padding: 1 }).every((m) => m === 1));
  assert.ok(conv2dBuildDependent(x, gemm, opts).every((m) => m === 1));
  const small = weight([0], [1, 1, 1, 1], { bias: Float32Array.of(5) });
  assert.ok(conv2dBuildDependent(x, small, opts).every((m) => m === 0));
});

Deno.test("convWeight builds from a qint8 tensor and checks it", () => {
  const wq = new QuantizedTensor(Int8Array.from([1, 2, 3, 4]), [2, 1, 1, 2], "qint8", {
    qscheme: "per_channel_affine",
    scales: Float64Array.of(0.1, 0.2),
    zeroPoints: Float64Array.of(0, -3),
    axis: 0,
  });
  const w = convWeight(wq, Tensor.from([1, 2]));
  assert.equal(w.perChannel, true);
  assert.deepEqual([w.outChannels, w.inChannelsPerGroup, w.kernelH, w.kernelW], [2, 1, 1, 2]);
  assert.throws(() => convWeight(wq, Tensor.from([1])), /bias: expected 2 values/);
  const u8 = new QuantizedTensor(Uint8Array.of(1), [1, 1, 1, 1], "quint8", {
    qscheme: "per_tensor_affine",
    scale: 1,
    zeroPoint: 0,
  });
  assert.throws(() => convWeight(u8), /weight: must be qint8/);
  const flat = new QuantizedTensor(Int8Array.of(1, 2), [2, 1], "qint8", {
    qscheme: "per_tensor_affine",
    scale: 1,
    zeroPoint: 0,
  });
  assert.throws(() => convWeight(flat), /must be 4-D/);
});

Deno.test("bad geometry and channel counts are refused with the argument named", () => {
  const x = x8(new Array(2 * 4 * 4).fill(1), [1, 2, 4, 4]);
  const w = weight(new Array(2 * 2 * 9).fill(1), [2, 2, 3, 3]);
  assert.throws(
    () => quantizedConv2d(x, w, { ...unit, stride: 0 }),
    /stride: expected integers >= 1/,
  );
  assert.throws(
    () => quantizedConv2d(x, w, { ...unit, padding: -1 }),
    /padding: expected integers >= 0/,
  );
  assert.throws(() => quantizedConv2d(x, w, { ...unit, dilation: [1, 0] }), /dilation/);
  assert.throws(
    () => quantizedConv2d(x, w, { ...unit, groups: 0 }),
    /groups: expected an integer >= 1/,
  );
  assert.throws(
    () => quantizedConv2d(x, w, { ...unit, groups: 3 }),
    /groups: 3 does not divide the 2 input channels/,
  );
  assert.throws(
    () => quantizedConv2d(x, w, { ...unit, groups: 2 }),
    /2 input channels in 2 group\(s\) need a weight of 1 input channels per group, got 2/,
  );
  const w3 = weight(new Array(3 * 9).fill(1), [3, 1, 3, 3]);
  assert.throws(
    () => quantizedConv2d(x, w3, { ...unit, groups: 2 }),
    /does not divide the weight's 3 output channels/,
  );
  assert.throws(() => quantizedConv2d(x, w, { ...unit, dilation: 3 }), /too small for kernel 3x3/);
  assert.throws(() => quantizedConv2d(x8([1], [1]), w, unit), /x: must be 4-D NCHW/);
  assert.throws(() => quantizedConv2d(x, w, { ...unit, outputZeroPoint: 256 }), /outputZeroPoint/);
  assert.throws(() => quantizedConv2d(x, w, { ...unit, outputScale: 0 }), /outputScale/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => quantizedConv2d(x, w, { ...unit, engine: "tpu" as any }),
    /engine: unknown engine "tpu"; expected one of fbgemm, x86, qnnpack, onednn/,
  );
  const qi8 = new QuantizedTensor(new Int8Array(32), [1, 2, 4, 4], "qint8", {
    qscheme: "per_tensor_affine",
    scale: 1,
    zeroPoint: 0,
  });
  assert.throws(() => quantizedConv2d(qi8, w, unit), /x: must be a per-tensor quint8 tensor/);
  assert.throws(
    () => quantizedConv2d(x, { ...w, scales: Float64Array.of(1, 2) }, unit),
    /per-tensor qparams need 1 scale/,
  );
  assert.deepEqual(conv2dOutputShape([2, 2, 4, 4], w, conv2dGeometry({ padding: 1 })), [
    2,
    2,
    4,
    4,
  ]);
});
