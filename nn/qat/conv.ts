/**
 * QAT conv modules (`torch.ao.nn.qat.Conv2d`, `torch.ao.nn.intrinsic.qat.ConvReLU2d`, `ConvBn2d`
 * and `ConvBnReLU2d`): the float conv with its weight fake-quantized on every forward. ConvBn
 * follows torch/ao/nn/intrinsic/qat/modules/conv_fused.py's `_forward_approximate`: the weight
 * is scaled by `γ/√(running_var + eps)` before fake quantization, the conv output divided back
 * by that factor, the conv bias added, then the BatchNorm2d — batch statistics (and running
 * statistics updates) until `freezeBnStats()`, running statistics after; `train()` leaves a
 * frozen BN in eval mode.
 * @module
 */
import type { QConfig } from "../../reference/qconfig.ts";
import { Tensor } from "../../reference/tensor.ts";
import { typeName } from "../_util.ts";
import { add, div, mul, relu, reshape } from "../functional/elementwise.ts";
import type { Module } from "../module.ts";
import { BatchNorm2d } from "../modules/batchnorm.ts";
import { Conv2d, type Conv2dModuleOptions } from "../modules/conv.ts";
import { ConvBn2d, ConvBnReLU2d, ConvReLU2d } from "../modules/fused.ts";
import { type ActivationPostProcess, wrapObserver } from "../observer_module.ts";
import {
  attachBn,
  bnScaleFactor,
  requireQConfig,
  setBnFrozen,
  trainUnlessFrozen,
} from "./bn_folding.ts";
import { shareBatchNorm } from "./linear.ts";
import type { IntPair } from "../_util.ts";

/** Options of the QAT conv modules. */
export interface QatConv2dOptions extends Omit<Conv2dModuleOptions, "random"> {
  /** The qconfig (its `weight` factory builds `weight_fake_quant`). */
  qconfig: QConfig;
}

function convOptions(conv: Conv2d, qconfig: QConfig): QatConv2dOptions {
  return {
    stride: conv.stride,
    padding: conv.padding,
    dilation: conv.dilation,
    groups: conv.groups,
    bias: conv.bias !== null,
    qconfig,
  };
}

/** `torch.ao.nn.qat.Conv2d`: the conv of `weight_fake_quant(weight)`. */
export class QatConv2d extends Conv2d {
  /** Fake-quantizes the weight. */
  declare weight_fake_quant: ActivationPostProcess;

  /** A QAT conv. @throws {TypeError} without a qconfig. */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntPair,
    options: QatConv2dOptions,
  ) {
    super(inChannels, outChannels, kernelSize, options);
    this.qconfig = requireQConfig(new.target.name, options.qconfig);
    this.registerModule("weight_fake_quant", wrapObserver(this.qconfig.weight.create()));
  }

  /** The conv with a fake-quantized weight. */
  override forward(x: Tensor): Tensor {
    return this.convForward(x, this.weight_fake_quant.forward(this.weight), this.bias);
  }

  /**
   * `from_float` of a Conv2d (or the Conv2d of a ConvReLU2d), sharing its weight and bias.
   * @throws {TypeError} for another module type or a missing qconfig.
   */
  static fromFloat(mod: Module): QatConv2d {
    const inner = mod instanceof ConvReLU2d ? mod.at(0) : mod;
    if (inner.constructor !== Conv2d) {
      throw new TypeError(`mod: QatConv2d.fromFloat only works for Conv2d, got ${typeName(mod)}`);
    }
    const conv = inner as Conv2d;
    const qat = new this(
      conv.inChannels,
      conv.outChannels,
      conv.kernelSize,
      convOptions(conv, requireQConfig(typeName(mod), mod.qconfig)),
    );
    qat.registerParameter("weight", conv.weight);
    qat.registerParameter("bias", conv.bias);
    return qat;
  }
}

/** `torch.ao.nn.intrinsic.qat.ConvReLU2d`: `relu(conv(x, weight_fake_quant(weight)))`. */
export class QatConvReLU2d extends QatConv2d {
  /** The QAT conv, then ReLU. */
  override forward(x: Tensor): Tensor {
    return relu(super.forward(x));
  }

  /** `from_float` of a ConvReLU2d. @throws {TypeError} for another module type. */
  static override fromFloat(mod: Module): QatConvReLU2d {
    if (mod.constructor !== ConvReLU2d) {
      throw new TypeError(
        `mod: QatConvReLU2d.fromFloat only works for ConvReLU2d, got ${typeName(mod)}`,
      );
    }
    return super.fromFloat(mod) as QatConvReLU2d;
  }
}

/** Options of `QatConvBn2d`. */
export interface QatConvBn2dOptions extends QatConv2dOptions {
  /** The BN eps (default 1e-5). */
  eps?: number;
  /** The BN momentum (default 0.1; null: a cumulative average). */
  momentum?: number | null;
  /** Start with frozen BN statistics (default false). */
  freezeBn?: boolean;
}

/** `torch.ao.nn.intrinsic.qat.ConvBn2d` (see the module documentation). */
export class QatConvBn2d extends QatConv2d {
  /** The BatchNorm2d. */
  declare bn: BatchNorm2d;
  /** Whether the BN statistics are frozen (`freeze_bn`). */
  freezeBn: boolean;

  /** A QAT conv-bn. @throws {TypeError} without a qconfig. */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntPair,
    options: QatConvBn2dOptions,
  ) {
    super(inChannels, outChannels, kernelSize, options);
    const bn = new BatchNorm2d(outChannels, { eps: options.eps, momentum: options.momentum });
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

  /** `_forward_approximate`, op by op. */
  override forward(x: Tensor): Tensor {
    const { bn } = this;
    const scaleFactor = bnScaleFactor(bn);
    const scaled = this.weight_fake_quant.forward(
      mul(this.weight, reshape(scaleFactor, [-1, 1, 1, 1])),
    );
    const conv = this.convForward(x, scaled, new Tensor(new Float32Array(this.outChannels)));
    let orig = div(conv, reshape(scaleFactor, [1, -1, 1, 1]));
    if (this.bias !== null) orig = add(orig, reshape(this.bias, [1, -1, 1, 1]));
    return bn.forward(orig);
  }

  /** `from_float` of a ConvBn2d: shares the conv's and the BN's tensors. */
  static override fromFloat(mod: Module): QatConvBn2d {
    const qconfig = requireQConfig(typeName(mod), mod.qconfig);
    const expected = this === QatConvBnReLU2d ? ConvBnReLU2d : ConvBn2d;
    if (mod.constructor !== expected) {
      throw new TypeError(
        `mod: ${this.name}.fromFloat only works for ${expected.name}, got ${typeName(mod)}`,
      );
    }
    const seq = mod as ConvBn2d | ConvBnReLU2d;
    const conv = seq.at(0) as Conv2d;
    const bn = seq.at(1) as BatchNorm2d;
    const qat = new this(conv.inChannels, conv.outChannels, conv.kernelSize, {
      ...convOptions(conv, qconfig),
      eps: bn.eps,
      momentum: bn.momentum,
      freezeBn: false,
    });
    qat.registerParameter("weight", conv.weight);
    qat.registerParameter("bias", conv.bias);
    shareBatchNorm(qat.bn, bn);
    return qat;
  }
}

/** `torch.ao.nn.intrinsic.qat.ConvBnReLU2d`: ConvBn2d, then ReLU. */
export class QatConvBnReLU2d extends QatConvBn2d {
  /** The QAT conv-bn, then ReLU. */
  override forward(x: Tensor): Tensor {
    return relu(super.forward(x));
  }
}
