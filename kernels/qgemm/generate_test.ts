/**
 * The GEMM tester: every int8 GEMM of the kernel catalog (each variant, MR = 1…4, each padded
 * K) against the scalar dot products it claims — exact (`usdot`, `dot16`) or with FBGEMM's int16
 * pair saturation (`x86sat`, `dot16sat`) — over every row remainder of its tile, one to three
 * column blocks, and codes uniform or crowded at the ends (where pairs saturate). Relaxed
 * variants run only where the start-up probe proved their arithmetic.
 */
import assert from "node:assert/strict";
import { kernelCatalog } from "../catalog.ts";
import { hasExactUnsignedDot, hasPmaddubswDot } from "../paths.ts";
import { KernelRuntime } from "../runtime.ts";
import type { ModuleBuilder } from "../wasm/mod.ts";
import { fbgemmDot } from "../../reference/quantized_linear.ts";
import { NR, packedBlockBytes, packWeights } from "./layout.ts";
import type { QGemmExports, QGemmSpec } from "./generate.ts";

const runtime = new KernelRuntime();

function runnable(spec: QGemmSpec): boolean {
  const f = runtime.features;
  if (spec.layout.variant === "usdot") return hasExactUnsignedDot(f);
  if (spec.layout.variant === "x86sat") return hasPmaddubswDot(f);
  return f.simd128;
}

function rand(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Runs one GEMM of `spec` on m rows and `blocks` column blocks and checks every output. */
function check(
  runtime: KernelRuntime,
  spec: QGemmSpec,
  m: number,
  blocks: number,
  k: number,
  seed: number,
  ends: boolean,
) {
  const { layout, kPadded } = spec;
  const r = rand(seed);
  const code = () => (ends && r() < 0.7 ? (r() < 0.5 ? 0 : 255) : Math.floor(r() * 256));
  const a = Uint8Array.from({ length: m * kPadded }, (_, i) => (i % kPadded < k ? code() : 0));
  const n = blocks * NR;
  const w = Int8Array.from({ length: n * k }, () => code() - 128);
  const mem = runtime.memory;
  const aBlock = mem.alloc(m * kPadded * layout.aElementBytes + 64);
  const bBlock = mem.alloc(packedBlockBytes(layout, kPadded) * blocks + 64);
  const cBlock = mem.alloc(m * n * 4 + 64);
  try {
    if (layout.aElementBytes === 1) mem.u8().set(a, aBlock.ptr);
    else mem.i16().set(a, aBlock.ptr / 2);
    const elements = kPadded * n;
    const view = layout.bElementBytes === 1
      ? mem.i8().subarray(bBlock.ptr, bBlock.ptr + elements)
      : mem.i16().subarray(bBlock.ptr / 2, bBlock.ptr / 2 + elements);
    packWeights(layout, w, n, k, view);
    const gemm = runtime.instance<QGemmExports>(
      `tester|${layout.variant}|${spec.mr}|${kPadded}`,
      () => buildFromCatalog(spec),
    );
    gemm.gemm(aBlock.ptr, bBlock.ptr, cBlock.ptr, m, blocks, n * 4);
    const c = mem.i32().slice(cBlock.ptr / 4, cBlock.ptr / 4 + m * n);
    const wPadded = new Int8Array(kPadded);
    for (let row = 0; row < m; row++) {
      for (let col = 0; col < n; col++) {
        wPadded.fill(0);
        wPadded.set(w.subarray(col * k, col * k + k));
        let expected = 0;
        if (layout.saturating) expected = fbgemmDot(a, row * kPadded, wPadded, 0, kPadded);
        else for (let i = 0; i < k; i++) expected += a[row * kPadded + i] * wPadded[i];
        if (c[row * n + col] !== expected) {
          assert.fail(
            `${layout.variant} ${spec.mr}x${NR} k${kPadded} (K ${k}, M ${m}, ${blocks} blocks): ` +
              `C[${row}, ${col}] = ${c[row * n + col]}, expected ${expected}`,
          );
        }
      }
    }
  } finally {
    mem.release(aBlock);
    mem.release(bBlock);
    mem.release(cBlock);
  }
}

const CATALOG = kernelCatalog();

function buildFromCatalog(spec: QGemmSpec): ModuleBuilder {
  const entry = CATALOG.find((e) => e.qgemm === spec);
  if (entry === undefined) throw new Error("not a catalog GEMM");
  return entry.build();
}

for (const entry of CATALOG) {
  const spec = entry.qgemm;
  if (spec === undefined) continue;
  Deno.test(`GEMM tester: ${entry.name} equals its dot products on every row remainder`, () => {
    if (!runnable(spec)) return; // the probe did not prove this variant's arithmetic here
    let seed = 1;
    for (let m = 1; m <= 2 * spec.mr + 1; m++) {
      for (const blocks of [1, 3]) {
        for (const k of new Set([spec.kPadded, spec.kPadded - 1, spec.kPadded - 15])) {
          for (const ends of [false, true]) {
            check(runtime, spec, m, blocks, Math.max(1, k), seed++, ends);
          }
        }
      }
    }
  });
}

Deno.test("GEMM tester covers every catalog GEMM (5 variants, MR 1…4)", () => {
  const specs = CATALOG.filter((e) => e.qgemm !== undefined).map((e) => e.qgemm!);
  assert.equal(new Set(specs.map((s) => s.layout.variant)).size, 5);
  assert.deepEqual([...new Set(specs.map((s) => s.mr))].sort(), [1, 2, 3, 4]);
});

Deno.test("GEMM tester catches a planted slip (an accumulator add that became a sub)", () => {
  const mutated = new KernelRuntime(undefined, {
    rewrite: (site) =>
      site.fn === "gemm" && site.instruction === "i32x4.add" && site.ordinal === 0
        ? "i32x4.sub"
        : undefined,
  });
  const spec = CATALOG.find((e) => e.qgemm?.layout.variant === "dot16" && e.qgemm.mr === 4)!
    .qgemm!;
  assert.throws(() => check(mutated, spec, 5, 1, spec.kPadded, 7, false), /expected/);
});
