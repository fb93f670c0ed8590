/**
 * A minimal reverse-mode autograd: a tape records each differentiable float op run inside
 * `tape.run(fn)` whose inputs depend on a watched tensor (the parameters being trained), then
 * `tape.backward(loss)` walks the records in reverse and returns the gradient of every watched
 * tensor. Enough for training eager models and QAT modules with SGD: the functional ops in
 * `nn/functional/` record themselves, fake quantization records the straight-through estimator.
 *
 * Gradients accumulate in float64 and are returned as float32, like `param.grad` (float backprop
 * is not bit-exact with PyTorch's: its kernels sum in other orders).
 * @example
 * ```ts
 * const tape = new GradTape(model.parameters());
 * const loss = tape.run(() => crossEntropy(model.forward(x), labels));
 * const grads = tape.backward(loss);
 * sgdStep(model.parameters(), grads, { lr: 0.1 });
 * ```
 * @module
 */
import { Tensor } from "../reference/tensor.ts";
import { show } from "./_util.ts";

/**
 * Computes input gradients from the output gradient. `needs[i]` says whether input `i` wants a
 * gradient; return null for those that do not (or that have none).
 */
export type BackwardFn = (
  gradOutput: Float64Array,
  needs: readonly boolean[],
) => readonly (Float64Array | null)[];

interface TapeRecord {
  inputs: readonly (Tensor | null)[];
  output: Tensor;
  backward: BackwardFn;
}

let activeTape: GradTape | null = null;

/** A recording of differentiable ops, and the tensors they are differentiated with respect to. */
export class GradTape {
  private readonly watched: Set<Tensor>;
  private readonly requiring = new Set<Tensor>();
  private readonly records: TapeRecord[] = [];

  /** A tape that differentiates with respect to `watch` (typically `model.parameters()`). */
  constructor(watch: Iterable<Tensor> = []) {
    this.watched = new Set();
    for (const t of watch) this.watch(t);
  }

  /** Adds a tensor to differentiate with respect to. */
  watch(tensor: Tensor): void {
    if (!(tensor instanceof Tensor)) {
      throw new TypeError(`watch: expected a Tensor, got ${show(tensor)}`);
    }
    this.watched.add(tensor);
    this.requiring.add(tensor);
  }

  /** Whether `tensor` is watched or computed from a watched tensor on this tape. */
  requiresGrad(tensor: Tensor | null): boolean {
    return tensor !== null && this.requiring.has(tensor);
  }

  /** Runs `fn` with this tape recording (tapes nest: the innermost records). */
  run<T>(fn: () => T): T {
    const previous = activeTape;
    activeTape = this;
    try {
      return fn();
    } finally {
      activeTape = previous;
    }
  }

  /** @internal Adds a record (see `recordOp`). */
  record(inputs: readonly (Tensor | null)[], output: Tensor, backward: BackwardFn): void {
    this.requiring.add(output);
    this.records.push({ inputs, output, backward });
  }

  /**
   * Back-propagates from `output` (a scalar, or with `gradOutput` of its size) and returns the
   * gradient of every watched tensor that `output` depends on.
   * @throws {RangeError} for a non-scalar output without `gradOutput`, or a wrong size.
   */
  backward(output: Tensor, gradOutput?: ArrayLike<number>): Map<Tensor, Float32Array> {
    if (gradOutput === undefined && output.size !== 1) {
      throw new RangeError(
        `output: backward() without gradOutput needs a scalar, got shape [${output.shape}]`,
      );
    }
    if (gradOutput !== undefined && gradOutput.length !== output.size) {
      throw new RangeError(
        `gradOutput: expected ${output.size} values, got ${gradOutput.length}`,
      );
    }
    const grads = new Map<Tensor, Float64Array>();
    grads.set(
      output,
      gradOutput === undefined ? Float64Array.of(1) : Float64Array.from(gradOutput),
    );
    for (let r = this.records.length - 1; r >= 0; r--) {
      const { inputs, output: out, backward } = this.records[r];
      const g = grads.get(out);
      if (g === undefined) continue;
      const needs = inputs.map((t) => this.requiresGrad(t));
      const inputGrads = backward(g, needs);
      inputs.forEach((t, i) => {
        const gi = inputGrads[i];
        if (t === null || !needs[i] || gi === null || gi === undefined) return;
        const acc = grads.get(t);
        if (acc === undefined) grads.set(t, gi.slice());
        else for (let k = 0; k < acc.length; k++) acc[k] += gi[k];
      });
    }
    const result = new Map<Tensor, Float32Array>();
    for (const t of this.watched) {
      const g = grads.get(t);
      if (g !== undefined) result.set(t, Float32Array.from(g));
    }
    return result;
  }
}

/**
 * Records an op on the active tape when any input requires a gradient (does nothing otherwise,
 * so inference pays nothing).
 */
export function recordOp(
  inputs: readonly (Tensor | null)[],
  output: Tensor,
  backward: BackwardFn,
): void {
  const tape = activeTape;
  if (tape === null || !inputs.some((t) => tape.requiresGrad(t))) return;
  tape.record(inputs, output, backward);
}

/** Whether a tape is recording and `tensor` requires a gradient on it. */
export function requiresGrad(tensor: Tensor | null): boolean {
  return activeTape !== null && activeTape.requiresGrad(tensor);
}

/** Options of `sgdStep`. */
export interface SgdOptions {
  /** The learning rate. */
  lr: number;
  /** Momentum (default 0); the buffers live in `state`. */
  momentum?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Momentum buffers by parameter, kept between steps (needed when momentum > 0). */
  state?: Map<Tensor, Float32Array>;
}

/**
 * One step of `torch.optim.SGD` on `params` in place: `d = g + wd·p`; with momentum
 * `b = μ·b + d` (b = d at the first step) and `d = b`; `p -= lr·d` — each step rounded to
 * float32 (PyTorch may fuse a multiply-add here, so trained weights are close to, not equal
 * to, PyTorch's). Parameters without a gradient are left alone.
 * @throws {RangeError} for a learning rate that is not a finite number >= 0, or momentum
 * without a `state` map.
 */
export function sgdStep(
  params: Iterable<Tensor>,
  grads: ReadonlyMap<Tensor, Float32Array>,
  options: SgdOptions,
): void {
  const { lr, momentum = 0, weightDecay = 0 } = options;
  if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(lr)) {
    throw new RangeError(`lr: expected a finite number >= 0, got ${show(lr)}`);
  }
  const f32 = Math.fround;
  for (const p of params) {
    const g = grads.get(p);
    if (g === undefined) continue;
    const d = new Float32Array(g.length);
    for (let i = 0; i < d.length; i++) {
      d[i] = weightDecay === 0 ? g[i] : f32(g[i] + f32(weightDecay * p.data[i]));
    }
    let step: Float32Array = d;
    if (momentum !== 0) {
      if (options.state === undefined) {
        throw new RangeError(`state: momentum needs a Map to keep its buffers in`);
      }
      const buf = options.state.get(p);
      if (buf === undefined) options.state.set(p, d.slice());
      else {
        for (let i = 0; i < d.length; i++) buf[i] = f32(f32(momentum * buf[i]) + d[i]);
        step = buf;
      }
    }
    for (let i = 0; i < d.length; i++) p.data[i] = f32(p.data[i] - f32(lr * step[i]));
  }
}
