/**
 * The function builder: emits one function body instruction by instruction, in wasm's own
 * vocabulary, type-checking the operand stack as it goes.
 *
 * @module
 */

import { ByteWriter } from "./encoding.ts";
import { encodeImmediates } from "./immediates.ts";
import {
  createInstructionGroups,
  type InstructionArgs,
  type InstructionGroup,
} from "./instruction_groups.ts";
import { CONTROL, type InstructionInfo, type InstructionName, INSTRUCTIONS } from "./opcodes.ts";
import { OperandStackChecker } from "./operand_stack.ts";
import {
  blockSignature,
  type BlockType,
  type FuncType,
  type ValType,
  valTypeCode,
} from "./types.ts";

/** A local variable (or parameter) of one function; carries its type. */
export interface Local {
  /** Local index (parameters first, then declared locals in declaration order). */
  readonly index: number;
  /** Value type. */
  readonly type: ValType;
  /** Optional name, used in error messages and the name section. */
  readonly name?: string;
}

/** A global variable of one module. */
export interface Global {
  /** Global index. */
  readonly index: number;
  /** Value type. */
  readonly type: ValType;
  /** Whether `global.set` is allowed. */
  readonly mutable: boolean;
  /** Optional name, used in error messages. */
  readonly name?: string;
}

/**
 * The target of `br`/`br_if`/`br_table`, handed to the body of `block`, `loop` and `if`. A
 * branch to a block or an if jumps past its end; a branch to a loop jumps back to its start.
 */
export interface Label {
  /** The construct the label belongs to. */
  readonly kind: "block" | "loop" | "if";
}

/** A body of a structured instruction; receives the construct's label. */
export type BlockBody = (label: Label) => void;

/** What a function builder needs from its module. */
export interface FunctionContext {
  /** Index of the function type `signature` in the module's type section (deduplicated). */
  typeIndex(signature: FuncType): number;
  /** Whether the module has a memory (imported or own). */
  hasMemory(): boolean;
  /** Whether `global` belongs to the module. */
  ownsGlobal(global: Global): boolean;
  /** Whether `fn` belongs to the module. */
  ownsFunction(fn: FunctionBuilder): boolean;
  /** Called once at construction with the function's body encoder. */
  registerBody(encodeBody: () => ByteWriter): void;
  /** The module's instruction rewrite, if any (see `InstructionRewrite`). */
  readonly rewrite?: InstructionRewrite;
}

/** Where an instruction is emitted: its function, its name and how many came before it. */
export interface InstructionSite {
  /** The function's name. */
  readonly fn: string;
  /** The instruction's text-format name (`f32x4.nearest`). */
  readonly instruction: InstructionName;
  /** How many instructions of this name the function emitted before this one. */
  readonly ordinal: number;
}

/**
 * Replaces an instruction as it is emitted: returns another instruction with the same
 * immediates (the operand-stack check still applies), or undefined to keep it. Tests use it to
 * plant realistic slips in generated kernels (mutation testing) without any planted-bug code in
 * the generators.
 */
export type InstructionRewrite = (site: InstructionSite) => InstructionName | undefined;

const MEMORY_KINDS = new Set(["memarg", "memlane", "memory", "memory2"]);

const OPCODE_BYTES = new Map<string, Uint8Array>();
function opcodeBytes(name: string, info: InstructionInfo): Uint8Array {
  let bytes = OPCODE_BYTES.get(name);
  if (bytes === undefined) {
    const out = new ByteWriter();
    if (info.prefix === undefined) out.byte(info.code);
    else out.byte(info.prefix).u32(info.code);
    bytes = out.toBytes();
    OPCODE_BYTES.set(name, bytes);
  }
  return bytes;
}

/**
 * Builds one function body. Created by `ModuleBuilder.function()`. Every emitting method
 * type-checks its operands against the stack at once and returns the builder, so code chains:
 * `f.localGet(a).localGet(b).i32.add()`. Errors name the function, the instruction number and
 * name, and the expected and actual types.
 */
export class FunctionBuilder {
  /** Function name (export name by default; in the name section and in errors). */
  readonly name: string;
  /** Function index in the module. */
  readonly index: number;
  /** The signature. */
  readonly signature: FuncType;
  /** The parameters, as locals 0 … n−1. */
  readonly params: readonly Local[];

  /** i32 instructions: `f.i32.const(1)`, `f.i32.add()`, `f.i32.load({ offset: 4 })` … */
  readonly i32: InstructionGroup<"i32", this>;
  /** i64 instructions: `f.i64.const(1n)`, `f.i64.extendI32U()` … */
  readonly i64: InstructionGroup<"i64", this>;
  /** f32 instructions: `f.f32.const(0.5)`, `f.f32.convertI32S()` … */
  readonly f32: InstructionGroup<"f32", this>;
  /** f64 instructions: `f.f64.promoteF32()` … */
  readonly f64: InstructionGroup<"f64", this>;
  /** v128 instructions: `f.v128.load()`, `f.v128.load32Splat()`, `f.v128.const("i32x4", […])` … */
  readonly v128: InstructionGroup<"v128", this>;
  /** i8x16 instructions: `f.i8x16.shuffle([…])`, `f.i8x16.relaxedSwizzle()` … */
  readonly i8x16: InstructionGroup<"i8x16", this>;
  /** i16x8 instructions: `f.i16x8.extaddPairwiseI8x16S()`, `f.i16x8.relaxedDotI8x16I7x16S()` … */
  readonly i16x8: InstructionGroup<"i16x8", this>;
  /** i32x4 instructions: `f.i32x4.dotI16x8S()`, `f.i32x4.relaxedDotI8x16I7x16AddS()` … */
  readonly i32x4: InstructionGroup<"i32x4", this>;
  /** i64x2 instructions. */
  readonly i64x2: InstructionGroup<"i64x2", this>;
  /** f32x4 instructions: `f.f32x4.relaxedMadd()`, `f.f32x4.convertI32x4S()` … */
  readonly f32x4: InstructionGroup<"f32x4", this>;
  /** f64x2 instructions. */
  readonly f64x2: InstructionGroup<"f64x2", this>;
  /** memory instructions: `f.memory.size()`, `f.memory.grow()`, `f.memory.copy()`, `f.memory.fill()`. */
  readonly memory: InstructionGroup<"memory", this>;

  readonly #context: FunctionContext;
  readonly #locals: Local[] = [];
  readonly #code = new ByteWriter();
  readonly #checker: OperandStackChecker;
  readonly #emitted = new Map<string, number>();

  /** Use `ModuleBuilder.function()`; this is called by it. */
  constructor(
    name: string,
    options: {
      index: number;
      signature: FuncType;
      paramNames?: readonly string[];
      context: FunctionContext;
    },
  ) {
    this.name = name;
    this.index = options.index;
    this.signature = {
      params: [...options.signature.params],
      results: [...options.signature.results],
    };
    for (const t of [...this.signature.params, ...this.signature.results]) valTypeCode(t);
    this.#context = options.context;
    this.#checker = new OperandStackChecker(name, this.signature);
    this.params = this.signature.params.map((type, index) =>
      this.#addLocal(type, options.paramNames?.[index], index)
    );
    const groups = createInstructionGroups((instr, args) => this.#emit(instr, args));
    this.i32 = groups.i32;
    this.i64 = groups.i64;
    this.f32 = groups.f32;
    this.f64 = groups.f64;
    this.v128 = groups.v128;
    this.i8x16 = groups.i8x16;
    this.i16x8 = groups.i16x8;
    this.i32x4 = groups.i32x4;
    this.i64x2 = groups.i64x2;
    this.f32x4 = groups.f32x4;
    this.f64x2 = groups.f64x2;
    this.memory = groups.memory;
    this.#context.registerBody(() => this.#encodeBody());
  }

  /** All locals, parameters first. */
  get locals(): readonly Local[] {
    return this.#locals;
  }

  /** Number of instructions emitted so far. */
  get instructionCount(): number {
    return this.#checker.instructionCount;
  }

  #addLocal(type: ValType, name: string | undefined, index: number): Local {
    valTypeCode(type);
    const local: Local = Object.freeze(
      name === undefined ? { index, type } : { index, type, name },
    );
    this.#locals.push(local);
    return local;
  }

  /** Declares a new local of `type` (zero-initialised) and returns its handle. */
  local(type: ValType, name?: string): Local {
    return this.#addLocal(type, name, this.#locals.length);
  }

  /**
   * Emits the instruction named `name` (its text-format name) with its immediates: the generic
   * form of the group methods, e.g. `f.op("i32x4.add")`, `f.op("v128.load", { offset: 16 })`.
   */
  op<K extends InstructionName>(name: K, ...args: InstructionArgs<K>): this {
    return this.#emit(name, args);
  }

  #emit(emitted: InstructionName, args: readonly unknown[]): this {
    let name = emitted;
    const rewrite = this.#context.rewrite;
    if (rewrite !== undefined) {
      const ordinal = this.#emitted.get(emitted) ?? 0;
      this.#emitted.set(emitted, ordinal + 1);
      name = rewrite({ fn: this.name, instruction: emitted, ordinal }) ?? emitted;
    }
    const checker = this.#checker;
    checker.begin(name);
    const info: InstructionInfo | undefined = INSTRUCTIONS[name];
    if (info === undefined) checker.fail("unknown instruction");
    if (MEMORY_KINDS.has(info.imm) && !this.#context.hasMemory()) {
      checker.fail("the module has no memory; call importMemory() or memory() first", Error);
    }
    const immediates = info.imm === "none"
      ? undefined
      : encodeImmediates(info, args, (m, kind) => checker.fail(m, kind));
    checker.pop(info.params);
    checker.push(info.results);
    this.#code.bytes(opcodeBytes(name, info));
    if (immediates !== undefined) this.#code.append(immediates);
    return this;
  }

  #describe(local: Local | undefined): string {
    return local?.name === undefined ? String(local?.index) : `$${local.name}`;
  }

  #ownLocal(local: Local): void {
    if (local === undefined || this.#locals[local.index] !== local) {
      this.#checker.fail("the local does not belong to this function", Error);
    }
  }

  /** `local.get`: pushes the local's value. */
  localGet(local: Local): this {
    this.#checker.begin(`local.get ${this.#describe(local)}`);
    this.#ownLocal(local);
    this.#checker.push([local.type]);
    this.#code.byte(CONTROL.localGet).u32(local.index);
    return this;
  }

  /** `local.set`: pops a value of the local's type into it. */
  localSet(local: Local): this {
    this.#checker.begin(`local.set ${this.#describe(local)}`);
    this.#ownLocal(local);
    this.#checker.pop([local.type]);
    this.#code.byte(CONTROL.localSet).u32(local.index);
    return this;
  }

  /** `local.tee`: stores the top value into the local and keeps it on the stack. */
  localTee(local: Local): this {
    this.#checker.begin(`local.tee ${this.#describe(local)}`);
    this.#ownLocal(local);
    this.#checker.pop([local.type]);
    this.#checker.push([local.type]);
    this.#code.byte(CONTROL.localTee).u32(local.index);
    return this;
  }

  #ownGlobal(global: Global, instruction: string): void {
    this.#checker.begin(
      `${instruction} ${global?.name === undefined ? global?.index : `$${global.name}`}`,
    );
    if (!this.#context.ownsGlobal(global)) {
      this.#checker.fail("the global does not belong to this module", Error);
    }
  }

  /** `global.get`: pushes the global's value. */
  globalGet(global: Global): this {
    this.#ownGlobal(global, "global.get");
    this.#checker.push([global.type]);
    this.#code.byte(CONTROL.globalGet).u32(global.index);
    return this;
  }

  /** `global.set`: pops a value into a mutable global. */
  globalSet(global: Global): this {
    this.#ownGlobal(global, "global.set");
    if (!global.mutable) this.#checker.fail("the global is immutable", Error);
    this.#checker.pop([global.type]);
    this.#code.byte(CONTROL.globalSet).u32(global.index);
    return this;
  }

  /** `call`: pops the callee's parameters and pushes its results. */
  call(callee: FunctionBuilder): this {
    this.#checker.begin(`call $${callee?.name}`);
    if (!this.#context.ownsFunction(callee)) {
      this.#checker.fail("the callee belongs to another module", Error);
    }
    this.#checker.pop(callee.signature.params);
    this.#checker.push(callee.signature.results);
    this.#code.byte(CONTROL.call).u32(callee.index);
    return this;
  }

  /** `nop`. */
  nop(): this {
    this.#checker.begin("nop");
    this.#code.byte(CONTROL.nop);
    return this;
  }

  /** `unreachable`: traps; the rest of the block is unreachable (stack-polymorphic). */
  unreachable(): this {
    this.#checker.begin("unreachable");
    this.#checker.markUnreachable();
    this.#code.byte(CONTROL.unreachable);
    return this;
  }

  /** `drop`: pops one value of any type. */
  drop(): this {
    this.#checker.begin("drop");
    this.#checker.popAny();
    this.#code.byte(CONTROL.drop);
    return this;
  }

  /** `select`: pops `a b cond` (both of one type) and pushes `cond ? a : b`. */
  select(): this {
    const checker = this.#checker;
    checker.begin("select");
    checker.pop(["i32"]);
    const b = checker.popAny();
    const a = checker.popAny();
    if (a !== "unknown" && b !== "unknown" && a !== b) {
      checker.fail(`expected two operands of one type before the i32 condition, found [${a} ${b}]`);
    }
    checker.push([a === "unknown" ? b : a]);
    this.#code.byte(CONTROL.select);
    return this;
  }

  /** `return`: pops the function's results and leaves; the rest of the block is unreachable. */
  return(): this {
    this.#checker.begin("return");
    this.#checker.pop(this.signature.results);
    this.#checker.markUnreachable();
    this.#code.byte(CONTROL.return);
    return this;
  }

  #depth(target: Label | number): number {
    if (typeof target === "number") {
      this.#checker.labelTypes(target);
      return target;
    }
    if (typeof target !== "object" || target === null) {
      this.#checker.fail(`branch target must be a label or a depth, got ${String(target)}`);
    }
    const depth = this.#checker.depthOf(target);
    if (depth < 0) {
      this.#checker.fail(
        `label of a ${target?.kind} is not in scope (its block has ended, or it is another function's)`,
        Error,
      );
    }
    return depth;
  }

  /** `br`: branches to `target` (a label, or a relative depth, 0 = innermost). */
  br(target: Label | number): this {
    this.#checker.begin("br");
    const depth = this.#depth(target);
    this.#checker.pop(this.#checker.labelTypes(depth));
    this.#checker.markUnreachable();
    this.#code.byte(CONTROL.br).u32(depth);
    return this;
  }

  /** `br_if`: pops an i32 condition and branches to `target` when it is non-zero. */
  brIf(target: Label | number): this {
    this.#checker.begin("br_if");
    const depth = this.#depth(target);
    this.#checker.pop(["i32"]);
    const types = this.#checker.labelTypes(depth);
    this.#checker.pop(types);
    this.#checker.push(types);
    this.#code.byte(CONTROL.brIf).u32(depth);
    return this;
  }

  /** `br_table`: pops an i32 index and branches to `targets[index]`, else to `defaultTarget`. */
  brTable(targets: readonly (Label | number)[], defaultTarget: Label | number): this {
    const checker = this.#checker;
    checker.begin("br_table");
    const depths = targets.map((t) => this.#depth(t));
    const defaultDepth = this.#depth(defaultTarget);
    checker.pop(["i32"]);
    const types = checker.labelTypes(defaultDepth);
    for (const depth of depths) {
      const t = checker.labelTypes(depth);
      if (t.length !== types.length) {
        checker.fail(
          `target depth ${depth} carries [${t.join(" ")}], the default [${types.join(" ")}]`,
        );
      }
      checker.pop(t);
      checker.push(t);
    }
    checker.pop(types);
    checker.markUnreachable();
    this.#code.byte(CONTROL.brTable).vector(depths, (w, d) => w.u32(d)).u32(defaultDepth);
    return this;
  }

  #blockType(
    type: BlockType | undefined,
  ): { signature: FuncType; encode: (w: ByteWriter) => void } {
    const signature = blockSignature(type);
    const { params, results } = signature;
    if (params.length === 0 && results.length === 0) {
      return {
        signature,
        encode: (w) => w.byte(0x40),
      };
    }
    if (params.length === 0 && results.length === 1) {
      return { signature, encode: (w) => w.byte(valTypeCode(results[0])) };
    }
    const index = this.#context.typeIndex(signature);
    return { signature, encode: (w) => w.s32(index) };
  }

  #structured(
    kind: "block" | "loop" | "if",
    type: BlockType | undefined,
    body: BlockBody,
    otherwise?: BlockBody,
  ): this {
    const checker = this.#checker;
    checker.begin(kind);
    if (typeof body !== "function") checker.fail(`needs a body function, got ${typeof body}`);
    const { signature, encode } = this.#blockType(type);
    if (kind === "if") checker.pop(["i32"]);
    const label: Label = Object.freeze({ kind });
    checker.enter(kind, signature, label);
    encode(this.#code.byte(CONTROL[kind]));
    body(label);
    if (otherwise !== undefined) {
      checker.begin("else");
      checker.enterElse();
      this.#code.byte(CONTROL.else);
      otherwise(label);
    }
    checker.begin("end");
    checker.exit();
    this.#code.byte(CONTROL.end);
    return this;
  }

  /**
   * `block … end`. `f.block((exit) => { …; f.brIf(exit); … })`, or with a type:
   * `f.block("i32", (exit) => { … })`. A branch to the label exits the block.
   */
  block(body: BlockBody): this;
  /** `block (type) … end`: a block with a result type or a full `{ params, results }` signature. */
  block(type: BlockType, body: BlockBody): this;
  block(a: BlockType | BlockBody, b?: BlockBody): this {
    return typeof a === "function"
      ? this.#structured("block", undefined, a)
      : this.#structured("block", a, b!);
  }

  /**
   * `loop … end`. `f.loop((top) => { …; f.brIf(top); })`: a branch to the label restarts the
   * loop; falling off the end leaves it.
   */
  loop(body: BlockBody): this;
  /** `loop (type) … end`. */
  loop(type: BlockType, body: BlockBody): this;
  loop(a: BlockType | BlockBody, b?: BlockBody): this {
    return typeof a === "function"
      ? this.#structured("loop", undefined, a)
      : this.#structured("loop", a, b!);
  }

  /** `if … else … end`: pops an i32 condition; runs `then` if non-zero, else `otherwise`. */
  if(then: BlockBody, otherwise?: BlockBody): this;
  /** `if (type) … else … end`: an if with a result type (then both arms are needed). */
  if(type: BlockType, then: BlockBody, otherwise?: BlockBody): this;
  if(a: BlockType | BlockBody, b?: BlockBody, c?: BlockBody): this {
    return typeof a === "function"
      ? this.#structured("if", undefined, a, b)
      : this.#structured("if", a, b!, c);
  }

  #encodeBody(): ByteWriter {
    this.#checker.checkFunctionEnd();
    const out = new ByteWriter();
    const declared = this.#locals.slice(this.params.length);
    const runs: { count: number; type: ValType }[] = [];
    for (const local of declared) {
      const last = runs[runs.length - 1];
      if (last?.type === local.type) last.count++;
      else runs.push({ count: 1, type: local.type });
    }
    out.vector(runs, (w, run) => w.u32(run.count).byte(valTypeCode(run.type)));
    out.append(this.#code).byte(CONTROL.end);
    return out;
  }
}
