/**
 * The properties of a kernel module (`ops/kernel_module.ts`): for every op it implements that has
 * a family generator, over arguments drawn by that generator, `module.ops[op](args)` equals
 * `runReference(op, args, engine)` for the engine of the module's numerics — every output the
 * op's golden codec writes, bit for bit (elements where builds disagree, such as NaN inputs, are
 * left out as in the golden runner), and for quantized results the dtype and qparams — or, where
 * the reference refuses the arguments, the module throws too. A draw the module refuses as not
 * supported (`NotSupportedError`) is skipped and counted.
 * @module
 */
import fc from "fast-check";
import { compareOutput, type Produced } from "../compare.ts";
import type { GoldenDType, GoldenTensor } from "../golden_file.ts";
import { isNotSupported, type KernelModule, referenceEngine } from "../../ops/kernel_module.ts";
import { type AnyOp, runReference } from "../../ops/op.ts";
import { OPS } from "../../ops/registry.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { familyArb } from "./registered.ts";
import type { PropertyCheck } from "./property.ts";

function dtypeOf(data: Produced["data"]): GoldenDType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  return Array.from(data as ArrayLike<number>).every(Number.isInteger) ? "int32" : "float64";
}

/** `expected` as the golden tensor the comparison reads. */
function asGolden(p: Produced): GoldenTensor {
  return { dtype: dtypeOf(p.data), shape: p.shape, data: p.data as GoldenTensor["data"] };
}

/**
 * How a module's result differs from the reference's, as the golden runner words it (output,
 * first differing element with coordinates, both values and float bit patterns), or undefined
 * when they agree.
 */
export function resultDifference(
  op: AnyOp,
  args: unknown,
  got: unknown,
  expected: unknown,
): string | undefined {
  if (expected instanceof QuantizedTensor) {
    const q = got as Partial<QuantizedTensor> | null;
    if (q?.dtype !== expected.dtype) {
      return `dtype ${q?.dtype}, the reference gives ${expected.dtype}`;
    }
    const [a, b] = [JSON.stringify(q.qparams), JSON.stringify(expected.qparams)];
    if (a !== b) return `qparams ${a}, the reference gives ${b}`;
  }
  const want = op.golden.encode(expected, args);
  let have: Record<string, Produced>;
  try {
    have = op.golden.encode(got, args);
  } catch (e) {
    return `returned a result the op cannot read (${(e as Error).message})`;
  }
  for (const [name, w] of Object.entries(want)) {
    const h = have[name];
    if (h?.data === undefined || h.shape === undefined) return `${name}: missing`;
    const cmp = compareOutput(asGolden(w), { ...h, buildDependent: w.buildDependent }, "exact");
    if (cmp.status === "fail") return `${name}: ${cmp.reason}`;
  }
  return undefined;
}

/** How many draws of a property the module answered and how many it did not support. */
export interface DrawCounts {
  answered: number;
  notSupported: number;
}

/** The property of one op of a module. */
function moduleProperty(
  module: KernelModule,
  op: AnyOp,
  arb: fc.Arbitrary<unknown>,
  counts: DrawCounts,
) {
  const engine = referenceEngine(module.numerics, op)!;
  const impl = module.ops[op.name];
  return () =>
    fc.asyncProperty(arb, async (args) => {
      let expected: unknown;
      try {
        expected = runReference(op, args, engine);
      } catch (refused) {
        let result: unknown;
        try {
          result = await impl(args);
        } catch {
          return; // refused too
        }
        throw new Error(
          `the reference refuses (${(refused as Error).message}); ${module.name} returned ` +
            `${String(result).slice(0, 60)} instead of throwing`,
        );
      }
      let got: unknown;
      try {
        got = await impl(args);
      } catch (e) {
        if (!isNotSupported(e)) throw e;
        counts.notSupported++;
        fc.pre(false); // skipped: fast-check draws another (and fails if it must skip too many)
      }
      counts.answered++;
      const difference = resultDifference(op, args, got, expected);
      if (difference !== undefined) {
        throw new Error(`${module.name} ${op.name} (${engine} reference): ${difference}`);
      }
    });
}

/**
 * The properties of every op the module implements that has a family generator; the ops without
 * one are returned apart (no property checks them).
 */
export function kernelModuleProperties(
  module: KernelModule,
): { checks: PropertyCheck[]; withoutGenerator: string[]; draws: Map<string, DrawCounts> } {
  const checks: PropertyCheck[] = [];
  const draws = new Map<string, DrawCounts>();
  const withoutGenerator: string[] = [];
  for (const op of OPS) {
    if (module.ops[op.name] === undefined) continue;
    const arb = familyArb(op);
    if (arb === undefined || op.properties === undefined) {
      withoutGenerator.push(op.name);
      continue;
    }
    const counts = { answered: 0, notSupported: 0 };
    draws.set(op.name, counts);
    checks.push({
      name: `${op.name} on ${module.name} equals the reference (${module.numerics} numerics, ` +
        `${op.family} family generator)`,
      op: op.name,
      path: module.name,
      runsFactor: op.properties.runsFactor,
      property: moduleProperty(module, op, arb, counts),
    });
  }
  return { checks, withoutGenerator, draws };
}
