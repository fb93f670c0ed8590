/**
 * The op descriptor: everything the library knows about one quantized op, in one object.
 *
 * A descriptor names the op as golden files do (`quantized_leaky_relu`), says how a golden case
 * maps to its arguments and its result back to outputs, checks its arguments (the single check
 * point the reference and every kernel path go through), computes it with the reference (the
 * only oracle), binds it to its kernel family on a kernel set, declares the domains its property
 * tests draw from, and names its nn module where there is one. Conformance handlers, kernel
 * properties and per-family benchmarks are generated from these descriptors; nothing else
 * lists ops.
 * @module
 */
import type { Produced } from "../conformance/compare.ts";
import type { CaseReader, NameSpec } from "../conformance/op_handler.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";
import type { Engine } from "../reference/engine.ts";
import type { Domain } from "./domain.ts";

/**
 * The kernel family an op runs on. Ops of one family share the KernelSet methods they run on,
 * their golden codec's shape and their property generators:
 * - `quantize`: quantize / dequantize / requantize (per tensor and per channel);
 * - `gemm`: linear layers on packed weights (static and dynamic);
 * - `conv`: 2-D convolutions on packed weights;
 * - `binary`: elementwise ops of two quantized tensors (add, mul);
 * - `unary`: per-element functions of one quantized tensor (clamps and 256-entry tables);
 * - `channelwise`: per-channel functions of the codes (batch norm: one table per channel);
 * - `pool`: max / average / adaptive average pooling;
 * - `cat`: concatenation along channels;
 * - `onnx`: ONNX's quantization operators (the `onnx` numerics profile; other engines run them);
 * - `reference`: ops with no kernels (observers, fake quantization, fusion, scalar ops).
 */
export type OpFamily =
  | "quantize"
  | "gemm"
  | "conv"
  | "binary"
  | "unary"
  | "channelwise"
  | "pool"
  | "cat"
  | "onnx"
  | "reference";

/**
 * Whether and how an op's result depends on PyTorch's quantized engine: `required` (golden cases
 * must name the engine), `optional` (engine-independent; a case may name one), or `none`.
 */
export type EngineUse = "required" | "optional";

/** How a golden case maps to an op's arguments and its result back to golden outputs. */
export interface GoldenCodec<A, R> {
  /** Attribute names the op knows; any other makes a case `unsupported`. */
  readonly attrs: NameSpec;
  /** Input names the op knows. */
  readonly inputs: NameSpec;
  /** Output names the op can produce. */
  readonly outputs: NameSpec;
  /** Reads a case into the op's arguments (throws MalformedCase / UnsupportedCase). */
  decode(c: CaseReader): A;
  /**
   * The golden outputs of a result (`engine`: the case's, for outputs that mark where PyTorch
   * builds disagree).
   */
  encode(result: R, args: A, engine?: Engine): Record<string, Produced>;
}

/** How an op runs on a kernel set's family methods. */
export interface KernelBinding<A, R> {
  /**
   * Whether `set` computes these arguments with the numerics of `engine` (a case it does not
   * support stays reference-only on that path; the reference must compute it).
   */
  supports(set: KernelSet, args: A, engine: Engine): boolean;
  /** Runs the op on `set` (arguments already checked). */
  run(set: KernelSet, args: A, engine: Engine): R;
}

/** What the property tests of an op draw, beyond its family's tensors and qparams. */
export interface PropertySpec {
  /** One domain per op parameter (the family draws the tensors and qparams). */
  readonly params: Readonly<Record<string, Domain>>;
  /** Scales the number of runs for an expensive op (default 1). */
  readonly runsFactor?: number;
}

/** One op. `A` is its argument object, `R` its result. */
export interface OpDescriptor<A = unknown, R = unknown> {
  /** The golden op name (PyTorch's, prefixed `quantized_` for quantized ops). */
  readonly name: string;
  /** The kernel family. */
  readonly family: OpFamily;
  /** What PyTorch calls, e.g. `torch.ops.quantized.leaky_relu`. */
  readonly pytorch: string;
  /** Whether the result depends on the engine. */
  readonly engine: EngineUse;
  /** The golden contract. */
  readonly golden: GoldenCodec<A, R>;
  /**
   * Checks the arguments for `engine` (some refusals are an engine's: QNNPACK refuses a 1×1
   * pooling window); throws a TypeError or RangeError naming the argument, its value and the
   * allowed range. The reference and every kernel path go through it before computing. Where the
   * reference validates everything up front, this is the reference on an empty batch.
   */
  check(args: A, engine: Engine): void;
  /** The reference: the op as PyTorch computes it with `engine`'s numerics. */
  reference(args: A, engine: Engine): R;
  /** The kernel binding, for ops of a family with kernels. */
  readonly kernel?: KernelBinding<A, R>;
  /** Property-test domains (kernel ≡ reference over them). */
  readonly properties?: PropertySpec;
}

/**
 * A descriptor of any op (the registry holds ops of different argument types; callers that know
 * the op use its own type).
 */
// deno-lint-ignore no-explicit-any
export type AnyOp = OpDescriptor<any, any>;

/** Runs an op on the reference, after its check. */
export function runReference<A, R>(op: OpDescriptor<A, R>, args: A, engine: Engine): R {
  op.check(args, engine);
  return op.reference(args, engine);
}

/**
 * Runs an op on a kernel set, after its check: the one boundary between callers and kernels, so
 * a kernel path refuses exactly the inputs the reference refuses.
 * @throws {RangeError} when the op has no kernel binding or the set does not support the args.
 */
export function runKernel<A, R>(
  op: OpDescriptor<A, R>,
  set: KernelSet,
  args: A,
  engine: Engine,
): R {
  op.check(args, engine);
  if (op.kernel === undefined || !op.kernel.supports(set, args, engine)) {
    throw new RangeError(`${op.name}: kernel set "${set.name}" does not run these arguments`);
  }
  return op.kernel.run(set, args, engine);
}
