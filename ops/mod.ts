/**
 * The op registry and the kernel-module contract, as the library exports them: every registered
 * op (`OPS`, `opRegistry`), the argument types a kernel module's ops receive, and the contract
 * itself (`KernelModule`, `checkKernelModule`, `loadKernelModule`, `referenceKernelModule`).
 * @module
 */
export type { AnyOp, OpDescriptor, OpFamily } from "./op.ts";
export { runReference } from "./op.ts";
export { opRegistry, OPS } from "./registry.ts";
export type { UnaryArgs, UnaryQParams } from "./unary.ts";
export type { BinaryArgs } from "./binary.ts";
export type { PoolArgs } from "./pool.ts";
export type { CatArgs } from "./cat.ts";
export type {
  ConvIntegerOpArgs,
  DequantizeLinearOpArgs,
  DynamicQuantizeLinearOpArgs,
  MatMulIntegerOpArgs,
  QLinearBinaryOpArgs,
  QLinearConvOpArgs,
  QLinearMatMulOpArgs,
  QuantizeLinearOpArgs,
} from "./onnx.ts";
export {
  checkKernelModule,
  isNotSupported,
  KERNEL_MODULE_NUMERICS,
  type KernelModule,
  type KernelModuleNumerics,
  type KernelModuleOp,
  NOT_SUPPORTED,
  referenceKernelModule,
} from "./kernel_module.ts";
export { BUILT_IN_KERNEL_MODULES, loadKernelModule } from "./load_kernel_module.ts";
