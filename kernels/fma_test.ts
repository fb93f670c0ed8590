import assert from "node:assert/strict";
import { emitAddExact, emitMulAdd, fmaScratch, type MulAddKind } from "./fma.ts";
import { ModuleBuilder } from "./wasm/mod.ts";
import { wasmFeatures } from "./features.ts";
import { f32, float32Bits, fmaF32 } from "../reference/float32.ts";

/** A module computing `kind`'s `a·b + c` over n (a multiple of 4) float32 triples. */
function mulAdd(kind: MulAddKind) {
  const mod = new ModuleBuilder().memory({ initial: 1 }).exportMemory("memory");
  const f = mod.function("run", { params: ["i32", "i32"], paramNames: ["n", "out"] });
  const [n, out] = f.params;
  const scratch = fmaScratch(f);
  const i = f.local("i32", "i");
  f.loop((next) => {
    for (const array of [0, 1, 2]) {
      f.localGet(i).i32.const(array * 16384).i32.add().v128.load({ align: 4 });
    }
    emitMulAdd(f, kind, scratch);
    f.localSet(scratch.a);
    f.localGet(out).localGet(i).i32.add().localGet(scratch.a).v128.store({ align: 4 });
    f.localGet(i).i32.const(16).i32.add().localTee(i).localGet(n).i32.const(4).i32.mul().i32.ltU()
      .brIf(next);
  });
  mod.exportFunction(f);
  const exports = mod.instantiateSync().exports;
  const memory = exports.memory as WebAssembly.Memory;
  const run = exports.run as (n: number, out: number) => void;
  return (a: Float32Array, b: Float32Array, c: Float32Array): Float32Array => {
    const view = new Float32Array(memory.buffer);
    view.set(a, 0);
    view.set(b, 4096);
    view.set(c, 8192);
    run(a.length, 49152);
    return view.slice(12288, 12288 + a.length);
  };
}

/** Triples where one rounding and two differ: a·b has low bits that decide the sum's rounding. */
function hardTriples(count: number, seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const a = new Float32Array(count);
  const b = new Float32Array(count);
  const c = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a[i] = f32((rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20));
    b[i] = f32((rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20));
    // c near −a·b (cancellation) or of a similar size (ties in the last bit of the sum)
    c[i] = rand() < 0.5 ? f32(-a[i] * b[i] * (1 + (rand() - 0.5) * 2 ** -20)) : f32(
      a[i] * b[i] * (rand() * 4 - 2),
    );
  }
  // Exact corner cases: the relaxed_madd probe, zeros and signs, subnormals, and double rounding:
  // (1 + 2⁻²³)(1 − 2⁻²³) + 16777218 = 16777219 − 2⁻⁴⁶ rounds to the float64 midpoint 16777219,
  // whose float32 tie would go to 16777220; the exact value lies below it (16777218).
  const x = 1 + 2 ** -12;
  const [u, d] = [1 + 2 ** -23, 1 - 2 ** -23];
  a.set([x, 0.5, -0, 1e-30, 3e38, 1, -1, 2 ** -149, u, -u, u, 2 ** -70], 0);
  b.set([x, 1 + 2 ** -23, 0, 1e-30, 2, 1, 1, 0.5, d, d, d, 2 ** -70], 0);
  c.set(
    [-(1 + 2 ** -11), -0.5, -0, 0, -3e38, -1, 1, 0, 16777218, -16777218, 16777214, 2 ** -140],
    0,
  );
  return { a, b, c };
}

const bits = (x: Float32Array) => [...x].map(float32Bits);

Deno.test("the emulated fused multiply-add rounds once, bit for bit, on adversarial triples", () => {
  const { a, b, c } = hardTriples(4096, 7);
  const want = Float32Array.from(a, (_, i) => fmaF32(a[i], b[i], c[i]));
  assert.deepEqual(bits(mulAdd("fused-emulated")(a, b, c)), bits(want));
  // The double-rounding triples need the exact fix-up: the float64 sum alone rounds wrongly.
  assert.equal(want[8], 16777218);
  assert.equal(f32(a[8] * b[8] + c[8]), 16777220);
});

Deno.test("the unfused multiply-add rounds twice, and differs from the fused one on these triples", () => {
  const { a, b, c } = hardTriples(4096, 11);
  const twice = Float32Array.from(a, (_, i) => f32(f32(a[i] * b[i]) + c[i]));
  const got = mulAdd("unfused")(a, b, c);
  assert.deepEqual(bits(got), bits(twice));
  const fused = bits(mulAdd("fused-emulated")(a, b, c));
  const differing = bits(got).filter((v, i) => v !== fused[i]).length;
  assert.ok(differing > 100, `only ${differing} triples tell one rounding from two`);
});

Deno.test("relaxed_madd is used as a fused multiply-add only where the probe says it fuses", () => {
  if (wasmFeatures().relaxedMaddFused !== true) return; // nothing to check on this engine
  const { a, b, c } = hardTriples(4096, 13);
  assert.deepEqual(bits(mulAdd("fused-relaxed")(a, b, c)), bits(mulAdd("fused-emulated")(a, b, c)));
});

/** A module computing `f32(p + c)` with one rounding (`emitAddExact`): p float64, c float32. */
function addExact() {
  const mod = new ModuleBuilder().memory({ initial: 1 }).exportMemory("memory");
  const f = mod.function("run", { params: ["i32"], paramNames: ["n"] });
  const [n] = f.params;
  const scratch = fmaScratch(f);
  const i = f.local("i32", "i");
  f.loop((next) => {
    f.localGet(i).i32.const(2).i32.shl().i32.const(49152).i32.add(); // out
    f.localGet(i).i32.const(2).i32.shl().v128.load({ align: 4 }); // c
    emitAddExact(f, (pair) => {
      f.localGet(i).i32.const(3).i32.shl().v128.load({ offset: 16384 + pair * 16, align: 8 });
    }, scratch);
    f.v128.store({ align: 4 });
    f.localGet(i).i32.const(4).i32.add().localTee(i).localGet(n).i32.ltU().brIf(next);
  });
  mod.exportFunction(f);
  const exports = mod.instantiateSync().exports;
  const memory = exports.memory as WebAssembly.Memory;
  const run = exports.run as (n: number) => void;
  return (p: Float64Array, c: Float32Array): Float32Array => {
    new Float32Array(memory.buffer).set(c, 0);
    new Float64Array(memory.buffer).set(p, 2048);
    run(c.length);
    return new Float32Array(memory.buffer).slice(12288, 12288 + c.length);
  };
}

Deno.test("the exact add of a precomputed product rounds once, midpoints included", () => {
  const { a, b } = hardTriples(4096, 17);
  let s = 5;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  // integer-valued c, as the epilogue's converted accumulators
  const c = Float32Array.from(a, () => f32(Math.round((rand() - 0.5) * 2 ** (rand() * 32))));
  const [u, d] = [1 + 2 ** -23, 1 - 2 ** -23];
  a.set([u, -u, u, u], 0);
  b.set([d, d, d, -d], 0);
  c.set([16777218, -16777218, 16777214, 3], 0);
  const p = Float64Array.from(a, (x, i) => x * b[i]);
  const want = Float32Array.from(a, (_, i) => fmaF32(a[i], b[i], c[i]));
  assert.deepEqual(bits(addExact()(p, c)), bits(want));
  assert.notEqual(f32(p[0] + c[0]), want[0], "the first lanes need the fix-up");
});
