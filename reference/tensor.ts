/**
 * The two tensor types of the reference: a float32 tensor and a quantized tensor.
 * Data is row-major (C order), in PyTorch's logical layout.
 * @module
 */
import { checkLength, checkShape } from "./_check.ts";
import type { IntRepr, QuantizedDType } from "./dtype.ts";

/** A float32 tensor: data plus shape. */
export class Tensor {
  /** The elements, row-major. */
  readonly data: Float32Array;
  /** The shape; `[]` is a scalar. */
  readonly shape: readonly number[];

  /**
   * Wraps `data` (not copied) with `shape`; the shape defaults to `[data.length]`.
   * @throws {RangeError} when the shape's element count differs from `data.length`.
   */
  constructor(data: Float32Array, shape: readonly number[] = [data.length]) {
    checkLength("data", data, checkShape("shape", shape));
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /** Builds a tensor from any numbers (rounded to float32), shape defaulting to 1-D. */
  static from(values: ArrayLike<number>, shape?: readonly number[]): Tensor {
    return new Tensor(Float32Array.from(values), shape ?? [values.length]);
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }
}

/** A scale and a zero point: the per-tensor qparams every layer passes around. */
export interface ScaleZeroPoint {
  /** The scale (a double; kernels use it rounded to float32, as PyTorch). */
  readonly scale: number;
  /** The integer zero point. */
  readonly zeroPoint: number;
}

/** Per-tensor affine quantization parameters (`torch.per_tensor_affine`). */
export interface PerTensorQParams {
  /** Always `per_tensor_affine` (PyTorch's quantized tensors are affine). */
  readonly qscheme: "per_tensor_affine";
  /** The scale, a double as in PyTorch (kernels use it rounded to float32). */
  readonly scale: number;
  /** The integer zero point. */
  readonly zeroPoint: number;
}

/** Per-channel quantization parameters (`torch.per_channel_affine[_float_qparams]`). */
export interface PerChannelQParams {
  /** `per_channel_affine`, or `per_channel_affine_float_qparams` for float zero points. */
  readonly qscheme: "per_channel_affine" | "per_channel_affine_float_qparams";
  /** One scale per channel (doubles, as PyTorch stores them). */
  readonly scales: Float64Array;
  /** One zero point per channel: integers, or floats for `per_channel_affine_float_qparams`. */
  readonly zeroPoints: Float64Array;
  /** The channel axis, in `[0, rank)`. */
  readonly axis: number;
}

/** The quantization parameters a quantized tensor carries. */
export type QParams = PerTensorQParams | PerChannelQParams;

/**
 * A quantized tensor: the integer representation (`int_repr()`), its dtype and its qparams.
 * quint4x2 values are stored one per element (unpacked).
 */
export class QuantizedTensor {
  /** The integer values, row-major. */
  readonly intRepr: IntRepr;
  /** The shape. */
  readonly shape: readonly number[];
  /** The quantized dtype. */
  readonly dtype: QuantizedDType;
  /** Scale(s), zero point(s) and, per channel, the axis. */
  readonly qparams: QParams;

  /**
   * Wraps an integer representation (not copied).
   * @throws {RangeError} when the shape does not match the data or the qparams.
   */
  constructor(
    intRepr: IntRepr,
    shape: readonly number[],
    dtype: QuantizedDType,
    qparams: QParams,
  ) {
    checkLength("intRepr", intRepr, checkShape("shape", shape));
    if (qparams.qscheme !== "per_tensor_affine") {
      if (!(qparams.axis >= 0 && qparams.axis < shape.length)) {
        throw new RangeError(`axis: ${qparams.axis} is out of range for shape [${shape}]`);
      }
      checkLength("scales", qparams.scales, shape[qparams.axis]);
      checkLength("zeroPoints", qparams.zeroPoints, shape[qparams.axis]);
    }
    this.intRepr = intRepr;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.qparams = qparams;
  }

  /** The number of elements. */
  get size(): number {
    return this.intRepr.length;
  }
}

/**
 * Splits a row-major shape around `axis` into `[outer, channels, inner]` so that element
 * `(o, c, i)` sits at index `(o * channels + c) * inner + i`.
 */
export function splitAtAxis(
  shape: readonly number[],
  axis: number,
): { outer: number; channels: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, channels: shape[axis], inner };
}
