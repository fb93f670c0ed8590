/**
 * Test support for the six ops of the registry proof: their registered golden handlers with the
 * reference function swappable (`NewOpReferences`), so a unit test can plant a one-ulp bug in a
 * reference function and see the goldens fail; and a checker that runs golden files through
 * them (never passing on nothing).
 * @module
 */
import assert from "node:assert/strict";
import type { Produced } from "../compare.ts";
import { type GoldenFile, parseGoldenFile } from "../golden_file.ts";
import { type OpHandler, scalar } from "../op_handler.ts";
import { runGoldenFile } from "../runner.ts";
import { caseEngine, registeredHandler } from "../ops/registered.ts";
import * as ops from "../../ops/activations.ts";
import { batchNorm2d, type BatchNormArgs } from "../../ops/channelwise.ts";
import * as floats_ from "../../ops/float_ops.ts";
import type { FloatOpArgs } from "../../ops/float_ops.ts";
import type { AnyOp } from "../../ops/op.ts";
import type { UnaryArgs } from "../../ops/unary.ts";
import type { Engine } from "../../reference/engine.ts";
import {
  floatClamp,
  floatHardtanh,
  quantizedClamp,
  quantizedHardtanh,
} from "../../reference/quantized_clamp.ts";
import { floatElu, quantizedElu } from "../../reference/quantized_elu.ts";
import { floatHardsigmoid, quantizedHardsigmoid } from "../../reference/quantized_hardsigmoid.ts";
import { floatLeakyRelu, quantizedLeakyRelu } from "../../reference/quantized_leaky_relu.ts";
import { floatBatchNorm2d, quantizedBatchNorm2d } from "../../reference/quantized_batch_norm.ts";
import { f32, float32Bits, float32FromBits } from "../../reference/float32.ts";
import type { QuantizedTensor, Tensor } from "../../reference/tensor.ts";

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

/**
 * The registered op `op` with its reference computed by `run` (the descriptor's golden codec and
 * checks, another reference function).
 */
function withReference<A>(op: AnyOp, run: (args: A, engine: Engine) => Produced): OpHandler {
  const handler = registeredHandler(op);
  return {
    ...handler,
    kernelSupport: undefined,
    run(ctx) {
      const args = op.golden.decode(ctx) as A;
      const engine = caseEngine(ctx, op.engine === "required");
      op.check(args, engine);
      return { y: run(args, engine) };
    },
  };
}

/** The golden handlers of the new ops (reference path only), built on `refs`. */
export function newOpHandlers(refs: NewOpReferences = REFERENCES): OpHandler[] {
  const hardsigmoid: OpHandler = {
    ...registeredHandler(ops.hardsigmoid),
    kernelSupport: undefined,
    run(ctx) {
      const x = ops.hardsigmoid.golden.decode(ctx).x;
      const y = refs.quantizedHardsigmoid(x, { engine: caseEngine(ctx, true) });
      const qp = y.qparams as { scale: number; zeroPoint: number };
      return { y: codes(y), y_scale: scalar(qp.scale), y_zero_point: scalar(qp.zeroPoint) };
    },
  };
  type U<P> = UnaryArgs<P>;
  return [
    withReference<U<{ negativeSlope: number }>>(
      ops.leakyRelu,
      (a) =>
        codes(refs.quantizedLeakyRelu(a.x, {
          negativeSlope: a.params.negativeSlope,
          outputScale: a.output!.scale,
          outputZeroPoint: a.output!.zeroPoint,
        })),
    ),
    withReference<U<{ minVal: number; maxVal: number }>>(
      ops.hardtanh,
      (a, engine) => codes(refs.quantizedHardtanh(a.x, { engine, ...a.params })),
    ),
    withReference<U<{ min: number; max: number }>>(
      ops.clamp,
      (a, engine) => codes(refs.quantizedClamp(a.x, { engine, ...a.params })),
    ),
    withReference<U<{ alpha: number }>>(ops.elu, (a) =>
      codes(refs.quantizedElu(a.x, {
        alpha: a.params.alpha,
        outputScale: a.output!.scale,
        outputZeroPoint: a.output!.zeroPoint,
      }))),
    hardsigmoid,
    withReference<BatchNormArgs>(batchNorm2d, (a) =>
      codes(refs.quantizedBatchNorm2d(a.x, {
        ...a.params,
        relu: a.relu,
        outputScale: a.output.scale,
        outputZeroPoint: a.output.zeroPoint,
      }))),
    withReference<FloatOpArgs>(
      floats_.floatLeakyReluOp,
      (a) => floats(refs.floatLeakyRelu(a.x, a.attrs.negative_slope)),
    ),
    withReference<FloatOpArgs>(
      floats_.floatHardtanhOp,
      (a) => floats(refs.floatHardtanh(a.x, { minVal: a.attrs.min_val, maxVal: a.attrs.max_val })),
    ),
    withReference<FloatOpArgs>(
      floats_.floatClampOp,
      (a) => floats(refs.floatClamp(a.x, { min: a.attrs.min, max: a.attrs.max })),
    ),
    withReference<FloatOpArgs>(
      floats_.floatEluOp,
      (a) => floats(refs.floatElu(a.x, { alpha: a.attrs.alpha })),
    ),
    withReference<FloatOpArgs>(
      floats_.floatHardsigmoidOp,
      (a) => floats(refs.floatHardsigmoid(a.x)),
    ),
    withReference<FloatOpArgs>(
      floats_.floatBatchNorm2dOp,
      (a) =>
        floats(refs.floatBatchNorm2d(a.x, {
          weight: a.inputs.weight,
          bias: a.inputs.bias,
          mean: a.inputs.mean,
          var: a.inputs.var,
          eps: a.attrs.eps,
        })),
    ),
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
  const path = new URL(`../../golden/${name}`, import.meta.url).pathname;
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
