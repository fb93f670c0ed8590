/**
 * Reading `golden/models/digits/` for the proof tests (internal): the recorded files, the data
 * as tensors, bitwise comparison of state-dict entries, and capture of per-layer outputs.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import type { Module } from "../module.ts";
import type { QFunctional } from "../quantized/functional_modules.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { readSafetensors } from "../safetensors.ts";
import type { TypedTensor } from "../typed_tensor.ts";

const DIR = new URL("../../golden/models/digits/", import.meta.url);

/** Reads one recorded file. */
export function readDigits(name: string): Map<string, TypedTensor> {
  return readSafetensors(Deno.readFileSync(new URL(name, DIR)));
}

/** The recorded manifest (accuracies, provenance). */
export function digitsManifest(): { accuracy: Record<string, number> } {
  return JSON.parse(Deno.readTextFileSync(new URL("manifest.json", DIR)));
}

/** An F32 entry as a Tensor (copied). */
export function tensorOf(t: TypedTensor | undefined, name = "entry"): Tensor {
  if (t === undefined || t.dtype !== "F32") throw new Error(`${name}: missing or not F32`);
  return new Tensor(Float32Array.from(t.data as Float32Array), t.shape);
}

/** The data set: test and calibration images, labels, training images. */
export function digitsData() {
  const d = readDigits("data.safetensors");
  const labels = (key: string) => Array.from(d.get(key)!.data as BigInt64Array, Number);
  const pixels = d.get("train_pixels")!;
  return {
    testX: tensorOf(d.get("test_x"), "test_x"),
    testY: labels("test_y"),
    calibrationX: tensorOf(d.get("calibration_x"), "calibration_x"),
    trainX: new Tensor(Float32Array.from(pixels.data as Uint8Array, (v) => v / 16), pixels.shape),
    trainY: labels("train_y"),
  };
}

/** Rows `[start, end)` of a batch tensor. */
export function rows(x: Tensor, start: number, end: number): Tensor {
  const per = x.size / x.shape[0];
  return new Tensor(x.data.slice(start * per, end * per), [end - start, ...x.shape.slice(1)]);
}

/** The bytes of an entry, for bitwise comparison. */
export function bytesOf(t: TypedTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Whether two entries have the same dtype, shape and bytes; else a description of how not. */
export function diffEntries(got: TypedTensor | undefined, want: TypedTensor | undefined): string {
  if (got === undefined || want === undefined) return got === undefined ? "missing" : "unexpected";
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} vs ${want.dtype}`;
  if (got.shape.join() !== want.shape.join()) return `shape [${got.shape}] vs [${want.shape}]`;
  const a = bytesOf(got);
  const b = bytesOf(want);
  const differing = a.findIndex((v, i) => v !== b[i]);
  return differing < 0 ? "" : `differs (first at byte ${differing} of ${a.length})`;
}

/** Float32 bit patterns. */
export function bits(t: Tensor): number[] {
  return [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)];
}

/** The argmax of each row of `[N, C]` logits (first maximum on ties, as `torch.argmax`). */
export function argmaxRows(logits: Tensor): number[] {
  const [n, c] = logits.shape;
  return Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[r * c + j] > logits.data[r * c + best]) best = j;
    return best;
  });
}

/** The fraction of rows whose argmax is the label. */
export function accuracy(logits: Tensor, labels: readonly number[]): number {
  const p = argmaxRows(logits);
  return p.filter((v, i) => v === labels[i]).length / labels.length;
}

/** A captured quantized output: logical codes of the first images, and qparams. */
export interface Trace {
  codes: Uint8Array;
  scale: number;
  zeroPoint: number;
}

/**
 * Captures the quantized outputs of `names` (and of QFunctional `addRelu` calls, under the
 * module's name) for the first `images` images of each forward.
 */
export function captureTraces(model: Module, names: readonly string[], images: number) {
  const traces = new Map<string, Trace>();
  const keep = (name: string, y: unknown) => {
    if (!(y instanceof QTensor)) return;
    const per = y.size / y.shape[0];
    traces.set(name, {
      codes: y.logicalCodes().slice(0, images * per),
      scale: y.scale,
      zeroPoint: y.zeroPoint,
    });
  };
  for (const name of names) {
    const m = model.getSubmodule(name);
    if ("addRelu" in m) {
      const f = m as unknown as QFunctional;
      const original = f.addRelu.bind(f);
      f.addRelu = (a, b) => {
        const y = original(a, b);
        keep(name, y);
        return y;
      };
    } else {
      m.registerForwardHook((_m, _in, out) => keep(name, out));
    }
  }
  return traces;
}
