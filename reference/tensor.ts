/**
 * The two tensor types of the reference: a float32 tensor and a quantized tensor.
 * Data is row-major (C order), in PyTorch's logical layout.
 * @module
 */
import {
  checkAxis,
  checkFinite,
  checkIntRepr,
  checkLength,
  checkNumbers,
  checkObject,
  checkOneOf,
  checkScale,
  checkShape,
  checkTypedArray,
  checkZeroPoint,
  TENSOR_BRAND,
} from "./_check.ts";
import { type IntRepr, parseQuantizedDType, type QuantizedDType } from "./dtype.ts";

/** A float32 tensor: data plus shape. */
export class Tensor {
  /** The elements, row-major. */
  readonly data: Float32Array;
  /** The shape; `[]` is a scalar. */
  readonly shape: readonly number[];

  /**
   * Wraps `data` (not copied) with `shape`; the shape defaults to `[data.length]`.
   * @throws {TypeError} when `data` is not a Float32Array (`Tensor.from` converts numbers);
   * {RangeError} when the shape's element count differs from `data.length`.
   */
  constructor(data: Float32Array, shape?: readonly number[]) {
    checkTypedArray("data", data, Float32Array, "float32 values (Tensor.from converts numbers)");
    const dims = shape === undefined ? [data.length] : shape;
    checkLength("data", data, checkShape("shape", dims));
    this.data = data;
    this.shape = Object.freeze([...dims]);
  }

  /**
   * Builds a tensor from numbers (an array or a typed array; rounded to float32), shape
   * defaulting to 1-D.
   * @throws {TypeError} for values that are not numbers.
   */
  static from(values: ArrayLike<number>, shape?: readonly number[]): Tensor {
    checkNumbers("values", values);
    return new Tensor(Float32Array.from(values), shape ?? [values.length]);
  }

  /** Marks instances for the reference's argument checks. */
  get [TENSOR_BRAND](): "Tensor" {
    return "Tensor";
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
   * Wraps an integer representation (not copied). Checks what PyTorch's quantized tensors
   * guarantee (O(1), plus O(channels) per channel; the codes themselves are not scanned).
   * @throws {TypeError} for an unknown dtype, an integer representation of another type than the
   * dtype's (Uint8Array for quint8 and quint4x2, Int8Array for qint8, Int32Array for qint32) or
   * malformed qparams; {RangeError} when the shape does not match the data, or for a scale that is
   * not finite and > 0, a zero point outside the dtype, an axis outside the shape or a scales /
   * zero points length that is not the size of the axis.
   */
  constructor(
    intRepr: IntRepr,
    shape: readonly number[],
    dtype: QuantizedDType,
    qparams: QParams,
  ) {
    const size = checkShape("shape", shape);
    const type = parseQuantizedDType(dtype);
    checkIntRepr("intRepr", intRepr, type);
    checkLength("intRepr", intRepr, size);
    checkQParams(qparams, type, shape);
    this.intRepr = intRepr;
    this.shape = Object.freeze([...shape]);
    this.dtype = type;
    this.qparams = qparams;
  }

  /** Marks instances for the reference's argument checks. */
  get [TENSOR_BRAND](): "QuantizedTensor" {
    return "QuantizedTensor";
  }

  /** The number of elements. */
  get size(): number {
    return this.intRepr.length;
  }
}

const QPARAMS_SCHEMES: readonly QParams["qscheme"][] = [
  "per_tensor_affine",
  "per_channel_affine",
  "per_channel_affine_float_qparams",
];

/** Checks the qparams of a quantized tensor of `dtype` and `shape` (see the constructor). */
function checkQParams(qparams: QParams, dtype: QuantizedDType, shape: readonly number[]): void {
  checkObject(
    "qparams",
    qparams,
    "qparams { qscheme, scale, zeroPoint } or { qscheme, scales, zeroPoints, axis }",
  );
  checkOneOf("qparams.qscheme", qparams.qscheme, QPARAMS_SCHEMES);
  if (qparams.qscheme === "per_tensor_affine") {
    checkScale("qparams.scale", qparams.scale);
    checkZeroPoint("qparams.zeroPoint", qparams.zeroPoint, dtype);
    return;
  }
  const axis = checkAxis("qparams.axis", qparams.axis, shape.length);
  if (axis !== qparams.axis) {
    throw new RangeError(`qparams.axis: expected ${axis}, got ${qparams.axis} (store it >= 0)`);
  }
  const { scales, zeroPoints } = qparams;
  checkTypedArray("qparams.scales", scales, Float64Array, "scales (doubles)");
  checkTypedArray("qparams.zeroPoints", zeroPoints, Float64Array, "zero points");
  checkLength("qparams.scales", scales, shape[axis]);
  checkLength("qparams.zeroPoints", zeroPoints, shape[axis]);
  const floatZeroPoints = qparams.qscheme === "per_channel_affine_float_qparams";
  for (let c = 0; c < scales.length; c++) {
    checkScale(`qparams.scales[${c}]`, scales[c]);
    if (floatZeroPoints) checkFinite(`qparams.zeroPoints[${c}]`, zeroPoints[c]);
    else checkZeroPoint(`qparams.zeroPoints[${c}]`, zeroPoints[c], dtype);
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
