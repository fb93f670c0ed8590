/**
 * QAT linear modules (`torch.ao.nn.qat.Linear`, `torch.ao.nn.intrinsic.qat.LinearReLU` and
 * `LinearBn1d`): the float layer with its weight fake-quantized on every forward
 * (`weight_fake_quant`, built from the qconfig's weight factory). `prepareQat` builds them from
 * the float modules, sharing their parameter tensors.
 * @module
 */
import type { QConfig } from "../../reference/qconfig.ts";
import { Tensor } from "../../reference/tensor.ts";
import { typeName } from "../_util.ts";
import { add, div, mul, relu, reshape } from "../functional/elementwise.ts";
import { linear } from "../functional/linear.ts";
import type { Module } from "../module.ts";
import { BatchNorm1d } from "../modules/batchnorm.ts";
import { LinearBn1d, LinearReLU } from "../modules/fused.ts";
import { Linear } from "../modules/linear.ts";
import { type ActivationPostProcess, wrapObserver } from "../observer_module.ts";
import {
  attachBn,
  bnScaleFactor,
  requireQConfig,
  setBnFrozen,
  trainUnlessFrozen,
} from "./bn_folding.ts";

/** Options of the QAT linear modules. */
export interface QatLinearOptions {
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** The qconfig (its `weight` factory builds `weight_fake_quant`). */
  qconfig: QConfig;
}

/** `torch.ao.nn.qat.Linear`: `F.linear(x, weight_fake_quant(weight), bias)`. */
export class QatLinear extends Linear {
  /** Fake-quantizes the weight. */
  declare weight_fake_quant: ActivationPostProcess;

  /** A QAT linear layer. @throws {TypeError} without a qconfig. */
  constructor(inFeatures: number, outFeatures: number, options: QatLinearOptions) {
    super(inFeatures, outFeatures, { bias: options.bias });
    this.qconfig = requireQConfig(new.target.name, options.qconfig);
    this.registerModule("weight_fake_quant", wrapObserver(this.qconfig.weight.create()));
  }

  /** The float layer with a fake-quantized weight. */
  override forward(x: Tensor): Tensor {
    return linear(x, this.weight_fake_quant.forward(this.weight), this.bias);
  }

  /**
   * `from_float`: a QAT layer sharing `mod`'s weight and bias (`mod` a Linear, or a LinearReLU
   * whose Linear is used) with `mod.qconfig`.
   * @throws {TypeError} for another module type or a missing qconfig.
   */
  static fromFloat(mod: Module): QatLinear {
    const inner = mod instanceof LinearReLU ? mod.at(0) : mod;
    if (inner.constructor !== Linear) {
      throw new TypeError(`mod: QatLinear.fromFloat only works for Linear, got ${typeName(mod)}`);
    }
    const float = inner as Linear;
    const qat = new this(float.inFeatures, float.outFeatures, {
      bias: float.bias !== null,
      qconfig: requireQConfig(typeName(mod), mod.qconfig),
    });
    qat.registerParameter("weight", float.weight);
    qat.registerParameter("bias", float.bias);
    return qat;
  }
}

/** `torch.ao.nn.intrinsic.qat.LinearReLU`: `relu(F.linear(x, weight_fake_quant(weight), b))`. */
export class QatLinearReLU extends QatLinear {
  /** The QAT linear, then ReLU. */
  override forward(x: Tensor): Tensor {
    return relu(super.forward(x));
  }

  /** `from_float` of a LinearReLU. @throws {TypeError} for another module type. */
  static override fromFloat(mod: Module): QatLinearReLU {
    if (mod.constructor !== LinearReLU) {
      throw new TypeError(
        `mod: QatLinearReLU.fromFloat only works for LinearReLU, got ${typeName(mod)}`,
      );
    }
    return super.fromFloat(mod) as QatLinearReLU;
  }
}

/** Options of `QatLinearBn1d`. */
export interface QatLinearBn1dOptions extends QatLinearOptions {
  /** The BN eps (default 1e-5). */
  eps?: number;
  /** The BN momentum (default 0.1; null: a cumulative average). */
  momentum?: number | null;
  /** Start with frozen BN statistics (default false). */
  freezeBn?: boolean;
}

/**
 * `torch.ao.nn.intrinsic.qat.LinearBn1d`: the weight scaled by `γ/√(running_var + eps)` is
 * fake-quantized, the linear output divided back by that factor, the bias added, then the
 * BatchNorm1d (`bn`, batch statistics while not frozen) — PyTorch's sequence of float32 ops.
 */
export class QatLinearBn1d extends QatLinear {
  /** The BatchNorm1d. */
  declare bn: BatchNorm1d;
  /** Whether the BN statistics are frozen (`freeze_bn`). */
  freezeBn: boolean;

  /** A QAT linear-bn. @throws {TypeError} without a qconfig. */
  constructor(inFeatures: number, outFeatures: number, options: QatLinearBn1dOptions) {
    super(inFeatures, outFeatures, options);
    const bn = new BatchNorm1d(outFeatures, { eps: options.eps, momentum: options.momentum });
    this.freezeBn = attachBn(this, bn, options.freezeBn);
  }

  /** `freeze_bn_stats()`: the BN uses (and keeps) its running statistics. */
  freezeBnStats(): this {
    setBnFrozen(this, true);
    return this;
  }

  /** `update_bn_stats()`: the BN trains again. */
  updateBnStats(): this {
    setBnFrozen(this, false);
    return this;
  }

  /** Sets this module's mode; its children follow only while the BN is not frozen. */
  override train(mode = true): this {
    trainUnlessFrozen(this, mode);
    return this;
  }

  /** PyTorch's `LinearBn1d.forward`. */
  override forward(x: Tensor): Tensor {
    const { bn } = this;
    const scaleFactor = bnScaleFactor(bn);
    const scaled = this.weight_fake_quant.forward(mul(this.weight, reshape(scaleFactor, [-1, 1])));
    const out = linear(x, scaled, new Tensor(new Float32Array(this.outFeatures)));
    let orig = div(out, reshape(scaleFactor, [1, -1]));
    if (this.bias !== null) orig = add(orig, reshape(this.bias, [1, -1]));
    return bn.forward(orig);
  }

  /** `from_float` of a LinearBn1d: shares the Linear's and the BN's tensors. */
  static override fromFloat(mod: Module): QatLinearBn1d {
    const qconfig = requireQConfig("LinearBn1d", mod.qconfig);
    if (mod.constructor !== LinearBn1d) {
      throw new TypeError(
        `mod: QatLinearBn1d.fromFloat only works for LinearBn1d, got ${typeName(mod)}`,
      );
    }
    const [float, bn] = [
      (mod as LinearBn1d).at(0) as Linear,
      (mod as LinearBn1d).at(1) as BatchNorm1d,
    ];
    const qat = new QatLinearBn1d(float.inFeatures, float.outFeatures, {
      bias: float.bias !== null,
      qconfig,
      eps: bn.eps,
      momentum: bn.momentum,
    });
    qat.registerParameter("weight", float.weight);
    qat.registerParameter("bias", float.bias);
    shareBatchNorm(qat.bn, bn);
    return qat;
  }
}

/** Makes `target` use `source`'s parameters and buffers (PyTorch's attribute assignments). */
export function shareBatchNorm(target: Module, source: Module): void {
  for (const name of ["weight", "bias"]) {
    target.registerParameter(name, source.getParameter(name));
  }
  for (const name of ["running_mean", "running_var", "num_batches_tracked"]) {
    target.registerBuffer(name, source.getBuffer(name));
  }
}
