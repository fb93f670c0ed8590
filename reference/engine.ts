/**
 * Two of the library's three vocabularies, kept apart (the third, kernel path names such as
 * `x86-relaxed`, lives in `kernels/paths.ts`):
 *
 * - **Backend**: PyTorch's `torch.backends.quantized.engine` names — `fbgemm`, `x86`, `qnnpack`,
 *   `onednn`. A backend does not fix the arithmetic by itself: FBGEMM computes differently on
 *   AVX2 and on AVX-512 VNNI CPUs, and the `x86` backend sends convolutions to oneDNN or FBGEMM
 *   depending on the CPU and the weight.
 * - **Numerics**: the arithmetic this library reproduces bit for bit, one per engine and ISA/build:
 *   `fbgemm` (FBGEMM on AVX2, GCC-built), `fbgemm_avx512_vnni`, `onednn` (oneDNN on a VNNI CPU),
 *   `qnnpack`. docs/numerics/engines.md describes each one.
 *
 * The reference's `engine` option and a golden case's `engine` field accept both (`Engine`): a
 * numerics name says exactly which arithmetic; a backend name means that backend on its modelled
 * CPU (`DEFAULT_ISA`).
 * @module
 */
import { show } from "./_check.ts";

/** PyTorch's quantized backends (`torch.backends.quantized.engine`). */
export type Backend = "fbgemm" | "x86" | "qnnpack" | "onednn";

/** Every backend name, in PyTorch's order. */
export const BACKENDS: readonly Backend[] = ["fbgemm", "x86", "qnnpack", "onednn"];

/** The arithmetic the library reproduces (one per engine and ISA/build). */
export type Numerics = "fbgemm" | "fbgemm_avx512_vnni" | "onednn" | "qnnpack";

/** What one numerics is: the library it comes from, the CPU and build it assumes. */
export interface NumericsInfo {
  /** The numerics name. */
  readonly name: Numerics;
  /** The library that computes it in PyTorch. */
  readonly library: string;
  /** The instruction set it assumes. */
  readonly isa: string;
  /** The build assumption (compiler behaviour that changes results). */
  readonly build: string;
  /** How the int8 GEMM accumulates: `saturating` int16 pairs or `exact` int32. */
  readonly gemm: "saturating" | "exact";
}

/** The table of every numerics (adding a numerics is one row here plus its formulas). */
export const NUMERICS_INFO: Readonly<Record<Numerics, NumericsInfo>> = {
  fbgemm: {
    name: "fbgemm",
    library: "FBGEMM",
    isa: "AVX2 (vpmaddubsw)",
    build: "GCC, multiply-adds of the requantization contracted to FMA",
    gemm: "saturating",
  },
  fbgemm_avx512_vnni: {
    name: "fbgemm_avx512_vnni",
    library: "FBGEMM",
    isa: "AVX-512 VNNI (vpdpbusd; depthwise kernels stay AVX2 and saturate)",
    build: "GCC, multiply-adds of the requantization contracted to FMA",
    gemm: "exact",
  },
  onednn: {
    name: "onednn",
    library: "oneDNN 2.6 (through ideep)",
    isa: "AVX-512 VNNI or AVX-VNNI",
    build: "JIT kernels (no compiler contraction)",
    gemm: "exact",
  },
  qnnpack: {
    name: "qnnpack",
    library: "QNNPACK",
    isa: "any (exact int32 arithmetic)",
    build: "none",
    gemm: "exact",
  },
};

/** Every numerics name. */
export const NUMERICS: readonly Numerics[] = Object.keys(NUMERICS_INFO) as Numerics[];

/** What the reference's `engine` option and a golden case's `engine` field may name. */
export type Engine = Backend | Numerics;

/** Every accepted engine name: the backends, then the numerics that are not backend names. */
export const ENGINES: readonly Engine[] = [
  ...BACKENDS,
  ...NUMERICS.filter((n) => !(BACKENDS as readonly string[]).includes(n)),
];

/** The x86 instruction sets that change PyTorch's int8 results. */
export type Isa = "avx2" | "avx512_vnni";

/** Every ISA name. */
export const ISAS: readonly Isa[] = ["avx2", "avx512_vnni"];

/**
 * The CPU each x86 backend is modelled on when no ISA is given: AVX2 for FBGEMM (what the
 * `fbgemm` numerics name means, and what FBGEMM computes on every x86 CPU without AVX-512 VNNI);
 * a VNNI CPU for oneDNN, whose arithmetic without VNNI (int16 pair saturation) is not reproduced.
 */
export const DEFAULT_ISA: Readonly<Record<Exclude<Backend, "qnnpack">, Isa>> = {
  fbgemm: "avx2",
  x86: "avx2",
  onednn: "avx512_vnni",
};

/** Whether `name` is a backend name. */
export function isBackend(name: unknown): name is Backend {
  return (BACKENDS as readonly unknown[]).includes(name);
}

/** Whether `name` is an engine name (a backend or a numerics). */
export function isEngine(name: unknown): name is Engine {
  return (ENGINES as readonly unknown[]).includes(name);
}

/**
 * Checks an engine name.
 * @throws {RangeError} naming the argument, the value and the valid names.
 */
export function checkEngine(engine: unknown, argument = "engine"): Engine {
  if (!isEngine(engine)) {
    throw new RangeError(
      `${argument}: unknown engine ${show(engine)}; expected one of ${ENGINES.join(", ")}`,
    );
  }
  return engine;
}

/**
 * The ISA a backend runs on: `isa` when given, else the backend's modelled CPU.
 * @throws {RangeError} for an unknown ISA, an ISA given to `qnnpack`, or `onednn` on AVX2.
 */
export function backendIsa(backend: Backend, isa?: Isa): Isa | undefined {
  if (isa !== undefined && !(ISAS as readonly unknown[]).includes(isa)) {
    throw new RangeError(`isa: unknown ISA ${show(isa)}; expected one of ${ISAS.join(", ")}`);
  }
  if (backend === "qnnpack") {
    if (isa !== undefined) {
      throw new RangeError(
        `isa: the qnnpack backend's numerics do not depend on the x86 ISA; got ${show(isa)}`,
      );
    }
    return undefined;
  }
  const chosen = isa ?? DEFAULT_ISA[backend];
  if (backend === "onednn" && chosen === "avx2") {
    throw new RangeError(
      `isa: oneDNN's int8 arithmetic on CPUs without VNNI (int16 pair saturation in the GEMM) ` +
        `is not reproduced; the onednn numerics are those of a VNNI CPU ("avx512_vnni")`,
    );
  }
  return chosen;
}

/** FBGEMM's numerics on an ISA. */
function fbgemmOn(isa: Isa | undefined): Numerics {
  return isa === "avx512_vnni" ? "fbgemm_avx512_vnni" : "fbgemm";
}

/**
 * The numerics of a linear layer (static or dynamic): the numerics itself for a numerics name;
 * for a backend, what it runs on `isa` (default: its modelled CPU). The `x86` backend runs every
 * linear layer on FBGEMM (qlinear_prepack.cpp: `X86` packs `PackedLinearWeight`).
 */
export function linearNumerics(engine: Engine, isa?: Isa): Numerics {
  checkEngine(engine);
  if (!isBackend(engine)) return engine;
  if (engine === "qnnpack") return "qnnpack";
  const chosen = backendIsa(engine, isa);
  return engine === "onednn" ? "onednn" : fbgemmOn(chosen);
}

/** What the `x86` backend's convolution dispatch looks at. */
export interface ConvDispatchFacts {
  /** Every weight zero point is 0 (per tensor or per channel). */
  readonly weightSymmetric: boolean;
  /** The number of groups. */
  readonly groups: number;
}

/**
 * The numerics of a convolution: the numerics itself for a numerics name; for a backend, what it
 * runs on `isa` (default: its modelled CPU). The `x86` backend (PyTorch 1.13 and 2.x,
 * `onednn_utils::should_use_onednn_quant`) sends a convolution to oneDNN when the CPU has
 * AVX-512 VNNI, the weight is symmetric (all zero points 0), `groups <= 100` and the output
 * padding is zero (always, for conv2d); otherwise to FBGEMM.
 */
export function convNumerics(engine: Engine, facts: ConvDispatchFacts, isa?: Isa): Numerics {
  checkEngine(engine);
  if (engine !== "x86") return linearNumerics(engine, isa);
  const chosen = backendIsa(engine, isa);
  const onednn = chosen === "avx512_vnni" && facts.weightSymmetric && facts.groups <= 100;
  return onednn ? "onednn" : fbgemmOn(chosen);
}

/**
 * Whether quantize_per_tensor follows FBGEMM's AVX2 kernel for NaN, ±Infinity and values beyond
 * int32 (PyTorch builds with FBGEMM quantize through `fbgemm::Quantize` whatever the engine; this
 * library models that build for the FBGEMM numerics and backends).
 */
export function quantizesLikeFbgemm(engine: Engine): boolean {
  checkEngine(engine);
  return engine === "fbgemm" || engine === "x86" || engine === "fbgemm_avx512_vnni";
}
