/**
 * Dev-only: turns a binary module into WebAssembly text with `npm:wabt` (imported on first
 * use, so production code that never calls this does not load wabt).
 *
 * @module
 */

type Wabt = Awaited<ReturnType<typeof import("wabt")>>;

let wabt: Promise<Wabt> | undefined;

/** Options of {@link disassemble}. */
export interface DisassembleOptions {
  /** Print folded S-expressions instead of one instruction per line (default false). */
  readonly foldExprs?: boolean;
}

/**
 * The text format of `bytes`, with the SIMD and relaxed-SIMD features enabled and names taken
 * from the name section (generated where absent). Throws if wabt cannot decode the module.
 */
export async function disassemble(
  bytes: Uint8Array,
  options: DisassembleOptions = {},
): Promise<string> {
  wabt ??= import("wabt").then((m) => m.default());
  const module = (await wabt).readWasm(bytes, {
    readDebugNames: true,
    simd: true,
    relaxed_simd: true,
    sat_float_to_int: true,
    sign_extension: true,
    bulk_memory: true,
    multi_value: true,
    mutable_globals: true,
    threads: true,
  });
  try {
    module.generateNames();
    module.applyNames();
    return module.toText({ foldExprs: options.foldExprs ?? false, inlineExport: false });
  } finally {
    module.destroy();
  }
}
