/**
 * Value types, block types and memory immediates of the WebAssembly binary format.
 *
 * @module
 */

/** A WebAssembly value type (numeric or vector; reference types are not used here). */
export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";

/** All value types, in the order of their binary codes (0x7f down to 0x7b). */
export const VAL_TYPES: readonly ValType[] = ["i32", "i64", "f32", "f64", "v128"];

const VAL_TYPE_CODES: Readonly<Record<ValType, number>> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** The one-byte binary code of a value type (`i32` → 0x7f … `v128` → 0x7b). */
export function valTypeCode(type: ValType): number {
  const code = VAL_TYPE_CODES[type];
  if (code === undefined) throw new TypeError(`unknown wasm value type ${JSON.stringify(type)}`);
  return code;
}

/** A function signature: parameter and result types. */
export interface FuncType {
  /** Parameter types, in order. */
  readonly params: readonly ValType[];
  /** Result types, in order (more than one needs multi-value, which every current engine has). */
  readonly results: readonly ValType[];
}

/**
 * The type of a `block`, `loop` or `if`: one result type, or a full signature
 * (block parameters are taken from the enclosing stack). Omitted means `[] -> []`.
 */
export type BlockType = ValType | {
  readonly params?: readonly ValType[];
  readonly results?: readonly ValType[];
};

/** Normalises a {@link BlockType} (or its absence) to a full signature. */
export function blockSignature(type: BlockType | undefined): FuncType {
  if (type === undefined) return { params: [], results: [] };
  if (typeof type === "string") {
    valTypeCode(type);
    return { params: [], results: [type] };
  }
  const sig = { params: type.params ?? [], results: type.results ?? [] };
  for (const t of [...sig.params, ...sig.results]) valTypeCode(t);
  return sig;
}

/**
 * The memory immediate of a load or store. `align` is in bytes (a power of two, at most the
 * access's natural alignment, which is the default); `offset` is a constant byte offset added to
 * the address operand (default 0).
 */
export interface MemArg {
  /** Constant byte offset added to the dynamic address, 0 ≤ offset < 2^32. Default 0. */
  readonly offset?: number;
  /** Alignment hint in bytes: 1, 2, 4, 8 or 16, at most the natural alignment (the default). */
  readonly align?: number;
}

/** Size limits of a linear memory, in 64 KiB pages. */
export interface MemoryLimits {
  /** Initial size in pages (0 ≤ initial ≤ 65536). */
  readonly initial: number;
  /** Maximum size in pages; required when `shared` is true. */
  readonly maximum?: number;
  /** A shared memory (threads); needs `maximum`. */
  readonly shared?: boolean;
}

/** Lane interpretations accepted by `v128.const`, as in the text format (`v128.const i32x4 …`). */
export type V128Shape = "i8x16" | "i16x8" | "i32x4" | "i64x2" | "f32x4" | "f64x2";
