/**
 * The kernel paths — the third vocabulary beside PyTorch's backends and the numerics
 * (reference/engine.ts): a path is one way to run one numerics on this engine, chosen from the
 * probed features (never from the user agent): plain SIMD128 paths always, relaxed-SIMD paths
 * only where a start-up probe proved that the relaxed instructions compute exactly what the
 * path's numerics need.
 *
 * | path | numerics | GEMM | needs |
 * |---|---|---|---|
 * | `x86` | fbgemm | int16 dots, pairs saturated by narrowing | SIMD128 |
 * | `x86-relaxed` | fbgemm | `pmaddubsw` (`i16x8.relaxed_dot`) | pmaddubsw probe |
 * | `x86-vnni` | fbgemm_avx512_vnni | exact int16 dots (depthwise: saturated) | SIMD128 |
 * | `x86-vnni-relaxed` | fbgemm_avx512_vnni | exact `vpdpbusd` (depthwise: `pmaddubsw`) | both probes |
 * | `x86-onednn` | onednn | exact int16 dots | SIMD128 |
 * | `x86-onednn-relaxed` | onednn | exact `vpdpbusd` | vpdpbusd probe |
 * | `arm` | qnnpack | exact int16 dots | SIMD128 |
 * | `arm-relaxed` | qnnpack | exact `vpdpbusd` | vpdpbusd probe |
 *
 * Every set is behind the checked boundary (`checkedKernelSet`). `kernelSets(name)` and
 * `bestKernelSet(name)` take a backend name (`fbgemm`, `x86`, `qnnpack`,
 * `onednn`: the paths of the numerics the backend uses on the modelled CPU, `{ isa }` to choose
 * it) or a path name; a backend name wins where the two coincide (`x86`).
 * @module
 */
import {
  type Backend,
  backendIsa,
  BACKENDS,
  type Isa,
  isBackend,
  linearNumerics,
  type Numerics,
} from "../reference/engine.ts";
import { show } from "../reference/_check.ts";
import type { WasmFeatures } from "./features.ts";
import type { KernelSet } from "./kernel_set.ts";
import type { QLinearPathConfig } from "./qlinear.ts";
import { ReferenceKernelSet } from "./reference_kernel_set.ts";
import { checkedKernelSet } from "./checked_kernel_set.ts";
import { defaultRuntime, type KernelRuntime } from "./runtime.ts";
import { WasmKernelSet } from "./wasm_kernel_set.ts";
import { X86BackendKernelSet } from "./x86_backend_kernel_set.ts";

/** Whether `i16x8.relaxed_dot_i8x16_i7x16_s` is exactly `pmaddubsw` (FBGEMM AVX2's arithmetic). */
export function hasPmaddubswDot(features: WasmFeatures): boolean {
  const d = features.relaxedDot;
  return d !== null && d.i16x8SecondOperandUnsigned && d.i16x8Saturates;
}

/** Whether `i32x4.relaxed_dot_i8x16_i7x16_add_s` is an exact u8·s8 dot (x86 `vpdpbusd`). */
export function hasExactUnsignedDot(features: WasmFeatures): boolean {
  const d = features.relaxedDot;
  return d !== null && d.secondOperandUnsigned && !d.i16PairSaturates && !d.i16PairWraps &&
    d.accumulatorHonoured;
}

/** Every kernel path name. */
export const KERNEL_PATHS = [
  "x86",
  "x86-relaxed",
  "x86-vnni",
  "x86-vnni-relaxed",
  "x86-onednn",
  "x86-onednn-relaxed",
  "arm",
  "arm-relaxed",
] as const;

/** A kernel path's name. */
export type KernelPathName = (typeof KERNEL_PATHS)[number];

/** What defines a path: its kernel configuration, its requirements, its one-line description. */
interface PathSpec extends
  Pick<
    QLinearPathConfig,
    "numerics" | "variant" | "unsaturatedVariant" | "saturatingVariant" | "mr" | "relaxed"
  > {
  readonly name: KernelPathName;
  /** Why the path cannot run with these features, or null when it can. */
  missing(features: WasmFeatures): string | null;
  description(features: WasmFeatures): string;
}

const needs = (ok: (f: WasmFeatures) => boolean, what: string) => (f: WasmFeatures) =>
  !f.simd128 ? "no SIMD128" : ok(f) ? null : what;
const simd = needs(() => true, "");
const PMADDUBSW = "relaxed SIMD whose i16x8.relaxed_dot is pmaddubsw (probe)";
const VPDPBUSD = "relaxed SIMD whose i32x4.relaxed_dot is an exact u8·s8 dot (vpdpbusd probe)";

const PATH_SPECS: readonly PathSpec[] = [
  {
    name: "x86",
    numerics: "fbgemm",
    variant: "dot16sat",
    mr: 2,
    relaxed: false,
    missing: simd,
    description: () =>
      "FBGEMM (x86 AVX2) numerics on SIMD128: int16 dot products, pair saturation by narrowing",
  },
  {
    name: "x86-relaxed",
    numerics: "fbgemm",
    variant: "x86sat",
    unsaturatedVariant: "usdot",
    mr: 4,
    relaxed: true,
    missing: needs(hasPmaddubswDot, PMADDUBSW),
    description: (f) =>
      "FBGEMM numerics on relaxed SIMD: i16x8.relaxed_dot = pmaddubsw (probed)" +
      (hasExactUnsignedDot(f) ? "; exact VNNI dot when no pair can saturate" : ""),
  },
  {
    name: "x86-vnni",
    numerics: "fbgemm_avx512_vnni",
    variant: "dot16",
    saturatingVariant: "dot16c2sat",
    mr: 4,
    relaxed: false,
    missing: simd,
    description: () =>
      "FBGEMM on AVX-512 VNNI numerics on SIMD128: exact int16 dot products (depthwise saturated)",
  },
  {
    name: "x86-vnni-relaxed",
    numerics: "fbgemm_avx512_vnni",
    variant: "usdot",
    saturatingVariant: "x86sat",
    mr: 4,
    relaxed: true,
    missing: needs(
      (f) => hasExactUnsignedDot(f) && hasPmaddubswDot(f),
      `${VPDPBUSD} and ${PMADDUBSW}`,
    ),
    description: () =>
      "FBGEMM on AVX-512 VNNI numerics on relaxed SIMD: exact i32x4.relaxed_dot (vpdpbusd, " +
      "probed); depthwise i16x8.relaxed_dot = pmaddubsw",
  },
  {
    name: "x86-onednn",
    numerics: "onednn",
    variant: "dot16",
    mr: 4,
    relaxed: false,
    missing: simd,
    description: () => "oneDNN (VNNI CPU) numerics on SIMD128: exact int16 dot products",
  },
  {
    name: "x86-onednn-relaxed",
    numerics: "onednn",
    variant: "usdot",
    mr: 4,
    relaxed: true,
    missing: needs(hasExactUnsignedDot, VPDPBUSD),
    description: () =>
      "oneDNN (VNNI CPU) numerics on relaxed SIMD: exact i32x4.relaxed_dot (vpdpbusd, probed)",
  },
  {
    name: "arm",
    numerics: "qnnpack",
    variant: "dot16",
    mr: 4,
    relaxed: false,
    missing: simd,
    description: () => "QNNPACK (ARM) numerics on SIMD128: exact int16 dot products",
  },
  {
    name: "arm-relaxed",
    numerics: "qnnpack",
    variant: "usdot",
    mr: 4,
    relaxed: true,
    missing: needs(hasExactUnsignedDot, VPDPBUSD),
    description: () =>
      "QNNPACK numerics on relaxed SIMD: exact u8·s8 i32x4.relaxed_dot (vpdpbusd, probed)",
  },
];

/**
 * The kernel configuration of every path these features can run (what `kernelSets()` builds),
 * for tests that build variants of the same paths.
 */
export function kernelPathConfigs(features: WasmFeatures): QLinearPathConfig[] {
  return PATH_SPECS.filter((spec) => features.simd128 && spec.missing(features) === null)
    .map((spec) => pathConfig(spec, features));
}

/** A path's kernel configuration on these features. */
function pathConfig(spec: PathSpec, f: WasmFeatures): QLinearPathConfig {
  return {
    name: spec.name,
    numerics: spec.numerics,
    variant: spec.variant,
    // x86-relaxed's exact twin needs the VNNI lowering; without it the path only saturates.
    unsaturatedVariant: spec.unsaturatedVariant === "usdot" && !hasExactUnsignedDot(f)
      ? undefined
      : spec.unsaturatedVariant,
    saturatingVariant: spec.saturatingVariant,
    mr: spec.mr,
    relaxed: spec.relaxed,
  };
}

const built = new WeakMap<KernelRuntime, Map<KernelPathName, KernelSet>>();

/**
 * The kernel set of one path on a runtime (built once per runtime), or the reference standing in
 * for a plain path when the engine has no SIMD128; null when a relaxed path cannot run here.
 */
function pathSet(spec: PathSpec, runtime: KernelRuntime): KernelSet | null {
  const f = runtime.features;
  if (!f.simd128) {
    return spec.relaxed ? null : checkedKernelSet(new ReferenceKernelSet(spec.name, spec.numerics));
  }
  if (spec.missing(f) !== null) return null;
  let sets = built.get(runtime);
  if (sets === undefined) built.set(runtime, sets = new Map());
  let set = sets.get(spec.name);
  if (set === undefined) {
    set = checkedKernelSet(
      new WasmKernelSet(runtime, { ...pathConfig(spec, f), description: spec.description(f) }),
    );
    sets.set(spec.name, set);
  }
  return set;
}

/** Options of `kernelSets` and `bestKernelSet`. */
export interface KernelSetOptions {
  /**
   * The CPU the backend is modelled on: FBGEMM's ISA for `fbgemm` and `x86` (default `avx2`);
   * `onednn` is reproduced on a VNNI CPU only (`avx512_vnni`, its default).
   */
  readonly isa?: Isa;
  /** The runtime (default: the process-wide one). */
  readonly runtime?: KernelRuntime;
}

/** Every path of one numerics that this engine can run, plain first. */
function numericsSets(numerics: Numerics, runtime: KernelRuntime): KernelSet[] {
  return PATH_SPECS.filter((s) => s.numerics === numerics)
    .map((s) => pathSet(s, runtime))
    .filter((s): s is KernelSet => s !== null);
}

/**
 * The kernel sets of a backend on its modelled CPU: the paths of its numerics; for `x86` on an
 * AVX-512 VNNI CPU, backend sets that run linear layers on FBGEMM's paths and convolutions on
 * oneDNN's or FBGEMM's as PyTorch dispatches them (`X86BackendKernelSet`).
 */
function backendSets(backend: Backend, options: KernelSetOptions): KernelSet[] {
  const runtime = options.runtime ?? defaultRuntime();
  const isa = backendIsa(backend, options.isa);
  const numerics = linearNumerics(backend, isa);
  const linear = numericsSets(numerics, runtime);
  if (backend !== "x86" || isa !== "avx512_vnni") return linear;
  const conv = numericsSets("onednn", runtime);
  return linear.flatMap((l) => {
    const partner = conv.find((c) => c.relaxed === l.relaxed) ?? conv[0];
    return partner === undefined ? [] : [checkedKernelSet(new X86BackendKernelSet(l, partner))];
  });
}

function unknownName(name: unknown): RangeError {
  return new RangeError(
    `name: unknown backend or kernel path ${show(name)}; backends: ${BACKENDS.join(", ")}; ` +
      `kernel paths: ${KERNEL_PATHS.join(", ")}`,
  );
}

/**
 * Kernel sets this engine can run, in a fixed order: with no name every path; with a backend
 * name (`fbgemm`, `x86`, `qnnpack`, `onednn`) the sets of the numerics it uses on the modelled
 * CPU (`options.isa`), plain before relaxed; with a path name that path.
 * @throws {RangeError} for an unknown name (listing the valid ones), an ISA a backend cannot
 * take, or a path this engine cannot run (naming the missing feature).
 */
export function kernelSets(name?: string, options: KernelSetOptions = {}): KernelSet[] {
  const runtime = options.runtime ?? defaultRuntime();
  if (name === undefined) {
    if (options.isa !== undefined) {
      throw new RangeError(`isa: needs a backend name, got ${show(options.isa)} without one`);
    }
    return PATH_SPECS.map((s) => pathSet(s, runtime)).filter((s): s is KernelSet => s !== null);
  }
  if (isBackend(name)) return backendSets(name, options);
  const spec = PATH_SPECS.find((s) => s.name === name);
  if (spec === undefined) throw unknownName(name);
  if (options.isa !== undefined) {
    throw new RangeError(
      `isa: kernel path ${show(name)} has fixed numerics (${spec.numerics}); pass a backend name`,
    );
  }
  const set = pathSet(spec, runtime);
  if (set === null) {
    throw new RangeError(
      `name: kernel path ${show(name)} cannot run on this engine: it needs ${
        spec.missing(runtime.features)
      }`,
    );
  }
  return [set];
}

/**
 * The fastest exact kernel set for a backend (relaxed where proven, else plain) on its modelled
 * CPU, or the named path.
 * @example
 * ```ts
 * bestKernelSet("fbgemm");                          // FBGEMM on AVX2: x86-relaxed or x86
 * bestKernelSet("fbgemm", { isa: "avx512_vnni" }); // x86-vnni-relaxed or x86-vnni
 * bestKernelSet("x86", { isa: "avx512_vnni" });    // linear on FBGEMM, conv on oneDNN or FBGEMM
 * bestKernelSet("arm");                             // the path named arm (QNNPACK numerics)
 * ```
 * @throws {RangeError} as `kernelSets`, and when no set of the backend can run here.
 */
export function bestKernelSet(name: string, options: KernelSetOptions = {}): KernelSet {
  if (typeof name !== "string") throw unknownName(name);
  const sets = kernelSets(name, options);
  const best = sets.find((s) => s.relaxed) ?? sets[0];
  if (best === undefined) {
    throw new RangeError(`name: no kernel set of ${show(name)} can run on this engine`);
  }
  return best;
}
