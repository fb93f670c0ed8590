import assert from "node:assert/strict";
import {
  type CamelCase,
  camelCase,
  createInstructionGroups,
  type InstructionGroup,
} from "./instruction_groups.ts";
import { INSTRUCTIONS } from "./opcodes.ts";

Deno.test("camelCase matches the brief's method names", () => {
  const cases: [string, string][] = [
    ["extadd_pairwise_i8x16_s", "extaddPairwiseI8x16S"],
    ["relaxed_dot_i8x16_i7x16_add_s", "relaxedDotI8x16I7x16AddS"],
    ["dot_i16x8_s", "dotI16x8S"],
    ["trunc_sat_f32x4_s", "truncSatF32x4S"],
    ["load32_splat", "load32Splat"],
    ["trunc_sat_f64x2_s_zero", "truncSatF64x2SZero"],
    ["add", "add"],
  ];
  for (const [snake, camel] of cases) assert.equal(camelCase(snake), camel);
  // The type-level conversion agrees (checked by deno check).
  const typed: CamelCase<"relaxed_dot_i8x16_i7x16_add_s"> = "relaxedDotI8x16I7x16AddS";
  assert.equal(typed, camelCase("relaxed_dot_i8x16_i7x16_add_s"));
});

Deno.test("groups: every instruction has a method that forwards its name and arguments", () => {
  const calls: [string, unknown[]][] = [];
  const groups = createInstructionGroups((name, args) => calls.push([name, args]));
  const names = Object.keys(INSTRUCTIONS);
  for (const name of names) {
    const [group, op] = name.split(".");
    (groups as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[group][
      camelCase(op)
    ](1, 2);
  }
  assert.deepEqual(calls.map(([n]) => n), names);
  assert.deepEqual(calls[0][1], [1, 2]);
  assert.deepEqual(Object.keys(groups).sort(), [
    "f32",
    "f32x4",
    "f64",
    "f64x2",
    "i16x8",
    "i32",
    "i32x4",
    "i64",
    "i64x2",
    "i8x16",
    "memory",
    "v128",
  ]);
  const dot: InstructionGroup<"i32x4", number>["dotI16x8S"] = groups.i32x4.dotI16x8S;
  assert.equal(typeof dot, "function");
  assert.throws(() => dot(), /i32x4\.dot_i16x8_s: call it on its group, f\.i32x4\.dotI16x8S\(\)/);
  assert.ok(Object.isFrozen(groups.i32));
});
