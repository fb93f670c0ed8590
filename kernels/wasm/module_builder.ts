/**
 * The module builder: types, an imported or own memory, globals, functions and exports,
 * serialised to a WebAssembly binary module.
 *
 * @module
 */

import { ByteWriter } from "./encoding.ts";
import { FunctionBuilder, type Global, type InstructionRewrite } from "./function_builder.ts";
import { v128Bytes } from "./immediates.ts";
import { type FuncType, type MemoryLimits, type ValType, valTypeCode } from "./types.ts";

/** Options of {@link ModuleBuilder.global}. */
export interface GlobalOptions {
  /** Whether `global.set` is allowed (default false). */
  readonly mutable?: boolean;
  /**
   * Initial value (default 0): a number for i32/f32/f64, a bigint or safe integer for i64, and
   * 16 bytes for v128.
   */
  readonly init?: number | bigint | ArrayLike<number>;
  /** Name, for error messages. */
  readonly name?: string;
}

/** The signature of {@link ModuleBuilder.function}. */
export interface FunctionSignature {
  /** Parameter types (default none). */
  readonly params?: readonly ValType[];
  /** Result types (default none). */
  readonly results?: readonly ValType[];
  /** Parameter names, one per parameter (optional). */
  readonly paramNames?: readonly string[];
}

interface MemoryDecl {
  readonly limits: MemoryLimits;
  readonly import?: { readonly module: string; readonly name: string };
}

interface Export {
  readonly name: string;
  readonly kind: number;
  readonly index: number;
}

const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  memory: 5,
  global: 6,
  export: 7,
  code: 10,
};
const EXTERN = { func: 0x00, memory: 0x02, global: 0x03 };
const MAX_PAGES = 65536;

function checkLimits(limits: MemoryLimits): void {
  const { initial, maximum, shared } = limits ?? {};
  if (!Number.isInteger(initial) || initial < 0 || initial > MAX_PAGES) {
    throw new RangeError(`memory initial ${initial} out of range 0..${MAX_PAGES} pages`);
  }
  if (
    maximum !== undefined &&
    (!Number.isInteger(maximum) || maximum < initial || maximum > MAX_PAGES)
  ) {
    throw new RangeError(`memory maximum ${maximum} out of range ${initial}..${MAX_PAGES} pages`);
  }
  if (shared && maximum === undefined) throw new RangeError("a shared memory needs a maximum");
}

function writeLimits(out: ByteWriter, limits: MemoryLimits): void {
  const flags = (limits.maximum === undefined ? 0 : 1) | (limits.shared ? 2 : 0);
  out.byte(flags).u32(limits.initial);
  if (limits.maximum !== undefined) out.u32(limits.maximum);
}

function writeFuncType(out: ByteWriter, type: FuncType): void {
  out.byte(0x60);
  out.vector(type.params, (w, t) => w.byte(valTypeCode(t)));
  out.vector(type.results, (w, t) => w.byte(valTypeCode(t)));
}

function writeInit(
  out: ByteWriter,
  type: ValType,
  init: GlobalOptions["init"],
  name: string,
): void {
  const value = init ?? (type === "i64" ? 0n : type === "v128" ? new Array(16).fill(0) : 0);
  const bad = (): never => {
    throw new TypeError(`global ${name}: initial value ${String(value)} does not fit ${type}`);
  };
  switch (type) {
    case "i32":
      if (
        typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) ||
        value >= 2 ** 32
      ) bad();
      out.byte(0x41).s32((value as number) | 0);
      break;
    case "i64":
      if (typeof value === "number" ? !Number.isSafeInteger(value) : typeof value !== "bigint") {
        bad();
      }
      out.byte(0x42).s64(BigInt.asIntN(64, BigInt(value as number | bigint)));
      break;
    case "f32":
    case "f64":
      if (typeof value !== "number") bad();
      if (type === "f32") out.byte(0x43).f32(value as number);
      else out.byte(0x44).f64(value as number);
      break;
    case "v128":
      if (typeof value !== "object") bad();
      out.byte(0xfd).u32(0x0c).bytes(v128Bytes("i8x16", value as ArrayLike<number>, (m) => {
        throw new TypeError(`global ${name}: ${m}`);
      }));
      break;
  }
  out.byte(0x0b);
}

/**
 * Builds a WebAssembly module: declare the memory, globals and functions, emit the function
 * bodies, export what the host needs, then `toBytes()`, `compile()` or `instantiate()`.
 *
 * ```ts
 * const m = new ModuleBuilder();
 * m.importMemory("env", "memory", { initial: 1 });
 * const f = m.function("add", { params: ["i32", "i32"], results: ["i32"] });
 * const [a, b] = f.params;
 * f.localGet(a).localGet(b).i32.add();
 * m.exportFunction(f);
 * ```
 */
export class ModuleBuilder {
  /** The rewrite of the modules built inside `ModuleBuilder.rewriting`. */
  static #scopedRewrite: InstructionRewrite | undefined;
  readonly #rewrite = ModuleBuilder.#scopedRewrite;
  readonly #types: FuncType[] = [];
  readonly #typeKeys = new Map<string, number>();
  #memory: MemoryDecl | undefined;
  readonly #globals: { global: Global; init: ByteWriter }[] = [];
  readonly #functions: { fn: FunctionBuilder; typeIndex: number; encodeBody: () => ByteWriter }[] =
    [];
  readonly #exports: Export[] = [];

  /**
   * Runs `build` with `rewrite` applied to every instruction of every module it creates (for
   * tests that plant a slip in a generated kernel; see `InstructionRewrite`).
   */
  static rewriting<T>(rewrite: InstructionRewrite | undefined, build: () => T): T {
    const outer = ModuleBuilder.#scopedRewrite;
    ModuleBuilder.#scopedRewrite = rewrite;
    try {
      return build();
    } finally {
      ModuleBuilder.#scopedRewrite = outer;
    }
  }

  #typeIndex(type: FuncType): number {
    const key = `${type.params.join(",")}->${type.results.join(",")}`;
    let index = this.#typeKeys.get(key);
    if (index === undefined) {
      index = this.#types.length;
      this.#types.push({ params: [...type.params], results: [...type.results] });
      this.#typeKeys.set(key, index);
    }
    return index;
  }

  #setMemory(decl: MemoryDecl): this {
    if (this.#memory !== undefined) throw new Error("the module already has a memory");
    checkLimits(decl.limits);
    this.#memory = { ...decl, limits: { ...decl.limits } };
    return this;
  }

  /** Imports the module's memory as `module`.`name` (e.g. `"env"`, `"memory"`). */
  importMemory(module: string, name: string, limits: MemoryLimits): this {
    return this.#setMemory({ limits, import: { module, name } });
  }

  /** Gives the module its own memory. */
  memory(limits: MemoryLimits): this {
    return this.#setMemory({ limits });
  }

  /** Declares a global of `type` with a constant initial value; returns its handle. */
  global(type: ValType, options: GlobalOptions = {}): Global {
    valTypeCode(type);
    const index = this.#globals.length;
    const name = options.name;
    const init = new ByteWriter();
    writeInit(init, type, options.init, name ?? String(index));
    const global: Global = Object.freeze({ index, type, mutable: options.mutable ?? false, name });
    this.#globals.push({ global, init });
    return global;
  }

  /**
   * Declares a function; emit its body through the returned builder. `paramNames` name the
   * parameters in errors and in the name section.
   */
  function(name: string, signature: FunctionSignature): FunctionBuilder {
    if (
      signature.paramNames !== undefined && signature.paramNames.length !== signature.params?.length
    ) {
      throw new RangeError(`function "${name}": paramNames must name every parameter`);
    }
    const type: FuncType = { params: signature.params ?? [], results: signature.results ?? [] };
    for (const t of [...type.params, ...type.results]) valTypeCode(t);
    const typeIndex = this.#typeIndex(type);
    let encodeBody: (() => ByteWriter) | undefined;
    const fn = new FunctionBuilder(name, {
      index: this.#functions.length,
      signature: type,
      paramNames: signature.paramNames,
      context: {
        typeIndex: (t) => this.#typeIndex(t),
        hasMemory: () => this.#memory !== undefined,
        ownsGlobal: (g) => g !== undefined && this.#globals[g.index]?.global === g,
        ownsFunction: (f) => f !== undefined && this.#functions[f.index]?.fn === f,
        registerBody: (encode) => encodeBody = encode,
        rewrite: this.#rewrite,
      },
    });
    this.#functions.push({ fn, typeIndex, encodeBody: encodeBody! });
    return fn;
  }

  #export(name: string, kind: number, index: number): this {
    if (this.#exports.some((e) => e.name === name)) {
      throw new Error(`duplicate export name "${name}"`);
    }
    this.#exports.push({ name, kind, index });
    return this;
  }

  /** Exports a function of this module, under `name` (default: the function's name). */
  exportFunction(fn: FunctionBuilder, name: string = fn.name): this {
    if (this.#functions[fn.index]?.fn !== fn) {
      throw new Error(`function "${fn.name}" belongs to another module`);
    }
    return this.#export(name, EXTERN.func, fn.index);
  }

  /** Exports the module's memory as `name`. */
  exportMemory(name: string): this {
    if (this.#memory === undefined) throw new Error("the module has no memory to export");
    return this.#export(name, EXTERN.memory, 0);
  }

  /** Exports a global of this module as `name`. */
  exportGlobal(global: Global, name: string): this {
    if (this.#globals[global.index]?.global !== global) {
      throw new Error("the global belongs to another module");
    }
    return this.#export(name, EXTERN.global, global.index);
  }

  /**
   * The binary module. Checks every function's end (no open blocks, exactly its results on the
   * stack). Includes a name section with the function and local names.
   */
  toBytes(): Uint8Array<ArrayBuffer> {
    const bodies = this.#functions.map((f) => f.encodeBody());
    const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, write: (w: ByteWriter) => void) => {
      const content = new ByteWriter();
      write(content);
      out.byte(id).sized(content);
    };
    if (this.#types.length > 0) section(SECTION.type, (w) => w.vector(this.#types, writeFuncType));
    const memory = this.#memory;
    if (memory?.import) {
      section(SECTION.import, (w) => {
        w.u32(1).name(memory.import!.module).name(memory.import!.name).byte(EXTERN.memory);
        writeLimits(w, memory.limits);
      });
    }
    if (this.#functions.length > 0) {
      section(SECTION.function, (w) => w.vector(this.#functions, (v, f) => v.u32(f.typeIndex)));
    }
    if (memory !== undefined && !memory.import) {
      section(SECTION.memory, (w) => writeLimits(w.u32(1), memory.limits));
    }
    if (this.#globals.length > 0) {
      section(
        SECTION.global,
        (w) =>
          w.vector(
            this.#globals,
            (v, { global, init }) =>
              v.byte(valTypeCode(global.type)).byte(global.mutable ? 1 : 0).append(init),
          ),
      );
    }
    if (this.#exports.length > 0) {
      section(
        SECTION.export,
        (w) => w.vector(this.#exports, (v, e) => v.name(e.name).byte(e.kind).u32(e.index)),
      );
    }
    if (bodies.length > 0) {
      section(SECTION.code, (w) => w.vector(bodies, (v, body) => v.sized(body)));
    }
    if (this.#functions.length > 0) section(SECTION.custom, (w) => this.#writeNames(w));
    return out.toBytes();
  }

  #writeNames(out: ByteWriter): void {
    out.name("name");
    const functionNames = new ByteWriter().vector(
      this.#functions,
      (w, { fn }) => w.u32(fn.index).name(fn.name),
    );
    out.byte(1).sized(functionNames);
    const withLocals = this.#functions.filter(({ fn }) =>
      fn.locals.some((l) => l.name !== undefined)
    );
    if (withLocals.length === 0) return;
    const localNames = new ByteWriter().vector(withLocals, (w, { fn }) => {
      const named = fn.locals.filter((l) => l.name !== undefined);
      w.u32(fn.index).vector(named, (v, l) => v.u32(l.index).name(l.name!));
    });
    out.byte(2).sized(localNames);
  }

  /** Compiles the module (`WebAssembly.compile`). */
  compile(): Promise<WebAssembly.Module> {
    return WebAssembly.compile(this.toBytes());
  }

  /** Compiles and instantiates the module with `imports` (e.g. `{ env: { memory } }`). */
  async instantiate(imports: WebAssembly.Imports = {}): Promise<WebAssembly.Instance> {
    return await WebAssembly.instantiate(await this.compile(), imports);
  }

  /** Compiles and instantiates synchronously (for small modules, e.g. feature probes). */
  instantiateSync(imports: WebAssembly.Imports = {}): WebAssembly.Instance {
    return new WebAssembly.Instance(new WebAssembly.Module(this.toBytes()), imports);
  }
}
