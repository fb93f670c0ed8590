/**
 * The typed instruction namespaces of the function builder (`f.i32.add()`,
 * `f.i32x4.dotI16x8S()`, `f.v128.load32Splat()` …), derived from the opcode table: the group is
 * the part of the text name before the dot, the method is the rest in camelCase
 * (`i16x8.extadd_pairwise_i8x16_s` → `f.i16x8.extaddPairwiseI8x16S()`).
 *
 * @module
 */

import { type InstructionName, INSTRUCTIONS } from "./opcodes.ts";
import type { MemArg, V128Shape } from "./types.ts";

/** Converts `snake_case` to `camelCase`: `extadd_pairwise_i8x16_s` → `extaddPairwiseI8x16S`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** The immediate arguments a method takes, by the instruction's immediate kind. */
export interface ImmediateArgs {
  /** No immediates. */
  none: [];
  /** Optional memory immediate (natural alignment, offset 0 by default). */
  memarg: [memory?: MemArg];
  /** A lane index. */
  lane: [lane: number];
  /** A lane index, then an optional memory immediate. */
  memlane: [lane: number, memory?: MemArg];
  /** The 16 byte-lane indices (0–15 pick from the first operand, 16–31 from the second). */
  shuffle: [lanes: readonly number[]];
  /** An i32 constant; −2^31 ≤ value ≤ 2^32 − 1 (values ≥ 2^31 are taken as unsigned bits). */
  i32: [value: number];
  /** An i64 constant; −2^63 ≤ value ≤ 2^64 − 1 (numbers must be safe integers). */
  i64: [value: bigint | number];
  /** An f32 constant (rounded to binary32). */
  f32: [value: number];
  /** An f64 constant. */
  f64: [value: number];
  /** A v128 constant: the lane shape and its lane values, as `v128.const i32x4 1 2 3 4`. */
  v128: [shape: V128Shape, lanes: ArrayLike<number | bigint>];
  /** Memory index 0, implicit. */
  memory: [];
  /** Memory indices 0 and 0, implicit. */
  memory2: [];
}

/** The immediate arguments of instruction `K` (e.g. `[lane: number]` for `i32x4.extract_lane`). */
export type InstructionArgs<K extends InstructionName> =
  ImmediateArgs[(typeof INSTRUCTIONS)[K]["imm"]];

/** The instruction groups: `i32`, `i64`, `f32`, `f64`, `v128`, `i8x16` … `f64x2`, `memory`. */
export type GroupName = InstructionName extends infer N
  ? N extends `${infer G}.${string}` ? G : never
  : never;

/** The methods of one group; each emits its instruction and returns `R` (the builder). */
export type InstructionGroup<G extends GroupName, R> = {
  readonly [K in InstructionName as K extends `${G}.${infer Op}` ? CamelCase<Op> : never]: (
    ...args: InstructionArgs<K>
  ) => R;
};

/** All groups, keyed by group name. */
export type InstructionGroups<R> = { readonly [G in GroupName]: InstructionGroup<G, R> };

/** The runtime counterpart of {@link CamelCase}. */
export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type Emit = (name: InstructionName, args: unknown[]) => unknown;

const EMIT = Symbol("emit");

let prototypes: Record<string, object> | undefined;

/** One prototype per group, built once: each method forwards to the object's emit function. */
function groupPrototypes(): Record<string, object> {
  if (prototypes !== undefined) return prototypes;
  const protos: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(INSTRUCTIONS) as InstructionName[]) {
    const dot = name.indexOf(".");
    const proto = (protos[name.slice(0, dot)] ??= {});
    const method = `${name.slice(0, dot)}.${camelCase(name.slice(dot + 1))}`;
    proto[camelCase(name.slice(dot + 1))] = function (this: { [EMIT]?: Emit }, ...args: unknown[]) {
      const emit = this?.[EMIT];
      if (emit === undefined) throw new TypeError(`${name}: call it on its group, f.${method}()`);
      return emit(name, args);
    };
  }
  for (const proto of Object.values(protos)) Object.freeze(proto);
  return prototypes = protos;
}

/**
 * Builds the group objects; every method calls `emit` with the instruction's text name and the
 * method's arguments. (Methods use `this`: call them on their group, `f.i32.add()`.)
 */
export function createInstructionGroups<R>(
  emit: (name: InstructionName, args: unknown[]) => R,
): InstructionGroups<R> {
  const groups: Record<string, object> = {};
  for (const [group, proto] of Object.entries(groupPrototypes())) {
    groups[group] = Object.freeze(Object.create(proto, { [EMIT]: { value: emit } }));
  }
  return groups as InstructionGroups<R>;
}
