/**
 * `prepare` (torch/ao/quantization/quantize.py): propagate qconfigs, then attach observers
 * (`activation_post_process`) where PyTorch does, so that running the model (calibration)
 * records activation statistics.
 * @module
 */
import type { Module } from "../module.ts";
import { addObservers } from "./observers.ts";
import { qconfigPropagationList } from "./mappings.ts";
import { type ModuleClass, propagateQConfig } from "./propagate.ts";

/** Options of `prepare`. */
export interface PrepareOptions {
  /** Prepare in place (default false: a deep copy is prepared and returned, as PyTorch). */
  inplace?: boolean;
  /** The module types that may be observed (default: `qconfigPropagationList()`). */
  allowList?: ReadonlySet<ModuleClass>;
  /** Non-leaf module types observed as a whole (`observer_non_leaf_module_list`). */
  observerNonLeafModuleList?: ReadonlySet<ModuleClass>;
}

/**
 * `torch.ao.quantization.prepare(model)`: sets qconfigs (from `model.qconfig` and the modules'
 * own) and attaches an observer built from `qconfig.activation` to every leaf module of an
 * allowed type with a qconfig (QuantStub included, DeQuantStub and Dropout excluded), to every
 * fused module, and as each FloatFunctional's `activation_post_process`. A forward hook runs it
 * on the module's output.
 * @returns the prepared model (a copy unless `inplace`)
 * @example
 * ```ts
 * model.qconfig = getDefaultQConfig("qnnpack");
 * const prepared = prepare(fuseModules(model.eval(), [["conv1", "bn1", "relu1"]]));
 * for (const batch of calibration) prepared.forward(batch);
 * const quantized = convert(prepared, { kernels: bestKernelSet("qnnpack") });
 * ```
 */
export function prepare<M extends Module>(model: M, options: PrepareOptions = {}): M {
  const target = options.inplace ? model : model.clone();
  propagateQConfig(target);
  addObservers(
    target,
    options.allowList ?? qconfigPropagationList(),
    options.observerNonLeafModuleList,
  );
  return target;
}
