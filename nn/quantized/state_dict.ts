/**
 * The state-dict (and so safetensors) layout of quantized modules. PyTorch keeps quantized
 * weights in packed-parameter objects that no tensor file can hold, so this library stores
 * their parts as plain tensors (the layout `golden/models/digits/` records PyTorch's converted
 * models in, so those files load directly):
 *
 * | key (under the module's prefix) | dtype | shape              | meaning                      |
 * | ------------------------------- | ----- | ------------------ | ---------------------------- |
 * | `weight`                        | I8    | the float weight's | qint8 codes                  |
 * | `weight_scale`                  | F64   | `[]` or `[out]`    | per-tensor / per-channel     |
 * | `weight_zero_point`             | I64   | `[]` or `[out]`    | weight zero point(s)         |
 * | `weight_axis`                   | I64   | `[]`               | per-channel weights only     |
 * | `bias`                          | F32   | `[out]`            | float bias (when any)        |
 * | `scale`                         | F64   | `[]`               | output scale (PyTorch's float) |
 * | `zero_point`                    | I64   | `[]`               | output zero point            |
 *
 * `Quantize` and `QFunctional` have `scale` and `zero_point` only; dynamic linear layers have no
 * output qparams, and float16 ones store `weight` as F16. A `[1]` entry is accepted where `[]`
 * is written. Modules with several weights use the same pattern under each weight's name
 * (`weight_ih_l0`, `weight_ih_l0_scale`, …, `bias_ih_l0` for the dynamic RNNs). A quantized model
 * loads into a model built the same way (the float model, `prepare`/`prepareQat` and `convert`,
 * without calibration).
 *
 * A module without a bias accepts an all-zero bias: PyTorch's QNNPACK packs a zero bias for a
 * `bias=False` layer and unpacks it as a real bias, so its state dicts carry one. The module then
 * holds that zero bias (as PyTorch's does); its outputs are the same.
 * @module
 */
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { StateDict, StateDictReader } from "../module.ts";
import { showShape } from "../functional/_shape.ts";
import type { TypedTensor } from "../typed_tensor.ts";

/** The key names of one weight and its bias (default `weight`, `bias`). */
export interface WeightKeys {
  /** The weight's key; its qparams are `<weight>_scale`, `<weight>_zero_point`, `<weight>_axis`. */
  readonly weight: string;
  /** The bias's key. */
  readonly bias: string;
}

/** The keys of a module with one weight. */
export const WEIGHT_KEYS: WeightKeys = { weight: "weight", bias: "bias" };

/** Adds a qint8 weight (codes and qparams) and its bias under `prefix`. */
export function saveQuantizedWeight(
  destination: StateDict,
  prefix: string,
  weight: QuantizedTensor,
  bias: Tensor | null,
  keys: WeightKeys = WEIGHT_KEYS,
): void {
  const at = prefix + keys.weight;
  destination.set(at, {
    dtype: "I8",
    shape: weight.shape,
    data: weight.intRepr as Int8Array,
  });
  const qp = weight.qparams;
  const perTensor = qp.qscheme === "per_tensor_affine";
  const scales = perTensor ? Float64Array.of(qp.scale) : qp.scales;
  const zps = perTensor ? [qp.zeroPoint] : [...qp.zeroPoints];
  const shape = perTensor ? [] : [scales.length];
  destination.set(at + "_scale", { dtype: "F64", shape, data: scales });
  destination.set(at + "_zero_point", {
    dtype: "I64",
    shape,
    data: BigInt64Array.from(zps, (z) => BigInt(z)),
  });
  if (!perTensor) {
    destination.set(at + "_axis", {
      dtype: "I64",
      shape: [],
      data: BigInt64Array.of(BigInt(qp.axis)),
    });
  }
  if (bias !== null) {
    destination.set(prefix + keys.bias, { dtype: "F32", shape: bias.shape, data: bias.data });
  }
}

function take(
  reader: StateDictReader,
  key: string,
  dtype: TypedTensor["dtype"],
): TypedTensor | undefined {
  const t = reader.take(key);
  if (t === undefined) {
    reader.markMissing(key);
    return undefined;
  }
  if (t.dtype !== dtype) {
    reader.reportMismatch(
      `dtype mismatch for ${key}: the state dict has ${t.dtype}, expected ${dtype}`,
    );
    return undefined;
  }
  return t;
}

/**
 * Takes the zero bias a bias-less module may be given (QNNPACK's unpacked zero bias): undefined
 * when there is none, null after recording a non-zero one as a mismatch.
 */
function takeZeroBias(reader: StateDictReader, key: string): TypedTensor | null | undefined {
  if (!reader.has(key)) return undefined;
  const b = take(reader, key, "F32");
  if (b === undefined) return null;
  if ((b.data as Float32Array).some((v) => v !== 0)) {
    reader.reportMismatch(
      `${key}: the module has no bias; only an all-zero bias (QNNPACK's, for a bias=False ` +
        `layer) is accepted, got non-zero values`,
    );
    return null;
  }
  return b;
}

/**
 * Reads a qint8 weight of `shape` and (when `hasBias`) its bias under `prefix`, checking every
 * key; returns undefined (with the problems recorded in `reader`) when anything is missing or
 * mis-shaped. A module without a bias takes an all-zero bias when one is given (see the module
 * documentation).
 */
export function readQuantizedWeight(
  reader: StateDictReader,
  prefix: string,
  shape: readonly number[],
  hasBias: boolean,
  keys: WeightKeys = WEIGHT_KEYS,
): { weight: QuantizedTensor; bias: Tensor | null } | undefined {
  const at = prefix + keys.weight;
  const w = take(reader, at, "I8");
  const s = take(reader, at + "_scale", "F64");
  const z = take(reader, at + "_zero_point", "I64");
  const axisEntry = reader.has(at + "_axis") ? take(reader, at + "_axis", "I64") : undefined;
  const b = hasBias
    ? take(reader, prefix + keys.bias, "F32")
    : takeZeroBias(reader, prefix + keys.bias);
  if (w === undefined || s === undefined || z === undefined || b === null) return undefined;
  if (hasBias && b === undefined) return undefined;
  let ok = true;
  const mismatch = (key: string, got: readonly number[], want: readonly number[]) => {
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      reader.reportMismatch(
        `size mismatch for ${key}: the state dict has shape ${showShape(got)}, the module ` +
          `expects ${showShape(want)}`,
      );
      ok = false;
    }
  };
  mismatch(at, w.shape, shape);
  if (axisEntry === undefined) {
    // Per tensor: a scalar (or a one-element vector).
    const scalar = (t: TypedTensor) => (t.shape.length === 1 && t.shape[0] === 1 ? [] : t.shape);
    mismatch(at + "_scale", scalar(s), []);
    mismatch(at + "_zero_point", scalar(z), []);
  } else {
    const channels = shape[Number((axisEntry.data as BigInt64Array)[0])] ?? -1;
    mismatch(at + "_scale", s.shape, [channels]);
    mismatch(at + "_zero_point", z.shape, [channels]);
  }
  if (b !== undefined) mismatch(prefix + keys.bias, b.shape, [shape[0]]);
  if (!ok) return undefined;
  const zps = Array.from(z.data as BigInt64Array, Number);
  const scales = Float64Array.from(s.data as Float64Array);
  const qparams = axisEntry === undefined
    ? { qscheme: "per_tensor_affine" as const, scale: scales[0], zeroPoint: zps[0] }
    : {
      qscheme: "per_channel_affine" as const,
      scales,
      zeroPoints: Float64Array.from(zps),
      axis: Number((axisEntry.data as BigInt64Array)[0]),
    };
  const weight = new QuantizedTensor(Int8Array.from(w.data as Int8Array), shape, "qint8", qparams);
  const bias = b === undefined ? null : new Tensor(Float32Array.from(b.data as Float32Array));
  return { weight, bias };
}

/** Adds output qparams (`scale` F64 `[]`, `zero_point` I64 `[]`) under `prefix`. */
export function saveOutputQParams(
  destination: StateDict,
  prefix: string,
  scale: number,
  zeroPoint: number,
): void {
  destination.set(prefix + "scale", { dtype: "F64", shape: [], data: Float64Array.of(scale) });
  destination.set(prefix + "zero_point", {
    dtype: "I64",
    shape: [],
    data: BigInt64Array.of(BigInt(zeroPoint)),
  });
}

/** Reads output qparams under `prefix` (a `[1]` entry is accepted for `[]`, as PyTorch). */
export function readOutputQParams(
  reader: StateDictReader,
  prefix: string,
): { scale: number; zeroPoint: number } | undefined {
  const s = reader.expect(prefix + "scale", { dtype: "F64", shape: [], data: new Float64Array(1) });
  const z = reader.expect(prefix + "zero_point", {
    dtype: "I64",
    shape: [],
    data: new BigInt64Array(1),
  });
  if (s === undefined || z === undefined) return undefined;
  return { scale: (s.data as Float64Array)[0], zeroPoint: Number((z.data as BigInt64Array)[0]) };
}

/**
 * Reads output qparams under `prefix` and, once the whole state dict has been checked, sets them
 * on `target` (what modules whose only state is their output qparams load).
 */
export function loadOutputQParams(
  reader: StateDictReader,
  prefix: string,
  target: { scale: number; zeroPoint: number },
): void {
  const out = readOutputQParams(reader, prefix);
  if (out === undefined) return;
  reader.defer(() => {
    target.scale = out.scale;
    target.zeroPoint = out.zeroPoint;
  });
}
