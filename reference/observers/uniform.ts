/**
 * PyTorch's `UniformQuantizationObserverBase`: argument validation, the effective quantization
 * range (`calculate_qmin_qmax`) and `_calculate_qparams`, the min/max → (scale, zero point) rule
 * every uniform observer shares (torch/ao/quantization/observer.py, utils.py;
 * docs/numerics/observers.md §From min and max to qparams).
 * @module
 */
import {
  checkBoolean,
  checkFinite,
  checkInteger,
  checkObject,
  checkQuantRange,
  show,
} from "../_check.ts";
import {
  isPerChannel,
  parseQScheme,
  parseQuantizedDType,
  type QScheme,
  type QuantizedDType,
} from "../dtype.ts";
import { f32, roundHalfEven, wrapInt32 } from "../float32.ts";
import type { Tensor } from "../tensor.ts";
import type { MinMaxStatsObserver, Observer, QParamsResult } from "./observer.ts";

/** `torch.finfo(torch.float32).eps`, PyTorch's default observer eps (2^-23). */
export const FLOAT32_EPS: number = 2 ** -23;

/** Constructor options shared by the uniform observers (PyTorch's arguments, camelCase). */
export interface UniformObserverOptions {
  /** The quantized dtype: quint8 (default), qint8, qint32 or quint4x2. */
  dtype?: QuantizedDType;
  /** The quantization scheme (each observer has its own default). */
  qscheme?: QScheme;
  /** Halve the range: [0, 127] / [-64, 63] (deprecated in PyTorch, still honoured). */
  reduceRange?: boolean;
  /** A custom smallest code; used only when `quantMax` is given too, and must be <= 0. */
  quantMin?: number | null;
  /** A custom largest code; used only when `quantMin` is given too, and must be >= 0. */
  quantMax?: number | null;
  /** The smallest scale; stored as float32 like PyTorch's `eps` buffer. Default 2^-23. */
  eps?: number;
}

const OBSERVER_DTYPES: readonly QuantizedDType[] = ["qint8", "quint8", "quint4x2", "qint32"];

/** Reads a dtype option, which must be one a uniform observer supports. */
export function parseObserverDType(value: unknown, fallback: QuantizedDType): QuantizedDType {
  if (value === undefined) return fallback;
  const name = typeof value === "string" ? value.replace(/^torch\./, "") : value;
  if (!(OBSERVER_DTYPES as readonly unknown[]).includes(name)) {
    throw new TypeError(
      `dtype: this observer only works for ${OBSERVER_DTYPES.join(", ")}, got ${show(value)}`,
    );
  }
  return parseQuantizedDType(name as string);
}

/** The option names every uniform observer accepts. */
export const UNIFORM_OPTION_KEYS: readonly string[] = [
  "dtype",
  "qscheme",
  "reduceRange",
  "quantMin",
  "quantMax",
  "eps",
];

/**
 * Throws for an option the class does not take (PyTorch's TypeError for an unexpected keyword
 * argument). Options whose value is `undefined` are ignored.
 */
export function checkOptionKeys(
  className: string,
  options: object | undefined,
  allowed: readonly string[],
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`options: ${className} expects an options object, got ${show(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.includes(key)) {
      throw new TypeError(
        `options: ${className} got an unexpected option ${JSON.stringify(key)} ` +
          `(it takes ${allowed.join(", ")})`,
      );
    }
  }
}

/** Reads a boolean option. */
export function parseBoolOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${name}: expected a boolean, got ${show(value)}`);
  }
  return value;
}

/** Reads a number option (any finite or infinite number; PyTorch does not check more). */
export function parseNumberOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name}: expected a number, got ${show(value)}`);
  }
  return value;
}

/**
 * PyTorch's `calculate_qmin_qmax`: the effective range of a dtype, a custom range, and
 * `reduce_range`.
 * - Default ranges: quint8 [0, 255] ([0, 127] reduced), qint8 [-128, 127] ([-64, 63] reduced),
 *   qint32 [-2^31, 2^31 - 1] and quint4x2 [0, 15] (never reduced).
 * - A custom range is checked (it must contain 0, have quantMin < quantMax and, for qint8 and
 *   qint32, hold at most 256 / 2^31 codes) and floor-halved under `reduceRange`.
 * @throws {RangeError} for a custom range PyTorch rejects.
 */
export function calculateQMinQMax(
  dtype: QuantizedDType,
  options: { quantMin?: number | null; quantMax?: number | null; reduceRange?: boolean } = {},
): { quantMin: number; quantMax: number; hasCustomizedQRange: boolean } {
  const { quantMin, quantMax } = options;
  const reduceRange = options.reduceRange ?? false;
  const custom = quantMin !== undefined && quantMin !== null && quantMax !== undefined &&
    quantMax !== null;
  if (custom) {
    checkInteger("quantMin", quantMin);
    checkInteger("quantMax", quantMax);
    if (!(quantMin <= 0 && 0 <= quantMax)) {
      throw new RangeError(
        `quantMin/quantMax: a custom quantization range must include 0, got [${quantMin}, ${quantMax}]`,
      );
    }
    if (!(quantMin < quantMax)) {
      throw new RangeError(
        `quantMin/quantMax: quantMin must be strictly less than quantMax, got [${quantMin}, ${quantMax}]`,
      );
    }
    const length = quantMax - quantMin + 1;
    if (dtype === "qint8" && !(length > 0 && length <= 256)) {
      throw new RangeError(
        `quantMin/quantMax: [${quantMin}, ${quantMax}] holds ${length} codes; qint8 allows at most 256`,
      );
    }
    if (dtype === "qint32" && !(length > 0 && length <= 2 ** 31)) {
      throw new RangeError(
        `quantMin/quantMax: [${quantMin}, ${quantMax}] holds ${length} codes; qint32 allows at most 2^31`,
      );
    }
    return reduceRange
      ? {
        quantMin: Math.floor(quantMin / 2),
        quantMax: Math.floor(quantMax / 2),
        hasCustomizedQRange: true,
      }
      : { quantMin, quantMax, hasCustomizedQRange: true };
  }
  switch (dtype) {
    case "qint8":
      return reduceRange
        ? { quantMin: -64, quantMax: 63, hasCustomizedQRange: false }
        : { quantMin: -128, quantMax: 127, hasCustomizedQRange: false };
    case "quint8":
      return reduceRange
        ? { quantMin: 0, quantMax: 127, hasCustomizedQRange: false }
        : { quantMin: 0, quantMax: 255, hasCustomizedQRange: false };
    case "qint32":
      return { quantMin: -(2 ** 31), quantMax: 2 ** 31 - 1, hasCustomizedQRange: false };
    case "quint4x2":
      return { quantMin: 0, quantMax: 15, hasCustomizedQRange: false };
  }
}

/** What `calculateQParamsFromMinMax` needs to know about the observer. */
export interface QParamsRule {
  /** The quantized dtype (symmetric quint8 zero points are 128 or the range's midpoint). */
  readonly dtype: QuantizedDType;
  /** The qscheme, which selects the symmetric, affine or float-qparams rule. */
  readonly qscheme: QScheme;
  /** The effective smallest code. */
  readonly quantMin: number;
  /** The effective largest code. */
  readonly quantMax: number;
  /** The eps floor, a float32 value. */
  readonly eps: number;
  /** Whether the user gave quantMin and quantMax (symmetric quint8 then uses their midpoint). */
  readonly hasCustomizedQRange: boolean;
  /** The observer's class name, which errors name (observers pass themselves as the rule). */
  readonly className?: string;
}

const DEFAULTS = new WeakSet<QParamsResult>();

/**
 * PyTorch's answer for an observer that has seen nothing: scale 1, zero point 0 (PyTorch warns
 * "must run observer before calling calculate_qparams"; `isDefaultQParams` recognises it).
 */
export function defaultQParams(): QParamsResult {
  const result = { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0) };
  DEFAULTS.add(result);
  return result;
}

/**
 * Whether `result` is the default an observer returns before it has seen any data (the case
 * PyTorch warns about), not qparams computed from statistics.
 */
export function isDefaultQParams(result: QParamsResult): boolean {
  return DEFAULTS.has(result);
}

/**
 * `float → int32` as `.to(torch.int)` does on x86 and ARM for a negative or in-range value: NaN
 * and values outside int32 give INT32_MIN (x86 `cvttss2si`; ARM saturates negative values to the
 * same). C++ leaves out-of-range conversions undefined; `zeroPointIsBuildDependent` names them.
 */
function toInt32(x: number): number {
  if (!(x >= -2147483648 && x < 2147483648)) return -2147483648;
  return Math.trunc(x) | 0;
}

/**
 * Checks the qparams an observer computed before they are used to quantize: every scale must be
 * finite and > 0. PyTorch 1.13 computes scale Infinity for data that holds ±Infinity or spans
 * more than the float32 maximum (3.4e38), and then quantizes every value to the zero point or
 * NaN without a word; this library computes the same scale in the observer (bit for bit) and
 * refuses it here, naming `owner` and the observer.
 * @param owner what is about to use the qparams (`FakeQuantize`, `convert: fc1`)
 * @throws {RangeError} naming the owner, the observer, the scale and the observed range.
 */
export function checkObservedQParams(
  owner: string,
  observer: Observer,
  result: QParamsResult,
): void {
  for (let c = 0; c < result.scale.length; c++) {
    const scale = result.scale[c];
    if (scale > 0 && Number.isFinite(scale)) continue;
    const { minVal, maxVal } = observer as Partial<MinMaxStatsObserver>;
    const at = (v: number | Float32Array | undefined) => typeof v === "number" ? v : v?.[c];
    const channel = result.scale.length > 1 ? ` for channel ${c}` : "";
    const range = minVal === undefined
      ? ""
      : ` from min ${show(at(minVal))} and max ${show(at(maxVal))}`;
    throw new RangeError(
      `${owner}: ${observer.className} computed scale ${show(scale)}${channel}${range}; PyTorch ` +
        `1.13 computes the same for data that holds ±Infinity or spans more than the float32 ` +
        `maximum, and quantizes with it anyway; this library refuses a scale that is not finite ` +
        `and > 0. Observe finite data whose range fits float32.`,
    );
  }
}

function checkMinMax(name: string, value: number | Float32Array): void {
  if (typeof value !== "number" && !(value instanceof Float32Array)) {
    throw new TypeError(
      `${name}: expected a number (per tensor) or a Float32Array (per channel), got ${show(value)}`,
    );
  }
}

function checkRule(rule: QParamsRule): void {
  checkObject(
    "rule",
    rule,
    "a QParamsRule { dtype, qscheme, quantMin, quantMax, eps, hasCustomizedQRange } (an observer)",
  );
  parseQuantizedDType(rule.dtype);
  parseQScheme(rule.qscheme);
  checkQuantRange(rule.quantMin, rule.quantMax);
  checkFinite("eps", rule.eps);
  checkBoolean("hasCustomizedQRange", rule.hasCustomizedQRange);
}

/**
 * `UniformQuantizationObserverBase._calculate_qparams(min_val, max_val)`, element by element:
 * - per tensor (`number` arguments): never run (+Infinity, -Infinity) → `(1, 0)`;
 * - per channel (arrays): no channels yet → `(1, 0)`;
 * - min > max or NaN → throws (PyTorch's AssertionError);
 * - symmetric: `mx = max(-min(min,0), max(max,0))`, `scale = max(f32(mx / f32((qmax-qmin)/2)), eps)`,
 *   zero point 0, or for quint8 128 (the floor midpoint of a custom range);
 * - float qparams: `scale = f32(f32(max-min) / f32(qmax-qmin))` (1 unless > eps),
 *   `zp = f32(-min / scale)`, no widening to include 0;
 * - affine: `scale = max(f32(f32(max(max,0) - min(min,0)) / f32(qmax-qmin)), eps)`,
 *   `zp = clamp(qmin - int32(rne(f32(min(min,0) / scale))), qmin, qmax)` in int32 arithmetic.
 * @throws {RangeError} when a minimum exceeds its maximum or is NaN.
 */
export function calculateQParamsFromMinMax(
  minVal: number | Float32Array,
  maxVal: number | Float32Array,
  rule: QParamsRule,
): QParamsResult {
  checkMinMax("minVal", minVal);
  checkMinMax("maxVal", maxVal);
  checkRule(rule);
  const perTensor = typeof minVal === "number";
  const mins = typeof minVal === "number" ? [minVal] : minVal;
  const maxs = typeof maxVal === "number" ? [maxVal] : maxVal;
  if (mins.length !== maxs.length) {
    throw new RangeError(`minVal/maxVal: ${mins.length} minima but ${maxs.length} maxima`);
  }
  if (mins.length === 0) return defaultQParams();
  if (perTensor && mins[0] === Infinity && maxs[0] === -Infinity) return defaultQParams();
  for (let i = 0; i < mins.length; i++) {
    if (!(mins[i] <= maxs[i])) {
      throw new RangeError(
        `${rule.className ?? "observer"}: min ${show(mins[i])} should be less than or equal to ` +
          `max ${show(maxs[i])}${perTensor ? "" : ` (channel ${i})`} (PyTorch's assertion; the ` +
          `observed data held NaN, or the statistics were loaded so)`,
      );
    }
  }
  const { quantMin, quantMax, eps, qscheme, dtype } = rule;
  const n = mins.length;
  const scale = new Float32Array(n);
  if (qscheme === "per_channel_affine_float_qparams") {
    const zeroPoint = new Float32Array(n);
    const levels = f32(quantMax - quantMin);
    for (let i = 0; i < n; i++) {
      const s = f32(f32(maxs[i] - mins[i]) / levels);
      scale[i] = s > eps ? s : 1;
      zeroPoint[i] = f32(f32(-1 * mins[i]) / scale[i]);
    }
    return { scale, zeroPoint };
  }
  const zeroPoint = new Int32Array(n);
  const symmetric = qscheme === "per_tensor_symmetric" || qscheme === "per_channel_symmetric";
  for (let i = 0; i < n; i++) {
    const minNeg = Math.min(mins[i], 0);
    const maxPos = Math.max(maxs[i], 0);
    if (symmetric) {
      const bound = Math.max(-minNeg, maxPos);
      scale[i] = Math.max(f32(bound / f32((quantMax - quantMin) / 2)), eps);
      zeroPoint[i] = dtype === "quint8"
        ? (rule.hasCustomizedQRange ? Math.floor((quantMin + quantMax) / 2) : 128)
        : 0;
    } else {
      const s = Math.max(f32(f32(maxPos - minNeg) / f32(quantMax - quantMin)), eps);
      scale[i] = s;
      const zp = wrapInt32(quantMin - toInt32(roundHalfEven(f32(minNeg / s))));
      zeroPoint[i] = zp < quantMin ? quantMin : zp > quantMax ? quantMax : zp;
    }
  }
  return { scale, zeroPoint };
}

/**
 * Whether PyTorch's affine zero point for this (min, max) goes through an undefined C++
 * conversion: `round(min(min,0) / scale)` outside int32 (only qint32 ranges get there; x86 and
 * ARM both give INT32_MIN, which this reference reproduces).
 */
export function zeroPointIsBuildDependent(min: number, scale: number): boolean {
  const t = roundHalfEven(f32(Math.min(min, 0) / scale));
  return !(t >= -2147483648 && t < 2147483648);
}

/**
 * The base of the uniform observers (PyTorch's `UniformQuantizationObserverBase`): validates
 * and stores dtype, qscheme, reduceRange, the effective quantMin/quantMax and eps, and computes
 * qparams from min/max statistics.
 */
export abstract class UniformQuantizationObserverBase implements MinMaxStatsObserver {
  /** The quantized dtype. */
  readonly dtype: QuantizedDType;
  /** The quantization scheme. */
  readonly qscheme: QScheme;
  /** Whether `reduce_range` was asked for. */
  readonly reduceRange: boolean;
  /** The effective smallest code. */
  readonly quantMin: number;
  /** The effective largest code. */
  readonly quantMax: number;
  /** Whether both quantMin and quantMax were given. */
  readonly hasCustomizedQRange: boolean;
  /** The smallest scale, rounded to float32 as PyTorch's `eps` buffer holds it. */
  readonly eps: number;

  /**
   * Validates the options like PyTorch's constructor.
   * @param defaults the subclass's default qscheme
   * @throws {TypeError|RangeError} for an unknown dtype or qscheme, or a bad custom range.
   */
  constructor(options: UniformObserverOptions, defaults: { qscheme: QScheme }) {
    const qscheme = options.qscheme === undefined
      ? defaults.qscheme
      : parseQScheme(options.qscheme);
    this.qscheme = qscheme;
    this.reduceRange = parseBoolOption("reduceRange", options.reduceRange, false);
    this.eps = f32(parseNumberOption("eps", options.eps, FLOAT32_EPS));
    this.dtype = parseObserverDType(options.dtype, "quint8");
    const range = calculateQMinQMax(this.dtype, {
      quantMin: options.quantMin,
      quantMax: options.quantMax,
      reduceRange: this.reduceRange,
    });
    this.quantMin = range.quantMin;
    this.quantMax = range.quantMax;
    this.hasCustomizedQRange = range.hasCustomizedQRange;
  }

  /** PyTorch's class name. */
  abstract get className(): string;
  /** The running minimum. */
  abstract get minVal(): number | Float32Array;
  /** The running maximum. */
  abstract get maxVal(): number | Float32Array;
  /** Records statistics of `x`; returns `x`. */
  abstract forward(x: Tensor): Tensor;

  /** The qparams of the running min/max (see `calculateQParamsFromMinMax`). */
  calculateQParams(): QParamsResult {
    return calculateQParamsFromMinMax(this.minVal, this.maxVal, this);
  }
}

/** Throws PyTorch's NotImplementedError unless the qscheme is per tensor. */
export function requirePerTensor(className: string, qscheme: QScheme | undefined): void {
  if (qscheme !== undefined && isPerChannel(parseQScheme(qscheme))) {
    throw new RangeError(
      `qscheme: ${className} only supports per_tensor_affine and per_tensor_symmetric, got ${qscheme}`,
    );
  }
}

/** Throws PyTorch's NotImplementedError unless the qscheme is per channel. */
export function requirePerChannel(className: string, qscheme: QScheme | undefined): void {
  if (qscheme !== undefined && !isPerChannel(parseQScheme(qscheme))) {
    throw new RangeError(
      `qscheme: ${className} only supports per_channel_affine, per_channel_symmetric and ` +
        `per_channel_affine_float_qparams, got ${qscheme}`,
    );
  }
}

/** PyTorch refuses reduce_range with a symmetric qscheme and quint8 in the MinMax observers. */
export function rejectSymmetricReducedQuint8(observer: UniformQuantizationObserverBase): void {
  const symmetric = observer.qscheme === "per_tensor_symmetric" ||
    observer.qscheme === "per_channel_symmetric";
  if (symmetric && observer.reduceRange && observer.dtype === "quint8") {
    throw new RangeError(
      `reduceRange: cannot reduce the range for symmetric quantization (${observer.qscheme}) of quint8`,
    );
  }
}
