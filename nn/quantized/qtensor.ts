/**
 * `QTensor`: the quantized activation that flows between converted modules (PyTorch's quint8
 * per-tensor quantized tensor). 4-D activations are stored NHWC — the layout of the conv
 * kernels — while `shape` stays PyTorch's logical NCHW shape. `channelsLast` records the memory
 * format PyTorch's own tensor would have at this point (quantize gives NCHW-contiguous, conv
 * gives channels-last, …), because some of PyTorch's kernels choose their numerics by it
 * (pooling paths, the vector/scalar split of ATen's elementwise kernels). `ops` are the
 * quantized kernels the tensor was produced with (PyTorch's global quantized engine).
 * @module
 */
import { QuantizedTensor, type Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { toNchw, toNhwc } from "../../reference/layout.ts";
import type { QuantizedOps } from "./ops.ts";

/** Per-tensor quantization parameters of an activation. */
export interface ActivationQParams {
  /** The scale (a double holding a float32 value, as PyTorch's modules keep it). */
  readonly scale: number;
  /** The quint8 zero point. */
  readonly zeroPoint: number;
}

/** A quint8 per-tensor quantized activation. */
export class QTensor {
  /** The codes: row-major, except 4-D tensors, which are NHWC. */
  readonly data: Uint8Array;
  /** The logical (PyTorch) shape: `[N, C, H, W]` for images. */
  readonly shape: readonly number[];
  /** The scale. */
  readonly scale: number;
  /** The zero point. */
  readonly zeroPoint: number;
  /** Whether PyTorch's tensor would be channels-last (4-D only). */
  readonly channelsLast: boolean;
  /** The kernels that made it and that ops on it use. */
  readonly ops: QuantizedOps;

  /**
   * Wraps codes (not copied).
   * @throws {RangeError} when the data length does not match the shape.
   */
  constructor(
    data: Uint8Array,
    shape: readonly number[],
    qparams: ActivationQParams,
    options: { channelsLast?: boolean; ops: QuantizedOps },
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(data instanceof Uint8Array) || data.length !== size) {
      throw new RangeError(
        `data: expected a Uint8Array of ${size} codes for shape [${shape}], got ${show(data)}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.scale = qparams.scale;
    this.zeroPoint = qparams.zeroPoint;
    this.channelsLast = shape.length === 4 && (options.channelsLast ?? false);
    this.ops = options.ops;
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The codes in PyTorch's logical row-major (NCHW) order. */
  logicalCodes(): Uint8Array {
    return this.shape.length === 4 ? toNchw(this.data, this.shape) : this.data;
  }

  /** The codes in the order of PyTorch's memory format (NHWC when channels-last). */
  memoryOrderCodes(): Uint8Array {
    return this.channelsLast || this.shape.length !== 4 ? this.data : toNchw(this.data, this.shape);
  }

  /** The reference `QuantizedTensor` (logical NCHW order), e.g. to compare with the reference. */
  toQuantizedTensor(): QuantizedTensor {
    return new QuantizedTensor(this.logicalCodes().slice(), this.shape, "quint8", {
      qscheme: "per_tensor_affine",
      scale: this.scale,
      zeroPoint: this.zeroPoint,
    });
  }

  /**
   * A QTensor from a reference quint8 per-tensor `QuantizedTensor` in logical order.
   * @throws {TypeError} for another dtype or qscheme.
   */
  static fromQuantizedTensor(
    q: QuantizedTensor,
    options: { channelsLast?: boolean; ops: QuantizedOps },
  ): QTensor {
    if (q.dtype !== "quint8" || q.qparams.qscheme !== "per_tensor_affine") {
      throw new TypeError(
        `q: expected a quint8 per-tensor quantized tensor, got ${q.dtype} ${q.qparams.qscheme}`,
      );
    }
    const codes = q.intRepr as Uint8Array;
    const data = q.shape.length === 4 ? toNhwc(codes, q.shape) : codes;
    return new QTensor(data, q.shape, q.qparams, options);
  }

  /** `x.dequantize()`: the float tensor (logical NCHW). */
  dequantize(): Tensor {
    return this.ops.dequantize(this);
  }

  /** `q_scale()`, `q_zero_point()` and the shape, for messages. */
  toString(): string {
    return `QTensor(shape=[${this.shape}], scale=${this.scale}, zero_point=${this.zeroPoint})`;
  }
}

/** Whether `value` is a QTensor. */
export function isQTensor(value: unknown): value is QTensor {
  return value instanceof QTensor;
}

/** Throws a TypeError naming `name` unless `x` is a QTensor. */
export function checkQTensor(name: string, x: unknown): asserts x is QTensor {
  if (!(x instanceof QTensor)) {
    throw new TypeError(
      `${name}: expected a quantized tensor (QTensor), got ${show(x)}; a quantized module needs ` +
        `a Quantize (QuantStub) before it`,
    );
  }
}
