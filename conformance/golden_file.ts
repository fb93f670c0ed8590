/**
 * Reads `qgolden/1` files (golden/README.md §Format): JSON documents of cases recorded from real
 * PyTorch. Parsing is strict about structure (a malformed file or case is reported with the
 * reason) and lenient about content (unknown ops and attributes are left for the runner to report
 * as `unsupported`).
 * @module
 */

/** The element types a golden tensor may hold. */
export type GoldenDType = "float32" | "float64" | "uint8" | "int8" | "int32" | "int64" | "bool";

/** The typed array of each golden dtype (int64 as BigInt64Array, bool as Uint8Array). */
export type GoldenData =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Int32Array
  | BigInt64Array;

/** A decoded golden tensor. */
export interface GoldenTensor {
  readonly dtype: GoldenDType;
  readonly shape: readonly number[];
  readonly data: GoldenData;
}

/** An attribute value: JSON scalars, booleans, strings, integer arrays, objects (observer args). */
export type AttrValue =
  | number
  | string
  | boolean
  | null
  | readonly number[]
  | { readonly [key: string]: AttrValue };

/** How an output is compared: bit for bit, or within a bound the generator justified. */
export type CompareSpec = "exact" | { readonly max_abs: number } | { readonly max_ulp: number };

/** One recorded case. */
export interface GoldenCase {
  readonly id: string;
  readonly op: string;
  readonly engine?: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly inputs: Readonly<Record<string, GoldenTensor>>;
  readonly outputs: Readonly<Record<string, GoldenTensor>>;
  readonly compare: Readonly<Record<string, CompareSpec>>;
}

/** A parsed file: provenance, the cases that parsed, and per-case parse errors. */
export interface GoldenFile {
  readonly path: string;
  readonly source: Readonly<Record<string, unknown>>;
  readonly cases: readonly GoldenCase[];
  /** Cases that could not be decoded: their id (or index) and the reason. */
  readonly malformedCases: readonly { readonly id: string; readonly reason: string }[];
}

/** A file-level format error: the whole file is unusable. */
export class GoldenFormatError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = "GoldenFormatError";
  }
}

const ELEMENT_SIZE: Record<GoldenDType, number> = {
  float32: 4,
  float64: 8,
  uint8: 1,
  int8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
};

/**
 * The known engines — PyTorch's backends and the numerics names (`fbgemm_avx512_vnni`); the runner
 * reports others as unsupported.
 */
export { ENGINES } from "../reference/engine.ts";

/**
 * Parses a golden file's text.
 * @throws {GoldenFormatError} when the document is not a `qgolden/1` file at all.
 */
export function parseGoldenFile(text: string, path: string): GoldenFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new GoldenFormatError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) throw new GoldenFormatError(path, "the document is not a JSON object");
  if (doc.format !== "qgolden/1") {
    throw new GoldenFormatError(
      path,
      `"format" must be "qgolden/1", got ${JSON.stringify(doc.format)}`,
    );
  }
  if (!Array.isArray(doc.cases)) throw new GoldenFormatError(path, `"cases" must be an array`);
  const source = isObject(doc.source) ? doc.source : {};
  const cases: GoldenCase[] = [];
  const malformedCases: { id: string; reason: string }[] = [];
  const seen = new Set<string>();
  doc.cases.forEach((raw: unknown, index: number) => {
    const id = isObject(raw) && typeof raw.id === "string" ? raw.id : `#${index}`;
    try {
      if (seen.has(id)) throw new Error(`duplicate case id ${JSON.stringify(id)}`);
      seen.add(id);
      cases.push(parseCase(raw));
    } catch (e) {
      malformedCases.push({ id, reason: (e as Error).message });
    }
  });
  return { path, source, cases, malformedCases };
}

function parseCase(raw: unknown): GoldenCase {
  if (!isObject(raw)) throw new Error("a case must be a JSON object");
  const { id, op, engine } = raw;
  if (typeof id !== "string" || id === "") throw new Error(`"id" must be a non-empty string`);
  if (typeof op !== "string" || op === "") throw new Error(`"op" must be a non-empty string`);
  if (engine !== undefined && typeof engine !== "string") {
    throw new Error(`"engine" must be a string when present`);
  }
  const attrs = raw.attrs === undefined ? {} : raw.attrs;
  if (!isObject(attrs)) throw new Error(`"attrs" must be an object`);
  const inputs = parseTensorMap(raw.inputs, "inputs");
  const outputs = parseTensorMap(raw.outputs, "outputs");
  if (Object.keys(outputs).length === 0) throw new Error(`"outputs" is empty: nothing to check`);
  const compare: Record<string, CompareSpec> = {};
  const rawCompare = raw.compare === undefined ? {} : raw.compare;
  if (!isObject(rawCompare)) throw new Error(`"compare" must be an object`);
  for (const [name, spec] of Object.entries(rawCompare)) {
    if (!(name in outputs)) throw new Error(`"compare" names ${name}, which is not an output`);
    compare[name] = parseCompare(spec, name);
  }
  for (const name of Object.keys(outputs)) compare[name] ??= "exact";
  return {
    id,
    op,
    engine: engine as string | undefined,
    attrs: attrs as Record<string, AttrValue>,
    inputs,
    outputs,
    compare,
  };
}

function parseCompare(spec: unknown, name: string): CompareSpec {
  if (spec === "exact") return "exact";
  if (isObject(spec)) {
    const keys = Object.keys(spec);
    if (keys.length === 1 && keys[0] === "max_abs" && isNonNegative(spec.max_abs)) {
      return { max_abs: spec.max_abs as number };
    }
    if (
      keys.length === 1 && keys[0] === "max_ulp" && Number.isInteger(spec.max_ulp) &&
      (spec.max_ulp as number) >= 0
    ) {
      return { max_ulp: spec.max_ulp as number };
    }
  }
  throw new Error(
    `compare.${name} must be "exact", {"max_abs": e >= 0} or {"max_ulp": n >= 0}, got ${
      JSON.stringify(spec)
    }`,
  );
}

function parseTensorMap(raw: unknown, field: string): Record<string, GoldenTensor> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new Error(`"${field}" must be an object of tensors`);
  const out: Record<string, GoldenTensor> = {};
  for (const [name, t] of Object.entries(raw)) {
    try {
      out[name] = decodeTensor(t);
    } catch (e) {
      throw new Error(`${field}.${name}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Decodes one `{dtype, shape, data}` tensor. */
export function decodeTensor(raw: unknown): GoldenTensor {
  if (!isObject(raw)) throw new Error("a tensor must be an object {dtype, shape, data}");
  const { dtype, shape, data } = raw;
  if (typeof dtype !== "string" || !(dtype in ELEMENT_SIZE)) {
    throw new Error(`unknown tensor dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`"shape" must be an array of integers >= 0, got ${JSON.stringify(shape)}`);
  }
  if (typeof data !== "string") throw new Error(`"data" must be a base64 string`);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(data);
  } catch {
    throw new Error(`"data" is not valid base64`);
  }
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  const size = ELEMENT_SIZE[dtype as GoldenDType];
  if (bytes.length !== count * size) {
    throw new Error(
      `shape [${shape}] of ${dtype} needs ${count * size} bytes, "data" holds ${bytes.length}`,
    );
  }
  return { dtype: dtype as GoldenDType, shape, data: viewAs(dtype as GoldenDType, bytes) };
}

function viewAs(dtype: GoldenDType, bytes: Uint8Array): GoldenData {
  // Copy into a fresh, aligned buffer; the format is little-endian, as is every wasm host.
  const buffer = bytes.slice().buffer;
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer);
    case "int8":
      return new Int8Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
  }
}

/** Encodes a tensor for a golden file (used by tests and by tools that record cases). */
export function encodeTensor(dtype: GoldenDType, shape: readonly number[], data: GoldenData) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { dtype, shape: [...shape], data: encodeBase64(bytes) };
}

/** The elements of a golden tensor as JS numbers (int64 must be within ±2^53). */
export function toNumbers(t: GoldenTensor): Float64Array {
  if (t.data instanceof BigInt64Array) {
    const out = new Float64Array(t.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = t.data[i];
      if (v > 9007199254740991n || v < -9007199254740991n) {
        throw new Error(`int64 value ${v} does not fit a JS number exactly`);
      }
      out[i] = Number(v);
    }
    return out;
  }
  return Float64Array.from(t.data as ArrayLike<number>);
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function encodeBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNonNegative(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}
