/**
 * The quantize family: `quantize_per_tensor`, `quantize_per_channel`, `dequantize_per_tensor`,
 * `dequantize_per_channel`. On a kernel set they run `quantize` / `quantizePerChannel` /
 * `dequantize` / `dequantizePerChannel` for the 8-bit dtypes with integer zero points; quint4x2,
 * qint32 and float per-channel zero points stay on the reference.
 *
 * Where PyTorch's answer depends on the build (NaN, ±Infinity, `x/scale` beyond int32), a case
 * recorded without an FBGEMM engine marks those elements build-dependent (a deviation, not a
 * failure); under an FBGEMM engine the answer is FBGEMM's and exact.
 * @module
 */
import {
  type CaseReader,
  float32Input,
  MalformedCase,
  numericInput,
  UnsupportedCase,
} from "../conformance/op_handler.ts";
import type { Produced } from "../conformance/compare.ts";
import type { Dtype8 } from "../kernels/kernel_set.ts";
import { quantizesLikeFbgemm } from "../reference/engine.ts";
import { checkQuantizedTensor } from "../reference/_check.ts";
import { parseQuantizedDType, type QuantizedDType } from "../reference/dtype.ts";
import { reciprocalF32 } from "../reference/float32.ts";
import {
  dequantize,
  dequantizeIsBuildDependent,
  packQuint4x2,
  quantizeIsBuildDependent,
  quantizePerChannel as quantizePerChannelRef,
  quantizePerTensor as quantizePerTensorRef,
} from "../reference/quantize.ts";
import {
  type PerChannelQParams,
  QuantizedTensor,
  splitAtAxis,
  Tensor,
} from "../reference/tensor.ts";
import type { OpDescriptor } from "./op.ts";

/** The arguments of `quantize_per_tensor`. */
export interface QuantizePerTensorArgs {
  readonly x: Tensor;
  readonly scale: number;
  readonly zeroPoint: number;
  readonly dtype: QuantizedDType;
}

/** The arguments of `quantize_per_channel` (float zero points select float qparams). */
export interface QuantizePerChannelArgs {
  readonly x: Tensor;
  readonly scales: ArrayLike<number>;
  readonly zeroPoints: ArrayLike<number>;
  readonly axis: number;
  readonly dtype: QuantizedDType;
  readonly floatQParams: boolean;
}

/** The arguments of `dequantize_per_tensor` / `dequantize_per_channel`. */
export interface DequantizeArgs {
  readonly q: QuantizedTensor;
}

/** Reads the `dtype` attribute; an unknown dtype is an unsupported case. */
function dtypeAttr(c: CaseReader): QuantizedDType {
  const name = c.attrs.string("dtype");
  try {
    return parseQuantizedDType(name);
  } catch {
    throw new UnsupportedCase(`quantized dtype ${JSON.stringify(name)}`);
  }
}

const INT_REPR_DTYPES: Record<string, string> = { quint8: "uint8", qint8: "int8", qint32: "int32" };

/** The case's quantized input `q` of `dtype`. */
function caseCodes(c: CaseReader, dtype: QuantizedDType) {
  const q = c.input("q");
  const want = INT_REPR_DTYPES[dtype];
  if (want === undefined) throw new UnsupportedCase(`dequantize of ${dtype}`);
  if (q.dtype !== want) {
    throw new MalformedCase(`input "q" of a ${dtype} tensor must be ${want}, got ${q.dtype}`);
  }
  return q;
}

/** A case's float `x`. */
function caseFloats(c: CaseReader): Tensor {
  const x = c.input("x");
  return new Tensor(float32Input(x, "x"), x.shape);
}

/** The codes of a result (quint4x2 packed two per byte, as PyTorch's int_repr). */
function codes(q: QuantizedTensor, buildDependent?: Uint8Array): Produced {
  if (q.dtype === "quint4x2") {
    const packed = packQuint4x2(q.intRepr);
    return { shape: [packed.length], data: packed };
  }
  return { shape: q.shape, data: q.intRepr, buildDependent };
}

/** Whether the kernels run this dtype (8-bit). */
const is8bit = (dtype: QuantizedDType): dtype is Dtype8 => dtype === "quint8" || dtype === "qint8";

/** The elements whose quantization depends on the build (unless FBGEMM's answer is modelled). */
function quantizeMask(
  x: Tensor,
  inverseScaleAt: (i: number) => number,
  zeroPointAt: (i: number) => number,
  dtype: QuantizedDType,
): Uint8Array | undefined {
  let mask: Uint8Array | undefined;
  for (let i = 0; i < x.size; i++) {
    if (quantizeIsBuildDependent(x.data[i], inverseScaleAt(i), zeroPointAt(i), dtype)) {
      (mask ??= new Uint8Array(x.size))[i] = 1;
    }
  }
  return mask;
}

/** Checks that `q` is a QuantizedTensor quantized per channel (or per tensor). */
function checkQScheme(q: QuantizedTensor, perChannel: boolean): void {
  checkQuantizedTensor("q", q);
  if ((q.qparams.qscheme !== "per_tensor_affine") !== perChannel) {
    throw new TypeError(
      `q: expected a tensor quantized ${
        perChannel ? "per channel" : "per tensor"
      }, got ${q.qparams.qscheme}`,
    );
  }
}

/** For each element of `shape`, its channel along `axis`. */
function channelOf(shape: readonly number[], axis: number): (i: number) => number {
  const { inner, channels } = splitAtAxis(shape, axis);
  return (i) => Math.floor(i / inner) % channels;
}

/** `torch.quantize_per_tensor`. */
export const quantizePerTensor: OpDescriptor<QuantizePerTensorArgs, QuantizedTensor> & {
  readonly family: "quantize";
} = {
  name: "quantize_per_tensor",
  family: "quantize",
  pytorch: "torch.quantize_per_tensor",
  engine: "optional",
  // The reference checks everything before it computes: on an empty tensor it checks only.
  check: (args, engine) =>
    void quantizePerTensorRef(new Tensor(new Float32Array(0)), { ...args, engine }),
  reference: (args, engine) => quantizePerTensorRef(args.x, { ...args, engine }),
  golden: {
    attrs: ["scale", "zero_point", "dtype"],
    inputs: ["x"],
    outputs: ["y"],
    decode: (c) => ({
      x: caseFloats(c),
      scale: c.attrs.number("scale"),
      zeroPoint: c.attrs.int("zero_point"),
      dtype: dtypeAttr(c),
    }),
    encode(y, args, engine) {
      const inv = reciprocalF32(args.scale);
      const exact = engine !== undefined && quantizesLikeFbgemm(engine);
      return {
        y: codes(
          y,
          exact ? undefined : quantizeMask(args.x, () => inv, () => args.zeroPoint, args.dtype),
        ),
      };
    },
  },
  kernel: {
    // FBGEMM-engine answers (NaN, ±Infinity, overflow) on the FBGEMM paths; others everywhere.
    supports: (set, args, engine) =>
      is8bit(args.dtype) && (!quantizesLikeFbgemm(engine) || quantizesLikeFbgemm(set.numerics)),
    run(set, args): QuantizedTensor {
      const y = set.quantize(args.x.data, { ...args, dtype: args.dtype as Dtype8 });
      return new QuantizedTensor(y, args.x.shape, args.dtype, {
        qscheme: "per_tensor_affine",
        scale: args.scale,
        zeroPoint: args.zeroPoint,
      });
    },
  },
  properties: { params: {} },
};

function perChannelReference(args: QuantizePerChannelArgs): QuantizedTensor {
  return quantizePerChannelRef(args.x, args);
}

/** `torch.quantize_per_channel`. */
export const quantizePerChannel: OpDescriptor<QuantizePerChannelArgs, QuantizedTensor> & {
  readonly family: "quantize";
} = {
  name: "quantize_per_channel",
  family: "quantize",
  pytorch: "torch.quantize_per_channel",
  engine: "optional",
  // The reference checks everything before it computes: on a tensor emptied along every other
  // axis it checks only.
  check: (args) => {
    const x = args?.x;
    if (!(x instanceof Tensor) || x.shape.length < 2 || typeof args.axis !== "number") {
      return void perChannelReference(args);
    }
    const axis = args.axis < 0 ? args.axis + x.shape.length : args.axis;
    const shape = x.shape.map((d, i) => (i === axis ? d : 0));
    perChannelReference({ ...args, x: new Tensor(new Float32Array(0), shape) });
  },
  reference: (args) => perChannelReference(args),
  golden: {
    attrs: ["axis", "dtype"],
    inputs: ["x", "scales", "zero_points"],
    outputs: ["y"],
    decode: (c) => {
      const zp = c.input("zero_points");
      return {
        x: caseFloats(c),
        scales: numericInput(c.input("scales"), "scales", ["float64", "float32"]),
        zeroPoints: numericInput(zp, "zero_points", ["int64", "int32", "float32", "float64"]),
        axis: c.attrs.int("axis"),
        dtype: dtypeAttr(c),
        floatQParams: zp.dtype === "float32" || zp.dtype === "float64",
      };
    },
    encode(y, args) {
      if (args.floatQParams || y.qparams.qscheme !== "per_channel_affine") return { y: codes(y) };
      const channel = channelOf(args.x.shape, y.qparams.axis);
      const mask = quantizeMask(
        args.x,
        (i) => reciprocalF32(args.scales[channel(i)]),
        (i) => args.zeroPoints[channel(i)],
        args.dtype,
      );
      return { y: codes(y, mask) };
    },
  },
  kernel: {
    supports: (_set, args) => is8bit(args.dtype) && !args.floatQParams,
    run(set, args): QuantizedTensor {
      const y = set.quantizePerChannel(args.x.data, {
        scales: args.scales,
        zeroPoints: args.zeroPoints,
        axis: args.axis,
        shape: args.x.shape,
        dtype: args.dtype as Dtype8,
      });
      const axis = args.axis < 0 ? args.axis + args.x.shape.length : args.axis;
      return new QuantizedTensor(y, args.x.shape, args.dtype, {
        qscheme: "per_channel_affine",
        scales: Float64Array.from(args.scales),
        zeroPoints: Float64Array.from(args.zeroPoints),
        axis,
      });
    },
  },
  properties: { params: {} },
};

/** `QuantizedTensor.dequantize()` of a per-tensor tensor. */
export const dequantizePerTensor: OpDescriptor<DequantizeArgs, Tensor> & {
  readonly family: "quantize";
} = {
  name: "dequantize_per_tensor",
  family: "quantize",
  pytorch: "torch.Tensor.dequantize",
  engine: "optional",
  check: (args) => checkQScheme(args?.q, false),
  reference: (args) => dequantize(args.q),
  golden: {
    attrs: ["scale", "zero_point", "dtype"],
    inputs: ["q"],
    outputs: ["y"],
    decode: (c) => {
      const dtype = dtypeAttr(c);
      const q = caseCodes(c, dtype);
      return {
        q: new QuantizedTensor(q.data as Uint8Array, q.shape, dtype, {
          qscheme: "per_tensor_affine",
          scale: c.attrs.number("scale"),
          zeroPoint: c.attrs.int("zero_point"),
        }),
      };
    },
    encode(y, args) {
      const zp = (args.q.qparams as { zeroPoint: number }).zeroPoint;
      let mask: Uint8Array | undefined;
      for (let i = 0; i < args.q.size; i++) {
        if (dequantizeIsBuildDependent(args.q.intRepr[i] as number, zp)) {
          (mask ??= new Uint8Array(args.q.size))[i] = 1;
        }
      }
      return { y: { shape: y.shape, data: y.data, buildDependent: mask } };
    },
  },
  kernel: {
    supports: (_set, args) => is8bit(args.q.dtype),
    run(set, args): Tensor {
      const qp = args.q.qparams as { scale: number; zeroPoint: number };
      const y = set.dequantize(args.q.intRepr as Uint8Array | Int8Array, {
        scale: qp.scale,
        zeroPoint: qp.zeroPoint,
        dtype: args.q.dtype as Dtype8,
      });
      return new Tensor(y, args.q.shape);
    },
  },
  properties: { params: {} },
};

/** `QuantizedTensor.dequantize()` of a per-channel tensor. */
export const dequantizePerChannel: OpDescriptor<DequantizeArgs, Tensor> & {
  readonly family: "quantize";
} = {
  name: "dequantize_per_channel",
  family: "quantize",
  pytorch: "torch.Tensor.dequantize",
  engine: "optional",
  check: (args) => checkQScheme(args?.q, true),
  reference: (args) => dequantize(args.q),
  golden: {
    attrs: ["axis", "dtype"],
    inputs: ["q", "scales", "zero_points"],
    outputs: ["y"],
    decode: (c) => {
      const dtype = dtypeAttr(c);
      const q = caseCodes(c, dtype);
      const zp = c.input("zero_points");
      const floatQParams = zp.dtype === "float32" || zp.dtype === "float64";
      const axis = c.attrs.int("axis");
      return {
        q: new QuantizedTensor(q.data as Uint8Array, q.shape, dtype, {
          qscheme: floatQParams ? "per_channel_affine_float_qparams" : "per_channel_affine",
          scales: numericInput(c.input("scales"), "scales", ["float64", "float32"]),
          zeroPoints: numericInput(zp, "zero_points", ["int64", "int32", "float32", "float64"]),
          axis: axis < 0 ? axis + q.shape.length : axis,
        }),
      };
    },
    encode: (y) => ({ y: { shape: y.shape, data: y.data } }),
  },
  kernel: {
    supports: (_set, args) =>
      is8bit(args.q.dtype) && args.q.qparams.qscheme === "per_channel_affine",
    run(set, args): Tensor {
      const qp = args.q.qparams as PerChannelQParams;
      const y = set.dequantizePerChannel(args.q.intRepr as Uint8Array | Int8Array, {
        scales: qp.scales,
        zeroPoints: qp.zeroPoints,
        axis: qp.axis,
        shape: args.q.shape,
        dtype: args.q.dtype as Dtype8,
      });
      return new Tensor(y, args.q.shape);
    },
  },
  properties: { params: {} },
};

/** Every quantize op. */
export const QUANTIZE_OPS = [
  quantizePerTensor,
  quantizePerChannel,
  dequantizePerTensor,
  dequantizePerChannel,
] as const;
