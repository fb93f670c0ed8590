/**
 * ONNX QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear as onnxruntime's CPU provider
 * computes them in its portable C++ code (`MlasQuantizeLinear` without SSE2/NEON, the code
 * onnxruntime-web's WebAssembly build runs):
 *
 * - quantize: `y = (int32) clamp(nearbyint(x / scale) + zero_point, qmin, qmax)`, a float32
 *   division (not PyTorch's multiplication by a float32 reciprocal), ties to even, saturation;
 * - dequantize: `y = float(x - zero_point) * scale` in float32;
 * - dynamic quantize: onnxruntime's `GetQuantizationParameter` (uint8, range widened to include
 *   0, `scale = (max - min) / 255` in float32, or 1 when the range is empty), then quantize.
 *
 * Per-axis variants take one scale and zero point per index along `axis`.
 * @module
 */
import { f32, roundHalfEven } from "../float32.ts";
import { checkNumbers, show } from "../_check.ts";
import {
  allocInt8,
  checkOnnxOptions,
  checkOnnxScale,
  checkOnnxZeroPoint,
  checkTensor,
  type Int8Data,
  int8Range,
  type OnnxInt8Type,
  type OnnxTensor,
} from "./types.ts";

/**
 * Quantization parameters: one scale and zero point (per tensor), or one per index along `axis`
 * (per axis, ONNX opset 13). `zeroPoint` defaults to 0.
 */
export interface OnnxQParams {
  /** A number (per tensor) or one value per index along `axis`. */
  readonly scale: number | ArrayLike<number>;
  /** A number or one value per index along `axis`; default 0. */
  readonly zeroPoint?: number | ArrayLike<number>;
  /** The axis of a per-axis scale (negative counts from the end); default 1, as in ONNX. */
  readonly axis?: number;
}

/** Arguments of QuantizeLinear. */
export interface QuantizeLinearArgs extends OnnxQParams {
  /** The output type (ONNX takes it from the zero point's type; uint8 when it is absent). */
  readonly type: OnnxInt8Type;
}

/** Per-element scales and zero points laid out as `[outer, channels, inner]`. */
interface ChannelPlan {
  readonly channels: number;
  readonly inner: number;
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
}

/** Resolves per-tensor or per-axis qparams against a shape (checking every value). */
function channelPlan(
  shape: readonly number[],
  q: OnnxQParams,
  type: OnnxInt8Type,
  zeroPointRange: OnnxInt8Type | "int32" = type,
): ChannelPlan {
  if (typeof q.scale !== "number") checkNumbers("scale", q.scale);
  const perAxis = typeof q.scale !== "number";
  let channels = 1;
  let inner = 1;
  if (perAxis) {
    const rawAxis = q.axis ?? 1;
    const axis = rawAxis < 0 ? rawAxis + shape.length : rawAxis;
    if (!Number.isInteger(rawAxis) || axis < 0 || axis >= shape.length) {
      throw new RangeError(
        `axis: ${show(rawAxis)} is out of range for a tensor of rank ${shape.length}`,
      );
    }
    channels = shape[axis];
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  }
  const scaleValues = typeof q.scale === "number" ? [q.scale] : q.scale;
  if (scaleValues.length !== channels) {
    throw new RangeError(
      `scale: expected ${channels} value(s) along the axis, got ${scaleValues.length}`,
    );
  }
  const zp = q.zeroPoint ?? 0;
  const zpValues = typeof zp === "number" ? [zp] : zp;
  if (zpValues.length !== channels || (typeof zp === "number") !== !perAxis) {
    throw new RangeError(
      `zeroPoint: expected ${
        perAxis ? `${channels} values (per axis)` : "one number (per tensor)"
      }, got ${show(zp)}`,
    );
  }
  const scales = new Float32Array(channels);
  const zeroPoints = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    scales[c] = checkOnnxScale(perAxis ? `scale[${c}]` : "scale", scaleValues[c]);
    const z = zpValues[c];
    if (zeroPointRange === "int32") {
      if (z !== 0) {
        throw new RangeError(`zeroPoint: an int32 tensor's zero point must be 0, got ${show(z)}`);
      }
    } else checkOnnxZeroPoint(perAxis ? `zeroPoint[${c}]` : "zeroPoint", z, zeroPointRange);
    zeroPoints[c] = z;
  }
  return { channels, inner, scales, zeroPoints };
}

/**
 * One element of QuantizeLinear: `nearbyint(x / scale) + zero_point` in float32, clamped with
 * `std::max`/`std::min` (which keep a NaN), then converted to int32 with WebAssembly's
 * saturating conversion (NaN → 0). NaN is build-dependent: onnxruntime's SSE2 and NEON kernels
 * clamp before rounding with `maxps`/`fmaxnm`, which turn NaN into the type's minimum.
 */
export function quantizeLinearValue(
  x: number,
  scale: number,
  zeroPoint: number,
  type: OnnxInt8Type,
): number {
  const { min, max } = int8Range(type);
  let v = f32(roundHalfEven(f32(f32(x) / scale)) + zeroPoint);
  v = v < min ? min : v; // std::max(v, min): NaN stays NaN
  v = max < v ? max : v; // std::min(v, max)
  return Number.isNaN(v) ? 0 : v;
}

/** Whether an input element lies where onnxruntime builds disagree (NaN). */
export function onnxQuantizeIsBuildDependent(x: number): boolean {
  return Number.isNaN(x);
}

function prepareQuantize(x: OnnxTensor<Float32Array>, args: QuantizeLinearArgs) {
  const n = checkTensor("x", x);
  if (!(x.data instanceof Float32Array)) {
    throw new TypeError(`x: expected float32 data, got ${show(x.data)}`);
  }
  checkOnnxOptions(args);
  if (args.type !== "uint8" && args.type !== "int8") {
    throw new RangeError(`type: expected "uint8" or "int8", got ${show(args.type)}`);
  }
  return { n, plan: channelPlan(x.shape, args, args.type) };
}

/**
 * Checks the arguments of `quantizeLinear` without computing it.
 * @throws {TypeError|RangeError} naming the bad argument, as `quantizeLinear` would.
 */
export function checkQuantizeLinear(x: OnnxTensor<Float32Array>, args: QuantizeLinearArgs): void {
  prepareQuantize(x, args);
}

/**
 * ONNX QuantizeLinear (opset 13): float32 → uint8/int8, per tensor or per axis.
 * @throws {RangeError} for a bad shape, scale, zero point or axis.
 */
export function quantizeLinear(x: OnnxTensor<Float32Array>, args: QuantizeLinearArgs): Int8Data {
  const { n, plan } = prepareQuantize(x, args);
  const y = allocInt8(args.type, n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / plan.inner) % plan.channels;
    y[i] = quantizeLinearValue(x.data[i], plan.scales[c], plan.zeroPoints[c], args.type);
  }
  return y;
}

/**
 * ONNX DequantizeLinear (opset 13): uint8/int8/int32 → float32, `float(x - zero_point) * scale`
 * in float32, per tensor or per axis. An int32 input's zero point must be 0 (as ONNX requires).
 * @throws {RangeError} for a bad shape, scale, zero point or axis.
 */
export function dequantizeLinear(
  x: OnnxTensor<Uint8Array | Int8Array | Int32Array>,
  args: OnnxQParams,
): Float32Array {
  const { n, plan } = prepareDequantize(x, args);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / plan.inner) % plan.channels;
    y[i] = f32(f32((x.data[i] - plan.zeroPoints[c]) | 0) * plan.scales[c]);
  }
  return y;
}

/**
 * Checks the arguments of `dequantizeLinear` without computing it.
 * @throws {TypeError|RangeError} naming the bad argument, as `dequantizeLinear` would.
 */
export function checkDequantizeLinear(
  x: OnnxTensor<Uint8Array | Int8Array | Int32Array>,
  args: OnnxQParams,
): void {
  prepareDequantize(x, args);
}

function prepareDequantize(
  x: OnnxTensor<Uint8Array | Int8Array | Int32Array>,
  args: OnnxQParams,
) {
  const n = checkTensor("x", x);
  const type = x.data instanceof Uint8Array
    ? "uint8"
    : x.data instanceof Int8Array
    ? "int8"
    : x.data instanceof Int32Array
    ? "int32"
    : undefined;
  if (type === undefined) {
    throw new TypeError(
      `x: expected Uint8Array, Int8Array or Int32Array data, got ${show(x.data)}`,
    );
  }
  checkOnnxOptions(args);
  const plan = channelPlan(
    x.shape,
    args,
    type === "int32" ? "uint8" : type,
    type === "int32" ? "int32" : type,
  );
  return { n, plan };
}

/** The outputs of DynamicQuantizeLinear. */
export interface DynamicQuantizeLinearResult {
  /** uint8 codes. */
  readonly y: Uint8Array;
  /** The float32 scale it chose. */
  readonly scale: number;
  /** The uint8 zero point it chose. */
  readonly zeroPoint: number;
}

/**
 * The scale and zero point DynamicQuantizeLinear chooses (onnxruntime's
 * `GetQuantizationParameter<uint8_t>`): the range `[min(min(x), 0), max(max(x), 0)]`,
 * `scale = (max - min) / 255` in float32 (1 when max == min, where ONNX's formula divides by
 * zero), `zero_point = round_half_even(clamp(0 - min / scale, 0, 255))`. NaN inputs are
 * build-dependent (the min/max reductions of onnxruntime's builds treat NaN differently).
 */
export function dynamicQParams(x: Float32Array): { scale: number; zeroPoint: number } {
  let lo = 0;
  let hi = 0;
  if (x.length > 0) {
    lo = hi = x[0];
    for (let i = 1; i < x.length; i++) {
      lo = x[i] < lo ? x[i] : lo; // std::min(lo, x)
      hi = hi < x[i] ? x[i] : hi; // std::max(hi, x)
    }
  }
  lo = 0 < lo ? 0 : lo;
  hi = hi < 0 ? 0 : hi;
  const scale = hi === lo ? 1 : f32(f32(hi - lo) / 255);
  const initial = f32(0 - f32(lo / scale));
  const clamped = Math.max(0, Math.min(255, initial));
  return { scale, zeroPoint: roundHalfEven(clamped) };
}

/**
 * ONNX DynamicQuantizeLinear (opset 11): chooses uint8 qparams from the data
 * (`dynamicQParams`) and quantizes with them (division by the scale, ties to even).
 * @throws {RangeError} when a non-finite input makes the scale unusable (NaN or ±Infinity).
 */
export function dynamicQuantizeLinear(x: OnnxTensor<Float32Array>): DynamicQuantizeLinearResult {
  const { n, scale, zeroPoint } = prepareDynamic(x);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = quantizeLinearValue(x.data[i], scale, zeroPoint, "uint8");
  return { y, scale, zeroPoint };
}

function prepareDynamic(x: OnnxTensor<Float32Array>) {
  const n = checkTensor("x", x);
  if (!(x.data instanceof Float32Array)) {
    throw new TypeError(`x: expected float32 data, got ${show(x.data)}`);
  }
  const { scale, zeroPoint } = dynamicQParams(x.data);
  if (!Number.isFinite(scale) || !(scale > 0)) {
    throw new RangeError(
      `x: its range gives scale ${show(scale)}; DynamicQuantizeLinear needs finite inputs`,
    );
  }
  return { n, scale, zeroPoint };
}

/**
 * Checks the input of `dynamicQuantizeLinear` without quantizing (it scans the range).
 * @throws {TypeError|RangeError} as `dynamicQuantizeLinear` would.
 */
export function checkDynamicQuantizeLinear(x: OnnxTensor<Float32Array>): void {
  prepareDynamic(x);
}
