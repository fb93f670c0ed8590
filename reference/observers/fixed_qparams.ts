/**
 * FixedQParamsObserver and its defaults for sigmoid-like (0..1) and tanh-like (-1..1) outputs
 * (torch/ao/quantization/observer.py; docs/numerics/observers.md §Observers without statistics).
 * @module
 */
import { checkInteger, checkTensor, show } from "../_check.ts";
import { parseQScheme, parseQuantizedDType, type QScheme, type QuantizedDType } from "../dtype.ts";
import { f32 } from "../float32.ts";
import type { Tensor } from "../tensor.ts";
import { type Factory, withArgs } from "./factory.ts";
import { checkOptionKeys } from "./uniform.ts";
import type { QParamsResult, QuantizingObserver } from "./observer.ts";

/** Options of FixedQParamsObserver: PyTorch's arguments. */
export interface FixedQParamsObserverOptions {
  /** The fixed scale (stored as float32). Required. */
  scale: number;
  /** The fixed zero point (stored as int32). Required. */
  zeroPoint: number;
  /** Default quint8. */
  dtype?: QuantizedDType;
  /** Default per_tensor_affine. */
  qscheme?: QScheme;
  /** Default 0. */
  quantMin?: number;
  /** Default 255. */
  quantMax?: number;
}

/**
 * `torch.ao.quantization.FixedQParamsObserver`: observes nothing and always answers the
 * qparams it was built with. PyTorch validates none of its arguments beyond their types.
 */
export class FixedQParamsObserver implements QuantizingObserver {
  /** PyTorch's class name. */
  static readonly className: string = "FixedQParamsObserver";
  /** The option names the class takes. */
  static readonly optionKeys: readonly string[] = [
    "scale",
    "zeroPoint",
    "dtype",
    "qscheme",
    "quantMin",
    "quantMax",
  ];
  /** PyTorch's class name. */
  readonly className: string = FixedQParamsObserver.className;
  /** The quantized dtype. */
  readonly dtype: QuantizedDType;
  /** The quantization scheme. */
  readonly qscheme: QScheme;
  /** The smallest code. */
  readonly quantMin: number;
  /** The largest code. */
  readonly quantMax: number;
  /** The fixed scale, float32. */
  readonly scale: number;
  /** The fixed zero point, int32. */
  readonly zeroPoint: number;

  /**
   * Builds the observer (quint8, per_tensor_affine, [0, 255] by default).
   * @throws {TypeError} for a missing or non-numeric scale or zero point.
   */
  constructor(options: FixedQParamsObserverOptions) {
    checkOptionKeys("FixedQParamsObserver", options, FixedQParamsObserver.optionKeys);
    if (options === undefined || typeof options.scale !== "number") {
      throw new TypeError(
        `scale: FixedQParamsObserver needs a number, got ${show(options?.scale)}`,
      );
    }
    checkInteger("zeroPoint", options.zeroPoint);
    this.scale = f32(options.scale);
    this.zeroPoint = options.zeroPoint | 0;
    this.dtype = parseQuantizedDType(options.dtype ?? "quint8");
    this.qscheme = parseQScheme(options.qscheme ?? "per_tensor_affine");
    this.quantMin = options.quantMin ?? 0;
    this.quantMax = options.quantMax ?? 255;
    checkInteger("quantMin", this.quantMin);
    checkInteger("quantMax", this.quantMax);
  }

  /** Returns `x`; nothing is recorded. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    return x;
  }

  /** The fixed `([scale], [zeroPoint])`. */
  calculateQParams(): QParamsResult {
    return { scale: Float32Array.of(this.scale), zeroPoint: Int32Array.of(this.zeroPoint) };
  }
}

/** `default_fixed_qparams_range_0to1_observer`: (1/256, 0), quint8 [0, 255] — sigmoid, softmax. */
export const defaultFixedQParamsRange0to1Observer: Factory<FixedQParamsObserver> = withArgs(
  FixedQParamsObserver,
  { scale: 1.0 / 256.0, zeroPoint: 0, dtype: "quint8", quantMin: 0, quantMax: 255 },
);

/** `default_fixed_qparams_range_neg1to1_observer`: (2/256, 128), quint8 [0, 255] — tanh. */
export const defaultFixedQParamsRangeNeg1to1Observer: Factory<FixedQParamsObserver> = withArgs(
  FixedQParamsObserver,
  { scale: 2.0 / 256.0, zeroPoint: 128, dtype: "quint8", quantMin: 0, quantMax: 255 },
);
