/**
 * The graph-mode functional API: the functions a model's forward calls so that
 * `symbolicTrace` records them as PyTorch's tracer would — one namespace per PyTorch spelling,
 * since the spelling is what the graph records (`x + y` is `operator.add`, `torch.add(x, y)` is
 * `torch.add`, `F.relu(x)` is `torch.nn.functional.relu` with `inplace=False`, `x.view(n, -1)` is
 * the method `view`):
 *
 * - `torch`: `add`, `mul`, `cat`, `flatten`, `relu`, `sigmoid`, `tanh`, `mean`;
 * - `F` (`torch.nn.functional`): `relu`, `relu6`, `hardswish`, `hardsigmoid`, `sigmoid`,
 *   `adaptiveAvgPool2d`, `maxPool2d`, `avgPool2d`, `linear`, `conv2d`, `dropout`;
 * - `operator` (Python's operators): `add` (`+`), `sub`, `mul` (`*`), `truediv`, `getitem`;
 * - `method` (tensor methods): `view`, `reshape`, `size`, `flatten`, `mean`, `relu`, `sigmoid`,
 *   `tanh`, `contiguous`, `dequantize`.
 *
 * Outside tracing each function computes: on float tensors as PyTorch's float CPU kernels, on
 * quantized tensors as the quantized op PyTorch runs after convert.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import type { QTensor } from "../quantized/qtensor.ts";
import { dispatch } from "./dispatch.ts";
import { ELLIPSIS, SliceArg } from "./graph.ts";
import type { Proxy } from "./proxy.ts";

/** A value a graph-mode op takes: a float tensor, a quantized tensor or a proxy while tracing. */
export type FxValue = Tensor | QTensor | Proxy;

type Num = number | Proxy;

/** Python's `slice(start, stop, step)` for `operator.getitem`. */
export function slice(
  start: number | null = null,
  stop: number | null = null,
  step: number | null = null,
): SliceArg {
  return new SliceArg(start, stop, step);
}

/** Python's `...` for `operator.getitem`. */
export { ELLIPSIS };

function fn<T>(target: string, args: unknown[], kwargs: Record<string, unknown> = {}): T {
  return dispatch("call_function", target, args, kwargs) as T;
}

function callMethod<T>(name: string, args: unknown[]): T {
  return dispatch("call_method", name, args) as T;
}

/** Positional arguments up to the last one given (PyTorch records what the caller passed). */
function given(...args: unknown[]): unknown[] {
  const out = [...args];
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return out;
}

/** `torch.*` functions. */
export const torch = {
  /** `torch.add(a, b)`. */
  add<T extends FxValue>(a: T, b: T | number): T {
    return fn("torch.add", [a, b]);
  },
  /** `torch.mul(a, b)`. */
  mul<T extends FxValue>(a: T, b: T | number): T {
    return fn("torch.mul", [a, b]);
  },
  /** `torch.cat(tensors, dim)`. */
  cat<T extends FxValue>(tensors: readonly T[], dim?: number): T {
    return fn("torch.cat", given(tensors, dim));
  },
  /** `torch.flatten(x, start_dim, end_dim)`. */
  flatten<T extends FxValue>(x: T, startDim?: number, endDim?: number): T {
    return fn("torch.flatten", given(x, startDim, endDim));
  },
  /** `torch.relu(x)`. */
  relu<T extends FxValue>(x: T): T {
    return fn("torch.relu", [x]);
  },
  /** `torch.sigmoid(x)`. */
  sigmoid<T extends FxValue>(x: T): T {
    return fn("torch.sigmoid", [x]);
  },
  /** `torch.tanh(x)`. */
  tanh<T extends FxValue>(x: T): T {
    return fn("torch.tanh", [x]);
  },
  /** `torch.mean(x, dim, keepdim)`. */
  mean<T extends FxValue>(x: T, dim?: number | readonly number[], keepdim?: boolean): T {
    return fn("torch.mean", given(x, dim, keepdim));
  },
  /** `torch.clamp(x, min, max)` (`null`: no bound). */
  clamp<T extends FxValue>(x: T, min?: number | null, max?: number | null): T {
    return fn("torch.clamp", given(x, min, max));
  },
};

/** `torch.nn.functional.*` functions, recorded with PyTorch's keyword defaults. */
export const F = {
  /** `F.relu(x)` (recorded with `inplace=False`). */
  relu<T extends FxValue>(x: T): T {
    return fn("torch.nn.functional.relu", [x], { inplace: false });
  },
  /** `F.relu6(x)`. */
  relu6<T extends FxValue>(x: T): T {
    return fn("torch.nn.functional.relu6", [x], { inplace: false });
  },
  /** `F.hardswish(x)`. */
  hardswish<T extends FxValue>(x: T): T {
    return fn("torch.nn.functional.hardswish", [x], { inplace: false });
  },
  /** `F.hardsigmoid(x)`. */
  hardsigmoid<T extends FxValue>(x: T): T {
    return fn("torch.nn.functional.hardsigmoid", [x], { inplace: false });
  },
  /** `F.hardtanh(x, min_val, max_val)` (recorded with `inplace=False`). */
  hardtanh<T extends FxValue>(x: T, minVal = -1, maxVal = 1): T {
    return fn("torch.nn.functional.hardtanh", [x], {
      min_val: minVal,
      max_val: maxVal,
      inplace: false,
    });
  },
  /** `F.elu(x, alpha)` (recorded with `inplace=False`). */
  elu<T extends FxValue>(x: T, alpha = 1): T {
    return fn("torch.nn.functional.elu", [x], { alpha, inplace: false });
  },
  /** `F.leaky_relu(x, negative_slope)` (recorded with `inplace=False`). */
  leakyRelu<T extends FxValue>(x: T, negativeSlope = 0.01): T {
    return fn("torch.nn.functional.leaky_relu", [x], {
      negative_slope: negativeSlope,
      inplace: false,
    });
  },
  /** `F.sigmoid(x)`: PyTorch's calls the tensor method `sigmoid`. */
  sigmoid<T extends FxValue>(x: T): T {
    return callMethod("sigmoid", [x]);
  },
  /** `F.adaptive_avg_pool2d(x, output_size)`. */
  adaptiveAvgPool2d<T extends FxValue>(x: T, outputSize: number | readonly number[]): T {
    return fn("torch.nn.functional.adaptive_avg_pool2d", [x, outputSize]);
  },
  /** `F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)` (keywords recorded). */
  maxPool2d<T extends FxValue>(
    x: T,
    kernelSize: number | readonly number[],
    options: {
      stride?: number | readonly number[] | null;
      padding?: number | readonly number[];
      dilation?: number | readonly number[];
      ceilMode?: boolean;
    } = {},
  ): T {
    return fn("torch.nn.functional.max_pool2d", [x, kernelSize], {
      stride: options.stride ?? null,
      padding: options.padding ?? 0,
      dilation: options.dilation ?? 1,
      ceil_mode: options.ceilMode ?? false,
      return_indices: false,
    });
  },
  /** `F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor)`. */
  avgPool2d<T extends FxValue>(
    x: T,
    kernelSize: number | readonly number[],
    stride?: number | readonly number[] | null,
    padding?: number | readonly number[],
    ceilMode?: boolean,
    countIncludePad?: boolean,
    divisorOverride?: number | null,
  ): T {
    return fn(
      "torch._C._nn.avg_pool2d",
      given(x, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride),
    );
  },
  /** `F.linear(x, weight, bias)` (a functional linear: prepare observes its weight). */
  linear<T extends FxValue>(x: T, weight: Tensor | Proxy, bias?: Tensor | Proxy | null): T {
    return fn("torch._C._nn.linear", given(x, weight, bias));
  },
  /** `F.conv2d(x, weight, bias, stride, padding, dilation, groups)`. */
  conv2d<T extends FxValue>(
    x: T,
    weight: Tensor | Proxy,
    bias?: Tensor | Proxy | null,
    stride?: number | readonly number[],
    padding?: number | readonly number[],
    dilation?: number | readonly number[],
    groups?: number,
  ): T {
    return fn("torch.conv2d", given(x, weight, bias, stride, padding, dilation, groups));
  },
  /** `F.dropout(x, p, training)` (PyTorch's default `training=True`). */
  dropout<T extends FxValue>(x: T, p = 0.5, training = true): T {
    return fn("torch.nn.functional.dropout", [x], { p, training, inplace: false });
  },
};

/** Python's operators (`a + b` is `operator.add`). */
export const operator = {
  /** `a + b`. */
  add<T extends FxValue>(a: T | number, b: T | number): T {
    return fn("operator.add", [a, b]);
  },
  /** `a - b`. */
  sub<T extends FxValue>(a: T | number, b: T | number): T {
    return fn("operator.sub", [a, b]);
  },
  /** `a * b`. */
  mul<T extends FxValue>(a: T | number, b: T | number): T {
    return fn("operator.mul", [a, b]);
  },
  /** `a / b`. */
  truediv<T extends FxValue>(a: T | number, b: T | number): T {
    return fn("operator.truediv", [a, b]);
  },
  /**
   * `a[i]`: of a list or tuple (e.g. of `x.size()`), or basic indexing of a tensor with
   * integers, `slice(start, stop, step)` and `ELLIPSIS` (`x[:, :8]` is
   * `getitem(x, [slice(), slice(null, 8)])`).
   */
  getitem<T>(
    a: T,
    i: number | SliceArg | typeof ELLIPSIS | readonly (number | SliceArg | typeof ELLIPSIS)[],
  ): T {
    return fn("operator.getitem", [a, i]);
  },
};

/** Tensor methods (`x.view(n, -1)` is `method.view(x, n, -1)`). */
export const method = {
  /** `x.view(*shape)`. */
  view<T extends FxValue>(x: T, ...shape: Num[]): T {
    return callMethod("view", [x, ...shape]);
  },
  /** `x.reshape(*shape)`. */
  reshape<T extends FxValue>(x: T, ...shape: Num[]): T {
    return callMethod("reshape", [x, ...shape]);
  },
  /** `x.size(dim)` (a number), or `x.size()` (a list). */
  size(x: FxValue, dim?: number): Num {
    return callMethod("size", given(x, dim));
  },
  /** `x.flatten(start_dim, end_dim)`. */
  flatten<T extends FxValue>(x: T, startDim?: number, endDim?: number): T {
    return callMethod("flatten", given(x, startDim, endDim));
  },
  /** `x.mean(dim, keepdim)`. */
  mean<T extends FxValue>(x: T, dim?: number | readonly number[], keepdim?: boolean): T {
    return callMethod("mean", given(x, dim, keepdim));
  },
  /** `x.relu()`. */
  relu<T extends FxValue>(x: T): T {
    return callMethod("relu", [x]);
  },
  /** `x.sigmoid()`. */
  sigmoid<T extends FxValue>(x: T): T {
    return callMethod("sigmoid", [x]);
  },
  /** `x.tanh()`. */
  tanh<T extends FxValue>(x: T): T {
    return callMethod("tanh", [x]);
  },
  /** `x.hardsigmoid()`. */
  hardsigmoid<T extends FxValue>(x: T): T {
    return callMethod("hardsigmoid", [x]);
  },
  /** `x.clamp(min, max)`. */
  clamp<T extends FxValue>(x: T, min?: number | null, max?: number | null): T {
    return callMethod("clamp", given(x, min, max));
  },
  /** `x.contiguous()`. */
  contiguous<T extends FxValue>(x: T): T {
    return callMethod("contiguous", [x]);
  },
  /** `x.dequantize()`. */
  dequantize(x: FxValue): Tensor {
    return callMethod("dequantize", [x]);
  },
};
