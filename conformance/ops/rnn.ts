/**
 * Golden ops `quantized_lstm_dynamic` and `quantized_gru_dynamic`: a dynamic quantized LSTM or
 * GRU (`nn.quantized.dynamic.LSTM` / `GRU` from a float module under `default_dynamic_qconfig`)
 * from its float parameters under PyTorch's names. The weights are quantized as that qconfig's
 * weight observer does; the reference runs every product on the reference dynamic linear of the
 * case's engine, a kernel path on its own dynamic linear kernel.
 * @module
 */
import type { Produced } from "../compare.ts";
import type { GoldenCase } from "../golden_file.ts";
import {
  float32Input,
  MalformedCase,
  type OpHandler,
  type RunContext,
  UnsupportedCase,
} from "../op_handler.ts";
import { caseEngine } from "./registered.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { packRnnCells } from "../../kernels/dynamic_rnn.ts";
import { isEngine, linearNumerics } from "../../reference/engine.ts";
import {
  checkCellWeights,
  gateCount,
  quantizedRnnDynamic,
  quantizeDynamicWeight,
  type RnnCellWeights,
  type RnnConfig,
  rnnForward,
  rnnParameterSuffix,
} from "../../reference/quantized_rnn.ts";
import { Tensor } from "../../reference/tensor.ts";

const ATTRS = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional"];
/** PyTorch's parameter names: `weight_ih_l0`, `bias_hh_l2_reverse`, … */
const PARAMETER = /^(weight|bias)_(ih|hh)_l\d+(_reverse)?$/;

function caseTensor(ctx: RunContext, name: string): Tensor {
  const t = ctx.input(name);
  return new Tensor(float32Input(t, name), t.shape);
}

function optionalTensor(ctx: RunContext, name: string): Tensor | null {
  const t = ctx.optionalInput(name);
  return t === undefined ? null : new Tensor(float32Input(t, name), t.shape);
}

/** The case's config; `bias: false` is refused, as PyTorch refuses it. */
function caseConfig(ctx: RunContext, mode: "LSTM" | "GRU"): RnnConfig {
  if (!ctx.attrs.bool("bias")) {
    throw new UnsupportedCase(
      `bias=false: PyTorch's dynamic quantized RNNs require biases (from_float asserts mod.bias)`,
    );
  }
  return {
    mode,
    inputSize: ctx.attrs.int("input_size"),
    hiddenSize: ctx.attrs.int("hidden_size"),
    numLayers: ctx.attrs.int("num_layers"),
    bidirectional: ctx.attrs.bool("bidirectional"),
    batchFirst: ctx.attrs.bool("batch_first"),
  };
}

/** Every layer's and direction's weights, quantized from the case's float parameters. */
function caseWeights(ctx: RunContext, config: RnnConfig): RnnCellWeights[] {
  const directions = config.bidirectional ? 2 : 1;
  const weights: RnnCellWeights[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (let dir = 0; dir < directions; dir++) {
      const suffix = rnnParameterSuffix(layer, dir === 1);
      const part = (kind: "ih" | "hh") =>
        quantizeDynamicWeight(
          caseTensor(ctx, `weight_${kind}_${suffix}`),
          caseTensor(ctx, `bias_${kind}_${suffix}`),
        );
      const w = { ih: part("ih"), hh: part("hh") };
      checkCellWeights(w, {
        gates: gateCount(config.mode),
        inputSize: layer === 0 ? config.inputSize : directions * config.hiddenSize,
        hiddenSize: config.hiddenSize,
      }, suffix);
      weights.push(w);
    }
  }
  const expected = config.numLayers * directions * 4;
  const given = Object.keys(ctx.testCase.inputs).filter((k) => PARAMETER.test(k)).length;
  if (given !== expected) {
    throw new MalformedCase(`expected ${expected} parameters for the config, got ${given}`);
  }
  return weights;
}

function produced(t: Tensor): Produced {
  return { shape: t.shape, data: t.data };
}

/** An RNN case runs on the kernel paths of its engine's numerics. */
function supportsRnn(testCase: GoldenCase, kernels: KernelSet): boolean {
  const engine = testCase.engine;
  return isEngine(engine) && linearNumerics(engine) === kernels.numerics;
}

function rnnHandler(mode: "LSTM" | "GRU"): OpHandler {
  const lstm = mode === "LSTM";
  return {
    op: lstm ? "quantized_lstm_dynamic" : "quantized_gru_dynamic",
    attrs: ATTRS,
    inputs: ["x", "h0", ...(lstm ? ["c0"] : []), PARAMETER],
    outputs: ["y", "h_n", ...(lstm ? ["c_n"] : [])],
    kernelSupport: supportsRnn,
    run(ctx): Record<string, Produced> {
      const engine = caseEngine(ctx, true);
      const config = caseConfig(ctx, mode);
      const weights = caseWeights(ctx, config);
      const x = caseTensor(ctx, "x");
      const initial = {
        h0: optionalTensor(ctx, "h0"),
        c0: lstm ? optionalTensor(ctx, "c0") : null,
      };
      let out;
      const kernels = ctx.path.kernels;
      if (kernels === undefined) {
        out = quantizedRnnDynamic(x, weights, { ...config, engine }, initial);
      } else {
        const packed = packRnnCells(kernels, weights);
        try {
          out = rnnForward(x, packed.cells, config, initial);
        } finally {
          packed.free();
        }
      }
      return {
        y: produced(out.y),
        h_n: produced(out.h),
        ...(out.c === null ? {} : { c_n: produced(out.c) }),
      };
    },
  };
}

/** The dynamic RNN handlers. */
export const rnnOps: readonly OpHandler[] = [rnnHandler("LSTM"), rnnHandler("GRU")];
