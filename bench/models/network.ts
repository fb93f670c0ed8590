/**
 * Runs a `Graph` end to end: in fp32 on the fp32 baselines (convs with fused ReLU, wasm adds and
 * pools), and in int8 on a kernel set (quantize at the input, NHWC quint8 through every layer,
 * dequantize at the output), as a PyTorch eager-mode model looks after prepare → calibrate →
 * convert. Weights are random (He-initialised, as after BN folding); activation qparams come
 * from MinMaxObserver on an fp32 calibration pass; weights are quantized per channel
 * (symmetric qint8), as the default qconfigs do.
 * @module
 */
import type { Graph, GraphNode } from "./graph.ts";
import { convGeometry, maxPoolArgs, nodeShapes } from "./graph.ts";
import { randomSource } from "../random.ts";
import type {
  KernelSet,
  NhwcTensor,
  PackedConvWeight,
  PackedLinearWeight,
  QParams8,
} from "../../kernels/kernel_set.ts";
import { Fp32Conv, type PackedFp32Conv } from "../../kernels/fp32_conv.ts";
import { Fp32Linear, type PackedFp32Linear } from "../../kernels/fp32_linear.ts";
import type { Fp32Ops } from "../../kernels/fp32_ops.ts";
import type { KernelRuntime } from "../../kernels/runtime.ts";
import type { Numerics } from "../../reference/engine.ts";
import { MinMaxObserver, PerChannelMinMaxObserver } from "../../reference/observers/mod.ts";
import type { ConvWeight } from "../../reference/quantized_conv2d.ts";
import type { LinearWeight } from "../../reference/quantized_linear.ts";
import { quantizePerChannel } from "../../reference/quantize.ts";
import { Tensor } from "../../reference/tensor.ts";

/** A node's float parameters: OIHW conv weights or `[N, K]` linear weights, and a bias. */
export interface FloatParams {
  readonly weight: Float32Array;
  readonly shape: readonly number[];
  readonly bias: Float32Array;
}

/** A graph with random float weights, ready to run in fp32 or to quantize. */
export class FloatModel {
  /** Per node: its parameters (convs and the classifier only). */
  readonly params: (FloatParams | null)[];
  /** Per node: its output shape `[H, W, C]` at `size`. */
  readonly shapes: [number, number, number][];

  constructor(readonly graph: Graph, readonly size: number, seed = 1) {
    const rand = randomSource(seed);
    const normal = () => (rand() + rand() + rand() + rand() - 2) * 1.7;
    this.shapes = nodeShapes(graph, size);
    this.params = graph.nodes.map((node) => {
      if (node.op === "conv") {
        const cIn = this.shapes[node.input][2];
        const fanIn = (cIn / node.groups) * node.kernel * node.kernel;
        const shape = [node.outChannels, cIn / node.groups, node.kernel, node.kernel];
        const std = Math.sqrt(2 / fanIn);
        return {
          weight: Float32Array.from(
            { length: shape.reduce((a, b) => a * b) },
            () => normal() * std,
          ),
          shape,
          bias: Float32Array.from({ length: node.outChannels }, () => normal() * 0.05),
        };
      }
      if (node.op === "linear") {
        const k = this.shapes[node.input][2];
        const std = Math.sqrt(1 / k);
        return {
          weight: Float32Array.from({ length: node.outFeatures * k }, () => normal() * std),
          shape: [node.outFeatures, k],
          bias: Float32Array.from({ length: node.outFeatures }, () => normal() * 0.05),
        };
      }
      return null;
    });
  }

  /** A deterministic input image, NHWC `[1, size, size, C]`, values in [-2, 2). */
  image(seed = 7): Float32Array {
    const rand = randomSource(seed);
    const [h, w, c] = this.shapes[0];
    return Float32Array.from({ length: h * w * c }, () => rand() * 4 - 2);
  }
}

/** The fp32 network on the fp32 baselines. */
export class Fp32Network {
  private readonly conv: Fp32Conv;
  private readonly linear: Fp32Linear;
  private readonly packed: (PackedFp32Conv | PackedFp32Linear | null)[];

  constructor(
    readonly model: FloatModel,
    runtime: KernelRuntime,
    private readonly ops: Fp32Ops,
  ) {
    this.linear = new Fp32Linear(runtime);
    this.conv = new Fp32Conv(runtime, this.linear);
    this.packed = model.graph.nodes.map((node, i) => {
      const p = model.params[i];
      if (node.op === "conv" && p) {
        const shape = p.shape as [number, number, number, number];
        return this.conv.pack(p.weight, shape, p.bias, convGeometry(node));
      }
      if (node.op === "linear" && p) {
        return this.linear.pack(p.weight, p.shape[0], p.shape[1], p.bias);
      }
      return null;
    });
  }

  /** Runs the network; `observe` sees every node's output (for calibration). */
  forward(image: Float32Array, observe?: (node: number, y: Float32Array) => void): Float32Array {
    const { graph, shapes } = this.model;
    const values: Float32Array[] = [];
    graph.nodes.forEach((node, i) => {
      const y = this.node(node, i, image, values, shapes);
      values.push(y);
      observe?.(i, y);
    });
    return values[values.length - 1];
  }

  private node(
    node: GraphNode,
    i: number,
    image: Float32Array,
    values: Float32Array[],
    shapes: [number, number, number][],
  ): Float32Array {
    const nhwc = (index: number): NhwcTensor<Float32Array> => {
      const [h, w, c] = shapes[index];
      return { data: values[index], shape: [1, h, w, c] };
    };
    switch (node.op) {
      case "input":
        return image;
      case "conv":
        return this.conv.conv2dNhwc(nhwc(node.input), this.packed[i] as PackedFp32Conv, node.relu)
          .data;
      case "add":
        return this.ops.add(values[node.a], values[node.b], node.relu);
      case "maxpool":
        return this.ops.maxPool2dNhwc(nhwc(node.input), maxPoolArgs(node)).data;
      case "gap":
        return this.ops.adaptiveAvgPool2dNhwc(nhwc(node.input), [1, 1]).data;
      case "linear":
        return this.linear.linear(values[node.input], 1, this.packed[i] as PackedFp32Linear);
    }
  }
}

/** Per-node activation qparams from MinMaxObserver over fp32 calibration runs. */
export function calibrate(
  network: Fp32Network,
  images: readonly Float32Array[],
  numerics: Numerics,
): QParams8[] {
  // PyTorch's default static qconfigs: fbgemm/x86 observe with reduce_range, qnnpack without.
  const observers = network.model.graph.nodes.map(() =>
    new MinMaxObserver({ dtype: "quint8", reduceRange: numerics === "fbgemm" })
  );
  for (const image of images) {
    network.forward(image, (i, y) => observers[i].forward(new Tensor(y, [y.length])));
  }
  return observers.map((o) => {
    const q = o.calculateQParams();
    return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
  });
}

/** Per-channel symmetric qint8 codes, scales and zero points of a float weight `[O, …]`. */
export function quantizeWeight(p: FloatParams) {
  const w = new Tensor(p.weight, [...p.shape]);
  const observer = new PerChannelMinMaxObserver({
    dtype: "qint8",
    qscheme: "per_channel_symmetric",
  });
  observer.forward(w);
  const q = observer.calculateQParams();
  const codes = quantizePerChannel(w, {
    scales: q.scale,
    zeroPoints: q.zeroPoint,
    axis: 0,
    dtype: "qint8",
  });
  return {
    data: codes.intRepr as Int8Array,
    scales: Float64Array.from(q.scale),
    zeroPoints: Int32Array.from(q.zeroPoint),
  };
}

/** The int8 network on one kernel set (weights packed once). */
export class Int8Network {
  private readonly packed: (PackedConvWeight | PackedLinearWeight | null)[];

  constructor(
    readonly model: FloatModel,
    readonly kernels: KernelSet,
    /** Per-node output qparams (node 0: the input's). */
    readonly qparams: readonly QParams8[],
  ) {
    this.packed = model.graph.nodes.map((node, i) => {
      const p = model.params[i];
      if (p === null) return null;
      const q = quantizeWeight(p);
      if (node.op === "conv") {
        const weight: ConvWeight = {
          ...q,
          outChannels: node.outChannels,
          inChannelsPerGroup: p.shape[1],
          kernelH: node.kernel,
          kernelW: node.kernel,
          perChannel: true,
          bias: p.bias,
        };
        return kernels.packConv2d(weight, convGeometry(node));
      }
      const weight: LinearWeight = {
        ...q,
        outFeatures: p.shape[0],
        inFeatures: p.shape[1],
        perChannel: true,
        bias: p.bias,
      };
      return kernels.packLinear(weight);
    });
  }

  /** Quantizes the NHWC float image, runs every layer in int8, dequantizes the logits. */
  forward(image: Float32Array): Float32Array {
    const codes = this.forwardCodes(image);
    const out = this.qparams[this.qparams.length - 1];
    return this.kernels.dequantize(codes, { ...out, dtype: "quint8" });
  }

  /** The quint8 codes of every node's output (the last is the logits). */
  forwardAll(image: Float32Array): Uint8Array[] {
    const { graph, shapes } = this.model;
    const values: Uint8Array[] = [];
    const qp = this.qparams;
    const k = this.kernels;
    graph.nodes.forEach((node, i) => {
      const nhwc = (index: number): NhwcTensor => {
        const [h, w, c] = shapes[index];
        return { data: values[index], shape: [1, h, w, c] };
      };
      let y: Uint8Array;
      switch (node.op) {
        case "input":
          y = k.quantize(image, { ...qp[0], dtype: "quint8" }) as Uint8Array;
          break;
        case "conv":
          y = k.conv2dNhwc(nhwc(node.input), this.packed[i] as PackedConvWeight, {
            inputScale: qp[node.input].scale,
            inputZeroPoint: qp[node.input].zeroPoint,
            outputScale: qp[i].scale,
            outputZeroPoint: qp[i].zeroPoint,
            relu: node.relu,
          }).data;
          break;
        case "add":
          y = k.binary("add", values[node.a], values[node.b], {
            a: qp[node.a],
            b: qp[node.b],
            output: qp[i],
            relu: node.relu,
          });
          break;
        case "maxpool":
          y = k.pool2dNhwc(nhwc(node.input), qp[node.input], { kind: "max", ...maxPoolArgs(node) })
            .data;
          break;
        case "gap":
          y = k.pool2dNhwc(nhwc(node.input), qp[node.input], {
            kind: "adaptive_avg",
            outputSize: [1, 1],
          }).data;
          break;
        case "linear":
          y = k.linear(values[node.input], 1, this.packed[i] as PackedLinearWeight, {
            inputScale: qp[node.input].scale,
            inputZeroPoint: qp[node.input].zeroPoint,
            outputScale: qp[i].scale,
            outputZeroPoint: qp[i].zeroPoint,
            relu: false,
          });
          break;
      }
      values.push(y);
    });
    return values;
  }

  /** The logits' quint8 codes. */
  forwardCodes(image: Float32Array): Uint8Array {
    const all = this.forwardAll(image);
    return all[all.length - 1];
  }

  /** Returns the packed weights. */
  free(): void {
    for (const p of this.packed) p?.free();
  }
}

/**
 * Output qparams per node as PyTorch's convert gives them: ops that keep their input's qparams
 * (max pool, global average pool) take the input's; the rest their own observer's.
 */
export function convertedQParams(graph: Graph, observed: readonly QParams8[]): QParams8[] {
  const out: QParams8[] = [];
  graph.nodes.forEach((node, i) => {
    out.push(node.op === "maxpool" || node.op === "gap" ? out[node.input] : observed[i]);
  });
  return out;
}
