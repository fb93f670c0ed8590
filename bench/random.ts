/**
 * A small deterministic random source for benchmark inputs (xorshift32), so every run times the
 * same data.
 * @module
 */

/** xorshift32 in [0, 1), seeded. */
export function randomSource(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
