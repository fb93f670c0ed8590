/**
 * The unary kernels on quint8 codes: an integer clamp, and a 256-entry table lookup. They know
 * no op: the unary ops (`ops/unary.ts`) turn an op into clamp bounds or a table — the reference
 * applied to the 256 codes, exact by construction — and these kernels apply it. For ATen's
 * kernels (x86 paths) a code's result also depends on whether its position takes the vector
 * path (the first `floor(n/vectorBlock)·vectorBlock` elements) or the scalar tail, so a table has
 * two halves; QNNPACK's two halves are the same.
 * @module
 */
import { vectorPrefix } from "../../reference/quantized_elementwise.ts";
import type { CodeTable, NhwcTensor } from "../kernel_set.ts";
import type { KernelRuntime } from "../runtime.ts";
import { pad16, readBytes, scratchWithSlack, stage } from "../staging.ts";
import { type ActivationExports, buildActivation } from "./generate.ts";

/** The unary kernels of one runtime. */
export class QActivation {
  constructor(private readonly runtime: KernelRuntime) {}

  /** The kernel names this class runs. */
  get kernelNames(): string[] {
    return ["qu8_clamp__wasmsimd", "qu8_lut256__wasmsimd_swizzle"];
  }

  private kernels(): ActivationExports {
    return this.runtime.instance<ActivationExports>("activation", buildActivation);
  }

  /** `min(max(q, lo), hi)` of every code. */
  clamp(x: Uint8Array, lo: number, hi: number): Uint8Array {
    const src = stage(this.runtime, "act.x", x).ptr;
    const out = scratchWithSlack(this.runtime, "act.out", x.length).ptr;
    this.kernels().clamp(src, out, pad16(x.length), lo, hi);
    return readBytes(this.runtime, out, x.length);
  }

  /** Per-channel tables (`tables[256·c + q]`) on NHWC codes. */
  lookupChannels(x: NhwcTensor, tables: Uint8Array): NhwcTensor {
    const rt = this.runtime;
    const [n, h, w, c] = x.shape;
    const src = stage(rt, "act.x", x.data).ptr;
    const out = scratchWithSlack(rt, "act.out", x.data.length).ptr;
    const t = rt.scratchBlock("act.channel_tables", Math.max(tables.length, 256)).ptr;
    rt.memory.u8().set(tables, t);
    this.kernels().lut_channels(src, out, n * h * w, c, t);
    return { data: readBytes(rt, out, x.data.length), shape: x.shape };
  }

  /** `table[q]` of every code (the vector half for the vector prefix, the scalar half after). */
  lookup(x: Uint8Array, table: CodeTable): Uint8Array {
    const rt = this.runtime;
    const n = x.length;
    const src = stage(rt, "act.x", x).ptr;
    const out = scratchWithSlack(rt, "act.out", n).ptr;
    const tables = rt.scratchBlock("act.tables", 512).ptr;
    const u8 = rt.memory.u8();
    u8.set(table.vector, tables);
    u8.set(table.scalar, tables + 256);
    const k = this.kernels();
    const nv = vectorPrefix(n, table.vectorBlock);
    if (nv > 0) k.lut(src, out, nv, tables);
    if (n > nv) k.lut(src + nv, out + nv, pad16(n - nv), tables + 256);
    return readBytes(rt, out, n);
  }
}
