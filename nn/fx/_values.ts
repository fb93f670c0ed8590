/**
 * Small helpers for the values that flow through graphs (internal): scalars held as 0-dim
 * tensors (the `_scale_0` / `_zero_point_0` buffers convert creates) read as numbers.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import type { TypedTensor } from "../typed_tensor.ts";

/** Whether `v` is a Tensor or a `{dtype, shape, data}` typed tensor. */
export function isTypedTensorLike(v: unknown): v is Tensor | TypedTensor {
  return v instanceof Tensor ||
    (typeof v === "object" && v !== null && "dtype" in v && "shape" in v &&
      ArrayBuffer.isView((v as TypedTensor).data));
}

/**
 * A number from a number or a one-element tensor (float or integer).
 * @throws {TypeError} for anything else, naming `name`.
 */
export function scalarValue(v: unknown, name: string): number {
  if (typeof v === "number") return v;
  if (isTypedTensorLike(v) && v.data.length === 1) return Number(v.data[0]);
  throw new TypeError(`${name}: expected a number or a one-element tensor, got ${show(v)}`);
}

/** A 0-dim float32 buffer holding `value` (PyTorch's `torch.tensor(float)`). */
export function scalarF32(value: number): TypedTensor {
  return { dtype: "F32", shape: [], data: Float32Array.of(value) };
}

/** A 0-dim int64 buffer holding `value` (PyTorch's `torch.tensor(int)`). */
export function scalarI64(value: number): TypedTensor {
  return { dtype: "I64", shape: [], data: BigInt64Array.of(BigInt(value)) };
}
