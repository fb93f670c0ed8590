/**
 * The kernel-module contract: how anyone's int8 kernels plug into `deno task conform --kernels`
 * and `deno task bench --kernels`.
 *
 * A kernel module is an ES module whose default export (or named export `kernels`) is
 *
 * ```ts
 * {
 *   name: "my-kernels",               // short name for reports
 *   numerics: "qnnpack",              // whose arithmetic it claims (KERNEL_MODULE_NUMERICS)
 *   description: "scalar TypeScript", // optional, one line
 *   ops: {                            // registered op name → implementation
 *     quantized_add: (args: BinaryArgs) => QuantizedTensor,
 *     quantized_relu: (args: UnaryArgs) => QuantizedTensor,
 *     // … any subset of the registry's ops; an implementation may return a promise
 *   },
 * }
 * ```
 *
 * Each implementation receives exactly the argument object of the registry's descriptor for that
 * op (`ops/registry.ts`; e.g. `{ a, b, output }` of per-tensor QuantizedTensors for
 * `quantized_add`) and returns exactly what the op's reference returns (a QuantizedTensor for the
 * unary, binary, pool and cat families; the `reference/onnx/` result for the `onnx` family). It
 * must throw (or reject) where the reference refuses the arguments. Arguments the reference takes
 * but the module does not handle (a dtype, a per-channel zero point) it refuses with an error
 * named `NotSupportedError` (`new DOMException(why, "NotSupportedError")`): such a golden case is
 * reported unsupported, such a property draw skipped and counted — never passed.
 *
 * `numerics` is a PyTorch numerics (`NUMERICS` of reference/engine.ts: `fbgemm`,
 * `fbgemm_avx512_vnni`, `onednn`, `qnnpack`) or the `onnx` profile. Ops
 * whose result depends on PyTorch's engine are checked against the reference of the declared
 * numerics (and against the golden cases recorded under it); engine-independent ops are checked
 * under any numerics.
 * @module
 */
import { show } from "../reference/_check.ts";
import { type Engine, linearNumerics, NUMERICS, type Numerics } from "../reference/engine.ts";
import { type AnyOp, runReference } from "./op.ts";
import { opRegistry } from "./registry.ts";

/** The error name by which a module says it does not handle arguments the reference takes. */
export const NOT_SUPPORTED = "NotSupportedError";

/** Whether `e` is a module's "not supported" refusal (an error named `NotSupportedError`). */
export function isNotSupported(e: unknown): boolean {
  return (e as Error | null)?.name === NOT_SUPPORTED;
}

/** The numerics a kernel module may declare: PyTorch's, per engine and ISA, or ONNX's profile. */
export const KERNEL_MODULE_NUMERICS: readonly (Numerics | "onnx")[] = [...NUMERICS, "onnx"];

/** A numerics a kernel module may declare. */
export type KernelModuleNumerics = Numerics | "onnx";

/** One op of a kernel module: the registry's arguments in, the registry's result out. */
// deno-lint-ignore no-explicit-any
export type KernelModuleOp<A = any, R = any> = (args: A) => R | Promise<R>;

/** A third-party kernel set: see the module documentation. */
export interface KernelModule {
  /** A short name for reports (`onnxruntime-web`, `my-kernels`). */
  readonly name: string;
  /** The arithmetic it claims to reproduce bit for bit. */
  readonly numerics: KernelModuleNumerics;
  /** One line: what it is. */
  readonly description?: string;
  /** Implementations by registered op name. */
  readonly ops: Readonly<Record<string, KernelModuleOp>>;
}

/**
 * The numerics a PyTorch engine (a golden case's `engine`) computes with: a numerics name is
 * itself; a backend name is what it selects on its modelled CPU (`linearNumerics`: `x86` and
 * `fbgemm` are FBGEMM on AVX2). The reference of a module's numerics is that numerics itself
 * (none for `onnx`).
 */
export function engineNumerics(engine: Engine): KernelModuleNumerics {
  return linearNumerics(engine);
}

/** The engine any engine-independent op is computed with when none is given. */
const ANY_ENGINE: Engine = "onednn";

/**
 * The engine whose reference a module of `numerics` is checked against for `op`: the numerics'
 * own engine, or any engine for an engine-independent op under the `onnx` profile; undefined
 * when the op depends on PyTorch's engine and the numerics names none.
 */
export function referenceEngine(numerics: KernelModuleNumerics, op: AnyOp): Engine | undefined {
  if (numerics !== "onnx") return numerics;
  return op.engine === "required" ? undefined : ANY_ENGINE;
}

/**
 * Whether a golden case recorded under `caseEngine` (undefined: none named) checks a module of
 * `numerics` for `op`: always for an engine-independent op, else when the case's engine computes
 * with the module's numerics.
 */
export function caseChecksModule(
  op: AnyOp,
  caseEngine: Engine | undefined,
  numerics: KernelModuleNumerics,
): boolean {
  if (op.engine !== "required") return true;
  return caseEngine !== undefined && engineNumerics(caseEngine) === numerics;
}

/**
 * Checks that `value` is a kernel module and returns it.
 * @param source where it came from, for the messages (a path, a URL or a built-in name).
 * @throws {TypeError} for a missing or ill-typed field or a non-function op.
 * @throws {RangeError} for unknown numerics, an op name the registry lacks, an engine-dependent
 * op under `onnx` numerics, or no op at all.
 */
export function checkKernelModule(value: unknown, source: string): KernelModule {
  const where = `kernel module ${source}`;
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `${where}: the default export (or export "kernels") must be an object ` +
        `{ name, numerics, ops }, got ${show(value)}`,
    );
  }
  const m = value as Record<string, unknown>;
  if (typeof m.name !== "string" || m.name.trim() === "") {
    throw new TypeError(`${where}: name: expected a non-empty string, got ${show(m.name)}`);
  }
  if (!(KERNEL_MODULE_NUMERICS as readonly unknown[]).includes(m.numerics)) {
    throw new RangeError(
      `${where}: numerics: unknown numerics ${show(m.numerics)}; expected one of ${
        KERNEL_MODULE_NUMERICS.join(", ")
      }`,
    );
  }
  if (m.description !== undefined && typeof m.description !== "string") {
    throw new TypeError(`${where}: description: expected a string, got ${show(m.description)}`);
  }
  if (m.ops === null || typeof m.ops !== "object" || Array.isArray(m.ops)) {
    throw new TypeError(
      `${where}: ops: expected an object of registered op name → function, got ${show(m.ops)}`,
    );
  }
  const registry = opRegistry();
  const numerics = m.numerics as KernelModuleNumerics;
  const names = Object.keys(m.ops);
  if (names.length === 0) throw new RangeError(`${where}: ops: implements no op`);
  for (const name of names) {
    const op = registry.get(name);
    if (op === undefined) {
      throw new RangeError(
        `${where}: ops.${name}: not a registered op; registered: ${
          [...registry.keys()].join(", ")
        }`,
      );
    }
    const impl = (m.ops as Record<string, unknown>)[name];
    if (typeof impl !== "function") {
      throw new TypeError(
        `${where}: ops.${name}: expected a function (args) => result, got ${show(impl)}`,
      );
    }
    if (referenceEngine(numerics, op) === undefined) {
      throw new RangeError(
        `${where}: ops.${name}: its result depends on PyTorch's engine, and numerics ` +
          `"${numerics}" names none; declare one of ${
            KERNEL_MODULE_NUMERICS.filter((n) => n !== "onnx").join(", ")
          }`,
      );
    }
  }
  return {
    name: m.name,
    numerics,
    description: m.description as string | undefined,
    ops: { ...(m.ops as Record<string, KernelModuleOp>) },
  };
}

/**
 * The reference as a kernel module of `numerics` implementing `ops`: what every module of that
 * numerics must equal (a baseline, and the base of test modules with planted bugs).
 * @throws {RangeError} for an engine-dependent op under `onnx` numerics.
 */
export function referenceKernelModule(
  numerics: KernelModuleNumerics,
  ops: readonly AnyOp[],
): KernelModule {
  const impls: Record<string, KernelModuleOp> = {};
  for (const op of ops) {
    const engine = referenceEngine(numerics, op);
    if (engine === undefined) {
      throw new RangeError(
        `ops: ${op.name} depends on PyTorch's engine; numerics ${numerics} names none`,
      );
    }
    impls[op.name] = (args) => runReference(op, args, engine);
  }
  return {
    name: "reference",
    numerics,
    description: `the scalar reference (${numerics})`,
    ops: impls,
  };
}
