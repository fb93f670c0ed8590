/**
 * `deno task bench --kernels MODULE`: a kernel module's ops timed beside our kernel paths and our
 * fp32 baseline on one representative input per op (ResNet-18 / MobileNetV2 activation sizes),
 * every variant first checked against the reference of the module's numerics. Ops without a
 * bench input (the onnx family, and linear/conv until they join the registry) are listed.
 * @module
 */
import { timeGroups, UNTIMED } from "./timing.ts";
import { showSpeedup, speedup } from "./spread.ts";
import { type BenchRecord } from "./main.ts";
import { randomSource } from "./random.ts";
import { formatTable } from "../conformance/report.ts";
import { resultDifference } from "../conformance/properties/kernel_module.ts";
import type { Fp32Ops } from "../kernels/fp32_ops.ts";
import type { KernelSet, NhwcTensor } from "../kernels/kernel_set.ts";
import { nchwToNhwc } from "../kernels/qconv.ts";
import { type KernelModule, referenceEngine } from "../ops/kernel_module.ts";
import { type AnyOp, runKernel, runReference } from "../ops/op.ts";
import { OPS } from "../ops/registry.ts";
import type { UnaryOp } from "../ops/unary.ts";
import type { Domain } from "../ops/domain.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import type { Engine } from "../reference/engine.ts";

/** One timed variant of an op item: ours (fp32, a kernel path) or the module's. */
interface Variant {
  readonly variant: string;
  readonly run: () => unknown;
}

/** A quint8 NCHW activation of `shape` with per-tensor qparams. */
function activation(shape: number[], seed: number, scale = 0.05, zeroPoint = 128) {
  const rand = randomSource(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Uint8Array.from({ length: size }, () => Math.floor(rand() * 256));
  return new QuantizedTensor(data, shape, "quint8", {
    qscheme: "per_tensor_affine",
    scale,
    zeroPoint,
  });
}

/** The float values of a quantized tensor in NHWC order (the fp32 baseline's layout). */
function floatNhwc(x: QuantizedTensor): NhwcTensor<Float32Array> {
  const nhwc = nchwToNhwc(x.intRepr as Uint8Array, x.shape);
  const { scale, zeroPoint } = x.qparams as { scale: number; zeroPoint: number };
  return {
    data: Float32Array.from(nhwc.data, (q) => (q - zeroPoint) * scale),
    shape: nhwc.shape,
  };
}

/** A parameter value in the middle of its property domain. */
function typical(d: Domain): unknown {
  return d.kind === "choice"
    ? d.values[0]
    : d.kind === "int"
    ? Math.round((d.min + d.max) / 2)
    : (d.min + d.max) / 2;
}

/** Our fp32 kernel computing what an elementwise op computes, on float inputs of its size. */
const ELEMENTWISE_FP32: Readonly<
  Record<string, (f: Fp32Ops, x: Float32Array, y: Float32Array) => unknown>
> = {
  quantized_relu: (f, x) => f.relu(x),
  quantized_relu6: (f, x) => f.relu6(x),
  quantized_hardswish: (f, x) => f.hardswish(x),
  quantized_sigmoid: (f, x) => f.sigmoid(x),
  quantized_tanh: (f, x) => f.tanh(x),
  quantized_add: (f, x, y) => f.add(x, y),
  quantized_add_relu: (f, x, y) => f.add(x, y, true),
  quantized_mul: (f, x, y) => f.mul(x, y),
};

/** The bench input of an op and its fp32 counterpart, by family; undefined: none. */
function opInput(
  op: AnyOp,
  fp32: Fp32Ops,
): { label: string; args: unknown; fp32?: () => unknown } | undefined {
  const x = activation([1, 64, 56, 56], 1);
  const xf = floatNhwc(x).data;
  switch (op.family) {
    case "unary": {
      const u = op as UnaryOp;
      const params = Object.fromEntries(
        Object.entries(op.properties?.params ?? {}).map(([k, d]) => [k, typical(d)]),
      );
      const output = u.spec.output === "requantized" ? { scale: 0.04, zeroPoint: 100 } : undefined;
      const f = ELEMENTWISE_FP32[op.name];
      return {
        label: "1×64×56×56",
        args: { x, params, output },
        fp32: f && (() => f(fp32, xf, xf)),
      };
    }
    case "binary": {
      const b = activation([1, 64, 56, 56], 2, 0.04, 120);
      const bf = floatNhwc(b).data;
      const f = ELEMENTWISE_FP32[op.name];
      return {
        label: "1×64×56×56",
        args: { a: x, b, output: { scale: 0.08, zeroPoint: 128 } },
        fp32: f && (() => f(fp32, xf, bf)),
      };
    }
    case "pool": {
      if (op.name === "quantized_max_pool2d") {
        const stem = activation([1, 64, 112, 112], 3);
        const window = {
          kernelSize: [3, 3],
          stride: [2, 2],
          padding: [1, 1],
          dilation: [1, 1],
          ceilMode: false,
        } as const;
        const sf = floatNhwc(stem);
        return {
          label: "1×64×112×112 3×3/2 (ResNet-18 stem)",
          args: { x: stem, channelsLast: true, window: { kind: "max", ...window } },
          fp32: () => fp32.maxPool2dNhwc(sf, window),
        };
      }
      const head = activation([1, 512, 7, 7], 4);
      const hf = floatNhwc(head);
      const global = {
        kernelSize: [7, 7],
        stride: [7, 7],
        padding: [0, 0],
        ceilMode: false,
        countIncludePad: true,
        divisorOverride: null,
      } as const;
      const window = op.name === "quantized_avg_pool2d"
        ? { kind: "avg", ...global }
        : { kind: "adaptive_avg", outputSize: [1, 1] };
      return {
        label: "1×512×7×7 global (ResNet-18 head)",
        args: { x: head, channelsLast: true, window },
        fp32: () => fp32.avgPool2dNhwc(hf, global),
      };
    }
    case "cat": {
      const b = activation([1, 64, 56, 56], 5, 0.04, 120);
      const nhwc = [floatNhwc(x), floatNhwc(b)];
      return {
        label: "2 × 1×64×56×56 along channels",
        args: { xs: [x, b], dim: 1, output: { scale: 0.05, zeroPoint: 128 }, channelsLast: true },
        fp32: () => fp32.catChannelsNhwc(nhwc),
      };
    }
    default:
      return undefined;
  }
}

/** One op item: its variants, each checked against the reference (a string: why none). */
export async function moduleBenchItem(
  op: AnyOp,
  module: KernelModule,
  sets: readonly KernelSet[],
  fp32: Fp32Ops,
): Promise<{ op: AnyOp; label: string; variants: Variant[] } | string> {
  const input = opInput(op, fp32);
  if (input === undefined) {
    return `${op.name}: not timed (the bench has no item for the ${op.family} family)`;
  }
  const engine: Engine = referenceEngine(module.numerics, op)!;
  let expected: unknown;
  try {
    expected = runReference(op, input.args, engine);
  } catch (e) {
    return `${op.name}: not timed (the reference refuses its bench input: ${(e as Error).message})`;
  }
  const variants: Variant[] = [];
  if (input.fp32) variants.push({ variant: "fp32", run: input.fp32 });
  for (const set of sets) {
    if (op.kernel?.supports(set, input.args, engine)) {
      const got = runKernel(op, set, input.args, engine);
      const difference = resultDifference(op, input.args, got, expected);
      if (difference !== undefined) throw new Error(`${set.name} ${op.name}: ${difference}`);
      variants.push({ variant: set.name, run: () => runKernel(op, set, input.args, engine) });
    }
  }
  const impl = module.ops[op.name];
  const difference = resultDifference(op, input.args, await impl(input.args), expected);
  console.log(
    `  ${op.name} ${input.label}: ${variants.length} of our variants` +
      (difference === undefined
        ? `; ${module.name} matches the reference`
        : `; ${module.name} DIFFERS from the reference (${difference}), timed anyway`),
  );
  variants.push({ variant: module.name, run: () => impl(input.args) });
  return { op, label: input.label, variants };
}

/** Times the module's ops beside ours; prints the table; returns the records. */
export async function benchKernelModule(
  module: KernelModule,
  options: { sets: readonly KernelSet[]; fp32: Fp32Ops; filter: RegExp | null },
): Promise<BenchRecord[]> {
  console.log(`kernels: ${module.name} (${module.numerics} numerics)`);
  const items = [];
  for (const op of OPS) {
    if (module.ops[op.name] === undefined) continue;
    if (options.filter && !options.filter.test(op.name)) continue;
    const item = await moduleBenchItem(op, module, options.sets, options.fp32);
    if (typeof item === "string") console.log(`  ${item}`);
    else items.push(item);
  }
  if (items.length === 0) {
    console.log(
      `nothing to time: no bench item fits an op ${module.name} implements` +
        (module.numerics === "onnx"
          ? ` (bench --peer onnxruntime-web times QLinearMatMul and QLinearConv on our linear and ` +
            `conv items, with sessions built once)`
          : ""),
    );
    return [];
  }
  const quartiles = await timeGroups(
    items.map(({ op, label, variants }) => ({ label: `${op.name} ${label}`, variants })),
  );
  const records: BenchRecord[] = [];
  for (const { op, label, variants } of items) {
    const fp32 = quartiles.get(`${op.name} ${label} fp32`) ?? UNTIMED;
    for (const v of variants) {
      const q = quartiles.get(`${op.name} ${label} ${v.variant}`) ?? UNTIMED;
      records.push({
        name: op.name,
        op: "op",
        shape: label,
        M: 0,
        K: 0,
        N: 0,
        variant: v.variant,
        kernel: v.variant,
        ...q,
        gops: NaN,
        speedupOverFp32: fp32.medianNs / q.medianNs,
      });
    }
  }
  console.log("\n" + moduleTable(records, module.name));
  return records;
}

/** Per op: fp32, our best path, the module, and the module's time over ours. */
export function moduleTable(records: readonly BenchRecord[], moduleName: string): string {
  const ms = (r?: BenchRecord) => (r ? (r.medianNs / 1e6).toFixed(3) : "–");
  const rows: string[][] = [[
    "op",
    "input",
    "fp32 median ms",
    "ours: best path",
    "median ms",
    `${moduleName} median ms`,
    `${moduleName} ×fp32`,
    `× (${moduleName} / ours)`,
  ]];
  for (const name of new Set(records.map((r) => r.name))) {
    const of = records.filter((r) => r.name === name);
    const fp32 = of.find((r) => r.variant === "fp32");
    const theirs = of.find((r) => r.variant === moduleName)!;
    const ours = of.filter((r) => r.variant !== "fp32" && r.variant !== moduleName)
      .sort((a, b) => a.medianNs - b.medianNs)[0];
    rows.push([
      name,
      theirs.shape,
      ms(fp32),
      ours?.variant ?? "–",
      ms(ours),
      ms(theirs),
      fp32 ? showSpeedup(speedup(fp32, theirs)) : "–",
      ours ? showSpeedup(speedup(theirs, ours)) : "–",
    ]);
  }
  return formatTable(rows, [0, 1, 3]);
}
