import assert from "node:assert/strict";
import { ModuleBuilder } from "./module_builder.ts";

function setup(name = "k", signature: Parameters<ModuleBuilder["function"]>[1] = {}) {
  const m = new ModuleBuilder().memory({ initial: 1 });
  return { m, f: m.function(name, signature) };
}

Deno.test("type checker: wrong operand types name function, instruction and types", () => {
  const { f } = setup("bad");
  f.i32.const(1).f32.const(2);
  assert.throws(() => f.i32.add(), {
    name: "TypeError",
    message: 'wasm function "bad", instruction #3 i32.add: ' +
      "expected [i32 i32] on top of the stack, found [i32 f32]",
  });
  const g = setup("vec").f;
  g.i32.const(0).i32.const(0);
  assert.throws(() => g.i32x4.add(), /i32x4\.add: expected \[v128 v128\] .* found \[i32 i32\]/);
  const h = setup("short").f;
  assert.throws(
    () => h.f32x4.relaxedMadd(),
    /found \[\] \(only 0 value\(s\) in the current block\)/,
  );
});

Deno.test("type checker: a rejected instruction writes nothing", () => {
  const { m, f } = setup("k", { results: ["i32"] });
  f.i32.const(7);
  assert.throws(() => f.f32.neg(), TypeError);
  assert.throws(() => f.i32x4.extractLane(9), RangeError);
  assert.equal(f.instructionCount, 3);
  const { m: clean, f: g } = setup("k", { results: ["i32"] });
  g.i32.const(7);
  assert.deepEqual(m.toBytes(), clean.toBytes());
});

Deno.test("type checker: lane indices are validated at emit time", () => {
  const { f } = setup();
  const v = f.local("v128");
  f.localGet(v);
  assert.throws(() => f.i32x4.extractLane(4), {
    name: "RangeError",
    message: /i32x4\.extract_lane: lane index 4 out of range 0\.\.3/,
  });
  assert.throws(() => f.i8x16.extractLaneU(-1), /out of range 0\.\.15/);
  assert.throws(() => f.i64x2.extractLane(1.5), RangeError);
  f.localGet(v);
  const lanes = Array.from({ length: 16 }, (_, i) => i);
  assert.throws(
    () => f.i8x16.shuffle([...lanes.slice(0, 15), 32]),
    /lane index 32 out of range 0\.\.31/,
  );
  assert.throws(() => f.i8x16.shuffle(lanes.slice(0, 15)), /needs 16 lane indices, got 15/);
  f.i8x16.shuffle(lanes.map((l) => l + 16)).drop();
  f.i32.const(0).localGet(v);
  assert.throws(() => f.v128.load16Lane(8), /out of range 0\.\.7/);
  f.v128.load16Lane(7).drop();
});

Deno.test("type checker: alignment and offsets are validated at emit time", () => {
  const { f } = setup();
  f.i32.const(0);
  assert.throws(() => f.v128.load({ align: 32 }), {
    name: "RangeError",
    message: /v128\.load: align 32 exceeds the natural alignment 16/,
  });
  assert.throws(() => f.i32.load8U({ align: 2 }), /exceeds the natural alignment 1/);
  assert.throws(() => f.v128.load({ align: 3 }), /align 3 is not a power of two/);
  assert.throws(() => f.v128.load32Splat({ offset: -4 }), /offset -4 out of range/);
  f.v128.load64Splat({ align: 4, offset: 2 ** 32 - 1 }).drop();
});

Deno.test("type checker: constants are range-checked", () => {
  const { f } = setup();
  assert.throws(() => f.i32.const(2 ** 32), RangeError);
  assert.throws(() => f.i32.const(0.5), RangeError);
  assert.throws(() => f.i64.const(2 ** 60), /bigint or a safe integer/);
  assert.throws(() => f.v128.const("i8x16", [256, ...new Array(15).fill(0)]), RangeError);
  assert.throws(() => f.v128.const("i32x4", [1, 2, 3]), /needs 4 lanes, got 3/);
  f.i32.const(0xffff_ffff).i64.const(2n ** 64n - 1n).drop().drop();
});

Deno.test("type checker: unbalanced blocks and values left at the end", () => {
  let { f } = setup("blk");
  assert.throws(() => f.block(() => void f.i32.const(1)), {
    name: "TypeError",
    message: 'wasm function "blk", instruction #3 end: ' +
      "end of the block opened at #1: expected the stack to be [], found [i32]",
  });
  f = setup().f;
  assert.throws(() => f.block("f32", () => {}), /expected the stack to be \[f32\], found \[\]/);
  f = setup().f;
  f.i32.const(1);
  assert.throws(() => f.if("i32", () => void f.i32.const(2)), /an if without else must leave/);

  const left = setup("left");
  left.f.i32.const(1).f32.const(2);
  assert.throws(() => left.m.toBytes(), {
    name: "TypeError",
    message: 'wasm function "left", end of function: ' +
      "values left on the stack: expected the stack to be [], found [i32 f32]",
  });
  const missing = setup("missing", { results: ["v128"] });
  assert.throws(() => missing.m.toBytes(), /expected the stack to be \[v128\], found \[\]/);
  const open = setup("open");
  open.f.loop(() => {
    assert.throws(
      () => open.m.toBytes(),
      /unbalanced control: 1 block\(s\) still open \(loop #1\)/,
    );
  });
  open.m.toBytes();
});

Deno.test("labels: handles, depths and scope", () => {
  const { m, f } = setup("lbl", { params: ["i32"], results: ["i32"] });
  const [n] = f.params;
  let stale: unknown;
  f.block("i32", (done) => {
    stale = done;
    f.loop((again) => {
      assert.equal(again.kind, "loop");
      f.localGet(n).i32.eqz().if(() => {
        f.i32.const(42).br(done);
      });
      f.localGet(n).i32.const(1).i32.sub().localSet(n);
      f.br(0);
    });
    f.unreachable();
  });
  assert.throws(() => f.br(stale as never), /label of a block is not in scope/);
  assert.throws(() => f.br(1), /branch depth 1 out of range 0\.\.0/);
  assert.throws(() => f.br(undefined as never), /branch target must be a label or a depth/);
  assert.ok(WebAssembly.validate(m.toBytes()));
  const other = m.function("other", {});
  assert.throws(() => other.block((l) => f.br(l)), /not in scope/);
});

Deno.test("locals, globals, calls and select are checked", () => {
  const { m, f } = setup("loc");
  const acc = f.local("v128", "acc");
  f.i32.const(1);
  assert.throws(
    () => f.localSet(acc),
    /local\.set \$acc: expected \[v128\] on top of the stack, found \[i32\]/,
  );
  const foreign = m.function("g", { params: ["i32"] }).params[0];
  assert.throws(
    () => f.localGet(foreign),
    /local\.get 0: the local does not belong to this function/,
  );
  assert.throws(() => f.localGet(f.params[3]), /local\.get undefined: the local does not belong/);
  assert.throws(
    () => f.op("i32.frobnicate" as "i32.add"),
    /#\d+ i32\.frobnicate: unknown instruction/,
  );
  const frozen = m.global("i32", { init: 3, name: "k" });
  assert.throws(() => f.globalSet(frozen), /global\.set \$k: the global is immutable/);
  assert.throws(
    () => f.globalGet(undefined as never),
    /global\.get undefined: the global does not/,
  );
  assert.throws(
    () => f.call(undefined as never),
    /call \$undefined: the callee belongs to another/,
  );
  const callee = m.function("callee", { params: ["i32", "f64"], results: ["i64"] });
  callee.i64.const(0);
  assert.throws(() => f.call(callee), /call \$callee: expected \[i32 f64\] .* found \[i32\]/);
  f.f64.const(1).call(callee).drop();
  assert.throws(() => f.call(new ModuleBuilder().function("x", {})), /another module/);
  f.i32.const(1).f32.const(2).i32.const(0);
  assert.throws(() => f.select(), /two operands of one type .* found \[i32 f32\]/);
  const nomem = new ModuleBuilder().function("nomem", {});
  nomem.i32.const(0);
  assert.throws(() => nomem.v128.load(), /the module has no memory/);
});

Deno.test("unreachable code is stack-polymorphic, as in the spec", () => {
  const { m, f } = setup("poly", { results: ["v128"] });
  f.block((l) => {
    f.br(l).i32x4.add().i8x16.shuffle(new Array(16).fill(0)).drop();
  });
  f.unreachable().f32x4.relaxedMadd();
  assert.ok(WebAssembly.validate(m.toBytes()));
});

Deno.test("br_table checks target arities; multi-value blocks take params", async () => {
  const { m, f } = setup("tbl", { params: ["i32"], results: ["i32"] });
  f.block("i32", (a) => {
    f.block((b) => {
      f.i32.const(7).localGet(f.params[0]);
      assert.throws(() => f.brTable([a], b), /target depth 1 carries \[i32\], the default \[\]/);
      f.brTable([a, a], a);
    });
    f.i32.const(0);
  });
  f.i32.const(10).block({ params: ["i32", "i32"], results: ["i32"] }, () => void f.i32.add());
  m.exportFunction(f);
  const { tbl } = (await m.instantiate()).exports as { tbl(i: number): number };
  assert.equal(tbl(0), 17);
  assert.equal(tbl(5), 17);
});
