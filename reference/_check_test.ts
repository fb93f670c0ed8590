import assert from "node:assert/strict";
import {
  checkFinite,
  checkNumbers,
  checkOneOf,
  checkOptions,
  checkQuantizedTensor,
  checkScale,
  checkTensor,
  optionalBoolean,
  show,
} from "./_check.ts";
import { quantizePerTensor } from "./quantize.ts";
import { type QParams, QuantizedTensor, Tensor } from "./tensor.ts";

Deno.test("show formats values so a message tells them apart", () => {
  assert.equal(show(-0), "-0");
  assert.equal(show("0.1"), '"0.1"');
  assert.equal(show(Float64Array.of(1, 2)), "Float64Array(2)");
  assert.equal(show([1, 2]), "[1,2]");
  assert.equal(show(Tensor.from([1, 2, 3], [3, 1])), "Tensor [3,1]");
  assert.equal(show(new Map()), "a Map");
  assert.equal(show(undefined), "undefined");
});

Deno.test("the checks name the argument, show the value and say what is allowed", () => {
  const x = Tensor.from([1]);
  const q = quantizePerTensor(x, { scale: 1, zeroPoint: 0, dtype: "quint8" });
  checkTensor("x", x);
  checkQuantizedTensor("q", q);
  assert.throws(
    () => checkTensor("x", [1]),
    /^TypeError: x: expected a Tensor, got \[1\] \(Tensor\.from/,
  );
  assert.throws(
    () => checkTensor("x", q),
    /x: expected a Tensor, got QuantizedTensor \[1\] \(a quantized tensor: dequantize\(\) it first\)/,
  );
  assert.throws(
    () => checkQuantizedTensor("q", x),
    /q: expected a QuantizedTensor, got Tensor \[1\] \(a float tensor: quantize it first/,
  );
  assert.throws(
    () => checkOptions("options", undefined, "scale, zeroPoint"),
    /^TypeError: options: expected an options object \{ scale, zeroPoint \}, got undefined/,
  );
  assert.throws(
    () => checkScale("scale", "0.1" as unknown as number),
    /^TypeError: scale: a scale must be a finite number > 0, got "0\.1"/,
  );
  assert.throws(
    () => checkScale("scale", 0),
    /^RangeError: scale: a scale must be a finite number > 0, got 0/,
  );
  assert.throws(
    () => checkFinite("eps", NaN),
    /^RangeError: eps: expected a finite number, got NaN/,
  );
  assert.throws(
    () => checkOneOf("engine", "arm" as string, ["x86", "qnnpack"]),
    /^RangeError: engine: expected one of "x86", "qnnpack", got "arm"/,
  );
  assert.throws(
    () => checkOneOf("engine", 5 as unknown as string, ["x86"]),
    /^TypeError: engine: /,
  );
  assert.throws(
    () => checkNumbers("scales", ["1"] as unknown as number[]),
    /^TypeError: scales: expected an array or typed array of numbers, got \["1"\]/,
  );
  assert.throws(
    () => checkNumbers("scales", [1, 2], 3),
    /^RangeError: scales: expected 3 values, got 2/,
  );
  assert.equal(optionalBoolean("relu", undefined, true), true);
  assert.throws(
    () => optionalBoolean("relu", "yes" as unknown as boolean, false),
    /^TypeError: relu: expected true or false, got "yes"/,
  );
});

Deno.test("QuantizedTensor refuses a dtype, integer type or qparams PyTorch would not build", () => {
  // Plain JavaScript callers: arguments of any type.
  const build = (intRepr: unknown, dtype: unknown, qparams: unknown) => () =>
    new QuantizedTensor(intRepr as Uint8Array, [2], dtype as "quint8", qparams as QParams);
  const pt = { qscheme: "per_tensor_affine", scale: 0.1, zeroPoint: 3 };
  assert.throws(
    build(new Uint8Array(2), "bogus", pt),
    /^TypeError: dtype: unknown quantized dtype "bogus"/,
  );
  assert.throws(
    build(new Uint8Array(2), "qint8", pt),
    /^TypeError: intRepr: expected a Int8Array of qint8 codes, got Uint8Array\(2\)/,
  );
  assert.throws(
    build(new Uint8Array(2), "quint8", { ...pt, scale: NaN }),
    /^RangeError: qparams\.scale: a scale must be a finite number > 0, got NaN/,
  );
  assert.throws(
    build(new Uint8Array(2), "quint8", { ...pt, zeroPoint: 300 }),
    /^RangeError: qparams\.zeroPoint: zero point 300 is outside the range of quint8/,
  );
  assert.throws(
    build(new Uint8Array(2), "quint8", { ...pt, qscheme: "per_tensor_symmetric" }),
    /^RangeError: qparams\.qscheme: expected one of/,
  );
  const pc = {
    qscheme: "per_channel_affine",
    scales: Float64Array.of(0.1, 0.2),
    zeroPoints: Float64Array.of(0, 1),
    axis: 0,
  };
  build(new Int8Array(2), "qint8", pc)();
  assert.throws(
    build(new Int8Array(2), "qint8", { ...pc, scales: [0.1, 0.2] }),
    /^TypeError: qparams\.scales: expected a Float64Array/,
  );
  assert.throws(
    build(new Int8Array(2), "qint8", { ...pc, axis: 1 }),
    /^RangeError: qparams\.axis: axis 1 is out of range/,
  );
  assert.throws(
    build(new Int8Array(2), "qint8", { ...pc, zeroPoints: Float64Array.of(0, 0.5) }),
    /^TypeError: qparams\.zeroPoints\[1\]: expected an integer, got 0\.5/,
  );
});
