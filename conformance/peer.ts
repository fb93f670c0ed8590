/**
 * Conformance of an engine of the `onnx` profile that answers asynchronously (onnxruntime-web):
 *
 * - `conformOnnxEngine`: every ONNX golden case (`onnx.*`, `com.microsoft.*`) on the engine,
 *   compared bit for bit as the reference is, reported like any other path;
 * - `pytorchDifferences`: the PyTorch goldens whose op has an ONNX counterpart, run through the
 *   engine as that counterpart, and per op and engine how many elements differ from what PyTorch
 *   computed and by how much. These are not failures: the `onnx` profile is not PyTorch's.
 * @module
 */
import { compareOutput, type Produced } from "./compare.ts";
import type { GoldenCase, GoldenTensor } from "./golden_file.ts";
import { toNumbers } from "./golden_file.ts";
import { AttrReader, MalformedCase, type RunContext, UnsupportedCase } from "./op_handler.ts";
import { ONNX_OP_SPECS, type OnnxOpSpec } from "./ops/onnx.ts";
import type { CheckResult } from "./report.ts";
import { listGoldenFiles, loadGoldenFile, type Status } from "./runner.ts";
import type { OnnxOps } from "../peers/onnx_ops.ts";
import type { Int8Data, OnnxTensor } from "../reference/onnx/mod.ts";
import { roundHalfEven } from "../reference/float32.ts";

const SPECS = new Map<string, OnnxOpSpec>(ONNX_OP_SPECS.map((s) => [s.op, s]));

function context(testCase: GoldenCase, pathName: string): RunContext {
  return {
    testCase,
    path: { name: pathName },
    attrs: new AttrReader(testCase.attrs),
    input(name) {
      const t = testCase.inputs[name];
      if (t === undefined) throw new MalformedCase(`input "${name}" is missing`);
      return t;
    },
    optionalInput: (name) => testCase.inputs[name],
  };
}

/** How an engine's error is reported: a missing kernel is unsupported, anything else fails. */
function errorStatus(e: unknown): { status: Status; reason: string } {
  if (e instanceof UnsupportedCase) return { status: "unsupported", reason: e.message };
  if (e instanceof MalformedCase) return { status: "malformed", reason: e.message };
  const message = (e as Error).message ?? String(e);
  const missing = /NOT_IMPLEMENTED|Could not find an implementation|not supported/i.test(message);
  return {
    status: missing ? "unsupported" : "fail",
    reason: `threw: ${message.split("\n")[0].slice(0, 300)}`,
  };
}

/** Runs one ONNX golden case on an engine and compares every output bit for bit. */
export async function runOnnxCase(
  testCase: GoldenCase,
  engine: OnnxOps,
): Promise<{ status: Status; reason?: string }> {
  const spec = SPECS.get(testCase.op);
  if (spec === undefined) return { status: "unsupported", reason: `unknown op "${testCase.op}"` };
  let produced: Record<string, Produced>;
  try {
    produced = await spec.decode(context(testCase, engine.name))(engine);
  } catch (e) {
    return errorStatus(e);
  }
  let status: Status = "pass";
  const reasons: string[] = [];
  for (const [name, expected] of Object.entries(testCase.outputs)) {
    const actual = produced[name];
    if (actual === undefined) {
      return { status: "unsupported", reason: `output "${name}" not computed` };
    }
    const cmp = compareOutput(expected, actual, testCase.compare[name]);
    if (cmp.status === "fail") {
      status = "fail";
      reasons.push(`${name}: ${cmp.reason}`);
    } else if (cmp.status === "deviation" && status === "pass") {
      status = "deviation";
      reasons.push(
        `${name}: ${cmp.buildDependent} build-dependent element(s) (NaN), ` +
          `${cmp.buildDependentDiffering} differ from the recorded value`,
      );
    }
  }
  return { status, reason: reasons.length > 0 ? reasons.join("; ") : undefined };
}

/** Runs every ONNX golden case under `targets` on an engine; other ops are left out. */
export async function conformOnnxEngine(
  engine: OnnxOps,
  targets: readonly string[],
  shown: (file: string) => string = (f) => f,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const target of targets) {
    for (const file of await listGoldenFiles(target)) {
      const loaded = await loadGoldenFile(file);
      if (!("cases" in loaded)) continue;
      const cases = loaded.cases.filter((c) => SPECS.has(c.op));
      if (cases.length === 0) continue;
      let failed = 0;
      for (const testCase of cases) {
        const r = await runOnnxCase(testCase, engine);
        if (r.status !== "pass" && r.status !== "deviation") failed++;
        out.push({
          kind: "golden",
          op: testCase.op,
          path: engine.name,
          name: `${shown(file)}#${testCase.id}`,
          status: r.status,
          reason: r.reason,
        });
      }
      console.log(
        `golden ${shown(file)} on ${engine.name}: ${cases.length} checks, ${failed} not passing`,
      );
    }
  }
  return out;
}

/** Per PyTorch op and engine: how the ONNX engine's answers differ from PyTorch's. */
export interface PytorchDifference {
  /** The PyTorch golden op. */
  readonly op: string;
  /** The ONNX operator it ran as. */
  readonly onnxOp: string;
  /** The PyTorch engine that recorded the cases (`-` when engine-independent). */
  readonly engine: string;
  readonly cases: number;
  /** Cases the mapping could not express (e.g. a float bias without a conv). */
  readonly skipped: number;
  readonly casesDiffering: number;
  readonly elements: number;
  readonly elementsDiffering: number;
  /** The largest |difference| (in codes for quantized outputs, in float for float outputs). */
  readonly maxAbsDifference: number;
}

type Mapped = { onnxOp: string; run: (e: OnnxOps) => Promise<ArrayLike<number>> } | null;

function numbers(t: GoldenTensor): Float64Array {
  return toNumbers(t);
}

function int8Tensor(t: GoldenTensor): OnnxTensor<Int8Data> {
  return { data: t.data as Int8Data, shape: t.shape };
}

function transpose(w: GoldenTensor): OnnxTensor<Int8Data> {
  const [n, k] = w.shape;
  const out = new Int8Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) out[j * n + i] = (w.data as Int8Array)[i * k + j];
  }
  return { data: out, shape: [k, n] };
}

/** The QLinear output after PyTorch's fused ReLU: codes below the zero point become it. */
function relu(y: ArrayLike<number>, zeroPoint: number, on: boolean): ArrayLike<number> {
  return on ? Array.from(y, (v) => Math.max(v, zeroPoint)) : y;
}

/** How a PyTorch golden case runs as an ONNX operator, or null when it cannot. */
function mapPytorchCase(c: GoldenCase): Mapped {
  const a = new AttrReader(c.attrs);
  const i = c.inputs;
  switch (c.op) {
    case "quantize_per_tensor": {
      const dtype = a.string("dtype");
      if (dtype !== "quint8" && dtype !== "qint8") return null;
      return {
        onnxOp: "QuantizeLinear",
        run: (e) =>
          Promise.resolve(e.quantizeLinear({ data: i.x.data as Float32Array, shape: i.x.shape }, {
            scale: a.number("scale"),
            zeroPoint: a.int("zero_point"),
            type: dtype === "quint8" ? "uint8" : "int8",
          })),
      };
    }
    case "dequantize_per_tensor": {
      if (i.q.dtype !== "uint8" && i.q.dtype !== "int8") return null;
      return {
        onnxOp: "DequantizeLinear",
        run: (e) =>
          Promise.resolve(e.dequantizeLinear(int8Tensor(i.q), {
            scale: a.number("scale"),
            zeroPoint: a.int("zero_point"),
          })),
      };
    }
    case "quantized_linear": {
      if (i.bias !== undefined) return null; // QLinearMatMul has no bias
      const wScales = numbers(i.w_scales);
      const wZps = numbers(i.w_zero_points);
      const yZp = a.int("y_zero_point");
      return {
        onnxOp: "QLinearMatMul",
        run: async (e) => {
          const y = await e.qLinearMatMul(int8Tensor(i.x), transpose(i.w), {
            aScale: a.number("x_scale"),
            aZeroPoint: a.int("x_zero_point"),
            bScale: wScales.length === 1 ? wScales[0] : wScales,
            bZeroPoint: wZps.length === 1 ? wZps[0] : wZps,
            yScale: a.number("y_scale"),
            yZeroPoint: yZp,
            yType: "uint8",
          });
          return relu(y.data, yZp, a.bool("relu"));
        },
      };
    }
    case "quantized_conv2d": {
      const xScale = a.number("x_scale");
      const wScales = numbers(i.w_scales);
      const wZps = numbers(i.w_zero_points);
      const yZp = a.int("y_zero_point");
      const bias = i.bias === undefined ? null : Int32Array.from(
        numbers(i.bias),
        // The float bias quantized as ONNX exporters do: round(bias / (x_scale·w_scale)).
        (b, ch) =>
          roundHalfEven(
            b / (Math.fround(xScale) * Math.fround(wScales[wScales.length === 1 ? 0 : ch])),
          ),
      );
      return {
        onnxOp: "QLinearConv",
        run: async (e) => {
          const y = await e.qLinearConv(int8Tensor(i.x), int8Tensor(i.w), {
            strides: a.ints("stride"),
            pads: [...a.ints("padding"), ...a.ints("padding")],
            dilations: a.ints("dilation"),
            group: a.int("groups"),
            xScale,
            xZeroPoint: a.int("x_zero_point"),
            wScale: wScales.length === 1 ? wScales[0] : wScales,
            wZeroPoint: wZps.length === 1 ? wZps[0] : wZps,
            yScale: a.number("y_scale"),
            yZeroPoint: yZp,
            yType: "uint8",
            bias,
          });
          return relu(y.data, yZp, a.bool("relu"));
        },
      };
    }
    case "quantized_add":
    case "quantized_add_relu":
    case "quantized_mul":
    case "quantized_mul_relu": {
      const add = c.op.startsWith("quantized_add");
      const yZp = a.int("y_zero_point");
      const args = {
        aScale: a.number("a_scale"),
        aZeroPoint: a.int("a_zero_point"),
        bScale: a.number("b_scale"),
        bZeroPoint: a.int("b_zero_point"),
        cScale: a.number("y_scale"),
        cZeroPoint: yZp,
      };
      return {
        onnxOp: add ? "QLinearAdd" : "QLinearMul",
        run: async (e) => {
          const y = add
            ? await e.qLinearAdd(int8Tensor(i.a), int8Tensor(i.b), args)
            : await e.qLinearMul(int8Tensor(i.a), int8Tensor(i.b), args);
          return relu(y.data, yZp, c.op.endsWith("_relu"));
        },
      };
    }
    default:
      return null;
  }
}

/** The PyTorch ops `pytorchDifferences` maps to ONNX operators. */
export const PYTORCH_OPS_WITH_ONNX_COUNTERPARTS = [
  "quantize_per_tensor",
  "dequantize_per_tensor",
  "quantized_linear",
  "quantized_conv2d",
  "quantized_add",
  "quantized_add_relu",
  "quantized_mul",
  "quantized_mul_relu",
];

/** Runs the PyTorch goldens under `targets` through `engine` as their ONNX counterparts. */
export async function pytorchDifferences(
  engine: OnnxOps,
  targets: readonly string[],
): Promise<PytorchDifference[]> {
  const rows = new Map<string, {
    op: string;
    onnxOp: string;
    engine: string;
    cases: number;
    skipped: number;
    casesDiffering: number;
    elements: number;
    elementsDiffering: number;
    maxAbsDifference: number;
  }>();
  for (const target of targets) {
    for (const file of await listGoldenFiles(target)) {
      const loaded = await loadGoldenFile(file);
      if (!("cases" in loaded)) continue;
      for (const c of loaded.cases) {
        if (!PYTORCH_OPS_WITH_ONNX_COUNTERPARTS.includes(c.op)) continue;
        if (c.id.includes("build-dependent")) continue; // PyTorch itself differs by build there
        let mapped: Mapped;
        try {
          mapped = mapPytorchCase(c);
        } catch {
          mapped = null;
        }
        const key = `${c.op}|${c.engine ?? "-"}`;
        const row = rows.get(key) ?? {
          op: c.op,
          onnxOp: mapped?.onnxOp ?? "-",
          engine: c.engine ?? "-",
          cases: 0,
          skipped: 0,
          casesDiffering: 0,
          elements: 0,
          elementsDiffering: 0,
          maxAbsDifference: 0,
        };
        rows.set(key, row);
        row.cases++;
        if (mapped === null) {
          row.skipped++;
          continue;
        }
        if (row.onnxOp === "-") row.onnxOp = mapped.onnxOp;
        let got: ArrayLike<number>;
        try {
          got = await mapped.run(engine);
        } catch {
          row.skipped++;
          continue;
        }
        const expected = Object.values(c.outputs)[0];
        const want = numbers(expected);
        let differing = 0;
        for (let k = 0; k < want.length; k++) {
          const same = Object.is(Math.fround(want[k]), Math.fround(got[k])) ||
            (want[k] === 0 && got[k] === 0 && expected.dtype !== "float32");
          if (!same) {
            differing++;
            row.maxAbsDifference = Math.max(row.maxAbsDifference, Math.abs(want[k] - got[k]));
          }
        }
        row.elements += want.length;
        row.elementsDiffering += differing;
        if (differing > 0) row.casesDiffering++;
      }
    }
  }
  return [...rows.values()];
}
