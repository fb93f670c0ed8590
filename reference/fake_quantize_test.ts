import assert from "node:assert/strict";
import {
  fakeQuantizeCachemaskBackward,
  fakeQuantizeIsBuildDependent,
  fakeQuantizeLearnablePerChannelAffine,
  fakeQuantizeLearnablePerChannelAffineBackward,
  fakeQuantizeLearnablePerTensorAffine,
  fakeQuantizeLearnablePerTensorAffineBackward,
  fakeQuantizeLearnablePerTensorBuildDependent,
  fakeQuantizePerChannelAffine,
  fakeQuantizePerChannelAffineBackward,
  fakeQuantizePerChannelAffineCachemask,
  fakeQuantizePerChannelBuildDependent,
  fakeQuantizePerTensorAffine,
  fakeQuantizePerTensorAffineBackward,
  fakeQuantizePerTensorAffineCachemask,
  fakeQuantizePerTensorBuildDependent,
  learnableGradFactor,
  sumExceptAxisFloat32,
} from "./fake_quantize.ts";
import { Tensor } from "./tensor.ts";

const u8 = { scale: 1, zeroPoint: 0, quantMin: 0, quantMax: 255 };
const s8 = { scale: 1, zeroPoint: 0, quantMin: -128, quantMax: 127 };

function same(actual: ArrayLike<number>, expected: number[], what = "values"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Object.is(actual[i], expected[i]),
      `${what}[${i}]: expected ${expected[i]}, got ${actual[i]}`,
    );
  }
}

Deno.test("per tensor: ties round half to even, and the zero point is added after rounding", () => {
  const x = Tensor.from([0.5, 1.5, 2.5, -0.5, -1.5]);
  same(fakeQuantizePerTensorAffine(x, s8).data, [0, 2, 2, 0, -2]);
  // zp = 1: rne(0.5) + 1 = 1 -> y = 0 (adding the zero point first would give rne(1.5) = 2).
  same(fakeQuantizePerTensorAffine(Tensor.from([0.5, 1.5]), { ...u8, zeroPoint: 1 }).data, [0, 2]);
});

Deno.test("per tensor: -0 and tiny negatives give +0", () => {
  same(fakeQuantizePerTensorAffine(Tensor.from([-0, -0.25, -1e-30]), s8).data, [0, 0, 0]);
});

Deno.test("per tensor: the mask is 1 exactly where the rounded code is in [quantMin, quantMax]", () => {
  const x = Tensor.from([254.5, 255.4, 255.5, 256, -0.5, -0.6, 1000, -1000]);
  const { y, mask } = fakeQuantizePerTensorAffineCachemask(x, u8);
  same(y.data, [254, 255, 255, 255, 0, 0, 255, 0]);
  same(mask, [1, 1, 0, 0, 1, 0, 0, 0], "mask");
});

Deno.test("per tensor: scale and zero point apply as (clamp(q) - zp) * scale", () => {
  const o = { scale: 0.5, zeroPoint: 10, quantMin: 0, quantMax: 20 };
  // x*2 = -6 -> q = 4 -> (4 - 10) * 0.5 = -3; x*2 = 30 -> q = 40 -> clamped 20 -> 5.
  same(fakeQuantizePerTensorAffine(Tensor.from([-3, 15, -100]), o).data, [-3, 5, -5]);
});

Deno.test("backward: dx = dy * mask, keeping the sign of a masked dy", () => {
  const x = Tensor.from([1, 300, -5, 2]);
  const dy = Tensor.from([-2, -2, 3, Infinity]);
  same(fakeQuantizePerTensorAffineBackward(dy, x, u8).data, [-2, -0, 0, Infinity]);
  same(fakeQuantizeCachemaskBackward(Tensor.from([Infinity, 1]), [0, 1]).data, [NaN, 1]);
});

Deno.test("NaN and ±Infinity: saturate, NaN to the zero point, mask 0, marked build-dependent", () => {
  const o = { scale: 0.5, zeroPoint: 3, quantMin: 0, quantMax: 255 };
  const x = Tensor.from([NaN, Infinity, -Infinity, 3e38, 1]);
  const { y, mask } = fakeQuantizePerTensorAffineCachemask(x, o);
  same(y.data, [0, 126, -1.5, 126, 1]);
  same(mask, [0, 0, 0, 0, 1], "mask");
  same(fakeQuantizePerTensorBuildDependent(x, o)!, [1, 1, 1, 1, 0], "build-dependent");
  assert.equal(fakeQuantizePerTensorBuildDependent(Tensor.from([1, 2]), o), undefined);
  assert.ok(fakeQuantizeIsBuildDependent(1e10, 1, 0, "float-zero-point")); // beyond 32-bit long
  assert.ok(!fakeQuantizeIsBuildDependent(1e10, 1, 0)); // fits int64
});

Deno.test("per channel: each channel uses its own scale and zero point along the axis", () => {
  const x = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const y = fakeQuantizePerChannelAffine(x, {
    scales: [1, 2, 4],
    zeroPoints: [0, 1, 2],
    axis: 1,
    quantMin: 0,
    quantMax: 255,
  });
  // column 1: 2/2 = 1 -> (1+1-1)*2 = 2; 5/2 = 2.5 -> rne 2 -> 4. column 2: 3/4 -> 1 -> 4; 6/4 = 1.5 -> 2 -> 8.
  same(y.data, [1, 2, 4, 4, 4, 8]);
  const axis0 = fakeQuantizePerChannelAffine(x, {
    scales: [1, 2],
    zeroPoints: [0, 0],
    axis: 0,
    quantMin: 0,
    quantMax: 255,
  });
  same(axis0.data, [1, 2, 3, 4, 4, 6]);
});

Deno.test("per channel, float zero points: the zero point is added before rounding", () => {
  const o = {
    scales: [1],
    zeroPoints: [0.5],
    axis: 0,
    quantMin: 0,
    quantMax: 3,
    floatZeroPoints: true,
  };
  // x + 0.5: 1.5 -> 2 -> 1.5; 2.5 -> 2 -> 1.5; 3 -> 3.5 -> 4 (out of range) -> 3 - 0.5 = 2.5.
  const { y, mask } = fakeQuantizePerChannelAffineCachemask(
    new Tensor(Float32Array.from([1, 2, 3]), [1, 3]),
    o,
  );
  same(y.data, [1.5, 1.5, 2.5]);
  same(mask, [1, 1, 0], "mask");
  const dx = fakeQuantizePerChannelAffineBackward(
    new Tensor(Float32Array.from([1, 1, 1]), [1, 3]),
    new Tensor(Float32Array.from([1, 2, 3]), [1, 3]),
    o,
  );
  same(dx.data, [1, 1, 0]);
});

Deno.test("per channel build dependence follows each channel's kernel", () => {
  const x = new Tensor(Float32Array.from([NaN, 1, 1, 3e9]), [2, 2]);
  const o = { scales: [1, 1], zeroPoints: [0, 0], axis: 0, quantMin: 0, quantMax: 255 };
  same(fakeQuantizePerChannelBuildDependent(x, o)!, [1, 0, 0, 0]);
  same(fakeQuantizePerChannelBuildDependent(x, { ...o, floatZeroPoints: true })!, [1, 0, 0, 1]);
});

Deno.test("argument errors name the argument and the value", () => {
  const x = Tensor.from([1]);
  assert.throws(() => fakeQuantizePerTensorAffine(x, { ...u8, scale: 0 }), /scale: .*got 0/);
  assert.throws(() => fakeQuantizePerTensorAffine(x, { ...u8, scale: NaN }), /scale: .*NaN/);
  assert.throws(
    () => fakeQuantizePerTensorAffine(x, { ...u8, scale: 1e-40 }),
    /scale: .*overflows/,
  );
  assert.throws(
    () => fakeQuantizePerTensorAffine(x, { ...u8, zeroPoint: 256 }),
    /zeroPoint: zero point 256/,
  );
  assert.throws(
    () => fakeQuantizePerTensorAffine(x, { ...u8, zeroPoint: 1.5 }),
    /zeroPoint: .*1\.5/,
  );
  assert.throws(
    () => fakeQuantizePerTensorAffine(x, { ...u8, quantMin: 5, quantMax: 4 }),
    /quantMin \(5\)/,
  );
  assert.throws(() => fakeQuantizePerTensorAffine(x, { ...u8, quantMax: 2.5 }), /quantMax: .*2\.5/);
  assert.throws(
    () => fakeQuantizePerTensorAffineBackward(Tensor.from([1, 2]), x, u8),
    /dy: shape \[2\] differs/,
  );
  const pc = { scales: [1, 1], zeroPoints: [0, 0], axis: 0, quantMin: 0, quantMax: 255 };
  assert.throws(() => fakeQuantizePerChannelAffine(x, pc), /scales: expected 1 values, got 2/);
  assert.throws(() => fakeQuantizePerChannelAffine(x, { ...pc, axis: 1 }), /axis: axis 1/);
  assert.throws(
    () => fakeQuantizePerChannelAffine(Tensor.from([1, 2]), { ...pc, scales: [1, -1] }),
    /scales\[1\]: .*-1/,
  );
  assert.throws(
    () =>
      fakeQuantizePerChannelAffine(Tensor.from([1, 2]), {
        ...pc,
        zeroPoints: [0, NaN],
        floatZeroPoints: true,
      }),
    /zeroPoints\[1\]: expected a finite number/,
  );
  assert.throws(
    () => fakeQuantizePerChannelAffine(Tensor.from([1, 2]), { ...pc, zeroPoints: [0, -1] }),
    /zeroPoints\[1\]: zero point -1/,
  );
});

Deno.test("LSQ forward rounds the zero point half to even and clamps it", () => {
  const base = { scale: 1, quantMin: 0, quantMax: 10 };
  // zp 2.5 -> 2: x = 0 -> q = 2 -> y = 0; x = 9 -> q = 11 -> 10 -> y = 8.
  same(
    fakeQuantizeLearnablePerTensorAffine(Tensor.from([0, 9]), { ...base, zeroPoint: 2.5 }).data,
    [0, 8],
  );
  // zp 3.5 -> 4, zp 20 -> clamped to 10.
  same(fakeQuantizeLearnablePerTensorAffine(Tensor.from([9]), { ...base, zeroPoint: 3.5 }).data, [
    6,
  ]);
  same(fakeQuantizeLearnablePerTensorAffine(Tensor.from([-20]), { ...base, zeroPoint: 20 }).data, [
    -10,
  ]);
  const pc = fakeQuantizeLearnablePerChannelAffine(new Tensor(Float32Array.from([9, 9]), [1, 2]), {
    scales: [1, 1],
    zeroPoints: [2.5, 3.5],
    axis: 1,
    quantMin: 0,
    quantMax: 10,
  });
  same(pc.data, [8, 6]);
});

Deno.test("LSQ per-tensor backward: the zero point is truncate(zp + 0.5), gradients by region", () => {
  const o = { scale: 1, zeroPoint: 2.5, quantMin: 0, quantMax: 10, gradFactor: 0.5 };
  // Backward zp = 3. x = 100: above -> dScale = dy*(10-3)*g, dZp = -dy*s*g.
  let g = fakeQuantizeLearnablePerTensorAffineBackward(Tensor.from([2]), Tensor.from([100]), o);
  same(g.dx.data, [0]);
  same(g.dScale.data, [7]);
  same(g.dZeroPoint.data, [-1]);
  // x = -100: below -> dScale = dy*(0-3)*g.
  g = fakeQuantizeLearnablePerTensorAffineBackward(Tensor.from([2]), Tensor.from([-100]), o);
  same(g.dScale.data, [-3]);
  // x = 0.25: code rne(3.25) = 3, in range: dScale = dy*((3-3)*1 - 0.25)*1*g, dZp = 0.
  g = fakeQuantizeLearnablePerTensorAffineBackward(Tensor.from([2]), Tensor.from([0.25]), o);
  same(g.dx.data, [2]);
  same(g.dScale.data, [-0.25]);
  same(g.dZeroPoint.data, [0]);
  // Sums over elements.
  g = fakeQuantizeLearnablePerTensorAffineBackward(
    Tensor.from([2, 2, 2]),
    Tensor.from([100, -100, 0.25]),
    o,
  );
  same(g.dScale.data, [3.75]);
  same(g.dZeroPoint.data, [-2]);
});

Deno.test("LSQ backward: NaN input poisons the scale and zero-point gradients, ±Infinity saturate", () => {
  const o = { scale: 1, zeroPoint: 0, quantMin: 0, quantMax: 10 };
  let g = fakeQuantizeLearnablePerTensorAffineBackward(
    Tensor.from([-1, 1]),
    Tensor.from([NaN, 1]),
    o,
  );
  same(g.dx.data, [-0, 1]);
  assert.ok(Number.isNaN(g.dScale.data[0]) && Number.isNaN(g.dZeroPoint.data[0]));
  g = fakeQuantizeLearnablePerTensorAffineBackward(
    Tensor.from([1, 1]),
    Tensor.from([Infinity, -Infinity]),
    o,
  );
  same(g.dScale.data, [10]);
  same(g.dZeroPoint.data, [-2]);
  same(fakeQuantizeLearnablePerTensorBuildDependent(Tensor.from([NaN, 1, -Infinity]), o)!, [
    1,
    0,
    1,
  ]);
});

Deno.test("LSQ per-channel backward: per-channel sums, rounded float zero points", () => {
  const x = new Tensor(Float32Array.from([100, 0.25, -100, 100]), [2, 2]);
  const dy = new Tensor(Float32Array.from([1, 1, 1, 1]), [2, 2]);
  const g = fakeQuantizeLearnablePerChannelAffineBackward(dy, x, {
    scales: [1, 2],
    zeroPoints: [2.5, 3.5],
    axis: 1,
    quantMin: 0,
    quantMax: 10,
  });
  // Channel 0 (zp rne 2.5 = 2): x = 100 above -> 10-2 = 8; x = -100 below -> 0-2 = -2.
  // Channel 1 (zp 4, scale 2): x = 0.25 -> rne(4.125) = 4 in range -> (0*2 - 0.25)/2 = -0.125;
  // x = 100 above -> 10-4 = 6.
  same(g.dScale.data, [6, 5.875]);
  same(g.dZeroPoint.data, [-2, -2]);
  same(g.dx.data, [0, 1, 0, 0]);
});

Deno.test("LSQ: empty input returns the scale and zero point as gradients (as PyTorch does)", () => {
  const o = { scale: 0.3, zeroPoint: 2.25, quantMin: 0, quantMax: 255 };
  const g = fakeQuantizeLearnablePerTensorAffineBackward(Tensor.from([]), Tensor.from([]), o);
  same(g.dScale.data, [Math.fround(0.3)]);
  same(g.dZeroPoint.data, [2.25]);
});

Deno.test("LSQ argument errors", () => {
  const x = Tensor.from([1, 2]);
  const o = { scale: 1, zeroPoint: 0, quantMin: 1, quantMax: 10 };
  assert.throws(
    () => fakeQuantizeLearnablePerTensorAffineBackward(x, x, o),
    /contains 0, got \[1, 10\]/,
  );
  assert.doesNotThrow(() => fakeQuantizeLearnablePerTensorAffine(x, o));
  assert.throws(
    () => fakeQuantizeLearnablePerTensorAffine(x, { ...o, zeroPoint: Infinity }),
    /zeroPoint: expected a finite number, got Infinity/,
  );
  assert.throws(
    () =>
      fakeQuantizeLearnablePerTensorAffineBackward(x, x, { ...o, quantMin: 0, gradFactor: NaN }),
    /gradFactor: .*NaN/,
  );
  assert.throws(
    () =>
      fakeQuantizeLearnablePerChannelAffineBackward(x, x, {
        scales: [1, 1],
        zeroPoints: [0, 0],
        axis: 0,
        quantMin: 0,
        quantMax: 10,
      }),
    /rank >= 2/,
  );
});

Deno.test("learnableGradFactor is 1/sqrt(numel * quantMax), or 1 without grad scaling", () => {
  assert.equal(learnableGradFactor(4, 16), 0.125);
  assert.equal(learnableGradFactor(4, 16, false), 1);
});

Deno.test("sumExceptAxisFloat32 sums every dimension but the axis, never giving -0", () => {
  const t = Float32Array.from([1, 2, 3, 4, 5, 6]);
  same(sumExceptAxisFloat32(t, [2, 3], 0), [6, 15]);
  same(sumExceptAxisFloat32(t, [2, 3], 1), [5, 7, 9]);
  same(sumExceptAxisFloat32(t, [3, 2, 1], 1), [9, 12]);
  same(sumExceptAxisFloat32(t, [1, 6], 1), [1, 2, 3, 4, 5, 6]);
  same(sumExceptAxisFloat32(Float32Array.from([-0, -0, -0, -0]), [2, 2], 1), [0, 0]);
  same(sumExceptAxisFloat32(Float32Array.from([-0, -0]), [2, 1], 1), [0]);
});
