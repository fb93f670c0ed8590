/**
 * Which kernel paths this engine can run, chosen from the probed features (never from the user
 * agent): plain SIMD128 paths always, relaxed-SIMD paths only where a start-up probe proved that
 * the relaxed instruction computes exactly what the path's numerics need.
 * @module
 */
import type { NumericsFamily } from "../reference/engine.ts";
import type { WasmFeatures } from "./features.ts";
import type { KernelSet } from "./kernel_set.ts";
import { ReferenceKernelSet } from "./reference_kernel_set.ts";
import { checkedKernelSet } from "./checked_kernel_set.ts";
import { defaultRuntime, type KernelRuntime } from "./runtime.ts";
import { WasmKernelSet } from "./wasm_kernel_set.ts";

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

/**
 * Every kernel set this engine can run, in a fixed order (x86, x86-relaxed, arm, arm-relaxed),
 * each behind the checked boundary (`checkedKernelSet`).
 */
export function kernelSets(runtime: KernelRuntime = defaultRuntime()): KernelSet[] {
  return uncheckedKernelSets(runtime).map(checkedKernelSet);
}

function uncheckedKernelSets(runtime: KernelRuntime): KernelSet[] {
  const f = runtime.features;
  if (!f.simd128) {
    return [new ReferenceKernelSet("x86", "fbgemm"), new ReferenceKernelSet("arm", "qnnpack")];
  }
  const sets: KernelSet[] = [
    new WasmKernelSet(runtime, {
      name: "x86",
      numerics: "fbgemm",
      variant: "dot16sat",
      mr: 2,
      relaxed: false,
      description:
        "FBGEMM (x86 AVX2) numerics on SIMD128: int16 dot products, pair saturation by narrowing",
    }),
  ];
  if (hasPmaddubswDot(f)) {
    sets.push(
      new WasmKernelSet(runtime, {
        name: "x86-relaxed",
        numerics: "fbgemm",
        variant: "x86sat",
        unsaturatedVariant: hasExactUnsignedDot(f) ? "usdot" : undefined,
        mr: 4,
        relaxed: true,
        description: "FBGEMM numerics on relaxed SIMD: i16x8.relaxed_dot = pmaddubsw (probed)" +
          (hasExactUnsignedDot(f) ? "; exact VNNI dot when no pair can saturate" : ""),
      }),
    );
  }
  sets.push(
    new WasmKernelSet(runtime, {
      name: "arm",
      numerics: "qnnpack",
      variant: "dot16",
      mr: 4,
      relaxed: false,
      description: "QNNPACK (ARM) numerics on SIMD128: exact int16 dot products",
    }),
  );
  if (hasExactUnsignedDot(f)) {
    sets.push(
      new WasmKernelSet(runtime, {
        name: "arm-relaxed",
        numerics: "qnnpack",
        variant: "usdot",
        mr: 4,
        relaxed: true,
        description:
          "QNNPACK numerics on relaxed SIMD: exact u8·s8 i32x4.relaxed_dot (vpdpbusd, probed)",
      }),
    );
  }
  return sets;
}

/** The fastest exact kernel set for an engine's numerics (relaxed where proven, else plain). */
export function bestKernelSet(
  numerics: NumericsFamily,
  runtime: KernelRuntime = defaultRuntime(),
): KernelSet {
  const sets = kernelSets(runtime).filter((s) => s.numerics === numerics);
  return sets.find((s) => s.relaxed) ?? sets[0];
}
