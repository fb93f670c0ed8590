/**
 * ONNX MatMulInteger and QLinearMatMul: NumPy `matmul` semantics (1-D operands, broadcast batch
 * dimensions) over exact integer products `Σ (a − a_zp)(b − b_zp)` accumulated in int32 (wrapping,
 * as onnxruntime's GEMMs), then, for QLinearMatMul, onnxruntime's requantization
 * (`requantize.ts`).
 * @module
 */
import { show } from "../_check.ts";
import { broadcastIndices, broadcastShapes } from "./broadcast.ts";
import { outputMultipliers, requantizeValue } from "./requantize.ts";
import {
  allocInt8,
  checkOnnxOptions,
  checkOnnxZeroPoint,
  checkTensor,
  type Int8Data,
  int8TypeOf,
  type OnnxInt8Type,
  type OnnxTensor,
  sizeOf,
} from "./types.ts";

/** Zero points of MatMulInteger: `a` per tensor or per row (M), `b` per tensor or per column (N). */
export interface MatMulIntegerArgs {
  /** A number, or one per row of `a`; default 0. */
  readonly aZeroPoint?: number | ArrayLike<number>;
  /** A number, or one per column of `b`; default 0. */
  readonly bZeroPoint?: number | ArrayLike<number>;
}

/** Arguments of QLinearMatMul (`a` per tensor; `b` per tensor or per column). */
export interface QLinearMatMulArgs {
  readonly aScale: number;
  readonly aZeroPoint: number;
  /** A number, or one per column of `b` (N). */
  readonly bScale: number | ArrayLike<number>;
  /** A number, or one per column of `b` (N). */
  readonly bZeroPoint: number | ArrayLike<number>;
  readonly yScale: number;
  readonly yZeroPoint: number;
  /** The output type (ONNX: the type of `y_zero_point`). */
  readonly yType: OnnxInt8Type;
}

interface Plan {
  m: number;
  k: number;
  n: number;
  outShape: number[];
  batches: number;
  aBatch: Int32Array;
  bBatch: Int32Array;
}

function plan(aShape: readonly number[], bShape: readonly number[]): Plan {
  if (aShape.length === 0 || bShape.length === 0) {
    throw new RangeError(`a [${aShape}] and b [${bShape}]: MatMul needs operands of rank >= 1`);
  }
  const a2 = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const b2 = bShape.length === 1 ? [bShape[0], 1] : bShape;
  const [m, k] = a2.slice(-2);
  const [kb, n] = b2.slice(-2);
  if (k !== kb) {
    throw new RangeError(
      `a [${aShape}] and b [${bShape}]: inner dimensions differ (${k} vs ${kb})`,
    );
  }
  const aBatchShape = a2.slice(0, -2);
  const bBatchShape = b2.slice(0, -2);
  const batchShape = broadcastShapes(aBatchShape, bBatchShape, ["a's batch", "b's batch"]);
  const outShape = [...batchShape];
  if (aShape.length > 1) outShape.push(m);
  if (bShape.length > 1) outShape.push(n);
  return {
    m,
    k,
    n,
    outShape,
    batches: sizeOf(batchShape),
    aBatch: broadcastIndices(aBatchShape, batchShape),
    bBatch: broadcastIndices(bBatchShape, batchShape),
  };
}

function zeroPoints(
  name: string,
  zp: number | ArrayLike<number> | undefined,
  count: number,
  type: OnnxInt8Type,
  what: string,
): Int32Array {
  const values = zp === undefined ? [0] : typeof zp === "number" ? [zp] : zp;
  if (values.length !== 1 && values.length !== count) {
    throw new RangeError(`${name}: expected one value or ${count} (${what}), got ${values.length}`);
  }
  return Int32Array.from(
    { length: count },
    (_, i) => checkOnnxZeroPoint(name, values[values.length === 1 ? 0 : i], type),
  );
}

/** The int32 accumulators `Σ (a − a_zp[row])(b − b_zp[col])`, batch by batch. */
function accumulate(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  p: Plan,
  aZp: Int32Array,
  bZp: Int32Array,
  emit: (index: number, acc: number, col: number) => void,
): void {
  const { m, k, n } = p;
  for (let batch = 0; batch < p.batches; batch++) {
    const aBase = p.aBatch[batch] * m * k;
    const bBase = p.bBatch[batch] * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let t = 0; t < k; t++) {
          acc += (a.data[aBase + i * k + t] - aZp[i]) * (b.data[bBase + t * n + j] - bZp[j]);
        }
        emit((batch * m + i) * n + j, acc | 0, j);
      }
    }
  }
}

/**
 * ONNX MatMulInteger (opset 10): uint8/int8 operands → int32, exact (wrapping in int32).
 * @throws {RangeError} for shapes that do not multiply or bad zero points.
 */
export function matMulInteger(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: MatMulIntegerArgs = {},
): OnnxTensor<Int32Array> {
  const { p, aZp, bZp } = prepareMatMulInteger(a, b, args);
  const y = new Int32Array(p.batches * p.m * p.n);
  accumulate(a, b, p, aZp, bZp, (i, acc) => (y[i] = acc));
  return { data: y, shape: p.outShape };
}

/**
 * ONNX QLinearMatMul (opset 10): the integer product requantized with the multiplier
 * `a_scale * b_scale / y_scale` (float32), as onnxruntime computes it.
 * @throws {RangeError} for shapes that do not multiply or bad qparams.
 */
export function qLinearMatMul(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearMatMulArgs,
): OnnxTensor<Int8Data> {
  const { p, aZp, bZp, multipliers, yZp } = prepareQLinearMatMul(a, b, args);
  const y = allocInt8(args.yType, p.batches * p.m * p.n);
  accumulate(a, b, p, aZp, bZp, (i, acc, col) => {
    y[i] = requantizeValue(acc, multipliers[multipliers.length === 1 ? 0 : col], yZp, args.yType);
  });
  return { data: y, shape: p.outShape };
}

function prepareMatMulInteger(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: MatMulIntegerArgs,
) {
  checkTensor("a", a);
  checkTensor("b", b);
  checkOnnxOptions(args);
  const p = plan(a.shape, b.shape);
  const aZp = zeroPoints("aZeroPoint", args.aZeroPoint, p.m, int8TypeOf("a", a.data), "per row");
  const bZp = zeroPoints("bZeroPoint", args.bZeroPoint, p.n, int8TypeOf("b", b.data), "per column");
  return { p, aZp, bZp };
}

/**
 * Checks the arguments of `matMulInteger` without computing it.
 * @throws {TypeError|RangeError} naming the bad argument, as `matMulInteger` would.
 */
export function checkMatMulInteger(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: MatMulIntegerArgs = {},
): void {
  prepareMatMulInteger(a, b, args);
}

/**
 * Checks the arguments of `qLinearMatMul` without computing it.
 * @throws {TypeError|RangeError} naming the bad argument, as `qLinearMatMul` would.
 */
export function checkQLinearMatMul(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearMatMulArgs,
): void {
  prepareQLinearMatMul(a, b, args);
}

function prepareQLinearMatMul(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearMatMulArgs,
) {
  checkTensor("a", a);
  checkTensor("b", b);
  checkOnnxOptions(args);
  if (args.yType !== "uint8" && args.yType !== "int8") {
    throw new RangeError(`yType: expected "uint8" or "int8", got ${show(args.yType)}`);
  }
  const p = plan(a.shape, b.shape);
  const aZp = zeroPoints("aZeroPoint", args.aZeroPoint, p.m, int8TypeOf("a", a.data), "per tensor");
  if (typeof args.aZeroPoint !== "number") {
    throw new RangeError(
      `aZeroPoint: QLinearMatMul takes one zero point for a, got ${show(args.aZeroPoint)}`,
    );
  }
  const bZp = zeroPoints("bZeroPoint", args.bZeroPoint, p.n, int8TypeOf("b", b.data), "per column");
  const bScales = typeof args.bScale === "number" ? [args.bScale] : args.bScale;
  if (bScales.length !== 1 && bScales.length !== p.n) {
    throw new RangeError(
      `bScale: expected one value or ${p.n} (per column), got ${bScales.length}`,
    );
  }
  const multipliers = outputMultipliers(args.aScale, bScales, args.yScale, {
    a: "aScale",
    b: "bScale",
    y: "yScale",
  });
  const yZp = checkOnnxZeroPoint("yZeroPoint", args.yZeroPoint, args.yType);
  return { p, aZp, bZp, multipliers, yZp };
}
