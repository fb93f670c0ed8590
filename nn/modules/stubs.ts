/**
 * `QuantStub` and `DeQuantStub` (torch/ao/quantization/stubs.py): identities in the float model
 * that mark where quantization starts and ends; `prepare` observes the QuantStub's output and
 * `convert` swaps them for `Quantize` and `DeQuantize`.
 * @module
 */
import type { QConfig } from "../../reference/qconfig.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { Module } from "../module.ts";

/** `torch.ao.quantization.QuantStub(qconfig=None)`. */
export class QuantStub extends Module {
  /** A stub, optionally with its own qconfig. */
  constructor(qconfig?: QConfig | null) {
    super();
    if (qconfig !== undefined) this.qconfig = qconfig;
  }

  /** `x` itself. */
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** `torch.ao.quantization.DeQuantStub(qconfig=None)`. */
export class DeQuantStub extends Module {
  /** A stub, optionally with its own qconfig. */
  constructor(qconfig?: QConfig | null) {
    super();
    if (qconfig !== undefined) this.qconfig = qconfig;
  }

  /** `x` itself. */
  forward(x: Tensor): Tensor {
    return x;
  }
}
