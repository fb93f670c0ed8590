/**
 * PlaceholderObserver and NoopObserver: observers that record nothing and only carry a dtype to
 * the quantized module (torch/ao/quantization/observer.py).
 * @module
 */
import { checkTensor, show } from "../_check.ts";
import { parseQuantizedDType } from "../dtype.ts";
import type { Tensor } from "../tensor.ts";
import { checkOptionKeys } from "./uniform.ts";
import {
  FLOAT_OBSERVER_DTYPES,
  type Observer,
  type ObserverDType,
  type QParamsResult,
} from "./observer.ts";

/** Reads an observer dtype: a quantized dtype, float16 or float32. */
export function parseAnyObserverDType(value: unknown, fallback: ObserverDType): ObserverDType {
  if (value === undefined || value === null) return fallback;
  const name = typeof value === "string" ? value.replace(/^torch\./, "") : value;
  if ((FLOAT_OBSERVER_DTYPES as readonly unknown[]).includes(name)) return name as ObserverDType;
  try {
    return parseQuantizedDType(name as string);
  } catch {
    throw new TypeError(
      `dtype: expected a quantized dtype, float16 or float32, got ${show(value)}`,
    );
  }
}

/** Options of PlaceholderObserver. */
export interface PlaceholderObserverOptions {
  /** The dtype passed on (default float32). */
  dtype?: ObserverDType;
  /** PyTorch's `custom_op_name` (default ""). */
  customOpName?: string;
  /** Marks dynamic quantization: the dtype the activations are computed in (default none). */
  computeDtype?: ObserverDType | null;
}

/**
 * `torch.ao.quantization.PlaceholderObserver`: passes its dtype (and, for dynamic quantization,
 * `computeDtype`) to the quantized module; `calculateQParams` throws, as in PyTorch.
 */
export class PlaceholderObserver implements Observer {
  /** PyTorch's class name. */
  static readonly className: string = "PlaceholderObserver";
  /** The option names the class takes. */
  static readonly optionKeys: readonly string[] = ["dtype", "customOpName", "computeDtype"];
  /** PyTorch's class name. */
  readonly className: string = PlaceholderObserver.className;
  /** The dtype passed on. */
  readonly dtype: ObserverDType;
  /** PyTorch's `custom_op`. */
  readonly customOpName: string;
  /** The compute dtype of dynamic quantization, or null (PyTorch leaves the attribute unset). */
  readonly computeDtype: ObserverDType | null;

  /**
   * Builds the observer (float32, no compute dtype by default).
   * @throws {TypeError} for an unknown dtype.
   */
  constructor(options: PlaceholderObserverOptions = {}) {
    checkOptionKeys("PlaceholderObserver", options, PlaceholderObserver.optionKeys);
    this.dtype = parseAnyObserverDType(options.dtype, "float32");
    this.customOpName = options.customOpName ?? "";
    // PyTorch: `if compute_dtype: self.compute_dtype = compute_dtype`.
    this.computeDtype = options.computeDtype
      ? parseAnyObserverDType(options.computeDtype, "float32")
      : null;
  }

  /** Returns `x`; nothing is recorded. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    return x;
  }

  /**
   * Never returns, as in PyTorch.
   * @throws {Error} always: a placeholder has no qparams.
   */
  calculateQParams(): QParamsResult {
    throw new Error("calculateQParams should not be called for PlaceholderObserver");
  }
}

/** Options of NoopObserver. */
export interface NoopObserverOptions {
  /** The dtype passed on (default float16). */
  dtype?: ObserverDType;
  /** PyTorch's `custom_op_name` (default ""). */
  customOpName?: string;
}

/**
 * `torch.ao.quantization.NoopObserver`: like PlaceholderObserver with dtype float16 by default
 * and no compute dtype; `calculateQParams` throws.
 */
export class NoopObserver implements Observer {
  /** PyTorch's class name. */
  static readonly className: string = "NoopObserver";
  /** The option names the class takes. */
  static readonly optionKeys: readonly string[] = ["dtype", "customOpName"];
  /** PyTorch's class name. */
  readonly className: string = NoopObserver.className;
  /** The dtype passed on. */
  readonly dtype: ObserverDType;
  /** PyTorch's `custom_op`. */
  readonly customOpName: string;

  /**
   * Builds the observer (float16 by default).
   * @throws {TypeError} for an unknown dtype.
   */
  constructor(options: NoopObserverOptions = {}) {
    checkOptionKeys("NoopObserver", options, NoopObserver.optionKeys);
    this.dtype = parseAnyObserverDType(options.dtype, "float16");
    this.customOpName = options.customOpName ?? "";
  }

  /** Returns `x`; nothing is recorded. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    return x;
  }

  /**
   * Never returns, as in PyTorch.
   * @throws {Error} always: a no-op observer has no qparams.
   */
  calculateQParams(): QParamsResult {
    throw new Error("calculateQParams should not be called for NoopObserver");
  }
}
