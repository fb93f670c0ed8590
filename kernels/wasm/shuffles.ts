/**
 * Lane patterns for `i8x16.shuffle`. These only compute the 16 immediate byte indices; the
 * instruction emitted is still the `i8x16.shuffle` the caller names.
 *
 * @module
 */

/** Lane shapes a shuffle pattern can be expressed in. */
export type LaneShape = "i8x16" | "i16x8" | "i32x4" | "i64x2" | "f32x4" | "f64x2";

const LANE_BYTES: Record<LaneShape, number> = {
  i8x16: 1,
  i16x8: 2,
  i32x4: 4,
  i64x2: 8,
  f32x4: 4,
  f64x2: 8,
};

/**
 * Byte indices for `i8x16.shuffle` that take the given lanes of `shape` (indices into the
 * concatenation of both operands: 0 … 2·lanes−1) and place them in order, e.g.
 * `shuffleLanes("i32x4", [0, 4, 1, 5])` interleaves the low halves of the two operands.
 */
export function shuffleLanes(shape: LaneShape, lanes: readonly number[]): number[] {
  const size = LANE_BYTES[shape];
  if (size === undefined) throw new TypeError(`unknown lane shape ${JSON.stringify(shape)}`);
  const count = 16 / size;
  if (lanes.length !== count) {
    throw new RangeError(`${shape} shuffle needs ${count} lanes, got ${lanes.length}`);
  }
  const bytes: number[] = [];
  for (const lane of lanes) {
    if (!Number.isInteger(lane) || lane < 0 || lane >= 2 * count) {
      throw new RangeError(`${shape} shuffle lane ${lane} out of range 0..${2 * count - 1}`);
    }
    for (let b = 0; b < size; b++) bytes.push(lane * size + b);
  }
  return bytes;
}

/**
 * Byte indices for `i8x16.shuffle` that broadcast lane `lane` of the first operand to every
 * lane: `f.i8x16.shuffle(splatLane("i32x4", 2))` is `f32x4.splat(extract_lane 2)` in one
 * instruction (pass the same vector as both operands).
 */
export function splatLane(shape: LaneShape, lane: number): number[] {
  const count = 16 / (LANE_BYTES[shape] ?? 1);
  if (!Number.isInteger(lane) || lane < 0 || lane >= count) {
    throw new RangeError(`${shape} lane ${lane} out of range 0..${count - 1}`);
  }
  return shuffleLanes(shape, new Array(count).fill(lane));
}
