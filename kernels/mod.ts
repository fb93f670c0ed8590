/**
 * The kernels: WebAssembly SIMD code generated at load time by a typed assembler, in kernel sets
 * (paths) that each reproduce one numerics exactly — FBGEMM's on AVX2 or AVX-512 VNNI, oneDNN's,
 * QNNPACK's — plus the fp32 baseline.
 * @module
 */
export type {
  AvgPool2dArgs,
  CatInput,
  Dtype8,
  DynamicLinearArgs,
  KernelSet,
  MaxPool2dArgs,
  NhwcTensor,
  PackedLinearWeight,
  Pair,
  PerChannelArgs,
  PerTensorArgs,
  QParams8,
  QuantizedBinaryArgs,
} from "./kernel_set.ts";
export { kernelEngine } from "./kernel_set.ts";
export {
  bestKernelSet,
  hasExactUnsignedDot,
  hasPmaddubswDot,
  KERNEL_PATHS,
  type KernelPathName,
  type KernelSetOptions,
  kernelSets,
} from "./paths.ts";
export { X86BackendKernelSet, x86ConvNumerics } from "./x86_backend_kernel_set.ts";
export { defaultRuntime, KernelRuntime } from "./runtime.ts";
export { Fp32Linear, PackedFp32Linear } from "./fp32_linear.ts";
export { Fp32Ops, fp32Sigmoid, fp32Tanh } from "./fp32_ops.ts";
export {
  type DotLowering,
  hasRelaxedSimd,
  hasSimd128,
  type LaneselectSemantics,
  type RelaxedDotSemantics,
  type WasmFeatures,
  wasmFeatures,
} from "./features.ts";
export { type Block, KernelMemory } from "./memory.ts";
export * from "./wasm/mod.ts";
export { ReferenceKernelSet, requantizeReference } from "./reference_kernel_set.ts";
