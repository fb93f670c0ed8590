import assert from "node:assert/strict";
import { float16Bits, float16Value, roundToFloat16 } from "./float16.ts";

Deno.test("float16: every bit pattern round-trips and equals the engine's Math.f16round", () => {
  const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;
  for (let h = 0; h < 0x10000; h++) {
    const v = float16Value(h);
    if (Number.isNaN(v)) {
      assert.ok(Number.isNaN(float16Value(float16Bits(v))));
      continue;
    }
    assert.equal(float16Bits(v), h, `pattern ${h.toString(16)}`);
    if (f16round) assert.ok(Object.is(f16round(v), v));
  }
});

Deno.test("float16: rounding ties to even, overflow to infinity, tiny values to zero", () => {
  assert.equal(roundToFloat16(1 + 2 ** -11), 1); // tie: even mantissa stays
  assert.equal(roundToFloat16(1 + 3 * 2 ** -11), 1 + 2 ** -9); // tie: odd rounds up
  assert.equal(roundToFloat16(65520), Infinity);
  assert.equal(roundToFloat16(65519), 65504);
  assert.equal(roundToFloat16(2 ** -26), 0);
  assert.equal(roundToFloat16(3 * 2 ** -26), 2 ** -24);
  const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;
  if (f16round) {
    // Random float32 values, compared with the engine's own correctly rounded conversion.
    let s = 12345;
    for (let i = 0; i < 100000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const bits = new Uint32Array([s]);
      const x = new Float32Array(bits.buffer)[0];
      const want = f16round(x);
      const got = roundToFloat16(x);
      assert.ok(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)), `${x}`);
    }
  }
});
