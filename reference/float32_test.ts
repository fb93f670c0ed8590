import assert from "node:assert/strict";
import {
  f32,
  float32Bits,
  float32FromBits,
  fmaF32,
  roundHalfAway,
  roundHalfEven,
} from "./float32.ts";

/** The exact value of a finite double as a fraction num / 2^exp (BigInt). */
function exact(x: number): { num: bigint; exp: bigint } {
  if (x === 0) return { num: 0n, exp: 0n };
  let e = 0n;
  while (!Number.isInteger(x)) {
    x *= 2;
    e++;
  }
  return { num: BigInt(x), exp: e };
}

/** Rounds an exact fraction num/2^exp to the nearest float32, ties to even (normal range). */
function roundToF32(num: bigint, exp: bigint): number {
  if (num === 0n) return 0;
  const negative = num < 0n;
  let n = negative ? -num : num;
  // Scale so that n has 24 significant bits plus a remainder.
  const bits = BigInt(n.toString(2).length);
  const shift = bits - 24n;
  let mant: bigint;
  let e = -exp;
  if (shift > 0n) {
    const rem = n & ((1n << shift) - 1n);
    mant = n >> shift;
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (mant & 1n) === 1n)) mant++;
    e += shift;
  } else {
    mant = n << -shift;
    e += shift;
  }
  n = mant;
  const value = Number(n) * 2 ** Number(e);
  return negative ? -value : value;
}

function exactFma(a: number, b: number, c: number): number {
  const A = exact(a);
  const B = exact(b);
  const C = exact(c);
  const pExp = A.exp + B.exp;
  const common = pExp > C.exp ? pExp : C.exp;
  const num = A.num * B.num * (1n << (common - pExp)) + C.num * (1n << (common - C.exp));
  return roundToF32(num, common);
}

Deno.test("fmaF32 rounds a·b + c once, like std::fma in float (checked with exact arithmetic)", () => {
  let state = 12345;
  const rand = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  let nearTies = 0;
  for (let i = 0; i < 20000; i++) {
    const a = f32((rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10));
    const b = f32((rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10));
    // c chosen so that a·b + c lands near a float32 rounding boundary half the time.
    let c = f32(Math.floor(rand() * 256));
    if (i % 2 === 0) {
      const target = f32(a * b + c);
      const next = float32FromBits(float32Bits(target) + 1);
      c = f32(c + ((target + next) / 2 - (a * b + c)));
      nearTies++;
    }
    assert.equal(fmaF32(a, b, c), exactFma(a, b, c), `fma(${a}, ${b}, ${c})`);
  }
  assert.ok(nearTies > 0);
});

Deno.test("roundHalfEven and roundHalfAway", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven), [
    0,
    2,
    2,
    -0,
    -2,
    -2,
    2,
    -3,
  ]);
  assert.ok(Object.is(roundHalfEven(-0.3), -0));
  assert.equal(roundHalfEven(Infinity), Infinity);
  assert.ok(Number.isNaN(roundHalfEven(NaN)));
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -2.5].map(roundHalfAway), [1, 2, 3, -1, -3]);
});
