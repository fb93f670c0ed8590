/**
 * `nn.Sequential`, `nn.Identity`, `nn.Flatten` and `nn.Dropout`: the structural modules. Identity,
 * Flatten and Dropout (in eval) also pass quantized tensors, as PyTorch's do.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { dropout } from "../functional/dropout.ts";
import { flatten } from "../functional/elementwise.ts";
import { Module } from "../module.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { defaultRandom, type RandomSource } from "../random.ts";

/** Each Sequential's children in order, and what that order was computed from. */
const CHILDREN = new WeakMap<
  Module,
  { modules: readonly Module[]; keys: number; fields: readonly string[] }
>();

/** A float or quantized activation. */
export type Activation = Tensor | QTensor;

/**
 * `torch.nn.Sequential(*modules)`: children named `"0"`, `"1"`, …; `forward` feeds each output
 * to the next module.
 */
export class Sequential extends Module {
  /**
   * A sequence of modules.
   * @throws {TypeError} for an argument that is not a Module.
   */
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) {
        throw new TypeError(`modules[${i}]: expected a Module, got ${show(m)}`);
      }
      this.registerModule(String(i), m);
    });
  }

  /** The number of children. */
  get length(): number {
    return this.namedChildren({ removeDuplicate: false }).length;
  }

  /** The child at position `index` (negative counts from the end), like `seq[i]`. */
  at(index: number): Module {
    const children = this.namedChildren({ removeDuplicate: false }).map(([, m]) => m);
    const m = children[index < 0 ? index + children.length : index];
    if (m === undefined) {
      throw new RangeError(`index: ${index} is out of range for ${children.length} modules`);
    }
    return m;
  }

  /** Runs the children in order. */
  forward(x: Tensor): Tensor;
  /** Runs the children in order. */
  forward(x: Activation): Activation;
  forward(x: Activation): Activation {
    let y: unknown = x;
    for (const m of this.childrenInOrder()) {
      y = (m.forward as (v: unknown) => unknown).call(m, y);
    }
    return y as Activation;
  }

  /** Adds or replaces a child (and forgets the cached order). */
  override registerModule<M extends Module | null>(name: string, module: M): M {
    CHILDREN.delete(this);
    return super.registerModule(name, module);
  }

  /** Removes a child (and forgets the cached order). */
  override deleteModule(name: string): void {
    CHILDREN.delete(this);
    super.deleteModule(name);
  }

  /**
   * The children in order, as `namedChildren` gives them (fields assigned since adopted). Cached,
   * because `namedChildren` inspects every property and forward runs per layer: the cache holds
   * while no child is registered or removed, no property is added, and no plain property
   * (a field) has come to hold a Module.
   */
  private childrenInOrder(): readonly Module[] {
    const cached = CHILDREN.get(this);
    const self = this as unknown as Record<string, unknown>;
    if (
      cached !== undefined && Object.keys(this).length === cached.keys &&
      cached.fields.every((k) => !(self[k] instanceof Module))
    ) {
      return cached.modules;
    }
    const modules = this.namedChildren({ removeDuplicate: false }).map(([, m]) => m);
    const keys = Object.keys(this);
    const fields = keys.filter((k) => "value" in Object.getOwnPropertyDescriptor(this, k)!);
    CHILDREN.set(this, { modules, keys: keys.length, fields });
    return modules;
  }
}

/** `torch.nn.Identity()`: returns its input. */
export class Identity extends Module {
  /** `x` itself. */
  forward<T>(x: T): T {
    return x;
  }
}

/** `torch.nn.Flatten(start_dim=1, end_dim=-1)`. */
export class Flatten extends Module {
  /** The first dimension merged. */
  readonly startDim: number;
  /** The last dimension merged. */
  readonly endDim: number;

  /** A flatten of dimensions `startDim..endDim` (default 1..−1). */
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** `torch.flatten(x, startDim, endDim)`. */
  forward(x: Tensor): Tensor;
  /** The quantized flatten (codes unchanged, logical order). */
  forward(x: QTensor): QTensor;
  forward(x: Activation): Activation {
    if (x instanceof QTensor) return x.ops.flatten(x, this.startDim, this.endDim);
    return flatten(x, { startDim: this.startDim, endDim: this.endDim });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** `torch.nn.Dropout(p=0.5)`: random zeroing in training, identity in eval. */
export class Dropout extends Module {
  /** The drop probability. */
  readonly p: number;
  /** The random source of the masks. */
  random: RandomSource;

  /** A dropout with probability `p`. */
  constructor(p = 0.5, options: { random?: RandomSource } = {}) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new RangeError(`p: dropout probability has to be between 0 and 1, but got ${show(p)}`);
    }
    this.p = p;
    this.random = options.random ?? defaultRandom;
  }

  /** `F.dropout(x, p, training)`. */
  forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.training, random: this.random });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}
