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
} from "../reference/quantized_activations.ts";
import { unaryOp } from "./unary.ts";

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

/** Every unary op. */
export const UNARY_OPS = [relu, relu6, hardswish, sigmoid, tanh] as const;
