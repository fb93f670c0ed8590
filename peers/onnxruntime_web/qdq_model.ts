/**
 * A converted nn model (the bench's ResNet-18 and MobileNetV2) as an ONNX QDQ model: one forward
 * of the model is traced at its QuantizedOps — the ops it really runs, with their int8 weights,
 * geometry and activation qparams — and written as QuantizeLinear/DequantizeLinear pairs around
 * float Conv/Add/Mul/MaxPool/GlobalAveragePool/Gemm nodes (NCHW): the form PyTorch and
 * onnxruntime's quantization tools export, which onnxruntime fuses into QLinearConv,
 * QLinearAdd, … at load.
 * @module
 */
import type { LinearWeight, StaticLinearParams } from "../../reference/quantized_linear.ts";
import type { ConvWeight } from "../../reference/quantized_conv2d.ts";
import { roundHalfEven } from "../../reference/float32.ts";
import type { Tensor } from "../../reference/tensor.ts";
import type { PackedConvWeight, PackedLinearWeight } from "../../kernels/kernel_set.ts";
import {
  type Module,
  QTensor,
  type QuantizedOps,
  type QuantizedPoolOptions,
} from "../../nn/mod.ts";
import { buildModel, type InitializerSpec, type NodeSpec } from "./model.ts";

/** The QuantizedOps methods the QDQ form covers; any other op the model runs is refused. */
const OTHER_OPS = ["avgPool2d", "cat", "scalar", "unary"] as const;

/**
 * Serializes `model` (converted on `ops`, e.g. `convert(prepared, { kernels: ops })`) as the
 * QDQ graph of its forward on `image` (float NCHW), with input `image` and output `logits`.
 * @throws {RangeError} for an op without a QDQ form here (cat, average pooling, …).
 */
export function qdqModel(model: Module, ops: QuantizedOps, image: Tensor): Uint8Array {
  const builder = new QdqBuilder();
  const restore = trace(ops, builder);
  let logits: Tensor;
  try {
    logits = (model.forward as (x: Tensor) => Tensor).call(model, image);
  } finally {
    restore();
  }
  return buildModel({
    nodes: builder.nodes,
    inputs: [{ name: "image", type: "float32", shape: [...image.shape] }],
    outputs: [{ name: "logits", type: "float32", shape: [...logits.shape] }],
    initializers: builder.inits,
    opsets: [{ domain: "", version: 13 }],
  });
}

/** Wraps the methods of `ops` so that each call adds its nodes; returns the undo. */
function trace(ops: QuantizedOps, b: QdqBuilder): () => void {
  const o = ops as unknown as Record<string, (...args: never[]) => unknown>;
  const wrapped: string[] = [];
  const wrap = <A extends unknown[], R>(
    name: string,
    emit: (args: A, result: R) => void,
  ) => {
    const own = o[name].bind(ops) as (...args: A) => R;
    o[name] = ((...args: A) => {
      const result = own(...args);
      emit(args, result);
      return result;
    }) as never;
    wrapped.push(name);
  };
  wrap<[Tensor, unknown], QTensor>("quantize", (_, y) => b.qdq("image", y));
  wrap<[QTensor, PackedConvWeight, StaticLinearParams], QTensor>("conv2d", ([x, p, params], y) => {
    const { stride, padding, dilation, groups } = p.geometry;
    b.weighted(y, params, {
      op: "Conv",
      input: b.name(x),
      weight: p.weight,
      shape: [
        p.weight.outChannels,
        p.weight.inChannelsPerGroup,
        p.weight.kernelH,
        p.weight.kernelW,
      ],
      attrs: {
        kernel_shape: [p.weight.kernelH, p.weight.kernelW],
        strides: [...stride],
        pads: [padding[0], padding[1], padding[0], padding[1]],
        dilations: [...dilation],
        group: groups,
      },
    });
  });
  wrap<[QTensor, PackedLinearWeight, StaticLinearParams], QTensor>(
    "linear",
    ([x, p, params], y) => {
      if (x.shape.length !== 2) throw new RangeError(`QDQ: linear of a ${x.shape.length}-D input`);
      b.weighted(y, params, {
        op: "Gemm",
        input: b.name(x),
        weight: p.weight,
        shape: [p.weight.outFeatures, p.weight.inFeatures],
        attrs: { transB: 1 },
      });
    },
  );
  wrap<["add" | "mul", QTensor, QTensor, unknown, boolean?], QTensor>(
    "binary",
    ([kind, x1, x2, _out, relu], y) => {
      const op = kind === "add" ? "Add" : "Mul";
      b.float(y, op, [b.name(x1), b.name(x2)], {}, relu ?? false);
    },
  );
  wrap<[QTensor, QuantizedPoolOptions], QTensor>("maxPool2d", ([x, options], y) => {
    const pair = (v: number | readonly number[] | undefined, d: number) =>
      v === undefined ? [d, d] : typeof v === "number" ? [v, v] : [...v];
    const kernel = pair(options.kernelSize, 1);
    const padding = pair(options.padding, 0);
    b.float(y, "MaxPool", [b.name(x)], {
      kernel_shape: kernel,
      strides: options.stride === undefined ? kernel : pair(options.stride, 1),
      pads: [...padding, ...padding],
      dilations: pair(options.dilation, 1),
      ceil_mode: options.ceilMode ? 1 : 0,
    });
  });
  wrap<[QTensor, unknown], QTensor>("adaptiveAvgPool2d", ([x], y) => {
    if (y.shape[2] !== 1 || y.shape[3] !== 1) {
      throw new RangeError(`QDQ: adaptive average pooling to [${y.shape.slice(2)}] (only 1×1)`);
    }
    b.float(y, "GlobalAveragePool", [b.name(x)], {});
  });
  wrap<[QTensor, number?, number?], QTensor>("flatten", ([x, start = 0, end = -1], y) => {
    if (end !== -1 && end !== x.shape.length - 1) {
      throw new RangeError(`QDQ: flatten to dimension ${end} (only to the last)`);
    }
    b.alias(y, "Flatten", b.name(x), { axis: start < 0 ? start + x.shape.length : start });
  });
  wrap<[QTensor], Tensor>("dequantize", ([x]) => b.output(b.name(x)));
  for (const name of OTHER_OPS) {
    o[name] = (() => {
      throw new RangeError(`QDQ: the model runs ${name}, which has no QDQ form here`);
    }) as never;
    wrapped.push(name);
  }
  return () => {
    for (const name of wrapped) delete o[name];
  };
}

/** A weighted op: its input, int8 weight (per tensor or per channel) and node. */
interface WeightedNode {
  readonly op: "Conv" | "Gemm";
  readonly input: string;
  readonly weight: ConvWeight | LinearWeight;
  readonly shape: number[];
  readonly attrs: NodeSpec["attrs"];
}

/** Accumulates nodes and initializers; names each quantized value by the QTensor it is. */
class QdqBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly inits: InitializerSpec[] = [];
  private readonly names = new Map<QTensor, string>();
  private count = 0;

  /** The name of the float (dequantized) value of `x`. */
  name(x: QTensor): string {
    const name = this.names.get(x);
    if (name === undefined) throw new RangeError(`QDQ: a quantized value from outside the trace`);
    return name;
  }

  /** QuantizeLinear → DequantizeLinear of float `x` with `y`'s qparams; `y` names the result. */
  qdq(x: string, y: QTensor): void {
    const i = this.count++;
    const s = this.init(`s${i}`, "float32", [], Float32Array.of(y.scale));
    const z = this.init(`z${i}`, "uint8", [], Uint8Array.of(y.zeroPoint));
    this.nodes.push({ op: "QuantizeLinear", inputs: [x, s, z], outputs: [`q${i}`] });
    this.nodes.push({ op: "DequantizeLinear", inputs: [`q${i}`, s, z], outputs: [`v${i}`] });
    this.names.set(y, `v${i}`);
  }

  /** A float op on dequantized inputs (then a ReLU), requantized to `y`'s qparams. */
  float(y: QTensor, op: string, inputs: string[], attrs: NodeSpec["attrs"], relu = false): void {
    const i = this.count++;
    this.nodes.push({ op, inputs, outputs: [`y${i}`], attrs });
    if (relu) this.nodes.push({ op: "Relu", inputs: [`y${i}`], outputs: [`r${i}`] });
    this.qdq(relu ? `r${i}` : `y${i}`, y);
  }

  /** An op that keeps the codes (a reshape): `y` names its float output directly. */
  alias(y: QTensor, op: string, input: string, attrs: NodeSpec["attrs"]): void {
    const i = this.count++;
    this.nodes.push({ op, inputs: [input], outputs: [`a${i}`], attrs });
    this.names.set(y, `a${i}`);
  }

  /**
   * A Conv or Gemm with its int8 weight and int32 bias (scale x_scale·w_scale, zero point 0, as
   * exporters store it) behind DequantizeLinear nodes, then a ReLU if fused.
   */
  weighted(y: QTensor, params: StaticLinearParams, node: WeightedNode): void {
    const i = this.count++;
    const w = node.weight;
    const channels = node.shape[0];
    const perChannel = w.scales.length > 1;
    const wShape = perChannel ? [channels] : [];
    const wScales = Float32Array.from(w.scales);
    const dq = (q: string, s: string, z: string, out: string) =>
      this.nodes.push({
        op: "DequantizeLinear",
        inputs: [q, s, z],
        outputs: [out],
        attrs: perChannel ? { axis: 0 } : {},
      });
    this.init(`w${i}`, "int8", node.shape, w.data);
    this.init(`ws${i}`, "float32", wShape, wScales);
    this.init(`wz${i}`, "int8", wShape, Int8Array.from(w.zeroPoints));
    dq(`w${i}`, `ws${i}`, `wz${i}`, `wf${i}`);
    const inputs = [node.input, `wf${i}`];
    if (w.bias !== null) {
      const xs = Math.fround(params.inputScale);
      const bScales = Float32Array.from(
        { length: channels },
        (_, c) => Math.fround(xs * wScales[perChannel ? c : 0]),
      );
      const bias = Int32Array.from(w.bias, (v, c) => roundHalfEven(v / bScales[c]));
      this.init(`b${i}`, "int32", [channels], bias);
      this.init(`bs${i}`, "float32", [channels], bScales);
      this.init(`bz${i}`, "int32", [channels], new Int32Array(channels));
      this.nodes.push({
        op: "DequantizeLinear",
        inputs: [`b${i}`, `bs${i}`, `bz${i}`],
        outputs: [`bf${i}`],
        attrs: { axis: 0 },
      });
      inputs.push(`bf${i}`);
    }
    this.float(y, node.op, inputs, node.attrs, params.relu);
  }

  /** The graph output `logits` (the dequantized value `x`). */
  output(x: string): void {
    this.nodes.push({ op: "Identity", inputs: [x], outputs: ["logits"] });
  }

  private init(
    name: string,
    type: InitializerSpec["type"],
    shape: number[],
    data: InitializerSpec["data"],
  ): string {
    this.inits.push({ name, type, shape, data });
    return name;
  }
}
