/**
 * `quantizeDynamic` (torch/ao/quantization/quantize.py `quantize_dynamic`): Linear layers, the
 * recurrent layers (LSTM, GRU, LSTMCell, GRUCell, RNNCell) and the embeddings swapped for their
 * dynamic quantized (or weight-only) versions.
 * @module
 */
import { defaultDynamicQConfigFor, type QConfig } from "../../reference/qconfig.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { show, typeName } from "../_util.ts";
import { Module } from "../module.ts";
import { Embedding, EmbeddingBag } from "../modules/embedding.ts";
import { Linear } from "../modules/linear.ts";
import { GRU, GRUCell, LSTM, LSTMCell, RNNCell } from "../modules/rnn.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { convertModules, quantizedOps } from "./convert.ts";
import { DYNAMIC_QUANT_MAPPINGS } from "./mappings.ts";
import { removeQConfig } from "./observers.ts";
import { type ModuleClass, propagateQConfig, type QConfigDict } from "./propagate.ts";

/** The weight dtypes of dynamic quantization. */
export type DynamicDType = "qint8" | "float16" | "quint8" | "quint4x2";

/** Options of `quantizeDynamic`. */
export interface QuantizeDynamicOptions {
  /**
   * Which modules: a Map of names or module classes to qconfigs, or a list/Set of names and
   * classes (given `dtype`'s default qconfig). Default, as PyTorch: Linear, LSTM, GRU, LSTMCell,
   * RNNCell, GRUCell for qint8 and float16; EmbeddingBag and Embedding for quint8; EmbeddingBag
   * for quint4x2. A class that has no dynamic quantized version and holds nothing that has one,
   * or a name that is not a submodule, is an error (PyTorch ignores them silently).
   */
  qconfigSpec?: QConfigDict | Iterable<string | ModuleClass>;
  /** `qint8` (default), `float16`, `quint8` or `quint4x2`; ignored when `qconfigSpec` is a Map. */
  dtype?: DynamicDType;
  /** The kernels (absent: `bestKernelSet("qnnpack")`; present but not a kernel set: an error). */
  kernels?: KernelSet | QuantizedOps;
  /** Quantize in place (default false: a copy, as PyTorch). */
  inplace?: boolean;
}

/** `quantize_dynamic`'s default module types for `dtype`. */
function defaultClasses(dtype: DynamicDType): ModuleClass[] {
  switch (dtype) {
    case "qint8":
    case "float16":
      return [Linear, LSTM, GRU, LSTMCell, RNNCell, GRUCell];
    case "quint8":
      return [EmbeddingBag, Embedding];
    case "quint4x2":
      return [EmbeddingBag];
  }
}

/** The qconfig dictionary of the options (PyTorch's `qconfig_spec` handling). */
function qconfigDict(options: QuantizeDynamicOptions): QConfigDict {
  const dtype = options.dtype ?? "qint8";
  const qconfig: QConfig = defaultDynamicQConfigFor(dtype);
  if (options.qconfigSpec === undefined) {
    return new Map(defaultClasses(dtype).map((c) => [c, qconfig]));
  }
  if (options.qconfigSpec instanceof Map) return options.qconfigSpec as QConfigDict;
  if (
    typeof options.qconfigSpec !== "object" || options.qconfigSpec === null ||
    typeof (options.qconfigSpec as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `qconfigSpec: expected a Map, Set or array of module names and classes, got ` +
        show(options.qconfigSpec),
    );
  }
  const keys = [...options.qconfigSpec as Iterable<string | ModuleClass>];
  return new Map(keys.map((k) => [k, qconfig]));
}

/** Whether `m` or a descendant has a dynamic quantized version. */
function holdsConvertible(m: Module): boolean {
  return m.modules().some((d) => DYNAMIC_QUANT_MAPPINGS.has(d.constructor as ModuleClass));
}

/**
 * Refuses spec keys PyTorch would silently ignore: a class with no dynamic quantized version
 * whose instances in the model hold nothing that has one, or a name that is not a submodule.
 */
function checkSpec(model: Module, spec: QConfigDict): void {
  const supported = [...DYNAMIC_QUANT_MAPPINGS.keys()].map((c) => c.name).join(", ");
  for (const key of spec.keys()) {
    if (typeof key === "string") {
      model.getSubmodule(key); // throws, naming the module that lacks the path
      continue;
    }
    if (typeof key !== "function" || !(key.prototype instanceof Module)) {
      throw new TypeError(`qconfigSpec: expected module names or classes, got ${show(key)}`);
    }
    if (DYNAMIC_QUANT_MAPPINGS.has(key)) continue;
    const instances = model.modules().filter((m) => m.constructor === key);
    if (!instances.some(holdsConvertible)) {
      throw new TypeError(
        `qconfigSpec: ${key.name} has no dynamic quantized version` +
          (instances.length > 0 ? " and holds no module that has one" : "") +
          ` (PyTorch would ignore it silently); supported: ${supported}`,
      );
    }
  }
}

/**
 * `torch.ao.quantization.quantize_dynamic(model, qconfig_spec, dtype)`: the model in eval mode
 * with the selected modules replaced by `DynamicQuantizedLinear`, `DynamicQuantizedLSTM`,
 * `DynamicQuantizedGRU`, the dynamic cells, or `QuantizedEmbedding(Bag)`.
 * @returns the quantized model (a copy unless `inplace`)
 * @throws {TypeError|RangeError} for a bad dtype or spec (see `qconfigSpec`), and as the
 * modules' `fromFloat` (an RNN without biases, float16 RNNs, …).
 * @example
 * ```ts
 * const q = quantizeDynamic(model, {
 *   qconfigSpec: new Set([LSTM, Linear]),
 *   kernels: bestKernelSet("qnnpack"),
 * });
 * const [out, [h, c]] = q.rnn.forward(x); // float in, float out
 * ```
 */
export function quantizeDynamic<M extends Module>(
  model: M,
  options: QuantizeDynamicOptions = {},
): M {
  if (!(model instanceof Module)) {
    throw new TypeError(`model: expected a Module, got ${typeName(model)}`);
  }
  const spec = qconfigDict(options);
  checkSpec(model, spec);
  const target = options.inplace ? model : model.clone();
  target.eval();
  propagateQConfig(target, spec);
  convertModules(target, DYNAMIC_QUANT_MAPPINGS, { ops: quantizedOps(options) });
  removeQConfig(target);
  return target;
}
