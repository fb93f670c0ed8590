/**
 * Every public function of the reference, called from plain JavaScript with a wrong argument —
 * a `number[]` or a Float64Array where a Tensor belongs, a string where a number or a boolean
 * belongs, a bogus name, no options object — throws a TypeError or RangeError that names the
 * argument; never "Cannot read properties of undefined", never a result.
 *
 * The bad calls are generated from one valid call per function: each positional argument and
 * each field of an options object is replaced in turn by values of the wrong kind for its valid
 * value.
 */
import assert from "node:assert/strict";
import {
  chooseQuantizationParams,
  dequantize,
  fakeQuantizeCachemaskBackward,
  fakeQuantizeLearnablePerChannelAffine,
  fakeQuantizeLearnablePerChannelAffineBackward,
  fakeQuantizeLearnablePerTensorAffine,
  fakeQuantizeLearnablePerTensorAffineBackward,
  fakeQuantizePerChannelAffine,
  fakeQuantizePerChannelAffineBackward,
  fakeQuantizePerTensorAffine,
  fakeQuantizePerTensorAffineBackward,
  learnableGradFactor,
  sumExceptAxisFloat32,
} from "./mod.ts";
import { quantizePerChannel, quantizePerTensor } from "./quantize.ts";
import { QuantizedTensor, Tensor } from "./tensor.ts";
import { linearWeight, quantizedLinear, quantizedLinearDynamic } from "./quantized_linear.ts";
import { conv2dGeometry, convWeight, quantizedConv2d } from "./quantized_conv2d.ts";
import { fuseConvBnWeights, fuseLinearBnWeights } from "./fusion.ts";
import { torchSumFloat32 } from "./torch_sum.ts";
import { calculateQParamsFromMinMax, FLOAT32_EPS } from "./observers/uniform.ts";
import { HistogramObserver } from "./observers/histogram.ts";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "./observers/min_max.ts";
import { PerChannelMinMaxObserver } from "./observers/per_channel_min_max.ts";
import { FakeQuantize, FusedMovingAvgObsFakeQuantize } from "./fake_quantize_module.ts";
import {
  quantizedAdd,
  quantizedAddScalar,
  quantizedCat,
  quantizedMul,
} from "./quantized_elementwise.ts";
import {
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "./quantized_pool.ts";
import { floatLeakyRelu, quantizedLeakyRelu } from "./quantized_leaky_relu.ts";
import { floatClamp, quantizedClamp, quantizedHardtanh } from "./quantized_clamp.ts";
import { floatElu, quantizedElu } from "./quantized_elu.ts";
import { floatHardsigmoid, quantizedHardsigmoid } from "./quantized_hardsigmoid.ts";
import { quantizedBatchNorm2d } from "./quantized_batch_norm.ts";
import {
  embeddingWeight,
  quantizedEmbedding,
  quantizedEmbeddingBag,
  quantizeEmbeddingWeight,
} from "./quantized_embedding.ts";
import { quantizedRnnDynamic, quantizeDynamicWeight } from "./quantized_rnn.ts";
import { dequantizeLinear, dynamicQuantizeLinear, quantizeLinear } from "./onnx/mod.ts";
import {
  quantizedHardswish,
  quantizedRelu,
  quantizedSigmoid,
  quantizedTanh,
} from "./quantized_activation.ts";

/** One public function: a valid call and what may be absent. */
interface Entry {
  readonly name: string;
  /** The positional argument names, as the function's documentation names them. */
  readonly params: readonly string[];
  /** Fresh valid arguments. */
  readonly args: () => unknown[];
  // deno-lint-ignore no-explicit-any
  readonly call: (...args: any[]) => unknown;
  /** Arguments and option fields that may be undefined (optional) or null (meaning "none"). */
  readonly optional?: readonly string[];
  readonly nullable?: readonly string[];
}

const x23 = () => Tensor.from([0.5, -1, 2, 0.25, 1.5, -0.5], [2, 3]);
const q8 = (t: Tensor, zeroPoint = 10) =>
  quantizePerTensor(t, { scale: 0.1, zeroPoint, dtype: "quint8" });
const nchw = () => q8(Tensor.from(Array.from({ length: 16 }, (_, i) => i / 8), [1, 1, 4, 4]));
const weight23 = () =>
  quantizePerChannel(x23(), { scales: [0.1, 0.2], zeroPoints: [0, 0], axis: 0, dtype: "qint8" });
const linear23 = () => linearWeight(weight23(), Tensor.from([0.1, 0.2]));
const convW = () =>
  quantizePerTensor(Tensor.from([1, 0, 0, 1, 1, 0, 0, -1], [2, 1, 2, 2]), {
    scale: 0.5,
    zeroPoint: 0,
    dtype: "qint8",
  });
const perTensorFq = () => ({ scale: 0.1, zeroPoint: 3, quantMin: 0, quantMax: 255 });
const perChannelFq = () => ({
  scales: [0.1, 0.2],
  zeroPoints: [0, 1],
  axis: 0,
  quantMin: 0,
  quantMax: 255,
});
const lsqTensor = () => ({ ...perTensorFq(), gradFactor: 0.5 });
const lsqChannel = () => ({ ...perChannelFq(), gradFactor: 0.5 });
const bn = () => ({ bnRm: Tensor.from([0, 1]), bnRv: Tensor.from([1, 2]), bnEps: 1e-5 });

const ENTRIES: readonly Entry[] = [
  {
    name: "new Tensor",
    params: ["data", "shape"],
    args: () => [new Float32Array(6), [2, 3]],
    call: (d, s) => new Tensor(d, s),
    optional: ["shape"],
  },
  {
    name: "Tensor.from",
    params: ["values", "shape"],
    args: () => [[1, 2, 3, 4], [2, 2]],
    call: (v, s) => Tensor.from(v, s),
    optional: ["shape"],
    nullable: ["shape"],
  },
  {
    name: "new QuantizedTensor",
    params: ["intRepr", "shape", "dtype", "qparams"],
    args: () => [new Uint8Array(6), [2, 3], "quint8", {
      qscheme: "per_tensor_affine",
      scale: 0.1,
      zeroPoint: 3,
    }],
    call: (r, s, d, q) => new QuantizedTensor(r, s, d, q),
  },
  {
    name: "new QuantizedTensor (per channel)",
    params: ["intRepr", "shape", "dtype", "qparams"],
    args: () => [new Int8Array(6), [2, 3], "qint8", {
      qscheme: "per_channel_affine",
      scales: Float64Array.of(0.1, 0.2),
      zeroPoints: Float64Array.of(0, 1),
      axis: 0,
    }],
    call: (r, s, d, q) => new QuantizedTensor(r, s, d, q),
  },
  {
    name: "quantizePerTensor",
    params: ["x", "options"],
    args: () => [x23(), { scale: 0.1, zeroPoint: 3, dtype: "quint8" }],
    call: quantizePerTensor,
  },
  {
    name: "quantizePerChannel",
    params: ["x", "options"],
    args: () => [x23(), {
      scales: [0.1, 0.2],
      zeroPoints: [0, 1],
      axis: 0,
      dtype: "qint8",
      floatQParams: false,
    }],
    call: quantizePerChannel,
    optional: ["floatQParams"],
  },
  { name: "dequantize", params: ["q"], args: () => [q8(x23())], call: dequantize },
  {
    name: "fakeQuantizePerTensorAffine",
    params: ["x", "options"],
    args: () => [x23(), perTensorFq()],
    call: fakeQuantizePerTensorAffine,
  },
  {
    name: "fakeQuantizePerTensorAffineBackward",
    params: ["dy", "x", "options"],
    args: () => [x23(), x23(), perTensorFq()],
    call: fakeQuantizePerTensorAffineBackward,
  },
  {
    name: "fakeQuantizePerChannelAffine",
    params: ["x", "options"],
    args: () => [x23(), { ...perChannelFq(), floatZeroPoints: false }],
    call: fakeQuantizePerChannelAffine,
    optional: ["floatZeroPoints"],
  },
  {
    name: "fakeQuantizePerChannelAffineBackward",
    params: ["dy", "x", "options"],
    args: () => [x23(), x23(), perChannelFq()],
    call: fakeQuantizePerChannelAffineBackward,
  },
  {
    name: "fakeQuantizeCachemaskBackward",
    params: ["dy", "mask"],
    args: () => [x23(), new Uint8Array(6)],
    call: fakeQuantizeCachemaskBackward,
  },
  {
    name: "fakeQuantizeLearnablePerTensorAffine",
    params: ["x", "options"],
    args: () => [x23(), lsqTensor()],
    call: fakeQuantizeLearnablePerTensorAffine,
    optional: ["gradFactor"],
  },
  {
    name: "fakeQuantizeLearnablePerTensorAffineBackward",
    params: ["dy", "x", "options"],
    args: () => [x23(), x23(), lsqTensor()],
    call: fakeQuantizeLearnablePerTensorAffineBackward,
    optional: ["gradFactor"],
  },
  {
    name: "fakeQuantizeLearnablePerChannelAffine",
    params: ["x", "options"],
    args: () => [x23(), lsqChannel()],
    call: fakeQuantizeLearnablePerChannelAffine,
    optional: ["gradFactor"],
  },
  {
    name: "fakeQuantizeLearnablePerChannelAffineBackward",
    params: ["dy", "x", "options"],
    args: () => [x23(), x23(), lsqChannel()],
    call: fakeQuantizeLearnablePerChannelAffineBackward,
    optional: ["gradFactor"],
  },
  {
    name: "learnableGradFactor",
    params: ["numel", "quantMax", "useGradScaling"],
    args: () => [6, 255, true],
    call: learnableGradFactor,
    optional: ["useGradScaling"],
  },
  {
    name: "sumExceptAxisFloat32",
    params: ["data", "shape", "axis"],
    args: () => [new Float32Array(6), [2, 3], 1],
    call: sumExceptAxisFloat32,
  },
  {
    name: "torchSumFloat32",
    params: ["x"],
    args: () => [Float32Array.of(1, 2)],
    call: torchSumFloat32,
  },
  {
    name: "chooseQuantizationParams",
    params: ["min", "max", "options"],
    args: () => [-1, 2, {
      qmin: 0,
      qmax: 255,
      preserveSparsity: false,
      reduceRange: false,
      variant: "quant_utils",
    }],
    call: chooseQuantizationParams,
    optional: ["preserveSparsity", "reduceRange", "variant"],
  },
  {
    name: "calculateQParamsFromMinMax",
    params: ["minVal", "maxVal", "rule"],
    args: () => [-1, 1, {
      dtype: "quint8",
      qscheme: "per_tensor_affine",
      quantMin: 0,
      quantMax: 255,
      eps: FLOAT32_EPS,
      hasCustomizedQRange: false,
    }],
    call: calculateQParamsFromMinMax,
  },
  {
    name: "linearWeight",
    params: ["w", "bias"],
    args: () => [weight23(), Tensor.from([0.1, 0.2])],
    call: linearWeight,
    optional: ["bias"],
    nullable: ["bias"],
  },
  {
    name: "quantizedLinear",
    params: ["x", "weight", "options"],
    args: () => [q8(Tensor.from([1, 2, 3], [1, 3])), linear23(), {
      engine: "fbgemm",
      outputScale: 0.1,
      outputZeroPoint: 5,
      relu: false,
    }],
    call: quantizedLinear,
    optional: ["relu"],
    nullable: ["bias"],
  },
  {
    name: "quantizedLinearDynamic",
    params: ["x", "weight", "options"],
    args: () => [Tensor.from([1, 2, 3], [1, 3]), linear23(), {
      engine: "qnnpack",
      reduceRange: false,
      relu: false,
    }],
    call: quantizedLinearDynamic,
    optional: ["reduceRange", "relu"],
    nullable: ["bias"],
  },
  {
    name: "convWeight",
    params: ["w", "bias"],
    args: () => [convW(), Tensor.from([1, 2])],
    call: convWeight,
    optional: ["bias"],
    nullable: ["bias"],
  },
  {
    name: "conv2dGeometry",
    params: ["options"],
    args: () => [{ stride: 1, padding: 0, dilation: 1, groups: 1 }],
    call: conv2dGeometry,
    optional: ["stride", "padding", "dilation", "groups"],
  },
  {
    name: "quantizedConv2d",
    params: ["x", "weight", "options"],
    args: () => [nchw(), convWeight(convW()), {
      engine: "qnnpack",
      outputScale: 0.1,
      outputZeroPoint: 5,
      stride: 1,
      padding: 0,
      dilation: 1,
      groups: 1,
      relu: false,
    }],
    call: quantizedConv2d,
    optional: ["stride", "padding", "dilation", "groups", "relu"],
    nullable: ["bias"],
  },
  {
    name: "fuseConvBnWeights",
    params: ["convW", "convB", "options"],
    args: () => [Tensor.from([1, 2], [2, 1]), Tensor.from([0, 1]), {
      ...bn(),
      bnW: Tensor.from([1, 1]),
      bnB: Tensor.from([0, 0]),
      transpose: false,
    }],
    call: fuseConvBnWeights,
    optional: ["transpose"],
    nullable: ["convB", "bnW", "bnB"],
  },
  {
    name: "fuseLinearBnWeights",
    params: ["linearW", "linearB", "options"],
    args: () => [Tensor.from([1, 2], [2, 1]), Tensor.from([0, 1]), {
      ...bn(),
      bnW: Tensor.from([1, 1]),
      bnB: Tensor.from([0, 0]),
    }],
    call: fuseLinearBnWeights,
    nullable: ["linearB"],
  },
  ...[MinMaxObserver, MovingAverageMinMaxObserver, HistogramObserver, PerChannelMinMaxObserver]
    .map((Observer): Entry => ({
      name: `${Observer.className}.forward`,
      params: ["x"],
      args: () => [x23()],
      call: (x) => new Observer().forward(x),
    })),
  ...[FakeQuantize, FusedMovingAvgObsFakeQuantize].map((Module): Entry => ({
    name: `${Module.className}.forward`,
    params: ["x"],
    args: () => [x23()],
    call: (x) => new Module().forward(x),
  })),
  {
    name: "new FakeQuantize",
    params: ["options"],
    args: () => [{ quantMin: 0, quantMax: 255 }],
    call: (o) => new FakeQuantize(o),
    optional: ["options", "quantMin", "quantMax"],
    nullable: ["quantMin", "quantMax"],
  },
  {
    name: "quantizedAdd",
    params: ["a", "b", "options"],
    args:
      () => [q8(x23()), q8(x23(), 3), { engine: "qnnpack", outputScale: 0.2, outputZeroPoint: 1 }],
    call: quantizedAdd,
  },
  {
    name: "quantizedMul",
    params: ["a", "b", "options"],
    args: () => [q8(x23()), q8(x23(), 3), { engine: "x86", outputScale: 0.2, outputZeroPoint: 1 }],
    call: quantizedMul,
  },
  {
    name: "quantizedAddScalar",
    params: ["q", "c"],
    args: () => [q8(x23()), 0.5],
    call: quantizedAddScalar,
  },
  {
    name: "quantizedCat",
    params: ["xs", "options"],
    args: () => [[q8(x23()), q8(x23())], { dim: 0, outputScale: 0.1, outputZeroPoint: 3 }],
    call: quantizedCat,
  },
  {
    name: "quantizedMaxPool2d",
    params: ["x", "options"],
    args: () => [nchw(), { engine: "qnnpack", kernelSize: 2, ceilMode: false }],
    call: quantizedMaxPool2d,
    optional: ["ceilMode"],
  },
  {
    name: "quantizedAvgPool2d",
    params: ["x", "options"],
    args: () => [nchw(), { engine: "x86", kernelSize: 2, countIncludePad: true }],
    call: quantizedAvgPool2d,
    optional: ["countIncludePad"],
  },
  {
    name: "quantizedAdaptiveAvgPool2d",
    params: ["x", "options"],
    args: () => [nchw(), { engine: "x86", outputSize: 2 }],
    call: quantizedAdaptiveAvgPool2d,
  },
  { name: "quantizedRelu", params: ["x"], args: () => [q8(x23())], call: quantizedRelu },
  {
    name: "quantizedHardswish",
    params: ["x", "options"],
    args: () => [q8(x23()), { engine: "qnnpack", outputScale: 0.1, outputZeroPoint: 3 }],
    call: quantizedHardswish,
  },
  {
    name: "quantizedSigmoid",
    params: ["x", "options"],
    args: () => [q8(x23()), { engine: "x86" }],
    call: quantizedSigmoid,
  },
  {
    name: "quantizedTanh",
    params: ["x", "options"],
    args: () => [q8(x23()), { engine: "qnnpack" }],
    call: quantizedTanh,
  },
];

/** The ops added with the op registry, embeddings, recurrent layers and the onnx profile. */
const MORE_ENTRIES: readonly Entry[] = [
  {
    name: "quantizedLeakyRelu",
    params: ["x", "options"],
    args: () => [q8(x23()), { negativeSlope: 0.1, outputScale: 0.1, outputZeroPoint: 3 }],
    call: quantizedLeakyRelu,
  },
  {
    name: "quantizedClamp",
    params: ["x", "options"],
    args: () => [q8(x23()), { engine: "qnnpack", min: -0.5, max: 1 }],
    call: quantizedClamp,
  },
  {
    name: "quantizedHardtanh",
    params: ["x", "options"],
    args: () => [q8(x23()), { engine: "x86", minVal: -0.5, maxVal: 1 }],
    call: quantizedHardtanh,
  },
  {
    name: "quantizedElu",
    params: ["x", "options"],
    args: () => [q8(x23()), { alpha: 1, outputScale: 0.1, outputZeroPoint: 3 }],
    call: quantizedElu,
  },
  {
    name: "quantizedHardsigmoid",
    params: ["x", "options"],
    args: () => [q8(x23()), { engine: "x86" }],
    call: quantizedHardsigmoid,
  },
  {
    name: "quantizedBatchNorm2d",
    params: ["x", "options"],
    args: () => [nchw(), {
      weight: Float32Array.of(1),
      bias: Float32Array.of(0),
      mean: Float32Array.of(0.5),
      var: Float32Array.of(2),
      eps: 1e-5,
      outputScale: 0.1,
      outputZeroPoint: 3,
      relu: false,
    }],
    call: quantizedBatchNorm2d,
    optional: ["relu"],
  },
  {
    name: "floatLeakyRelu",
    params: ["x", "negativeSlope"],
    args: () => [x23(), 0.1],
    call: floatLeakyRelu,
  },
  {
    name: "floatClamp",
    params: ["x", "bounds"],
    args: () => [x23(), { min: -1, max: 1 }],
    call: floatClamp,
  },
  {
    name: "floatElu",
    params: ["x", "options"],
    args: () => [x23(), { alpha: 1 }],
    call: floatElu,
  },
  { name: "floatHardsigmoid", params: ["x"], args: () => [x23()], call: floatHardsigmoid },
  {
    name: "quantizeEmbeddingWeight",
    params: ["weight", "dtype"],
    args: () => [x23(), "quint8"],
    call: quantizeEmbeddingWeight,
  },
  {
    name: "embeddingWeight",
    params: ["qweight"],
    args: () => [quantizeEmbeddingWeight(x23(), "quint8")],
    call: embeddingWeight,
  },
  {
    name: "quantizedEmbedding",
    params: ["table", "indices", "indicesShape"],
    args: () => [embeddingWeight(quantizeEmbeddingWeight(x23(), "quint8")), [1, 0], [2]],
    call: quantizedEmbedding,
    optional: ["indicesShape"],
  },
  {
    name: "quantizedEmbeddingBag",
    params: ["table", "indices", "options"],
    args: () => [embeddingWeight(quantizeEmbeddingWeight(x23(), "quint8")), [1, 0, 1], {
      offsets: [0, 2],
      includeLastOffset: false,
    }],
    call: quantizedEmbeddingBag,
    optional: ["options", "offsets", "includeLastOffset"],
    nullable: ["offsets"],
  },
  {
    name: "quantizedRnnDynamic",
    params: ["x", "weights", "config", "initial"],
    args: () => [Tensor.from([0.5, -1, 2, 0.25, 1.5, -0.5], [2, 1, 3]), [{
      ih: quantizeDynamicWeight(
        Tensor.from(new Array(24).fill(0.1), [8, 3]),
        Tensor.from(new Array(8).fill(0)),
      ),
      hh: quantizeDynamicWeight(
        Tensor.from(new Array(16).fill(-0.1), [8, 2]),
        Tensor.from(new Array(8).fill(0)),
      ),
    }], {
      mode: "LSTM",
      inputSize: 3,
      hiddenSize: 2,
      numLayers: 1,
      bidirectional: false,
      batchFirst: false,
      engine: "qnnpack",
    }, {}],
    call: quantizedRnnDynamic,
    optional: ["initial"],
  },
  {
    name: "onnx quantizeLinear",
    params: ["x", "args"],
    args: () => [{ data: Float32Array.of(0.5, -1), shape: [2] }, {
      scale: 0.1,
      zeroPoint: 3,
      type: "uint8",
    }],
    call: quantizeLinear,
    optional: ["zeroPoint"],
    nullable: ["zeroPoint"], // ONNX's absent optional input
  },
  {
    name: "onnx dequantizeLinear",
    params: ["x", "args"],
    args: () => [{ data: Uint8Array.of(5, 7), shape: [2] }, { scale: 0.1, zeroPoint: 3 }],
    call: dequantizeLinear,
    optional: ["zeroPoint"],
    nullable: ["zeroPoint"],
  },
  {
    name: "onnx dynamicQuantizeLinear",
    params: ["x"],
    args: () => [{ data: Float32Array.of(0.5, -1), shape: [2] }],
    call: dynamicQuantizeLinear,
  },
];

/** Values of the wrong kind for an argument whose valid value is `valid`. */
function wrongValues(valid: unknown): [string, unknown][] {
  const out: [string, unknown][] = [["undefined", undefined], ["null", null]];
  if (valid instanceof Tensor) {
    out.push(
      ["a number[]", Array.from(valid.data)],
      ["a Float64Array", Float64Array.from(valid.data)],
      ["a {data, shape} object", { data: Array.from(valid.data), shape: valid.shape }],
      ["a string", "x"],
    );
  } else if (valid instanceof QuantizedTensor) {
    out.push(["a number[]", Array.from(valid.intRepr)], ["a float Tensor", Tensor.from([1])]);
  } else if (typeof valid === "number") out.push(["a numeric string", "0.5"]);
  else if (typeof valid === "boolean") out.push(["a string", "yes"], ["a number", 1]);
  else if (typeof valid === "string") out.push(["a bogus name", "bogus"], ["a number", 5]);
  else if (Array.isArray(valid) || ArrayBuffer.isView(valid)) {
    out.push(["a string", "abc"], ["a number", 3]);
  } else if (typeof valid === "object" && valid !== null) {
    out.push(["a number", 5], ["a string", "options"]);
  }
  return out;
}

/** One bad call: which argument (or option field) is wrong, how, and the arguments. */
interface BadCall {
  readonly argument: string;
  readonly how: string;
  readonly args: unknown[];
}

function isOptionsObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Every bad call of an entry, skipping the values its documentation allows. */
function badCalls(entry: Entry): BadCall[] {
  const allowed = (argument: string, bad: unknown) =>
    (bad === undefined && entry.optional?.includes(argument)) ||
    (bad === null && entry.nullable?.includes(argument));
  const calls: BadCall[] = [];
  entry.args().forEach((valid, i) => {
    const argument = entry.params[i];
    for (const [how, bad] of wrongValues(valid)) {
      if (allowed(argument, bad)) continue;
      const args = entry.args();
      args[i] = bad;
      calls.push({ argument, how, args });
    }
    if (!isOptionsObject(valid)) return;
    for (const [field, value] of Object.entries(valid)) {
      for (const [how, bad] of wrongValues(value)) {
        if (allowed(field, bad)) continue;
        const args = entry.args();
        args[i] = { ...(args[i] as object), [field]: bad };
        calls.push({ argument: field, how, args });
      }
    }
  });
  return calls;
}

/** Why a bad call's outcome is not a clear error naming the argument, or undefined if it is. */
function problem(entry: Entry, call: BadCall): string | undefined {
  let error: unknown;
  try {
    entry.call(...call.args);
    return "returned a result";
  } catch (e) {
    error = e;
  }
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    return `threw ${String(error)}`;
  }
  const message = error.message;
  if (
    /Cannot read|is not a function|is not iterable|cannot be converted to a BigInt/.test(message)
  ) {
    return `unclear: ${message}`;
  }
  const word = new RegExp(`(^|[^\\w])${call.argument}([^\\w]|$)`);
  return word.test(message) ? undefined : `does not name ${call.argument}: ${message}`;
}

function problems(entries: readonly Entry[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    assert.doesNotThrow(() => entry.call(...entry.args()), `${entry.name}: the valid call`);
    for (const call of badCalls(entry)) {
      const p = problem(entry, call);
      if (p !== undefined) out.push(`${entry.name} with ${call.argument} = ${call.how}: ${p}`);
    }
  }
  return out;
}

Deno.test("every public reference function refuses wrong arguments naming them", () => {
  const entries = [...ENTRIES, ...MORE_ENTRIES];
  const found = problems(entries);
  assert.deepEqual(
    found,
    [],
    `${found.length} bad calls not refused clearly:\n${found.join("\n")}`,
  );
  const count = entries.reduce((n, e) => n + badCalls(e).length, 0);
  assert.ok(count > 400, `only ${count} bad calls generated`);
});

Deno.test("the sweep catches an entry point that forgets a check (planted)", () => {
  // A test-only wrapper that reads its arguments unchecked, as the reference did before.
  const unchecked = (x: Tensor, options: { scale: number }) => {
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] / options.scale;
    return out;
  };
  const found = problems([{
    name: "planted",
    params: ["x", "options"],
    args: () => [x23(), { scale: 0.5 }],
    call: unchecked,
  }]);
  assert.ok(found.some((p) => /x = a number\[\]: unclear/.test(p)), found.join("\n"));
  assert.ok(found.some((p) => /x = a \{data, shape\} object: returned a result/.test(p)));
  assert.ok(found.some((p) => /options = undefined: unclear/.test(p)), found.join("\n"));
  assert.ok(found.some((p) => /scale = a numeric string: returned a result/.test(p)));
});
