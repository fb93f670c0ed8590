/**
 * A bench `Graph` (ResNet-18, MobileNetV2) as an ONNX QDQ model: the same float weights, the
 * same per-channel symmetric int8 weight codes and the same activation qparams as the int8
 * network this project runs, written as QuantizeLinear/DequantizeLinear pairs around float
 * Conv/Add/MaxPool/GlobalAveragePool/Gemm nodes (NCHW) — the form PyTorch and onnxruntime's
 * quantization tools export, which onnxruntime fuses into QLinearConv, QLinearAdd, … at load.
 * @module
 */
import type { Graph } from "../../bench/models/graph.ts";
import { type FloatModel, quantizeWeight } from "../../bench/models/network.ts";
import type { QParams8 } from "../../kernels/kernel_set.ts";
import { roundHalfEven } from "../../reference/float32.ts";
import { buildModel, type InitializerSpec, type NodeSpec } from "./model.ts";

/** Serializes the QDQ model of `model` with per-node activation qparams `qparams`. */
export function qdqModel(model: FloatModel, qparams: readonly QParams8[]): Uint8Array {
  const graph: Graph = model.graph;
  const nodes: NodeSpec[] = [];
  const inits: InitializerSpec[] = [];
  const scalar = (name: string, type: "float32" | "uint8" | "int32", v: number) => {
    const data = type === "float32"
      ? Float32Array.of(v)
      : type === "uint8"
      ? Uint8Array.of(v)
      : Int32Array.of(v);
    inits.push({ name, type, shape: [], data });
    return name;
  };
  /** Quantize then dequantize a float tensor with node i's output qparams; returns the DQ name. */
  const qdq = (x: string, i: number) => {
    const s = scalar(`s${i}`, "float32", qparams[i].scale);
    const z = scalar(`z${i}`, "uint8", qparams[i].zeroPoint);
    nodes.push({ op: "QuantizeLinear", inputs: [x, s, z], outputs: [`q${i}`] });
    nodes.push({ op: "DequantizeLinear", inputs: [`q${i}`, s, z], outputs: [`v${i}`] });
    return `v${i}`;
  };
  /** The int8 weight and int32 bias of node i, each behind a DequantizeLinear. */
  const weights = (i: number, input: number) => {
    const p = model.params[i]!;
    const q = quantizeWeight(p);
    const wScales = Float32Array.from(q.scales);
    inits.push({ name: `w${i}`, type: "int8", shape: p.shape, data: q.data });
    inits.push({ name: `ws${i}`, type: "float32", shape: [wScales.length], data: wScales });
    inits.push({
      name: `wz${i}`,
      type: "int8",
      shape: [wScales.length],
      data: new Int8Array(wScales.length),
    });
    nodes.push({
      op: "DequantizeLinear",
      inputs: [`w${i}`, `ws${i}`, `wz${i}`],
      outputs: [`wf${i}`],
      attrs: { axis: 0 },
    });
    // The bias quantized with scale x_scale·w_scale (zero point 0), as exporters store it.
    const xs = Math.fround(qparams[input].scale);
    const bScales = Float32Array.from(wScales, (ws) => Math.fround(xs * ws));
    const bias = Int32Array.from(p.bias, (b, c) => roundHalfEven(b / bScales[c]));
    inits.push({ name: `b${i}`, type: "int32", shape: [bias.length], data: bias });
    inits.push({ name: `bs${i}`, type: "float32", shape: [bias.length], data: bScales });
    inits.push({
      name: `bz${i}`,
      type: "int32",
      shape: [bias.length],
      data: new Int32Array(bias.length),
    });
    nodes.push({
      op: "DequantizeLinear",
      inputs: [`b${i}`, `bs${i}`, `bz${i}`],
      outputs: [`bf${i}`],
      attrs: { axis: 0 },
    });
    return [`wf${i}`, `bf${i}`];
  };
  const values: string[] = [];
  graph.nodes.forEach((node, i) => {
    switch (node.op) {
      case "input":
        values.push(qdq("image", 0));
        return;
      case "conv": {
        const [w, b] = weights(i, node.input);
        const pad = node.padding;
        nodes.push({
          op: "Conv",
          inputs: [values[node.input], w, b],
          outputs: [`y${i}`],
          attrs: {
            kernel_shape: [node.kernel, node.kernel],
            strides: [node.stride, node.stride],
            pads: [pad, pad, pad, pad],
            group: node.groups,
          },
        });
        if (node.relu) nodes.push({ op: "Relu", inputs: [`y${i}`], outputs: [`r${i}`] });
        values.push(qdq(node.relu ? `r${i}` : `y${i}`, i));
        return;
      }
      case "add":
        nodes.push({ op: "Add", inputs: [values[node.a], values[node.b]], outputs: [`y${i}`] });
        if (node.relu) nodes.push({ op: "Relu", inputs: [`y${i}`], outputs: [`r${i}`] });
        values.push(qdq(node.relu ? `r${i}` : `y${i}`, i));
        return;
      case "maxpool":
        nodes.push({
          op: "MaxPool",
          inputs: [values[node.input]],
          outputs: [`y${i}`],
          attrs: {
            kernel_shape: [node.kernel, node.kernel],
            strides: [node.stride, node.stride],
            pads: [node.padding, node.padding, node.padding, node.padding],
          },
        });
        values.push(qdq(`y${i}`, i));
        return;
      case "gap":
        nodes.push({ op: "GlobalAveragePool", inputs: [values[node.input]], outputs: [`y${i}`] });
        values.push(qdq(`y${i}`, i));
        return;
      case "linear": {
        nodes.push({ op: "Flatten", inputs: [values[node.input]], outputs: [`f${i}`] });
        const [w, b] = weights(i, node.input);
        nodes.push({
          op: "Gemm",
          inputs: [`f${i}`, w, b],
          outputs: [`y${i}`],
          attrs: { transB: 1 },
        });
        values.push(qdq(`y${i}`, i));
        return;
      }
    }
  });
  const [h, w, c] = model.shapes[0];
  const last = model.shapes[model.shapes.length - 1][2];
  nodes.push({ op: "Identity", inputs: [values[values.length - 1]], outputs: ["logits"] });
  return buildModel({
    nodes,
    inputs: [{ name: "image", type: "float32", shape: [1, c, h, w] }],
    outputs: [{ name: "logits", type: "float32", shape: [1, last] }],
    initializers: inits,
    opsets: [{ domain: "", version: 13 }],
  });
}
