/**
 * The iteration order of PyTorch 1.13's TensorIterator (aten/src/ATen/TensorIterator.cpp),
 * which decides which elements an ATen CPU kernel visits together and therefore which take a
 * kernel's vector path and in what order a reduction adds (internal):
 *
 * - `reorder_dimensions`: an insertion sort of the dimensions, from the last one, by the
 *   operands' strides (the output first): smaller strides go innermost, equal strides put the
 *   smaller size first, a broadcast (stride-0) dimension does not decide; in a reduction the
 *   output's reduced (stride-0) dimensions go innermost;
 * - `coalesce_dimensions`: adjacent dimensions merge where every operand is contiguous across
 *   them (or one of them has size 1);
 * - the walk: the kernel sees the two innermost dimensions at a time (`loop2d`), the outer ones
 *   counted in order (one thread, as the recordings run).
 * @module
 */

/** One dimension of the iteration space: its size and each operand's stride (elements). */
export interface IterDim {
  size: number;
  strides: number[];
}

/** Row-major strides of `shape`, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  return shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
}

/** Channels-last strides of an `[N, C, H, W]` shape, in elements. */
export function channelsLastStrides(shape: readonly number[]): number[] {
  const [, c, h, w] = shape;
  return [h * w * c, 1, w * c, c];
}

/**
 * The iteration dimensions, innermost first, after reordering and coalescing.
 * @param shape the iteration shape
 * @param operandStrides each operand's strides over `shape` (the output first; 0 where an
 * operand is broadcast or, in a reduction, reduced)
 * @param reduction whether this is a reduction (its output's stride-0 dimensions go innermost)
 */
export function iterationDims(
  shape: readonly number[],
  operandStrides: readonly (readonly number[])[],
  reduction = false,
): IterDim[] {
  const rank = shape.length;
  const shouldSwap = (d0: number, d1: number): number => {
    for (let k = 0; k < operandStrides.length; k++) {
      const s0 = operandStrides[k][d0];
      const s1 = operandStrides[k][d1];
      if (reduction && k === 0 && (s0 === 0) !== (s1 === 0)) return s1 === 0 ? 1 : -1;
      if (s0 === 0 || s1 === 0) continue;
      if (s0 < s1) return -1;
      if (s0 > s1) return 1;
      if (shape[d0] > shape[d1]) return 1;
    }
    return 0;
  };
  const perm = [...Array(rank).keys()].reverse();
  for (let i = 1; i < rank; i++) {
    let d1 = i;
    for (let d0 = i - 1; d0 >= 0; d0--) {
      const c = shouldSwap(perm[d0], perm[d1]);
      if (c > 0) {
        [perm[d0], perm[d1]] = [perm[d1], perm[d0]];
        d1 = d0;
      } else if (c < 0) break;
    }
  }
  const dims = perm.map((d) => ({ size: shape[d], strides: operandStrides.map((s) => s[d]) }));
  if (dims.length === 0) return dims;
  const out: IterDim[] = [{ size: dims[0].size, strides: [...dims[0].strides] }];
  for (let d = 1; d < dims.length; d++) {
    const prev = out[out.length - 1];
    const cur = dims[d];
    const can = prev.size === 1 || cur.size === 1 ||
      prev.strides.every((s, k) => prev.size * s === cur.strides[k]);
    if (can) {
      if (prev.size === 1) prev.strides = [...cur.strides];
      prev.size *= cur.size;
    } else out.push({ size: cur.size, strides: [...cur.strides] });
  }
  return out;
}

/**
 * Walks the iteration space two dimensions at a time, as `serial_for_each` calls a `loop2d`:
 * `step(bases, d0, d1)` with each operand's base offset and the two innermost dimensions
 * (size 1 when there are fewer).
 */
export function forEach2d(
  dims: readonly IterDim[],
  operands: number,
  step: (bases: number[], d0: IterDim, d1: IterDim) => void,
): void {
  const one = { size: 1, strides: new Array<number>(operands).fill(0) };
  const [d0, d1] = [dims[0] ?? one, dims[1] ?? one];
  const outer = dims.slice(2);
  const counter = new Array<number>(outer.length).fill(0);
  for (;;) {
    const bases = new Array<number>(operands).fill(0);
    outer.forEach((d, k) => d.strides.forEach((s, o) => (bases[o] += counter[k] * s)));
    step(bases, d0, d1);
    let k = 0;
    for (; k < outer.length; k++) {
      if (++counter[k] < outer[k].size) break;
      counter[k] = 0;
    }
    if (k === outer.length) break;
  }
}
