/**
 * `fuseModules` (torch/ao/quantization/fuse_modules.py with fuser_method_mappings.py's
 * `DEFAULT_OP_LIST_TO_FUSER_METHOD`, restricted to the 1-D/2-D modules this library has):
 *
 * | sequence                    | eval (`qat: false`)                | QAT (`qat: true`)     |
 * | --------------------------- | ---------------------------------- | --------------------- |
 * | Conv2d, BatchNorm2d         | Conv2d with BN folded in           | ConvBn2d              |
 * | Conv2d, BatchNorm2d, ReLU   | ConvReLU2d(folded Conv2d, ReLU)    | ConvBnReLU2d          |
 * | Conv2d, ReLU                | ConvReLU2d                         | ConvReLU2d            |
 * | Linear, BatchNorm1d         | Linear with BN folded in           | LinearBn1d            |
 * | Linear, ReLU                | LinearReLU                         | LinearReLU            |
 * | BatchNorm2d, ReLU           | BNReLU2d                           | BNReLU2d              |
 *
 * The fused module replaces the first module of each sequence and `Identity` modules (in the
 * first module's training mode) the others. Folding uses `fuseConvBnWeights` /
 * `fuseLinearBnWeights`, bit-exact with PyTorch's `fuse_conv_bn_weights` /
 * `fuse_linear_bn_weights`; as in PyTorch the folded layer always has a bias. The first
 * module's forward pre-hooks and the last module's forward hooks move to the fused module.
 * @module
 */
import { fuseConvBnWeights, fuseLinearBnWeights } from "../reference/fusion.ts";
import { show, typeName } from "./_util.ts";
import type { Module } from "./module.ts";
import { ReLU } from "./modules/activation.ts";
import { BatchNorm1d, BatchNorm2d, type BatchNormBase } from "./modules/batchnorm.ts";
import { Identity } from "./modules/container.ts";
import { Conv2d } from "./modules/conv.ts";
import {
  BNReLU2d,
  ConvBn2d,
  ConvBnReLU2d,
  ConvReLU2d,
  LinearBn1d,
  LinearReLU,
} from "./modules/fused.ts";
import { Linear } from "./modules/linear.ts";

/** Options of `fuseModules`. */
export interface FuseOptions {
  /** QAT fusion (`fuse_modules_qat`): keep BatchNorm as a module to train (default false). */
  qat?: boolean;
  /** Fuse in place (default false: a deep copy is fused and returned, as PyTorch). */
  inplace?: boolean;
}

type ModuleClass = abstract new (...args: never[]) => Module;
/** Builds the fused module of a sequence (`qat` selects the QAT table). */
export type Fuser = (qat: boolean, ...modules: Module[]) => Module;

function assertSameMode(message: string, modules: Module[]): void {
  if (!modules.every((m) => m.training === modules[0].training)) throw new Error(message);
}

function checkQatBn(what: string, bn: BatchNormBase, channels: number): void {
  if (bn.numFeatures !== channels) {
    throw new RangeError(`Output channel of ${what} must match num_features of ${bn.getName()}`);
  }
  if (!bn.affine) throw new Error(`Only support fusing ${bn.getName()} with affine set to True`);
  if (!bn.trackRunningStats) {
    throw new Error(`Only support fusing ${bn.getName()} with tracking_running_stats set to True`);
  }
}

/**
 * A copy of `m` without hooks. (PyTorch's deep copy keeps them, so its fused module runs the
 * first module's pre-hooks twice; here they run once, on the fused module.)
 */
function copyWithoutHooks<M extends Module>(m: M): M {
  const copy = m.clone();
  for (const hook of [...copy.forwardHooks(), ...copy.forwardPreHooks()]) copy.removeHook(hook);
  return copy;
}

/** `fuse_conv_bn_eval`: a copy of the conv with the BN folded into its weight and bias. */
function foldConvBn(conv: Conv2d, bn: BatchNorm2d): Conv2d {
  if (conv.training || bn.training) throw new Error("Fusion only for eval!");
  const fused = copyWithoutHooks(conv);
  const { weight, bias } = fuseConvBnWeights(conv.weight, conv.bias, {
    bnRm: bn.runningMean!,
    bnRv: bn.runningVar!,
    bnEps: bn.eps,
    bnW: bn.weight,
    bnB: bn.bias,
  });
  fused.registerParameter("weight", weight);
  fused.registerParameter("bias", bias);
  return fused;
}

/** `fuse_linear_bn_eval`. */
function foldLinearBn(linear: Linear, bn: BatchNorm1d): Linear {
  if (linear.training || bn.training) throw new Error("Fusion only for eval!");
  if (bn.weight === null || bn.bias === null) {
    throw new Error("fuse_linear_bn_weights needs an affine BatchNorm1d (weight and bias)");
  }
  const fused = copyWithoutHooks(linear);
  const { weight, bias } = fuseLinearBnWeights(linear.weight, linear.bias, {
    bnRm: bn.runningMean!,
    bnRv: bn.runningVar!,
    bnEps: bn.eps,
    bnW: bn.weight,
    bnB: bn.bias,
  });
  fused.registerParameter("weight", weight);
  fused.registerParameter("bias", bias);
  return fused;
}

const SAME_MODE = "Conv and BN both must be in the same mode (train or eval).";

/** PyTorch's default fuser methods, by module types. */
const FUSER_METHODS: readonly [readonly ModuleClass[], Fuser][] = [
  [[Conv2d, BatchNorm2d], (qat, conv, bn) => {
    assertSameMode(SAME_MODE, [conv, bn]);
    if (!qat) return foldConvBn(conv as Conv2d, bn as BatchNorm2d);
    checkQatBn("Conv2d", bn as BatchNorm2d, (conv as Conv2d).outChannels);
    return new ConvBn2d(conv as Conv2d, bn as BatchNorm2d);
  }],
  [[Conv2d, BatchNorm2d, ReLU], (qat, conv, bn, relu) => {
    assertSameMode(SAME_MODE, [conv, bn, relu]);
    if (!qat) return new ConvReLU2d(foldConvBn(conv as Conv2d, bn as BatchNorm2d), relu as ReLU);
    checkQatBn("Conv", bn as BatchNorm2d, (conv as Conv2d).outChannels);
    return new ConvBnReLU2d(conv as Conv2d, bn as BatchNorm2d, relu as ReLU);
  }],
  [[Conv2d, ReLU], (_qat, conv, relu) => new ConvReLU2d(conv as Conv2d, relu as ReLU)],
  [[Linear, BatchNorm1d], (qat, linear, bn) => {
    assertSameMode("Linear and BN both must be in the same mode (train or eval).", [linear, bn]);
    if (!qat) return foldLinearBn(linear as Linear, bn as BatchNorm1d);
    checkQatBn("Linear", bn as BatchNorm1d, (linear as Linear).outFeatures);
    return new LinearBn1d(linear as Linear, bn as BatchNorm1d);
  }],
  [[Linear, ReLU], (_qat, linear, relu) => new LinearReLU(linear as Linear, relu as ReLU)],
  [[BatchNorm2d, ReLU], (_qat, bn, relu) => new BNReLU2d(bn as BatchNorm2d, relu as ReLU)],
];

/**
 * The fuser method for a sequence of modules (`get_fuser_method`), matched on exact types as
 * PyTorch does (a subclass of Conv2d is not a Conv2d here).
 * @throws {Error} naming the types when no fuser method exists.
 */
export function getFuserMethod(modules: readonly Module[]): Fuser {
  const found = FUSER_METHODS.find(([types]) =>
    types.length === modules.length && types.every((t, i) => modules[i].constructor === t)
  );
  if (found === undefined) {
    throw new Error(
      `did not find fuser method for: (${modules.map((m) => typeName(m)).join(", ")}); ` +
        `supported: ${
          FUSER_METHODS.map(([t]) => `(${t.map((c) => c.name).join(", ")})`).join(", ")
        }`,
    );
  }
  return found[1];
}

/**
 * `fuse_known_modules`: the modules that replace `modules` — the fused module first, then
 * Identity modules in its training mode — with the hooks moved over.
 */
export function fuseKnownModules(modules: readonly Module[], qat: boolean): Module[] {
  const fused = getFuserMethod(modules)(qat, ...modules);
  for (const hook of modules[0].forwardPreHooks()) {
    fused.registerForwardPreHook(hook);
    modules[0].removeHook(hook);
  }
  const last = modules[modules.length - 1];
  for (const hook of last.forwardHooks()) {
    fused.registerForwardHook(hook);
    last.removeHook(hook);
  }
  return [
    fused,
    ...modules.slice(1).map(() => {
      const identity = new Identity();
      identity.training = modules[0].training;
      return identity;
    }),
  ];
}

/**
 * `torch.ao.quantization.fuse_modules(model, modules_to_fuse)` (or `fuse_modules_qat` with
 * `qat: true`): fuses each listed sequence of submodules (dotted paths). One list of names, or a
 * list of lists.
 * @returns the fused model (a copy unless `inplace`)
 * @throws {Error} for an unsupported sequence (`did not find fuser method for: …`), modules in
 * different modes, eval fusion of a training BatchNorm, or a path that does not exist.
 * @example
 * ```ts
 * const fused = fuseModules(model.eval(), [["conv1", "bn1", "relu1"], ["fc1", "relu2"]]);
 * ```
 */
export function fuseModules<M extends Module>(
  model: M,
  modulesToFuse: readonly string[] | readonly (readonly string[])[],
  options: FuseOptions = {},
): M {
  if (!Array.isArray(modulesToFuse) || modulesToFuse.length === 0) {
    throw new TypeError(
      `modulesToFuse: expected a list of module names, got ${show(modulesToFuse)}`,
    );
  }
  const target = options.inplace ? model : model.clone();
  const groups = modulesToFuse.every((n) => typeof n === "string")
    ? [modulesToFuse as readonly string[]]
    : (modulesToFuse as readonly (readonly string[])[]);
  for (const names of groups) {
    if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
      throw new TypeError(`modulesToFuse: expected lists of module names, got ${show(names)}`);
    }
    const modules = names.map((n) => target.getSubmodule(n));
    const replacements = fuseKnownModules(modules, options.qat ?? false);
    names.forEach((n, i) => target.setSubmodule(n, replacements[i]));
  }
  return target;
}
