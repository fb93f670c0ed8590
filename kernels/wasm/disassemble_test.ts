import assert from "node:assert/strict";
import { disassemble } from "./disassemble.ts";
import { ModuleBuilder } from "./module_builder.ts";

Deno.test("disassemble: names from the name section, SIMD and relaxed SIMD text", async () => {
  const m = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = m.function("kernel", { params: ["i32"], paramNames: ["ptr"], results: ["v128"] });
  const acc = f.local("v128", "acc");
  f.localGet(f.params[0]).v128.load({ offset: 16 }).localGet(acc).localGet(acc)
    .i32x4.relaxedDotI8x16I7x16AddS();
  m.exportFunction(f);
  const text = await disassemble(m.toBytes());
  assert.match(text, /\(import "env" "memory" \(memory \$[\w.]+ 1\)\)/);
  assert.match(text, /\(func \$kernel \(type \$\w+\) \(param \$ptr i32\) \(result v128\)/);
  assert.match(text, /\(local \$acc v128\)/);
  assert.match(text, /v128\.load offset=16\s+local\.get \$acc\s+local\.get \$acc\s+/);
  assert.match(text, /i32x4\.relaxed_dot_i8x16_i7x16_add_s/);
  assert.match(await disassemble(m.toBytes(), { foldExprs: true }), /\(i32x4\.relaxed_dot/);
  await assert.rejects(() => disassemble(new Uint8Array([0, 1, 2])));
});
