import assert from "node:assert/strict";
import {
  combineHistograms,
  cumsumFloat32,
  divFloorFloat32,
  histc,
  pythonInt,
} from "./_histogram_math.ts";

Deno.test("histc: PyTorch's edges (equal bounds use the data, then ±1) and last-bin rule", () => {
  assert.deepEqual([...histc([0, 0.5, 1], 4, 0, 1)], [1, 0, 1, 1]);
  assert.deepEqual([...histc([2.5, 3], 2, 0, 0)], [1, 1]); // bounds from the data
  assert.deepEqual([...histc([3, 3], 2, 3, 3)], [0, 2]); // [2, 4]: 3 lands in bin 1
  assert.deepEqual([...histc([-5, NaN, 5, 0.25], 2, -1, 1)], [0, 1]); // outside and NaN skipped
  assert.throws(() => histc([1], 2, 0, Infinity), /not finite/);
});

Deno.test("divFloorFloat32: c10 div_floor_floating", () => {
  assert.equal(divFloorFloat32(7, 2), 3);
  assert.equal(divFloorFloat32(-7, 2), -4);
  assert.equal(divFloorFloat32(6, 2), 3);
  assert.ok(Object.is(divFloorFloat32(-0.5, 4), -1));
  assert.ok(Object.is(divFloorFloat32(0.5, 4), 0));
  assert.ok(Object.is(divFloorFloat32(-0, 4), -0));
  assert.equal(divFloorFloat32(1, 0), Infinity);
});

Deno.test("cumsumFloat32 accumulates in double", () => {
  const big = 2 ** 24;
  assert.deepEqual([...cumsumFloat32([big, 1, 1])], [big, big, big + 2]);
});

Deno.test("combineHistograms: downsampling by the upsampling rate at start 0 adds the counts", () => {
  const out = combineHistograms(Float32Array.of(1, 0), Float32Array.of(2, 3), {
    upsampleRate: 2,
    downsampleRate: 2,
    startIndex: 0,
  });
  assert.deepEqual([...out], [3, 3]);
  // Old bins as 2 fine cells each, at fine cells 1..4 of two 4-cell coarse bins.
  const shifted = combineHistograms(new Float32Array(2), Float32Array.of(2, 4), {
    upsampleRate: 2,
    downsampleRate: 4,
    startIndex: 1,
  });
  assert.deepEqual([...shifted], [4, 2]);
  assert.throws(
    () =>
      combineHistograms(new Float32Array(2), new Float32Array(2), {
        upsampleRate: 4,
        downsampleRate: 1,
        startIndex: 1,
      }),
    /does not fit/,
  );
});

Deno.test("pythonInt truncates and refuses NaN and infinities", () => {
  assert.equal(pythonInt("v", -1.9), -1);
  assert.ok(Object.is(pythonInt("v", -0.5), 0));
  assert.throws(() => pythonInt("v", NaN), /v: cannot convert NaN/);
});
