/**
 * onnxruntime-web's variants of the `deno task bench` items (`--peer onnxruntime-web`): the same
 * linear shapes as one QLinearMatMul, the same conv layers as one QLinearConv (NCHW, constant
 * weights so onnxruntime packs them once), each checked bit for bit against the `onnx` profile's
 * reference before timing, and the same whole models as QDQ graphs (`qdq_model.ts`).
 * @module
 */
import * as ort from "onnxruntime-web";
import type { BenchCase } from "../../bench/cases.ts";
import { linearBenchData } from "../../bench/cases.ts";
import { convBenchData } from "../../bench/conv_cases.ts";
import type { ConvShape } from "../../bench/conv_shapes.ts";
import type { Shape } from "../../bench/shapes.ts";
import type { ModelBench } from "../../bench/models/cases.ts";
import { bestKernelSet } from "../../kernels/paths.ts";
import { nhwcToNchw } from "../../kernels/qconv.ts";
import type { KernelRuntime } from "../../kernels/runtime.ts";
import { QuantizedOps } from "../../nn/mod.ts";
import { roundHalfEven } from "../../reference/float32.ts";
import { qLinearConv, qLinearMatMul } from "../../reference/onnx/mod.ts";
import { buildModel, type InitializerSpec } from "./model.ts";
import { qdqModel } from "./qdq_model.ts";

/** The variant name of onnxruntime-web's rows. */
export const PEER_VARIANT = "onnxruntime-web";

async function session(model: Uint8Array): Promise<ort.InferenceSession> {
  return await ort.InferenceSession.create(model, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
}

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      throw new Error(
        `onnxruntime-web ${what} differs from the onnx reference at ${i}: ${got[i]} vs ${want[i]}`,
      );
    }
  }
}

function peerCase(
  s: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  op: BenchCase["op"],
  kernel: string,
): BenchCase {
  return { variant: PEER_VARIANT, op, run: () => s.run(feeds), kernel: () => kernel };
}

/** One QLinearMatMul on the shape's data (per-column int8 weight scales). */
export async function peerLinearCase(shape: Shape): Promise<BenchCase> {
  const { m, k, n } = shape;
  const { weight, fullRange, params } = linearBenchData(shape);
  const b = new Int8Array(k * n);
  for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) b[t * n + j] = weight.data[j * k + t];
  const args = {
    aScale: params.inputScale,
    aZeroPoint: params.inputZeroPoint,
    bScale: Float32Array.from(weight.scales),
    bZeroPoint: new Int8Array(n),
    yScale: params.outputScale,
    yZeroPoint: params.outputZeroPoint,
    yType: "uint8" as const,
  };
  const f = (name: string, v: number): InitializerSpec => ({
    name,
    type: "float32",
    shape: [],
    data: Float32Array.of(v),
  });
  const u = (name: string, v: number): InitializerSpec => ({
    name,
    type: "uint8",
    shape: [],
    data: Uint8Array.of(v),
  });
  const model = buildModel({
    nodes: [{
      op: "QLinearMatMul",
      inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
      outputs: ["y"],
    }],
    inputs: [{ name: "a", type: "uint8", shape: [m, k] }],
    outputs: [{ name: "y", type: "uint8", shape: [m, n] }],
    initializers: [
      f("as", args.aScale),
      u("az", args.aZeroPoint),
      { name: "b", type: "int8", shape: [k, n], data: b },
      { name: "bs", type: "float32", shape: [n], data: args.bScale },
      { name: "bz", type: "int8", shape: [n], data: args.bZeroPoint },
      f("ys", args.yScale),
      u("yz", args.yZeroPoint),
    ],
  });
  const s = await session(model);
  const feeds = { a: new ort.Tensor("uint8", fullRange, [m, k]) };
  const got = (await s.run(feeds)).y.data as Uint8Array;
  assertSame(
    got,
    qLinearMatMul({ data: fullRange, shape: [m, k] }, { data: b, shape: [k, n] }, args).data,
    `QLinearMatMul ${m}x${k}x${n}`,
  );
  return peerCase(s, feeds, "linear", "QLinearMatMul");
}

/** One QLinearConv on the layer's data (NCHW; the int32 bias quantized with x_scale·w_scale). */
export async function peerConvCase(shape: ConvShape): Promise<BenchCase> {
  const { weight, geometry, nhwcShape, fullRange, params } = convBenchData(shape);
  const x = nhwcToNchw({ data: fullRange, shape: nhwcShape });
  const m = weight.outChannels;
  const wScale = Float32Array.from(weight.scales);
  const bias = Int32Array.from(
    weight.bias!,
    (v, c) => roundHalfEven(v / Math.fround(Math.fround(params.inputScale) * wScale[c])),
  );
  const wShape = [m, weight.inChannelsPerGroup, weight.kernelH, weight.kernelW];
  const pads = [geometry.padding[0], geometry.padding[1], geometry.padding[0], geometry.padding[1]];
  const args = {
    strides: [...geometry.stride],
    pads,
    group: geometry.groups,
    xScale: params.inputScale,
    xZeroPoint: params.inputZeroPoint,
    wScale,
    wZeroPoint: new Int8Array(m),
    yScale: params.outputScale,
    yZeroPoint: params.outputZeroPoint,
    yType: "uint8" as const,
    bias,
  };
  const model = buildModel({
    nodes: [{
      op: "QLinearConv",
      inputs: ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "B"],
      outputs: ["y"],
      attrs: { strides: args.strides, pads, group: args.group, kernel_shape: wShape.slice(2) },
    }],
    inputs: [{ name: "x", type: "uint8", shape: x.shape }],
    outputs: [{ name: "y", type: "uint8" }],
    initializers: [
      { name: "xs", type: "float32", shape: [], data: Float32Array.of(args.xScale) },
      { name: "xz", type: "uint8", shape: [], data: Uint8Array.of(args.xZeroPoint) },
      { name: "w", type: "int8", shape: wShape, data: weight.data },
      { name: "ws", type: "float32", shape: [m], data: wScale },
      { name: "wz", type: "int8", shape: [m], data: args.wZeroPoint },
      { name: "ys", type: "float32", shape: [], data: Float32Array.of(args.yScale) },
      { name: "yz", type: "uint8", shape: [], data: Uint8Array.of(args.yZeroPoint) },
      { name: "B", type: "int32", shape: [m], data: bias },
    ],
  });
  const s = await session(model);
  const feeds = { x: new ort.Tensor("uint8", x.data, [...x.shape]) };
  const got = (await s.run(feeds)).y.data as Uint8Array;
  assertSame(
    got,
    qLinearConv({ data: x.data, shape: x.shape }, { data: weight.data, shape: wShape }, args).data,
    `QLinearConv ${shape.model}`,
  );
  return peerCase(s, feeds, "conv2d", shape.groups > 1 ? "QLinearConv (depthwise)" : "QLinearConv");
}

/**
 * The whole model as a QDQ graph of the bench's own converted model (QNNPACK's calibration:
 * full-range quint8 activations, the same weights and activation qparams as its `arm` rows),
 * input image in NCHW; its logits are checked to track the fp32 baseline's.
 */
export async function peerModelCase(bench: ModelBench, runtime: KernelRuntime): Promise<BenchCase> {
  const ops = new QuantizedOps(bestKernelSet("qnnpack", { runtime }));
  const converted = bench.converted(ops);
  const s = await session(qdqModel(converted, ops, bench.image));
  const feeds = { image: new ort.Tensor("float32", bench.image.data, [...bench.image.shape]) };
  const logits = (await s.run(feeds)).logits.data as Float32Array;
  const r = correlation(logits, bench.baseline.forward(bench.image).data);
  if (!(r > 0.9)) {
    throw new Error(
      `onnxruntime-web ${bench.spec.name}: logits correlate ${r.toFixed(3)} with fp32`,
    );
  }
  return peerCase(s, feeds, "model", `QDQ graph (logits ~ fp32: r = ${r.toFixed(3)})`);
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
