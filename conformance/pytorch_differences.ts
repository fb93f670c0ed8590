/**
 * Where an engine of the `onnx` profile differs from PyTorch: the PyTorch goldens whose op has an
 * ONNX counterpart in the registry's onnx family, run through a kernel module as that counterpart,
 * and per op and engine how many elements differ from what PyTorch computed and by how much.
 * These are not failures: the `onnx` profile is not PyTorch's.
 * @module
 */
import type { GoldenCase, GoldenTensor } from "./golden_file.ts";
import { toNumbers } from "./golden_file.ts";
import { AttrReader } from "./op_handler.ts";
import { listGoldenFiles, loadGoldenFile } from "./runner.ts";
import type { KernelModule } from "../ops/kernel_module.ts";
import * as onnxOps from "../ops/onnx.ts";
import type { AnyOp } from "../ops/op.ts";
import type { Int8Data, OnnxTensor } from "../reference/onnx/mod.ts";
import { roundHalfEven } from "../reference/float32.ts";

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

/** A PyTorch case as an onnx-family op: its arguments, and the zero point of a fused ReLU. */
type Mapped = { op: AnyOp; args: unknown; reluZeroPoint?: number } | null;

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

/** How a PyTorch golden case runs as an ONNX operator, or null when it cannot. */
function mapPytorchCase(c: GoldenCase): Mapped {
  const a = new AttrReader(c.attrs);
  const i = c.inputs;
  switch (c.op) {
    case "quantize_per_tensor": {
      const dtype = a.string("dtype");
      if (dtype !== "quint8" && dtype !== "qint8") return null;
      return {
        op: onnxOps.quantizeLinear,
        args: {
          x: { data: i.x.data as Float32Array, shape: i.x.shape },
          scale: a.number("scale"),
          zeroPoint: a.int("zero_point"),
          type: dtype === "quint8" ? "uint8" : "int8",
        },
      };
    }
    case "dequantize_per_tensor": {
      if (i.q.dtype !== "uint8" && i.q.dtype !== "int8") return null;
      return {
        op: onnxOps.dequantizeLinear,
        args: { x: int8Tensor(i.q), scale: a.number("scale"), zeroPoint: a.int("zero_point") },
      };
    }
    case "quantized_linear": {
      if (i.bias !== undefined) return null; // QLinearMatMul has no bias
      const wScales = numbers(i.w_scales);
      const wZps = numbers(i.w_zero_points);
      const yZp = a.int("y_zero_point");
      return {
        op: onnxOps.qLinearMatMul,
        args: {
          a: int8Tensor(i.x),
          b: transpose(i.w),
          aScale: a.number("x_scale"),
          aZeroPoint: a.int("x_zero_point"),
          bScale: wScales.length === 1 ? wScales[0] : wScales,
          bZeroPoint: wZps.length === 1 ? wZps[0] : wZps,
          yScale: a.number("y_scale"),
          yZeroPoint: yZp,
          yType: "uint8",
        },
        reluZeroPoint: a.bool("relu") ? yZp : undefined,
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
        op: onnxOps.qLinearConv,
        args: {
          x: int8Tensor(i.x),
          w: int8Tensor(i.w),
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
        },
        reluZeroPoint: a.bool("relu") ? yZp : undefined,
      };
    }
    case "quantized_add":
    case "quantized_add_relu":
    case "quantized_mul":
    case "quantized_mul_relu": {
      const yZp = a.int("y_zero_point");
      return {
        op: c.op.startsWith("quantized_add") ? onnxOps.qLinearAdd : onnxOps.qLinearMul,
        args: {
          a: int8Tensor(i.a),
          b: int8Tensor(i.b),
          aScale: a.number("a_scale"),
          aZeroPoint: a.int("a_zero_point"),
          bScale: a.number("b_scale"),
          bZeroPoint: a.int("b_zero_point"),
          cScale: a.number("y_scale"),
          cZeroPoint: yZp,
        },
        reluZeroPoint: c.op.endsWith("_relu") ? yZp : undefined,
      };
    }
    default:
      return null;
  }
}

/** Runs a mapped case on the module: the op's single output, after PyTorch's fused ReLU. */
async function runMapped(m: NonNullable<Mapped>, module: KernelModule): Promise<ArrayLike<number>> {
  m.op.check(m.args, "onednn"); // arguments the onnx profile refuses are skipped
  const result = await module.ops[m.op.name](m.args);
  const y = Object.values(m.op.golden.encode(result, m.args))[0].data as ArrayLike<number>;
  // The QLinear output after PyTorch's fused ReLU: codes below the zero point become it.
  const zp = m.reluZeroPoint;
  return zp === undefined ? y : Array.from(y, (v) => Math.max(v, zp));
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

/**
 * Runs the PyTorch goldens under `targets` through a module's onnx-family ops as their ONNX
 * counterparts (a counterpart the module lacks is left out).
 */
export async function pytorchDifferences(
  module: KernelModule,
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
        if (mapped !== null && module.ops[mapped.op.name] === undefined) continue;
        const key = `${c.op}|${c.engine ?? "-"}`;
        const row = rows.get(key) ?? {
          op: c.op,
          onnxOp: mapped?.op.name ?? "-",
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
        if (row.onnxOp === "-") row.onnxOp = mapped.op.name;
        let got: ArrayLike<number>;
        try {
          got = await runMapped(mapped, module);
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
