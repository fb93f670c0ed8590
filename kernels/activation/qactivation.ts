/**
 * quint8 activations on the generated kernels: relu and relu6 as clamps, hardswish, sigmoid and
 * tanh as 256-entry table lookups. The tables are the reference op applied to the 256 codes —
 * exact by construction. For ATen's kernels (x86 paths) a code's result also depends on whether
 * its position takes the vector path (the first `floor(n/64)·64` elements) or the scalar tail,
 * so there are two tables: the reference on 256 codes with the default vector block (all vector)
 * and with `vectorBlock: 0` (all scalar). QNNPACK's two tables are the same.
 * @module
 */
import type { Engine } from "../../reference/engine.ts";
import { reciprocalF32 } from "../../reference/float32.ts";
import { quantizeVal } from "../../reference/quantize.ts";
import {
  quantizedHardswish,
  quantizedSigmoid,
  quantizedTanh,
} from "../../reference/quantized_activations.ts";
import { vectorPrefix } from "../../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import type { QParams8 } from "../kernel_set.ts";
import type { OpsMutation } from "../ops_mutation.ts";
import type { KernelRuntime } from "../runtime.ts";
import { BoundedCache, pad16, readBytes, scratchWithSlack, stage } from "../staging.ts";
import { checkQParams8 } from "../elementwise/qelementwise.ts";
import { type ActivationExports, buildActivation } from "./generate.ts";

/** The 256 quint8 codes as a tensor with qparams `qp`. */
function allCodes(qp: QParams8): QuantizedTensor {
  return new QuantizedTensor(Uint8Array.from({ length: 256 }, (_, i) => i), [256], "quint8", {
    qscheme: "per_tensor_affine",
    scale: qp.scale,
    zeroPoint: qp.zeroPoint,
  });
}

/** A table op: the reference applied to a tensor with a vector block. */
type TableOp = (x: QuantizedTensor, vectorBlock: number) => QuantizedTensor;

/** quint8 activations in the numerics of one engine. */
export class QActivation {
  private readonly tables = new BoundedCache<Uint8Array>();

  /**
   * @param engine `x86` (ATen's kernels) or `qnnpack` (QNNPACK's tables)
   * @param mutation test-only planted bug
   */
  constructor(
    private readonly runtime: KernelRuntime,
    readonly engine: Engine,
    private readonly mutation?: OpsMutation,
  ) {}

  /** The kernel names this class runs. */
  get kernelNames(): string[] {
    return ["qu8_clamp__wasmsimd", "qu8_lut256__wasmsimd_swizzle"];
  }

  private kernels(): ActivationExports {
    const m = this.mutation;
    const planted = m === "lut-index" || m === "clamp-bound" ? m : undefined;
    return this.runtime.instance<ActivationExports>(
      `activation${planted ? `|${planted}` : ""}`,
      () => buildActivation({ mutation: planted }),
    );
  }

  private clamp(x: Uint8Array, lo: number, hi: number): Uint8Array {
    if (!(x instanceof Uint8Array)) throw new TypeError(`x: expected a Uint8Array of quint8 codes`);
    const src = stage(this.runtime, "act.x", x).ptr;
    const out = scratchWithSlack(this.runtime, "act.out", x.length).ptr;
    this.kernels().clamp(src, out, pad16(x.length), lo, hi);
    return readBytes(this.runtime, out, x.length);
  }

  /** `relu`: `max(q, zp)`. */
  relu(x: Uint8Array, qparams: QParams8): Uint8Array {
    checkQParams8("x", qparams);
    return this.clamp(x, qparams.zeroPoint, 255);
  }

  /** `relu6`: `min(max(q, zp), six)`, `six` quantized as the reference does. */
  relu6(x: Uint8Array, qparams: QParams8): Uint8Array {
    checkQParams8("x", qparams);
    const { scale, zeroPoint } = qparams;
    const six = quantizeVal(6, reciprocalF32(scale), zeroPoint, 0, 255);
    return this.clamp(x, zeroPoint, six);
  }

  /** `quantized::hardswish` to `output`. */
  hardswish(x: Uint8Array, input: QParams8, output: QParams8): Uint8Array {
    checkQParams8("input", input);
    checkQParams8("output", output);
    return this.lookup(
      x,
      `hardswish|${input.scale}|${input.zeroPoint}|${output.scale}|${output.zeroPoint}`,
      input,
      (t, vectorBlock) =>
        quantizedHardswish(t, {
          engine: this.engine,
          outputScale: output.scale,
          outputZeroPoint: output.zeroPoint,
          vectorBlock,
        }),
    );
  }

  /** `sigmoid`, output qparams (1/256, 0). */
  sigmoid(x: Uint8Array, input: QParams8): Uint8Array {
    checkQParams8("input", input);
    return this.lookup(
      x,
      `sigmoid|${input.scale}|${input.zeroPoint}`,
      input,
      (t, vectorBlock) => quantizedSigmoid(t, { engine: this.engine, vectorBlock }),
    );
  }

  /** `tanh`, output qparams (2/256, 128). */
  tanh(x: Uint8Array, input: QParams8): Uint8Array {
    checkQParams8("input", input);
    return this.lookup(
      x,
      `tanh|${input.scale}|${input.zeroPoint}`,
      input,
      (t, vectorBlock) => quantizedTanh(t, { engine: this.engine, vectorBlock }),
    );
  }

  private lookup(x: Uint8Array, key: string, input: QParams8, op: TableOp): Uint8Array {
    if (!(x instanceof Uint8Array)) throw new TypeError(`x: expected a Uint8Array of quint8 codes`);
    const tables = this.tables.get(key, () => {
      const codes = allCodes(input);
      const both = new Uint8Array(512);
      both.set(op(codes, 64).intRepr as Uint8Array, 0); // 256 codes: all on the vector path
      both.set(op(codes, 0).intRepr as Uint8Array, 256); // all on the scalar path
      return both;
    });
    const rt = this.runtime;
    const n = x.length;
    const src = stage(rt, "act.x", x).ptr;
    const out = scratchWithSlack(rt, "act.out", n).ptr;
    const table = rt.scratchBlock("act.tables", 512).ptr;
    rt.memory.u8().set(tables, table);
    const k = this.kernels();
    const nv = vectorPrefix(n);
    if (nv > 0) k.lut(src, out, nv, table);
    if (n > nv) k.lut(src + nv, out + nv, pad16(n - nv), table + 256);
    return readBytes(rt, out, n);
  }
}
