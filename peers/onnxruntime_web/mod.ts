/**
 * onnxruntime-web (npm `onnxruntime-web`, WebAssembly backend) as an engine of the `onnx`
 * numerics profile: one method per op of the registry's onnx family, taking that op's argument
 * object and answering its result (`ops/onnx.ts`); each builds a one-node ONNX model at run time
 * (`model.ts`), runs it in an InferenceSession and returns its output, so conformance checks
 * onnxruntime-web exactly as a user's model would run. `kernelModule()` is it as a kernel module
 * (`kernels.ts` exports that). Threads: onnxruntime-web's own default unless `numThreads` is given.
 * @module
 */
import * as ort from "onnxruntime-web";
import type * as onnx from "../../reference/onnx/mod.ts";
import type { Int8Data, OnnxInt8Type, OnnxTensor } from "../../reference/onnx/mod.ts";
import type {
  ConvIntegerOpArgs,
  DequantizeLinearOpArgs,
  DynamicQuantizeLinearOpArgs,
  MatMulIntegerOpArgs,
  QLinearBinaryOpArgs,
  QLinearConvOpArgs,
  QLinearMatMulOpArgs,
  QuantizeLinearOpArgs,
} from "../../ops/onnx.ts";
import { type KernelModule, NOT_SUPPORTED } from "../../ops/kernel_module.ts";
import { buildModel, type NodeSpec, type OnnxDataType, type ValueSpec } from "./model.ts";

/** Options of `OnnxruntimeWeb.create`. */
export interface OnnxruntimeWebOptions {
  /** `ort.env.wasm.numThreads`; default: onnxruntime-web's own. */
  readonly numThreads?: number;
}

type Feed = OnnxTensor<Float32Array | Uint8Array | Int8Array | Int32Array>;

/** One graph input of a one-node model: an ONNX input name and its tensor (or absent). */
type NodeInput = readonly [
  string,
  Feed | number | ArrayLike<number> | null | undefined,
  OnnxDataType,
];

function dataType(data: ArrayLike<number>): OnnxDataType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int32Array) return "int32";
  throw new TypeError(
    `onnxruntime-web: unsupported input data ${Object.prototype.toString.call(data)}`,
  );
}

/** A scale or zero point: a number becomes a scalar tensor, an array a 1-D tensor. */
function qparamTensor(value: number | ArrayLike<number>, type: OnnxDataType): Feed {
  const values = typeof value === "number" ? [value] : Array.from(value);
  const shape = typeof value === "number" ? [] : [values.length];
  switch (type) {
    case "float32":
      return { data: Float32Array.from(values), shape };
    case "uint8":
      return { data: Uint8Array.from(values), shape };
    case "int8":
      return { data: Int8Array.from(values), shape };
    case "int32":
      return { data: Int32Array.from(values), shape };
    default:
      throw new TypeError(`onnxruntime-web: no qparam tensor of ${type}`);
  }
}

function conv(args: onnx.OnnxConvAttrs): Record<string, number | number[] | string> {
  const attrs: Record<string, number | number[] | string> = {};
  if (args.autoPad !== undefined && args.autoPad !== "NOTSET") attrs.auto_pad = args.autoPad;
  if (args.dilations) attrs.dilations = [...args.dilations];
  if (args.group !== undefined) attrs.group = args.group;
  if (args.kernelShape) attrs.kernel_shape = [...args.kernelShape];
  const explicitPads = args.autoPad === undefined || args.autoPad === "NOTSET";
  if (explicitPads && args.pads) attrs.pads = [...args.pads];
  if (args.strides) attrs.strides = [...args.strides];
  return attrs;
}

/** Rethrows onnxruntime's error; a kernel it lacks (per-channel ConvInteger) as not supported. */
function rethrow(e: Error): never {
  if (/NOT_IMPLEMENTED|Could not find an implementation|not supported/i.test(e.message)) {
    throw new DOMException(e.message.split("\n")[0].slice(0, 300), NOT_SUPPORTED);
  }
  throw e;
}

/** onnxruntime-web's WebAssembly CPU kernels, one method per op of the onnx family. */
export class OnnxruntimeWeb {
  readonly name = "onnxruntime-web";
  readonly numerics = "onnx" as const;
  readonly description: string;

  private constructor() {
    this.description = `onnxruntime-web ${ort.env.versions.web} (wasm backend, ${
      ort.env.wasm.numThreads ?? "default"
    } thread(s)), one-node models built at run time`;
  }

  /** Loads onnxruntime-web's WebAssembly backend. */
  static async create(options: OnnxruntimeWebOptions = {}): Promise<OnnxruntimeWeb> {
    if (options.numThreads !== undefined) {
      if (!Number.isInteger(options.numThreads) || options.numThreads < 1) {
        throw new RangeError(`numThreads: expected an integer >= 1, got ${options.numThreads}`);
      }
      ort.env.wasm.numThreads = options.numThreads;
    }
    ort.env.logLevel = "error";
    // Warm the backend up (loads and compiles the .wasm once).
    const peer = new OnnxruntimeWeb();
    await peer.quantizeLinear({
      x: { data: new Float32Array(1), shape: [1] },
      scale: 1,
      type: "uint8",
    });
    return new OnnxruntimeWeb();
  }

  /** The onnxruntime-web version. */
  get version(): string {
    return ort.env.versions.web ?? "unknown";
  }

  /** Runs one node on its inputs; returns its outputs by name. */
  async runNode(
    node: Omit<NodeSpec, "inputs" | "outputs">,
    inputs: readonly NodeInput[],
    outputs: readonly (readonly [string, OnnxDataType])[],
  ): Promise<Record<string, OnnxTensor<Float32Array | Uint8Array | Int8Array | Int32Array>>> {
    const graphInputs: ValueSpec[] = [];
    const feeds: Record<string, ort.Tensor> = {};
    const names: string[] = [];
    for (const [name, value, type] of inputs) {
      if (value === null || value === undefined) {
        names.push("");
        continue;
      }
      const t: Feed = typeof value === "number" || !("shape" in value)
        ? qparamTensor(value as number | ArrayLike<number>, type)
        : value as Feed;
      const elemType = dataType(t.data);
      graphInputs.push({ name, type: elemType, shape: t.shape });
      feeds[name] = new ort.Tensor(elemType, t.data, [...t.shape]);
      names.push(name);
    }
    // Trailing absent optional inputs are dropped, as ONNX serializers do.
    while (names.length > 0 && names[names.length - 1] === "") names.pop();
    const model = buildModel({
      nodes: [{ ...node, inputs: names, outputs: outputs.map(([n]) => n) }],
      inputs: graphInputs,
      outputs: outputs.map(([name, type]) => ({ name, type })),
    });
    const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"] })
      .catch(rethrow);
    try {
      const result = await session.run(feeds).catch(rethrow);
      const out: Record<string, OnnxTensor<Float32Array | Uint8Array | Int8Array | Int32Array>> =
        {};
      for (const [name] of outputs) {
        const t = result[name];
        out[name] = {
          data: t.data as Float32Array | Uint8Array | Int8Array | Int32Array,
          shape: t.dims.map(Number),
        };
      }
      return out;
    } finally {
      await session.release();
    }
  }

  /** The op as a kernel module of the `onnx` numerics. */
  kernelModule(): KernelModule {
    return {
      name: this.name,
      numerics: this.numerics,
      description: this.description,
      ops: {
        "onnx.QuantizeLinear": (a: QuantizeLinearOpArgs) => this.quantizeLinear(a),
        "onnx.DequantizeLinear": (a: DequantizeLinearOpArgs) => this.dequantizeLinear(a),
        "onnx.DynamicQuantizeLinear": (a: DynamicQuantizeLinearOpArgs) =>
          this.dynamicQuantizeLinear(a),
        "onnx.MatMulInteger": (a: MatMulIntegerOpArgs) => this.matMulInteger(a),
        "onnx.QLinearMatMul": (a: QLinearMatMulOpArgs) => this.qLinearMatMul(a),
        "onnx.ConvInteger": (a: ConvIntegerOpArgs) => this.convInteger(a),
        "onnx.QLinearConv": (a: QLinearConvOpArgs) => this.qLinearConv(a),
        "com.microsoft.QLinearAdd": (a: QLinearBinaryOpArgs) => this.binary("QLinearAdd", a),
        "com.microsoft.QLinearMul": (a: QLinearBinaryOpArgs) => this.binary("QLinearMul", a),
      },
    };
  }

  /** `onnx.QuantizeLinear`. */
  async quantizeLinear(args: QuantizeLinearOpArgs): Promise<Int8Data> {
    const x = args.x;
    const perAxis = typeof args.scale !== "number";
    const { y } = await this.runNode(
      {
        op: "QuantizeLinear",
        attrs: perAxis && args.axis !== undefined ? { axis: args.axis } : {},
      },
      [["x", x, "float32"], ["y_scale", args.scale, "float32"], [
        "y_zero_point",
        args.zeroPoint ??
          (perAxis ? new Array((args.scale as ArrayLike<number>).length).fill(0) : 0),
        args.type,
      ]],
      [["y", args.type]],
    );
    return y.data as Int8Data;
  }

  /** `onnx.DequantizeLinear`. */
  async dequantizeLinear(args: DequantizeLinearOpArgs): Promise<Float32Array> {
    const x = args.x;
    const perAxis = typeof args.scale !== "number";
    const { y } = await this.runNode(
      {
        op: "DequantizeLinear",
        attrs: perAxis && args.axis !== undefined ? { axis: args.axis } : {},
      },
      [["x", x, dataType(x.data)], ["x_scale", args.scale, "float32"], [
        "x_zero_point",
        args.zeroPoint,
        dataType(x.data),
      ]],
      [["y", "float32"]],
    );
    return y.data as Float32Array;
  }

  /** `onnx.DynamicQuantizeLinear`. */
  async dynamicQuantizeLinear(
    args: DynamicQuantizeLinearOpArgs,
  ): Promise<onnx.DynamicQuantizeLinearResult> {
    const out = await this.runNode({ op: "DynamicQuantizeLinear" }, [["x", args.x, "float32"]], [
      ["y", "uint8"],
      ["y_scale", "float32"],
      ["y_zero_point", "uint8"],
    ]);
    return {
      y: out.y.data as Uint8Array,
      scale: out.y_scale.data[0],
      zeroPoint: out.y_zero_point.data[0],
    };
  }

  /** `onnx.MatMulInteger`. */
  async matMulInteger(args: MatMulIntegerOpArgs): Promise<OnnxTensor<Int32Array>> {
    const { a, b } = args;
    const { Y } = await this.runNode({ op: "MatMulInteger" }, [
      ["A", a, dataType(a.data)],
      ["B", b, dataType(b.data)],
      ["a_zero_point", args.aZeroPoint, dataType(a.data)],
      ["b_zero_point", args.bZeroPoint, dataType(b.data)],
    ], [["Y", "int32"]]);
    return Y as OnnxTensor<Int32Array>;
  }

  /** `onnx.QLinearMatMul`. */
  async qLinearMatMul(args: QLinearMatMulOpArgs): Promise<OnnxTensor<Int8Data>> {
    const { a, b } = args;
    const { y } = await this.runNode({ op: "QLinearMatMul" }, [
      ["a", a, dataType(a.data)],
      ["a_scale", args.aScale, "float32"],
      ["a_zero_point", args.aZeroPoint, dataType(a.data)],
      ["b", b, dataType(b.data)],
      ["b_scale", args.bScale, "float32"],
      ["b_zero_point", args.bZeroPoint, dataType(b.data)],
      ["y_scale", args.yScale, "float32"],
      ["y_zero_point", args.yZeroPoint, args.yType],
    ], [["y", args.yType]]);
    return y as OnnxTensor<Int8Data>;
  }

  /** `onnx.ConvInteger`. */
  async convInteger(args: ConvIntegerOpArgs): Promise<OnnxTensor<Int32Array>> {
    const { x, w } = args;
    const { y } = await this.runNode({ op: "ConvInteger", attrs: conv(args) }, [
      ["x", x, dataType(x.data)],
      ["w", w, dataType(w.data)],
      ["x_zero_point", args.xZeroPoint, dataType(x.data)],
      ["w_zero_point", args.wZeroPoint, dataType(w.data)],
    ], [["y", "int32"]]);
    return y as OnnxTensor<Int32Array>;
  }

  /** `onnx.QLinearConv`. */
  async qLinearConv(args: QLinearConvOpArgs): Promise<OnnxTensor<Int8Data>> {
    const { x, w } = args;
    const { y } = await this.runNode({ op: "QLinearConv", attrs: conv(args) }, [
      ["x", x, dataType(x.data)],
      ["x_scale", args.xScale, "float32"],
      ["x_zero_point", args.xZeroPoint, dataType(x.data)],
      ["w", w, dataType(w.data)],
      ["w_scale", args.wScale, "float32"],
      ["w_zero_point", args.wZeroPoint, dataType(w.data)],
      ["y_scale", args.yScale, "float32"],
      ["y_zero_point", args.yZeroPoint, args.yType],
      ["B", args.bias ? { data: args.bias, shape: [args.bias.length] } : null, "int32"],
    ], [["y", args.yType]]);
    return y as OnnxTensor<Int8Data>;
  }

  /** `com.microsoft.QLinearAdd` / `QLinearMul`. */
  async binary(
    op: "QLinearAdd" | "QLinearMul",
    args: QLinearBinaryOpArgs,
  ): Promise<OnnxTensor<Int8Data>> {
    const { a, b } = args;
    const type = dataType(a.data) as OnnxInt8Type;
    const { C } = await this.runNode({ op, domain: "com.microsoft" }, [
      ["A", a, type],
      ["A_scale", args.aScale, "float32"],
      ["A_zero_point", args.aZeroPoint ?? 0, type],
      ["B", b, type],
      ["B_scale", args.bScale, "float32"],
      ["B_zero_point", args.bZeroPoint ?? 0, type],
      ["C_scale", args.cScale, "float32"],
      ["C_zero_point", args.cZeroPoint ?? 0, type],
    ], [["C", type]]);
    return C as OnnxTensor<Int8Data>;
  }
}
