/**
 * The unary ops (activations and clamps), one descriptor each.
 * @module
 */
import { dtypeRange } from "../reference/dtype.ts";
import { reciprocalF32 } from "../reference/float32.ts";
import { quantizeVal } from "../reference/quantize.ts";
import {
  quantizedHardswish,
  quantizedRelu,
  quantizedRelu6,
  quantizedSigmoid,
  quantizedTanh,
} from "../reference/quantized_activation.ts";
import { unaryOp } from "./unary.ts";
import { float } from "./domain.ts";
import { scalarToFloat } from "../reference/_aten_unary.ts";
import { quantizedLeakyRelu } from "../reference/quantized_leaky_relu.ts";
import {
  checkedClampCodes,
  clampCodes,
  quantizedClamp,
  quantizedHardtanh,
} from "../reference/quantized_clamp.ts";
import { quantizedElu } from "../reference/quantized_elu.ts";
import { checkHardsigmoid, quantizedHardsigmoid } from "../reference/quantized_hardsigmoid.ts";

/** `torch.relu` of a quantized tensor: `max(q, zp)`. */
export const relu = unaryOp<Record<never, number>>({
  name: "quantized_relu",
  pytorch: "torch.relu",
  engine: "optional",
  output: "input",
  keepsFormat: true,
  params: {},
  reference: (x) => quantizedRelu(x),
  clampBounds: (x) => [x.zeroPoint, 255],
});

/** `torch.nn.functional.relu6` / `quantized::relu6`: `min(max(q, zp), q(6))`. */
export const relu6 = unaryOp<Record<never, number>>({
  name: "quantized_relu6",
  pytorch: "torch.ops.quantized.relu6",
  engine: "optional",
  output: "input",
  keepsFormat: false, // quantized::relu6 returns an NCHW-contiguous tensor
  params: {},
  reference: (x) => quantizedRelu6(x),
  clampBounds: (x) => {
    const { min, max } = dtypeRange("quint8");
    return [x.zeroPoint, quantizeVal(6, reciprocalF32(x.scale), x.zeroPoint, min, max)];
  },
});

/** `torch.ops.quantized.hardswish(x, scale, zero_point)`. */
export const hardswish = unaryOp<Record<never, number>>({
  name: "quantized_hardswish",
  pytorch: "torch.ops.quantized.hardswish",
  engine: "required",
  output: "requantized",
  keepsFormat: true,
  params: {},
  reference: (x, _p, o) =>
    quantizedHardswish(x, {
      engine: o.engine,
      outputScale: o.output!.scale,
      outputZeroPoint: o.output!.zeroPoint,
      vectorBlock: o.vectorBlock,
    }),
});

/** `torch.sigmoid` of a quantized tensor (fixed output qparams). */
export const sigmoid = unaryOp<Record<never, number>>({
  name: "quantized_sigmoid",
  pytorch: "torch.sigmoid",
  engine: "required",
  output: "fixed",
  keepsFormat: true,
  params: {},
  reference: (x, _p, o) => quantizedSigmoid(x, { engine: o.engine, vectorBlock: o.vectorBlock }),
});

/** `torch.tanh` of a quantized tensor (fixed output qparams). */
export const tanh = unaryOp<Record<never, number>>({
  name: "quantized_tanh",
  pytorch: "torch.tanh",
  engine: "required",
  output: "fixed",
  keepsFormat: true,
  params: {},
  reference: (x, _p, o) => quantizedTanh(x, { engine: o.engine, vectorBlock: o.vectorBlock }),
});

/** Slopes and alphas: any float (PyTorch accepts |v| <= FLT_MAX), with the edges that matter. */
const SLOPE = float(-1e3, 1e3, [0, -0, 1, -1, 0.01, -0.01, 1e9, -1e9, 3e38, 1e-30]);
/** Clamp bounds: around the representable range and far outside it. */
const BOUND = float(-300, 300, [0, -0, 6, -6, 1e30, -1e30, 0.5]);

/** `torch.ops.quantized.leaky_relu(x, negative_slope, ...)` (ATen's kernel on every engine). */
export const leakyRelu = unaryOp<{ negativeSlope: number }>({
  name: "quantized_leaky_relu",
  pytorch: "torch.ops.quantized.leaky_relu",
  engine: "optional",
  output: "requantized",
  keepsFormat: true,
  params: { negativeSlope: { golden: "negative_slope", domain: SLOPE } },
  reference: (x, p, o) =>
    quantizedLeakyRelu(x, {
      negativeSlope: p.negativeSlope,
      outputScale: o.output!.scale,
      outputZeroPoint: o.output!.zeroPoint,
      vectorBlock: o.vectorBlock,
    }),
  check: (_x, p) => void scalarToFloat("negativeSlope", p.negativeSlope),
});

/** `torch.ao.nn.quantized.functional.hardtanh(x, min_val, max_val)`: an integer clamp. */
export const hardtanh = unaryOp<{ minVal: number; maxVal: number }>({
  name: "quantized_hardtanh",
  pytorch: "torch.ao.nn.quantized.functional.hardtanh",
  engine: "required",
  output: "input",
  keepsFormat: true,
  params: {
    minVal: { golden: "min_val", domain: BOUND },
    maxVal: { golden: "max_val", domain: BOUND },
  },
  reference: (x, p, o) => quantizedHardtanh(x, { engine: o.engine, ...p }),
  check: (x, p, engine) =>
    void checkedClampCodes(x, engine, [p.minVal, p.maxVal], ["minVal", "maxVal"]),
  clampBounds: (x, p) => clampCodes(x, { min: p.minVal, max: p.maxVal }),
});

/** `torch.clamp(x, min, max)` of a quantized tensor: an integer clamp. */
export const clamp = unaryOp<{ min: number; max: number }>({
  name: "quantized_clamp",
  pytorch: "torch.clamp",
  engine: "required",
  output: "input",
  keepsFormat: true,
  params: { min: { golden: "min", domain: BOUND }, max: { golden: "max", domain: BOUND } },
  reference: (x, p, o) => quantizedClamp(x, { engine: o.engine, ...p }),
  check: (x, p, engine) => void checkedClampCodes(x, engine, [p.min, p.max], ["min", "max"]),
  clampBounds: (x, p) => clampCodes(x, p),
});

/** `torch.ops.quantized.elu(x, scale, zero_point, alpha)` (ATen's kernel on every engine). */
export const elu = unaryOp<{ alpha: number }>({
  name: "quantized_elu",
  pytorch: "torch.ops.quantized.elu",
  engine: "optional",
  output: "requantized",
  keepsFormat: false, // quantized::elu returns an NCHW-contiguous tensor
  params: { alpha: { golden: "alpha", domain: SLOPE } },
  reference: (x, p, o) =>
    quantizedElu(x, {
      alpha: p.alpha,
      outputScale: o.output!.scale,
      outputZeroPoint: o.output!.zeroPoint,
      vectorBlock: o.vectorBlock,
    }),
  check: (_x, p) => void scalarToFloat("alpha", p.alpha),
});

/** `torch.ao.nn.quantized.functional.hardsigmoid` (fixed output qparams). */
export const hardsigmoid = unaryOp<Record<never, number>>({
  name: "quantized_hardsigmoid",
  pytorch: "torch.ao.nn.quantized.functional.hardsigmoid",
  engine: "required",
  output: "fixed",
  keepsFormat: true,
  params: {},
  reference: (x, _p, o) =>
    quantizedHardsigmoid(x, { engine: o.engine, vectorBlock: o.vectorBlock }),
  check: (x, _p, engine) => checkHardsigmoid(x, engine),
});

/** Every unary op. */
export const UNARY_OPS = [
  relu,
  relu6,
  hardswish,
  sigmoid,
  tanh,
  leakyRelu,
  hardtanh,
  clamp,
  elu,
  hardsigmoid,
] as const;
