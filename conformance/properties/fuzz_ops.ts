/**
 * The fuzz suite of the registered ops: each op's valid arguments (drawn by its family's
 * generator) with one argument corrupted — a tensor that is not a QuantizedTensor, a wrong dtype,
 * a bad scale or zero point, mismatched shapes, a bad window or dim. The property: the op refuses
 * on the reference and on every kernel path that runs it, with a TypeError or RangeError that
 * names the corrupted argument.
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { kernelEngine, type KernelSet } from "../../kernels/kernel_set.ts";
import { type AnyOp, runKernel, runReference } from "../../ops/op.ts";
import { OPS } from "../../ops/registry.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import { familyArb } from "./registered.ts";
import type { PropertyCheck } from "./property.ts";

/** One corruption of an op's argument object. */
interface OpCorruption {
  /** The argument the error must name (a regular expression source). */
  readonly names: string;
  apply(args: Record<string, unknown>): Record<string, unknown>;
}

const notATensor = (t: QuantizedTensor) => ({ intRepr: t.intRepr, shape: t.shape });
/** The tensor with other qparams (the constructor may already refuse them: that counts). */
const withQParams = (t: QuantizedTensor, scale: number, zeroPoint: number) =>
  new QuantizedTensor(t.intRepr, t.shape, t.dtype, {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
const qint32 = (t: QuantizedTensor) =>
  new QuantizedTensor(Int32Array.from(t.intRepr), t.shape, "qint32", t.qparams);

function tensorCorruptions(key: string): OpCorruption[] {
  return [
    { names: key, apply: (a) => ({ ...a, [key]: notATensor(a[key] as QuantizedTensor) }) },
    { names: key, apply: (a) => ({ ...a, [key]: qint32(a[key] as QuantizedTensor) }) },
    {
      names: `${key}.*scale|scale`,
      apply: (a) => ({ ...a, [key]: withQParams(a[key] as QuantizedTensor, 0, 0) }),
    },
    {
      names: `${key}.*zero point|zero point|zeroPoint`,
      apply: (a) => ({ ...a, [key]: withQParams(a[key] as QuantizedTensor, 0.1, 300) }),
    },
  ];
}

const outputCorruptions: OpCorruption[] = [
  { names: "output", apply: (a) => ({ ...a, output: { scale: -1, zeroPoint: 0 } }) },
  { names: "output", apply: (a) => ({ ...a, output: { scale: 0.1, zeroPoint: 1.5 } }) },
  { names: "output", apply: (a) => ({ ...a, output: undefined }) },
];

/** The tensors, scale and zero point of each onnx op's argument object. */
const ONNX_ARGUMENTS: Readonly<
  Record<string, { tensors: readonly string[]; scale?: string; zeroPoint?: string }>
> = {
  "onnx.QuantizeLinear": { tensors: ["x"], scale: "scale", zeroPoint: "zeroPoint" },
  "onnx.DequantizeLinear": { tensors: ["x"], scale: "scale", zeroPoint: "zeroPoint" },
  "onnx.DynamicQuantizeLinear": { tensors: ["x"] },
  "onnx.MatMulInteger": { tensors: ["a", "b"], zeroPoint: "aZeroPoint" },
  "onnx.QLinearMatMul": { tensors: ["a", "b"], scale: "bScale", zeroPoint: "yZeroPoint" },
  "onnx.ConvInteger": { tensors: ["x", "w"], zeroPoint: "xZeroPoint" },
  "onnx.QLinearConv": { tensors: ["x", "w"], scale: "wScale", zeroPoint: "yZeroPoint" },
  "com.microsoft.QLinearAdd": { tensors: ["a", "b"], scale: "cScale", zeroPoint: "aZeroPoint" },
  "com.microsoft.QLinearMul": { tensors: ["a", "b"], scale: "aScale", zeroPoint: "bZeroPoint" },
};

/** A qparam replaced by `value` (every element of a per-axis one). */
const every = (v: unknown, value: number) =>
  typeof v === "number" || v === undefined
    ? value
    : Array.from(v as ArrayLike<number>, () => value);

/** The corruptions of an onnx op's arguments: a tensor that is none, a zero scale, a bad zero point. */
function onnxCorruptions(op: AnyOp): OpCorruption[] {
  const spec = ONNX_ARGUMENTS[op.name];
  if (spec === undefined) return [];
  const { scale, zeroPoint } = spec;
  return [
    { names: "arguments", apply: () => null as unknown as Record<string, unknown> },
    ...spec.tensors.map((key) => ({
      names: key,
      apply: (a: Record<string, unknown>) => ({ ...a, [key]: { data: [1, 2], shape: [3] } }),
    })),
    ...(scale === undefined ? [] : [{
      names: scale,
      apply: (a: Record<string, unknown>) => ({ ...a, [scale]: every(a[scale], 0) }),
    }]),
    ...(zeroPoint === undefined ? [] : [{
      names: zeroPoint,
      apply: (a: Record<string, unknown>) => ({ ...a, [zeroPoint]: every(a[zeroPoint], 300) }),
    }]),
  ];
}

/** The corruptions of each family's arguments. */
function corruptions(op: AnyOp): OpCorruption[] {
  switch (op.family) {
    case "unary":
      return [
        ...tensorCorruptions("x"),
        ...(op.golden.attrs.includes("y_scale") ? outputCorruptions : []),
      ];
    case "binary":
      return [
        ...tensorCorruptions("a"),
        ...tensorCorruptions("b"),
        ...outputCorruptions,
        {
          names: "b",
          apply: (a) => {
            const b = a.b as QuantizedTensor;
            const shorter = new QuantizedTensor(
              b.intRepr.slice(1),
              [b.size - 1],
              b.dtype,
              b.qparams,
            );
            return { ...a, b: shorter };
          },
        },
      ];
    case "pool":
      return [
        ...tensorCorruptions("x").slice(0, 1),
        {
          names: "kernelSize|outputSize",
          apply: (a) => {
            const w = a.window as Record<string, unknown>;
            return {
              ...a,
              window: w.kind === "adaptive_avg"
                ? { ...w, outputSize: [0, 1] }
                : { ...w, kernelSize: [0, 2] },
            };
          },
        },
      ];
    case "cat":
      return [
        { names: "xs", apply: (a) => ({ ...a, xs: [] }) },
        { names: "dim", apply: (a) => ({ ...a, dim: 7 }) },
        ...outputCorruptions,
      ];
    case "gemm":
    case "conv": {
      const weight =
        (f: (w: Record<string, unknown>) => Record<string, unknown>) =>
        (a: Record<string, unknown>) => ({
          ...a,
          weight: f({ ...(a.weight as Record<string, unknown>) }),
        });
      return [
        ...(op.name === "quantized_linear_dynamic"
          ? [{ names: "x", apply: (a: Record<string, unknown>) => ({ ...a, x: [1, 2, 3] }) }]
          : [...tensorCorruptions("x").slice(0, 2), ...outputCorruptions]),
        {
          names: "weight scales",
          apply: weight((w) => ({ ...w, scales: (w.scales as Float64Array).map(() => 0) })),
        },
        { names: "weight", apply: weight(() => ({})) },
        {
          names: "bias",
          apply: weight((w) => ({
            ...w,
            bias: new Float32Array(Number(w.outFeatures ?? w.outChannels) + 1),
          })),
        },
        { names: "relu", apply: (a) => ({ ...a, relu: 1 }) },
      ];
    }
    case "channelwise":
      return [
        ...tensorCorruptions("x"),
        ...outputCorruptions,
        {
          names: "weight",
          apply: (a) => ({
            ...a,
            params: { ...(a.params as object), weight: new Float32Array(0) },
          }),
        },
        { names: "eps", apply: (a) => ({ ...a, params: { ...(a.params as object), eps: -1 } }) },
        { names: "relu", apply: (a) => ({ ...a, relu: "yes" }) },
      ];
    case "onnx":
      return onnxCorruptions(op);
    default:
      return [];
  }
}

function refusal(run: () => unknown, names: RegExp, where: string): void {
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    assert.ok(
      e instanceof TypeError || e instanceof RangeError,
      `${where}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
    );
    assert.match(
      (e as Error).message,
      names,
      `${where}: "${(e as Error).message}" names no argument`,
    );
    return;
  }
  assert.fail(`${where}: returned ${String(result).slice(0, 40)} for a corrupted argument`);
}

/** The fuzz properties of every registered op (or of `ops`) on the reference and on `sets`. */
export function opFuzzProperties(
  sets: readonly KernelSet[],
  ops: readonly AnyOp[] = OPS,
): PropertyCheck[] {
  const checks: PropertyCheck[] = [];
  for (const op of ops) {
    const arb = familyArb(op);
    const list = corruptions(op);
    if (arb === undefined || list.length === 0) continue;
    checks.push({
      name: `${op.name}: every corrupted argument is refused, naming it, on every path`,
      op: `fuzz ${op.name}`,
      path: "all",
      runsFactor: 0.3,
      property: () =>
        fc.property(arb, fc.nat(list.length - 1), (args, which) => {
          const c = list[which];
          const names = new RegExp(c.names, "i");
          let bad: Record<string, unknown>;
          try {
            bad = c.apply(args as Record<string, unknown>);
          } catch (e) {
            // Building the bad argument was already refused (e.g. by QuantizedTensor).
            refusal(
              () => {
                throw e;
              },
              names,
              `${op.name} arguments`,
            );
            return;
          }
          refusal(() => runReference(op, bad, "qnnpack"), names, `${op.name} reference`);
          for (const set of op.kernel === undefined ? [] : sets) {
            const engine = kernelEngine(set.numerics);
            refusal(() => runKernel(op, set, bad, engine), names, `${op.name} on ${set.name}`);
          }
        }),
    });
  }
  return checks;
}
