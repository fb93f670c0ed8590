/**
 * What the QAT modules share: the qconfig requirement and the BatchNorm handling of
 * `ConvBn2d` / `LinearBn1d` (torch/ao/nn/intrinsic/qat/modules): the BN registered before
 * `weight_fake_quant` (PyTorch's child order), `freeze_bn` / `update_bn_stats`, `train()` that
 * leaves a frozen BN in eval mode, and the factor `γ/√(running_var + eps)` the weight is scaled by.
 * @module
 */
import type { QConfig } from "../../reference/qconfig.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { addScalar, div, sqrt } from "../functional/elementwise.ts";
import type { Module } from "../module.ts";
import type { BatchNormBase } from "../modules/batchnorm.ts";

/** The qconfig of a QAT module. @throws {TypeError} when there is none. */
export function requireQConfig(cls: string, qconfig: QConfig | null | undefined): QConfig {
  if (qconfig === null || qconfig === undefined) {
    throw new TypeError(`qconfig: a qconfig must be provided for QAT module ${cls}`);
  }
  return qconfig;
}

/** A QAT module with a folded BatchNorm. */
export interface BnFoldedModule extends Module {
  bn: BatchNormBase;
  freezeBn: boolean;
}

/**
 * Registers `bn` before the module's `weight_fake_quant` (PyTorch's order of children) and
 * returns whether the BN starts frozen (asked for, or the module is in eval mode).
 */
export function attachBn(
  module: Module,
  bn: BatchNormBase,
  freezeBn: boolean | undefined,
): boolean {
  const wfq = module.getSubmodule("weight_fake_quant");
  module.deleteModule("weight_fake_quant");
  module.registerModule("bn", bn);
  module.registerModule("weight_fake_quant", wfq);
  const frozen = (freezeBn ?? false) || !module.training;
  bn.training = !frozen;
  return frozen;
}

/** `freeze_bn_stats()` (frozen) / `update_bn_stats()` (not frozen). */
export function setBnFrozen(module: BnFoldedModule, frozen: boolean): void {
  module.freezeBn = frozen;
  module.bn.training = !frozen;
}

/** `train(mode)`: the module's mode; its children follow only while the BN is not frozen. */
export function trainUnlessFrozen(module: BnFoldedModule, mode: boolean): void {
  module.training = mode;
  if (!module.freezeBn) { for (const child of module.children()) child.train(mode); }
}

/** `bn.weight / √(bn.running_var + bn.eps)`, PyTorch's float32 ops. */
export function bnScaleFactor(bn: BatchNormBase): Tensor {
  return div(bn.weight!, sqrt(addScalar(bn.runningVar!, bn.eps)));
}
