import assert from "node:assert/strict";
import { shuffleLanes, splatLane } from "./shuffles.ts";

Deno.test("splatLane: byte indices broadcasting one lane", () => {
  assert.deepEqual(splatLane("i32x4", 2), [8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11]);
  assert.deepEqual(splatLane("f64x2", 1), [
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
  ]);
  assert.deepEqual(splatLane("i8x16", 5), new Array(16).fill(5));
  assert.deepEqual(splatLane("i16x8", 7), new Array(8).fill([14, 15]).flat());
  assert.throws(() => splatLane("i32x4", 4), /lane 4 out of range 0\.\.3/);
});

Deno.test("shuffleLanes: lanes from both operands", () => {
  assert.deepEqual(shuffleLanes("i32x4", [0, 4, 1, 5]), [
    0,
    1,
    2,
    3,
    16,
    17,
    18,
    19,
    4,
    5,
    6,
    7,
    20,
    21,
    22,
    23,
  ]);
  assert.deepEqual(shuffleLanes("i64x2", [3, 0]), [
    24,
    25,
    26,
    27,
    28,
    29,
    30,
    31,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
  ]);
  assert.throws(() => shuffleLanes("i32x4", [0, 1, 2]), /needs 4 lanes, got 3/);
  assert.throws(
    () => shuffleLanes("i16x8", [0, 1, 2, 3, 4, 5, 6, 16]),
    /lane 16 out of range 0\.\.15/,
  );
  assert.throws(() => shuffleLanes("x" as "i8x16", []), /unknown lane shape/);
});
