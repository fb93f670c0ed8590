/**
 * `nn.Conv2d` (zero padding), state-dict keys `weight` `[out, in/groups, kH, kW]` and `bias`.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { checkInt, type IntPair, pair } from "../_util.ts";
import { conv2d, type ConvPadding } from "../functional/conv.ts";
import { Module } from "../module.ts";
import { defaultRandom, type RandomSource, uniformFill } from "../random.ts";

/** Options of `Conv2d` (PyTorch's keyword arguments). */
export interface Conv2dModuleOptions {
  /** Stride (default 1). */
  stride?: IntPair;
  /** Zero padding, `"valid"` or `"same"` (default 0). */
  padding?: ConvPadding;
  /** Dilation (default 1). */
  dilation?: IntPair;
  /** Groups (default 1). */
  groups?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** The random source of the initial weights. */
  random?: RandomSource;
}

/**
 * `torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
 * groups=1, bias=True)` with `padding_mode="zeros"`. Initial weights uniform in
 * `±1/√(in/groups·kH·kW)`, PyTorch's distribution.
 */
export class Conv2d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** `[kH, kW]`. */
  readonly kernelSize: [number, number];
  /** `[sH, sW]`. */
  readonly stride: [number, number];
  /** `[pH, pW]`, `"valid"` or `"same"`. */
  readonly padding: [number, number] | "valid" | "same";
  /** `[dH, dW]`. */
  readonly dilation: [number, number];
  /** Groups. */
  readonly groups: number;
  /** `[out, in/groups, kH, kW]`. */
  declare weight: Tensor;
  /** `[out]`, or null. */
  declare bias: Tensor | null;

  /**
   * A 2-D convolution.
   * @throws {RangeError} for bad sizes, or channels that `groups` does not divide.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntPair,
    options: Conv2dModuleOptions = {},
  ) {
    super();
    this.inChannels = checkInt("inChannels", inChannels, 1);
    this.outChannels = checkInt("outChannels", outChannels, 1);
    this.kernelSize = pair("kernelSize", kernelSize, 1);
    this.stride = pair("stride", options.stride ?? 1, 1);
    const padding = options.padding ?? 0;
    this.padding = padding === "valid" || padding === "same"
      ? padding
      : pair("padding", padding, 0);
    this.dilation = pair("dilation", options.dilation ?? 1, 1);
    this.groups = checkInt("groups", options.groups ?? 1, 1);
    if (inChannels % this.groups !== 0) {
      throw new RangeError(`inChannels: ${inChannels} must be divisible by groups ${this.groups}`);
    }
    if (outChannels % this.groups !== 0) {
      throw new RangeError(
        `outChannels: ${outChannels} must be divisible by groups ${this.groups}`,
      );
    }
    const [kh, kw] = this.kernelSize;
    const cg = inChannels / this.groups;
    const random = options.random ?? defaultRandom;
    const bound = 1 / Math.sqrt(cg * kh * kw);
    const w = uniformFill(new Float32Array(outChannels * cg * kh * kw), bound, random);
    this.registerParameter("weight", new Tensor(w, [outChannels, cg, kh, kw]));
    this.registerParameter(
      "bias",
      (options.bias ?? true)
        ? new Tensor(uniformFill(new Float32Array(outChannels), bound, random))
        : null,
    );
  }

  /** `F.conv2d(x, weight, bias, stride, padding, dilation, groups)`. */
  forward(x: Tensor): Tensor {
    return this.convForward(x, this.weight, this.bias);
  }

  /** The convolution with another weight and bias (PyTorch's `_conv_forward`). */
  convForward(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return conv2d(x, weight, bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    const tuple = (p: readonly number[]) => `(${p.join(", ")})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, ` +
      `stride=${tuple(this.stride)}`;
    if (this.padding === "valid" || this.padding === "same") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    return s;
  }
}
