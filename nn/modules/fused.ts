/**
 * The fused float modules of `torch.nn.intrinsic` (`_FusedModule`, a Sequential): what fusion
 * puts in place of the first module of a fused sequence. Children keep Sequential's names
 * `"0"`, `"1"`, `"2"`, so state-dict keys are PyTorch's (`conv1.0.weight`).
 * @module
 */
import { typeName } from "../_util.ts";
import type { Module } from "../module.ts";
import { ReLU } from "./activation.ts";
import { BatchNorm1d, BatchNorm2d } from "./batchnorm.ts";
import { Sequential } from "./container.ts";
import { Conv2d } from "./conv.ts";
import { Linear } from "./linear.ts";

/** A fused sequence (`torch.nn.intrinsic._FusedModule`). */
export abstract class FusedModule extends Sequential {}

type ModuleClass = abstract new (...args: never[]) => Module;

function checkTypes(fused: string, modules: Module[], types: ModuleClass[]): void {
  const ok = modules.length === types.length &&
    modules.every((m, i) => m.constructor === types[i]);
  if (!ok) {
    throw new TypeError(
      `${fused}: expected ${types.map((t) => t.name).join(", ")}, got ` +
        modules.map((m) => typeName(m)).join(", "),
    );
  }
}

/** `nni.ConvReLU2d(conv, relu)`. */
export class ConvReLU2d extends FusedModule {
  /** Fuses a Conv2d and a ReLU. @throws {TypeError} for other module types. */
  constructor(conv: Conv2d, relu: ReLU) {
    checkTypes("ConvReLU2d", [conv, relu], [Conv2d, ReLU]);
    super(conv, relu);
  }
}

/** `nni.LinearReLU(linear, relu)`. */
export class LinearReLU extends FusedModule {
  /** Fuses a Linear and a ReLU. @throws {TypeError} for other module types. */
  constructor(linear: Linear, relu: ReLU) {
    checkTypes("LinearReLU", [linear, relu], [Linear, ReLU]);
    super(linear, relu);
  }
}

/** `nni.BNReLU2d(batch_norm, relu)`. */
export class BNReLU2d extends FusedModule {
  /** Fuses a BatchNorm2d and a ReLU. @throws {TypeError} for other module types. */
  constructor(bn: BatchNorm2d, relu: ReLU) {
    checkTypes("BNReLU2d", [bn, relu], [BatchNorm2d, ReLU]);
    super(bn, relu);
  }
}

/** `nni.ConvBn2d(conv, bn)` (QAT fusion; `prepareQat` swaps it for the QAT ConvBn2d). */
export class ConvBn2d extends FusedModule {
  /** Fuses a Conv2d and a BatchNorm2d. @throws {TypeError} for other module types. */
  constructor(conv: Conv2d, bn: BatchNorm2d) {
    checkTypes("ConvBn2d", [conv, bn], [Conv2d, BatchNorm2d]);
    super(conv, bn);
  }
}

/** `nni.ConvBnReLU2d(conv, bn, relu)` (QAT fusion). */
export class ConvBnReLU2d extends FusedModule {
  /** Fuses a Conv2d, a BatchNorm2d and a ReLU. @throws {TypeError} for other module types. */
  constructor(conv: Conv2d, bn: BatchNorm2d, relu: ReLU) {
    checkTypes("ConvBnReLU2d", [conv, bn, relu], [Conv2d, BatchNorm2d, ReLU]);
    super(conv, bn, relu);
  }
}

/** `nni.LinearBn1d(linear, bn)` (QAT fusion). */
export class LinearBn1d extends FusedModule {
  /** Fuses a Linear and a BatchNorm1d. @throws {TypeError} for other module types. */
  constructor(linear: Linear, bn: BatchNorm1d) {
    checkTypes("LinearBn1d", [linear, bn], [Linear, BatchNorm1d]);
    super(linear, bn);
  }
}
