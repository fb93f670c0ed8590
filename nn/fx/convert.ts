/**
 * `convertFx` (torch/ao/quantization/fx/convert.py of PyTorch 1.13): the observed graph module
 * becomes a reference quantized graph — every observer a `quantize_per_tensor` (its qparams in
 * `get_attr` buffers named `<module path>[_input]_scale_<i>` / `_zero_point_<i>`) followed by
 * `dequantize` (a dynamic-quantization placeholder a `quantize_per_tensor_dynamic`), every
 * observed weighted module a reference quantized module, every DeQuantStub a `dequantize` — and
 * is then lowered to the quantized modules and ops of the kernel sets (`lower.ts`).
 *
 * The prepared model is left as it was (PyTorch's convert_fx modifies it in place): convert
 * copies it first, so one calibrated model converts to every kernel set.
 * @module
 */
import type { KernelSet } from "../../kernels/kernel_set.ts";
import type { QConfig } from "../../reference/qconfig.ts";
import { show, typeName } from "../_util.ts";
import { quantizedOps } from "../flows/convert.ts";
import type { Module } from "../module.ts";
import { FusedModule } from "../modules/fused.ts";
import { DeQuantStub } from "../modules/stubs.ts";
import {
  type ActivationPostProcess,
  FakeQuantizeModule,
  isActivationPostProcess,
  wrapObserver,
} from "../observer_module.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { type BackendConfig, type DTypeConfig, getNativeBackendConfig } from "./backend_config.ts";
import { type Argument, dtypeArg, Graph, type Node } from "./graph.ts";
import { GraphModule } from "./graph_module.ts";
import { lowerToNativeBackend } from "./lower.ts";
import { typeNameOf } from "./module_types.ts";
import { moduleMap } from "./pattern.ts";
import { fxStateOf, nodeArgIs, setFxState } from "./prepare.ts";
import type { QConfigAny } from "./qconfig_mapping.ts";
import { innerObserver, qconfigDTypes, weightIsQuantized } from "./qconfig_utils.ts";
import {
  isFloatRnn,
  qatToFloat,
  ReferenceQuantizedModule,
  ReferenceRnnModule,
  weightFakeQuant,
  weightQParams,
} from "./reference_modules.ts";
import { scalarF32, scalarI64 } from "./_values.ts";
import { Conv2d } from "../modules/conv.ts";
import { Linear } from "../modules/linear.ts";

/** Options of `convertFx`. */
export interface ConvertFxOptions {
  /** The kernels the quantized model runs on (default `bestKernelSet("qnnpack")`). */
  kernels?: KernelSet | QuantizedOps;
  /** The backend config (default: PyTorch's native config, as `convert_fx`). */
  backendConfig?: BackendConfig;
  /** Stop at the reference quantized graph (`convert_to_reference_fx`); it does not run here. */
  isReference?: boolean;
}

/** The PyTorch names `get_attr` uses: a prefix with dots as underscores and a free index. */
export function freshAttrName(owner: Module, prefix: string): string {
  const p = prefix.replaceAll(".", "_");
  let i = 0;
  while (hasAttr(owner, `${p}${i}`)) i++;
  return `${p}${i}`;
}

/** Whether `m` has an attribute (child, parameter, buffer or property) called `name`. */
export function hasAttr(m: Module, name: string): boolean {
  return m.namedChildren({ removeDuplicate: false }).some(([n]) => n === name) ||
    m.getParameter(name) !== null || m.getBuffer(name) !== null || name in m;
}

function isNoneQConfig(n: unknown, qconfigMap: ReadonlyMap<string, QConfigAny>): boolean {
  const node = n as Node;
  return typeof node?.name === "string" && qconfigMap.has(node.name) &&
    qconfigMap.get(node.name) === null;
}

/** `get_module_path_and_prefix`: where an observer's qparam buffers are named from. */
function modulePathAndPrefix(
  obs: Node,
  model: GraphModule,
  qconfigMap: ReadonlyMap<string, QConfigAny>,
) {
  const observed = obs.args[0] as Node;
  const inputOnly = qconfigMap.has(observed.name) ? qconfigMap.get(observed.name) === null : false;
  let use: Node | undefined;
  let prefix = "";
  if (inputOnly) {
    const users = [...obs.users];
    use = users.find((n) => n.op === "call_function" && n.target === "torch._C._nn.linear") ??
      users[0];
    prefix = "_input";
  } else {
    use = observed;
  }
  const scope = use === undefined ? undefined : model.scopes.get(use.name);
  return { path: scope?.path ?? "", prefix };
}

/** `get_quantize_node_info`: the quantize op of an observer and its qparams. */
function quantizeNodeInfo(app: ActivationPostProcess, reduceRange: boolean) {
  const o = app instanceof FakeQuantizeModule ? app.fakeQuant : app.observer;
  const compute = (o as { computeDtype?: string | null }).computeDtype ?? null;
  if ((o.dtype === "quint8" || o.dtype === "qint8") && compute === null) {
    const { scale, zeroPoint } = o.calculateQParams();
    const qscheme = (innerObserver(o) as { qscheme?: string }).qscheme ?? "";
    if (qscheme.startsWith("per_channel")) {
      return {
        op: "torch.quantize_per_channel",
        qparams: [
          ["_scale_", { dtype: "F32", shape: [scale.length], data: Float32Array.from(scale) }],
          ["_zero_point_", {
            dtype: "I64",
            shape: [zeroPoint.length],
            data: BigInt64Array.from(zeroPoint as Int32Array, (z) => BigInt(z)),
          }],
          ["_axis_", (innerObserver(o) as { chAxis?: number }).chAxis ?? 0],
          ["_dtype_", dtypeArg(o.dtype)],
        ] as const,
      };
    }
    return {
      op: "torch.quantize_per_tensor",
      qparams: [
        ["_scale_", scalarF32(scale[0])],
        ["_zero_point_", scalarI64(zeroPoint[0])],
        ["_dtype_", dtypeArg(o.dtype)],
      ] as const,
    };
  }
  if (compute === "quint8" || compute === "qint8" || compute === "float16") {
    return {
      op: "torch.quantize_per_tensor_dynamic",
      qparams: [["_dtype_", dtypeArg(compute)], ["_reduce_range_", reduceRange]] as const,
    };
  }
  return undefined;
}

/** `is_qconfig_supported_by_dtype_configs`. */
function qconfigSupported(q: QConfig, configs: readonly DTypeConfig[]): boolean {
  const [act, weight, compute] = qconfigDTypes(q);
  return configs.some((dc) => {
    const dynamic = dc.isDynamic ?? false;
    const input = dc.input?.dtype ?? "float32";
    const w = dc.weight?.dtype ?? "float32";
    const bias = dc.bias ?? "float32";
    const output = dc.output?.dtype ?? "float32";
    const qbias = act === "float16" && weight === "float16" && !dynamic ? "float16" : "float32";
    return dynamic
      ? input === compute && output === "float32" && w === weight
      : input === act && output === act && w === weight && bias === qbias;
  });
}

/** Converts one prepared graph module in place (`convert` of fx/convert.py, before lowering). */
class Converter {
  private modules: Map<string, Module>;
  readonly rootClasses: Set<string>;
  readonly qatClasses: Set<string>;
  readonly fusedClasses: Set<string>;

  constructor(
    readonly model: GraphModule,
    readonly qconfigMap: ReadonlyMap<string, QConfigAny>,
    readonly observedNodeNames: ReadonlySet<string>,
    readonly backendConfig: BackendConfig,
    readonly reduceRange: boolean,
  ) {
    this.modules = moduleMap(model);
    const configs = backendConfig.configs;
    this.rootClasses = new Set(
      configs.filter((c) => c.rootModule && c.referenceQuantizedModule).map((c) => c.rootModule!),
    );
    this.qatClasses = new Set(configs.filter((c) => c.qatModule).map((c) => c.qatModule!));
    this.fusedClasses = new Set(configs.filter((c) => c.fusedModule).map((c) => c.fusedModule!));
  }

  get graph(): Graph {
    return this.model.graph;
  }

  /** `run_weight_observers`: weight observers of functional ops see their weights once more. */
  runWeightObservers(): void {
    for (const node of this.graph) {
      if (node.op !== "call_function") continue;
      for (const arg of node.args) {
        if (arg && nodeArgIs("weight", node, arg, this.backendConfig)) {
          evaluateProducers(this.model, arg as Node);
        }
      }
    }
  }

  /** `replace_observer_with_quantize_dequantize_node`. */
  private replaceObserver(node: Node): void {
    const { path, prefix } = modulePathAndPrefix(node, this.model, this.qconfigMap);
    const app = this.modules.get(node.target) as ActivationPostProcess;
    const info = quantizeNodeInfo(app, this.reduceRange);
    const skip = [...node.args, ...node.users].every((n) => isNoneQConfig(n, this.qconfigMap));
    this.graph.insertingBefore(node, () => {
      if (skip || info === undefined) {
        node.replaceAllUsesWith(node.args[0] as Node);
        this.graph.eraseNode(node);
        return;
      }
      const inputs: Argument[] = [node.args[0]];
      for (const [key, value] of info.qparams) {
        if (key === "_scale_" || key === "_zero_point_") {
          const name = freshAttrName(this.model, path + prefix + key);
          this.model.registerBuffer(name, value);
          inputs.push(this.graph.getAttr(name));
        } else {
          inputs.push(value);
        }
      }
      const q = this.graph.callFunction(info.op, inputs);
      const dq = this.graph.callMethod("dequantize", [q]);
      node.replaceAllUsesWith(dq);
      this.graph.eraseNode(node);
    });
  }

  /** `replace_observer_or_dequant_stub_with_dequantize_node` for a DeQuantStub. */
  private replaceDeQuantStub(node: Node): void {
    const input = node.args[0] as Node;
    node.replaceAllUsesWith(input);
    this.graph.eraseNode(node);
    insertDequantize(this.graph, input);
  }

  /** `convert_weighted_module`. */
  private convertWeighted(node: Node): void {
    let original = this.modules.get(node.target)!;
    const qconfig = original.qconfig ?? null;
    let weightPostProcess: ActivationPostProcess | undefined;
    if (this.qatClasses.has(typeNameOf(original))) {
      weightPostProcess = weightFakeQuant(original);
      original = qatToFloat(original);
      this.model.setSubmodule(node.target, original);
    }
    if (qconfig === null || isNoneQConfig(node, this.qconfigMap)) return;
    if (!this.observedNodeNames.has(node.name)) return;
    const configs = this.backendConfig.get(typeNameOf(original))?.dtypeConfigs ?? [];
    if (!qconfigSupported(qconfig, configs)) return;
    if (!weightIsQuantized(qconfig)) return;
    if (isFloatRnn(original)) {
      // nnqr.LSTM / cells: the weights are observed and quantized when lowered (per weight, as
      // `from_float`), so the reference keeps the float module and its qconfig.
      this.model.setSubmodule(node.target, new ReferenceRnnModule(original));
      return;
    }
    const fused = original instanceof FusedModule ? original : undefined;
    const float = (fused === undefined ? original : fused.at(0)) as Linear | Conv2d;
    if (!(float instanceof Linear || float instanceof Conv2d)) {
      throw new Error(
        `convert: ${typeName(float)} at ${node.target} has no reference quantized module in this ` +
          `library (Linear, Conv2d, LSTM and the RNN cells)`,
      );
    }
    weightPostProcess ??= wrapObserver(qconfig.weight.create());
    weightPostProcess.forward(float.weight);
    const ref = new ReferenceQuantizedModule(float, weightQParams(weightPostProcess));
    if (fused !== undefined) fused.registerModule("0", ref);
    else this.model.setSubmodule(node.target, ref);
  }

  /** The node loop of `convert`. */
  run(): void {
    for (const node of this.graph.nodes) {
      if (node.op !== "call_module") continue;
      const mod = this.modules.get(node.target)!;
      if (isActivationPostProcess(mod)) {
        this.replaceObserver(node);
      } else if (mod instanceof DeQuantStub) {
        this.replaceDeQuantStub(node);
      } else {
        const t = typeNameOf(mod);
        if (!this.rootClasses.has(t) && !this.qatClasses.has(t) && !this.fusedClasses.has(t)) {
          continue;
        }
        if (
          this.fusedClasses.has(t) && !this.rootClasses.has(typeNameOf((mod as FusedModule).at(0)))
        ) {
          continue;
        }
        this.convertWeighted(node);
      }
    }
  }
}

/** `insert_dequantize_node`: a `dequantize` after `node` that all its users read. */
export function insertDequantize(graph: Graph, node: Node): Node {
  return graph.insertingAfter(node, () => {
    const dq = graph.callMethod("dequantize", [node]);
    for (const user of [...node.users]) if (user !== dq) user.replaceInputWith(node, dq);
    return dq;
  });
}

/**
 * `collect_producer_nodes` + running them (`graph_module_from_producer_nodes`): the value of
 * `node` computed from attributes only.
 * @returns undefined when a placeholder feeds it (PyTorch's `None`)
 */
export function evaluateProducers(model: GraphModule, node: Node): unknown {
  const producers = new Set([node]);
  const frontier = [node];
  while (frontier.length > 0) {
    const n = frontier.pop()!;
    for (const a of n.allInputNodes) {
      if (a.op === "placeholder") return undefined;
      producers.add(a);
      if (!(a.op === "call_function" && a.target === "getattr")) frontier.push(a);
    }
  }
  const g = new Graph();
  const copies = new Map<Node, Node>();
  for (const n of model.graph) {
    if (producers.has(n)) copies.set(n, g.nodeCopy(n, (a) => copies.get(a)!));
  }
  g.output(copies.get(node)!);
  const runner = GraphModule.fromRoot(model, g, { scopes: model.scopes });
  runner.ops = model.ops;
  return runner.run([]);
}

/**
 * `convert_fx(prepared)`: the quantized graph module, running on `kernels`. A weighted op
 * whose qconfig or dtypes the backend does not support, and an op without a quantized version
 * here, stay float between a dequantize and a quantize (listed in the result's `notes`).
 * @example
 * ```ts
 * const quantized = convertFx(prepared, { kernels: bestKernelSet("qnnpack") });
 * const y = quantized.forward(x);
 * ```
 * @throws {TypeError} when `model` was not made by prepareFx / prepareQatFx.
 */
export function convertFx(model: GraphModule, options: ConvertFxOptions = {}): GraphModule {
  if (!(model instanceof GraphModule)) {
    throw new TypeError(`model: expected a GraphModule made by prepareFx, got ${typeName(model)}`);
  }
  const state = fxStateOf(model);
  if (state === undefined) {
    throw new TypeError(`model: this GraphModule was not made by prepareFx or prepareQatFx`);
  }
  if (options.kernels !== undefined && typeof options.kernels !== "object") {
    throw new TypeError(
      `kernels: expected a KernelSet or QuantizedOps, got ${show(options.kernels)}`,
    );
  }
  const ops = quantizedOps(options);
  const backendConfig = options.backendConfig ?? getNativeBackendConfig();
  const work = model.clone({ shareHistograms: true });
  work.ops = ops;
  const converter = new Converter(
    work,
    state.qconfigMap,
    state.observedNodeNames,
    backendConfig,
    // PyTorch: `reduce_range = engine in ("fbgemm", "x86")` when it writes a dynamic quantize.
    ops.kernels.numerics === "fbgemm" || ops.kernels.numerics === "fbgemm_avx512_vnni",
  );
  converter.runWeightObservers();
  converter.run();
  let quantized = GraphModule.fromRoot(work, work.graph.clone(), { scopes: work.scopes });
  quantized.ops = ops;
  quantized.graph.eliminateDeadCode();
  if (!options.isReference) quantized = lowerToNativeBackend(quantized, state.qconfigMap);
  for (const m of quantized.modules()) m.qconfig = undefined;
  setFxState(quantized, state);
  return quantized;
}
