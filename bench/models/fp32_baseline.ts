/**
 * The fp32 baseline of the whole-model benchmarks: a fused float nn model with every module
 * swapped for one that runs on our fp32 wasm kernels (`kernels/fp32_*`: the register-tiled fp32
 * GEMM and conv with fused ReLU, SIMD adds and pools), so that int8 is timed against the same
 * network on equally tuned float kernels — not against nn's scalar float forward. Like
 * `convert`, the swap keeps the model's own `forward` code and snapshots (packs) the weights;
 * 4-D activations are NHWC inside (`Fp32Activation`), the QuantStub becomes the NCHW → NHWC
 * entry and the DeQuantStub the exit, so `forward` takes and returns float NCHW Tensors exactly
 * as the float and the converted model do.
 *
 * The baseline of a prepared model (after `prepare`) feeds that model's own observers with its
 * activations: calibration at kernel speed, after which `convert(prepared)` quantizes as usual.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { Fp32Conv, type PackedFp32Conv } from "../../kernels/fp32_conv.ts";
import { Fp32Linear, type PackedFp32Linear } from "../../kernels/fp32_linear.ts";
import { Fp32Ops } from "../../kernels/fp32_ops.ts";
import type { NhwcTensor } from "../../kernels/kernel_set.ts";
import type { KernelRuntime } from "../../kernels/runtime.ts";
import {
  AdaptiveAvgPool2d,
  Conv2d,
  ConvReLU2d,
  DeQuantStub,
  Dropout,
  Flatten,
  FloatFunctional,
  Identity,
  isActivationPostProcess,
  Linear,
  LinearReLU,
  MaxPool2d,
  Module,
  observerForwardPreHook,
  QuantStub,
  ReLU,
} from "../../nn/mod.ts";
import { pair } from "../../nn/_util.ts";
import { flattenShape } from "../../nn/functional/elementwise.ts";
import { imageToNhwc, toNchw } from "../../reference/layout.ts";

/** A float activation of the baseline: NHWC data when 4-D (row-major otherwise), NCHW shape. */
export class Fp32Activation {
  /** Wraps `data` (not copied) of the logical (PyTorch) `shape`. */
  constructor(readonly data: Float32Array, readonly shape: readonly number[]) {}

  /** The NHWC view of a 4-D activation. */
  nhwc(): NhwcTensor<Float32Array> {
    const [n, c, h, w] = this.shape;
    return { data: this.data, shape: [n, h, w, c] };
  }

  /** The activation of NHWC kernel output. */
  static fromNhwc(y: NhwcTensor<Float32Array>): Fp32Activation {
    const [n, h, w, c] = y.shape;
    return new Fp32Activation(y.data, [n, c, h, w]);
  }
}

/** The fp32 kernels the baseline modules share. */
class Fp32Kernels {
  readonly linear: Fp32Linear;
  readonly conv: Fp32Conv;
  readonly ops: Fp32Ops;

  constructor(runtime: KernelRuntime) {
    this.linear = new Fp32Linear(runtime);
    this.conv = new Fp32Conv(runtime, this.linear);
    this.ops = new Fp32Ops(runtime);
  }
}

/** The float Tensor of an activation, in logical (NCHW) order. */
function logical(x: Fp32Activation): Tensor {
  return new Tensor(x.shape.length === 4 ? toNchw(x.data, x.shape) : x.data, x.shape);
}

/**
 * A baseline module. `observe` is the observer of the module it replaces (a prepared model's
 * `activation_post_process`, shared, not copied), or null.
 */
abstract class Fp32Module extends Module {
  observe: ((y: Tensor) => unknown) | null = null;

  /** Feeds `y` to the observer, if any; returns `y`. */
  protected observed(y: Fp32Activation): Fp32Activation {
    if (this.observe !== null) this.observe(logical(y));
    return y;
  }
}

/**
 * QuantStub's place: float NCHW in, the baseline's NHWC activation out, permuted into reused
 * scratch (the next forward overwrites it; the first conv copies it into kernel memory), as the
 * converted model's Quantize permutes through scratch.
 */
class Fp32Input extends Fp32Module {
  private scratch = new Float32Array(0);

  forward(x: Tensor): Fp32Activation {
    if (x.shape.length !== 4) return this.observed(new Fp32Activation(x.data, x.shape));
    if (this.scratch.length !== x.size) this.scratch = new Float32Array(x.size);
    return this.observed(new Fp32Activation(imageToNhwc(x.data, x.shape, this.scratch), x.shape));
  }
}

/** DeQuantStub's place: back to a float Tensor in logical order. */
class Fp32Output extends Fp32Module {
  forward(x: Fp32Activation): Tensor {
    return logical(x);
  }
}

/** Conv2d or ConvReLU2d on the fp32 conv (NHWC, ReLU fused). */
class Fp32Conv2d extends Fp32Module {
  /** The packed weight. */
  readonly packed: PackedFp32Conv;

  constructor(conv: Conv2d, readonly relu: boolean, private readonly kernels: Fp32Kernels) {
    super();
    if (typeof conv.padding === "string") {
      throw new RangeError(`conv: padding "${conv.padding}" has no fp32 baseline; give numbers`);
    }
    const [o, cg, kh, kw] = conv.weight.shape;
    this.packed = kernels.conv.pack(conv.weight.data, [o, cg, kh, kw], conv.bias?.data ?? null, {
      stride: conv.stride,
      padding: conv.padding,
      dilation: conv.dilation,
      groups: conv.groups,
    });
  }

  /** Returns the packed weight. */
  free(): void {
    this.packed.free();
  }

  forward(x: Fp32Activation): Fp32Activation {
    const y = this.kernels.conv.conv2dNhwc(x.nhwc(), this.packed, this.relu);
    return this.observed(Fp32Activation.fromNhwc(y));
  }
}

/** Linear or LinearReLU on the fp32 GEMM, over the last dimension. */
class Fp32LinearModule extends Fp32Module {
  /** The packed weight. */
  readonly packed: PackedFp32Linear;

  constructor(linear: Linear, readonly relu: boolean, private readonly kernels: Fp32Kernels) {
    super();
    this.packed = kernels.linear.pack(
      linear.weight.data,
      linear.outFeatures,
      linear.inFeatures,
      linear.bias?.data ?? null,
    );
  }

  /** Returns the packed weight. */
  free(): void {
    this.packed.free();
  }

  forward(x: Fp32Activation): Fp32Activation {
    if (x.shape.length === 4) throw new RangeError(`x: a 4-D input to Linear has no baseline`);
    const { inFeatures, outFeatures } = this.packed;
    const y = this.kernels.linear.linear(
      x.data,
      x.data.length / inFeatures,
      this.packed,
      this.relu,
    );
    return this.observed(new Fp32Activation(y, [...x.shape.slice(0, -1), outFeatures]));
  }
}

/** ReLU on the fp32 clamp kernel. */
class Fp32ReLU extends Fp32Module {
  constructor(private readonly kernels: Fp32Kernels) {
    super();
  }

  forward(x: Fp32Activation): Fp32Activation {
    return this.observed(new Fp32Activation(this.kernels.ops.relu(x.data), x.shape));
  }
}

/** MaxPool2d on the fp32 pooling kernel (NHWC). */
class Fp32MaxPool2d extends Module {
  constructor(private readonly pool: MaxPool2d, private readonly kernels: Fp32Kernels) {
    super();
  }

  forward(x: Fp32Activation): Fp32Activation {
    const o = this.pool.options;
    const kernelSize = pair("kernelSize", o.kernelSize, 1);
    return Fp32Activation.fromNhwc(this.kernels.ops.maxPool2dNhwc(x.nhwc(), {
      kernelSize,
      stride: o.stride == null ? kernelSize : pair("stride", o.stride, 1),
      padding: pair("padding", o.padding ?? 0, 0),
      dilation: pair("dilation", o.dilation ?? 1, 1),
      ceilMode: o.ceilMode ?? false,
    }));
  }
}

/** AdaptiveAvgPool2d on the fp32 pooling kernel (NHWC). */
class Fp32AdaptiveAvgPool2d extends Module {
  constructor(private readonly pool: AdaptiveAvgPool2d, private readonly kernels: Fp32Kernels) {
    super();
  }

  forward(x: Fp32Activation): Fp32Activation {
    return Fp32Activation.fromNhwc(
      this.kernels.ops.adaptiveAvgPool2dNhwc(x.nhwc(), this.pool.outputSize),
    );
  }
}

/** Flatten: a reshape of the logical order (NHWC data is permuted unless H = W = 1). */
class Fp32Flatten extends Module {
  constructor(private readonly flatten: Flatten) {
    super();
  }

  forward(x: Fp32Activation): Fp32Activation {
    const shape = flattenShape(x.shape, this.flatten.startDim, this.flatten.endDim);
    if (shape.length === 4) return new Fp32Activation(x.data, shape);
    const logical = x.shape.length === 4 ? toNchw(x.data, x.shape) : x.data;
    return new Fp32Activation(logical, shape);
  }
}

/** FloatFunctional's add and add_relu on the fp32 add kernel (operands in one layout). */
class Fp32Functional extends Fp32Module {
  constructor(private readonly kernels: Fp32Kernels) {
    super();
  }

  forward(): never {
    throw new Error("Functional is not intended to use the 'forward'. Use add or addRelu");
  }

  add(a: Fp32Activation, b: Fp32Activation): Fp32Activation {
    return this.observed(new Fp32Activation(this.kernels.ops.add(a.data, b.data), a.shape));
  }

  addRelu(a: Fp32Activation, b: Fp32Activation): Fp32Activation {
    return this.observed(new Fp32Activation(this.kernels.ops.add(a.data, b.data, true), a.shape));
  }
}

type ModuleClass = abstract new (...args: never[]) => Module;

/** Each module type's baseline (fused modules are swapped whole). */
const BASELINES = new Map<ModuleClass, (m: Module, kernels: Fp32Kernels) => Module>([
  [QuantStub, () => new Fp32Input()],
  [DeQuantStub, () => new Fp32Output()],
  [Conv2d, (m, k) => new Fp32Conv2d(m as Conv2d, false, k)],
  [ConvReLU2d, (m, k) => new Fp32Conv2d((m as ConvReLU2d).at(0) as Conv2d, true, k)],
  [Linear, (m, k) => new Fp32LinearModule(m as Linear, false, k)],
  [LinearReLU, (m, k) => new Fp32LinearModule((m as LinearReLU).at(0) as Linear, true, k)],
  [ReLU, (_m, k) => new Fp32ReLU(k)],
  [MaxPool2d, (m, k) => new Fp32MaxPool2d(m as MaxPool2d, k)],
  [AdaptiveAvgPool2d, (m, k) => new Fp32AdaptiveAvgPool2d(m as AdaptiveAvgPool2d, k)],
  [Flatten, (m) => new Fp32Flatten(m as Flatten)],
  [FloatFunctional, (_m, k) => new Fp32Functional(k)],
  [Identity, (m) => m],
  [Dropout, (m) => {
    if (m.training) throw new Error(`Dropout: the fp32 baseline runs models in eval mode`);
    return new Identity();
  }],
]);

/** The baseline module of `m`, or null for a container whose children are swapped instead. */
function baselineModule(m: Module, kernels: Fp32Kernels): Module | null {
  const make = BASELINES.get(m.constructor as ModuleClass);
  if (make !== undefined) return make(m, kernels);
  if (m.namedChildren().length === 0) {
    throw new TypeError(
      `${m.getName()}: no fp32 baseline for this module (fuse BatchNorm into its conv first)`,
    );
  }
  return null;
}

/**
 * The observer of a prepared module (its `activation_post_process`, run on its output), or null.
 * @throws {Error} for an observer on the input (a memoryless qconfig's pre-hook).
 */
function outputObserver(source: Module): ((y: Tensor) => unknown) | null {
  if (source.forwardPreHooks().includes(observerForwardPreHook)) {
    throw new Error(`${source.getName()}: observing inputs (memoryless qconfigs) has no baseline`);
  }
  const child = source.namedChildren().find(([name]) => name === "activation_post_process");
  if (child === undefined || !isActivationPostProcess(child[1])) return null;
  const observer = child[1] as Module & { forward(x: Tensor): Tensor };
  return (y) => observer.forward(y);
}

/** Swaps the children of `module` (a copy of `source`, whose observers the swaps share). */
function swapChildren(module: Module, source: Module, kernels: Fp32Kernels): void {
  for (const [name, child] of module.namedChildren()) {
    const original = source.getSubmodule(name);
    const swapped = baselineModule(child, kernels);
    if (swapped === null) swapChildren(child, original, kernels);
    else if (swapped !== child) {
      if (swapped instanceof Fp32Module) swapped.observe = outputObserver(original);
      module.registerModule(name, swapped);
    }
  }
}

/**
 * The fp32 baseline of a fused float model (eval mode), or of one prepared from it: a copy
 * whose modules run on the fp32 kernels of `runtime`; its `forward` takes and returns float
 * NCHW Tensors. The observers of a prepared model stay the model's own and see the baseline's
 * outputs, so running the baseline calibrates `model`.
 * @throws {TypeError} for a module without a baseline (an unfused BatchNorm2d, …).
 */
export function fp32Baseline<M extends Module>(model: M, runtime: KernelRuntime): M {
  if (BASELINES.has(model.constructor as ModuleClass) || model.namedChildren().length === 0) {
    throw new TypeError(`model: expected a model of modules, got ${model.getName()}`);
  }
  const kernels = new Fp32Kernels(runtime);
  const copy = model.clone({ shareHistograms: true });
  swapChildren(copy, model, kernels);
  return copy;
}

/** Returns the packed weights of a baseline model (running it afterwards is an error). */
export function freeFp32Baseline(baseline: Module): void {
  for (const m of baseline.modules()) {
    if (m instanceof Fp32Conv2d || m instanceof Fp32LinearModule) m.free();
  }
}

/**
 * The multiply-accumulates of one forward of a baseline model on `x` (its convs and linear
 * layers), counted from the shapes they see.
 */
export function multiplyAccumulates(baseline: Module, x: Tensor): number {
  let macs = 0;
  const removers = baseline.modules().flatMap((m) => {
    if (m instanceof Fp32Conv2d) {
      const [, cg, kh, kw] = m.packed.shape;
      return [m.registerForwardHook((_m, _inputs, y) => {
        macs += (y as Fp32Activation).data.length * cg * kh * kw;
      })];
    }
    if (m instanceof Fp32LinearModule) {
      return [m.registerForwardHook((_m, _inputs, y) => {
        macs += (y as Fp32Activation).data.length * m.packed.inFeatures;
      })];
    }
    return [];
  });
  baseline.forward(x);
  for (const remove of removers) remove();
  return macs;
}
