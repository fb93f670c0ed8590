/**
 * Dynamic quantized RNNs on a kernel set: the layer and cell algorithm of
 * `reference/quantized_rnn.ts` with every matrix product on the set's dynamic linear kernel
 * (`linearDynamic`, reduce_range true as PyTorch's RNNs pass it). The gate arithmetic is the
 * reference's float code; the products are the kernels', bit for bit the reference of the set's
 * numerics.
 * @module
 */
import type { LinearWeight } from "../reference/quantized_linear.ts";
import type { CellLinears, RnnCellWeights, RnnLinearFn } from "../reference/quantized_rnn.ts";
import type { KernelSet } from "./kernel_set.ts";

/** A dynamic linear packed for a kernel set; `free()` returns its memory. */
export interface PackedDynamicLinear {
  /** Runs the dynamic linear on `m` rows. */
  readonly run: RnnLinearFn;
  /** Frees the packed weight. */
  free(): void;
}

/** Packs `weight` for `kernels` and returns its dynamic linear (reduce_range true). */
export function packDynamicLinear(kernels: KernelSet, weight: LinearWeight): PackedDynamicLinear {
  const packed = kernels.packLinear(weight);
  return {
    run: (x, m) => kernels.linearDynamic(x, m, packed, { reduceRange: true, relu: false }),
    free: () => packed.free(),
  };
}

/** The packed dynamic linears of RNN cells, and a `free()` for all of them. */
export interface PackedRnnCells {
  /** One pair per layer and direction, in the order given. */
  readonly cells: readonly CellLinears[];
  /** Frees every packed weight. */
  free(): void;
}

/** Packs the weights of every cell for `kernels`. */
export function packRnnCells(
  kernels: KernelSet,
  weights: readonly RnnCellWeights[],
): PackedRnnCells {
  const packed = weights.map((w) => ({
    ih: packDynamicLinear(kernels, w.ih),
    hh: packDynamicLinear(kernels, w.hh),
  }));
  return {
    cells: packed.map((p) => ({ ih: p.ih.run, hh: p.hh.run })),
    free: () => packed.forEach((p) => (p.ih.free(), p.hh.free())),
  };
}
