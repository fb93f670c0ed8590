import assert from "node:assert/strict";
import { ModuleBuilder } from "./module_builder.ts";
import { shuffleLanes, splatLane } from "./shuffles.ts";

Deno.test("golden bytes: (func $add (param i32 i32) (result i32) …) exported as add", () => {
  const m = new ModuleBuilder();
  const f = m.function("add", { params: ["i32", "i32"], results: ["i32"] });
  const [a, b] = f.params;
  f.localGet(a).localGet(b).i32.add();
  m.exportFunction(f);
  // deno-fmt-ignore
  const expected = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: [(i32 i32) -> (i32)]
    0x03, 0x02, 0x01, 0x00, // function: [type 0]
    0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, // export: "add" func 0
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // code: local.get 0 1, i32.add, end
    0x00, 0x0d, 0x04, 0x6e, 0x61, 0x6d, 0x65, // custom section "name"
    0x01, 0x06, 0x01, 0x00, 0x03, 0x61, 0x64, 0x64, // function names: 0 → "add"
  ];
  assert.deepEqual(Array.from(m.toBytes()), expected);
});

Deno.test("sections: deduplicated types, imported shared memory, globals, local runs", async () => {
  const m = new ModuleBuilder().importMemory("env", "memory", {
    initial: 1,
    maximum: 4,
    shared: true,
  });
  const counter = m.global("i32", { mutable: true, init: 0xffff_fffe, name: "counter" });
  const big = m.global("i64", { init: -(2n ** 62n) });
  const vec = m.global("v128", { init: new Array(16).fill(7) });
  const bump = m.function("bump", { results: ["i32"] });
  bump.globalGet(counter).i32.const(1).i32.add().globalSet(counter).globalGet(counter);
  const twin = m.function("twin", { results: ["i32"] });
  twin.globalGet(vec).i8x16.extractLaneU(15).globalGet(big).i64.const(62).i64.shrS().i32.wrapI64()
    .i32.add();
  const locals = m.function("locals", { params: ["f32"] });
  for (const t of ["i32", "i32", "v128", "i32"] as const) locals.local(t);
  m.exportFunction(bump).exportFunction(twin).exportGlobal(counter, "counter").exportGlobal(
    big,
    "big",
  );
  const bytes = m.toBytes();
  const typeSection = Array.from(bytes.subarray(8, 8 + 2 + bytes[9]));
  assert.deepEqual(typeSection, [0x01, 0x09, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7d, 0x00]);
  const localsBody = [0x03, 0x02, 0x7f, 0x01, 0x7b, 0x01, 0x7f, 0x0b];
  assert.ok(bytes.join().includes(`${localsBody.length},${localsBody.join()}`), "local runs");

  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
  const { exports } = await m.instantiate({ env: { memory } });
  const e = exports as { bump(): number; twin(): number; counter: WebAssembly.Global };
  assert.equal(e.bump(), -1);
  assert.equal(e.bump(), 0);
  assert.equal(e.counter.value, 0);
  assert.equal(e.twin(), 7 - 1);
});

Deno.test("module errors: memory, exports, foreign handles", () => {
  const m = new ModuleBuilder().memory({ initial: 2 });
  assert.throws(() => m.memory({ initial: 1 }), /already has a memory/);
  assert.throws(() => new ModuleBuilder().memory({ initial: 70000 }), RangeError);
  assert.throws(() => new ModuleBuilder().memory({ initial: 2, maximum: 1 }), RangeError);
  assert.throws(() => new ModuleBuilder().memory({ initial: 1, shared: true }), /needs a maximum/);
  assert.throws(() => new ModuleBuilder().exportMemory("m"), /no memory/);
  const f = m.function("f", {});
  m.exportFunction(f).exportMemory("mem");
  assert.throws(() => m.exportFunction(f, "mem"), /duplicate export name "mem"/);
  assert.throws(() => new ModuleBuilder().exportFunction(f), /belongs to another module/);
  assert.throws(() => m.global("i32", { init: 1.5 }), /does not fit i32/);
  assert.throws(() => m.function("g", { params: ["i31" as "i32"] }), /unknown wasm value type/);
});

async function run<T>(m: ModuleBuilder): Promise<T> {
  return (await m.instantiate()).exports as T;
}

Deno.test("runs: i32 arithmetic, if/else, calls", async () => {
  const m = new ModuleBuilder();
  const sq = m.function("sq", { params: ["i32"], results: ["i32"] });
  sq.localGet(sq.params[0]).localTee(sq.params[0]).localGet(sq.params[0]).i32.mul();
  const f = m.function("f", { params: ["i32", "i32"], results: ["i32"] });
  const [a, b] = f.params;
  f.localGet(a).localGet(b).i32.ltS().if(
    "i32",
    () => void f.localGet(b).localGet(a).i32.sub(),
    () => void f.localGet(a).call(sq).localGet(b).i32.remS(),
  );
  m.exportFunction(f);
  const { f: fn } = await run<{ f(a: number, b: number): number }>(m);
  assert.equal(fn(3, 10), 7);
  assert.equal(fn(-7, -9), 49 % -9);
  assert.equal(fn(0x10000, 7), Math.imul(0x10000, 0x10000) % 7);
});

Deno.test("runs: a loop summing memory", async () => {
  const m = new ModuleBuilder().memory({ initial: 1 }).exportMemory("memory");
  const f = m.function("sum", { params: ["i32", "i32"], results: ["i32"] });
  const [ptr, n] = f.params;
  const acc = f.local("i32", "acc");
  const i = f.local("i32", "i");
  f.block((done) => {
    f.loop((next) => {
      f.localGet(i).localGet(n).i32.geS().brIf(done);
      f.localGet(acc).localGet(ptr).localGet(i).i32.const(2).i32.shl().i32.add().i32.load()
        .i32.add().localSet(acc);
      f.localGet(i).i32.const(1).i32.add().localSet(i).br(next);
    });
  });
  f.localGet(acc);
  m.exportFunction(f);
  const { sum, memory } = await run<
    { sum(p: number, n: number): number; memory: WebAssembly.Memory }
  >(m);
  const data = new Int32Array(memory.buffer, 64, 100);
  data.forEach((_, k) => data[k] = k * k - 50);
  assert.equal(sum(64, 100), data.reduce((s, x) => s + x, 0));
  assert.equal(sum(64, 0), 0);
});

/**
 * Builds `op(out, a, b, c)`: loads `arity` v128 operands from a, b, c, applies `body`, stores the
 * result at out. Returns a runner taking the operands as typed arrays and returning the result
 * bytes.
 */
async function vectorOp(
  arity: 1 | 2 | 3,
  body: (f: ReturnType<ModuleBuilder["function"]>) => void,
): Promise<(...operands: ArrayBufferView[]) => ArrayBuffer> {
  const m = new ModuleBuilder().memory({ initial: 1 }).exportMemory("memory");
  const f = m.function("op", { params: ["i32", "i32", "i32", "i32"] });
  const [out, ...ins] = f.params;
  f.localGet(out);
  for (const p of ins.slice(0, arity)) f.localGet(p).v128.load();
  body(f);
  f.v128.store();
  m.exportFunction(f);
  const { op, memory } = await run<{ op(...p: number[]): void; memory: WebAssembly.Memory }>(m);
  return (...operands) => {
    assert.equal(operands.length, arity);
    operands.forEach((v, k) => {
      assert.equal(v.byteLength, 16);
      new Uint8Array(memory.buffer, 16 * (k + 1), 16).set(
        new Uint8Array(v.buffer, v.byteOffset, 16),
      );
    });
    op(0, 16, 32, 48);
    return new Uint8Array(memory.buffer, 0, 16).slice().buffer;
  };
}

const i8 = (v: number[]) => new Int8Array(v);
const i16 = (v: number[]) => new Int16Array(v);
const i32 = (v: number[]) => new Int32Array(v);
const f32 = (v: number[]) => new Float32Array(v);

Deno.test("runs: v128 add, shuffle and i32x4.dot_i16x8_s", async () => {
  const add = await vectorOp(2, (f) => f.i32x4.add());
  const sum = add(i32([1, -2, 2 ** 31 - 1, 4]), i32([10, 20, 1, -4]));
  assert.deepEqual(Array.from(new Int32Array(sum)), [11, 18, -(2 ** 31), 0]);

  const zip = await vectorOp(2, (f) => f.i8x16.shuffle(shuffleLanes("i32x4", [0, 4, 1, 5])));
  assert.deepEqual(Array.from(new Int32Array(zip(i32([1, 2, 3, 4]), i32([5, 6, 7, 8])))), [
    1,
    5,
    2,
    6,
  ]);
  const splat = await vectorOp(2, (f) => f.i8x16.shuffle(splatLane("f32x4", 3)));
  const splatted = new Float32Array(splat(f32([1, 2, 3, 4.5]), f32([0, 0, 0, 0])));
  assert.deepEqual(Array.from(splatted), [4.5, 4.5, 4.5, 4.5]);

  const dot = await vectorOp(2, (f) => f.i32x4.dotI16x8S());
  const a = [1, 2, -32768, -32768, 300, -400, 7, 8];
  const b = [3, 4, -32768, -32768, 500, 600, -9, 10];
  const expected = [0, 1, 2, 3].map((k) => (a[2 * k] * b[2 * k] + a[2 * k + 1] * b[2 * k + 1]) | 0);
  assert.deepEqual(Array.from(new Int32Array(dot(i16(a), i16(b)))), expected);
});

Deno.test("runs: relaxed dot products in the deterministic domain (second operand 0..127)", async () => {
  const dot16 = await vectorOp(2, (f) => f.i16x8.relaxedDotI8x16I7x16S());
  const dot32 = await vectorOp(3, (f) => f.i32x4.relaxedDotI8x16I7x16AddS());
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
  for (let trial = 0; trial < 50; trial++) {
    const a = Array.from({ length: 16 }, () => (trial === 0 ? -128 : (rand() & 0xff) - 128));
    const b = Array.from({ length: 16 }, () => (trial === 0 ? 127 : rand() & 0x7f));
    const c = [rand() - 32768, 1 << 30, -5, 0];
    const pairs = [0, 1, 2, 3, 4, 5, 6, 7].map((k) =>
      a[2 * k] * b[2 * k] + a[2 * k + 1] * b[2 * k + 1]
    );
    assert.deepEqual(Array.from(new Int16Array(dot16(i8(a), i8(b)))), pairs);
    const quads = c.map((ck, k) => ck + pairs[2 * k] + pairs[2 * k + 1]);
    assert.deepEqual(Array.from(new Int32Array(dot32(i8(a), i8(b), i32(c)))), quads);
  }
});

Deno.test("runs: f32x4.nearest rounds ties to even; i32x4.trunc_sat_f32x4_s saturates", async () => {
  const nearest = await vectorOp(1, (f) => f.f32x4.nearest());
  const round = (v: number[]) => Array.from(new Float32Array(nearest(f32(v))));
  assert.deepEqual(round([0.5, 1.5, 2.5, -2.5]), [0, 2, 2, -2]);
  assert.deepEqual(round([-0.5, 3.5, -3.5, 8388609]), [-0, 4, -4, 8388609]);
  assert.ok(Object.is(round([-0.5, 0, 0, 0])[0], -0));
  const trunc = await vectorOp(1, (f) => f.i32x4.truncSatF32x4S());
  const sat = (v: number[]) => Array.from(new Int32Array(trunc(f32(v))));
  assert.deepEqual(sat([NaN, Infinity, -Infinity, 3e9]), [0, 2 ** 31 - 1, -(2 ** 31), 2 ** 31 - 1]);
  assert.deepEqual(sat([-3e9, -1.9, 1.9, -0]), [-(2 ** 31), -1, 1, 0]);
});
