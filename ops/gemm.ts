/**
 * The gemm family: quantized linear layers on packed weights — `quantized_linear` (static) and
 * `quantized_linear_dynamic`. On a kernel set they pack the weight (`packLinear`), run
 * `linear` / `linearDynamic`, and free it; a case runs on the kernel paths whose numerics are
 * its engine's (`linearNumerics`).
 * @module
 */
import {
  type CaseReader,
  float32Input,
  MalformedCase,
  numericInput,
  UnsupportedCase,
} from "../conformance/op_handler.ts";
import type { GoldenTensor } from "../conformance/golden_file.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import { show } from "../reference/_check.ts";
import { allocIntRepr } from "../reference/dtype.ts";
import { type Engine, linearNumerics } from "../reference/engine.ts";
import {
  type LinearWeight,
  quantizedLinear,
  quantizedLinearDynamic,
} from "../reference/quantized_linear.ts";
import { QuantizedTensor, type ScaleZeroPoint, Tensor } from "../reference/tensor.ts";
import type { OpDescriptor } from "./op.ts";

/** The arguments of `quantized_linear`. */
export interface LinearArgs {
  /** quint8 activations `[..., K]` (per tensor). */
  readonly x: QuantizedTensor;
  /** The qint8 weight `[N, K]` with its qparams and float bias. */
  readonly weight: LinearWeight;
  /** The output qparams. */
  readonly output: ScaleZeroPoint;
  /** `linear_relu`. */
  readonly relu: boolean;
}

/** The arguments of `quantized_linear_dynamic`. */
export interface LinearDynamicArgs {
  /** float activations `[..., K]`. */
  readonly x: Tensor;
  /** The qint8 weight `[N, K]`. */
  readonly weight: LinearWeight;
  /** Quantize activations to [0, 127] (FBGEMM; QNNPACK ignores it; undefined on oneDNN). */
  readonly reduceRange: boolean;
  /** `linear_relu_dynamic`. */
  readonly relu: boolean;
}

const W_QSCHEMES = [
  "per_tensor_affine",
  "per_tensor_symmetric",
  "per_channel_affine",
  "per_channel_symmetric",
];

/** A golden input that must have one dtype. */
export function requireDtype(t: GoldenTensor, name: string, dtype: string): void {
  if (t.dtype !== dtype) {
    throw new MalformedCase(`input "${name}" must be ${dtype}, got ${t.dtype}`);
  }
}

/**
 * A case's weight qparams (`w_scales`, `w_zero_points`, `w_qscheme`) and bias for `channels`
 * output channels.
 */
export function caseWeightQParams(c: CaseReader, channels: number) {
  const qscheme = c.attrs.string("w_qscheme");
  if (!W_QSCHEMES.includes(qscheme)) throw new UnsupportedCase(`w_qscheme "${qscheme}"`);
  const perChannel = qscheme.startsWith("per_channel");
  const scales = numericInput(c.input("w_scales"), "w_scales", ["float64", "float32"]);
  const zeroPoints = Int32Array.from(
    numericInput(c.input("w_zero_points"), "w_zero_points", ["int64", "int32"]),
  );
  const expected = perChannel ? channels : 1;
  if (scales.length !== expected || zeroPoints.length !== expected) {
    throw new MalformedCase(
      `${qscheme} weights need ${expected} scale(s) and zero point(s), got ${scales.length} and ${zeroPoints.length}`,
    );
  }
  const biasTensor = c.optionalInput("bias");
  const bias = biasTensor === undefined ? null : float32Input(biasTensor, "bias");
  if (bias !== null && bias.length !== channels) {
    throw new MalformedCase(`input "bias" must have ${channels} values`);
  }
  return { perChannel, scales, zeroPoints, bias };
}

/** The case's LinearWeight from `w`, `w_scales`, `w_zero_points` and `bias`. */
function caseWeight(c: CaseReader): LinearWeight {
  const w = c.input("w");
  requireDtype(w, "w", "int8");
  if (w.shape.length !== 2) {
    throw new MalformedCase(`input "w" must be 2-D [N, K], got [${w.shape}]`);
  }
  const [n, k] = w.shape;
  return { data: w.data as Int8Array, outFeatures: n, inFeatures: k, ...caseWeightQParams(c, n) };
}

/** A case's quint8 input `x` with qparams from `x_scale` / `x_zero_point`. */
export function caseQuint8(c: CaseReader): QuantizedTensor {
  const x = c.input("x");
  requireDtype(x, "x", "uint8");
  return new QuantizedTensor(x.data as Uint8Array, x.shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale: c.attrs.number("x_scale"),
    zeroPoint: c.attrs.int("x_zero_point"),
  });
}

/** `x` with its leading dimensions emptied (the reference then checks without computing). */
function noRows<T extends QuantizedTensor | Tensor>(x: T): T {
  if (!(x instanceof QuantizedTensor || x instanceof Tensor) || x.shape.length === 0) return x;
  const shape = [0, ...x.shape.slice(-1)];
  if (x instanceof Tensor) return new Tensor(new Float32Array(0), shape) as T;
  return new QuantizedTensor(allocIntRepr(x.dtype, 0), shape, x.dtype, x.qparams) as T;
}

/** The rows of an activation `[..., K]`. */
function rows(shape: readonly number[]): number {
  return shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

/** Whether `set` computes `engine`'s linear numerics. */
function sameNumerics(set: KernelSet, engine: Engine): boolean {
  return linearNumerics(engine) === set.numerics;
}

/** Packs the weight on `set`, runs `body`, frees the weight. */
function withPacked<T>(
  set: KernelSet,
  weight: LinearWeight,
  body: (packed: ReturnType<KernelSet["packLinear"]>) => T,
): T {
  const packed = set.packLinear(weight);
  try {
    return body(packed);
  } finally {
    packed.free();
  }
}

function staticReference(args: LinearArgs, engine: Engine): QuantizedTensor {
  if (typeof args?.output !== "object" || args.output === null) {
    throw new TypeError(
      `output: expected output qparams { scale, zeroPoint }, got ${show(args?.output)}`,
    );
  }
  return quantizedLinear(args.x, args.weight, {
    engine,
    outputScale: args.output.scale,
    outputZeroPoint: args.output.zeroPoint,
    relu: args.relu,
  });
}

function dynamicReference(args: LinearDynamicArgs, engine: Engine): Tensor {
  return quantizedLinearDynamic(args.x, args.weight, {
    engine,
    reduceRange: args.reduceRange,
    relu: args.relu,
  });
}

const WEIGHT_INPUTS = ["w", "w_scales", "w_zero_points", "bias"];

/** `torch.ops.quantized.linear` / `linear_relu`. */
export const linear: OpDescriptor<LinearArgs, QuantizedTensor> & { readonly family: "gemm" } = {
  name: "quantized_linear",
  family: "gemm",
  pytorch: "torch.ops.quantized.linear",
  engine: "required",
  // The reference checks everything before it computes: with no rows it checks only.
  check: (args, engine) => void staticReference({ ...args, x: noRows(args?.x) }, engine),
  reference: staticReference,
  golden: {
    attrs: ["x_scale", "x_zero_point", "y_scale", "y_zero_point", "relu", "w_qscheme"],
    inputs: ["x", ...WEIGHT_INPUTS],
    outputs: ["y"],
    decode: (c) => ({
      x: caseQuint8(c),
      weight: caseWeight(c),
      output: { scale: c.attrs.number("y_scale"), zeroPoint: c.attrs.int("y_zero_point") },
      relu: c.attrs.bool("relu"),
    }),
    encode: (y) => ({ y: { shape: y.shape, data: y.intRepr } }),
  },
  kernel: {
    supports: (set, _args, engine) => sameNumerics(set, engine),
    run(set, args): QuantizedTensor {
      const { x, weight, output } = args;
      const y = withPacked(
        set,
        weight,
        (packed) =>
          set.linear(x.intRepr as Uint8Array, rows(x.shape), packed, {
            inputScale: (x.qparams as ScaleZeroPoint).scale,
            inputZeroPoint: (x.qparams as ScaleZeroPoint).zeroPoint,
            outputScale: output.scale,
            outputZeroPoint: output.zeroPoint,
            relu: args.relu,
          }),
      );
      return new QuantizedTensor(y, [...x.shape.slice(0, -1), weight.outFeatures], "quint8", {
        qscheme: "per_tensor_affine",
        scale: output.scale,
        zeroPoint: output.zeroPoint,
      });
    },
  },
  properties: { params: {}, runsFactor: 0.3 },
};

/** `torch.ops.quantized.linear_dynamic` / `linear_relu_dynamic`. */
export const linearDynamic: OpDescriptor<LinearDynamicArgs, Tensor> & {
  readonly family: "gemm";
} = {
  name: "quantized_linear_dynamic",
  family: "gemm",
  pytorch: "torch.ops.quantized.linear_dynamic",
  engine: "required",
  check: (args, engine) => void dynamicReference({ ...args, x: noRows(args?.x) }, engine),
  reference: dynamicReference,
  golden: {
    attrs: ["reduce_range", "relu", "w_qscheme"],
    inputs: ["x", ...WEIGHT_INPUTS],
    outputs: ["y"],
    decode: (c) => {
      const x = c.input("x");
      return {
        x: new Tensor(float32Input(x, "x"), x.shape),
        weight: caseWeight(c),
        reduceRange: c.attrs.bool("reduce_range"),
        relu: c.attrs.bool("relu"),
      };
    },
    encode: (y) => ({ y: { shape: y.shape, data: y.data } }),
  },
  kernel: {
    supports: (set, _args, engine) => sameNumerics(set, engine),
    run(set, args): Tensor {
      const { x, weight } = args;
      const y = withPacked(
        set,
        weight,
        (packed) =>
          set.linearDynamic(x.data, rows(x.shape), packed, {
            reduceRange: args.reduceRange,
            relu: args.relu,
          }),
      );
      return new Tensor(y, [...x.shape.slice(0, -1), weight.outFeatures]);
    },
  },
  properties: { params: {}, runsFactor: 0.3 },
};

/** Every gemm op. */
export const GEMM_OPS = [linear, linearDynamic] as const;
