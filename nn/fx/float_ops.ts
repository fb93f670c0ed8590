/**
 * Float ops that graphs use and `nn/functional` lacks: `mean` over several dimensions and in a
 * memory format (`torch.sum`'s order of additions over the reduction's TensorIterator,
 * `float_reduce.ts`, each sum divided by the count in float32, as PyTorch 1.13's AVX2 CPU kernel
 * on one thread), and tensor indexing.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { show } from "../_util.ts";
import { ELLIPSIS, SliceArg } from "./graph.ts";
import { checkTensor, numel } from "../functional/_shape.ts";
import { sumOverDims } from "./float_reduce.ts";
import { toNhwc } from "../../reference/layout.ts";
import { adaptiveEnd, adaptiveStart } from "../functional/pool.ts";
import { channelsLastStrides } from "./tensor_iterator.ts";

const f32 = Math.fround;

/**
 * Normalises reduction dimensions: `null`/`undefined`/`[]` (all, as PyTorch 1.13), an integer or a list; negative
 * counts from the end.
 * @throws {RangeError} for a dimension out of range or repeated.
 */
export function reductionDims(dim: unknown, rank: number): number[] {
  if (dim === null || dim === undefined || (Array.isArray(dim) && dim.length === 0)) {
    return [...Array(rank).keys()];
  }
  const list = Array.isArray(dim) ? dim : [dim];
  const out: number[] = [];
  for (const d of list) {
    if (
      typeof d !== "number" || !Number.isInteger(d) || d < -Math.max(rank, 1) ||
      d >= Math.max(rank, 1)
    ) {
      throw new RangeError(
        `dim: Dimension out of range (expected to be in range of [${-rank}, ${rank - 1}], but ` +
          `got ${show(d)})`,
      );
    }
    const n = d < 0 ? d + rank : d;
    if (out.includes(n)) throw new RangeError(`dim: dim ${n} appears multiple times in the list`);
    out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/** The output shape of a reduction over `dims`. */
export function reducedShape(
  shape: readonly number[],
  dims: readonly number[],
  keepdim: boolean,
): number[] {
  const out: number[] = [];
  shape.forEach((s, i) => {
    if (!dims.includes(i)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

/**
 * `torch.mean(x, dim, keepdim)` of a float tensor: `torch.sum` over the dimensions in PyTorch's
 * order (see `sumOverDims`), each sum divided by the element count in float32.
 */
export function mean(x: Tensor, dim: unknown = null, keepdim = false): Tensor {
  checkTensor("x", x);
  return meanInMemoryOrder(x.data, x.shape, dim, keepdim);
}

/**
 * `torch.mean` of float elements held in a given memory order (`strides` into `data`); the
 * result is contiguous, as PyTorch's.
 */
export function meanInMemoryOrder(
  data: Float32Array,
  shape: readonly number[],
  dim: unknown,
  keepdim: boolean,
  strides?: readonly number[],
): Tensor {
  const x = { shape };
  const rank = x.shape.length;
  const dims = reductionDims(dim, rank);
  const count = numel(dims.map((d) => x.shape[d]));
  const sums = sumOverDims(data, x.shape, dims, strides);
  return new Tensor(sums.map((s) => f32(s / count)), reducedShape(x.shape, dims, keepdim));
}

/**
 * `F.adaptive_avg_pool2d` of a float `[N, C, H, W]` tensor PyTorch holds channels-last: a 1×1
 * output is `x.mean((-1, -2), keepdim=True)` in the channels-last order of additions; other
 * sizes run ATen's channels-last kernel — each window summed in (h, w) order, then divided once
 * by `kh·kw` on the 8-channel vector blocks and by `kh` then `kw` on the remaining channels.
 */
export function adaptiveAvgPool2dChannelsLast(
  x: Tensor,
  outputSize: number | readonly (number | null)[],
): Tensor {
  checkTensor("x", x);
  const [n, c, h, w] = x.shape;
  const sizes = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  const oh = sizes[0] ?? h;
  const ow = sizes[1] ?? w;
  const nhwc = toNhwc(x.data, x.shape);
  if (oh === 1 && ow === 1) {
    return meanInMemoryOrder(nhwc, x.shape, [2, 3], true, channelsLastStrides(x.shape));
  }
  const vector = c - (c % 8);
  const out = new Float32Array(n * c * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const h0 = adaptiveStart(y, oh, h);
      const kh = adaptiveEnd(y, oh, h) - h0;
      for (let xo = 0; xo < ow; xo++) {
        const w0 = adaptiveStart(xo, ow, w);
        const kw = adaptiveEnd(xo, ow, w) - w0;
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let i = h0; i < h0 + kh; i++) {
            for (let j = w0; j < w0 + kw; j++) {
              sum = f32(sum + nhwc[((b * h + i) * w + j) * c + ch]);
            }
          }
          out[((b * c + ch) * oh + y) * ow + xo] = ch < vector
            ? f32(sum / f32(kh * kw))
            : f32(f32(sum / kh) / kw);
        }
      }
    }
  }
  return new Tensor(out, [n, c, oh, ow]);
}

/** One index of `x[...]`: an integer, a slice, or `...`. */
export type TensorIndex = number | SliceArg | typeof ELLIPSIS;

/**
 * `x[index]` of a float tensor (basic indexing: integers remove a dimension, slices keep it,
 * one `...` stands for the dimensions not indexed), a copy as PyTorch's `.contiguous()` of the
 * view would be.
 * @throws {RangeError} for an index out of range, a zero step, or too many indices.
 */
export function indexTensor(x: Tensor, index: TensorIndex | readonly TensorIndex[]): Tensor {
  checkTensor("x", x);
  const items = Array.isArray(index) ? [...index] : [index as TensorIndex];
  const ell = items.indexOf(ELLIPSIS);
  const explicit = items.filter((i) => i !== ELLIPSIS).length;
  if (explicit > x.shape.length) {
    throw new RangeError(`index: too many indices for a tensor of rank ${x.shape.length}`);
  }
  const full: (number | SliceArg)[] = ell < 0
    ? [...items as (number | SliceArg)[], ...Array(x.shape.length - explicit).fill(new SliceArg())]
    : [
      ...items.slice(0, ell) as (number | SliceArg)[],
      ...Array(x.shape.length - explicit).fill(new SliceArg()),
      ...items.slice(ell + 1) as (number | SliceArg)[],
    ];
  const picks: number[][] = full.map((ix, d) => {
    const size = x.shape[d];
    if (typeof ix === "number") {
      const i = ix < 0 ? ix + size : ix;
      if (!Number.isInteger(ix) || i < 0 || i >= size) {
        throw new RangeError(`index: ${ix} is out of bounds for dimension ${d} with size ${size}`);
      }
      return [i];
    }
    const step = ix.step ?? 1;
    if (step <= 0) throw new RangeError(`index: slice step must be positive, got ${step}`);
    const clampTo = (v: number | null, fallback: number) =>
      v === null ? fallback : Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const out: number[] = [];
    for (let i = clampTo(ix.start, 0); i < clampTo(ix.stop, size); i += step) out.push(i);
    return out;
  });
  const strides = x.shape.map((_, i) => numel(x.shape.slice(i + 1)));
  const shape = picks.filter((_, d) => typeof full[d] !== "number").map((p) => p.length);
  const out = new Float32Array(numel(picks.map((p) => p.length)));
  let k = 0;
  const walk = (d: number, offset: number) => {
    if (d === picks.length) {
      out[k++] = x.data[offset];
      return;
    }
    for (const i of picks[d]) walk(d + 1, offset + i * strides[d]);
  };
  walk(0, 0);
  return new Tensor(out, shape);
}
