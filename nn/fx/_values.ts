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

/**
 * Float tensors PyTorch would hold channels-last (this library's float tensors are always
 * row-major): a dequantized channels-last tensor and what elementwise ops, pools and `cat` make
 * of it keep that memory format in PyTorch, and the format decides some numerics downstream — a
 * `quantize_per_tensor` of it is channels-last, which changes which kernel a quantized mean
 * takes and in what order a float mean adds.
 */
const CHANNELS_LAST = new WeakSet<Tensor>();

/** Marks a 4-D float tensor as channels-last in PyTorch (when `channelsLast`); returns it. */
export function markChannelsLast<T>(t: T, channelsLast: boolean): T {
  if (channelsLast && t instanceof Tensor && t.shape.length === 4) CHANNELS_LAST.add(t);
  return t;
}

/** Whether PyTorch would hold this float tensor channels-last. */
export function isChannelsLastFloat(t: unknown): boolean {
  return t instanceof Tensor && CHANNELS_LAST.has(t);
}

/** Ops whose float output PyTorch makes contiguous (or not 4-D) whatever the input's format. */
const FORMAT_RESETTING = new Set([
  "contiguous",
  "view",
  "reshape",
  "flatten",
  "torch.flatten",
  "size",
]);

/**
 * Carries the memory format through one op: a dequantize of a channels-last quantized tensor is
 * channels-last; other float results take the format of their first float tensor argument
 * (PyTorch's TensorIterator follows its first operand), except the ops that reset it.
 */
export function propagateChannelsLast(
  target: string,
  args: readonly unknown[],
  result: unknown,
): void {
  if (!(result instanceof Tensor) || result.shape.length !== 4 || FORMAT_RESETTING.has(target)) {
    return;
  }
  const first = args.flatMap((a) => (Array.isArray(a) ? a : [a])).find((a) =>
    a instanceof Tensor || isQuantizedLike(a)
  );
  if (first instanceof Tensor) markChannelsLast(result, isChannelsLastFloat(first));
  else if (first !== undefined) {
    markChannelsLast(result, (first as { channelsLast: boolean }).channelsLast);
  }
}

function isQuantizedLike(a: unknown): boolean {
  return typeof a === "object" && a !== null && "channelsLast" in a && "ops" in a;
}
