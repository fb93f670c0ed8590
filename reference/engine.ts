/**
 * PyTorch's quantized engines and the numerics family each one selects.
 * @module
 */

/** `torch.backends.quantized.engine` values. */
export type Engine = "fbgemm" | "x86" | "qnnpack" | "onednn";

/**
 * The integer-arithmetic family of an engine: `fbgemm` (x86: u8·s8 pairs summed with int16
 * saturation, row/column offsets, float requantization) or `qnnpack` (ARM: zero points
 * subtracted, exact int32 accumulation, QNNPACK requantization).
 */
export type NumericsFamily = "fbgemm" | "qnnpack";

/** The engines whose GEMM numerics this library reproduces. */
export const GEMM_ENGINES: readonly Engine[] = ["fbgemm", "x86", "qnnpack"];

/**
 * The numerics family of an engine. `x86` is FBGEMM for linear layers (PyTorch 2.x routes x86
 * convolutions to oneDNN, which is not reproduced).
 * @throws {RangeError} for `onednn` and unknown names.
 */
export function numericsFamily(engine: Engine): NumericsFamily {
  if (engine === "fbgemm" || engine === "x86") return "fbgemm";
  if (engine === "qnnpack") return "qnnpack";
  throw new RangeError(
    `engine: ${
      JSON.stringify(engine)
    } has no reproduced GEMM numerics; use "fbgemm", "x86" or "qnnpack"`,
  );
}
