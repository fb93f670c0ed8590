/**
 * Tensor min/max helpers with PyTorch's NaN rules, shared by the observers.
 * @module
 */
import { checkAxis, show } from "../_check.ts";
import { splitAtAxis, type Tensor } from "../tensor.ts";

/**
 * `torch.aminmax(x)` of a non-empty float32 array: NaN if any element is NaN. (Which zero a
 * mix of +0 and -0 yields depends on PyTorch's vector lanes; this returns the first one met.)
 */
export function aminmax(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  let first = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) return { min: NaN, max: NaN };
    if (first) {
      min = v;
      max = v;
      first = false;
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max };
}

/** `torch.minimum` of two scalars: NaN-propagating, `a` on ties. */
export function torchMinimum(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return b < a ? b : a;
}

/** `torch.maximum` of two scalars: NaN-propagating, `a` on ties. */
export function torchMaximum(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return a < b ? b : a;
}

/**
 * Per-channel `aminmax`: PyTorch swaps `chAxis` with dim 0, flattens the rest and reduces each
 * row (`torch.aminmax(y, dim=1)`).
 * @throws {RangeError} when `chAxis` is not a dimension of `x` or `x` has rank < 2 (PyTorch's
 * IndexError).
 */
export function aminmaxPerChannel(
  x: Tensor,
  chAxis: number,
): { min: Float32Array; max: Float32Array } {
  const axis = checkAxis("chAxis", chAxis, x.shape.length);
  if (x.shape.length < 2) {
    // PyTorch flattens the permuted tensor from dim 1, which a 1-D tensor does not have.
    throw new RangeError(
      `x: a per-channel observer needs a tensor of rank >= 2, got shape [${x.shape}]`,
    );
  }
  const { outer, channels, inner } = splitAtAxis(x.shape, axis);
  const min = new Float32Array(channels).fill(Infinity);
  const max = new Float32Array(channels).fill(-Infinity);
  const seen = new Uint8Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const start = (o * channels + c) * inner;
      for (let i = start; i < start + inner; i++) {
        const v = x.data[i];
        if (min[c] !== min[c]) continue; // already NaN
        if (v !== v) {
          min[c] = NaN;
          max[c] = NaN;
        } else if (!seen[c]) {
          min[c] = v;
          max[c] = v;
          seen[c] = 1;
        } else {
          if (v < min[c]) min[c] = v;
          if (v > max[c]) max[c] = v;
        }
      }
    }
  }
  return { min, max };
}

/**
 * Combines per-channel running statistics with a new batch's, element by element with
 * PyTorch's broadcasting (a length-1 side repeats).
 * @throws {RangeError} when the channel counts differ and neither is 1.
 */
export function broadcastChannels(
  current: Float32Array,
  running: Float32Array,
  combine: (cur: number, run: number) => number,
): Float32Array {
  const n = current.length === running.length || running.length === 1
    ? current.length
    : current.length === 1
    ? running.length
    : -1;
  if (n < 0) {
    throw new RangeError(
      `x: ${current.length} channels do not match the ${running.length} observed before ` +
        `(${show(current.length)} vs ${show(running.length)})`,
    );
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = combine(
      current[current.length === 1 ? 0 : i],
      running[running.length === 1 ? 0 : i],
    );
  }
  return out;
}
