/**
 * Loading a prepared model's state — weights, BatchNorm statistics, and every observer's and
 * fake quant's statistics — from PyTorch's `state_dict()` of the same prepared model (same
 * keys: `activation_post_process_<i>.histogram`, `conv1.weight_fake_quant.scale`, …), so that
 * convert starts from exactly PyTorch's calibration. HistogramObservers take their histogram
 * and edges (`HistogramObserver.loadState`); everything else loads through `loadStateDict`.
 * @module
 */
import { HistogramObserver } from "../../reference/observers/histogram.ts";
import { show } from "../_util.ts";
import type { Module, StateDictSource } from "../module.ts";
import { ObserverModule } from "../observer_module.ts";
import type { TensorLike, TypedTensor } from "../typed_tensor.ts";
import { asTypedTensor } from "../typed_tensor.ts";
import type { GraphModule } from "./graph_module.ts";

function entries(source: StateDictSource): Map<string, TypedTensor> {
  const map = source instanceof Map ? source : new Map(Object.entries(source));
  return new Map([...map].map(([k, v]) => [k, asTypedTensor(v as TensorLike)]));
}

function f32(source: Map<string, TypedTensor>, key: string, size?: number): Float32Array {
  const t = source.get(key);
  if (t === undefined) throw new RangeError(`state: missing ${key}`);
  if (t.dtype !== "F32" || (size !== undefined && t.data.length !== size)) {
    throw new RangeError(`state: ${key} should be F32${size === undefined ? "" : ` of ${size}`}, got ${t.dtype} [${t.shape}]`);
  }
  return t.data as Float32Array;
}

/**
 * Loads PyTorch's prepared state into a prepared graph module (strict: every key of both must
 * match, as `load_state_dict`).
 * @throws {RangeError} for a missing or unexpected key, a shape or dtype mismatch, or an
 * observer built with another eps than the state's.
 */
export function loadPreparedState(gm: GraphModule, state: StateDictSource): void {
  const rest = entries(state);
  const loaded = new Set<Module>();
  for (const [name, child] of gm.namedChildren({ removeDuplicate: false })) {
    if (!(child instanceof ObserverModule) || !(child.observer instanceof HistogramObserver)) continue;
    const o = child.observer;
    const eps = f32(rest, `${name}.eps`, 1)[0];
    if (eps !== o.eps) {
      throw new RangeError(`${name}.eps: the state has ${show(eps)}, the observer was built with ${show(o.eps)}`);
    }
    const histogram = f32(rest, `${name}.histogram`, o.bins);
    const minVal = f32(rest, `${name}.min_val`, 1)[0];
    const maxVal = f32(rest, `${name}.max_val`, 1)[0];
    if (!loaded.has(child)) o.loadState({ histogram, minVal, maxVal });
    loaded.add(child);
    for (const k of ["eps", "histogram", "min_val", "max_val"]) rest.delete(`${name}.${k}`);
  }
  const mine = new Map<string, TypedTensor>();
  for (const [k, v] of gm.stateDict()) {
    const [head] = k.split(".");
    const m = gm.namedChildren({ removeDuplicate: false }).find(([n]) => n === head)?.[1];
    if (m instanceof ObserverModule && m.observer instanceof HistogramObserver) continue;
    mine.set(k, v);
  }
  const unexpected = [...rest.keys()].filter((k) => !mine.has(k));
  const missing = [...mine.keys()].filter((k) => !rest.has(k));
  if (unexpected.length > 0 || missing.length > 0) {
    throw new RangeError(
      `state: keys differ from the prepared model's — missing: ${missing.join(", ") || "none"}; ` +
        `unexpected: ${unexpected.join(", ") || "none"}`,
    );
  }
  // Load the rest child by child: a histogram observer's own loader refuses histograms.
  for (const [name, child] of gm.namedChildren({ removeDuplicate: false })) {
    if (child instanceof ObserverModule && child.observer instanceof HistogramObserver) continue;
    const sub = new Map<string, TypedTensor>();
    for (const [k, v] of rest) if (k.startsWith(`${name}.`)) sub.set(k.slice(name.length + 1), v);
    child.loadStateDict(sub);
  }
  for (const [k, v] of rest) {
    if (k.includes(".")) continue;
    const own = gm.getParameter(k) ?? gm.getBuffer(k);
    if (own === null) throw new RangeError(`state: unexpected ${k}`);
    if (own.data.length !== v.data.length) throw new RangeError(`state: ${k} has ${v.data.length} values, expected ${own.data.length}`);
    (own.data as Float32Array).set(v.data as Float32Array);
  }
}
