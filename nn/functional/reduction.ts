/**
 * `torch.sum` and `torch.mean` of a float tensor, over every element or one dimension, bit for bit
 * with PyTorch 1.13's AVX2 CPU kernel (its summation order: `reference/torch_sum.ts`,
 * `reference/torch_reduce.ts`), recording the gradient on an active `GradTape`.
 * @module
 */
import { torchSumFloat32 } from "../../reference/torch_sum.ts";
import { torchMeanDim, torchSumDim } from "../../reference/torch_reduce.ts";
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { checkTensor } from "./_shape.ts";

/** Options of `sum` and `mean`. */
export interface ReductionOptions {
  /** The dimension to reduce (negative counts from the end); default: every element. */
  dim?: number;
  /** Keep the reduced dimension with size 1 (default false). */
  keepdim?: boolean;
}

function reduce(x: Tensor, options: ReductionOptions, mean: boolean): Tensor {
  checkTensor("x", x);
  const { dim, keepdim = false } = options;
  let y: Tensor;
  let count: number;
  let repeat: (i: number) => number; // the output element input i contributes to
  if (dim === undefined) {
    const total = torchSumFloat32(x.data);
    y = new Tensor(
      Float32Array.of(mean ? total / Math.fround(x.size) : total),
      keepdim ? x.shape.map(() => 1) : [],
    );
    count = x.size;
    repeat = () => 0;
  } else {
    const r = mean ? torchMeanDim(x.data, x.shape, dim) : torchSumDim(x.data, x.shape, dim);
    const d = dim < 0 ? dim + x.shape.length : dim;
    const shape = keepdim ? x.shape.map((s, i) => (i === d ? 1 : s)) : r.shape;
    y = new Tensor(r.data, shape);
    count = x.shape[d];
    const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
    repeat = (i) => Math.floor(i / (count * inner)) * inner + (i % inner);
  }
  recordOp([x], y, (g) => {
    const gx = new Float64Array(x.size);
    for (let i = 0; i < gx.length; i++) gx[i] = mean ? g[repeat(i)] / count : g[repeat(i)];
    return [gx];
  });
  return y;
}

/**
 * `torch.sum(x)` or `torch.sum(x, dim, keepdim)`.
 * @throws {RangeError} for a dimension out of range.
 */
export function sum(x: Tensor, options: ReductionOptions = {}): Tensor {
  return reduce(x, options, false);
}

/**
 * `torch.mean(x)` or `torch.mean(x, dim, keepdim)`: the sum divided by the count in float32.
 * @throws {RangeError} for a dimension out of range.
 */
export function mean(x: Tensor, options: ReductionOptions = {}): Tensor {
  return reduce(x, options, true);
}
