/**
 * The `model.apply` helpers of QAT (torch/ao/quantization/fake_quantize.py and
 * torch/ao/nn/intrinsic/qat/modules/conv_fused.py): enable or disable the observers and the
 * fake quantization of every fake-quantize module, freeze or unfreeze BN statistics.
 * @example
 * ```ts
 * model.apply(disableObserver); // after some epochs: keep the qparams fixed
 * model.apply(freezeBnStats);   // and the BN statistics
 * ```
 * @module
 */
import type { Module } from "../module.ts";
import { FakeQuantizeModule } from "../observer_module.ts";
import { QatConvBn2d } from "./conv.ts";
import { QatLinearBn1d } from "./linear.ts";

/** `torch.ao.quantization.enable_observer`. */
export function enableObserver(m: Module): void {
  if (m instanceof FakeQuantizeModule) m.enableObserver();
}

/** `torch.ao.quantization.disable_observer`. */
export function disableObserver(m: Module): void {
  if (m instanceof FakeQuantizeModule) m.disableObserver();
}

/** `torch.ao.quantization.enable_fake_quant`. */
export function enableFakeQuant(m: Module): void {
  if (m instanceof FakeQuantizeModule) m.enableFakeQuant();
}

/** `torch.ao.quantization.disable_fake_quant`. */
export function disableFakeQuant(m: Module): void {
  if (m instanceof FakeQuantizeModule) m.disableFakeQuant();
}

/** `torch.nn.intrinsic.qat.freeze_bn_stats`. */
export function freezeBnStats(m: Module): void {
  if (m instanceof QatConvBn2d || m instanceof QatLinearBn1d) m.freezeBnStats();
}

/** `torch.nn.intrinsic.qat.update_bn_stats`. */
export function updateBnStats(m: Module): void {
  if (m instanceof QatConvBn2d || m instanceof QatLinearBn1d) m.updateBnStats();
}
