/**
 * ATen's float32 CPU kernels for `sigmoid`, `tanh` and `relu`, bit for bit as PyTorch 1.13
 * computes them on x86-64 with the AVX2 CPU capability (the Debian build the goldens were recorded
 * with; `torch.__config__.show()` says "CPU capability usage: AVX2", no MKL):
 *
 * - **sigmoid** (cpu/UnaryOpsKernel.cpp `sigmoid_kernel`, `cpu_kernel_vec`): over each contiguous
 *   run of the tensor (a row of a strided view), the first `floor(n/16)·16` elements take the
 *   vector lambda `reciprocal(exp(0 − x) + 1)` with SLEEF's AVX2 `expf` and a true division; the
 *   rest take the scalar lambda `1 / (1 + std::exp(−x))` with glibc's `expf`.
 * - **tanh** (`IMPLEMENT_FLOAT_KERNEL(tanh)` → `vml::vtanh` without MKL): `vec::map` with
 *   `Vectorized<float>::tanh` (SLEEF's AVX2 `tanhf`) on every element — the tail is loaded as a
 *   partial vector, so it takes SLEEF too.
 * - **relu** (`clamp_min(x, 0)`): 0 for x < 0, x otherwise (NaN and −0 pass through).
 *
 * The split of sigmoid was measured against `torch.sigmoid` on this machine (lengths 1..40, 100,
 * 257, and the strided chunks of an LSTM's gates): SLEEF and glibc disagree on about 4% of
 * inputs, so the split is observable. Multi-threaded PyTorch splits the work per thread and
 * moves the tails; PyTorch's own recordings here are single-threaded.
 * @module
 */
import { f32 } from "./float32.ts";
import { expf } from "./_libm.ts";
import { sleefExpf, sleefTanhf } from "./_sleef.ts";

/** Elements per step of ATen's AVX2 `vectorized_loop` (two 8-lane vectors). */
export const ATEN_AVX2_VECTOR_STEP = 16;

/** The vector lane of float sigmoid: `1 / (exp(0 − x) + 1)` with SLEEF's `expf`. */
export function sigmoidVectorLane(x: number): number {
  return f32(1 / f32(sleefExpf(f32(0 - x)) + 1));
}

/** The scalar lane of float sigmoid: `1 / (1 + expf(−x))` with glibc's `expf`. */
export function sigmoidScalarLane(x: number): number {
  return f32(1 / f32(1 + expf(-x)));
}

/** Checks that `run` splits `length` elements into whole runs. */
function checkRun(length: number, run: number): void {
  if (!Number.isInteger(run) || run < 1 || length % run !== 0) {
    throw new RangeError(
      `run: expected a positive integer that divides the length ${length}, got ${run}`,
    );
  }
}

/**
 * `torch.sigmoid` of `x`, whose contiguous runs are `run` elements long (the whole array for a
 * contiguous tensor; the row length for the rows of a strided view, such as an LSTM's gate
 * chunks). Writes into `out` (which may be `x`) and returns it.
 * @throws {RangeError} when `run` does not divide the length.
 */
export function atenSigmoid(
  x: Float32Array,
  run: number = x.length,
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  if (x.length === 0) return out;
  checkRun(x.length, run);
  const vector = Math.floor(run / ATEN_AVX2_VECTOR_STEP) * ATEN_AVX2_VECTOR_STEP;
  for (let start = 0; start < x.length; start += run) {
    for (let i = 0; i < run; i++) {
      const v = x[start + i];
      out[start + i] = i < vector ? sigmoidVectorLane(v) : sigmoidScalarLane(v);
    }
  }
  return out;
}

/** `torch.tanh` of `x` (SLEEF on every element). Writes into `out` (which may be `x`). */
export function atenTanh(
  x: Float32Array,
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  for (let i = 0; i < x.length; i++) out[i] = sleefTanhf(x[i]);
  return out;
}

/** `torch.relu` of `x`: 0 below zero, NaN and −0 unchanged. Writes into `out`. */
export function atenRelu(
  x: Float32Array,
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? 0 : x[i];
  return out;
}
