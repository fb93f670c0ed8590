/**
 * The benchmark models through nn's static quantization flow, as a user runs it: random weights
 * (`random_weights.ts`), eval, `fuseModel()` (torchvision's fusion), a qconfig, `prepare`,
 * calibration, then `convert(prepared, { kernels })` per kernel set. Calibration runs the
 * prepared model's fp32 baseline (`fp32_baseline.ts`), which feeds the prepared model's own
 * observers: the same statistics as its float forward, at kernel speed.
 * @module
 */
import type { KernelRuntime } from "../../kernels/runtime.ts";
import type { Numerics } from "../../reference/engine.ts";
import { MinMaxObserver, withArgs } from "../../reference/observers/mod.ts";
import { defaultPerChannelWeightObserver, QConfig } from "../../reference/qconfig.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { FloatFunctional, type Module, ObserverModule, prepare } from "../../nn/mod.ts";
import { fp32Baseline, freeFp32Baseline } from "./fp32_baseline.ts";
import { randomizeWeights } from "./random_weights.ts";

/** A model written as torchvision's quantizable models are: it fuses itself in place. */
export interface QuantizableModel extends Module {
  /** Float (or quantized) NCHW images in, float logits out. */
  forward(x: Tensor): Tensor;
  /** torchvision's `fuse_model()` (eval mode). */
  fuseModel(): void;
}

/**
 * The benchmark's qconfig for a numerics: MinMaxObserver activations (quint8, with reduce_range
 * on FBGEMM's numerics — AVX2 or AVX-512 VNNI — as PyTorch's default x86/fbgemm qconfig observes
 * whatever the CPU; onednn's and qnnpack's observe the full range) and per-channel symmetric
 * qint8 weights (`default_per_channel_weight_observer`).
 */
export function benchQConfig(numerics: Numerics): QConfig {
  const reduceRange = numerics === "fbgemm" || numerics === "fbgemm_avx512_vnni";
  return new QConfig(withArgs(MinMaxObserver, { reduceRange }), defaultPerChannelWeightObserver);
}

/** `model` with random weights (from `seed`), in eval mode and fused (in place). */
export function fusedRandomModel<M extends QuantizableModel>(model: M, seed = 1): M {
  randomizeWeights(model, seed);
  model.eval();
  model.fuseModel();
  return model;
}

/**
 * `prepare` on a copy of the fused model with `benchQConfig(numerics)`, calibrated on `images`
 * through its fp32 baseline: ready for `convert`.
 */
export function calibratedModel<M extends Module>(
  fused: M,
  numerics: Numerics,
  images: readonly Tensor[],
  runtime: KernelRuntime,
): M {
  const model = fused.clone();
  model.qconfig = benchQConfig(numerics);
  const prepared = prepare(model, { inplace: true });
  const onKernels = fp32Baseline(prepared, runtime);
  for (const x of images) onKernels.forward(x);
  freeFp32Baseline(onKernels);
  assertCalibrated(prepared);
  return prepared;
}

/**
 * Throws naming the first observer that saw no data, unless it is a FloatFunctional's: a
 * functional op the forward never calls (torchvision's `skip_add` in a block without a residual
 * connection), whose converted qparams nothing uses — PyTorch only warns about it at convert.
 */
export function assertCalibrated(prepared: Module): void {
  for (const [name, m] of prepared.namedModules()) {
    if (!(m instanceof ObserverModule)) continue;
    const owner = prepared.getSubmodule(name.slice(0, Math.max(0, name.lastIndexOf("."))));
    const observer = m.observer as MinMaxObserver;
    if (!(owner instanceof FloatFunctional) && !(observer.minVal <= observer.maxVal)) {
      throw new Error(`${name}: the calibration pass never reached this observer`);
    }
  }
}
