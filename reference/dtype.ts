/**
 * Quantized dtypes and quantization schemes, with PyTorch's names and integer ranges.
 * @module
 */

/** PyTorch's quantized dtypes (`torch.quint8`, `torch.qint8`, `torch.qint32`, `torch.quint4x2`). */
export type QuantizedDType = "quint8" | "qint8" | "qint32" | "quint4x2";

/** PyTorch's quantization schemes (`torch.per_tensor_affine`, …). */
export type QScheme =
  | "per_tensor_affine"
  | "per_tensor_symmetric"
  | "per_channel_affine"
  | "per_channel_symmetric"
  | "per_channel_affine_float_qparams";

/** Every quantized dtype, in PyTorch's order. */
export const QUANTIZED_DTYPES: readonly QuantizedDType[] = [
  "quint8",
  "qint8",
  "qint32",
  "quint4x2",
];

/** Every quantization scheme. */
export const QSCHEMES: readonly QScheme[] = [
  "per_tensor_affine",
  "per_tensor_symmetric",
  "per_channel_affine",
  "per_channel_symmetric",
  "per_channel_affine_float_qparams",
];

/** An inclusive integer range. */
export interface IntRange {
  /** The smallest value. */
  readonly min: number;
  /** The largest value. */
  readonly max: number;
}

const RANGES: Record<QuantizedDType, IntRange> = {
  quint8: { min: 0, max: 255 },
  qint8: { min: -128, max: 127 },
  qint32: { min: -2147483648, max: 2147483647 },
  quint4x2: { min: 0, max: 15 },
};

/** The full integer range of a quantized dtype (`torch.iinfo` of its underlying type). */
export function dtypeRange(dtype: QuantizedDType): IntRange {
  return RANGES[parseQuantizedDType(dtype)];
}

/** Whether a dtype's integers are unsigned (quint8, quint4x2). */
export function isUnsignedDType(dtype: QuantizedDType): boolean {
  return dtype === "quint8" || dtype === "quint4x2";
}

/**
 * Checks a dtype name and returns it typed. Accepts `"quint8"` and `"torch.quint8"`.
 * @throws {TypeError} for an unknown name.
 */
export function parseQuantizedDType(name: string): QuantizedDType {
  const bare = typeof name === "string" ? name.replace(/^torch\./, "") : name;
  if ((QUANTIZED_DTYPES as readonly unknown[]).includes(bare)) return bare as QuantizedDType;
  throw new TypeError(
    `dtype: unknown quantized dtype ${JSON.stringify(name)}; expected one of ${
      QUANTIZED_DTYPES.join(", ")
    }`,
  );
}

/**
 * Checks a qscheme name and returns it typed. Accepts `"per_tensor_affine"` and
 * `"torch.per_tensor_affine"`.
 * @throws {TypeError} for an unknown name.
 */
export function parseQScheme(name: string): QScheme {
  const bare = typeof name === "string" ? name.replace(/^torch\./, "") : name;
  if ((QSCHEMES as readonly unknown[]).includes(bare)) return bare as QScheme;
  throw new TypeError(
    `qscheme: unknown qscheme ${JSON.stringify(name)}; expected one of ${QSCHEMES.join(", ")}`,
  );
}

/** Whether a qscheme quantizes each channel separately. */
export function isPerChannel(qscheme: QScheme): boolean {
  return qscheme.startsWith("per_channel");
}

/** Whether a qscheme is symmetric (zero point fixed at the middle of the range). */
export function isSymmetric(qscheme: QScheme): boolean {
  return qscheme === "per_tensor_symmetric" || qscheme === "per_channel_symmetric";
}

/** The typed array that holds a dtype's integer representation (`int_repr()`). */
export type IntRepr = Uint8Array | Int8Array | Int32Array;

/** Allocates the integer representation for `length` elements of `dtype` (quint4x2 unpacked). */
export function allocIntRepr(dtype: QuantizedDType, length: number): IntRepr {
  switch (dtype) {
    case "quint8":
    case "quint4x2":
      return new Uint8Array(length);
    case "qint8":
      return new Int8Array(length);
    case "qint32":
      return new Int32Array(length);
  }
}
