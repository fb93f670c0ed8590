/**
 * Golden ops of the `onnx` numerics profile: ONNX's quantization operators (`onnx.<Op>`) and
 * onnxruntime's contrib QLinearAdd/QLinearMul (`com.microsoft.<Op>`), with ONNX's input, output
 * and attribute names. Each op decodes a case once into a call on any `OnnxOps` engine: the
 * scalar reference here (synchronously, as a golden handler), onnxruntime-web in
 * `conformance/peer.ts`.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenTensor } from "../golden_file.ts";
import { toNumbers } from "../golden_file.ts";
import { MalformedCase, type OpHandler, type RunContext, UnsupportedCase } from "../op_handler.ts";
import { type Awaitable, type OnnxOps, referenceOnnxOps } from "../../peers/onnx_ops.ts";
import {
  type Int8Data,
  type OnnxConvAttrs,
  type OnnxInt8Type,
  onnxQuantizeIsBuildDependent,
  type OnnxTensor,
} from "../../reference/onnx/mod.ts";

/** A decoded case: runs it on an engine and returns its outputs by name. */
export type OnnxCall = (ops: OnnxOps) => Awaitable<Record<string, Produced>>;

/** One ONNX golden op: its names and how a case becomes a call. */
export interface OnnxOpSpec {
  readonly op: string;
  readonly attrs: readonly string[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Decodes the case (throws MalformedCase/UnsupportedCase for bad or unknown content). */
  decode(ctx: RunContext): OnnxCall;
}

function then<T, R>(v: Awaitable<T>, f: (t: T) => R): Awaitable<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

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

const INT8 = ["uint8", "int8"];

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

function scalarQParam(ctx: RunContext, name: string, dtypes: readonly string[]): number {
  const v = qparam(ctx.input(name), name, dtypes);
  if (typeof v !== "number") {
    throw new UnsupportedCase(`input "${name}" with more than one value (per-tensor only)`);
  }
  return v;
}

function optionalScalar(ctx: RunContext, name: string, dtypes: readonly string[]) {
  const t = ctx.optionalInput(name);
  return t === undefined ? undefined : scalarQParam(ctx, name, dtypes);
}

function int8Type(t: GoldenTensor | undefined, fallback: OnnxInt8Type): OnnxInt8Type {
  return t === undefined ? fallback : t.dtype === "int8" ? "int8" : "uint8";
}

function tensorOut(t: OnnxTensor, buildDependent?: Uint8Array): Produced {
  return { shape: t.shape, data: t.data, buildDependent };
}

function convAttrs(ctx: RunContext): OnnxConvAttrs {
  const a = ctx.attrs;
  const autoPad = a.optional("auto_pad", a.string, "NOTSET");
  if (!["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].includes(autoPad)) {
    throw new UnsupportedCase(`auto_pad "${autoPad}"`);
  }
  return {
    autoPad: autoPad as OnnxConvAttrs["autoPad"],
    dilations: a.has("dilations") ? a.ints("dilations") : undefined,
    group: a.has("group") ? a.int("group") : undefined,
    kernelShape: a.has("kernel_shape") ? a.ints("kernel_shape") : undefined,
    pads: a.has("pads") ? a.ints("pads") : undefined,
    strides: a.has("strides") ? a.ints("strides") : undefined,
  };
}

const CONV_ATTRS = ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"];

/** Every ONNX golden op. */
export const ONNX_OP_SPECS: readonly OnnxOpSpec[] = [
  {
    op: "onnx.QuantizeLinear",
    attrs: ["axis"],
    inputs: ["x", "y_scale", "y_zero_point"],
    outputs: ["y"],
    decode(ctx) {
      const x = tensorOf<Float32Array>(ctx.input("x"), "x", ["float32"]);
      const zpTensor = ctx.optionalInput("y_zero_point");
      const type = int8Type(zpTensor, "uint8");
      const scale = qparam(ctx.input("y_scale"), "y_scale", ["float32"])!;
      const zeroPoint = qparam(zpTensor, "y_zero_point", INT8);
      const axis = ctx.attrs.optional("axis", ctx.attrs.int, 1);
      let mask: Uint8Array | undefined;
      x.data.forEach((v, i) => {
        if (onnxQuantizeIsBuildDependent(v)) (mask ??= new Uint8Array(x.data.length))[i] = 1;
      });
      return (ops) =>
        then(ops.quantizeLinear(x, { scale, zeroPoint, axis, type }), (y) => ({
          y: tensorOut({ data: y, shape: x.shape }, mask),
        }));
    },
  },
  {
    op: "onnx.DequantizeLinear",
    attrs: ["axis"],
    inputs: ["x", "x_scale", "x_zero_point"],
    outputs: ["y"],
    decode(ctx) {
      const x = tensorOf<Uint8Array | Int8Array | Int32Array>(ctx.input("x"), "x", [
        ...INT8,
        "int32",
      ]);
      const scale = qparam(ctx.input("x_scale"), "x_scale", ["float32"])!;
      const zeroPoint = qparam(ctx.optionalInput("x_zero_point"), "x_zero_point", [
        ...INT8,
        "int32",
      ]);
      const axis = ctx.attrs.optional("axis", ctx.attrs.int, 1);
      return (ops) =>
        then(ops.dequantizeLinear(x, { scale, zeroPoint, axis }), (y) => ({
          y: tensorOut({ data: y, shape: x.shape }),
        }));
    },
  },
  {
    op: "onnx.DynamicQuantizeLinear",
    attrs: [],
    inputs: ["x"],
    outputs: ["y", "y_scale", "y_zero_point"],
    decode(ctx) {
      const x = tensorOf<Float32Array>(ctx.input("x"), "x", ["float32"]);
      // NaN changes the chosen qparams, which then touch every element.
      const nan = x.data.some(Number.isNaN);
      const mask = (n: number) => (nan ? new Uint8Array(n).fill(1) : undefined);
      return (ops) =>
        then(ops.dynamicQuantizeLinear(x), (r) => ({
          y: tensorOut({ data: r.y, shape: x.shape }, mask(r.y.length)),
          y_scale: { shape: [], data: [r.scale], buildDependent: mask(1) },
          y_zero_point: { shape: [], data: [r.zeroPoint], buildDependent: mask(1) },
        }));
    },
  },
  {
    op: "onnx.MatMulInteger",
    attrs: [],
    inputs: ["A", "B", "a_zero_point", "b_zero_point"],
    outputs: ["Y"],
    decode(ctx) {
      const a = tensorOf<Int8Data>(ctx.input("A"), "A", INT8);
      const b = tensorOf<Int8Data>(ctx.input("B"), "B", INT8);
      const aZeroPoint = qparam(ctx.optionalInput("a_zero_point"), "a_zero_point", INT8);
      const bZeroPoint = qparam(ctx.optionalInput("b_zero_point"), "b_zero_point", INT8);
      return (ops) =>
        then(ops.matMulInteger(a, b, { aZeroPoint, bZeroPoint }), (y) => ({ Y: tensorOut(y) }));
    },
  },
  {
    op: "onnx.QLinearMatMul",
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
    decode(ctx) {
      const a = tensorOf<Int8Data>(ctx.input("a"), "a", INT8);
      const b = tensorOf<Int8Data>(ctx.input("b"), "b", INT8);
      const args = {
        aScale: scalarQParam(ctx, "a_scale", ["float32"]),
        aZeroPoint: scalarQParam(ctx, "a_zero_point", INT8),
        bScale: qparam(ctx.input("b_scale"), "b_scale", ["float32"])!,
        bZeroPoint: qparam(ctx.input("b_zero_point"), "b_zero_point", INT8)!,
        yScale: scalarQParam(ctx, "y_scale", ["float32"]),
        yZeroPoint: scalarQParam(ctx, "y_zero_point", INT8),
        yType: int8Type(ctx.input("y_zero_point"), "uint8"),
      };
      return (ops) => then(ops.qLinearMatMul(a, b, args), (y) => ({ y: tensorOut(y) }));
    },
  },
  {
    op: "onnx.ConvInteger",
    attrs: CONV_ATTRS,
    inputs: ["x", "w", "x_zero_point", "w_zero_point"],
    outputs: ["y"],
    decode(ctx) {
      const x = tensorOf<Int8Data>(ctx.input("x"), "x", INT8);
      const w = tensorOf<Int8Data>(ctx.input("w"), "w", INT8);
      const args = {
        ...convAttrs(ctx),
        xZeroPoint: optionalScalar(ctx, "x_zero_point", INT8),
        wZeroPoint: qparam(ctx.optionalInput("w_zero_point"), "w_zero_point", INT8),
      };
      return (ops) => then(ops.convInteger(x, w, args), (y) => ({ y: tensorOut(y) }));
    },
  },
  {
    op: "onnx.QLinearConv",
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
    decode(ctx) {
      const x = tensorOf<Int8Data>(ctx.input("x"), "x", INT8);
      const w = tensorOf<Int8Data>(ctx.input("w"), "w", INT8);
      const bias = ctx.optionalInput("B");
      const args = {
        ...convAttrs(ctx),
        xScale: scalarQParam(ctx, "x_scale", ["float32"]),
        xZeroPoint: scalarQParam(ctx, "x_zero_point", INT8),
        wScale: qparam(ctx.input("w_scale"), "w_scale", ["float32"])!,
        wZeroPoint: qparam(ctx.input("w_zero_point"), "w_zero_point", INT8)!,
        yScale: scalarQParam(ctx, "y_scale", ["float32"]),
        yZeroPoint: scalarQParam(ctx, "y_zero_point", INT8),
        yType: int8Type(ctx.input("y_zero_point"), "uint8"),
        bias: bias === undefined ? null : tensorOf<Int32Array>(bias, "B", ["int32"]).data,
      };
      return (ops) => then(ops.qLinearConv(x, w, args), (y) => ({ y: tensorOut(y) }));
    },
  },
  ...(["Add", "Mul"] as const).map((kind): OnnxOpSpec => ({
    op: `com.microsoft.QLinear${kind}`,
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
    decode(ctx) {
      const a = tensorOf<Int8Data>(ctx.input("A"), "A", INT8);
      const b = tensorOf<Int8Data>(ctx.input("B"), "B", INT8);
      const args = {
        aScale: scalarQParam(ctx, "A_scale", ["float32"]),
        aZeroPoint: optionalScalar(ctx, "A_zero_point", INT8),
        bScale: scalarQParam(ctx, "B_scale", ["float32"]),
        bZeroPoint: optionalScalar(ctx, "B_zero_point", INT8),
        cScale: scalarQParam(ctx, "C_scale", ["float32"]),
        cZeroPoint: optionalScalar(ctx, "C_zero_point", INT8),
      };
      return (ops) =>
        then(kind === "Add" ? ops.qLinearAdd(a, b, args) : ops.qLinearMul(a, b, args), (c) => ({
          C: tensorOut(c),
        }));
    },
  })),
];

/** The ONNX ops as golden handlers on the reference (reference-only: no kernel path). */
export const onnxOps: readonly OpHandler[] = ONNX_OP_SPECS.map((spec) => ({
  op: spec.op,
  attrs: spec.attrs,
  inputs: spec.inputs,
  outputs: spec.outputs,
  run(ctx) {
    const produced = spec.decode(ctx)(referenceOnnxOps);
    if (produced instanceof Promise) throw new Error("the onnx reference answered asynchronously");
    return produced;
  },
}));
