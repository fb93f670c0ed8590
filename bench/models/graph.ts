/**
 * A tiny description of CNN inference graphs (as they look after PyTorch's eager-mode fusion and
 * convert): nodes in topological order, each naming its inputs by index. ResNet-18 and
 * MobileNetV2 are written in it (`resnet18.ts`, `mobilenet_v2.ts`), and `network.ts` runs a
 * graph in int8 on a kernel set or in fp32 on the fp32 baselines.
 * @module
 */
import type { Conv2dGeometry } from "../../reference/quantized_conv2d.ts";
import type { MaxPool2dArgs } from "../../kernels/kernel_set.ts";

/** A conv (+ fused ReLU): `quantized::conv2d[_relu]` after conv-bn-relu fusion. */
export interface ConvNode {
  readonly op: "conv";
  readonly input: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  /** 1, or the input channels for a depthwise conv. */
  readonly groups: number;
  readonly relu: boolean;
}

/** `FloatFunctional.add` / `add_relu` (the residual connection). */
export interface AddNode {
  readonly op: "add";
  readonly a: number;
  readonly b: number;
  readonly relu: boolean;
}

/** `max_pool2d`. */
export interface MaxPoolNode {
  readonly op: "maxpool";
  readonly input: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
}

/** `adaptive_avg_pool2d` to 1×1 (global average pooling). */
export interface GlobalAvgPoolNode {
  readonly op: "gap";
  readonly input: number;
}

/** Flatten + `quantized::linear` (the classifier). */
export interface LinearNode {
  readonly op: "linear";
  readonly input: number;
  readonly outFeatures: number;
}

/** One node; node 0 is the image input. */
export type GraphNode =
  | { readonly op: "input" }
  | ConvNode
  | AddNode
  | MaxPoolNode
  | GlobalAvgPoolNode
  | LinearNode;

/** A whole network: its nodes (the last is the output) and its input size. */
export interface Graph {
  readonly name: string;
  readonly inputChannels: number;
  readonly nodes: readonly GraphNode[];
}

/** A conv node's geometry (square kernel, no dilation). */
export function convGeometry(node: ConvNode): Conv2dGeometry {
  return {
    stride: [node.stride, node.stride],
    padding: [node.padding, node.padding],
    dilation: [1, 1],
    groups: node.groups,
  };
}

/** A max-pool node's arguments (square window, no dilation, floor mode). */
export function maxPoolArgs(node: MaxPoolNode): MaxPool2dArgs {
  return {
    kernelSize: [node.kernel, node.kernel],
    stride: [node.stride, node.stride],
    padding: [node.padding, node.padding],
    dilation: [1, 1],
    ceilMode: false,
  };
}

/** Appends nodes and returns their indices. */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [{ op: "input" }];

  constructor(readonly name: string, readonly inputChannels: number) {}

  /** The image input's index. */
  get input(): number {
    return 0;
  }

  /** A conv with a fused ReLU unless `relu` is false. */
  conv(
    input: number,
    outChannels: number,
    kernel: number,
    options: { stride?: number; groups?: number; relu?: boolean } = {},
  ): number {
    return this.push({
      op: "conv",
      input,
      outChannels,
      kernel,
      stride: options.stride ?? 1,
      padding: kernel >> 1,
      groups: options.groups ?? 1,
      relu: options.relu ?? true,
    });
  }

  /** A residual add. */
  add(a: number, b: number, relu: boolean): number {
    return this.push({ op: "add", a, b, relu });
  }

  /** A max pool. */
  maxPool(input: number, kernel: number, stride: number, padding: number): number {
    return this.push({ op: "maxpool", input, kernel, stride, padding });
  }

  /** Global average pooling. */
  globalAvgPool(input: number): number {
    return this.push({ op: "gap", input });
  }

  /** The classifier. */
  linear(input: number, outFeatures: number): number {
    return this.push({ op: "linear", input, outFeatures });
  }

  /** The finished graph. */
  build(): Graph {
    return { name: this.name, inputChannels: this.inputChannels, nodes: [...this.nodes] };
  }

  private push(node: GraphNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }
}

/** Multiply-accumulates of one inference at `size`×`size` (convs and the classifier). */
export function graphMacs(graph: Graph, size: number): number {
  const shapes = nodeShapes(graph, size);
  let macs = 0;
  graph.nodes.forEach((node, i) => {
    if (node.op === "conv") {
      const [, , cIn] = shapes[node.input];
      const [oh, ow, o] = shapes[i];
      macs += oh * ow * o * node.kernel * node.kernel * (cIn / node.groups);
    } else if (node.op === "linear") {
      const [h, w, c] = shapes[node.input];
      macs += h * w * c * node.outFeatures;
    }
  });
  return macs;
}

/** Each node's output shape `[H, W, C]` (the classifier's is `[1, 1, N]`). */
export function nodeShapes(graph: Graph, size: number): [number, number, number][] {
  const shapes: [number, number, number][] = [];
  const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
  for (const node of graph.nodes) {
    switch (node.op) {
      case "input":
        shapes.push([size, size, graph.inputChannels]);
        break;
      case "conv": {
        const [h, w] = shapes[node.input];
        shapes.push([
          out(h, node.kernel, node.stride, node.padding),
          out(w, node.kernel, node.stride, node.padding),
          node.outChannels,
        ]);
        break;
      }
      case "add":
        shapes.push(shapes[node.a]);
        break;
      case "maxpool": {
        const [h, w, c] = shapes[node.input];
        shapes.push([
          out(h, node.kernel, node.stride, node.padding),
          out(w, node.kernel, node.stride, node.padding),
          c,
        ]);
        break;
      }
      case "gap":
        shapes.push([1, 1, shapes[node.input][2]]);
        break;
      case "linear":
        shapes.push([1, 1, node.outFeatures]);
        break;
    }
  }
  return shapes;
}
