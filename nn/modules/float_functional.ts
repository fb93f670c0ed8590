/**
 * `FloatFunctional` (torch/ao/nn/quantized/modules/functional_modules.py): float add, mul and
 * cat as a module, so that `prepare` can observe their outputs (its `activation_post_process`,
 * an Identity until then) and `convert` can swap it for `QFunctional`.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { add, addScalar, cat, mul, mulScalar, relu } from "../functional/elementwise.ts";
import { Module } from "../module.ts";
import { Identity } from "./container.ts";

/** `torch.ao.nn.quantized.FloatFunctional()`. */
export class FloatFunctional extends Module {
  /** Observes the outputs once prepared (an Identity before). */
  declare activation_post_process: Module;

  /** A float functional with an Identity post-process. */
  constructor() {
    super();
    this.registerModule("activation_post_process", new Identity());
  }

  /** Not callable, as in PyTorch: use `add`, `mul`, `cat`, … */
  forward(): never {
    throw new Error(
      "FloatFunctional is not intended to use the 'forward'. Please use the underlying operation",
    );
  }

  /** Runs the output through `activation_post_process`. */
  private post(r: Tensor): Tensor {
    return (this.activation_post_process.forward as (x: Tensor) => Tensor).call(
      this.activation_post_process,
      r,
    );
  }

  /** `torch.add(x, y)`, observed. */
  add(x: Tensor, y: Tensor): Tensor {
    return this.post(add(x, y));
  }

  /** `torch.add(x, c)` (not observed, as PyTorch). */
  addScalar(x: Tensor, c: number): Tensor {
    return addScalar(x, c);
  }

  /** `torch.mul(x, y)`, observed. */
  mul(x: Tensor, y: Tensor): Tensor {
    return this.post(mul(x, y));
  }

  /** `torch.mul(x, c)` (not observed, as PyTorch). */
  mulScalar(x: Tensor, c: number): Tensor {
    return mulScalar(x, c);
  }

  /** `torch.cat(xs, dim)`, observed. */
  cat(xs: readonly Tensor[], dim = 0): Tensor {
    return this.post(cat(xs, dim));
  }

  /** `relu(x + y)`, observed. */
  addRelu(x: Tensor, y: Tensor): Tensor {
    return this.post(relu(add(x, y)));
  }
}
