/**
 * `checkExport(dir)`: reproduces in this library what scripts/export/fx_export.py recorded from
 * PyTorch, step by step, and compares every step bit for bit:
 *
 * 1. the traced float graph is rebuilt (`graphModuleFromJSON`) with PyTorch's float weights;
 * 2. `prepareFx` / `prepareQatFx` with the backend's default QConfigMapping (or the export's
 *    qconfig_mapping.json) and BackendConfig:
 *    every node of the observed graph, every observer's class and settings, and which observers
 *    are shared, against PyTorch's prepared graph;
 * 3. PyTorch's calibrated observer state (or QAT-trained state) is loaded with `loadStateDict`
 *    (the observer modules read PyTorch's entries: histograms, fixed qparams) (`--calibrate`:
 *    the library calibrates itself instead and reports the drift of every observer's qparams);
 * 4. `convertFx` on every kernel path whose numerics are the engine PyTorch ran: the converted
 *    graph node by node, every quantized weight and qparam, and every node's value on the test
 *    input (codes, scale, zero point, float bits);
 * 5. for fbgemm/x86 exports recorded on a PyTorch without FBGEMM, the FBGEMM-numerics paths are
 *    run too and compared with the library's FBGEMM reference (PyTorch could not run them).
 * @module
 */
import { ReferenceKernelSet } from "../kernels/reference_kernel_set.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import type { Numerics } from "../reference/engine.ts";
import { kernelSets } from "../kernels/paths.ts";
import { Tensor } from "../reference/tensor.ts";
import type { Module } from "../nn/module.ts";
import { type ActivationPostProcess, isActivationPostProcess } from "../nn/observer_module.ts";
import { QTensor } from "../nn/quantized/qtensor.ts";
import type { TypedTensor } from "../nn/typed_tensor.ts";
import {
  type Backend,
  convertFx,
  getBackendConfig,
  getDefaultDynamicQConfigMapping,
  getDefaultQatQConfigMapping,
  getDefaultQConfigMapping,
  type GraphModule,
  graphModuleFromJSON,
  type GraphModuleJSON,
  graphToJSON,
  moduleSpec,
  type NodeJSON,
  prepareFx,
  prepareQatFx,
  qconfigMappingFromJSON,
  sharedObserverGroups,
  symbolicTrace,
  typeNameOf,
} from "../nn/fx/mod.ts";
import { compareEntries, compareValue, type Recorded } from "./compare.ts";
import { type ExportDir, readExportDir } from "./export_dir.ts";

/** One check (counted) or one measurement (`info`). */
export interface Row {
  /** The step: `prepare`, `observers`, `convert`, `weights`, `outputs`, `library`, `drift`, `float`. */
  readonly section: string;
  /** What was compared (a node, a key, an observer). */
  readonly item: string;
  /** The kernel path, or `-`. */
  readonly path: string;
  /** pass / fail, or info for measurements. */
  readonly status: "pass" | "fail" | "info";
  /** Why it failed, or the measurement. */
  readonly detail: string;
}

/** One converted node's outcome on each path. */
export interface NodeRow {
  /** The node name. */
  readonly node: string;
  /** `op target`. */
  readonly what: string;
  /** `ok`, `DIFF`, `error` or `-` (not recorded), by path name. */
  readonly cells: Record<string, string>;
}

/** The result of `checkExport`. */
export interface ModelReport {
  /** The export's manifest. */
  readonly manifest: ExportDir["manifest"];
  /** The paths compared with PyTorch. */
  readonly paths: string[];
  /** Every check and measurement. */
  readonly rows: Row[];
  /** The per-node table. */
  readonly nodes: NodeRow[];
  /** What convert left float. */
  readonly notes: string[];
  /** Counted checks that passed. */
  readonly passed: number;
  /** Counted checks that failed. */
  readonly failed: number;
}

/** Options of `checkExport`. */
export interface CheckOptions {
  /** Calibrate here instead of loading PyTorch's observer state, and report the drift. */
  calibrate?: boolean;
  /** The kernel paths to try (default: the reference and every path this engine runs). */
  kernelSets?: readonly KernelSet[];
  /** Progress lines. */
  log?: (line: string) => void;
  /**
   * Builds the float model in TypeScript instead of importing PyTorch's traced graph: its
   * `symbolicTrace` is compared with PyTorch's trace node for node (scopes included), PyTorch's
   * float weights are loaded into it, and it goes through the same steps.
   */
  model?: () => Module;
}

/** The numerics of the engine PyTorch ran (an AVX2 CPU's for fbgemm and x86). */
function numericsOfEngine(engine: string): Numerics {
  return engine === "qnnpack" ? "qnnpack" : engine === "onednn" ? "onednn" : "fbgemm";
}

function mappingFor(flow: string, backend: Backend) {
  if (flow === "qat") return getDefaultQatQConfigMapping(backend);
  if (flow === "dynamic") return getDefaultDynamicQConfigMapping();
  return getDefaultQConfigMapping(backend);
}

function describeNodeDiff(got: NodeJSON | undefined, want: NodeJSON): string {
  if (got === undefined) return "missing here";
  for (const key of ["name", "op", "target", "args", "kwargs"] as const) {
    const a = JSON.stringify(got[key]);
    const b = JSON.stringify(want[key]);
    if (a !== b) return `${key}: ${a} here, ${b} in PyTorch`;
  }
  return "";
}

/** Node-by-node comparison of a graph with PyTorch's. */
function compareGraph(section: string, gm: GraphModule, want: GraphModuleJSON, rows: Row[]): void {
  const got = graphToJSON(gm.graph);
  const byName = new Map(got.map((n) => [n.name, n]));
  want.nodes.forEach((w, i) => {
    const g = got[i]?.name === w.name ? got[i] : byName.get(w.name);
    const diff = describeNodeDiff(g, w);
    const position = g !== undefined && got.indexOf(g) !== i
      ? ` (at position ${got.indexOf(g)}, PyTorch ${i})`
      : "";
    rows.push({
      section,
      item: w.name,
      path: "-",
      status: diff === "" && position === "" ? "pass" : "fail",
      detail: diff + position,
    });
  });
  for (const n of got) {
    if (!want.nodes.some((w) => w.name === n.name)) {
      rows.push({ section, item: n.name, path: "-", status: "fail", detail: "extra node here" });
    }
  }
  for (const [target, spec] of Object.entries(want.modules)) {
    let m: Module | undefined;
    try {
      m = gm.getSubmodule(target);
    } catch {
      m = undefined;
    }
    const type = m === undefined ? "missing" : typeNameOf(m);
    const observer = m !== undefined && isActivationPostProcess(m);
    const ok = type === spec.type &&
      (!observer || JSON.stringify(moduleSpec(m!).config) === JSON.stringify(spec.config));
    rows.push({
      section: observer ? "observers" : section,
      item: `module ${target}`,
      path: "-",
      status: ok ? "pass" : "fail",
      detail: ok
        ? ""
        : type !== spec.type
        ? `${type} here, ${spec.type} in PyTorch`
        : `settings ${JSON.stringify(moduleSpec(m!).config)} here, ${
          JSON.stringify(spec.config)
        } in PyTorch`,
    });
  }
}

function sharedGroupsRow(section: string, gm: GraphModule, want: GraphModuleJSON): Row {
  const canon = (gs: string[][]) => JSON.stringify(gs.map((g) => [...g].sort()).sort());
  const got = canon(sharedObserverGroups(gm));
  const expected = canon(want.shared_observers ?? []);
  return {
    section,
    item: "shared observers",
    path: "-",
    status: got === expected ? "pass" : "fail",
    detail: got === expected ? "" : `${got} here, ${expected} in PyTorch`,
  };
}

/** The elements of a (nested) tuple value by their `i.j` suffixes; none for other values. */
function flatten(value: unknown, prefix = ""): [string, unknown][] {
  if (!Array.isArray(value)) return prefix === "" ? [] : [[prefix, value]];
  return value.flatMap((v, i) => flatten(v, prefix === "" ? String(i) : `${prefix}.${i}`));
}

function recordedNode(io: Map<string, TypedTensor>, name: string): Recorded | undefined {
  const tensor = io.get(`node.${name}`);
  if (tensor === undefined) return undefined;
  const scale = io.get(`node.${name}.scale`);
  const zp = io.get(`node.${name}.zero_point`);
  return {
    tensor,
    scale: scale === undefined ? undefined : Number(scale.data[0]),
    zeroPoint: zp === undefined ? undefined : Number(zp.data[0]),
  };
}

/** A TypeScript model's trace against PyTorch's, node for node with scopes. */
function compareTrace(traced: GraphModule, want: GraphModuleJSON, rows: Row[]): void {
  const got = graphToJSON(traced.graph, traced.scopes);
  want.nodes.forEach((w, i) => {
    const a = JSON.stringify(got[i]);
    const b = JSON.stringify(w);
    rows.push({
      section: "trace",
      item: w.name,
      path: "-",
      status: a === b ? "pass" : "fail",
      detail: a === b ? "" : `${a} here, ${b} in PyTorch`,
    });
  });
  if (got.length !== want.nodes.length) {
    rows.push({
      section: "trace",
      item: "node count",
      path: "-",
      status: "fail",
      detail: `${got.length} nodes here, ${want.nodes.length} in PyTorch`,
    });
  }
}

/** The float model against PyTorch's float output (measured: float conv is not claimed). */
function floatDrift(float: Module, isQat: boolean, input: Tensor, ex: ExportDir): string {
  try {
    const out = (isQat ? float.clone().eval() : float).forward(input) as Tensor;
    const want = ex.io.get("float_output")!.data as Float32Array;
    const maxDiff = out.data.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
    return `max |difference| ${maxDiff} (float conv/linear are not claimed bit-exact)`;
  } catch (e) {
    return `cannot run here: ${(e as Error).message}`;
  }
}

function toTensor(t: TypedTensor): Tensor {
  return new Tensor(Float32Array.from(t.data as Float32Array), t.shape);
}

/**
 * Float ops whose float32 results this library does not claim equal to PyTorch's (their
 * summation order is not modelled): float conv, linear and batch norm (modules, fused or QAT,
 * and functional), and modules it cannot run.
 */
const INEXACT_MODULES = new Set([
  "torch.nn.Conv2d",
  "torch.nn.Linear",
  "torch.nn.BatchNorm1d",
  "torch.nn.BatchNorm2d",
  "torch.nn.intrinsic.ConvReLU2d",
  "torch.nn.intrinsic.LinearReLU",
  "torch.nn.intrinsic.BNReLU2d",
  // Float recurrent layers: float matrix products (the static flow leaves them float).
  "torch.nn.LSTM",
  "torch.nn.GRU",
  "torch.nn.LSTMCell",
  "torch.nn.GRUCell",
  "torch.nn.RNNCell",
]);
const INEXACT_FUNCTIONS = new Set(["torch._C._nn.linear", "torch.conv2d"]);

/**
 * The nodes whose values depend on a float computation not claimed bit-exact (see
 * INEXACT_MODULES): compared and reported, not counted.
 */
function unclaimedNodes(gm: GraphModule, values: ReadonlyMap<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const n of gm.graph) {
    const floatInput = values.get((n.args[0] as { name?: string })?.name ?? "") instanceof Tensor;
    let inexact = false;
    if (n.op === "call_module") {
      const t = typeNameOf(gm.getSubmodule(n.target));
      inexact = floatInput && (INEXACT_MODULES.has(t) || t.startsWith("torch.nn.intrinsic.qat") ||
        t.startsWith("torch.nn.qat"));
    } else if (n.op === "call_function") {
      inexact = floatInput && INEXACT_FUNCTIONS.has(n.target);
    }
    if (inexact || n.allInputNodes.some((a) => out.has(a.name))) out.add(n.name);
  }
  return out;
}

/** Runs a converted model keeping every node's value; an error stops the run. */
function runCapture(
  gm: GraphModule,
  input: Tensor,
): { values: Map<string, unknown>; error?: string } {
  const values = new Map<string, unknown>();
  try {
    gm.run([input], { onNode: (n, v) => values.set(n.name, v) });
    return { values };
  } catch (e) {
    return { values, error: (e as Error).message };
  }
}

function qparamsOf(m: ActivationPostProcess): string {
  const { scale, zeroPoint } = m.calculateQParams();
  return `scale ${[...scale].slice(0, 4).join(",")} zero point ${
    [...zeroPoint].slice(0, 4).join(",")
  }`;
}

/**
 * Checks an export directory (see the module documentation).
 * @throws {Error} for a directory that is not an fx_export output.
 */
export async function checkExport(dir: string, options: CheckOptions = {}): Promise<ModelReport> {
  const log = options.log ?? (() => {});
  const ex = await readExportDir(dir);
  const { manifest } = ex;
  const backend = manifest.backend as Backend;
  const backendConfig = getBackendConfig(backend);
  const isQat = manifest.flow === "qat";
  const mapping = ex.qconfigMapping === undefined
    ? mappingFor(manifest.flow, backend)
    : qconfigMappingFromJSON(ex.qconfigMapping);
  const rows: Row[] = [];
  const input = toTensor(ex.io.get("input")!);
  const calibration = [...ex.io.keys()].filter((k) => k.startsWith("calib.")).sort(
    (a, b) => Number(a.slice(6)) - Number(b.slice(6)),
  ).map((k) => toTensor(ex.io.get(k)!));

  log(`${dir}: ${manifest.flow} ${backend}, recorded on the ${manifest.engine} engine`);
  const rebuild = (): Module => {
    if (options.model === undefined) {
      return graphModuleFromJSON(ex.floatGraph, { stateDict: ex.floatState }).train(isQat);
    }
    const m = options.model();
    m.loadStateDict(ex.floatState);
    return m.train(isQat);
  };
  const float = rebuild();
  if (options.model !== undefined) compareTrace(symbolicTrace(float), ex.floatGraph, rows);
  rows.push({
    section: "float",
    item: "float forward",
    path: "-",
    status: "info",
    detail: floatDrift(float, isQat, input, ex),
  });

  const prepare = isQat ? prepareQatFx : prepareFx;
  const prepared = prepare(float, mapping, [input], { backendConfig });
  compareGraph("prepare", prepared, ex.preparedGraph, rows);
  rows.push(sharedGroupsRow("observers", prepared, ex.preparedGraph));

  // PyTorch's calibrated state goes into a second prepared model (observers cannot be copied).
  const reference = prepare(rebuild(), mapping, [input], { backendConfig });
  reference.loadStateDict(ex.preparedState);
  let calibrated = reference;
  if (options.calibrate) {
    calibrated = prepared;
    calibrated.train(isQat);
    for (const batch of calibration) calibrated.forward(batch);
    calibrated.eval();
    const seen = new Set<Module>();
    for (const [name, m] of calibrated.namedChildren()) {
      if (!isActivationPostProcess(m) || seen.has(m)) continue;
      seen.add(m);
      const theirs = reference.getSubmodule(name) as ActivationPostProcess;
      let detail: string;
      try {
        detail = `here ${qparamsOf(m)}, PyTorch ${qparamsOf(theirs)}`;
      } catch (e) {
        detail = (e as Error).message;
      }
      rows.push({ section: "drift", item: name, path: "-", status: "info", detail });
    }
  }

  const all = options.kernelSets ?? [
    new ReferenceKernelSet("reference", "qnnpack"),
    new ReferenceKernelSet("reference", "fbgemm"),
    new ReferenceKernelSet("reference", "onednn"),
    ...kernelSets(),
  ];
  const numerics = numericsOfEngine(manifest.engine);
  const matching = all.filter((k) => k.numerics === numerics);
  const nodes = new Map<string, NodeRow>();
  const notes = new Set<string>();
  let first = true;
  for (const kernels of matching) {
    log(`  convert on ${kernels.name} (${kernels.numerics})`);
    const converted = convertFx(calibrated, { kernels, backendConfig });
    converted.notes.forEach((n) => notes.add(n));
    if (first) {
      compareGraph("convert", converted, ex.convertedGraph, rows);
      const state = converted.stateDict();
      for (const [key, entry] of ex.convertedState) {
        const c = compareEntries(state.get(key), entry);
        rows.push({
          section: "weights",
          item: key,
          path: "-",
          status: c.equal ? "pass" : "fail",
          detail: c.equal ? "" : c.reason,
        });
      }
      first = false;
    }
    const { values, error } = runCapture(converted, input);
    const unclaimed = unclaimedNodes(converted, values);
    for (const node of converted.graph) {
      if (node.op === "output") continue;
      const row = nodes.get(node.name) ??
        { node: node.name, what: `${node.op} ${node.target}`, cells: {} };
      nodes.set(node.name, row);
      const rec = recordedNode(ex.io, node.name);
      if (!values.has(node.name)) {
        row.cells[kernels.name] = "error";
        if (
          error !== undefined &&
          !rows.some((r) =>
            r.path === kernels.name && r.section === "outputs" && r.item === node.name
          )
        ) {
          rows.push({
            section: "outputs",
            item: node.name,
            path: kernels.name,
            status: "fail",
            detail: error,
          });
        }
        break;
      }
      if (rec === undefined) {
        // A tuple (an LSTM's `(output, (h, c))`): its recorded tensors, element by element.
        const parts = flatten(values.get(node.name)).flatMap(([suffix, v]) => {
          const r = recordedNode(ex.io, `${node.name}.${suffix}`);
          return r === undefined ? [] : [{ suffix, c: compareValue(v, r) }];
        });
        const claimed = !options.calibrate && !unclaimed.has(node.name);
        row.cells[kernels.name] = parts.length === 0
          ? "-"
          : parts.every((p) => p.c.equal)
          ? "ok"
          : claimed
          ? "DIFF"
          : "float";
        for (const { suffix, c } of parts) {
          if (!claimed && c.equal) continue;
          rows.push({
            section: claimed ? "outputs" : options.calibrate ? "drift" : "float",
            item: `${node.name}.${suffix}`,
            path: kernels.name,
            status: claimed ? (c.equal ? "pass" : "fail") : "info",
            detail: c.equal ? "" : c.reason,
          });
        }
        continue;
      }
      const c = compareValue(values.get(node.name), rec);
      if (options.calibrate || unclaimed.has(node.name)) {
        row.cells[kernels.name] = c.equal ? "ok" : options.calibrate ? "drift" : "float";
        if (!c.equal) {
          rows.push({
            section: options.calibrate ? "drift" : "float",
            item: node.name,
            path: kernels.name,
            status: "info",
            detail: `${c.reason}${
              options.calibrate ? "" : " (after a float conv/linear, not claimed)"
            }`,
          });
        }
        continue;
      }
      row.cells[kernels.name] = c.equal ? "ok" : "DIFF";
      rows.push({
        section: "outputs",
        item: node.name,
        path: kernels.name,
        status: c.equal ? "pass" : "fail",
        detail: c.equal ? "" : c.reason,
      });
    }
  }
  if (numerics === "qnnpack" && (backend === "fbgemm" || backend === "x86")) {
    for (const family of ["fbgemm", "fbgemm_avx512_vnni"] as const) {
      const sets = all.filter((k) => k.numerics === family);
      if (!sets.some((k) => k instanceof ReferenceKernelSet)) {
        sets.unshift(new ReferenceKernelSet("reference", family));
      }
      libraryConsistency(calibrated, input, backendConfig, sets, rows, log);
    }
  }
  const counted = rows.filter((r) => r.status !== "info");
  return {
    manifest,
    paths: matching.map((k) => k.name),
    rows,
    nodes: [...nodes.values()],
    notes: [...notes],
    passed: counted.filter((r) => r.status === "pass").length,
    failed: counted.filter((r) => r.status === "fail").length,
  };
}

/**
 * FBGEMM-numerics paths against the library's FBGEMM reference, node by node (where PyTorch had
 * no FBGEMM to record them).
 */
function libraryConsistency(
  prepared: GraphModule,
  input: Tensor,
  backendConfig: ReturnType<typeof getBackendConfig>,
  sets: readonly KernelSet[],
  rows: Row[],
  log: (line: string) => void,
): void {
  const reference = sets.find((k) => k instanceof ReferenceKernelSet);
  if (reference === undefined) return;
  const base = runCapture(convertFx(prepared, { kernels: reference, backendConfig }), input);
  for (const kernels of sets) {
    if (kernels === reference) continue;
    log(`  convert on ${kernels.name} (${kernels.numerics}, against the library reference)`);
    const { values, error } = runCapture(convertFx(prepared, { kernels, backendConfig }), input);
    for (const [name, value] of base.values) {
      if (!(value instanceof QTensor || value instanceof Tensor)) continue;
      const got = values.get(name);
      const rec: Recorded = value instanceof QTensor
        ? {
          tensor: { dtype: "U8", shape: value.shape, data: value.logicalCodes() },
          scale: value.scale,
          zeroPoint: value.zeroPoint,
        }
        : { tensor: { dtype: "F32", shape: value.shape, data: value.data } };
      const c = got === undefined
        ? { equal: false as const, reason: error ?? "not computed" }
        : compareValue(got, rec);
      rows.push({
        section: "library",
        item: name,
        path: kernels.name,
        status: c.equal ? "pass" : "fail",
        detail: c.equal ? "" : c.reason,
      });
    }
  }
}
