/**
 * `torch.ao.nn.quantized.functional.hardsigmoid(x)` (`at::hardsigmoid` of a quantized tensor)
 * bit for bit as PyTorch 1.13 computes it, with the output qparams it fixes, and its float32
 * counterpart `F.hardsigmoid`.
 *
 * - qnnpack engine, quint8 (qhardsigmoid.cpp `qnnpack_hardsigmoid`, qnnpack/src/hardsigmoid.c):
 *   QNNPACK's 256-entry table, output (1/256, 0): `x = f32(float(s)·(i − zp))`,
 *   `h = f32(clamp(f32(x + 3), 0, 6) / 6)` (NaN becomes 0),
 *   `table[i] = lrintf(clamp(f32(256·h + 0), 0, 255))`. PyTorch fails there for a 0-dim tensor, a
 *   scale that is not a normal float32, and a tensor whose rows (dimensions after the first) are
 *   empty; it divides by zero (and crashes) when the first dimension is 0.
 * - every other engine, and qint8 (cpu/kernels/QuantizedOpKernels.cpp `qhardsigmoid_kernel`),
 *   output (1/256, 0) for quint8 and (1/256, −128) for qint8, split as `reference/_aten_unary.ts`
 *   describes: vector lanes `x = fma(s, q, f32(s·−zp))`, scalar tail `x = dequantize_val`, both
 *   `h = f32(min(max(f32(x + 3), 0), 6) / 6)`, quantized with `1.0 / (1/256) = 256`.
 *
 * Kernel note: on each path the output is a pure function of the code, so a 256-entry table
 * (QNNPACK's; ATen's vector lanes; ATen's scalar tail) reproduces it exactly.
 * @module
 */
import { checkOptions, checkZeroPoint, show } from "./_check.ts";
import {
  applyTable,
  atenUnary,
  checkVectorBlock,
  input8,
  usesQnnpack,
  withQParams,
} from "./_aten_unary.ts";
import type { QuantizedDType } from "./dtype.ts";
import type { Engine } from "./engine.ts";
import { clamp, f32, roundHalfEven } from "./float32.ts";
import { type QuantizedTensor, type ScaleZeroPoint, Tensor } from "./tensor.ts";

/** Options of `quantizedHardsigmoid`. */
export interface QuantizedHardsigmoidOptions {
  /** Which engine's numerics to reproduce. */
  engine: Engine;
  /** Elements per vector step of ATen's kernel: 64 (AVX2, default), 128 (AVX-512), 0. */
  vectorBlock?: number;
}

/**
 * The output qparams PyTorch fixes for hardsigmoid: scale 1/256 and zero point 0 for quint8,
 * −128 for qint8.
 */
export function hardsigmoidOutputQParams(dtype: QuantizedDType): ScaleZeroPoint {
  if (dtype === "quint8") return { scale: 1 / 256, zeroPoint: 0 };
  if (dtype === "qint8") return { scale: 1 / 256, zeroPoint: -128 };
  throw new TypeError(`dtype: hardsigmoid of ${show(dtype)} is not reproduced (quint8, qint8)`);
}

/** ATen's float hardsigmoid (and `F.hardsigmoid`): `f32(min(max(f32(x + 3), 0), 6) / 6)`. */
export function hardsigmoidF32(x: number): number {
  return f32(clamp(f32(x + 3), 0, 6) / 6);
}

const MIN_NORMAL_F32 = 2 ** -126;

/**
 * QNNPACK's hardsigmoid table for output (1/256, 0) (see the module).
 * @throws {RangeError} for a zero point outside quint8 or a scale that is not a normal float32
 * (QNNPACK's check).
 */
export function qnnpackHardsigmoidTable(input: ScaleZeroPoint): Uint8Array {
  checkZeroPoint("x zero point", input.zeroPoint, "quint8");
  const s = f32(input.scale);
  if (!(s >= MIN_NORMAL_F32) || !Number.isFinite(s)) {
    throw new RangeError(
      `x scale: QNNPACK's hardsigmoid needs a normal float32 scale (>= 2^-126), got ` +
        `${show(input.scale)}`,
    );
  }
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(s * (i - input.zeroPoint));
    let h = f32(x + 3);
    h = h > 0 ? h : 0; // NaN → 0
    h = h < 6 ? h : 6;
    h = f32(h / 6);
    table[i] = roundHalfEven(clamp(f32(256 * h), 0, 255));
  }
  return table;
}

/** Checks a hardsigmoid of `x` on `engine` (the input, and what QNNPACK refuses). */
export function checkHardsigmoid(x: QuantizedTensor, engine: Engine): void {
  const input = input8("x", x);
  if (usesQnnpack(x, engine)) {
    checkQnnpackShape(x);
    qnnpackHardsigmoidTable(input);
  }
}

function checkQnnpackShape(x: QuantizedTensor): void {
  if (x.shape.length === 0) {
    throw new RangeError(`x: QNNPACK's hardsigmoid refuses a 0-dim tensor`);
  }
  if (x.shape[0] === 0) {
    throw new RangeError(
      `x: shape [${x.shape}]: PyTorch's QNNPACK hardsigmoid divides by the first dimension ` +
        `(0) and crashes; it needs shape[0] >= 1`,
    );
  }
  if (x.size === 0) {
    throw new RangeError(
      `x: shape [${x.shape}] has no elements per row; QNNPACK's hardsigmoid needs at least one`,
    );
  }
}

/**
 * Hardsigmoid of a per-tensor quint8 or qint8 tensor with PyTorch's fixed output qparams
 * (`hardsigmoidOutputQParams`): QNNPACK's table under the qnnpack engine for quint8, else ATen's
 * kernel.
 * @throws {RangeError} where PyTorch fails (see the module) or for a bad vectorBlock.
 */
export function quantizedHardsigmoid(
  x: QuantizedTensor,
  options: QuantizedHardsigmoidOptions,
): QuantizedTensor {
  const input = input8("x", x);
  checkOptions("options", options, "engine, vectorBlock?");
  const output = hardsigmoidOutputQParams(x.dtype);
  const vectorBlock = checkVectorBlock(options.vectorBlock);
  if (usesQnnpack(x, options.engine)) {
    checkQnnpackShape(x);
    return withQParams(x, applyTable(x, qnnpackHardsigmoidTable(input)), output);
  }
  const out = atenUnary(x, {
    input,
    output,
    vectorInverseScale: 256, // `1.0 / 0.00390625f`
    vector: hardsigmoidF32,
    scalar: hardsigmoidF32,
    vectorBlock,
  });
  return withQParams(x, out, output);
}

/** `F.hardsigmoid(x)` on float32 (cpu/Activation.cpp `hardsigmoid_kernel`): `hardsigmoidF32`. */
export function floatHardsigmoid(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`x: expected a Tensor, got ${show(x)}`);
  return new Tensor(x.data.map(hardsigmoidF32), x.shape);
}
