/**
 * qconfig propagation (`propagate_qconfig_`, torch/ao/quantization/quantize.py): every module
 * gets a `qconfig` — its own if it has one, else the dictionary's entry for its dotted name, else
 * for its type, else its parent's (possibly null).
 * @module
 */
import type { QConfig } from "../../reference/qconfig.ts";
import { show } from "../_util.ts";
import type { Module } from "../module.ts";

/** A module class, as a key of qconfig dictionaries and module mappings. */
export type ModuleClass = abstract new (...args: never[]) => Module;

/** qconfigs by module type (the exact class) or dotted name (`""` is the root). */
export type QConfigDict = ReadonlyMap<string | ModuleClass, QConfig | null>;

/**
 * `propagate_qconfig_(module, qconfig_dict)`: sets `qconfig` on every module in place.
 * Precedence: the module's own `qconfig` (also an explicit null), the entry for its name, the
 * entry for its type, the parent's.
 * @throws {TypeError} when `qconfigDict` is not a Map.
 */
export function propagateQConfig(module: Module, qconfigDict: QConfigDict = new Map()): void {
  if (!(qconfigDict instanceof Map)) {
    throw new TypeError(
      `qconfigDict: expected a Map of names or module classes, got ${show(qconfigDict)}`,
    );
  }
  const visit = (m: Module, parent: QConfig | null, prefix: string) => {
    let q = qconfigDict.has(m.constructor as ModuleClass)
      ? qconfigDict.get(m.constructor as ModuleClass)!
      : parent;
    if (qconfigDict.has(prefix)) q = qconfigDict.get(prefix)!;
    if (m.qconfig !== undefined) q = m.qconfig;
    m.qconfig = q;
    for (const [name, child] of m.namedChildren()) {
      visit(child, q, prefix === "" ? name : `${prefix}.${name}`);
    }
  };
  visit(module, null, "");
}
