/**
 * Test-only mutations of the generated kernels: realistic one-instruction slips (rounding that
 * truncates, a max that became a min, an OR that became an AND), planted through the runtime's
 * instruction rewrite (`KernelRuntime` option `rewrite`) so that no planted-bug code lives in a
 * generator. The mutation tests build a kernel set on a mutated runtime and check that the
 * property of the kernel notices.
 * @module
 */
import type { InstructionName } from "../../kernels/wasm/opcodes.ts";
import type { InstructionRewrite } from "../../kernels/wasm/mod.ts";

/** One slip: in the functions `fn` matches, instruction `from` becomes `to`. */
export interface KernelMutation {
  /** A short name for reports. */
  readonly name: string;
  /** The generated functions it applies to (their names). */
  readonly fn: RegExp;
  readonly from: InstructionName;
  readonly to: InstructionName;
  /** Only this occurrence within each function (default: every occurrence). */
  readonly ordinal?: number;
}

/** The runtime rewrite that plants `mutation`. */
export function mutationRewrite(mutation: KernelMutation): InstructionRewrite {
  return (site) =>
    mutation.fn.test(site.fn) && site.instruction === mutation.from &&
      (mutation.ordinal === undefined || mutation.ordinal === site.ordinal)
      ? mutation.to
      : undefined;
}

/** Slips in the elementwise, pooling, activation and cat kernels, and the properties that catch them. */
export const OPS_MUTATIONS: readonly (KernelMutation & { readonly caughtBy: readonly string[] })[] =
  [
    {
      name: "aten add truncates",
      fn: /^add_aten_(vector|scalar)$/,
      from: "f32x4.nearest",
      to: "f32x4.trunc",
      caughtBy: ["quantized_add ", "quantized_add_relu"],
    },
    {
      name: "qnnpack add shifts negative sums as unsigned",
      fn: /^add_qnnpack$/,
      from: "i32x4.shr_s",
      to: "i32x4.shr_u",
      caughtBy: ["quantized_add ", "quantized_add_relu"],
    },
    {
      name: "mul truncates",
      fn: /^mul_aten_(vector|scalar)$/,
      from: "f32x4.nearest",
      to: "f32x4.trunc",
      caughtBy: ["quantized_mul ", "quantized_mul_relu"],
    },
    {
      name: "max pooling takes the minimum",
      fn: /^max_pool$/,
      from: "i8x16.max_u",
      to: "i8x16.min_u",
      caughtBy: ["quantized_max_pool2d"],
    },
    {
      name: "average pooling truncates",
      fn: /^avg_pool$/,
      from: "f32x4.nearest",
      to: "f32x4.trunc",
      caughtBy: ["quantized_avg_pool2d", "quantized_adaptive_avg_pool2d"],
    },
    {
      name: "the table lookup drops the last sub-table",
      fn: /^lut$/,
      from: "v128.or",
      to: "v128.and",
      ordinal: 14,
      caughtBy: ["quantized_hardswish", "quantized_sigmoid", "quantized_tanh"],
    },
    {
      name: "clamp forgets its lower bound",
      fn: /^clamp$/,
      from: "i8x16.max_u",
      to: "i8x16.min_u",
      caughtBy: ["quantized_relu ", "quantized_relu6"],
    },
    {
      name: "the requantizing cat drops the last sub-table",
      fn: /^cat_lut$/,
      from: "v128.or",
      to: "v128.and",
      ordinal: 14,
      caughtBy: ["quantized_cat"],
    },
  ];
