/**
 * `nn.Linear`: `y = x·Wᵀ + b`, state-dict keys `weight` `[out, in]` and `bias` `[out]`.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { checkInt } from "../_util.ts";
import { linear } from "../functional/linear.ts";
import { Module } from "../module.ts";
import { defaultRandom, type RandomSource, uniformFill } from "../random.ts";

/** Options of `Linear`. */
export interface LinearOptions {
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** The random source of the initial weights (default: the `manualSeed` stream). */
  random?: RandomSource;
}

/**
 * `torch.nn.Linear(in_features, out_features, bias=True)`. Weights and bias start uniform in
 * `±1/√in_features`, PyTorch's distribution (not its random stream).
 */
export class Linear extends Module {
  /** The input size. */
  readonly inFeatures: number;
  /** The output size. */
  readonly outFeatures: number;
  /** `[out, in]`. */
  declare weight: Tensor;
  /** `[out]`, or null without bias. */
  declare bias: Tensor | null;

  /**
   * A linear layer.
   * @throws {RangeError} for sizes that are not integers >= 0.
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt("inFeatures", inFeatures, 0);
    this.outFeatures = checkInt("outFeatures", outFeatures, 0);
    const random = options.random ?? defaultRandom;
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.registerParameter(
      "weight",
      new Tensor(uniformFill(new Float32Array(outFeatures * inFeatures), bound, random), [
        outFeatures,
        inFeatures,
      ]),
    );
    this.registerParameter(
      "bias",
      (options.bias ?? true)
        ? new Tensor(uniformFill(new Float32Array(outFeatures), bound, random))
        : null,
    );
  }

  /** `F.linear(x, weight, bias)`. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${
      this.bias !== null ? "True" : "False"
    }`;
  }
}
