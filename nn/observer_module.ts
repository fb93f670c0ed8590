/**
 * Observers and fake-quantize modules as nn Modules: what `prepare` / `prepareQat` attach as
 * `activation_post_process` (and QAT modules as `weight_fake_quant`). They wrap the reference
 * objects (`reference/observers/`, `reference/fake_quantize_module.ts`) and print under their
 * PyTorch class names. Their state dicts hold PyTorch's buffers, in its order, and load from
 * PyTorch's state dicts: `eps`, `min_val`, `max_val` for the min/max observers (per channel:
 * `[C]`), `eps`, `histogram`, `min_val`, `max_val` for HistogramObserver (a calibration recorded
 * in PyTorch continues, and gives PyTorch's qparams, here), `scale`, `zero_point` for
 * FixedQParamsObserver (checked against the fixed qparams); `fake_quant_enabled`,
 * `observer_enabled`, `scale`, `zero_point` for the fake-quantize modules, whose observer is
 * their `activation_post_process` child. Placeholder and no-op observers have no state.
 * @module
 */
import {
  fakeQuantizePerChannelAffineCachemask,
  fakeQuantizePerTensorAffineCachemask,
} from "../reference/fake_quantize.ts";
import { FakeQuantize } from "../reference/fake_quantize_module.ts";
import type { Observer, QParamsResult } from "../reference/observers/observer.ts";
import type { Tensor } from "../reference/tensor.ts";
import { FusedMovingAvgObsFakeQuantize } from "../reference/fake_quantize_module.ts";
import { HistogramObserver } from "../reference/observers/histogram.ts";
import { FixedQParamsObserver } from "../reference/observers/fixed_qparams.ts";
import { MinMaxObserver } from "../reference/observers/min_max.ts";
import { PerChannelMinMaxObserver } from "../reference/observers/per_channel_min_max.ts";
import { recordOp } from "./autograd.ts";
import { show } from "./_util.ts";
import { checkTensor } from "./functional/_shape.ts";
import { Module, type StateDict, type StateDictReader } from "./module.ts";
import type { TypedTensor } from "./typed_tensor.ts";

/** An observer (statistics only) as a module: `forward` records and returns its input. */
export class ObserverModule extends Module {
  /** The reference observer. */
  readonly observer: Observer;

  /** Wraps `observer`. */
  constructor(observer: Observer) {
    super();
    if (typeof observer?.forward !== "function") {
      throw new TypeError(`observer: expected an observer, got ${show(observer)}`);
    }
    this.observer = observer;
  }

  /** Records `x` and returns it. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    return this.observer.forward(x);
  }

  /** The qparams of what was observed (`calculate_qparams`). */
  calculateQParams(): QParamsResult {
    return this.observer.calculateQParams();
  }

  /** The observer's dtype. */
  get dtype(): string {
    return this.observer.dtype;
  }

  /** The observer's class name (`HistogramObserver`, …). */
  override getName(): string {
    return this.observer.className;
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts` for quantized ones). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    const o = this.observer;
    if (o instanceof FixedQParamsObserver) {
      destination.set(prefix + "scale", f32([o.scale], [1]));
      destination.set(prefix + "zero_point", {
        dtype: "I32",
        shape: [1],
        data: Int32Array.of(o.zeroPoint),
      });
    } else if (o instanceof MinMaxObserver || o instanceof HistogramObserver) {
      destination.set(prefix + "eps", f32([o.eps], [1]));
      if (o instanceof HistogramObserver) {
        destination.set(prefix + "histogram", f32(o.histogram, [o.histogram.length]));
      }
      destination.set(prefix + "min_val", f32([o.minVal], []));
      destination.set(prefix + "max_val", f32([o.maxVal], []));
    } else if (o instanceof PerChannelMinMaxObserver) {
      destination.set(prefix + "eps", f32([o.eps], [1]));
      destination.set(prefix + "min_val", f32(o.minVal, [o.minVal.length]));
      destination.set(prefix + "max_val", f32(o.maxVal, [o.maxVal.length]));
    }
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const o = this.observer;
    if (o instanceof FixedQParamsObserver) {
      loadFixedQParams(reader, prefix, o);
      return;
    }
    const histogram = o instanceof HistogramObserver;
    if (!(o instanceof MinMaxObserver || o instanceof PerChannelMinMaxObserver || histogram)) {
      return;
    }
    const perChannel = o instanceof PerChannelMinMaxObserver;
    const eps = reader.expect(prefix + "eps", f32([0], [1]));
    const hist = histogram ? reader.expect(prefix + "histogram", f32(o.histogram, [o.bins])) : null;
    const min = takeF32(reader, prefix + "min_val", perChannel ? 1 : 0);
    const max = takeF32(reader, prefix + "max_val", perChannel ? 1 : 0);
    if (eps === undefined || hist === undefined || min === undefined || max === undefined) return;
    if ((eps.data as Float32Array)[0] !== o.eps) {
      reader.reportMismatch(
        `${prefix}eps: the state dict has ${(eps.data as Float32Array)[0]}, the observer was ` +
          `built with ${o.eps}`,
      );
      return;
    }
    const lo = min.data as Float32Array;
    const hi = max.data as Float32Array;
    if (o instanceof HistogramObserver) {
      const state = { histogram: hist!.data as Float32Array, minVal: lo[0], maxVal: hi[0] };
      try {
        new HistogramObserver({ bins: o.bins }).loadState(state); // checks without changing o
      } catch (e) {
        reader.reportMismatch(`${prefix}histogram: ${(e as Error).message}`);
        return;
      }
      reader.defer(() => o.loadState(state));
      return;
    }
    reader.defer(() => {
      if (o instanceof PerChannelMinMaxObserver) o.setMinMax(lo, hi);
      else o.setMinMax(lo[0], hi[0]);
    });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const o = this.observer as { minVal?: unknown; maxVal?: unknown };
    return typeof o.minVal === "number" ? `min_val=${o.minVal}, max_val=${o.maxVal}` : "";
  }
}

/**
 * A fake-quantize module (`FakeQuantize`, `FusedMovingAvgObsFakeQuantize`, …) as a module:
 * `forward` observes and fake-quantizes as the reference does, and records the
 * straight-through estimator on an active `GradTape` (the gradient passes where the code was
 * inside `[quantMin, quantMax]`, PyTorch's `cachemask` backward).
 */
export class FakeQuantizeModule extends Module {
  /** The reference fake-quantize module. */
  readonly fakeQuant: FakeQuantize;

  /** Wraps `fakeQuant`. */
  constructor(fakeQuant: FakeQuantize) {
    super();
    if (!(fakeQuant instanceof FakeQuantize)) {
      throw new TypeError(`fakeQuant: expected a FakeQuantize, got ${show(fakeQuant)}`);
    }
    this.fakeQuant = fakeQuant;
    // PyTorch's FakeQuantize holds its observer as a child module of this name.
    this.registerModule(
      "activation_post_process",
      new ObserverModule(fakeQuant.activationPostProcess),
    );
  }

  /** Observes (when enabled) and fake-quantizes (when enabled) `x`. */
  forward(x: Tensor): Tensor {
    checkTensor("x", x);
    const fq = this.fakeQuant;
    const y = fq.forward(x);
    if (fq.fakeQuantEnabled) {
      const mask = this.mask(x);
      recordOp([x], y, (g) => [g.map((gi, i) => (mask[i] ? gi : 0))]);
    } else if (y !== x) {
      recordOp([x], y, (g) => [g]);
    }
    return y;
  }

  /** The gradient mask of fake-quantizing `x` with the current qparams. */
  private mask(x: Tensor): Uint8Array {
    const fq = this.fakeQuant;
    const { quantMin, quantMax } = fq;
    const scale = fq.scale;
    const zeroPoint = fq.zeroPoint;
    if (fq.isPerChannel) {
      return fakeQuantizePerChannelAffineCachemask(x, {
        scales: scale,
        zeroPoints: zeroPoint,
        axis: fq.chAxis,
        quantMin,
        quantMax,
        floatZeroPoints: zeroPoint instanceof Float32Array,
      }).mask;
    }
    return fakeQuantizePerTensorAffineCachemask(x, {
      scale: scale[0],
      zeroPoint: zeroPoint[0],
      quantMin,
      quantMax,
    }).mask;
  }

  /** The observer's qparams (what convert uses). */
  calculateQParams(): QParamsResult {
    return this.fakeQuant.calculateQParams();
  }

  /** The dtype. */
  get dtype(): string {
    return this.fakeQuant.dtype;
  }

  /** `enable_observer(enabled)`. */
  enableObserver(enabled = true): void {
    this.fakeQuant.enableObserver(enabled);
  }

  /** `disable_observer()`. */
  disableObserver(): void {
    this.fakeQuant.disableObserver();
  }

  /** `enable_fake_quant(enabled)`. */
  enableFakeQuant(enabled = true): void {
    this.fakeQuant.enableFakeQuant(enabled);
  }

  /** `disable_fake_quant()`. */
  disableFakeQuant(): void {
    this.fakeQuant.disableFakeQuant();
  }

  /** The class name (`FakeQuantize`, `FusedMovingAvgObsFakeQuantize`, …). */
  override getName(): string {
    return this.fakeQuant.className;
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts` for quantized ones). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    const fq = this.fakeQuant;
    // PyTorch's FakeQuantize keeps its flags as uint8; the fused module as int64.
    const flag = (on: boolean): TypedTensor =>
      fq instanceof FusedMovingAvgObsFakeQuantize
        ? { dtype: "I64", shape: [1], data: BigInt64Array.of(on ? 1n : 0n) }
        : { dtype: "U8", shape: [1], data: Uint8Array.of(on ? 1 : 0) };
    destination.set(prefix + "fake_quant_enabled", flag(fq.fakeQuantEnabled));
    destination.set(prefix + "observer_enabled", flag(fq.observerEnabled));
    const scale = fq.scale;
    const zp = fq.zeroPoint;
    destination.set(prefix + "scale", f32(scale, [scale.length]));
    destination.set(
      prefix + "zero_point",
      zp instanceof Float32Array
        ? f32(zp, [zp.length])
        : { dtype: "I32", shape: [zp.length], data: Int32Array.from(zp) },
    );
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    const fq = this.fakeQuant;
    const flags = ["fake_quant_enabled", "observer_enabled"].map((name) => {
      const t = reader.take(prefix + name);
      if (t === undefined) reader.markMissing(prefix + name);
      else if (t.data.length !== 1 || (t.dtype !== "I64" && t.dtype !== "U8")) {
        reader.reportMismatch(
          `${prefix}${name}: expected one I64 or U8 value, got ${t.dtype} [${t.shape}]`,
        );
        return undefined;
      }
      return t === undefined ? undefined : Number(t.data[0]) !== 0;
    });
    const scale = takeF32(reader, prefix + "scale", 1);
    const zp = reader.take(prefix + "zero_point");
    if (zp === undefined) reader.markMissing(prefix + "zero_point");
    if (flags.includes(undefined) || scale === undefined || zp === undefined) return;
    if (zp.dtype !== "I32" && zp.dtype !== "F32") {
      reader.reportMismatch(`${prefix}zero_point: expected I32 (or F32), got ${zp.dtype}`);
      return;
    }
    const zeroPoint = zp.dtype === "F32"
      ? Float32Array.from(zp.data as Float32Array)
      : Int32Array.from(zp.data as Int32Array);
    const scales = Float32Array.from(scale.data as Float32Array);
    reader.defer(() => {
      const state = fq as unknown as { currentScale: Float32Array; currentZeroPoint: unknown };
      state.currentScale = scales;
      state.currentZeroPoint = zeroPoint;
      fq.enableFakeQuant(flags[0]!);
      fq.enableObserver(flags[1]!);
    });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const fq = this.fakeQuant;
    return `fake_quant_enabled=${fq.fakeQuantEnabled}, observer_enabled=${fq.observerEnabled}, ` +
      `quant_min=${fq.quantMin}, quant_max=${fq.quantMax}, dtype=${fq.dtype}, ` +
      `qscheme=${fq.qscheme}, ch_axis=${fq.chAxis}, scale=[${fq.scale}], ` +
      `zero_point=[${fq.zeroPoint}]`;
  }
}

/** An observer or a fake-quantize module, wrapped as a module. */
export type ActivationPostProcess = ObserverModule | FakeQuantizeModule;

/** Wraps what a qconfig factory made: a FakeQuantize as a FakeQuantizeModule, else an observer. */
export function wrapObserver(observer: Observer): ActivationPostProcess {
  return observer instanceof FakeQuantize
    ? new FakeQuantizeModule(observer)
    : new ObserverModule(observer);
}

/** Whether `m` is an observer or fake-quantize module (`is_activation_post_process`). */
export function isActivationPostProcess(m: unknown): m is ActivationPostProcess {
  return m instanceof ObserverModule || m instanceof FakeQuantizeModule;
}

/** Reads a FixedQParamsObserver's `scale` and `zero_point`, which must be its fixed ones. */
function loadFixedQParams(reader: StateDictReader, prefix: string, o: FixedQParamsObserver): void {
  const scale = reader.expect(prefix + "scale", f32([0], [1]));
  const zp = reader.expect(prefix + "zero_point", {
    dtype: "I32",
    shape: [1],
    data: new Int32Array(1),
  });
  if (scale === undefined || zp === undefined) return;
  const s = (scale.data as Float32Array)[0];
  const z = (zp.data as Int32Array)[0];
  if (s !== o.scale || z !== o.zeroPoint) {
    reader.reportMismatch(
      `${prefix}scale, zero_point: the state dict has (${s}, ${z}), the FixedQParamsObserver ` +
        `was built with (${o.scale}, ${o.zeroPoint})`,
    );
  }
}

/** A float32 entry. */
function f32(values: ArrayLike<number>, shape: number[]): TypedTensor {
  return { dtype: "F32", shape, data: Float32Array.from(values) };
}

/** Takes an F32 entry of rank `rank` (any length), recording problems in `reader`. */
function takeF32(reader: StateDictReader, key: string, rank: number): TypedTensor | undefined {
  const t = reader.take(key);
  if (t === undefined) {
    reader.markMissing(key);
    return undefined;
  }
  if (t.dtype !== "F32" || t.shape.length !== rank) {
    reader.reportMismatch(
      `${key}: expected F32 of rank ${rank}, got ${t.dtype} [${t.shape}]`,
    );
    return undefined;
  }
  return t;
}
