/**
 * The onnx family: ONNX's quantization operators (`onnx.<Op>`) and onnxruntime's contrib
 * QLinearAdd/QLinearMul (`com.microsoft.<Op>`) as registry ops of the `onnx` numerics profile.
 * Golden cases use ONNX's input, output and attribute names; each op's arguments are one object
 * holding its tensors and the options of its `reference/onnx/` function, and its result is what
 * that function returns. They are engine-independent in PyTorch's sense (the profile is not
 * PyTorch's); no kernel set of ours runs them — other engines do, as kernel modules.
 * @module
 */
import type { Produced } from "../conformance/compare.ts";
import type { GoldenTensor } from "../conformance/golden_file.ts";
import { toNumbers } from "../conformance/golden_file.ts";
import { type CaseReader, MalformedCase, UnsupportedCase } from "../conformance/op_handler.ts";
import { show } from "../reference/_check.ts";
import * as onnx from "../reference/onnx/mod.ts";
import type { Int8Data, OnnxInt8Type, OnnxTensor } from "../reference/onnx/mod.ts";
import type { GoldenCodec, OpDescriptor } from "./op.ts";

/** `onnx.QuantizeLinear`: `x` and QuantizeLinear's options. */
export interface QuantizeLinearOpArgs extends onnx.QuantizeLinearArgs {
  readonly x: OnnxTensor<Float32Array>;
}

/** `onnx.DequantizeLinear`: `x` and its qparams. */
export interface DequantizeLinearOpArgs extends onnx.OnnxQParams {
  readonly x: OnnxTensor<Uint8Array | Int8Array | Int32Array>;
}

/** `onnx.DynamicQuantizeLinear`: `x`. */
export interface DynamicQuantizeLinearOpArgs {
  readonly x: OnnxTensor<Float32Array>;
}

/** `onnx.MatMulInteger`: `a`, `b` and their zero points. */
export interface MatMulIntegerOpArgs extends onnx.MatMulIntegerArgs {
  readonly a: OnnxTensor<Int8Data>;
  readonly b: OnnxTensor<Int8Data>;
}

/** `onnx.QLinearMatMul`: `a`, `b` and the qparams. */
export interface QLinearMatMulOpArgs extends onnx.QLinearMatMulArgs {
  readonly a: OnnxTensor<Int8Data>;
  readonly b: OnnxTensor<Int8Data>;
}

/** `onnx.ConvInteger`: `x`, `w`, the Conv attributes and zero points. */
export interface ConvIntegerOpArgs extends onnx.ConvIntegerArgs {
  readonly x: OnnxTensor<Int8Data>;
  readonly w: OnnxTensor<Int8Data>;
}

/** `onnx.QLinearConv`: `x`, `w`, the Conv attributes, qparams and bias. */
export interface QLinearConvOpArgs extends onnx.QLinearConvArgs {
  readonly x: OnnxTensor<Int8Data>;
  readonly w: OnnxTensor<Int8Data>;
}

/** `com.microsoft.QLinearAdd` / `QLinearMul`: `a`, `b` and the qparams. */
export interface QLinearBinaryOpArgs extends onnx.QLinearBinaryArgs {
  readonly a: OnnxTensor<Int8Data>;
  readonly b: OnnxTensor<Int8Data>;
}

/** An op of the onnx family. */
export interface OnnxOp<A = unknown, R = unknown> extends OpDescriptor<A, R> {
  readonly family: "onnx";
}

const INT8 = ["uint8", "int8"];

function tensorOf<T extends Float32Array | Uint8Array | Int8Array | Int32Array>(
  t: GoldenTensor,
  name: string,
  dtypes: readonly string[],
): OnnxTensor<T> {
  if (!dtypes.includes(t.dtype)) {
    throw new MalformedCase(`input "${name}" must be ${dtypes.join(" or ")}, got ${t.dtype}`);
  }
  return { data: t.data as T, shape: t.shape };
}

/** A scale or zero point: one element (shape [] or [1]) is per tensor, more are per axis. */
function qparam(t: GoldenTensor | undefined, name: string, dtypes: readonly string[]) {
  if (t === undefined) return undefined;
  if (!dtypes.includes(t.dtype)) {
    throw new MalformedCase(`input "${name}" must be ${dtypes.join(" or ")}, got ${t.dtype}`);
  }
  if (t.shape.length > 1) throw new MalformedCase(`input "${name}" must be a scalar or 1-D`);
  const values = toNumbers(t);
  return t.data.length === 1 ? values[0] : values;
}

function scalarQParam(c: CaseReader, name: string, dtypes: readonly string[]): number {
  const v = qparam(c.input(name), name, dtypes);
  if (typeof v !== "number") {
    throw new UnsupportedCase(`input "${name}" with more than one value (per-tensor only)`);
  }
  return v;
}

function optionalScalar(c: CaseReader, name: string, dtypes: readonly string[]) {
  return c.optionalInput(name) === undefined ? undefined : scalarQParam(c, name, dtypes);
}

function int8Type(t: GoldenTensor | undefined, fallback: OnnxInt8Type): OnnxInt8Type {
  return t === undefined ? fallback : t.dtype === "int8" ? "int8" : "uint8";
}

function tensorOut(t: OnnxTensor, buildDependent?: Uint8Array): Produced {
  return { shape: t.shape, data: t.data, buildDependent };
}

function convAttrs(c: CaseReader): onnx.OnnxConvAttrs {
  const a = c.attrs;
  const autoPad = a.optional("auto_pad", a.string, "NOTSET");
  if (!["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].includes(autoPad)) {
    throw new UnsupportedCase(`auto_pad "${autoPad}"`);
  }
  return {
    autoPad: autoPad as onnx.OnnxConvAttrs["autoPad"],
    dilations: a.has("dilations") ? a.ints("dilations") : undefined,
    group: a.has("group") ? a.int("group") : undefined,
    kernelShape: a.has("kernel_shape") ? a.ints("kernel_shape") : undefined,
    pads: a.has("pads") ? a.ints("pads") : undefined,
    strides: a.has("strides") ? a.ints("strides") : undefined,
  };
}

const CONV_ATTRS = ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"];

/** Throws unless the arguments are an object (before any field is read). */
function checkObject(op: string, args: unknown): void {
  if (args === null || typeof args !== "object") {
    throw new TypeError(`${op}: expected an arguments object, got ${show(args)}`);
  }
}

function onnxOp<A, R>(spec: {
  name: string;
  operator: string;
  golden: GoldenCodec<A, R>;
  check(args: A): void;
  reference(args: A): R;
}): OnnxOp<A, R> {
  return {
    name: spec.name,
    family: "onnx",
    pytorch: spec.operator,
    engine: "optional",
    golden: spec.golden,
    check(args) {
      checkObject(spec.name, args);
      spec.check(args);
    },
    reference: (args) => spec.reference(args),
    properties: { params: {}, runsFactor: 0.3 },
  };
}

/** ONNX QuantizeLinear (opset 13): float32 → uint8/int8 by division, ties to even. */
export const quantizeLinear: OnnxOp<QuantizeLinearOpArgs, Int8Data> = onnxOp({
  name: "onnx.QuantizeLinear",
  operator: "ONNX QuantizeLinear (opset 13; not a PyTorch op)",
  check: (a) => onnx.checkQuantizeLinear(a.x, a),
  reference: (a) => onnx.quantizeLinear(a.x, a),
  golden: {
    attrs: ["axis"],
    inputs: ["x", "y_scale", "y_zero_point"],
    outputs: ["y"],
    decode(c) {
      const zpTensor = c.optionalInput("y_zero_point");
      return {
        x: tensorOf<Float32Array>(c.input("x"), "x", ["float32"]),
        scale: qparam(c.input("y_scale"), "y_scale", ["float32"])!,
        zeroPoint: qparam(zpTensor, "y_zero_point", INT8),
        axis: c.attrs.optional("axis", c.attrs.int, 1),
        type: int8Type(zpTensor, "uint8"),
      };
    },
    encode(y, args) {
      // NaN is build-dependent in onnxruntime (its SSE2/NEON kernels give the type's minimum).
      let mask: Uint8Array | undefined;
      args.x.data.forEach((v, i) => {
        if (onnx.onnxQuantizeIsBuildDependent(v)) {
          (mask ??= new Uint8Array(args.x.data.length))[i] = 1;
        }
      });
      return { y: tensorOut({ data: y, shape: args.x.shape }, mask) };
    },
  },
});

/** ONNX DequantizeLinear (opset 13): uint8/int8/int32 → float32. */
export const dequantizeLinear: OnnxOp<DequantizeLinearOpArgs, Float32Array> = onnxOp({
  name: "onnx.DequantizeLinear",
  operator: "ONNX DequantizeLinear (opset 13; not a PyTorch op)",
  check: (a) => onnx.checkDequantizeLinear(a.x, a),
  reference: (a) => onnx.dequantizeLinear(a.x, a),
  golden: {
    attrs: ["axis"],
    inputs: ["x", "x_scale", "x_zero_point"],
    outputs: ["y"],
    decode: (c) => ({
      x: tensorOf<Uint8Array | Int8Array | Int32Array>(c.input("x"), "x", [...INT8, "int32"]),
      scale: qparam(c.input("x_scale"), "x_scale", ["float32"])!,
      zeroPoint: qparam(c.optionalInput("x_zero_point"), "x_zero_point", [...INT8, "int32"]),
      axis: c.attrs.optional("axis", c.attrs.int, 1),
    }),
    encode: (y, args) => ({ y: tensorOut({ data: y, shape: args.x.shape }) }),
  },
});

/** ONNX DynamicQuantizeLinear (opset 11): uint8 codes with qparams chosen from the data. */
export const dynamicQuantizeLinear: OnnxOp<
  DynamicQuantizeLinearOpArgs,
  onnx.DynamicQuantizeLinearResult
> = onnxOp({
  name: "onnx.DynamicQuantizeLinear",
  operator: "ONNX DynamicQuantizeLinear (opset 11; not a PyTorch op)",
  check: (a) => onnx.checkDynamicQuantizeLinear(a.x),
  reference: (a) => onnx.dynamicQuantizeLinear(a.x),
  golden: {
    attrs: [],
    inputs: ["x"],
    outputs: ["y", "y_scale", "y_zero_point"],
    decode: (c) => ({ x: tensorOf<Float32Array>(c.input("x"), "x", ["float32"]) }),
    encode(r, args) {
      // NaN changes the chosen qparams, which then touch every element.
      const nan = args.x.data.some(Number.isNaN);
      const mask = (n: number) => (nan ? new Uint8Array(n).fill(1) : undefined);
      return {
        y: tensorOut({ data: r.y, shape: args.x.shape }, mask(r.y.length)),
        // ONNX's outputs are a float32 scale and a uint8 zero point.
        y_scale: { shape: [], data: Float32Array.of(r.scale), buildDependent: mask(1) },
        y_zero_point: { shape: [], data: Uint8Array.of(r.zeroPoint), buildDependent: mask(1) },
      };
    },
  },
});

/** ONNX MatMulInteger (opset 10): exact int32 products. */
export const matMulInteger: OnnxOp<MatMulIntegerOpArgs, OnnxTensor<Int32Array>> = onnxOp({
  name: "onnx.MatMulInteger",
  operator: "ONNX MatMulInteger (opset 10; not a PyTorch op)",
  check: (a) => onnx.checkMatMulInteger(a.a, a.b, a),
  reference: (a) => onnx.matMulInteger(a.a, a.b, a),
  golden: {
    attrs: [],
    inputs: ["A", "B", "a_zero_point", "b_zero_point"],
    outputs: ["Y"],
    decode: (c) => ({
      a: tensorOf<Int8Data>(c.input("A"), "A", INT8),
      b: tensorOf<Int8Data>(c.input("B"), "B", INT8),
      aZeroPoint: qparam(c.optionalInput("a_zero_point"), "a_zero_point", INT8),
      bZeroPoint: qparam(c.optionalInput("b_zero_point"), "b_zero_point", INT8),
    }),
    encode: (y) => ({ Y: tensorOut(y) }),
  },
});

/** ONNX QLinearMatMul (opset 10): the integer product requantized as onnxruntime does. */
export const qLinearMatMul: OnnxOp<QLinearMatMulOpArgs, OnnxTensor<Int8Data>> = onnxOp({
  name: "onnx.QLinearMatMul",
  operator: "ONNX QLinearMatMul (opset 10; not a PyTorch op)",
  check: (a) => onnx.checkQLinearMatMul(a.a, a.b, a),
  reference: (a) => onnx.qLinearMatMul(a.a, a.b, a),
  golden: {
    attrs: [],
    inputs: [
      "a",
      "a_scale",
      "a_zero_point",
      "b",
      "b_scale",
      "b_zero_point",
      "y_scale",
      "y_zero_point",
    ],
    outputs: ["y"],
    decode: (c) => ({
      a: tensorOf<Int8Data>(c.input("a"), "a", INT8),
      b: tensorOf<Int8Data>(c.input("b"), "b", INT8),
      aScale: scalarQParam(c, "a_scale", ["float32"]),
      aZeroPoint: scalarQParam(c, "a_zero_point", INT8),
      bScale: qparam(c.input("b_scale"), "b_scale", ["float32"])!,
      bZeroPoint: qparam(c.input("b_zero_point"), "b_zero_point", INT8)!,
      yScale: scalarQParam(c, "y_scale", ["float32"]),
      yZeroPoint: scalarQParam(c, "y_zero_point", INT8),
      yType: int8Type(c.input("y_zero_point"), "uint8"),
    }),
    encode: (y) => ({ y: tensorOut(y) }),
  },
});

/** ONNX ConvInteger (opset 10): exact int32 2-D convolution. */
export const convInteger: OnnxOp<ConvIntegerOpArgs, OnnxTensor<Int32Array>> = onnxOp({
  name: "onnx.ConvInteger",
  operator: "ONNX ConvInteger (opset 10; not a PyTorch op)",
  check: (a) => onnx.checkConvInteger(a.x, a.w, a),
  reference: (a) => onnx.convInteger(a.x, a.w, a),
  golden: {
    attrs: CONV_ATTRS,
    inputs: ["x", "w", "x_zero_point", "w_zero_point"],
    outputs: ["y"],
    decode: (c) => ({
      ...convAttrs(c),
      x: tensorOf<Int8Data>(c.input("x"), "x", INT8),
      w: tensorOf<Int8Data>(c.input("w"), "w", INT8),
      xZeroPoint: optionalScalar(c, "x_zero_point", INT8),
      wZeroPoint: qparam(c.optionalInput("w_zero_point"), "w_zero_point", INT8),
    }),
    encode: (y) => ({ y: tensorOut(y) }),
  },
});

/** ONNX QLinearConv (opset 10): 2-D convolution requantized as onnxruntime does. */
export const qLinearConv: OnnxOp<QLinearConvOpArgs, OnnxTensor<Int8Data>> = onnxOp({
  name: "onnx.QLinearConv",
  operator: "ONNX QLinearConv (opset 10; not a PyTorch op)",
  check: (a) => onnx.checkQLinearConv(a.x, a.w, a),
  reference: (a) => onnx.qLinearConv(a.x, a.w, a),
  golden: {
    attrs: CONV_ATTRS,
    inputs: [
      "x",
      "x_scale",
      "x_zero_point",
      "w",
      "w_scale",
      "w_zero_point",
      "y_scale",
      "y_zero_point",
      "B",
    ],
    outputs: ["y"],
    decode(c) {
      const bias = c.optionalInput("B");
      return {
        ...convAttrs(c),
        x: tensorOf<Int8Data>(c.input("x"), "x", INT8),
        w: tensorOf<Int8Data>(c.input("w"), "w", INT8),
        xScale: scalarQParam(c, "x_scale", ["float32"]),
        xZeroPoint: scalarQParam(c, "x_zero_point", INT8),
        wScale: qparam(c.input("w_scale"), "w_scale", ["float32"])!,
        wZeroPoint: qparam(c.input("w_zero_point"), "w_zero_point", INT8)!,
        yScale: scalarQParam(c, "y_scale", ["float32"]),
        yZeroPoint: scalarQParam(c, "y_zero_point", INT8),
        yType: int8Type(c.input("y_zero_point"), "uint8"),
        bias: bias === undefined ? null : tensorOf<Int32Array>(bias, "B", ["int32"]).data,
      };
    },
    encode: (y) => ({ y: tensorOut(y) }),
  },
});

function qLinearBinaryOp(
  kind: "Add" | "Mul",
): OnnxOp<QLinearBinaryOpArgs, OnnxTensor<Int8Data>> {
  const reference = kind === "Add" ? onnx.qLinearAdd : onnx.qLinearMul;
  return onnxOp({
    name: `com.microsoft.QLinear${kind}`,
    operator: `onnxruntime com.microsoft QLinear${kind} (not a PyTorch op)`,
    check: (a) => onnx.checkQLinearBinary(a.a, a.b, a),
    reference: (a) => reference(a.a, a.b, a),
    golden: {
      attrs: [],
      inputs: [
        "A",
        "A_scale",
        "A_zero_point",
        "B",
        "B_scale",
        "B_zero_point",
        "C_scale",
        "C_zero_point",
      ],
      outputs: ["C"],
      decode: (c) => ({
        a: tensorOf<Int8Data>(c.input("A"), "A", INT8),
        b: tensorOf<Int8Data>(c.input("B"), "B", INT8),
        aScale: scalarQParam(c, "A_scale", ["float32"]),
        aZeroPoint: optionalScalar(c, "A_zero_point", INT8),
        bScale: scalarQParam(c, "B_scale", ["float32"]),
        bZeroPoint: optionalScalar(c, "B_zero_point", INT8),
        cScale: scalarQParam(c, "C_scale", ["float32"]),
        cZeroPoint: optionalScalar(c, "C_zero_point", INT8),
      }),
      encode: (y) => ({ C: tensorOut(y) }),
    },
  });
}

/** com.microsoft QLinearAdd (onnxruntime's contrib operator). */
export const qLinearAdd: OnnxOp<QLinearBinaryOpArgs, OnnxTensor<Int8Data>> = qLinearBinaryOp(
  "Add",
);

/** com.microsoft QLinearMul (onnxruntime's contrib operator). */
export const qLinearMul: OnnxOp<QLinearBinaryOpArgs, OnnxTensor<Int8Data>> = qLinearBinaryOp(
  "Mul",
);

/** Every op of the onnx family. */
export const ONNX_OPS = [
  quantizeLinear,
  dequantizeLinear,
  dynamicQuantizeLinear,
  matMulInteger,
  qLinearMatMul,
  convInteger,
  qLinearConv,
  qLinearAdd,
  qLinearMul,
] as const;
