/**
 * Backend configs (torch/ao/quantization/backend_config/): which patterns a backend quantizes,
 * with which dtypes, how their outputs are observed, which patterns fuse into which module, and
 * the QAT and reference module of each weighted module — PyTorch 1.13's `native` (what
 * `prepare_fx` uses without a backend config, and for onednn), `fbgemm`, `x86` and `qnnpack`
 * configs, built as `_common_operator_config_utils.py` builds them (a later config for the same
 * pattern replaces an earlier one in its place, as PyTorch's dict does).
 *
 * Patterns use PyTorch's names (`module_types.ts`): a module type (`torch.nn.Conv2d`), a
 * function's qualified name (`torch.nn.functional.relu`) or a method name (`relu`); a fusion
 * pattern is a nested array in PyTorch 1.13's reversed order, last op first
 * (`["torch.nn.ReLU", ["torch.nn.BatchNorm2d", "torch.nn.Conv2d"]]`).
 * @module
 */
import type { Backend } from "../../reference/engine.ts";
import type { ObserverFactory } from "../../reference/qconfig.ts";
import {
  defaultFixedQParamsRange0to1Observer,
  defaultFixedQParamsRangeNeg1to1Observer,
} from "../../reference/observers/fixed_qparams.ts";
import { withArgs } from "../../reference/observers/factory.ts";
import { FixedQParamsFakeQuantize } from "../../reference/fake_quantize_module.ts";
import { show } from "../_util.ts";

/** A pattern: one op, or `[op, ...argument patterns]` (the op applied to what they match). */
export type Pattern = string | readonly [string, ...Pattern[]];

/** How a pattern's output is observed (`ObservationType`). */
export type ObservationType =
  | "output_use_different_observer_as_input"
  | "output_share_observer_with_input";

/** A dtype with the backend's limits on qconfigs using it (`DTypeWithConstraints`). */
export interface DTypeWithConstraints {
  /** The dtype (`quint8`, `qint8`, `float16`, `float32`). */
  readonly dtype: string;
  /** The lowest `quant_min` a qconfig may use. */
  readonly quantMinLowerBound?: number;
  /** The highest `quant_max` a qconfig may use. */
  readonly quantMaxUpperBound?: number;
  /** The smallest `eps` (scale) a qconfig may use. */
  readonly scaleMinLowerBound?: number;
}

/** The dtypes of one supported configuration (`DTypeConfig`); null: not specified. */
export interface DTypeConfig {
  /** The input activation dtype. */
  readonly input: DTypeWithConstraints | null;
  /** The output activation dtype. */
  readonly output: DTypeWithConstraints | null;
  /** The weight dtype. */
  readonly weight: DTypeWithConstraints | null;
  /** The bias dtype. */
  readonly bias: string | null;
  /** Dynamic quantization (null: not specified). */
  readonly isDynamic: boolean | null;
}

/** One pattern's configuration (`BackendPatternConfig`). */
export interface BackendPatternConfig {
  /** The pattern. */
  readonly pattern: Pattern;
  /** How its output is observed. */
  readonly observationType: ObservationType;
  /** The supported dtype configurations. */
  readonly dtypeConfigs: readonly DTypeConfig[];
  /** The float module a weighted module's quantized version is built from. */
  readonly rootModule?: string;
  /** The QAT module the pattern's module is swapped for in prepareQatFx. */
  readonly qatModule?: string;
  /** The reference quantized module convert builds before lowering. */
  readonly referenceQuantizedModule?: string;
  /** The fused module a fusion pattern makes. */
  readonly fusedModule?: string;
  /** Whether the pattern is a fusion pattern (PyTorch's `fuser_method`). */
  readonly fuserMethod?: boolean;
  /** Observation type by the number of tensor arguments (binary ops). */
  readonly numTensorArgsToObservationType?: Readonly<Record<number, ObservationType>>;
  /** The argument index of the weight and bias (functional linear and conv). */
  readonly inputTypeToIndex?: Readonly<{ weight?: number; bias?: number }>;
  /** The output fake quant that replaces the qconfig's for quint8 (fixed-qparams ops, QAT). */
  readonly overwriteOutputFakeQuantize?: ObserverFactory;
  /** The output observer that replaces the qconfig's for quint8 (fixed-qparams ops). */
  readonly overwriteOutputObserver?: ObserverFactory;
  /** Whether inputs and outputs are observed (false: embeddings); default true. */
  readonly inputOutputObserved?: boolean;
}

/** A backend's pattern configs, by pattern, in PyTorch's dict order. */
export class BackendConfig {
  /** The backend's name (`qnnpack`, `x86`, …). */
  readonly name: string;
  private readonly byKey = new Map<string, BackendPatternConfig>();

  /** An empty config named `name`. */
  constructor(name: string) {
    this.name = name;
  }

  /** Adds a pattern config; one for the same pattern is replaced in its place (a dict). */
  setBackendPatternConfig(config: BackendPatternConfig): this {
    this.byKey.set(patternKey(config.pattern), Object.freeze({ ...config }));
    return this;
  }

  /** Adds several pattern configs in order. */
  setBackendPatternConfigs(configs: readonly BackendPatternConfig[]): this {
    for (const c of configs) this.setBackendPatternConfig(c);
    return this;
  }

  /** Every pattern config, in order. */
  get configs(): BackendPatternConfig[] {
    return [...this.byKey.values()];
  }

  /** The config of `pattern`, if any. */
  get(pattern: Pattern): BackendPatternConfig | undefined {
    return this.byKey.get(patternKey(pattern));
  }
}

/** A pattern as a string key (JSON). */
export function patternKey(p: Pattern): string {
  return JSON.stringify(p);
}

/** What kind of op a pattern element names: a module type, a function or a method. */
export function patternLeafKind(leaf: string): "module" | "function" | "method" {
  if (leaf === "getattr") return "function";
  const dot = leaf.lastIndexOf(".");
  if (dot < 0) return "method";
  const last = leaf.charAt(dot + 1);
  return last !== last.toLowerCase() ? "module" : "function";
}

// ---------------------------------------------------------------------------------------------
// The common operator configs (_common_operator_config_utils.py)

const DIFFERENT: ObservationType = "output_use_different_observer_as_input";
const SHARE: ObservationType = "output_share_observer_with_input";

const REF = "torch.ao.nn.quantized.reference.modules";

interface ConvMeta {
  root: string;
  transpose: string;
  bn: string;
  reference: string;
  transposeReference: string;
  fusedConvRelu: string;
  fusedConvBn: string;
  fusedConvBnRelu: string;
  qat: string;
  reluQat: string;
  bnQat: string;
  bnReluQat: string;
  func: string;
}

function convMeta(d: 1 | 2 | 3): ConvMeta {
  return {
    root: `torch.nn.Conv${d}d`,
    transpose: `torch.nn.ConvTranspose${d}d`,
    bn: `torch.nn.BatchNorm${d}d`,
    reference: `${REF}.conv.Conv${d}d`,
    transposeReference: `${REF}.conv.ConvTranspose${d}d`,
    fusedConvRelu: `torch.nn.intrinsic.ConvReLU${d}d`,
    fusedConvBn: `torch.nn.intrinsic.ConvBn${d}d`,
    fusedConvBnRelu: `torch.nn.intrinsic.ConvBnReLU${d}d`,
    qat: `torch.nn.qat.Conv${d}d`,
    reluQat: `torch.nn.intrinsic.qat.ConvReLU${d}d`,
    bnQat: `torch.nn.intrinsic.qat.ConvBn${d}d`,
    bnReluQat: `torch.nn.intrinsic.qat.ConvBnReLU${d}d`,
    func: `torch.conv${d}d`,
  };
}

type Cfg = Omit<BackendPatternConfig, "observationType"> & { observationType?: ObservationType };

function cfg(c: Cfg): BackendPatternConfig {
  return { observationType: DIFFERENT, ...c };
}

const RELU_MODULE = "torch.nn.ReLU";
const F_RELU = "torch.nn.functional.relu";
const TORCH_RELU = "torch.relu";
const F_LINEAR = "torch._C._nn.linear";

function binaryOpConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  const byArgs = { 0: DIFFERENT, 1: SHARE, 2: DIFFERENT };
  const out: BackendPatternConfig[] = [];
  for (const op of ["operator.add", "torch.add", "operator.mul", "torch.mul"]) {
    for (const pattern of [[RELU_MODULE, op], [F_RELU, op], [TORCH_RELU, op], op] as Pattern[]) {
      out.push(cfg({ pattern, dtypeConfigs, numTensorArgsToObservationType: byArgs }));
    }
  }
  out.push(cfg({ pattern: "torch.matmul", dtypeConfigs }));
  return out;
}

function linearConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  const ref = `${REF}.linear.Linear`;
  const root = "torch.nn.Linear";
  return [
    cfg({
      pattern: root,
      dtypeConfigs,
      rootModule: root,
      referenceQuantizedModule: ref,
      qatModule: "torch.nn.qat.Linear",
    }),
    cfg({
      pattern: "torch.nn.qat.Linear",
      dtypeConfigs,
      rootModule: root,
      referenceQuantizedModule: ref,
    }),
    cfg({ pattern: F_LINEAR, dtypeConfigs, inputTypeToIndex: { weight: 1, bias: 2 } }),
    cfg({
      pattern: [RELU_MODULE, root],
      dtypeConfigs,
      fuserMethod: true,
      fusedModule: "torch.nn.intrinsic.LinearReLU",
    }),
    cfg({
      pattern: [F_RELU, root],
      dtypeConfigs,
      fuserMethod: true,
      fusedModule: "torch.nn.intrinsic.LinearReLU",
    }),
    cfg({
      pattern: "torch.nn.intrinsic.LinearReLU",
      dtypeConfigs,
      rootModule: root,
      referenceQuantizedModule: ref,
      qatModule: "torch.nn.intrinsic.qat.LinearReLU",
    }),
    cfg({
      pattern: "torch.nn.intrinsic.qat.LinearReLU",
      dtypeConfigs,
      rootModule: root,
      referenceQuantizedModule: ref,
    }),
    cfg({ pattern: [RELU_MODULE, F_LINEAR], dtypeConfigs }),
    cfg({ pattern: [F_RELU, F_LINEAR], dtypeConfigs }),
    cfg({
      pattern: ["torch.nn.BatchNorm1d", root],
      dtypeConfigs,
      fuserMethod: true,
      fusedModule: "torch.nn.intrinsic.LinearBn1d",
    }),
    cfg({
      pattern: "torch.nn.intrinsic.LinearBn1d",
      dtypeConfigs,
      rootModule: root,
      referenceQuantizedModule: ref,
      qatModule: "torch.nn.intrinsic.qat.LinearBn1d",
    }),
    cfg({
      pattern: "torch.nn.intrinsic.qat.LinearBn1d",
      dtypeConfigs,
      rootModule: root,
      referenceQuantizedModule: ref,
    }),
  ];
}

function convConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  const out: BackendPatternConfig[] = [];
  for (const d of [1, 2, 3] as const) {
    const c = convMeta(d);
    const weighted = { dtypeConfigs, rootModule: c.root, referenceQuantizedModule: c.reference };
    out.push(
      cfg({ pattern: c.root, ...weighted, qatModule: c.qat }),
      cfg({ pattern: c.qat, ...weighted }),
      cfg({ pattern: c.func, dtypeConfigs, inputTypeToIndex: { weight: 1, bias: 2 } }),
      cfg({
        pattern: [RELU_MODULE, c.root],
        dtypeConfigs,
        fuserMethod: true,
        fusedModule: c.fusedConvRelu,
      }),
      cfg({
        pattern: [F_RELU, c.root],
        dtypeConfigs,
        fuserMethod: true,
        fusedModule: c.fusedConvRelu,
      }),
      cfg({ pattern: c.fusedConvRelu, ...weighted, qatModule: c.reluQat }),
      cfg({ pattern: c.reluQat, ...weighted }),
      cfg({ pattern: [RELU_MODULE, c.func], dtypeConfigs }),
      cfg({ pattern: [F_RELU, c.func], dtypeConfigs }),
      // PyTorch configures the fused conv-relu twice; the second replaces the first.
      cfg({ pattern: c.fusedConvRelu, dtypeConfigs, qatModule: c.reluQat }),
      cfg({ pattern: c.reluQat, ...weighted }),
      cfg({ pattern: [c.bn, c.root], dtypeConfigs, fuserMethod: true, fusedModule: c.fusedConvBn }),
      cfg({
        pattern: [RELU_MODULE, [c.bn, c.root]],
        dtypeConfigs,
        fuserMethod: true,
        fusedModule: c.fusedConvBnRelu,
      }),
      cfg({
        pattern: [F_RELU, [c.bn, c.root]],
        dtypeConfigs,
        rootModule: c.root,
        fuserMethod: true,
        fusedModule: c.fusedConvBnRelu,
      }),
      cfg({ pattern: c.fusedConvBn, dtypeConfigs, qatModule: c.bnQat }),
      cfg({ pattern: c.fusedConvBnRelu, dtypeConfigs, qatModule: c.bnReluQat }),
      cfg({ pattern: c.bnQat, ...weighted }),
      cfg({ pattern: c.bnReluQat, ...weighted }),
      cfg({
        pattern: c.transpose,
        dtypeConfigs,
        rootModule: c.transpose,
        referenceQuantizedModule: c.transposeReference,
      }),
      cfg({
        pattern: [c.bn, c.transpose],
        dtypeConfigs,
        fuserMethod: true,
        rootModule: c.transpose,
        referenceQuantizedModule: c.transposeReference,
      }),
    );
  }
  return out;
}

function catConfig(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig {
  return cfg({ pattern: "torch.cat", observationType: SHARE, dtypeConfigs });
}

function lnConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  return [
    cfg({ pattern: "torch.nn.LayerNorm", dtypeConfigs }),
    cfg({
      pattern: "torch.nn.functional.layer_norm",
      dtypeConfigs,
      inputTypeToIndex: { weight: 2, bias: 3 },
    }),
  ];
}

function defaultOpConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  const ops = [
    "torch.nn.ELU",
    "torch.nn.LeakyReLU",
    "torch.nn.Hardswish",
    "torch.nn.InstanceNorm1d",
    "torch.nn.InstanceNorm2d",
    "torch.nn.InstanceNorm3d",
    "torch.nn.Dropout",
    "torch.nn.PReLU",
    "torch.nn.functional.elu",
    "torch.nn.functional.hardswish",
    "torch.nn.functional.leaky_relu",
    "torch.nn.functional.dropout",
  ];
  return [
    ...ops.map((pattern) => cfg({ pattern, dtypeConfigs })),
    cfg({
      pattern: "torch.nn.functional.group_norm",
      dtypeConfigs,
      inputTypeToIndex: { weight: 2, bias: 3 },
    }),
    cfg({
      pattern: "torch.nn.functional.instance_norm",
      dtypeConfigs,
      inputTypeToIndex: { weight: 3, bias: 4 },
    }),
  ];
}

/** `_FIXED_QPARAMS_OP_TO_OBSERVER`: the fixed-qparams ops and their output observers. */
export const FIXED_QPARAMS_OP_TO_OBSERVER: ReadonlyMap<string, ObserverFactory> = new Map([
  ["torch.nn.Hardsigmoid", defaultFixedQParamsRange0to1Observer],
  ["torch.nn.functional.hardsigmoid", defaultFixedQParamsRange0to1Observer],
  ["hardsigmoid", defaultFixedQParamsRange0to1Observer],
  ["hardsigmoid_", defaultFixedQParamsRange0to1Observer],
  ["torch.nn.Sigmoid", defaultFixedQParamsRange0to1Observer],
  ["torch.sigmoid", defaultFixedQParamsRange0to1Observer],
  ["sigmoid", defaultFixedQParamsRange0to1Observer],
  ["sigmoid_", defaultFixedQParamsRange0to1Observer],
  ["torch.nn.Softmax", defaultFixedQParamsRange0to1Observer],
  ["torch.nn.Tanh", defaultFixedQParamsRangeNeg1to1Observer],
  ["torch.tanh", defaultFixedQParamsRangeNeg1to1Observer],
  ["tanh", defaultFixedQParamsRangeNeg1to1Observer],
  ["tanh_", defaultFixedQParamsRangeNeg1to1Observer],
] as [string, ObserverFactory][]);

/** `FixedQParamsFakeQuantize.with_args(observer=...)`. */
export function fixedQParamsFakeQuantize(observer: ObserverFactory): ObserverFactory {
  return withArgs(FixedQParamsFakeQuantize, { observer: observer as never }) as ObserverFactory;
}

function fixedQParamsOpConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  return [...FIXED_QPARAMS_OP_TO_OBSERVER].map(([pattern, observer]) =>
    cfg({
      pattern,
      dtypeConfigs,
      overwriteOutputFakeQuantize: fixedQParamsFakeQuantize(observer),
      overwriteOutputObserver: observer,
    })
  );
}

/** The ops whose output shares its input's observer (`_get_share_qparams_op_configs`). */
export const SHARE_QPARAMS_OPS: readonly string[] = [
  "torch.nn.AdaptiveAvgPool1d",
  "torch.nn.AdaptiveAvgPool2d",
  "torch.nn.AdaptiveAvgPool3d",
  "torch.nn.AvgPool1d",
  "torch.nn.AvgPool2d",
  "torch.nn.AvgPool3d",
  "torch.nn.Hardtanh",
  "torch.nn.Identity",
  "torch.nn.MaxPool1d",
  "torch.nn.MaxPool2d",
  "torch.nn.MaxPool3d",
  "torch.nn.ReLU",
  "torch.nn.ReLU6",
  "torch.adaptive_avg_pool1d",
  "torch.nn.functional.adaptive_avg_pool2d",
  "torch.nn.functional.adaptive_avg_pool3d",
  "torch.nn.functional.hardtanh",
  "torch._C._nn.hardtanh_",
  "torch.nn.functional.interpolate",
  "torch.nn.functional.max_pool1d",
  "torch.nn.functional.max_pool2d",
  "torch.nn.functional.max_pool3d",
  "torch.nn.functional.relu",
  "torch.nn.functional.relu6",
  "torch.avg_pool1d",
  "torch._C._nn.avg_pool2d",
  "torch._C._nn.avg_pool3d",
  "torch.clamp",
  "torch.flatten",
  "torch.mean",
  "torch.repeat_interleave",
  "torch.transpose",
  "torch.squeeze",
  "torch.stack",
  "torch.unsqueeze",
  "operator.floordiv",
  "contiguous",
  "clamp",
  "detach",
  "detach_",
  "mean",
  "permute",
  "repeat",
  "repeat_interleave",
  "reshape",
  "resize_",
  "relu",
  "relu_",
  "shape",
  "size",
  "squeeze",
  "squeeze_",
  "transpose",
  "unsqueeze",
  "unsqueeze_",
  "view",
];

function shareQParamsOpConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  return SHARE_QPARAMS_OPS.map((pattern) => cfg({ pattern, observationType: SHARE, dtypeConfigs }));
}

function bnConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  const pairs: [string, string][] = [
    ["torch.nn.BatchNorm2d", "torch.nn.intrinsic.BNReLU2d"],
    ["torch.nn.BatchNorm3d", "torch.nn.intrinsic.BNReLU3d"],
  ];
  const out: BackendPatternConfig[] = [];
  for (const [bn, fused] of pairs) {
    out.push(
      cfg({ pattern: [RELU_MODULE, bn], dtypeConfigs, fuserMethod: true, fusedModule: fused }),
      cfg({ pattern: [F_RELU, bn], dtypeConfigs, fuserMethod: true, fusedModule: fused }),
      cfg({ pattern: bn, dtypeConfigs }),
    );
  }
  for (const [, fused] of pairs) out.push(cfg({ pattern: fused, dtypeConfigs }));
  return out;
}

function rnnOpConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  return (["GRUCell", "LSTMCell", "RNNCell", "LSTM"] as const).map((name) =>
    cfg({
      pattern: `torch.nn.${name}`,
      dtypeConfigs,
      rootModule: `torch.nn.${name}`,
      referenceQuantizedModule: `${REF}.rnn.${name}`,
    })
  );
}

function embeddingOpConfigs(dtypeConfigs: readonly DTypeConfig[]): BackendPatternConfig[] {
  const out: BackendPatternConfig[] = [];
  for (const name of ["Embedding", "EmbeddingBag"]) {
    const root = `torch.nn.${name}`;
    const ref = `${REF}.sparse.${name}`;
    out.push(
      cfg({
        pattern: root,
        dtypeConfigs,
        qatModule: `torch.nn.qat.${name}`,
        rootModule: root,
        referenceQuantizedModule: ref,
        inputOutputObserved: false,
      }),
      cfg({
        pattern: `torch.nn.qat.${name}`,
        dtypeConfigs,
        rootModule: root,
        referenceQuantizedModule: ref,
        inputOutputObserved: false,
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// dtype configs and the default backend configs

function dt(
  dtype: string,
  constraints: Omit<DTypeWithConstraints, "dtype"> = {},
): DTypeWithConstraints {
  return { dtype, ...constraints };
}

function dtypeConfig(c: Partial<DTypeConfig>): DTypeConfig {
  return {
    input: c.input ?? null,
    output: c.output ?? null,
    weight: c.weight ?? null,
    bias: c.bias ?? null,
    isDynamic: c.isDynamic ?? null,
  };
}

const WEIGHTED_INT8 = dtypeConfig({
  input: dt("quint8"),
  output: dt("quint8"),
  weight: dt("qint8"),
  bias: "float32",
});
const DEFAULT_QUINT8 = dtypeConfig({ input: dt("quint8"), output: dt("quint8") });
const DYNAMIC_INT8 = dtypeConfig({
  input: dt("quint8"),
  output: dt("float32"),
  weight: dt("qint8"),
  bias: "float32",
  isDynamic: true,
});
const DYNAMIC_FLOAT16 = dtypeConfig({
  input: dt("float16"),
  output: dt("float32"),
  weight: dt("float16"),
  bias: "float32",
  isDynamic: true,
});
const INPUT_OUTPUT_ONLY_QUINT8 = dtypeConfig({
  input: dt("quint8"),
  output: dt("quint8"),
  weight: dt("float32"),
  bias: "float32",
});
const WEIGHT_ONLY_QUINT8 = dtypeConfig({
  input: dt("float32"),
  output: dt("float32"),
  weight: dt("quint8"),
});
const WEIGHT_ONLY_QUINT4X2 = dtypeConfig({
  input: dt("float32"),
  output: dt("float32"),
  weight: dt("quint4x2"),
});

const QNNPACK_ACT_QINT8 = dt("qint8", { scaleMinLowerBound: 2 ** -12 });
const QNNPACK_WEIGHT_QINT8 = dt("qint8", {
  quantMinLowerBound: -127,
  quantMaxUpperBound: 127,
  scaleMinLowerBound: 2 ** -12,
});
const QNNPACK_WEIGHTED_QINT8_SYMMETRIC = dtypeConfig({
  input: QNNPACK_ACT_QINT8,
  output: QNNPACK_ACT_QINT8,
  weight: QNNPACK_WEIGHT_QINT8,
  bias: "float32",
});
const QNNPACK_DEFAULT_QINT8_SYMMETRIC = dtypeConfig({
  input: QNNPACK_ACT_QINT8,
  output: QNNPACK_ACT_QINT8,
});

interface BackendDTypes {
  conv: DTypeConfig[];
  linear: DTypeConfig[];
  binary: DTypeConfig[];
  defaultOp: DTypeConfig[];
  fixedQParams: DTypeConfig[];
  shareQParams: DTypeConfig[];
  rnn: DTypeConfig[];
  embedding: DTypeConfig[];
  layerNorm?: DTypeConfig[];
}

function build(name: string, d: BackendDTypes): BackendConfig {
  const config = new BackendConfig(name)
    .setBackendPatternConfigs(convConfigs(d.conv))
    .setBackendPatternConfigs(linearConfigs(d.linear))
    .setBackendPatternConfigs(binaryOpConfigs(d.binary))
    .setBackendPatternConfig(catConfig(d.defaultOp))
    .setBackendPatternConfigs(defaultOpConfigs(d.defaultOp))
    .setBackendPatternConfigs(fixedQParamsOpConfigs(d.fixedQParams))
    .setBackendPatternConfigs(shareQParamsOpConfigs(d.shareQParams))
    .setBackendPatternConfigs(bnConfigs(d.defaultOp));
  if (d.layerNorm) config.setBackendPatternConfigs(lnConfigs(d.layerNorm));
  return config
    .setBackendPatternConfigs(rnnOpConfigs(d.rnn))
    .setBackendPatternConfigs(embeddingOpConfigs(d.embedding));
}

const SERVER_DTYPES: BackendDTypes = {
  conv: [WEIGHTED_INT8],
  linear: [WEIGHTED_INT8, DYNAMIC_INT8, DYNAMIC_FLOAT16],
  binary: [WEIGHTED_INT8],
  defaultOp: [DEFAULT_QUINT8],
  fixedQParams: [WEIGHTED_INT8],
  shareQParams: [DEFAULT_QUINT8],
  rnn: [DYNAMIC_INT8, DYNAMIC_FLOAT16],
  embedding: [WEIGHT_ONLY_QUINT8, WEIGHT_ONLY_QUINT4X2],
};

/** `get_native_backend_config()`: fbgemm and qnnpack's shared config (PyTorch's default). */
export function getNativeBackendConfig(): BackendConfig {
  return build("native", { ...SERVER_DTYPES, layerNorm: [INPUT_OUTPUT_ONLY_QUINT8] });
}

/** `get_fbgemm_backend_config()`. */
export function getFbgemmBackendConfig(): BackendConfig {
  return build("fbgemm", SERVER_DTYPES);
}

/** `get_x86_backend_config()`. */
export function getX86BackendConfig(): BackendConfig {
  return build("x86", SERVER_DTYPES);
}

/** `get_qnnpack_backend_config()`: also the symmetric qint8 (XNNPACK-style) configs. */
export function getQnnpackBackendConfig(): BackendConfig {
  const weighted = [QNNPACK_WEIGHTED_QINT8_SYMMETRIC, WEIGHTED_INT8];
  const defaults = [QNNPACK_DEFAULT_QINT8_SYMMETRIC, DEFAULT_QUINT8];
  return build("qnnpack", {
    conv: weighted,
    linear: [...weighted, DYNAMIC_INT8, DYNAMIC_FLOAT16],
    binary: weighted,
    defaultOp: defaults,
    fixedQParams: weighted,
    shareQParams: defaults,
    rnn: [DYNAMIC_INT8, DYNAMIC_FLOAT16],
    embedding: [WEIGHT_ONLY_QUINT8, WEIGHT_ONLY_QUINT4X2],
  });
}

/** The backends with a default config (PyTorch's quantized backends). */
export type { Backend };

/**
 * The backend config PyTorch 1.13 uses for a backend: its own for fbgemm, x86 and qnnpack, the
 * native one for onednn (1.13 has no onednn config; `prepare_fx` without one uses native).
 * @throws {RangeError} for another name.
 */
export function getBackendConfig(backend: Backend): BackendConfig {
  switch (backend) {
    case "fbgemm":
      return getFbgemmBackendConfig();
    case "x86":
      return getX86BackendConfig();
    case "qnnpack":
      return getQnnpackBackendConfig();
    case "onednn":
      return getNativeBackendConfig();
    default:
      throw new RangeError(
        `backend: expected one of fbgemm, x86, qnnpack, onednn, got ${show(backend)}`,
      );
  }
}
