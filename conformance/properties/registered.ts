/**
 * The kernel properties of every registered op, generated from its descriptor: over arguments
 * drawn by the op's family generator (tensors, qparams) and the op's own parameter domains, the
 * op on a kernel set equals the op on the reference of the set's engine — the same codes and
 * qparams, or the same refusal (same error class) where the reference refuses.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { kernelEngine, type KernelSet } from "../../kernels/kernel_set.ts";
import { type AnyOp, runKernel, runReference } from "../../ops/op.ts";
import { OPS } from "../../ops/registry.ts";
import type { UnaryArgs, UnaryOp } from "../../ops/unary.ts";
import type { BinaryArgs } from "../../ops/binary.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { codeModeArb, codes, extremeScaleArb, lengthArb, quint8, zeroPointArb } from "./codes.ts";
import { paramsArb } from "./domain.ts";
import type { PropertyCheck } from "./property.ts";

/** Draws the arguments of an op of one family. */
type FamilyArb = (op: AnyOp) => fc.Arbitrary<unknown>;

/** quint8 codes of every length around the vector split, extreme qparams, the op's params. */
function unaryArgs(op: UnaryOp): fc.Arbitrary<UnaryArgs> {
  return fc.record({
    n: lengthArb,
    seed: fc.integer(),
    mode: codeModeArb,
    input: fc.tuple(extremeScaleArb, zeroPointArb),
    output: fc.tuple(extremeScaleArb, zeroPointArb),
    params: paramsArb(op.properties?.params ?? {}),
  }).map((p) => ({
    x: quint8(codes(p.seed, p.n, p.mode, p.input[1]), [p.n], {
      scale: p.input[0],
      zeroPoint: p.input[1],
    }),
    params: p.params as Record<string, number>,
    output: op.spec.output === "requantized"
      ? { scale: p.output[0], zeroPoint: p.output[1] }
      : undefined,
  }));
}

/** Operands, qparams and a mode: `related` scales (QNNPACK accepts), `tie`, or `free`. */
const binaryArgs: fc.Arbitrary<BinaryArgs> = fc.record({
  n: lengthArb,
  seed: fc.integer(),
  saturating: fc.boolean(),
  mode: fc.constantFrom("related", "related", "tie", "free"),
  so: extremeScaleArb,
  ratios: fc.tuple(
    fc.double({ min: -3, max: 3, noNaN: true }),
    fc.double({ min: -3, max: 3, noNaN: true }),
  ),
  free: fc.tuple(extremeScaleArb, extremeScaleArb),
  za: zeroPointArb,
  zb: zeroPointArb,
  zo: zeroPointArb,
}).map((p) => {
  const [sa, sb] = p.mode === "free" ? p.free : p.mode === "tie"
    ? [p.so / 2, p.so / 2] // output scale twice the inputs': sums land on rounding ties
    : p.ratios.map((e) => Math.fround(p.so * 2 ** e));
  return {
    a: quint8(codes(p.seed, p.n, p.saturating), [p.n], { scale: sa, zeroPoint: p.za }),
    b: quint8(codes(p.seed ^ 0x5bd1e995, p.n, p.saturating), [p.n], {
      scale: sb,
      zeroPoint: p.zb,
    }),
    output: { scale: p.so, zeroPoint: p.zo },
  };
});

const FAMILY_ARBS: Partial<Record<string, FamilyArb>> = {
  unary: (op) => unaryArgs(op as UnaryOp),
  binary: () => binaryArgs,
};

/** Asserts two results are the same bits (quantized tensors: codes, shape and qparams). */
export function assertSameResult(got: unknown, expected: unknown, what: string): void {
  if (expected instanceof QuantizedTensor) {
    assert.ok(got instanceof QuantizedTensor, `${what}: expected a QuantizedTensor`);
    assert.deepEqual(got.shape, expected.shape, `${what}: shape`);
    assert.deepEqual(got.qparams, expected.qparams, `${what}: qparams`);
    assert.equal(got.dtype, expected.dtype, `${what}: dtype`);
    for (let i = 0; i < expected.size; i++) {
      if (got.intRepr[i] !== expected.intRepr[i]) {
        assert.fail(
          `${what}: element ${i} is ${got.intRepr[i]}, the reference gives ${expected.intRepr[i]}`,
        );
      }
    }
    return;
  }
  assert.deepEqual(got, expected, what);
}

/**
 * The property "op on `set` ≡ op on the reference" of every registered op that has kernels, a
 * property spec and a family generator.
 */
export function registeredKernelProperties(set: KernelSet): PropertyCheck[] {
  const engine = kernelEngine(set.numerics);
  const checks: PropertyCheck[] = [];
  for (const op of OPS) {
    const arb = FAMILY_ARBS[op.family];
    if (op.kernel === undefined || op.properties === undefined || arb === undefined) continue;
    checks.push({
      name: `${op.name} on the kernels equals the reference (${op.family} family generator)`,
      op: op.name,
      path: set.name,
      runsFactor: op.properties.runsFactor,
      property: () =>
        fc.property(arb(op), (args) => {
          if (!op.kernel!.supports(set, args, engine)) return;
          let expected: unknown;
          try {
            expected = runReference(op, args, engine);
          } catch (e) {
            const refused = e as Error;
            assert.throws(
              () => runKernel(op, set, args, engine),
              (k: unknown) => k instanceof Error && k.constructor === refused.constructor,
              `${op.name}: the reference refuses (${refused.message}); the kernel must too`,
            );
            return;
          }
          assertSameResult(runKernel(op, set, args, engine), expected, `${set.name} ${op.name}`);
        }),
    });
  }
  return checks;
}
