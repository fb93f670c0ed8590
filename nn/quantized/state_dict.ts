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
 * is written. A quantized model loads into a model built the same way (the float model,
 * `prepare`/`prepareQat` and `convert`, without calibration).
 * @module
 */
import { QuantizedTensor, Tensor } from "../../reference/tensor.ts";
import type { StateDict, StateDictReader } from "../module.ts";
import { showShape } from "../functional/_shape.ts";
import type { TypedTensor } from "../typed_tensor.ts";

/** Adds a qint8 weight (codes and qparams) and its bias under `prefix`. */
export function saveQuantizedWeight(
  destination: StateDict,
  prefix: string,
  weight: QuantizedTensor,
  bias: Tensor | null,
): void {
  destination.set(prefix + "weight", {
    dtype: "I8",
    shape: weight.shape,
    data: weight.intRepr as Int8Array,
  });
  const qp = weight.qparams;
  const perTensor = qp.qscheme === "per_tensor_affine";
  const scales = perTensor ? Float64Array.of(qp.scale) : qp.scales;
  const zps = perTensor ? [qp.zeroPoint] : [...qp.zeroPoints];
  const shape = perTensor ? [] : [scales.length];
  destination.set(prefix + "weight_scale", { dtype: "F64", shape, data: scales });
  destination.set(prefix + "weight_zero_point", {
    dtype: "I64",
    shape,
    data: BigInt64Array.from(zps, (z) => BigInt(z)),
  });
  if (!perTensor) {
    destination.set(prefix + "weight_axis", {
      dtype: "I64",
      shape: [],
      data: BigInt64Array.of(BigInt(qp.axis)),
    });
  }
  if (bias !== null) {
    destination.set(prefix + "bias", { dtype: "F32", shape: bias.shape, data: bias.data });
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
 * Reads a qint8 weight of `shape` and (when `hasBias`) its bias under `prefix`, checking every
 * key; returns undefined (with the problems recorded in `reader`) when anything is missing or
 * mis-shaped.
 */
export function readQuantizedWeight(
  reader: StateDictReader,
  prefix: string,
  shape: readonly number[],
  hasBias: boolean,
): { weight: QuantizedTensor; bias: Tensor | null } | undefined {
  const w = take(reader, prefix + "weight", "I8");
  const s = take(reader, prefix + "weight_scale", "F64");
  const z = take(reader, prefix + "weight_zero_point", "I64");
  const axisEntry = reader.has(prefix + "weight_axis")
    ? take(reader, prefix + "weight_axis", "I64")
    : undefined;
  const b = hasBias ? take(reader, prefix + "bias", "F32") : undefined;
  if (w === undefined || s === undefined || z === undefined || (hasBias && b === undefined)) {
    return undefined;
  }
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
  mismatch(prefix + "weight", w.shape, shape);
  if (axisEntry === undefined) {
    // Per tensor: a scalar (or a one-element vector).
    const scalar = (t: TypedTensor) => (t.shape.length === 1 && t.shape[0] === 1 ? [] : t.shape);
    mismatch(prefix + "weight_scale", scalar(s), []);
    mismatch(prefix + "weight_zero_point", scalar(z), []);
  } else {
    const channels = shape[Number((axisEntry.data as BigInt64Array)[0])] ?? -1;
    mismatch(prefix + "weight_scale", s.shape, [channels]);
    mismatch(prefix + "weight_zero_point", z.shape, [channels]);
  }
  if (b !== undefined) mismatch(prefix + "bias", b.shape, [shape[0]]);
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
