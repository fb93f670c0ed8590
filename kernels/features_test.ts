import assert from "node:assert/strict";
import { hasRelaxedSimd, hasSimd128, wasmFeatures } from "./features.ts";
import { type InstructionName, INSTRUCTIONS, ModuleBuilder } from "./wasm/mod.ts";

const features = wasmFeatures();

let seed = 2024;
function rand(n: number): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return Math.floor((seed / 2 ** 32) * n);
}
const randomBytes = () => new Uint8Array(16).map(() => rand(256));

/** Runs one instruction on 16-byte operands, in a module built independently of the probes. */
function runner(name: InstructionName): (...operands: ArrayBufferView[]) => Uint8Array {
  const m = new ModuleBuilder().memory({ initial: 1 }).exportMemory("memory");
  const f = m.function("run", {});
  const arity = INSTRUCTIONS[name].params.length;
  f.i32.const(0);
  for (let k = 1; k <= arity; k++) f.i32.const(16 * k).v128.load();
  f.op(name).v128.store();
  m.exportFunction(f);
  const { run, memory } = m.instantiateSync().exports as {
    run(): void;
    memory: WebAssembly.Memory;
  };
  return (...operands) => {
    operands.forEach((v, k) =>
      new Uint8Array(memory.buffer, 16 * (k + 1), 16).set(
        new Uint8Array(v.buffer, v.byteOffset, 16),
      )
    );
    run();
    return new Uint8Array(memory.buffer, 0, 16).slice();
  };
}

const wrap16 = (x: number) => (x << 16) >> 16;
const sat16 = (x: number) => Math.max(-32768, Math.min(32767, x));

Deno.test("features: plain frozen object of booleans, computed once", () => {
  assert.equal(wasmFeatures(), features);
  assert.ok(Object.isFrozen(features));
  assert.equal(features.simd128, hasSimd128());
  assert.equal(features.relaxedSimd, hasRelaxedSimd());
  assert.equal(typeof features.simd128, "boolean");
  assert.equal(typeof features.relaxedSimd, "boolean");
  if (!features.relaxedSimd) {
    assert.equal(features.relaxedDot, null);
    assert.equal(features.relaxedMaddFused, null);
    return;
  }
  const dot = features.relaxedDot!;
  assert.ok(Object.isFrozen(dot) && Object.isFrozen(features.relaxedLaneselect));
  for (const v of Object.values(dot).filter((v) => typeof v !== "string")) {
    assert.equal(typeof v, "boolean");
  }
  assert.equal(typeof features.relaxedMaddFused, "boolean");
  assert.equal(typeof features.relaxedTruncSaturates, "boolean");
  assert.equal(typeof features.relaxedQ15mulrSaturates, "boolean");
  console.log(JSON.stringify(features));
});

Deno.test("features: relaxed dot probes agree with running the ops on random inputs", () => {
  const dot = features.relaxedDot;
  if (dot === null) return;
  assert.notEqual(dot.lowering, "unknown", "a known lowering on Deno 2");
  assert.ok(dot.accumulatorHonoured);
  const flagsByLowering: Record<string, boolean[]> = {
    "pmaddubsw": [true, true, false],
    "vpdpbusd": [true, false, false],
    "sdot": [false, false, false],
    "smull-addp": [false, false, true],
  };
  const expectedFlags = flagsByLowering[dot.lowering];
  assert.deepEqual(
    [dot.secondOperandUnsigned, dot.i16PairSaturates, dot.i16PairWraps],
    expectedFlags,
  );

  const dot16 = runner("i16x8.relaxed_dot_i8x16_i7x16_s");
  const dot32 = runner("i32x4.relaxed_dot_i8x16_i7x16_add_s");
  const pair = (a: Int8Array, b: Uint8Array, k: number, unsigned: boolean): number => {
    const bv = (i: number): number => (unsigned ? b[i] : (b[i] << 24) >> 24);
    return a[2 * k] * bv(2 * k) + a[2 * k + 1] * bv(2 * k + 1);
  };
  for (let trial = 0; trial < 200; trial++) {
    const a = new Int8Array(randomBytes().buffer);
    const b = trial % 4 === 0 ? new Uint8Array(16).fill(255) : randomBytes();
    if (trial % 4 === 1) a.fill(-128);
    const c = new Int32Array(4).map(() => rand(2 ** 32) | 0);
    const p16: number[] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => {
      const p = pair(a, b, k, dot.i16x8SecondOperandUnsigned);
      return dot.i16x8Saturates ? sat16(p) : wrap16(p);
    });
    assert.deepEqual(
      Array.from(new Int16Array(dot16(a, b).buffer)),
      p16,
      `i16 dot, trial ${trial}`,
    );
    const p32: number[] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => {
      const p = pair(a, b, k, dot.secondOperandUnsigned);
      return dot.i16PairSaturates ? sat16(p) : dot.i16PairWraps ? wrap16(p) : p;
    });
    const expected: number[] = [0, 1, 2, 3].map((k) => (c[k] + p32[2 * k] + p32[2 * k + 1]) | 0);
    assert.deepEqual(
      Array.from(new Int32Array(dot32(a, b, c).buffer)),
      expected,
      `i32 dot ${trial}`,
    );
  }
});

Deno.test("features: relaxed_madd fusion agrees with running it on random inputs", () => {
  if (features.relaxedMaddFused === null) return;
  const madd = runner("f32x4.relaxed_madd");
  for (let trial = 0; trial < 200; trial++) {
    // 13-bit significands: a·b (26 bits) is exact in f64 but not in f32, and a·b + c is exact
    // in f64, so Math.fround(a·b + c) is the correctly rounded fused result.
    const sig = () => (rand(4096) + 4096) * (rand(2) ? 1 : -1);
    const a = new Float32Array(4).map(() => sig() * 2 ** -12);
    const b = new Float32Array(4).map(() => sig() * 2 ** -12);
    const c = new Float32Array(4).map((_, k) => -Math.fround(a[k] * b[k]) * (rand(2) ? 1 : 0.5));
    const fused = a.map((x, k) => Math.fround(x * b[k] + c[k]));
    const unfused = a.map((x, k) => Math.fround(Math.fround(x * b[k]) + c[k]));
    const result = new Float32Array(madd(a, b, c).buffer);
    assert.deepEqual(result, features.relaxedMaddFused ? fused : unfused, `trial ${trial}`);
  }
});

Deno.test("features: relaxed swizzle, laneselect, trunc and q15mulr probes agree with random runs", () => {
  if (!features.relaxedSimd) return;
  const swizzle = runner("i8x16.relaxed_swizzle");
  for (let trial = 0; trial < 50; trial++) {
    const table = randomBytes();
    const idx = randomBytes().map((i) => (trial % 2 ? i & 0x7f : i));
    const expected = idx.map((i) =>
      i < 16 ? table[i] : i >= 128 || features.relaxedSwizzle === "zero" ? 0 : table[i & 15]
    );
    assert.notEqual(features.relaxedSwizzle, "other");
    assert.deepEqual(swizzle(table, idx), expected);
  }

  const widths = { i8x16: 1, i16x8: 2, i32x4: 4, i64x2: 8 } as const;
  for (const [shape, size] of Object.entries(widths) as [keyof typeof widths, number][]) {
    const semantics = features.relaxedLaneselect![shape];
    const select = runner(`${shape}.relaxed_laneselect`);
    assert.notEqual(semantics, "other", shape);
    for (let trial = 0; trial < 50; trial++) {
      const [a, b, m] = [randomBytes(), randomBytes(), randomBytes()];
      const expected = a.map((x, i) => {
        if (semantics === "bitselect") return (x & m[i]) | (b[i] & ~m[i]);
        const decider = semantics === "byte-top-bit" ? m[i] : m[i - (i % size) + size - 1];
        return decider & 0x80 ? x : b[i];
      });
      assert.deepEqual(select(a, b, m), expected, `${shape} ${semantics}`);
    }
  }

  const trunc = runner("i32x4.relaxed_trunc_f32x4_s");
  const values = [NaN, Infinity, -Infinity, 3e9, -3e9, 2 ** 31, -(2 ** 31), 1.9, -1.9, -0.5, 1e-9];
  for (const v of values) {
    const inRange = v > -(2 ** 31) - 1 && v < 2 ** 31;
    const expected = inRange
      ? Math.trunc(v)
      : features.relaxedTruncSaturates
      ? (Number.isNaN(v) ? 0 : v > 0 ? 2 ** 31 - 1 : -(2 ** 31))
      : -(2 ** 31);
    const result = new Int32Array(trunc(new Float32Array(4).fill(v)).buffer)[0];
    assert.equal(result, expected | 0, `relaxed_trunc(${v})`);
  }

  const q15 = runner("i16x8.relaxed_q15mulr_s");
  for (let trial = 0; trial < 50; trial++) {
    const a = new Int16Array(randomBytes().buffer);
    const b = new Int16Array(randomBytes().buffer);
    if (trial % 5 === 0) a.fill(-32768), b.fill(-32768);
    const expected = a.map((x, k) => {
      const r = (x * b[k] + 0x4000) >> 15;
      return r > 32767 ? (features.relaxedQ15mulrSaturates ? 32767 : -32768) : r;
    });
    assert.deepEqual(new Int16Array(q15(a, b).buffer), expected);
  }
});
