/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length `N`, `N` bytes of UTF-8 JSON mapping each tensor name to
 * `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data section that
 * follows) plus an optional `"__metadata__"` string→string map, then the raw little-endian
 * tensor bytes, row-major.
 *
 * The reader validates like the reference implementation (safetensors/src/tensor.rs): a header
 * of at most 100 MB that is a JSON object, known dtypes, a byte size equal to
 * `numel(shape) · size(dtype)` for every tensor, and offsets that tile the data section exactly
 * (no gap, no overlap, nothing past the end, nothing left over). The writer lays a file out as
 * the reference `serialize` does — tensors sorted by dtype alignment (largest first) then by
 * name, compact JSON with `__metadata__` first, the header padded with spaces to a multiple of
 * 8 bytes. (Byte equality with `safetensors.torch.save_file` is not checked here: the Python
 * package is not installed on this machine.)
 *
 * Supported dtypes: F32, F64, F16 (raw bit patterns in a Uint16Array; `nn/float16.ts` converts),
 * I8, U8, I32, I64. Files with BF16 or other dtypes are refused with an error naming the tensor
 * and its dtype.
 * @module
 */
import type { Module, StateDictLoadOptions, StateDictLoadResult } from "./module.ts";
import { show } from "./_util.ts";
import {
  arrayTypeOf,
  asTypedTensor,
  DTYPE_SIZES,
  isSupportedDType,
  numel,
  type SafetensorsDType,
  type TensorLike,
  type TypedTensor,
  typedTensor,
} from "./typed_tensor.ts";

/** The largest header the reference implementation accepts (bytes). */
export const MAX_HEADER_SIZE = 100_000_000;

/** A malformed safetensors file, or tensors that cannot be written as one. */
export class SafetensorsError extends Error {
  /** Wraps a message. */
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** The contents of a safetensors file. */
export interface SafetensorsFile {
  /** The tensors, in the order of their data in the file. */
  tensors: Map<string, TypedTensor>;
  /** The `__metadata__` map, or `null` when the file has none. */
  metadata: Record<string, string> | null;
}

/**
 * The dtypes of the format in the reference's enum order (increasing alignment), which is the
 * order `serialize` sorts by (descending). Only those in `DTYPE_SIZES` are supported here.
 */
const DTYPE_ORDER: readonly string[] = [
  "BOOL",
  "U8",
  "I8",
  "F8_E5M2",
  "F8_E4M3",
  "I16",
  "U16",
  "F16",
  "BF16",
  "I32",
  "U32",
  "F32",
  "F64",
  "I64",
  "U64",
];

const KNOWN_UNSUPPORTED = new Set([
  ...DTYPE_ORDER.filter((d) => !isSupportedDType(d)),
  "F8_E8M0",
  "F4",
  "F6_E2M3",
  "F6_E3M2",
  "C64",
]);

const SUPPORTED_LIST = "F32, F64, F16, I8, U8, I32, I64";

function fail(message: string): never {
  throw new SafetensorsError(`safetensors: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkDims(what: string, value: unknown, length?: number): number[] {
  if (
    !Array.isArray(value) || (length !== undefined && value.length !== length) ||
    !value.every((d) => Number.isSafeInteger(d) && d >= 0)
  ) {
    fail(
      `${what} must be ${length === undefined ? "an array" : `a pair`} of integers >= 0, got ${
        show(value)
      }`,
    );
  }
  return value as number[];
}

/**
 * Reads a safetensors file: its tensors (in data order) and its metadata.
 *
 * Tensor data are views into `bytes` where the offset is aligned for the dtype (always, for
 * files written by the reference implementation or by `writeSafetensors`), copies otherwise;
 * copy `bytes` first if it will be reused.
 * @throws {SafetensorsError} for a truncated file, a header that is not a JSON object, an unknown
 * or unsupported dtype (F16, BF16, …), a bad shape, or offsets that overlap, leave gaps, or
 * reach past the end of the file.
 */
export function readSafetensorsFile(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes: expected a Uint8Array, got ${show(bytes)}`);
  }
  if (bytes.length < 8) {
    fail(
      `truncated file: ${bytes.length} bytes, but a file starts with an 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_SIZE)) {
    fail(`header length ${declared} is larger than the limit of ${MAX_HEADER_SIZE} bytes`);
  }
  const n = Number(declared);
  if (8 + n > bytes.length) {
    fail(
      `truncated file: the header length says ${n} bytes, but only ${
        bytes.length - 8
      } follow the 8-byte length`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) {
    fail(`the header must be a JSON object starting with "{", got ${show(text.slice(0, 20))}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) fail(`the header must be a JSON object, got ${show(header)}`);

  let metadata: Record<string, string> | null = null;
  const infos: {
    name: string;
    dtype: SafetensorsDType;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isPlainObject(info) || !Object.values(info).every((v) => typeof v === "string")) {
        fail(`__metadata__ must map strings to strings, got ${show(info)}`);
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    if (!isPlainObject(info)) fail(`tensor ${show(name)}: expected an object, got ${show(info)}`);
    const dtype = info.dtype;
    if (!isSupportedDType(dtype)) {
      if (typeof dtype === "string" && KNOWN_UNSUPPORTED.has(dtype)) {
        fail(
          `tensor ${show(name)} has dtype ${dtype}, which this library does not read ` +
            `(supported: ${SUPPORTED_LIST}); convert the model to float32 first`,
        );
      }
      fail(`tensor ${show(name)}: unknown dtype ${show(dtype)} (supported: ${SUPPORTED_LIST})`);
    }
    const shape = checkDims(`tensor ${show(name)}: shape`, info.shape);
    const [begin, end] = checkDims(`tensor ${show(name)}: data_offsets`, info.data_offsets, 2);
    if (end < begin) {
      fail(`tensor ${show(name)}: data_offsets [${begin}, ${end}] end before they begin`);
    }
    const count = numel(shape);
    if (!Number.isSafeInteger(count * DTYPE_SIZES[dtype])) {
      fail(`tensor ${show(name)}: shape [${shape}] is too large`);
    }
    if (end - begin !== count * DTYPE_SIZES[dtype]) {
      fail(
        `tensor ${show(name)}: shape [${shape}] of ${dtype} needs ${
          count * DTYPE_SIZES[dtype]
        } bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    infos.push({ name, dtype, shape, begin, end });
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous = "";
  for (const t of infos) {
    if (t.end > dataLength) {
      fail(
        `tensor ${show(t.name)}: data_offsets [${t.begin}, ${t.end}] reach past the end of the ` +
          `${dataLength} data bytes (truncated file?)`,
      );
    }
    if (t.begin < expected) {
      fail(
        `tensor ${show(t.name)}: data_offsets [${t.begin}, ${t.end}] overlap tensor ` +
          `${show(previous)}, which ends at ${expected}`,
      );
    }
    if (t.begin > expected) {
      fail(
        `tensor ${show(t.name)}: data_offsets [${t.begin}, ${t.end}] leave bytes ` +
          `[${expected}, ${t.begin}) unused; tensors must tile the data section`,
      );
    }
    expected = t.end;
    previous = t.name;
  }
  if (expected !== dataLength) {
    fail(
      `the tensors cover ${expected} data bytes, but the file has ${dataLength} after the header`,
    );
  }

  const tensors = new Map<string, TypedTensor>();
  for (const t of infos) {
    const Type = arrayTypeOf(t.dtype);
    const size = DTYPE_SIZES[t.dtype];
    const offset = bytes.byteOffset + dataStart + t.begin;
    const count = (t.end - t.begin) / size;
    let data;
    if (offset % size === 0) {
      data = new (Type as unknown as new (b: ArrayBufferLike, o: number, l: number) => never)(
        bytes.buffer,
        offset,
        count,
      );
    } else {
      data = new Type(count);
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + t.begin, dataStart + t.end));
    }
    tensors.set(t.name, { dtype: t.dtype, shape: Object.freeze(t.shape), data } as TypedTensor);
  }
  return { tensors, metadata };
}

/**
 * Reads the tensors of a safetensors file (`readSafetensorsFile(bytes).tensors`).
 * @example
 * ```ts
 * const tensors = readSafetensors(await Deno.readFile("model.safetensors"));
 * tensors.get("conv1.weight"); // { dtype: "F32", shape: [8, 1, 3, 3], data: Float32Array(72) }
 * ```
 * @throws {SafetensorsError} for a malformed file (see `readSafetensorsFile`).
 */
export function readSafetensors(bytes: Uint8Array): Map<string, TypedTensor> {
  return readSafetensorsFile(bytes).tensors;
}

/** Compares two strings by their UTF-8 bytes (Rust's `str` order). */
function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i] - eb[i];
  return ea.length - eb.length;
}

/**
 * Writes tensors (and optional string metadata) as a safetensors file, laid out like the
 * reference implementation's `serialize`: sorted by dtype alignment then name, compact JSON,
 * header padded to 8 bytes.
 * @param tensors the tensors by name (`Tensor`s are written as F32)
 * @param metadata the `__metadata__` map (string values), if any
 * @throws {SafetensorsError} for an empty name or the reserved name `__metadata__`;
 * {TypeError}/{RangeError} for a tensor whose data does not match its dtype or shape, or
 * non-string metadata.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, TensorLike> | Readonly<Record<string, TensorLike>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const entries: [string, TypedTensor][] = [];
  const source = tensors instanceof Map
    ? [...tensors.entries()]
    : Object.entries(tensors as Record<string, TensorLike>);
  for (const [name, value] of source) {
    if (typeof name !== "string" || name === "") fail(`tensor names must be non-empty strings`);
    if (name === "__metadata__") fail(`"__metadata__" is reserved and cannot name a tensor`);
    const t = asTypedTensor(value);
    entries.push([name, typedTensor(`tensors[${show(name)}]`, t as never)]);
  }
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata)) {
      throw new TypeError(`metadata: expected an object of strings, got ${show(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(`metadata[${show(k)}]: values must be strings, got ${show(v)}`);
      }
    }
  }
  entries.sort(([an, a], [bn, b]) =>
    DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || compareUtf8(an, bn)
  );
  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
    parts.push(`"__metadata__":${JSON.stringify({ ...metadata })}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const nbytes = t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(",")}],` +
        `"data_offsets":[${offset},${offset + nbytes}]}`,
    );
    offset += nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Loads a module's parameters and buffers from a safetensors file holding its state dict
 * (PyTorch's key names: `conv1.weight`, `bn1.running_mean`, …).
 * @returns the missing and unexpected keys (empty unless `strict: false`)
 * @throws {SafetensorsError} for a malformed file; {StateDictError} for missing, unexpected,
 * mis-shaped or mis-typed keys (see `Module.loadStateDict`).
 */
export function loadStateDictFromSafetensors(
  module: Module,
  bytes: Uint8Array,
  options: StateDictLoadOptions = {},
): StateDictLoadResult {
  return module.loadStateDict(readSafetensors(bytes), options);
}

/**
 * A module's state dict as a safetensors file (`writeSafetensors(module.stateDict(), metadata)`).
 */
export function saveStateDictToSafetensors(
  module: Module,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  return writeSafetensors(module.stateDict(), metadata);
}
