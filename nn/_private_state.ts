/**
 * Deep copies of the reference classes whose state lives in JavaScript private (`#`) fields
 * (internal): a FakeQuantize is rebuilt around a copy of its observer (its qparams and enabled
 * flags restored); a HistogramObserver cannot be rebuilt (its histogram cannot be set), so a copy
 * either refuses it or, where only its qparams are read afterwards (convert), shares it.
 * @module
 */
import type { DeepCopyOptions } from "./_deepcopy.ts";
import { FakeQuantize, FusedMovingAvgObsFakeQuantize } from "../reference/fake_quantize_module.ts";
import { HistogramObserver } from "../reference/observers/histogram.ts";
import type { QuantizingObserver } from "../reference/observers/observer.ts";

/** Rebuilds `fq` around `observer` with the same qparams and enabled flags. */
function rebuildFakeQuantize(fq: FakeQuantize, observer: QuantizingObserver): FakeQuantize {
  const factory = {
    className: observer.className,
    target: observer.constructor,
    args: {},
    create: () => observer,
    withArgs: () => factory,
  };
  const Ctor = fq.constructor as new (options: object) => FakeQuantize;
  const copy = fq instanceof FusedMovingAvgObsFakeQuantize
    ? new Ctor({ observer: factory, chooseQParamsVariant: fq.chooseQParamsVariant })
    : new Ctor({ observer: factory });
  const state = copy as unknown as { currentScale: Float32Array; currentZeroPoint: unknown };
  state.currentScale = fq.scale;
  state.currentZeroPoint = fq.zeroPoint;
  copy.enableObserver(fq.observerEnabled);
  copy.enableFakeQuant(fq.fakeQuantEnabled);
  return copy;
}

/**
 * The deep-copy options for module trees: FakeQuantize objects are rebuilt; HistogramObserver
 * objects are shared when `shareHistograms`, refused otherwise.
 */
export function moduleCopyOptions(options: { shareHistograms?: boolean } = {}): DeepCopyOptions {
  return {
    share: (value) => options.shareHistograms === true && value instanceof HistogramObserver,
    refuse: (value) =>
      value instanceof HistogramObserver
        ? `clone: cannot copy a HistogramObserver: its histogram is private to the reference ` +
          `class; copy the model before prepare(), or pass { inplace: true }`
        : undefined,
    custom: (value, copy) =>
      value instanceof FakeQuantize
        ? rebuildFakeQuantize(value, copy(value.activationPostProcess))
        : undefined,
  };
}
