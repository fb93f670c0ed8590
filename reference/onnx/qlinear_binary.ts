/**
 * com.microsoft QLinearAdd and QLinearMul (onnxruntime contrib operators) as onnxruntime's
 * portable C++ kernels compute them (the code its WebAssembly build runs), per element, with
 * NumPy broadcasting:
 *
 *     a' = a_scale * float(a − a_zp);  b' = b_scale * float(b − b_zp)       (float32)
 *     c' = (a' + b') / c_scale   (QLinearMul: (a' · b') / c_scale)          (float32)
 *     c  = (int32) nearbyint(clamp(c', qmin − c_zp, qmax − c_zp) + c_zp)
 *
 * The zero point is added before rounding, so a tie can round differently from
 * `round(c') + c_zp` (ONNX's contrib documentation leaves this open). onnxruntime's SSE2/NEON
 * builds use other arithmetic (fixed-point or fused) and can differ in the last code.
 * @module
 */
import { f32, roundHalfEven } from "../float32.ts";
import { show } from "../_check.ts";
import { broadcastIndices, broadcastShapes } from "./broadcast.ts";
import {
  allocInt8,
  checkOnnxScale,
  checkOnnxZeroPoint,
  checkTensor,
  type Int8Data,
  int8Range,
  int8TypeOf,
  type OnnxTensor,
} from "./types.ts";

/** Per-tensor qparams of QLinearAdd / QLinearMul (zero points default to 0). */
export interface QLinearBinaryArgs {
  readonly aScale: number;
  readonly aZeroPoint?: number;
  readonly bScale: number;
  readonly bZeroPoint?: number;
  readonly cScale: number;
  readonly cZeroPoint?: number;
}

function binary(
  name: string,
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearBinaryArgs,
  combine: (x: number, y: number) => number,
): OnnxTensor<Int8Data> {
  const { type, sa, sb, sc, za, zb, zc, shape } = prepareBinary(name, a, b, args);
  const { min, max } = int8Range(type);
  const ia = broadcastIndices(a.shape, shape);
  const ib = broadcastIndices(b.shape, shape);
  const c = allocInt8(type, ia.length);
  for (let i = 0; i < c.length; i++) {
    const va = f32(sa * (a.data[ia[i]] - za));
    const vb = f32(sb * (b.data[ib[i]] - zb));
    let v = f32(combine(va, vb) / sc);
    v = v < min - zc ? min - zc : v;
    v = max - zc < v ? max - zc : v;
    c[i] = roundHalfEven(f32(v + zc));
  }
  return { data: c, shape };
}

/**
 * Checks the arguments of `qLinearAdd` / `qLinearMul` without computing them.
 * @throws {TypeError|RangeError} naming the bad argument, as they would.
 */
export function checkQLinearBinary(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearBinaryArgs,
): void {
  prepareBinary("QLinearAdd/QLinearMul", a, b, args);
}

function prepareBinary(
  name: string,
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearBinaryArgs,
) {
  checkTensor("a", a);
  checkTensor("b", b);
  const type = int8TypeOf("a", a.data);
  if (int8TypeOf("b", b.data) !== type) {
    throw new TypeError(
      `b: ${name} needs a and b of one type, got ${type} and ${int8TypeOf("b", b.data)}`,
    );
  }
  if (args === null || typeof args !== "object") {
    throw new TypeError(`args: expected qparams, got ${show(args)}`);
  }
  const sa = checkOnnxScale("aScale", args.aScale);
  const sb = checkOnnxScale("bScale", args.bScale);
  const sc = checkOnnxScale("cScale", args.cScale);
  const za = checkOnnxZeroPoint("aZeroPoint", args.aZeroPoint ?? 0, type);
  const zb = checkOnnxZeroPoint("bZeroPoint", args.bZeroPoint ?? 0, type);
  const zc = checkOnnxZeroPoint("cZeroPoint", args.cZeroPoint ?? 0, type);
  const shape = broadcastShapes(a.shape, b.shape, ["a", "b"]);
  return { type, sa, sb, sc, za, zb, zc, shape };
}

/**
 * com.microsoft QLinearAdd: `a + b` of two quantized tensors of one 8-bit type.
 * @throws {RangeError} for shapes that do not broadcast or bad qparams.
 */
export function qLinearAdd(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearBinaryArgs,
): OnnxTensor<Int8Data> {
  return binary("QLinearAdd", a, b, args, (x, y) => f32(x + y));
}

/**
 * com.microsoft QLinearMul: `a · b` of two quantized tensors of one 8-bit type.
 * @throws {RangeError} for shapes that do not broadcast or bad qparams.
 */
export function qLinearMul(
  a: OnnxTensor<Int8Data>,
  b: OnnxTensor<Int8Data>,
  args: QLinearBinaryArgs,
): OnnxTensor<Int8Data> {
  return binary("QLinearMul", a, b, args, (x, y) => f32(x * y));
}
