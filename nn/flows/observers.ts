/**
 * Attaching observers (`add_observer_` of torch/ao/quantization/quantize.py): which modules get
 * an `activation_post_process` and the hooks that call it.
 * @module
 */
import type { QConfig } from "../../reference/qconfig.ts";
import type { Module } from "../module.ts";
import { Dropout, Sequential } from "../modules/container.ts";
import { FloatFunctional } from "../modules/float_functional.ts";
import { FusedModule } from "../modules/fused.ts";
import { DeQuantStub } from "../modules/stubs.ts";
import {
  type ActivationPostProcess,
  isActivationPostProcess,
  wrapObserver,
} from "../observer_module.ts";
import { QatConvBn2d, QatConvReLU2d } from "../qat/conv.ts";
import { QatLinearBn1d, QatLinearReLU } from "../qat/linear.ts";
import type { ModuleClass } from "./propagate.ts";

/** The observer of a module (its `activation_post_process` child). */
function app(m: Module): ActivationPostProcess {
  return m.getSubmodule("activation_post_process") as ActivationPostProcess;
}

/** `_observer_forward_hook`: observes the module's output. */
export function observerForwardHook(m: Module, _inputs: unknown[], output: unknown): unknown {
  return (app(m).forward as (x: unknown) => unknown)(output);
}

/** `_observer_forward_pre_hook`: observes the module's first input (memoryless qconfigs). */
export function observerForwardPreHook(m: Module, inputs: unknown[]): unknown[] {
  return [(app(m).forward as (x: unknown) => unknown)(inputs[0])];
}

/**
 * Whether `m` is fused (`_FusedModule`): the float intrinsic modules and the QAT fused ones,
 * whose children are not visited on their own.
 */
export function isFusedModule(m: Module): boolean {
  return m instanceof FusedModule || m instanceof QatConvBn2d || m instanceof QatConvReLU2d ||
    m instanceof QatLinearReLU || m instanceof QatLinearBn1d;
}

/** `activation_is_memoryless`: a moving-average observer with averaging constant 1. */
export function activationIsMemoryless(qconfig: QConfig): boolean {
  const act = qconfig.activation.create() as {
    activationPostProcess?: { averagingConstant?: number };
    averagingConstant?: number;
  };
  const observer = act.activationPostProcess ?? act;
  return observer.averagingConstant === 1;
}

function needsObservation(m: Module): boolean {
  return m.qconfig !== undefined && m.qconfig !== null;
}

/**
 * `insert_activation_post_process`: adds `activation_post_process` (from the qconfig's
 * activation factory) and the hook that calls it, first in the hook list.
 */
export function insertActivationPostProcess(m: Module): void {
  if (!needsObservation(m) || m instanceof DeQuantStub) return;
  m.registerModule("activation_post_process", wrapObserver(m.qconfig!.activation.create()));
  if (activationIsMemoryless(m.qconfig!)) {
    m.registerForwardPreHook(observerForwardPreHook, { prepend: true });
  } else {
    m.registerForwardHook(observerForwardHook, { prepend: true });
  }
}

/**
 * `add_observer_`: observers on every leaf module whose type is in `propagationList` (not
 * Sequential), on fused modules and `nonLeafModules`, and as FloatFunctional's
 * `activation_post_process`; never on Dropout or DeQuantStub.
 */
export function addObservers(
  module: Module,
  propagationList: ReadonlySet<ModuleClass>,
  nonLeafModules?: ReadonlySet<ModuleClass>,
): void {
  for (const [, child] of module.namedChildren()) {
    if (child.constructor === Dropout) continue;
    if (child instanceof FloatFunctional) {
      if (needsObservation(child)) {
        child.registerModule(
          "activation_post_process",
          wrapObserver(child.qconfig!.activation.create()),
        );
      }
    } else if (isFusedModule(child)) {
      insertActivationPostProcess(child);
    } else if (nonLeafModules?.has(child.constructor as ModuleClass)) {
      insertActivationPostProcess(child);
    } else {
      addObservers(child, propagationList, nonLeafModules);
    }
  }
  if (
    module.namedChildren().length === 0 && !(module instanceof Sequential) &&
    propagationList.has(module.constructor as ModuleClass)
  ) {
    insertActivationPostProcess(module);
  }
}

/**
 * `_remove_qconfig`: removes every `qconfig`, observer child and observer hook (what convert
 * does at the end).
 */
export function removeQConfig(module: Module): void {
  for (const child of module.children()) removeQConfig(child);
  module.qconfig = undefined;
  const named = module.namedChildren().find(([n]) => n === "activation_post_process");
  if (named !== undefined && isActivationPostProcess(named[1])) {
    module.deleteModule("activation_post_process");
  }
  module.removeHook(observerForwardHook);
  module.removeHook(observerForwardPreHook);
}
