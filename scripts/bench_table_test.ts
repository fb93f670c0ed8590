import assert from "node:assert/strict";
import { benchTable } from "./bench_table.ts";
import type { BenchRecord } from "../bench/main.ts";

const record = (variant: string, op: BenchRecord["op"], ms: number): BenchRecord => ({
  name: "m",
  op,
  shape: "1x2x3",
  M: 1,
  K: 2,
  N: 3,
  variant,
  kernel: "k",
  medianNs: ms * 1e6,
  gops: 1,
  speedupOverFp32: 2 / ms,
});

Deno.test("benchTable picks the fastest int8 path, the best arm path and the best dynamic", () => {
  const table = benchTable([
    record("fp32", "linear", 2),
    record("x86 static", "linear", 1),
    record("arm static", "linear", 1.6),
    record("x86-relaxed static", "linear", 0.5),
    record("x86 dynamic", "linear_dynamic", 0.8),
  ]);
  const row = table.split("\n")[2];
  assert.equal(
    row,
    "| 1x2x3 | m | 2.000 | 0.500 | **4.00** | x86-relaxed static | 1.25 | 2.50 |",
  );
});
