/**
 * `nn.BatchNorm1d` / `nn.BatchNorm2d`: state-dict keys `weight`, `bias`, `running_mean`,
 * `running_var` (float32 `[C]`) and `num_batches_tracked` (int64 scalar), as PyTorch.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { checkInt, checkNumber } from "../_util.ts";
import { batchNorm } from "../functional/batch_norm.ts";
import { Module } from "../module.ts";
import type { TypedTensor } from "../typed_tensor.ts";
import { showShape } from "../functional/_shape.ts";

/** Options of the BatchNorm modules (PyTorch's keyword arguments). */
export interface BatchNormModuleOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** The running-average factor (default 0.1); null: a cumulative average. */
  momentum?: number | null;
  /** Learnable γ and β (default true). */
  affine?: boolean;
  /** Keep running statistics (default true). */
  trackRunningStats?: boolean;
}

/** The shared implementation of BatchNorm1d and BatchNorm2d (`_BatchNorm`). */
export abstract class BatchNormBase extends Module {
  /** Channels. */
  readonly numFeatures: number;
  /** Added to the variance. */
  readonly eps: number;
  /** The running-average factor, or null for a cumulative average. */
  readonly momentum: number | null;
  /** Whether γ and β exist. */
  readonly affine: boolean;
  /** Whether running statistics are kept. */
  readonly trackRunningStats: boolean;
  /** γ `[C]` (ones), or null. */
  declare weight: Tensor | null;
  /** β `[C]` (zeros), or null. */
  declare bias: Tensor | null;

  /** The input ranks this module accepts. */
  protected abstract readonly ranks: readonly number[];

  /**
   * A batch norm over `numFeatures` channels.
   * @throws {RangeError} for a bad size, eps or momentum.
   */
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super();
    this.numFeatures = checkInt("numFeatures", numFeatures, 1);
    this.eps = checkNumber("eps", options.eps ?? 1e-5, { min: 0 });
    this.momentum = options.momentum === null
      ? null
      : checkNumber("momentum", options.momentum ?? 0.1, { min: 0, max: 1 });
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const c = numFeatures;
    this.registerParameter("weight", this.affine ? new Tensor(new Float32Array(c).fill(1)) : null);
    this.registerParameter("bias", this.affine ? new Tensor(new Float32Array(c)) : null);
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", new Tensor(new Float32Array(c)));
      this.registerBuffer("running_var", new Tensor(new Float32Array(c).fill(1)));
      this.registerBuffer("num_batches_tracked", {
        dtype: "I64",
        shape: [],
        data: new BigInt64Array(1),
      });
    } else {
      this.registerBuffer("running_mean", null);
      this.registerBuffer("running_var", null);
      this.registerBuffer("num_batches_tracked", null);
    }
  }

  /** The `running_mean` buffer `[C]`, or null. */
  get runningMean(): Tensor | null {
    return this.getBuffer("running_mean") as Tensor | null;
  }

  /** The `running_var` buffer `[C]`, or null. */
  get runningVar(): Tensor | null {
    return this.getBuffer("running_var") as Tensor | null;
  }

  /** `num_batches_tracked` (an int64 scalar), or null. */
  get numBatchesTracked(): TypedTensor | null {
    return this.getBuffer("num_batches_tracked") as TypedTensor | null;
  }

  /**
   * `_BatchNorm.forward`: in training with running stats, counts the batch and updates the
   * running statistics with `momentum` (or `1/num_batches_tracked` when momentum is null).
   * @throws {RangeError} for an input of the wrong rank or channel count.
   */
  forward(x: Tensor): Tensor {
    if (x instanceof Tensor && !this.ranks.includes(x.shape.length)) {
      throw new RangeError(
        `x: ${this.getName()} expects a ${this.ranks.join("D or ")}D input, got ` +
          showShape(x.shape),
      );
    }
    let factor = this.momentum ?? 0;
    const tracked = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && tracked !== null) {
      (tracked.data as BigInt64Array)[0] += 1n;
      if (this.momentum === null) factor = 1 / Number((tracked.data as BigInt64Array)[0]);
    }
    return batchNorm(x, {
      runningMean: !this.training || this.trackRunningStats ? this.runningMean : null,
      runningVar: !this.training || this.trackRunningStats ? this.runningVar : null,
      weight: this.weight,
      bias: this.bias,
      training: this.training || this.runningMean === null,
      momentum: factor,
      eps: this.eps,
    });
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${
      this.affine ? "True" : "False"
    }, track_running_stats=${this.trackRunningStats ? "True" : "False"}`;
  }
}

/** `torch.nn.BatchNorm1d`: inputs `[N, C]` or `[N, C, L]`. */
export class BatchNorm1d extends BatchNormBase {
  /** The input ranks this module accepts. */
  protected readonly ranks: readonly number[] = [2, 3];
}

/** `torch.nn.BatchNorm2d`: inputs `[N, C, H, W]`. */
export class BatchNorm2d extends BatchNormBase {
  /** The input ranks this module accepts. */
  protected readonly ranks: readonly number[] = [4];
}
