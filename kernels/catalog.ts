/**
 * Every family of generated modules with representative specialisations: what the validation
 * test builds and `scripts/print_kernel.ts` prints.
 * @module
 */
import type { Numerics } from "../reference/engine.ts";
import { buildEpilogue } from "./qgemm/epilogue.ts";
import { buildQGemm, qgemmName, type QGemmSpec } from "./qgemm/generate.ts";
import { requantArithmetic } from "./qgemm/requant.ts";
import { qgemmLayout, type QGemmVariant } from "./qgemm/layout.ts";
import {
  buildDynamicQuantize,
  dynamicQuantizeName,
  type DynamicQuantizeSpec,
} from "./quantize/dynamic.ts";
import { buildQuantize } from "./quantize/generate.ts";
import { buildSGemm, sgemmName } from "./sgemm/generate.ts";
import type { ModuleBuilder } from "./wasm/mod.ts";
import { buildElementwise } from "./elementwise/generate.ts";
import { buildCat } from "./elementwise/cat_generate.ts";
import { buildActivation } from "./activation/generate.ts";
import { buildPool } from "./pool/generate.ts";
import { buildFp32Ops } from "./fp32/generate.ts";
import { buildIm2col } from "./conv/im2col.ts";
import { buildDepthwise, depthwiseName, type DepthwiseVariant } from "./conv/depthwise.ts";
import { buildFp32Depthwise } from "./conv/fp32_depthwise.ts";

/** A generated module: its kernel name (with the specialisation) and its builder. */
export interface CatalogEntry {
  readonly name: string;
  /** Needs relaxed SIMD to validate. */
  readonly relaxed: boolean;
  readonly build: () => ModuleBuilder;
  /** For an int8 GEMM: its specification (the GEMM tester runs every such entry). */
  readonly qgemm?: QGemmSpec;
}

/** The requantization arithmetics: every numerics, FBGEMM's with emulated and relaxed FMA. */
const REQUANT_VARIANTS: readonly (readonly [Numerics, boolean])[] = [
  ["fbgemm", false],
  ["fbgemm", true],
  ["qnnpack", false],
  ["onednn", false],
];

/** The catalog. */
export function kernelCatalog(): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  const variants: QGemmVariant[] = ["usdot", "x86sat", "dot16sat", "dot16", "dot16c2sat"];
  for (const variant of variants) {
    const layout = qgemmLayout(variant);
    for (const mr of [1, 2, 3, 4]) {
      for (const kPadded of [16, 48, 768]) {
        const spec = { layout, mr, kPadded };
        entries.push({
          name: `${qgemmName(spec)}|k${kPadded}`,
          relaxed: layout.relaxed,
          build: () => buildQGemm(spec),
          qgemm: spec,
        });
      }
    }
  }
  for (const relaxedMadd of [false, true]) {
    for (const [mr, nr] of [[1, 8], [2, 16], [4, 8], [6, 8]] as const) {
      for (const kPadded of [4, 768]) {
        entries.push({
          name: `${sgemmName({ mr, nr, relaxedMadd })}|k${kPadded}`,
          relaxed: relaxedMadd,
          build: () => buildSGemm({ mr, nr, kPadded, relaxedMadd }),
        });
      }
    }
  }
  for (const [numerics, fusedMadd] of REQUANT_VARIANTS) {
    const arithmetic = requantArithmetic(numerics, fusedMadd);
    entries.push({
      name: `qu8_requant_${arithmetic.name}__${
        fusedMadd ? "wasmrelaxedsimd" : "wasmsimd"
      } (epilogue)`,
      relaxed: fusedMadd,
      build: () => buildEpilogue(arithmetic),
    });
  }
  entries.push({ name: "f32_qu8_quantize__wasmsimd", relaxed: false, build: buildQuantize });
  const quantizers: DynamicQuantizeSpec[] = [
    { engine: "fbgemm", mulAdd: "fused-emulated" },
    { engine: "fbgemm", mulAdd: "fused-relaxed" },
    { engine: "onednn", mulAdd: "unfused" },
  ];
  for (const spec of quantizers) {
    entries.push({
      name: dynamicQuantizeName(spec),
      relaxed: spec.mulAdd === "fused-relaxed",
      build: () => buildDynamicQuantize(spec),
    });
  }
  entries.push(
    {
      name: "qu8_vadd__wasmsimd_qnnpack + qu8_vadd__wasmsimd_aten_avx2 + qu8_vmul__wasmsimd",
      relaxed: false,
      build: () => buildElementwise(),
    },
    { name: "qu8_cat_nhwc__wasmsimd_lut", relaxed: false, build: () => buildCat() },
    {
      name: "qu8_lut256__wasmsimd_swizzle + qu8_clamp__wasmsimd",
      relaxed: false,
      build: () => buildActivation(),
    },
    {
      name: "qu8_maxpool__wasmsimd_indirect + qu8_avgpool__wasmsimd_indirect",
      relaxed: false,
      build: () => buildPool(),
    },
    {
      name: "f32_vadd_vmul_clamp_hswish_pool__wasmsimd",
      relaxed: false,
      build: () => buildFp32Ops(),
    },
  );
  entries.push(...convEntries());
  return entries;
}

/** The convolution modules: im2col (u8, f32) and depthwise kernels (3×3, 5×5). */
function convEntries(): CatalogEntry[] {
  const entries: CatalogEntry[] = [
    { name: "im2col_u8", relaxed: false, build: () => buildIm2col(1) },
    { name: "im2col_f32", relaxed: false, build: () => buildIm2col(4) },
  ];
  const variants: DepthwiseVariant[] = ["usdot", "x86sat", "dot16sat", "dot16"];
  for (const variant of variants) {
    for (const k of [3, 5]) {
      for (const [numerics, fusedMadd] of REQUANT_VARIANTS) {
        const requant = requantArithmetic(numerics, fusedMadd);
        const spec = { variant, kernelH: k, kernelW: k, requant };
        entries.push({
          name: `${depthwiseName(spec)} (${requant.name})`,
          relaxed: fusedMadd || variant === "usdot" || variant === "x86sat",
          build: () => buildDepthwise(spec),
        });
      }
    }
  }
  for (const relaxedMadd of [false, true]) {
    for (const relu of [false, true]) {
      entries.push({
        name: `f32_dwconv_3x3__${relaxedMadd ? "wasmrelaxedsimd_fma" : "wasmsimd"}${
          relu ? "_relu" : ""
        }`,
        relaxed: relaxedMadd,
        build: () => buildFp32Depthwise({ kernelH: 3, kernelW: 3, relaxedMadd, relu }),
      });
    }
  }
  return entries;
}
