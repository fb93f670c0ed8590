/**
 * Test scaffolding (imported by the `*_test.ts` files of the new ops only): how a golden case of
 * each new op maps to its reference call and outputs, as reference-only `OpHandler`s, and a
 * checker that runs a golden file through them. The op registry lifts these mappings into the
 * op descriptors; until then the unit tests run the goldens with them.
 * @module
 */
import assert from "node:assert/strict";
import type { Produced } from "../conformance/compare.ts";
import { type GoldenFile, parseGoldenFile } from "../conformance/golden_file.ts";
import {
  float32Input,
  type OpHandler,
  type RunContext,
  scalar,
} from "../conformance/op_handler.ts";
import { runGoldenFile } from "../conformance/runner.ts";
import { caseEngine, caseQuantized } from "../conformance/ops/elementwise.ts";
import { floatClamp, floatHardtanh, quantizedClamp, quantizedHardtanh } from "./quantized_clamp.ts";
import { floatElu, quantizedElu } from "./quantized_elu.ts";
import { floatHardsigmoid, quantizedHardsigmoid } from "./quantized_hardsigmoid.ts";
import { floatLeakyRelu, quantizedLeakyRelu } from "./quantized_leaky_relu.ts";
import {
  type BatchNorm2dParams,
  floatBatchNorm2d,
  quantizedBatchNorm2d,
} from "./quantized_batch_norm.ts";
import { f32, float32Bits, float32FromBits } from "./float32.ts";
import { type QuantizedTensor, Tensor } from "./tensor.ts";

/** The reference functions the handlers call; tests swap one for a planted bug. */
export interface NewOpReferences {
  quantizedLeakyRelu: typeof quantizedLeakyRelu;
  quantizedHardtanh: typeof quantizedHardtanh;
  quantizedClamp: typeof quantizedClamp;
  quantizedElu: typeof quantizedElu;
  quantizedHardsigmoid: typeof quantizedHardsigmoid;
  quantizedBatchNorm2d: typeof quantizedBatchNorm2d;
  floatLeakyRelu: typeof floatLeakyRelu;
  floatHardtanh: typeof floatHardtanh;
  floatClamp: typeof floatClamp;
  floatElu: typeof floatElu;
  floatHardsigmoid: typeof floatHardsigmoid;
  floatBatchNorm2d: typeof floatBatchNorm2d;
}

/** The production reference functions. */
export const REFERENCES: NewOpReferences = {
  quantizedLeakyRelu,
  quantizedHardtanh,
  quantizedClamp,
  quantizedElu,
  quantizedHardsigmoid,
  quantizedBatchNorm2d,
  floatLeakyRelu,
  floatHardtanh,
  floatClamp,
  floatElu,
  floatHardsigmoid,
  floatBatchNorm2d,
};

function codes(q: QuantizedTensor): Produced {
  return { shape: q.shape, data: q.intRepr };
}

function floats(t: Tensor): Produced {
  return { shape: t.shape, data: t.data };
}

function floatCase(ctx: RunContext, name: string): Tensor {
  return new Tensor(float32Input(ctx.input(name), name), ctx.input(name).shape);
}

function batchNormParams(ctx: RunContext): BatchNorm2dParams {
  const param = (name: string) => float32Input(ctx.input(name), name);
  return {
    weight: param("weight"),
    bias: param("bias"),
    mean: param("mean"),
    var: param("var"),
    eps: ctx.attrs.number("eps"),
  };
}

const X_QPARAMS = ["x_scale", "x_zero_point"];
const Y_QPARAMS = ["y_scale", "y_zero_point"];
const BN_INPUTS = ["x", "weight", "bias", "mean", "var"];

/** The golden handlers of the new ops (reference path only), built on `refs`. */
export function newOpHandlers(refs: NewOpReferences = REFERENCES): OpHandler[] {
  const unary = (
    op: string,
    attrs: string[],
    run: (ctx: RunContext) => Record<string, Produced>,
    outputs = ["y"],
  ): OpHandler => ({ op, attrs, inputs: ["x"], outputs, run });
  return [
    unary("quantized_leaky_relu", ["negative_slope", ...X_QPARAMS, ...Y_QPARAMS], (ctx) => {
      caseEngine(ctx, true);
      return {
        y: codes(refs.quantizedLeakyRelu(caseQuantized(ctx, "x"), {
          negativeSlope: ctx.attrs.number("negative_slope"),
          outputScale: ctx.attrs.number("y_scale"),
          outputZeroPoint: ctx.attrs.int("y_zero_point"),
        })),
      };
    }),
    unary("quantized_hardtanh", ["min_val", "max_val", ...X_QPARAMS], (ctx) => ({
      y: codes(refs.quantizedHardtanh(caseQuantized(ctx, "x"), {
        engine: caseEngine(ctx, true),
        minVal: ctx.attrs.number("min_val"),
        maxVal: ctx.attrs.number("max_val"),
      })),
    })),
    unary("quantized_clamp", ["min", "max", ...X_QPARAMS], (ctx) => ({
      y: codes(refs.quantizedClamp(caseQuantized(ctx, "x"), {
        engine: caseEngine(ctx, true),
        min: ctx.attrs.number("min"),
        max: ctx.attrs.number("max"),
      })),
    })),
    unary("quantized_elu", ["alpha", ...X_QPARAMS, ...Y_QPARAMS], (ctx) => {
      caseEngine(ctx, true);
      return {
        y: codes(refs.quantizedElu(caseQuantized(ctx, "x"), {
          alpha: ctx.attrs.number("alpha"),
          outputScale: ctx.attrs.number("y_scale"),
          outputZeroPoint: ctx.attrs.int("y_zero_point"),
        })),
      };
    }),
    unary("quantized_hardsigmoid", X_QPARAMS, (ctx) => {
      const y = refs.quantizedHardsigmoid(caseQuantized(ctx, "x"), {
        engine: caseEngine(ctx, true),
      });
      const qp = y.qparams as { scale: number; zeroPoint: number };
      return { y: codes(y), y_scale: scalar(qp.scale), y_zero_point: scalar(qp.zeroPoint) };
    }, ["y", "y_scale", "y_zero_point"]),
    {
      op: "quantized_batch_norm2d",
      attrs: ["eps", "relu", ...X_QPARAMS, ...Y_QPARAMS],
      inputs: BN_INPUTS,
      outputs: ["y"],
      run(ctx) {
        caseEngine(ctx, true);
        return {
          y: codes(refs.quantizedBatchNorm2d(caseQuantized(ctx, "x"), {
            ...batchNormParams(ctx),
            relu: ctx.attrs.bool("relu"),
            outputScale: ctx.attrs.number("y_scale"),
            outputZeroPoint: ctx.attrs.int("y_zero_point"),
          })),
        };
      },
    },
    unary("leaky_relu", ["negative_slope"], (ctx) => ({
      y: floats(refs.floatLeakyRelu(floatCase(ctx, "x"), ctx.attrs.number("negative_slope"))),
    })),
    unary("hardtanh", ["min_val", "max_val"], (ctx) => ({
      y: floats(refs.floatHardtanh(floatCase(ctx, "x"), {
        minVal: ctx.attrs.number("min_val"),
        maxVal: ctx.attrs.number("max_val"),
      })),
    })),
    unary("clamp", ["min", "max"], (ctx) => ({
      y: floats(
        refs.floatClamp(floatCase(ctx, "x"), {
          min: ctx.attrs.number("min"),
          max: ctx.attrs.number("max"),
        }),
      ),
    })),
    unary("elu", ["alpha"], (ctx) => ({
      y: floats(refs.floatElu(floatCase(ctx, "x"), { alpha: ctx.attrs.number("alpha") })),
    })),
    unary("hardsigmoid", [], (ctx) => ({ y: floats(refs.floatHardsigmoid(floatCase(ctx, "x"))) })),
    {
      op: "batch_norm2d",
      attrs: ["eps"],
      inputs: BN_INPUTS,
      outputs: ["y"],
      run: (ctx) => ({
        y: floats(refs.floatBatchNorm2d(floatCase(ctx, "x"), batchNormParams(ctx))),
      }),
    },
  ];
}

/** The golden files of the new quantized unary ops, one per engine. */
export const ACTIVATION_FILES = ["activations2_qnnpack.json", "activations2_onednn.json"];
/** The golden files of quantized batch norm, one per engine. */
export const BATCH_NORM_FILES = ["batch_norm_qnnpack.json", "batch_norm_onednn.json"];
/** The golden file of the float32 counterparts. */
export const FP32_FILES = ["activations2_fp32.json"];

/** A golden file of the repository's `golden/` folder, parsed. */
export function readGolden(name: string): GoldenFile {
  const path = new URL(`../golden/${name}`, import.meta.url).pathname;
  return parseGoldenFile(Deno.readTextFileSync(path), path);
}

/** What `checkGoldens` found: how many cases ran and one line per case that did not pass. */
export interface GoldenCheck {
  readonly checked: number;
  readonly failures: string[];
}

/**
 * Runs every case of `op` in `files` on the reference (through `refs`); a file without such a
 * case is an error, so a check never passes on nothing.
 */
export function checkGoldens(
  op: string,
  files: readonly string[],
  refs: NewOpReferences = REFERENCES,
): GoldenCheck {
  const handlers = new Map(newOpHandlers(refs).map((h) => [h.op, h]));
  let checked = 0;
  const failures: string[] = [];
  for (const name of files) {
    const file = readGolden(name);
    const cases = file.cases.filter((c) => c.op === op);
    if (cases.length === 0) throw new Error(`${name}: no ${op} cases`);
    const results = runGoldenFile({ ...file, cases }, [{ name: "reference" }], handlers);
    checked += results.length;
    for (const r of results) {
      if (r.status !== "pass") failures.push(`${name}#${r.id}: ${r.status} ${r.reason ?? ""}`);
    }
  }
  return { checked, failures };
}

/** Asserts that every `op` case of `files` passes on the reference, and at least `minCases`. */
export function assertGoldensPass(op: string, files: readonly string[], minCases: number): void {
  const { checked, failures } = checkGoldens(op, files);
  assert.ok(checked >= minCases, `${op}: only ${checked} golden cases`);
  assert.deepEqual(failures, []);
}

/** Asserts that the reference with `planted` swapped in fails at least one `op` case. */
export function assertPlantedBugFails(
  op: string,
  files: readonly string[],
  planted: Partial<NewOpReferences>,
): void {
  const { failures } = checkGoldens(op, files, { ...REFERENCES, ...planted });
  assert.ok(failures.length > 0, `${op}: the planted bug passes every golden case`);
}

/** The next float32 above `x` (one ulp up), for planted one-ulp bugs. */
export function nextFloat32Up(x: number): number {
  const v = f32(x);
  if (v === 0) return float32FromBits(1);
  return float32FromBits(float32Bits(v) + (v > 0 ? 1 : -1));
}
