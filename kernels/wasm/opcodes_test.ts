import assert from "node:assert/strict";
import initWabt from "wabt";
import { camelCase } from "./instruction_groups.ts";
import { ModuleBuilder } from "./module_builder.ts";
import { type InstructionInfo, type InstructionName, INSTRUCTIONS } from "./opcodes.ts";
import type { ValType } from "./types.ts";

const ENTRIES = Object.entries(INSTRUCTIONS) as [InstructionName, InstructionInfo][];
const SHUFFLE = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? i : 16 + i));

/** Non-default immediates for each instruction, and the same immediates in the text format. */
function sampleImmediates(info: InstructionInfo): { args: unknown[]; text: string } {
  const lane = (info.lanes ?? 1) - 1;
  switch (info.imm) {
    case "memarg":
      return { args: [{ offset: 3, align: 1 }], text: "offset=3 align=1" };
    case "lane":
      return { args: [lane], text: `${lane}` };
    case "memlane":
      return { args: [lane, { offset: 3, align: 1 }], text: `offset=3 align=1 ${lane}` };
    case "shuffle":
      return { args: [SHUFFLE], text: SHUFFLE.join(" ") };
    case "i32":
      return { args: [-123456], text: "-123456" };
    case "i64":
      return { args: [-(2n ** 40n)], text: `${-(2n ** 40n)}` };
    case "f32":
      return { args: [1.5], text: "1.5" };
    case "f64":
      return { args: [-2.25], text: "-2.25" };
    case "v128":
      return { args: ["i32x4", [1, -2, 3, 0xffffffff]], text: "i32x4 1 -2 3 0xffffffff" };
    default:
      return { args: [], text: "" };
  }
}

function pushZero(f: ReturnType<ModuleBuilder["function"]>, type: ValType): void {
  if (type === "i32") f.i32.const(0);
  else if (type === "i64") f.i64.const(0);
  else if (type === "f32") f.f32.const(0);
  else if (type === "f64") f.f64.const(0);
  else f.v128.const("i8x16", new Array(16).fill(0));
}

function codeSection(bytes: Uint8Array): number[] {
  let i = 8;
  const u32 = () => {
    let result = 0, shift = 0, b: number;
    do {
      b = bytes[i++];
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = u32();
    if (id === 10) return Array.from(bytes.subarray(i, i + size));
    i += size;
  }
  throw new Error("no code section");
}

Deno.test("opcode table: (prefix, code) pairs are unique", () => {
  const seen = new Map<string, string>();
  for (const [name, info] of ENTRIES) {
    const key = `${info.prefix ?? ""}:${info.code}`;
    assert.equal(seen.get(key), undefined, `${name} reuses the opcode of ${seen.get(key)}`);
    seen.set(key, name);
  }
  assert.equal(ENTRIES.length, 423);
});

Deno.test("opcode table: every instruction, emitted through its group method, validates in V8", () => {
  const failures: string[] = [];
  for (const [name, info] of ENTRIES) {
    const m = new ModuleBuilder().memory({ initial: 1 });
    const f = m.function("t", {});
    const results = info.results.map((t) => f.local(t));
    for (const t of info.params) pushZero(f, t);
    const [group, op] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
    const methods = (f as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[
      group
    ];
    assert.equal(typeof methods[camelCase(op)], "function", `f.${group}.${camelCase(op)} exists`);
    methods[camelCase(op)](...sampleImmediates(info).args);
    // Store each result in a local of the table's result type, so a wrong result type fails too.
    for (const local of results.reverse()) f.localSet(local);
    if (!WebAssembly.validate(m.toBytes())) failures.push(name);
  }
  assert.deepEqual(failures, []);
});

Deno.test("opcode table: every instruction encodes exactly as wabt assembles its text", async () => {
  const wabt = await initWabt();
  const features = {
    simd: true,
    relaxed_simd: true,
    bulk_memory: true,
    sat_float_to_int: true,
    sign_extension: true,
  };
  const mismatches: string[] = [];
  for (const [name, info] of ENTRIES) {
    const { args, text } = sampleImmediates(info);
    const drops = info.results.map(() => "drop").join(" ");
    const wat = `(module (memory 1) (func unreachable ${name} ${text} ${drops}))`;
    const parsed = wabt.parseWat("t.wat", wat, features);
    const expected = codeSection(parsed.toBinary({}).buffer);
    parsed.destroy();

    const m = new ModuleBuilder().memory({ initial: 1 });
    const f = m.function("t", {}).unreachable();
    f.op(name, ...(args as never as []));
    for (const _ of info.results) f.drop();
    const actual = codeSection(m.toBytes());
    if (actual.join() !== expected.join()) {
      mismatches.push(`${name}: ours ${actual.join(",")} wabt ${expected.join(",")}`);
    }
  }
  assert.deepEqual(mismatches, []);
});
