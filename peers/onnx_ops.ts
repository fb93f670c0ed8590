/**
 * The ONNX quantization operators as one object: the interface an engine that runs them
 * implements (one method per operator, named as `reference/onnx/` names them), with the
 * numerics profile it declares, and the scalar reference itself as the first such engine.
 * Methods may answer synchronously (the reference) or with a promise (onnxruntime-web).
 * @module
 */
import * as onnx from "../reference/onnx/mod.ts";
import type { Int8Data, OnnxTensor } from "../reference/onnx/mod.ts";

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** An engine running ONNX's quantization operators. */
export interface OnnxOps {
  /** Short name (`reference`, `onnxruntime-web`). */
  readonly name: string;
  /** The numerics it claims: always `onnx` here. */
  readonly numerics: "onnx";
  /** One line: what it is. */
  readonly description: string;

  quantizeLinear(x: OnnxTensor<Float32Array>, args: onnx.QuantizeLinearArgs): Awaitable<Int8Data>;
  dequantizeLinear(
    x: OnnxTensor<Uint8Array | Int8Array | Int32Array>,
    args: onnx.OnnxQParams,
  ): Awaitable<Float32Array>;
  dynamicQuantizeLinear(x: OnnxTensor<Float32Array>): Awaitable<onnx.DynamicQuantizeLinearResult>;
  matMulInteger(
    a: OnnxTensor<Int8Data>,
    b: OnnxTensor<Int8Data>,
    args: onnx.MatMulIntegerArgs,
  ): Awaitable<OnnxTensor<Int32Array>>;
  qLinearMatMul(
    a: OnnxTensor<Int8Data>,
    b: OnnxTensor<Int8Data>,
    args: onnx.QLinearMatMulArgs,
  ): Awaitable<OnnxTensor<Int8Data>>;
  convInteger(
    x: OnnxTensor<Int8Data>,
    w: OnnxTensor<Int8Data>,
    args: onnx.ConvIntegerArgs,
  ): Awaitable<OnnxTensor<Int32Array>>;
  qLinearConv(
    x: OnnxTensor<Int8Data>,
    w: OnnxTensor<Int8Data>,
    args: onnx.QLinearConvArgs,
  ): Awaitable<OnnxTensor<Int8Data>>;
  qLinearAdd(
    a: OnnxTensor<Int8Data>,
    b: OnnxTensor<Int8Data>,
    args: onnx.QLinearBinaryArgs,
  ): Awaitable<OnnxTensor<Int8Data>>;
  qLinearMul(
    a: OnnxTensor<Int8Data>,
    b: OnnxTensor<Int8Data>,
    args: onnx.QLinearBinaryArgs,
  ): Awaitable<OnnxTensor<Int8Data>>;
}

/** The scalar reference of the `onnx` profile (`reference/onnx/`). */
export const referenceOnnxOps: OnnxOps = {
  name: "reference",
  numerics: "onnx",
  description: "the scalar bit-exact reference of the onnx profile",
  quantizeLinear: onnx.quantizeLinear,
  dequantizeLinear: onnx.dequantizeLinear,
  dynamicQuantizeLinear: onnx.dynamicQuantizeLinear,
  matMulInteger: onnx.matMulInteger,
  qLinearMatMul: onnx.qLinearMatMul,
  convInteger: onnx.convInteger,
  qLinearConv: onnx.qLinearConv,
  qLinearAdd: onnx.qLinearAdd,
  qLinearMul: onnx.qLinearMul,
};
