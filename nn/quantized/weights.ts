/**
 * Weight quantization at convert time: PyTorch's `_quantize_weight` and `_clamp_weights`
 * (torch/ao/nn/quantized/modules/utils.py) from a weight observer or fake-quantize module.
 * @module
 */
import { FakeQuantize } from "../../reference/fake_quantize_module.ts";
import type { Observer, QuantizingObserver } from "../../reference/observers/observer.ts";
import { checkObservedQParams } from "../../reference/observers/uniform.ts";
import { quantizePerChannel, quantizePerTensor } from "../../reference/quantize.ts";
import { QuantizedTensor, type Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";

/** The observer that holds the range (`_get_weight_observer`: a FakeQuantize's observer). */
function rangeObserver(observer: Observer): QuantizingObserver {
  return (observer instanceof FakeQuantize
    ? observer.activationPostProcess
    : observer) as QuantizingObserver;
}

/**
 * `_quantize_weight(float_wt, observer)`: the qint8 weight with the observer's qparams —
 * `quantize_per_tensor(w, float(scale), int(zp))` for per-tensor qschemes,
 * `quantize_per_channel(w, scales.double(), zps, ch_axis)` for per-channel ones — then clamped
 * to the observer's `[quant_min, quant_max]` when that is narrower than qint8
 * (`_clamp_weights`, e.g. the [-127, 127] qnnpack symmetric weights).
 * @param observer a weight observer, or a FakeQuantize (QAT), that has seen the weight
 * @param owner names the weight in errors (`convert: fc1 (Linear).weight`)
 * @throws {TypeError} for a dtype other than qint8 or an unsupported qscheme; {RangeError} when
 * the observer's scale is not finite and > 0 (a weight with ±Infinity: see
 * `checkObservedQParams`).
 */
export function quantizeWeight(
  weight: Tensor,
  observer: Observer,
  owner = "weight",
): QuantizedTensor {
  const obs = rangeObserver(observer);
  const dtype = observer.dtype;
  if (dtype !== "qint8") {
    throw new TypeError(`weight observer: dtype must be qint8, got ${show(dtype)}`);
  }
  const qscheme = (observer as QuantizingObserver).qscheme;
  const qparams = observer.calculateQParams();
  checkObservedQParams(owner, rangeObserver(observer), qparams);
  const { scale, zeroPoint } = qparams;
  let q: QuantizedTensor;
  if (qscheme === "per_tensor_affine" || qscheme === "per_tensor_symmetric") {
    q = quantizePerTensor(weight, { scale: scale[0], zeroPoint: zeroPoint[0], dtype: "qint8" });
  } else if (qscheme === "per_channel_affine" || qscheme === "per_channel_symmetric") {
    const axis = (observer as { chAxis?: number }).chAxis ?? 0;
    q = quantizePerChannel(weight, { scales: scale, zeroPoints: zeroPoint, axis, dtype: "qint8" });
  } else {
    throw new TypeError(`weight observer: unexpected qscheme ${show(qscheme)}`);
  }
  if (obs.quantMin <= -128 && obs.quantMax >= 127) return q;
  const codes = (q.intRepr as Int8Array).map((v) =>
    Math.min(Math.max(v, obs.quantMin), obs.quantMax)
  );
  return new QuantizedTensor(codes, q.shape, q.dtype, q.qparams);
}
