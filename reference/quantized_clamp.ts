/**
 * `torch.clamp(x, min, max)` and `torch.ao.nn.quantized.functional.hardtanh(x, min_val,
 * max_val)` of a quantized tensor bit for bit as PyTorch 1.13 computes them, and their float32
 * counterparts.
 *
 * Both ops are one (qclamp.cpp `clamp_quantized_cpu` / `hardtanh_quantized_cpu` →
 * `quantized_clamp_impl`): the bounds become codes with the scalar `quantize_val` of the input's
 * qparams (`minQ = quantize_val(s, zp, float(min))`, x86-64 semantics: a bound whose `x/s`
 * leaves int64, ±Infinity or NaN becomes the lowest code — so `clamp(x, -1e30, 1e30)` is all
 * qmin), then every code is `min(max(q, minQ), maxQ)`; qparams are unchanged.
 *
 * - qnnpack engine, quint8: QNNPACK's clamp operator (`pytorch_qnnp_create_clamp_nc_u8`), the
 *   same integer clamp, but PyTorch fails when `minQ > maxQ`, for a 0-dim tensor, and when the
 *   product of the dimensions after the first is 0.
 * - every other engine and qint8 (cpu/kernels/QuantizedOpKernels.cpp `qclamp_kernel`): the same
 *   clamp, vector lanes and scalar tail alike; `minQ > maxQ` gives `maxQ` everywhere.
 *
 * Kernel note: a pure function of the code (a 256-entry table, or two integer compares).
 * @module
 */
import { checkOptions, show } from "./_check.ts";
import {
  allocCodes,
  input8,
  quantizeValX86,
  scalarToFloat,
  usesQnnpack,
  withQParams,
} from "./_aten_unary.ts";
import { checkScale, checkZeroPoint } from "./_check.ts";
import { dtypeRange, type QuantizedDType } from "./dtype.ts";
import type { Engine } from "./engine.ts";
import { reciprocalF32 } from "./float32.ts";
import { type QuantizedTensor, type ScaleZeroPoint, Tensor } from "./tensor.ts";

/** The bounds of `torch.clamp` (|bound| <= FLT_MAX, ±Infinity or NaN, as PyTorch accepts). */
export interface ClampBounds {
  /** The lower bound. */
  min: number;
  /** The upper bound. */
  max: number;
}

/** The bounds of `hardtanh` (PyTorch's defaults −1 and 1). */
export interface HardtanhBounds {
  /** The lower bound. */
  minVal: number;
  /** The upper bound. */
  maxVal: number;
}

/** Options of `quantizedClamp`. */
export interface QuantizedClampOptions extends ClampBounds {
  /** Which engine's numerics to reproduce. */
  engine: Engine;
}

/** Options of `quantizedHardtanh`. */
export interface QuantizedHardtanhOptions extends HardtanhBounds {
  /** Which engine's numerics to reproduce. */
  engine: Engine;
}

/** The names a bound is reported under (`min`/`max`, or hardtanh's `minVal`/`maxVal`). */
type BoundNames = readonly [string, string];

/** Options of `clampCodes`. */
export interface ClampCodesOptions extends ClampBounds {
  /** The input's dtype (default quint8). */
  dtype?: QuantizedDType;
}

/**
 * The codes of clamp's bounds for input qparams `input`: `quantize_val` of `float(min)` and
 * `float(max)` as x86-64 computes it (a bound past int64 once divided by the scale, ±Infinity or
 * NaN gives the lowest code). What a clamp kernel clamps the codes to.
 * @throws {RangeError} for a bad scale or zero point, or a bound beyond float.
 */
export function clampCodes(input: ScaleZeroPoint, options: ClampCodesOptions): [number, number] {
  const dtype = options.dtype ?? "quint8";
  checkScale("input scale", input.scale);
  checkZeroPoint("input zero point", input.zeroPoint, dtype);
  return boundCodes(input, [options.min, options.max], ["min", "max"], dtype);
}

function boundCodes(
  input: ScaleZeroPoint,
  bounds: readonly [number, number],
  names: BoundNames,
  dtype: QuantizedDType,
): [number, number] {
  const { min, max } = dtypeRange(dtype);
  const inv = reciprocalF32(input.scale);
  const code = (v: number, name: string) =>
    quantizeValX86(scalarToFloat(name, v), inv, input.zeroPoint, min, max);
  return [code(bounds[0], names[0]), code(bounds[1], names[1])];
}

function checkQnnpackClamp(x: QuantizedTensor, minQ: number, maxQ: number, names: BoundNames) {
  if (x.shape.length === 0) {
    throw new RangeError(`x: QNNPACK's clamp refuses a 0-dim tensor ("Got empty input tensor")`);
  }
  if (x.shape.slice(1).reduce((a, b) => a * b, 1) === 0) {
    throw new RangeError(
      `x: shape [${x.shape}] has no elements per row; QNNPACK's clamp needs at least one`,
    );
  }
  if (minQ > maxQ) {
    throw new RangeError(
      `${names[0]}: its code ${minQ} exceeds the code ${maxQ} of ${names[1]}; QNNPACK's clamp ` +
        `needs ${names[0]} <= ${names[1]} once quantized`,
    );
  }
}

/**
 * Checks a clamp of `x` on `engine` (the input, the bounds, and what QNNPACK refuses) and returns
 * the codes of the bounds: what both the reference and a clamp kernel clamp to.
 * @param names how the bounds are reported: `["min", "max"]` or hardtanh's `["minVal", "maxVal"]`
 */
export function checkedClampCodes(
  x: QuantizedTensor,
  engine: Engine,
  bounds: readonly [number, number],
  names: readonly [string, string],
): [number, number] {
  const input = input8("x", x);
  const [minQ, maxQ] = boundCodes(input, bounds, names, x.dtype);
  if (usesQnnpack(x, engine)) checkQnnpackClamp(x, minQ, maxQ, names);
  return [minQ, maxQ];
}

function clampQuantized(
  x: QuantizedTensor,
  engine: Engine,
  bounds: readonly [number, number],
  names: BoundNames,
): QuantizedTensor {
  const input = input8("x", x);
  const [minQ, maxQ] = checkedClampCodes(x, engine, bounds, names);
  const out = allocCodes(x);
  for (let i = 0; i < x.size; i++) {
    const q = x.intRepr[i];
    out[i] = Math.min(q < minQ ? minQ : q, maxQ);
  }
  return withQParams(x, out, input);
}

/**
 * `torch.clamp(x, min, max)` of a per-tensor quint8 or qint8 tensor (both bounds given).
 * @throws {RangeError} for a bound beyond float, and where QNNPACK fails (see the module).
 */
export function quantizedClamp(
  x: QuantizedTensor,
  options: QuantizedClampOptions,
): QuantizedTensor {
  checkOptions("options", options, "engine, min, max");
  return clampQuantized(x, options.engine, [options.min, options.max], ["min", "max"]);
}

/**
 * `torch.ao.nn.quantized.functional.hardtanh(x, min_val, max_val)`: the same op as
 * `quantizedClamp`.
 * @throws {RangeError} as `quantizedClamp`.
 */
export function quantizedHardtanh(
  x: QuantizedTensor,
  options: QuantizedHardtanhOptions,
): QuantizedTensor {
  checkOptions("options", options, "engine, minVal, maxVal");
  return clampQuantized(x, options.engine, [options.minVal, options.maxVal], ["minVal", "maxVal"]);
}

/**
 * The float clamp of `torch.clamp` / `F.hardtanh` on float32 (cpu/TensorCompareKernel.cpp
 * `clamp_scalar_kernel_impl`): `min(max(x, lo), hi)` returning `x` on ties (so −0 stays −0) and
 * NaN for NaN; `lo > hi` gives `hi`.
 */
export function clampF32(x: number, lo: number, hi: number): number {
  const m = x < lo ? lo : x;
  return hi < m ? hi : m;
}

function clampFloat(x: Tensor, bounds: readonly [number, number], names: BoundNames): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`x: expected a Tensor, got ${show(x)}`);
  const lo = scalarToFloat(names[0], bounds[0]);
  const hi = scalarToFloat(names[1], bounds[1]);
  return new Tensor(x.data.map((v) => clampF32(v, lo, hi)), x.shape);
}

/** `torch.clamp(x, min, max)` on float32 (see `clampF32`). */
export function floatClamp(x: Tensor, bounds: ClampBounds): Tensor {
  checkOptions("bounds", bounds, "min, max");
  return clampFloat(x, [bounds.min, bounds.max], ["min", "max"]);
}

/** `F.hardtanh(x, min_val, max_val)` on float32: the same op as `floatClamp`. */
export function floatHardtanh(x: Tensor, bounds: HardtanhBounds): Tensor {
  checkOptions("bounds", bounds, "minVal, maxVal");
  return clampFloat(x, [bounds.minVal, bounds.maxVal], ["minVal", "maxVal"]);
}
