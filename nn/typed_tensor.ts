/**
 * Tensors of any storage dtype, as they appear in a state dict or a safetensors file: a dtype
 * name (safetensors' spelling: `F32`, `I64`, …), a shape and a typed array. A float32 `Tensor`
 * of the reference is the `F32` case.
 * @module
 */
import { Tensor } from "../reference/tensor.ts";
import { show } from "./_util.ts";

/** The dtypes this library reads and writes (safetensors' names). */
export type SafetensorsDType = "F64" | "F32" | "F16" | "I64" | "I32" | "I8" | "U8";

/** The typed array that holds each dtype. */
export interface TypedArrayOf {
  /** float64. */
  F64: Float64Array;
  /** float32. */
  F32: Float32Array;
  /** float16, as raw bit patterns (see `nn/float16.ts`). */
  F16: Uint16Array;
  /** int64 (PyTorch's `torch.long`, e.g. `num_batches_tracked`). */
  I64: BigInt64Array;
  /** int32. */
  I32: Int32Array;
  /** int8 (qint8 codes). */
  I8: Int8Array;
  /** uint8 (quint8 codes). */
  U8: Uint8Array;
}

/** A tensor of one storage dtype: `data` is the typed array of `dtype`, row-major. */
export type TypedTensor = {
  [D in SafetensorsDType]: {
    /** The storage dtype. */
    readonly dtype: D;
    /** The shape; `[]` is a scalar (one element). */
    readonly shape: readonly number[];
    /** The elements, row-major, little-endian on disk. */
    readonly data: TypedArrayOf[D];
  };
}[SafetensorsDType];

/** The supported dtypes with their element sizes in bytes. */
export const DTYPE_SIZES: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  I64: 8,
  I32: 4,
  I8: 1,
  U8: 1,
});

const ARRAY_TYPES = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I8: Int8Array,
  U8: Uint8Array,
} as const;

/** Whether `name` is a dtype this library supports. */
export function isSupportedDType(name: unknown): name is SafetensorsDType {
  return typeof name === "string" && Object.hasOwn(DTYPE_SIZES, name);
}

/** The typed-array constructor of a dtype. */
export function arrayTypeOf<D extends SafetensorsDType>(
  dtype: D,
): { new (length: number): TypedArrayOf[D]; readonly BYTES_PER_ELEMENT: number } {
  return ARRAY_TYPES[dtype] as unknown as {
    new (length: number): TypedArrayOf[D];
    readonly BYTES_PER_ELEMENT: number;
  };
}

/** The number of elements of a shape (`1` for the scalar shape `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Builds a TypedTensor, checking that `data` is the typed array of `dtype` and holds
 * `numel(shape)` elements.
 * @param name what the tensor is called in error messages
 * @throws {TypeError} for a wrong array type or an unknown dtype; {RangeError} for a bad shape.
 */
export function typedTensor<D extends SafetensorsDType>(
  name: string,
  tensor: { dtype: D; shape: readonly number[]; data: TypedArrayOf[D] },
): TypedTensor {
  const { dtype, shape, data } = tensor;
  if (!isSupportedDType(dtype)) {
    throw new TypeError(
      `${name}: unsupported dtype ${show(dtype)}; expected one of ${
        Object.keys(DTYPE_SIZES).join(", ")
      }`,
    );
  }
  if (!(data instanceof ARRAY_TYPES[dtype])) {
    throw new TypeError(
      `${name}: dtype ${dtype} needs a ${ARRAY_TYPES[dtype].name}, got ${show(data)}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`${name}: shape must be integers >= 0, got ${show(shape)}`);
  }
  if (data.length !== numel(shape)) {
    throw new RangeError(
      `${name}: shape [${shape}] has ${numel(shape)} elements, data has ${data.length}`,
    );
  }
  return { dtype, shape: Object.freeze([...shape]), data } as TypedTensor;
}

/** A float32 `Tensor` as an `F32` TypedTensor (same data, not copied). */
export function fromTensor(t: Tensor): TypedTensor {
  return { dtype: "F32", shape: t.shape, data: t.data };
}

/**
 * An `F32` TypedTensor as a float32 `Tensor` (same data, not copied).
 * @param name what the tensor is called in error messages
 * @throws {TypeError} for another dtype.
 */
export function toTensor(entry: TypedTensor, name = "tensor"): Tensor {
  if (entry.dtype !== "F32") {
    throw new TypeError(`${name}: expected dtype F32, got ${entry.dtype}`);
  }
  return new Tensor(entry.data, entry.shape);
}

/** A TypedTensor, or a float32 `Tensor` (taken as `F32`). */
export type TensorLike = TypedTensor | Tensor;

/** `fromTensor` for a Tensor, the entry itself otherwise. */
export function asTypedTensor(value: TensorLike): TypedTensor {
  return value instanceof Tensor ? fromTensor(value) : value;
}

/** Formats a shape as PyTorch prints it in messages: `[4, 3, 3, 3]`. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
