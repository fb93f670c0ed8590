/**
 * Seeded pseudo-random numbers for weight initialisation and dropout masks (the role of
 * `torch.manual_seed`). The stream is not PyTorch's (mt19937/Philox): initial weights and dropout
 * masks differ from PyTorch's for the same seed, only their distributions agree.
 * @module
 */

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * A seeded generator (mulberry32: 32-bit state, period 2^32): the same seed gives the same
 * stream on every platform.
 * @throws {RangeError} for a seed that is not an integer.
 */
export function seededRandom(seed: number): RandomSource {
  if (!Number.isInteger(seed)) throw new RangeError(`seed: expected an integer, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let defaultSource: RandomSource = seededRandom(0);

/** Reseeds the default generator that module initialisation and unseeded dropout use. */
export function manualSeed(seed: number): void {
  defaultSource = seededRandom(seed);
}

/** The next number of the default generator (seed 0 until `manualSeed` is called). */
export function defaultRandom(): number {
  return defaultSource();
}

/** Fills `data` with `U(−bound, bound)` from `random`, rounded to float32. */
export function uniformFill(
  data: Float32Array,
  bound: number,
  random: RandomSource = defaultRandom,
): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * bound;
  return data;
}
