/**
 * Loading a prepared model's state — weights, BatchNorm statistics, and every observer's and
 * fake quant's statistics — from PyTorch's `state_dict()` of the same prepared model (same
 * keys: `activation_post_process_<i>.histogram`, `conv1.weight_fake_quant.scale`, …), so that
 * convert starts from exactly PyTorch's calibration. HistogramObservers take their histogram
 * and edges (`HistogramObserver.loadState`); everything else loads through `loadStateDict`.
 * @module
 */
import { FixedQParamsObserver } from "../../reference/observers/fixed_qparams.ts";
import { HistogramObserver } from "../../reference/observers/histogram.ts";
import { show } from "../_util.ts";
import type { StateDictSource } from "../module.ts";
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
    throw new RangeError(
      `state: ${key} should be F32${
        size === undefined ? "" : ` of ${size}`
      }, got ${t.dtype} [${t.shape}]`,
    );
  }
  return t.data as Float32Array;
}

/**
 * Loads PyTorch's prepared state into a prepared graph module (strict: every key of both must
 * match, as `load_state_dict`), or this library's own (`gm.stateDict()` of a prepared model,
 * which leaves out the fixed-qparams observers' constant qparams). Observers shared under
 * several names take their state once.
 * @throws {RangeError} for a missing or unexpected key, a shape or dtype mismatch, fixed qparams
 * that are not the observer's, or an observer built with another eps than the state's.
 */
export function loadPreparedState(gm: GraphModule, state: StateDictSource): void {
  const rest = entries(state);
  const histograms: string[] = [];
  for (const [path, m] of gm.namedModules({ removeDuplicate: false })) {
    if (!(m instanceof ObserverModule)) continue;
    const o = m.observer;
    const prefix = path === "" ? "" : `${path}.`;
    if (o instanceof FixedQParamsObserver) {
      // PyTorch keeps the fixed qparams as buffers: they must be this observer's. (This
      // library's own state dict has none: its fixed qparams come from the observer's spec.)
      if (!rest.has(`${prefix}scale`) && !rest.has(`${prefix}zero_point`)) continue;
      const scale = f32(rest, `${prefix}scale`, 1)[0];
      const zp = rest.get(`${prefix}zero_point`);
      if (
        scale !== Math.fround(o.scale) || zp === undefined || Number(zp.data[0]) !== o.zeroPoint
      ) {
        throw new RangeError(
          `${path}: the state's fixed qparams (${scale}, ${zp?.data[0]}) are not the ` +
            `observer's (${o.scale}, ${o.zeroPoint})`,
        );
      }
      rest.delete(`${prefix}scale`);
      rest.delete(`${prefix}zero_point`);
    } else if (o instanceof HistogramObserver) {
      const eps = f32(rest, `${prefix}eps`, 1)[0];
      if (eps !== o.eps) {
        throw new RangeError(
          `${path}.eps: the state has ${show(eps)}, the observer was built with ${show(o.eps)}`,
        );
      }
      o.loadState({
        histogram: f32(rest, `${prefix}histogram`, o.bins),
        minVal: f32(rest, `${prefix}min_val`, 1)[0],
        maxVal: f32(rest, `${prefix}max_val`, 1)[0],
      });
      for (const k of ["eps", "histogram", "min_val", "max_val"]) rest.delete(prefix + k);
      histograms.push(prefix);
    }
  }
  const mine = [...gm.stateDict().keys()].filter((k) => !histograms.some((p) => k.startsWith(p)));
  const unexpected = [...rest.keys()].filter((k) => !mine.includes(k));
  const missing = mine.filter((k) => !rest.has(k));
  if (unexpected.length > 0 || missing.length > 0) {
    throw new RangeError(
      `state: keys differ from the prepared model's — missing: ${missing.join(", ") || "none"}; ` +
        `unexpected: ${unexpected.join(", ") || "none"}`,
    );
  }
  // Load the rest child by child: a histogram observer's own loader refuses histograms.
  for (const [name, child] of gm.namedChildren({ removeDuplicate: false })) {
    if (histograms.includes(`${name}.`)) continue;
    const sub = new Map<string, TypedTensor>();
    for (const [k, v] of rest) if (k.startsWith(`${name}.`)) sub.set(k.slice(name.length + 1), v);
    child.loadStateDict(sub);
  }
  for (const [k, v] of rest) {
    if (k.includes(".")) continue;
    const own = gm.getParameter(k) ?? gm.getBuffer(k);
    if (own === null) throw new RangeError(`state: unexpected ${k}`);
    if (
      !("dtype" in own ? own.dtype === v.dtype : v.dtype === "F32") ||
      own.data.length !== v.data.length
    ) {
      throw new RangeError(`state: ${k} is ${v.dtype} [${v.shape}], the model's differs`);
    }
    (own.data as Float32Array).set(v.data as Float32Array);
  }
}
