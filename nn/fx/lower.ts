/**
 * Lowering of a reference quantized graph to the quantized modules and ops of the kernel sets
 * (torch/ao/quantization/fx/_lower_to_native_backend.py of PyTorch 1.13, the passes in its
 * order):
 *
 * 1. `dequantize → reference linear/conv module → quantize` → QuantizedLinear(ReLU) /
 *    QuantizedConv2d / QuantizedConvReLU2d with the quantize's qparams;
 * 2. `quantize_per_tensor_dynamic → dequantize → reference linear` → DynamicQuantizedLinear(ReLU);
 * 3. functional `linear`/`conv2d` (+ relu) between dequantizes and a quantize →
 *    `quantized::linear[_relu]` / `conv2d[_relu]` with a prepacked weight, dynamic ones →
 *    `quantized::linear[_relu]_dynamic`;
 * 4. `add`/`mul` (+ relu) of dequantized tensors → `quantized::add[_relu]` / `mul[_relu]` (with
 *    output qparams), of a tensor and a scalar → the scalar variants;
 * 5. special patterns — the ops that run on quantized tensors as they are (pools, relu, flatten,
 *    view, cat, sigmoid, tanh, …): their dequantize and quantize are removed; Hardswish and
 *    Dropout modules become their quantized modules, `F.hardswish` becomes `quantized::hardswish`;
 * 6. prepacked weights are computed once and become `_packed_weight_<i>` attributes.
 *
 * An op PyTorch lowers but this library cannot run quantized (quantized BatchNorm, ELU,
 * LayerNorm, interpolate, clamp, …) is left float between its dequantize and quantize, with a
 * note in `GraphModule.notes`.
 * @module
 */
import type { Module } from "../module.ts";
import { Dropout } from "../modules/container.ts";
import { ConvReLU2d, LinearReLU } from "../modules/fused.ts";
import { Linear } from "../modules/linear.ts";
import {
  QuantizedActivation,
  type QuantizedActivationSpec,
  QuantizedDropout,
} from "../quantized/activation.ts";
import { ELU, Hardswish, LeakyReLU } from "../modules/activation.ts";
import { QuantizedConv2d, QuantizedConvReLU2d } from "../quantized/conv.ts";
import { DynamicQuantizedLinear, DynamicQuantizedLinearReLU } from "../quantized/dynamic_linear.ts";
import { dynamicRnnCellFromFloat, dynamicRnnFromFloat } from "../flows/from_float.ts";
import { LSTM } from "../modules/rnn.ts";
import { QuantizedLinear, QuantizedLinearReLU } from "../quantized/linear.ts";
import type { QuantizedOps } from "../quantized/ops.ts";
import { scalarValue } from "./_values.ts";
import { type Argument, Graph, isDTypeArg, Node } from "./graph.ts";
import { GraphModule } from "./graph_module.ts";
import { typeNameOf } from "./module_types.ts";
import { moduleMap } from "./pattern.ts";
import type { QConfigAny } from "./qconfig_mapping.ts";
import { ReferenceQuantizedModule, ReferenceRnnModule } from "./reference_modules.ts";
import { evaluateProducers, freshAttrName } from "./convert.ts";
import { intPadding } from "../flows/from_float.ts";

const REF_LINEAR = "torch.ao.nn.quantized.reference.modules.linear.Linear";
const REF_CONV2D = "torch.ao.nn.quantized.reference.modules.conv.Conv2d";
const F_LINEAR = "torch._C._nn.linear";
const QUANTIZE = "torch.quantize_per_tensor";

function isDequantize(n: unknown): n is Node {
  return n instanceof Node && n.op === "call_method" && n.target === "dequantize";
}

/** The lowering of one graph module (internal state of `lowerToNativeBackend`). */
class Lowerer {
  private modules: Map<string, Module>;

  constructor(
    readonly model: GraphModule,
    readonly qconfigMap: ReadonlyMap<string, QConfigAny>,
    readonly ops: QuantizedOps,
  ) {
    this.modules = moduleMap(model);
  }

  get graph(): Graph {
    return this.model.graph;
  }

  private refresh(): void {
    this.modules = moduleMap(this.model);
  }

  private moduleType(n: Node): string | undefined {
    if (n.op !== "call_module") return undefined;
    const m = this.modules.get(n.target);
    return m === undefined ? undefined : typeNameOf(m);
  }

  private isRelu(n: Node): boolean {
    return (n.op === "call_function" &&
      (n.target === "torch.nn.functional.relu" || n.target === "torch.relu")) ||
      this.moduleType(n) === "torch.nn.ReLU";
  }

  private skip(n: Node): boolean {
    return this.qconfigMap.has(n.name) && this.qconfigMap.get(n.name) === null;
  }

  private buffer(n: Node): number {
    return scalarValue(this.model.getAttr(n.target), n.target);
  }

  /**
   * `_match_static_pattern`: `quantize(relu?(ref(dequantize, …)))` with `ref` one of
   * `modules` (by type) or `functions` (by target).
   */
  private matchStatic(
    n: Node,
    matching: { modules?: ReadonlySet<string>; functions?: ReadonlySet<string> },
    dqIndices: readonly number[],
  ): { q: Node; relu: Node | undefined; ref: Node } | undefined {
    if (n.op !== "call_function" || n.target !== QUANTIZE) return undefined;
    let ref = n.args[0] as Node;
    let relu: Node | undefined;
    if (this.isRelu(ref)) {
      relu = ref;
      ref = relu.args[0] as Node;
    }
    if (this.skip(ref)) return undefined;
    if (matching.modules !== undefined) {
      if (ref.op !== "call_module" || !matching.modules.has(this.moduleType(ref)!)) {
        return undefined;
      }
    } else if (ref.op !== "call_function" || !matching.functions!.has(ref.target)) {
      return undefined;
    }
    let matched = false;
    for (const i of dqIndices) {
      const a = ref.args[i];
      if (isDequantize(a)) matched = true;
      else if (a instanceof Node) return undefined;
    }
    return matched ? { q: n, relu, ref } : undefined;
  }

  /** `_lower_static_weighted_ref_module`. */
  lowerStaticWeightedModules(): void {
    const types = new Set([
      REF_LINEAR,
      REF_CONV2D,
      "torch.nn.intrinsic.LinearReLU",
      "torch.nn.intrinsic.ConvReLU2d",
    ]);
    for (const n of this.graph) {
      const m = this.matchStatic(n, { modules: types }, [0]);
      if (m === undefined) continue;
      const [, scaleNode, zpNode] = m.q.args as Node[];
      const refModule = this.modules.get(m.ref.target)!;
      const output = { scale: this.buffer(scaleNode), zeroPoint: this.buffer(zpNode) };
      const fused = refModule instanceof LinearReLU || refModule instanceof ConvReLU2d;
      const inner = fused ? refModule.at(0) : refModule;
      if (!(inner instanceof ReferenceQuantizedModule)) continue;
      this.model.setSubmodule(m.ref.target, this.quantizedModule(inner, fused, output));
      const dq = m.ref.args[0] as Node;
      m.ref.replaceInputWith(dq, dq.args[0] as Node);
      m.q.replaceAllUsesWith(m.ref);
      this.graph.eraseNode(m.q);
      this.graph.eraseNode(scaleNode);
      this.graph.eraseNode(zpNode);
    }
    this.refresh();
  }

  private quantizedModule(
    ref: ReferenceQuantizedModule,
    relu: boolean,
    output: { scale: number; zeroPoint: number },
  ): Module {
    const weight = ref.quantizedWeight();
    const f = ref.float;
    if (f instanceof Linear) {
      return new (relu ? QuantizedLinearReLU : QuantizedLinear)(weight, f.bias, output, this.ops);
    }
    const geometry = {
      stride: f.stride,
      padding: intPadding(f),
      dilation: f.dilation,
      groups: f.groups,
    };
    return new (relu ? QuantizedConvReLU2d : QuantizedConv2d)(
      weight,
      f.bias,
      geometry,
      output,
      this.ops,
    );
  }

  /** `_lower_dynamic_weighted_ref_module`. */
  lowerDynamicWeightedModules(): void {
    for (const n of this.graph) {
      const t = this.moduleType(n);
      const rnn = n.op === "call_module" &&
        this.modules.get(n.target) instanceof ReferenceRnnModule;
      if (t !== REF_LINEAR && t !== "torch.nn.intrinsic.LinearReLU" && !rnn) continue;
      const dq = n.args[0];
      if (!isDequantize(dq)) continue;
      const qd = dq.args[0] as Node;
      if (qd.op !== "call_function" || qd.target !== "torch.quantize_per_tensor_dynamic") continue;
      const dtype = qd.args[1];
      if (!isDTypeArg(dtype) || !["quint8", "qint8"].includes(dtype.dtype)) {
        this.note(n, "float16 dynamic quantization is not supported");
        continue;
      }
      const refModule = this.modules.get(n.target)!;
      if (refModule instanceof ReferenceRnnModule) {
        // `from_reference`: every weight observed by a fresh weight observer and quantized.
        const float = refModule.float;
        const make = float instanceof LSTM ? dynamicRnnFromFloat : dynamicRnnCellFromFloat;
        this.model.setSubmodule(n.target, make(float, { ops: this.ops }));
        n.replaceInputWith(dq, qd.args[0] as Node);
        continue;
      }
      const fused = refModule instanceof LinearReLU;
      const inner = fused ? refModule.at(0) : refModule;
      if (!(inner instanceof ReferenceQuantizedModule) || !(inner.float instanceof Linear)) {
        continue;
      }
      const cls = fused ? DynamicQuantizedLinearReLU : DynamicQuantizedLinear;
      this.model.setSubmodule(
        n.target,
        new cls({ dtype: "qint8", weight: inner.quantizedWeight() }, inner.float.bias, this.ops),
      );
      n.replaceInputWith(dq, qd.args[0] as Node);
    }
    this.refresh();
  }

  /** `_lower_static_weighted_ref_functional`. */
  lowerStaticWeightedFunctionals(): void {
    const functions = new Set([F_LINEAR, "torch.conv2d"]);
    for (const n of this.graph) {
      const m = this.matchStatic(n, { functions }, [0, 1]);
      if (m === undefined) continue;
      const [, scaleNode, zpNode] = m.q.args as Node[];
      const [inputDq, weightDq, ...rest] = m.ref.args as [Node, Node, ...Argument[]];
      const qweight = weightDq.args[0] as Node;
      if (
        qweight.op !== "call_function" ||
        (qweight.target !== QUANTIZE && qweight.target !== "torch.quantize_per_channel")
      ) continue;
      const isLinear = m.ref.target === F_LINEAR;
      const prepack = isLinear
        ? "torch.ops.quantized.linear_prepack"
        : "torch.ops.quantized.conv2d_prepack";
      const packed = this.graph.insertingBefore(
        scaleNode,
        () => this.graph.callFunction(prepack, [qweight, ...rest]),
      );
      const base = isLinear ? "torch.ops.quantized.linear" : "torch.ops.quantized.conv2d";
      m.ref.target = m.relu !== undefined ? `${base}_relu` : base;
      m.ref.args = [inputDq.args[0] as Node, packed, scaleNode, zpNode];
      m.q.replaceAllUsesWith(m.ref);
      zpNode.append(m.ref);
      this.graph.eraseNode(m.q);
      if (m.relu !== undefined) this.graph.eraseNode(m.relu);
    }
  }

  /** `_lower_dynamic_weighted_ref_functional`. */
  lowerDynamicWeightedFunctionals(): void {
    for (const n of this.graph.reversed()) {
      let func = n;
      let relu: Node | undefined;
      if (this.isReluForDynamic(n)) {
        relu = n;
        func = n.args[0] as Node;
      }
      if (this.skip(func)) continue;
      if (
        func.op !== "call_function" || (func.target !== F_LINEAR && func.target !== "torch.conv2d")
      ) {
        continue;
      }
      const [inputDq, weightDq, ...rest] = func.args as [Node, Node, ...Argument[]];
      if (!isDequantize(inputDq) || !isDequantize(weightDq)) continue;
      const qd = inputDq.args[0] as Node;
      if (qd.op !== "call_function" || qd.target !== "torch.quantize_per_tensor_dynamic") continue;
      const [input, computeDtype, reduceRange] = qd.args;
      if (!isDTypeArg(computeDtype) || !["quint8", "qint8"].includes(computeDtype.dtype)) continue;
      if (func.target !== F_LINEAR) {
        this.note(func, "dynamic quantized conv is not supported");
        continue;
      }
      const qweight = weightDq.args[0] as Node;
      const packed = this.graph.insertingBefore(
        func,
        () => this.graph.callFunction("torch.ops.quantized.linear_prepack", [qweight, ...rest]),
      );
      func.target = relu !== undefined
        ? "torch.ops.quantized.linear_relu_dynamic"
        : "torch.ops.quantized.linear_dynamic";
      func.args = [input, packed, reduceRange];
      if (relu !== undefined) {
        relu.replaceAllUsesWith(func);
        this.graph.eraseNode(relu);
      }
    }
  }

  private isReluForDynamic(n: Node): boolean {
    return (n.op === "call_function" && n.target === "torch.nn.functional.relu") ||
      this.moduleType(n) === "torch.nn.ReLU";
  }

  /** `_lower_quantized_binary_op`. */
  lowerBinaryOps(): void {
    const functions = new Set([
      "operator.add",
      "torch.add",
      "operator.mul",
      "torch.mul",
      "torch.matmul",
    ]);
    for (const n of this.graph) {
      const m = this.matchStatic(n, { functions }, [0, 1]);
      if (m === undefined) continue;
      if (m.ref.target === "torch.matmul") {
        this.note(m.ref, "quantized matmul is not supported");
        continue;
      }
      const [, scaleNode, zpNode] = m.q.args as Node[];
      let dqs = 0;
      for (const a of m.ref.args) {
        if (!isDequantize(a)) continue;
        m.ref.replaceInputWith(a, a.args[0] as Node);
        dqs++;
      }
      const op = m.ref.target.endsWith("add") ? "add" : "mul";
      const target = `torch.ops.quantized.${op}${m.relu !== undefined ? "_relu" : ""}`;
      const args = dqs === 2 ? [...m.ref.args, scaleNode, zpNode] : [...m.ref.args];
      const qop = this.graph.insertingAfter(m.q, () => this.graph.callFunction(target, args));
      Object.assign(qop.meta, m.ref.meta);
      m.q.replaceAllUsesWith(qop);
      this.graph.eraseNode(m.q);
      if (m.relu !== undefined) this.graph.eraseNode(m.relu);
      this.graph.eraseNode(m.ref);
    }
  }

  /** `_lower_getattr_tensor_metadta_op`: `x.shape` reads the quantized tensor. */
  lowerTensorMetadata(): void {
    for (const n of this.graph) {
      if (
        n.op === "call_function" && n.target === "getattr" && n.args[1] === "shape" &&
        isDequantize(n.args[0])
      ) {
        n.args = [(n.args[0] as Node).args[0], ...n.args.slice(1)];
      }
    }
  }

  /** `special_pattern_replacement`. */
  replaceSpecialPatterns(): void {
    for (const q of this.graph) {
      if (q.op !== "call_function" || q.target !== QUANTIZE) continue;
      const ref = q.args[0] as Node;
      const kind = specialKind(ref, this.moduleType(ref));
      if (kind === undefined) continue;
      const input = ref.args[0];
      const dqs = Array.isArray(input) ? input : [input];
      if (!dqs.every(isDequantize)) continue;
      const support = supportedSpecial(ref, this.moduleType(ref), kind);
      if (support !== true) {
        this.note(ref, support);
        continue;
      }
      const [, scaleNode, zpNode] = q.args as Node[];
      if (ref.op === "call_module") {
        const m = this.modules.get(ref.target)!;
        if (m instanceof Hardswish || m instanceof LeakyReLU || m instanceof ELU) {
          // `nnq.X.from_reference(ref, output_scale, output_zero_point)`.
          const spec = (m.constructor as typeof Hardswish | typeof LeakyReLU | typeof ELU)
            .quantized as unknown as QuantizedActivationSpec<unknown>;
          this.model.setSubmodule(
            ref.target,
            new QuantizedActivation(
              spec,
              spec.params(m),
              this.buffer(scaleNode),
              this.buffer(zpNode),
            ),
          );
        } else if (m instanceof Dropout) {
          this.model.setSubmodule(ref.target, new QuantizedDropout(m.p));
        }
      }
      for (const dq of dqs as Node[]) ref.replaceInputWith(dq, dq.args[0] as Node);
      q.replaceAllUsesWith(ref);
      this.graph.eraseNode(q);
      if (kind === "default" && ref.op === "call_function") {
        // `get_quantized_operator`, and `QOP_TO_ARG_NAMES_TO_SKIP` (leaky_relu keeps `inplace`).
        const target = QUANTIZED_OPERATOR[ref.target];
        const kwargs = { ...ref.kwargs };
        if (target !== "torch.ops.quantized.leaky_relu") delete kwargs.inplace;
        kwargs.output_scale = scaleNode;
        kwargs.output_zero_point = zpNode;
        const qop = this.graph.insertingAfter(
          zpNode,
          () => this.graph.callFunction(target, ref.args, kwargs),
        );
        Object.assign(qop.meta, ref.meta);
        ref.replaceAllUsesWith(qop);
        this.graph.eraseNode(ref);
      } else {
        this.graph.eraseNode(scaleNode);
        this.graph.eraseNode(zpNode);
      }
    }
    this.refresh();
  }

  /** `fold_weight`: prepack subgraphs computed once, as `<path>_packed_weight_<i>` attributes. */
  foldWeights(): GraphModule {
    const PREPACK = new Set([
      "torch.ops.quantized.linear_prepack",
      "torch.ops.quantized.conv2d_prepack",
    ]);
    const folded = new Map<string, Node>();
    const packs = new Map<string, unknown>();
    for (const n of this.graph) {
      if (n.op !== "call_function" || !PREPACK.has(n.target)) continue;
      const producers = producerNodes(n);
      if (producers === undefined) continue;
      for (const p of producers) folded.set(p.name, n);
      packs.set(n.name, evaluateProducers(this.model, n));
    }
    const g = new Graph();
    const env = new Map<Node, Node>();
    for (const n of this.graph) {
      const prepack = folded.get(n.name);
      if (prepack === n) {
        const user = [...n.users][0];
        const path = this.model.scopes.get(user.name)?.path ?? "";
        const name = freshAttrName(this.model, `${path}_packed_weight_`);
        this.model.registerModule(name, packs.get(n.name) as Module);
        env.set(n, g.getAttr(name));
      } else if (prepack === undefined) {
        env.set(n, g.nodeCopy(n, (a) => env.get(a)!));
      }
    }
    const out = GraphModule.fromRoot(this.model, g, { scopes: this.model.scopes });
    out.ops = this.model.ops;
    out.notes.push(...this.model.notes);
    return out;
  }

  private note(n: Node, why: string): void {
    this.model.notes.push(`${n.name} (${n.op} ${n.target}) stays float: ${why}`);
  }
}

/** `collect_producer_nodes`: the node and what it is computed from (undefined if from inputs). */
function producerNodes(node: Node): Node[] | undefined {
  const nodes = [node];
  const frontier = [node];
  while (frontier.length > 0) {
    const n = frontier.pop()!;
    for (const a of n.allInputNodes) {
      if (a.op === "placeholder") return undefined;
      nodes.push(a);
      if (!(a.op === "call_function" && a.target === "getattr")) frontier.push(a);
    }
  }
  return nodes;
}

type SpecialKind = "fixed" | "default" | "copy" | "shape" | "other";

const SPECIAL_FUNCTIONS: Record<string, SpecialKind> = {
  "torch.nn.functional.hardsigmoid": "fixed",
  "torch.nn.functional.sigmoid": "fixed",
  "torch.sigmoid": "fixed",
  "torch.tanh": "fixed",
  "torch.nn.functional.elu": "default",
  "torch.nn.functional.hardswish": "default",
  "torch.nn.functional.instance_norm": "default",
  "torch.nn.functional.layer_norm": "default",
  "torch.nn.functional.leaky_relu": "default",
  "torch.nn.functional.dropout": "default",
  "torch.adaptive_avg_pool1d": "copy",
  "torch.nn.functional.adaptive_avg_pool2d": "copy",
  "torch.nn.functional.adaptive_avg_pool3d": "copy",
  "torch.nn.functional.hardtanh": "copy",
  "torch._C._nn.hardtanh_": "copy",
  "torch.nn.functional.interpolate": "copy",
  "torch.nn.functional.max_pool1d": "copy",
  "torch.nn.functional.max_pool2d": "copy",
  "torch.nn.functional.max_pool3d": "copy",
  "torch.nn.functional.relu": "copy",
  "torch.nn.functional.relu6": "copy",
  "torch.avg_pool1d": "copy",
  "torch._C._nn.avg_pool2d": "copy",
  "torch._C._nn.avg_pool3d": "copy",
  "torch.clamp": "copy",
  "torch.flatten": "copy",
  "torch.mean": "copy",
  "operator.floordiv": "copy",
  "torch.transpose": "shape",
  "torch.repeat_interleave": "shape",
  "torch.squeeze": "shape",
  "torch.stack": "shape",
  "torch.unsqueeze": "shape",
  "torch.cat": "other",
};

const SPECIAL_METHODS: Record<string, SpecialKind> = {
  hardsigmoid: "fixed",
  hardsigmoid_: "fixed",
  sigmoid: "fixed",
  sigmoid_: "fixed",
  tanh: "fixed",
  tanh_: "fixed",
  clamp: "copy",
  mean: "copy",
  relu: "copy",
  relu_: "copy",
  contiguous: "shape",
  detach: "shape",
  detach_: "shape",
  permute: "shape",
  repeat: "shape",
  repeat_interleave: "shape",
  reshape: "shape",
  resize_: "shape",
  shape: "shape",
  size: "shape",
  squeeze: "shape",
  squeeze_: "shape",
  transpose: "shape",
  unsqueeze: "shape",
  unsqueeze_: "shape",
  view: "shape",
};

/** `DEFAULT_FLOAT_TO_QUANTIZED_OPERATOR_MAPPINGS` for the functionals lowered here. */
const QUANTIZED_OPERATOR: Record<string, string> = {
  "torch.nn.functional.hardswish": "torch.ops.quantized.hardswish",
  "torch.nn.functional.elu": "torch.ops.quantized.elu",
  "torch.nn.functional.leaky_relu": "torch.ops.quantized.leaky_relu",
  "torch.nn.functional.dropout": "torch.ops.quantized.dropout",
};

const SPECIAL_MODULES: Record<string, SpecialKind> = {
  "torch.nn.Hardsigmoid": "fixed",
  "torch.nn.Sigmoid": "fixed",
  "torch.nn.Tanh": "fixed",
  "torch.nn.Softmax": "fixed",
  "torch.ao.nn.quantized.reference.modules.conv.ConvTranspose1d": "default",
  "torch.ao.nn.quantized.reference.modules.conv.ConvTranspose2d": "default",
  "torch.nn.ELU": "default",
  "torch.nn.LeakyReLU": "default",
  "torch.nn.Hardswish": "default",
  "torch.nn.InstanceNorm1d": "default",
  "torch.nn.InstanceNorm2d": "default",
  "torch.nn.InstanceNorm3d": "default",
  "torch.nn.LayerNorm": "default",
  "torch.nn.Dropout": "default",
  "torch.nn.PReLU": "default",
  "torch.nn.BatchNorm2d": "default",
  "torch.nn.BatchNorm3d": "default",
  "torch.nn.intrinsic.BNReLU2d": "default",
  "torch.nn.intrinsic.BNReLU3d": "default",
  "torch.nn.AdaptiveAvgPool1d": "copy",
  "torch.nn.AdaptiveAvgPool2d": "copy",
  "torch.nn.AdaptiveAvgPool3d": "copy",
  "torch.nn.AvgPool1d": "copy",
  "torch.nn.AvgPool2d": "copy",
  "torch.nn.AvgPool3d": "copy",
  "torch.nn.Hardtanh": "copy",
  "torch.nn.MaxPool1d": "copy",
  "torch.nn.MaxPool2d": "copy",
  "torch.nn.MaxPool3d": "copy",
  "torch.nn.ReLU": "copy",
  "torch.nn.ReLU6": "copy",
  "torch.nn.Identity": "shape",
};

/** `is_special_pattern_node`: which of PyTorch's special lists the node is in. */
function specialKind(n: Node, moduleType: string | undefined): SpecialKind | undefined {
  if (n.op === "call_function") return SPECIAL_FUNCTIONS[n.target];
  if (n.op === "call_method") return SPECIAL_METHODS[n.target];
  if (n.op === "call_module" && moduleType !== undefined) return SPECIAL_MODULES[moduleType];
  return undefined;
}

/** What of PyTorch's special patterns this library runs quantized. */
const RUNS_QUANTIZED = new Set([
  "call_function torch.nn.functional.hardsigmoid",
  "call_function torch.nn.functional.hardtanh",
  "call_function torch.clamp",
  "call_function torch.nn.functional.elu",
  "call_function torch.nn.functional.leaky_relu",
  "call_method hardsigmoid",
  "call_method clamp",
  "call_module torch.nn.Hardsigmoid",
  "call_module torch.nn.Hardtanh",
  "call_module torch.nn.ELU",
  "call_module torch.nn.LeakyReLU",
  "call_function torch.sigmoid",
  "call_function torch.tanh",
  "call_function torch.nn.functional.hardswish",
  "call_function torch.nn.functional.dropout",
  "call_function torch.nn.functional.adaptive_avg_pool2d",
  "call_function torch.nn.functional.max_pool2d",
  "call_function torch.nn.functional.relu",
  "call_function torch.nn.functional.relu6",
  "call_function torch._C._nn.avg_pool2d",
  "call_function torch.flatten",
  "call_function torch.mean",
  "call_function torch.cat",
  "call_method sigmoid",
  "call_method tanh",
  "call_method relu",
  "call_method mean",
  "call_method contiguous",
  "call_method detach",
  "call_method reshape",
  "call_method view",
  "call_method size",
  "call_module torch.nn.Sigmoid",
  "call_module torch.nn.Tanh",
  "call_module torch.nn.Hardswish",
  "call_module torch.nn.Dropout",
  "call_module torch.nn.AdaptiveAvgPool2d",
  "call_module torch.nn.AvgPool2d",
  "call_module torch.nn.MaxPool2d",
  "call_module torch.nn.ReLU",
  "call_module torch.nn.ReLU6",
  "call_module torch.nn.Identity",
]);

function supportedSpecial(
  n: Node,
  moduleType: string | undefined,
  kind: SpecialKind,
): true | string {
  const key = `${n.op} ${n.op === "call_module" ? moduleType : n.target}`;
  if (RUNS_QUANTIZED.has(key)) return true;
  return `PyTorch runs this ${
    kind === "default" ? "op as its quantized version" : "op on the quantized tensor"
  }, which this library does not implement`;
}

/**
 * `_lower_to_native_backend`: the passes in PyTorch's order, dead-code elimination, weight
 * folding.
 */
export function lowerToNativeBackend(
  model: GraphModule,
  qconfigMap: ReadonlyMap<string, QConfigAny>,
): GraphModule {
  const ops = model.ops!;
  const l = new Lowerer(model, qconfigMap, ops);
  l.lowerStaticWeightedModules();
  l.lowerDynamicWeightedModules();
  l.lowerStaticWeightedFunctionals();
  l.lowerDynamicWeightedFunctionals();
  l.lowerBinaryOps();
  l.lowerTensorMetadata();
  l.replaceSpecialPatterns();
  model.graph.eliminateDeadCode();
  const folded = l.foldWeights();
  folded.graph.eliminateDeadCode();
  folded.graph.lint();
  return folded;
}
