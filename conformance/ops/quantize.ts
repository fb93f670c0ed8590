/**
 * Golden ops quantize_per_tensor, quantize_per_channel, dequantize_per_tensor and
 * dequantize_per_channel, run on the reference.
 * @module
 */
import type { Produced } from "../compare.ts";
import {
  float32Input,
  MalformedCase,
  numericInput,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "../op_handler.ts";
import type { GoldenCase, GoldenTensor } from "../golden_file.ts";
import { parseQuantizedDType, type QuantizedDType } from "../../reference/dtype.ts";
import {
  dequantize,
  dequantizeIsBuildDependent,
  forEachChannel,
  packQuint4x2,
  quantizeIsBuildDependent,
  quantizePerChannel,
  quantizePerTensor,
} from "../../reference/quantize.ts";
import { reciprocalF32 } from "../../reference/float32.ts";
import { QuantizedTensor, splitAtAxis, Tensor } from "../../reference/tensor.ts";
import type { Dtype8, KernelSet } from "../../kernels/kernel_set.ts";
import { type Engine, isEngine, quantizesLikeFbgemm } from "../../reference/engine.ts";

/** Kernel paths run 8-bit quantize/dequantize with integer zero points. */
function supportsQuantize(testCase: GoldenCase): boolean {
  const dtype = testCase.attrs.dtype;
  if (dtype !== "quint8" && dtype !== "qint8") return false;
  const zp = testCase.inputs.zero_points;
  return zp === undefined || zp.dtype === "int64" || zp.dtype === "int32";
}

/**
 * The case's engine, when it names one (quantize cases may omit it). Under an FBGEMM engine
 * NaN, ±Infinity and overflow have FBGEMM's exact answer instead of a build-dependent one.
 */
function quantizeEngine(ctx: RunContext): Engine | undefined {
  const engine = ctx.testCase.engine;
  if (engine === undefined) return undefined;
  if (!isEngine(engine)) throw new UnsupportedCase(`engine "${engine}"`);
  return engine;
}

/**
 * A per-tensor quantize case runs on the kernel paths whose build behaviour it was recorded
 * with: FBGEMM-engine cases on the FBGEMM paths, the others on every path (build-dependent
 * elements are then deviations).
 */
function supportsQuantizePerTensor(testCase: GoldenCase, kernels: KernelSet): boolean {
  const { engine } = testCase;
  if (!supportsQuantize(testCase) || (engine !== undefined && !isEngine(engine))) return false;
  return engine === undefined || !quantizesLikeFbgemm(engine) ||
    quantizesLikeFbgemm(kernels.numerics);
}

/** Reads the `dtype` attribute; an unknown dtype is an unsupported case. */
function dtypeAttr(ctx: RunContext): QuantizedDType {
  const name = ctx.attrs.string("dtype");
  try {
    return parseQuantizedDType(name);
  } catch {
    throw new UnsupportedCase(`quantized dtype ${JSON.stringify(name)}`);
  }
}

function intReprOutput(q: QuantizedTensor, buildDependent?: Uint8Array): Produced {
  if (q.dtype === "quint4x2") {
    const packed = packQuint4x2(q.intRepr);
    return { shape: [packed.length], data: packed };
  }
  return { shape: q.shape, data: q.intRepr, buildDependent };
}

const QUANTIZED_INPUT_DTYPES: Record<string, readonly string[]> = {
  quint8: ["uint8"],
  qint8: ["int8"],
  qint32: ["int32"],
};

function quantizedInput(ctx: RunContext, dtype: QuantizedDType): GoldenTensor {
  const q = ctx.input("q");
  const allowed = QUANTIZED_INPUT_DTYPES[dtype];
  if (allowed === undefined) throw new UnsupportedCase(`dequantize of ${dtype}`);
  if (!allowed.includes(q.dtype)) {
    throw new MalformedCase(`input "q" of a ${dtype} tensor must be ${allowed}, got ${q.dtype}`);
  }
  return q;
}

/** `torch.quantize_per_tensor`. */
export const quantizePerTensorOp: OpHandler = {
  op: "quantize_per_tensor",
  attrs: ["scale", "zero_point", "dtype"],
  inputs: ["x"],
  outputs: ["y"],
  kernelSupport: supportsQuantizePerTensor,
  run(ctx) {
    const x = ctx.input("x");
    const scale = ctx.attrs.number("scale");
    const zeroPoint = ctx.attrs.int("zero_point");
    const dtype = dtypeAttr(ctx);
    const engine = quantizeEngine(ctx);
    const inv = reciprocalF32(scale);
    const mask = engine !== undefined && quantizesLikeFbgemm(engine)
      ? undefined
      : buildDependentMask(x.data as Float32Array, () => inv, zeroPoint, dtype);
    const kernels = ctx.path.kernels;
    if (kernels !== undefined) {
      const y = kernels.quantize(float32Input(x, "x"), {
        scale,
        zeroPoint,
        dtype: dtype as Dtype8,
      });
      return { y: { shape: x.shape, data: y, buildDependent: mask } };
    }
    const q = quantizePerTensor(new Tensor(float32Input(x, "x"), x.shape), {
      scale,
      zeroPoint,
      dtype,
      engine,
    });
    return { y: intReprOutput(q, mask) };
  },
};

/** `torch.quantize_per_channel` (float zero points select float qparams, as in PyTorch). */
export const quantizePerChannelOp: OpHandler = {
  op: "quantize_per_channel",
  attrs: ["axis", "dtype"],
  inputs: ["x", "scales", "zero_points"],
  outputs: ["y"],
  kernelSupport: supportsQuantize,
  run(ctx) {
    const x = ctx.input("x");
    const axis = ctx.attrs.int("axis");
    const dtype = dtypeAttr(ctx);
    const scales = numericInput(ctx.input("scales"), "scales", ["float64", "float32"]);
    const zpTensor = ctx.input("zero_points");
    const floatQParams = zpTensor.dtype === "float32" || zpTensor.dtype === "float64";
    const zeroPoints = numericInput(zpTensor, "zero_points", [
      "int64",
      "int32",
      "float32",
      "float64",
    ]);
    const q = quantizePerChannel(new Tensor(float32Input(x, "x"), x.shape), {
      scales,
      zeroPoints,
      axis,
      dtype,
      floatQParams,
    });
    let mask: Uint8Array | undefined;
    if (!floatQParams && q.qparams.qscheme !== "per_tensor_affine") {
      mask = new Uint8Array(x.data.length);
      const { outer, channels, inner } = splitAtAxis(x.shape, q.qparams.axis);
      mask = new Uint8Array(x.data.length);
      const data = x.data as Float32Array;
      forEachChannel(outer, channels, inner, (c, start, end) => {
        const inv = reciprocalF32(scales[c]);
        for (let i = start; i < end; i++) {
          if (quantizeIsBuildDependent(data[i], inv, zeroPoints[c], dtype)) mask![i] = 1;
        }
      });
    }
    const kernels = ctx.path.kernels;
    if (kernels !== undefined) {
      const y = kernels.quantizePerChannel(float32Input(x, "x"), {
        scales,
        zeroPoints,
        axis,
        shape: x.shape,
        dtype: dtype as Dtype8,
      });
      return { y: { shape: x.shape, data: y, buildDependent: mask } };
    }
    return { y: intReprOutput(q, mask) };
  },
};

/** `QuantizedTensor.dequantize()` of a per-tensor tensor. */
export const dequantizePerTensorOp: OpHandler = {
  op: "dequantize_per_tensor",
  attrs: ["scale", "zero_point", "dtype"],
  inputs: ["q"],
  outputs: ["y"],
  kernelSupport: supportsQuantize,
  run(ctx) {
    const dtype = dtypeAttr(ctx);
    const q = quantizedInput(ctx, dtype);
    const qt = new QuantizedTensor(q.data as Uint8Array, q.shape, dtype, {
      qscheme: "per_tensor_affine",
      scale: ctx.attrs.number("scale"),
      zeroPoint: ctx.attrs.int("zero_point"),
    });
    const zp = ctx.attrs.int("zero_point");
    const y = ctx.path.kernels === undefined ? dequantize(qt) : {
      shape: q.shape,
      data: ctx.path.kernels.dequantize(q.data as Uint8Array | Int8Array, {
        scale: ctx.attrs.number("scale"),
        zeroPoint: zp,
        dtype: dtype as Dtype8,
      }),
    };
    let mask: Uint8Array | undefined;
    for (let i = 0; i < q.data.length; i++) {
      if (dequantizeIsBuildDependent(q.data[i] as number, zp)) {
        (mask ??= new Uint8Array(q.data.length))[i] = 1;
      }
    }
    return { y: { shape: y.shape, data: y.data, buildDependent: mask } };
  },
};

/** `QuantizedTensor.dequantize()` of a per-channel tensor. */
export const dequantizePerChannelOp: OpHandler = {
  op: "dequantize_per_channel",
  attrs: ["axis", "dtype"],
  inputs: ["q", "scales", "zero_points"],
  outputs: ["y"],
  kernelSupport: supportsQuantize,
  run(ctx) {
    const dtype = dtypeAttr(ctx);
    const q = quantizedInput(ctx, dtype);
    const zpTensor = ctx.input("zero_points");
    const floatQParams = zpTensor.dtype === "float32" || zpTensor.dtype === "float64";
    const axisAttr = ctx.attrs.int("axis");
    const axis = axisAttr < 0 ? axisAttr + q.shape.length : axisAttr;
    const qt = new QuantizedTensor(q.data as Uint8Array, q.shape, dtype, {
      qscheme: floatQParams ? "per_channel_affine_float_qparams" : "per_channel_affine",
      scales: numericInput(ctx.input("scales"), "scales", ["float64", "float32"]),
      zeroPoints: numericInput(zpTensor, "zero_points", ["int64", "int32", "float32", "float64"]),
      axis,
    });
    if (ctx.path.kernels !== undefined && qt.qparams.qscheme === "per_channel_affine") {
      const data = ctx.path.kernels.dequantizePerChannel(q.data as Uint8Array | Int8Array, {
        scales: qt.qparams.scales,
        zeroPoints: qt.qparams.zeroPoints,
        axis,
        shape: q.shape,
        dtype: dtype as Dtype8,
      });
      return { y: { shape: q.shape, data } };
    }
    const y = dequantize(qt);
    return { y: { shape: y.shape, data: y.data } };
  },
};

function buildDependentMask(
  data: Float32Array,
  inverseScaleAt: (i: number) => number,
  zeroPoint: number,
  dtype: QuantizedDType,
): Uint8Array | undefined {
  let mask: Uint8Array | undefined;
  for (let i = 0; i < data.length; i++) {
    if (quantizeIsBuildDependent(data[i], inverseScaleAt(i), zeroPoint, dtype)) {
      (mask ??= new Uint8Array(data.length))[i] = 1;
    }
  }
  return mask;
}

/** The quantize/dequantize handlers. */
export const quantizeOps: readonly OpHandler[] = [
  quantizePerTensorOp,
  quantizePerChannelOp,
  dequantizePerTensorOp,
  dequantizePerChannelOp,
];
