/**
 * quint8 add, mul and channel concatenation on the generated kernels, in the numerics of one
 * elementwise family (`reference/quantized_elementwise.ts`): QNNPACK's fixed-point add, or ATen's
 * AVX2 add with its vector/scalar split; mul and cat are the same for every engine.
 * @module
 */
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import { f32, reciprocalF32 } from "../../reference/float32.ts";
import {
  type ElementwiseFamily,
  mulMultiplier,
  qnnpackAddParams,
  quantizedCat,
  vectorPrefix,
} from "../../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";
import type { CatInput, NhwcTensor, QParams8, QuantizedBinaryArgs } from "../kernel_set.ts";
import type { KernelRuntime } from "../runtime.ts";
import { BoundedCache, pad16, readBytes, scratchWithSlack, stage } from "../staging.ts";
import { buildCat, type CatExports } from "./cat_generate.ts";
import { buildElementwise, type ElementwiseExports } from "./generate.ts";

/** Checks quint8 per-tensor qparams, naming the argument. */
export function checkQParams8(name: string, qp: QParams8): void {
  checkScale(`${name} scale`, qp.scale);
  checkZeroPoint(`${name} zero point`, qp.zeroPoint, "quint8");
}

/** The ATen AVX2 vector/scalar requantization tables of one cat input (from the reference). */
function catTables(input: QParams8, output: QParams8): Uint8Array {
  const codes = new QuantizedTensor(
    Uint8Array.from({ length: 256 }, (_, i) => i),
    [1, 1, 16, 16],
    "quint8",
    { qscheme: "per_tensor_affine", scale: input.scale, zeroPoint: input.zeroPoint },
  );
  const options = {
    dim: 1,
    outputScale: output.scale,
    outputZeroPoint: output.zeroPoint,
    channelsLast: true,
  };
  // One channel: vectorLanes 1 puts it on the vector path, 0 on the scalar path.
  const tables = new Uint8Array(512);
  tables.set(quantizedCat([codes], { ...options, vectorLanes: 1 }).intRepr as Uint8Array, 0);
  tables.set(quantizedCat([codes], { ...options, vectorLanes: 0 }).intRepr as Uint8Array, 256);
  return tables;
}

/** Elementwise quint8 ops of one family. */
export class QElementwise {
  private readonly tables = new BoundedCache<Uint8Array>();

  /**
   * @param family the add numerics: `qnnpack` or `aten_avx2`
   */
  constructor(
    private readonly runtime: KernelRuntime,
    readonly family: ElementwiseFamily,
  ) {}

  /** The kernel names this class runs. */
  get kernelNames(): string[] {
    return [
      this.family === "qnnpack" ? "qu8_vadd__wasmsimd_qnnpack" : "qu8_vadd__wasmsimd_aten_avx2",
      "qu8_vmul__wasmsimd",
      "qu8_cat_nhwc__wasmsimd_lut",
    ];
  }

  private elementwise(): ElementwiseExports {
    return this.runtime.instance<ElementwiseExports>("elementwise", buildElementwise);
  }

  private stageOperands(a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs) {
    if (!(a instanceof Uint8Array)) throw new TypeError(`a: expected a Uint8Array of quint8 codes`);
    if (!(b instanceof Uint8Array)) throw new TypeError(`b: expected a Uint8Array of quint8 codes`);
    if (a.length !== b.length) {
      throw new RangeError(
        `b: ${b.length} elements, a has ${a.length} (same-shape operands only; broadcasting is ` +
          `not supported)`,
      );
    }
    checkQParams8("a", args.a);
    checkQParams8("b", args.b);
    checkQParams8("output", args.output);
    const rt = this.runtime;
    const pa = stage(rt, "ew.a", a).ptr;
    const pb = stage(rt, "ew.b", b).ptr;
    const out = scratchWithSlack(rt, "ew.out", a.length).ptr;
    return { pa, pb, out, n: a.length };
  }

  /** `quantized::add[_relu]` (see KernelSet.add). */
  add(a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs): Uint8Array {
    const { pa, pb, out, n } = this.stageOperands(a, b, args);
    const k = this.elementwise();
    const { scale: so, zeroPoint: zo } = args.output;
    if (this.family === "qnnpack") {
      const p = qnnpackAddParams(
        args.a.scale,
        args.a.zeroPoint,
        args.b.scale,
        args.b.zeroPoint,
        so,
      );
      const lo = args.relu ? zo : 0;
      if (lo >= 255) {
        throw new RangeError(
          `output zero point: QNNPACK's add_relu refuses the empty output range [${lo}, 255]`,
        );
      }
      k.add_qnnpack(
        pa,
        pb,
        out,
        pad16(n),
        p.aMultiplier,
        p.bMultiplier,
        p.zeroPointProduct,
        p.shift,
        zo,
        lo,
      );
      return readBytes(this.runtime, out, n);
    }
    const inv = reciprocalF32(so);
    const floor = args.relu ? 0 : -Infinity;
    const sa = f32(args.a.scale);
    const sb = f32(args.b.scale);
    const nv = vectorPrefix(n);
    if (nv > 0) {
      // The premultiplied `f32(s·−zp)` of `Vectorized<quint8>::dequantize`.
      const ca = f32(sa * -args.a.zeroPoint);
      const cb = f32(sb * -args.b.zeroPoint);
      k.add_aten_vector(pa, pb, out, nv, sa, ca, sb, cb, inv, zo, floor);
    }
    if (n > nv) {
      k.add_aten_scalar(
        pa + nv,
        pb + nv,
        out + nv,
        pad16(n - nv),
        sa,
        args.a.zeroPoint,
        sb,
        args.b.zeroPoint,
        inv,
        zo,
        floor,
      );
    }
    return readBytes(this.runtime, out, n);
  }

  /** `quantized::mul[_relu]` (see KernelSet.mul). */
  mul(a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs): Uint8Array {
    const { pa, pb, out, n } = this.stageOperands(a, b, args);
    const { scale: so, zeroPoint: zo } = args.output;
    const m = mulMultiplier(args.a.scale, args.b.scale, so);
    const lo = args.relu ? zo : 0;
    const k = this.elementwise();
    const scalars = [args.a.zeroPoint, args.b.zeroPoint, m, zo, lo] as const;
    const nv = vectorPrefix(n);
    if (nv > 0) k.mul_aten_vector(pa, pb, out, nv, ...scalars);
    if (n > nv) k.mul_aten_scalar(pa + nv, pb + nv, out + nv, pad16(n - nv), ...scalars);
    return readBytes(this.runtime, out, n);
  }

  /** `quantized::cat` along NHWC channels (see KernelSet.catChannelsNhwc). */
  catChannelsNhwc(xs: readonly CatInput[], output: QParams8): NhwcTensor {
    if (!Array.isArray(xs) || xs.length === 0) {
      throw new RangeError(`xs: expected at least one tensor, got ${xs?.length ?? xs}`);
    }
    const [n, h, w] = xs[0].tensor.shape;
    xs.forEach(({ tensor, qparams }, i) => {
      const [ni, hi, wi, ci] = tensor.shape;
      if (ni !== n || hi !== h || wi !== w) {
        throw new RangeError(
          `xs[${i}]: shape [${tensor.shape}] differs from xs[0]'s [${xs[0].tensor.shape}] ` +
            `outside the channels`,
        );
      }
      if (tensor.data.length !== ni * hi * wi * ci) {
        throw new RangeError(`xs[${i}]: ${tensor.data.length} codes for shape [${tensor.shape}]`);
      }
      checkQParams8(`xs[${i}]`, qparams);
    });
    checkQParams8("output", output);
    const cOut = xs.reduce((sum, x) => sum + x.tensor.shape[3], 0);
    const npix = n * h * w;
    const rt = this.runtime;
    const out = rt.scratchBlock("cat.out", Math.max(npix * cOut, 16)).ptr;
    const k = rt.instance<CatExports>("cat", buildCat);
    let cBase = 0;
    for (const { tensor, qparams } of xs) {
      const c = tensor.shape[3];
      const tables = qparams.scale === output.scale && qparams.zeroPoint === output.zeroPoint
        ? null
        : this.tables.get(
          `${qparams.scale}|${qparams.zeroPoint}|${output.scale}|${output.zeroPoint}`,
          () => catTables(qparams, output),
        );
      const t = tables === null ? 0 : rt.scratchBlock("cat.tables", 512).ptr;
      const x = stage(rt, "cat.x", tensor.data).ptr;
      if (tables === null) k.cat_copy(x, out + cBase, npix, c, cOut);
      else {
        rt.memory.u8().set(tables, t);
        // ATen's AVX2 vectors take the first floor(C/8)·8 channels of each input.
        const nv = Math.floor(c / 8) * 8;
        k.cat_lut(x, out + cBase, npix, c, cOut, Math.floor(nv / 16) * 16, nv, t, t + 256);
      }
      cBase += c;
    }
    return { data: readBytes(rt, out, npix * cOut), shape: [n, h, w, cOut] };
  }
}
