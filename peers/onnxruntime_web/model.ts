/**
 * Builds ONNX models (serialized `ModelProto`s) at run time from a list of nodes, graph inputs,
 * outputs and initializers: one-node models for conformance, whole QDQ networks for benchmarks.
 * Field numbers follow onnx.proto (IR version 8).
 * @module
 */
import { ProtoWriter } from "./protobuf.ts";

/** Element types the models use, with their `TensorProto.DataType` codes. */
export const ONNX_DATA_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
} as const;

/** An element type name. */
export type OnnxDataType = keyof typeof ONNX_DATA_TYPES;

/** A graph input or output: name, element type and (optionally) its shape. */
export interface ValueSpec {
  readonly name: string;
  readonly type: OnnxDataType;
  /** Omitted: the shape is left for the runtime to infer. */
  readonly shape?: readonly number[];
}

/** A constant tensor stored in the model. */
export interface InitializerSpec {
  readonly name: string;
  readonly type: OnnxDataType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;
}

/** An attribute value: an integer, a list of integers or a string. */
export type AttrValue = number | readonly number[] | string;

/** One node. */
export interface NodeSpec {
  readonly op: string;
  /** `""` (ai.onnx, the default) or `com.microsoft`. */
  readonly domain?: string;
  /** Input names; `""` skips an optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  readonly name?: string;
}

/** A whole model. */
export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly InitializerSpec[];
  /** Opset imports; default ai.onnx 13 and com.microsoft 1. */
  readonly opsets?: readonly { readonly domain: string; readonly version: number }[];
}

const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function valueInfo(v: ValueSpec): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, ONNX_DATA_TYPES[v.type]);
  if (v.shape !== undefined) {
    const shape = new ProtoWriter();
    for (const d of v.shape) shape.message(1, new ProtoWriter().int(1, d));
    tensorType.message(2, shape);
  }
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function attribute(name: string, value: AttrValue): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof value === "string") {
    return a.bytes(4, new TextEncoder().encode(value)).int(20, ATTR_STRING);
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new RangeError(`attribute ${name}: expected an integer, got ${value}`);
    }
    return a.int(3, value).int(20, ATTR_INT);
  }
  return a.packedInts(8, value).int(20, ATTR_INTS);
}

function tensor(t: InitializerSpec): ProtoWriter {
  const w = new ProtoWriter().packedInts(1, t.shape).int(2, ONNX_DATA_TYPES[t.type]).string(
    8,
    t.name,
  );
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return w.bytes(9, bytes);
}

/** Serializes a model. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const graph = new ProtoWriter();
  spec.nodes.forEach((n, i) => {
    const node = new ProtoWriter();
    for (const input of n.inputs) node.string(1, input);
    for (const output of n.outputs) node.string(2, output);
    node.string(3, n.name ?? `${n.op}_${i}`).string(4, n.op);
    for (const [name, value] of Object.entries(n.attrs ?? {})) {
      node.message(5, attribute(name, value));
    }
    if (n.domain) node.string(7, n.domain);
    graph.message(1, node);
  });
  graph.string(2, "qint8");
  for (const init of spec.initializers ?? []) graph.message(5, tensor(init));
  for (const input of spec.inputs) graph.message(11, valueInfo(input));
  for (const output of spec.outputs) graph.message(12, valueInfo(output));
  const opsets = spec.opsets ??
    [{ domain: "", version: 13 }, { domain: "com.microsoft", version: 1 }];
  const model = new ProtoWriter().int(1, 8).string(2, "qint8");
  for (const o of opsets) model.message(8, new ProtoWriter().string(1, o.domain).int(2, o.version));
  return model.message(7, graph).finish();
}
