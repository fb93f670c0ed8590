/**
 * The module mappings of the three flows (torch/ao/quantization/quantization_mappings.py),
 * restricted to the modules this library has: which float module becomes which quantized (or
 * QAT) module, and the qconfig propagation list that decides where `prepare` observes.
 * @module
 */
import { ReLU6, REQUANTIZING_ACTIVATIONS } from "../modules/activation.ts";
import { BatchNorm2d } from "../modules/batchnorm.ts";
import { Dropout, Sequential } from "../modules/container.ts";
import { Conv2d } from "../modules/conv.ts";
import { FloatFunctional } from "../modules/float_functional.ts";
import {
  BNReLU2d,
  ConvBn2d,
  ConvBnReLU2d,
  ConvReLU2d,
  LinearBn1d,
  LinearReLU,
} from "../modules/fused.ts";
import { Linear } from "../modules/linear.ts";
import { Embedding, EmbeddingBag } from "../modules/embedding.ts";
import { GRU, GRUCell, LSTM, LSTMCell, RNNCell } from "../modules/rnn.ts";
import { DeQuantStub, QuantStub } from "../modules/stubs.ts";
import { QatConv2d, QatConvBn2d, QatConvBnReLU2d, QatConvReLU2d } from "../qat/conv.ts";
import { QatLinear, QatLinearBn1d, QatLinearReLU } from "../qat/linear.ts";
import {
  activationFromFloat,
  batchNormFromFloat,
  type Converter,
  convFromFloat,
  dequantizeFromFloat,
  dropoutFromFloat,
  dynamicLinearFromFloat,
  dynamicRnnCellFromFloat,
  dynamicRnnFromFloat,
  embeddingBagFromFloat,
  embeddingFromFloat,
  functionalFromFloat,
  linearFromFloat,
  quantizeFromFloat,
  relu6FromFloat,
} from "./from_float.ts";
import type { ModuleClass } from "./propagate.ts";

/** `DEFAULT_STATIC_QUANT_MODULE_MAPPINGS`: float, fused and QAT modules → quantized modules. */
export const STATIC_QUANT_MAPPINGS: ReadonlyMap<ModuleClass, Converter> = new Map<
  ModuleClass,
  Converter
>([
  [QuantStub, quantizeFromFloat],
  [DeQuantStub, dequantizeFromFloat],
  [BatchNorm2d, batchNormFromFloat],
  ...REQUANTIZING_ACTIVATIONS.map((m) => [m, activationFromFloat] as const),
  [Dropout, dropoutFromFloat],
  [Conv2d, convFromFloat(false)],
  [Embedding, embeddingFromFloat],
  [EmbeddingBag, embeddingBagFromFloat],
  [Linear, linearFromFloat(false)],
  [ReLU6, relu6FromFloat],
  [FloatFunctional, functionalFromFloat],
  [BNReLU2d, batchNormFromFloat],
  [ConvReLU2d, convFromFloat(true)],
  [LinearReLU, linearFromFloat(true)],
  [QatConvBn2d, convFromFloat(false)],
  [QatConvBnReLU2d, convFromFloat(true)],
  [QatConvReLU2d, convFromFloat(true)],
  [QatLinearReLU, linearFromFloat(true)],
  [QatLinearBn1d, linearFromFloat(false)],
  [QatLinear, linearFromFloat(false)],
  [QatConv2d, convFromFloat(false)],
]);

/** `DEFAULT_QAT_MODULE_MAPPINGS`: float and fused modules → QAT modules. */
export const QAT_MODULE_MAPPINGS: ReadonlyMap<ModuleClass, Converter> = new Map<
  ModuleClass,
  Converter
>([
  [Conv2d, (m) => QatConv2d.fromFloat(m)],
  [Linear, (m) => QatLinear.fromFloat(m)],
  [ConvBn2d, (m) => QatConvBn2d.fromFloat(m)],
  [ConvBnReLU2d, (m) => QatConvBnReLU2d.fromFloat(m)],
  [ConvReLU2d, (m) => QatConvReLU2d.fromFloat(m)],
  [LinearReLU, (m) => QatLinearReLU.fromFloat(m)],
  [LinearBn1d, (m) => QatLinearBn1d.fromFloat(m)],
]);

/**
 * `DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS`: Linear (and LinearReLU) → dynamic linear, the RNNs and
 * cells → dynamic RNNs, Embedding / EmbeddingBag → quantized embeddings (weight-only).
 */
export const DYNAMIC_QUANT_MAPPINGS: ReadonlyMap<ModuleClass, Converter> = new Map<
  ModuleClass,
  Converter
>([
  [GRUCell, dynamicRnnCellFromFloat],
  [Linear, dynamicLinearFromFloat(false)],
  [LSTM, dynamicRnnFromFloat],
  [GRU, dynamicRnnFromFloat],
  [LSTMCell, dynamicRnnCellFromFloat],
  [RNNCell, dynamicRnnCellFromFloat],
  [LinearReLU, dynamicLinearFromFloat(true)],
  [EmbeddingBag, embeddingBagFromFloat],
  [Embedding, embeddingFromFloat],
]);

/**
 * `get_default_qconfig_propagation_list()`: the keys of the three mappings plus Sequential —
 * the module types `prepare` may observe.
 */
export function qconfigPropagationList(): Set<ModuleClass> {
  return new Set<ModuleClass>([
    ...STATIC_QUANT_MAPPINGS.keys(),
    ...QAT_MODULE_MAPPINGS.keys(),
    ...DYNAMIC_QUANT_MAPPINGS.keys(),
    Sequential,
  ]);
}
