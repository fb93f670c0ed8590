/**
 * A small typed WebAssembly binary assembler: build modules in TypeScript with wasm's own
 * instruction names, type-checked at emit time, including all of SIMD128 and relaxed SIMD.
 *
 * ```ts
 * import { ModuleBuilder } from "./mod.ts";
 *
 * const m = new ModuleBuilder();
 * const f = m.function("add", { params: ["i32", "i32"], results: ["i32"] });
 * const [a, b] = f.params;
 * f.localGet(a).localGet(b).i32.add();
 * m.exportFunction(f);
 * const { add } = (await m.instantiate()).exports as { add(a: number, b: number): number };
 * ```
 *
 * @module
 */

export { ByteWriter } from "./encoding.ts";
export {
  type BlockBody,
  FunctionBuilder,
  type Global,
  type InstructionRewrite,
  type InstructionSite,
  type Label,
  type Local,
} from "./function_builder.ts";
export type {
  CamelCase,
  GroupName,
  ImmediateArgs,
  InstructionArgs,
  InstructionGroup,
} from "./instruction_groups.ts";
export { type FunctionSignature, type GlobalOptions, ModuleBuilder } from "./module_builder.ts";
export {
  CONTROL,
  type ImmediateKind,
  type InstructionInfo,
  type InstructionName,
  INSTRUCTIONS,
} from "./opcodes.ts";
export { type LaneShape, shuffleLanes, splatLane } from "./shuffles.ts";
export type { BlockType, FuncType, MemArg, MemoryLimits, V128Shape, ValType } from "./types.ts";
