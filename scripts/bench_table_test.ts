import assert from "node:assert/strict";
import { benchTable, parseBenchJson } from "./bench_table.ts";
import type { BenchRecord } from "../bench/main.ts";

const record = (
  variant: string,
  op: BenchRecord["op"],
  ms: number,
  spread = 0.01,
): BenchRecord => ({
  name: "m",
  op,
  shape: "1x2x3",
  M: 1,
  K: 2,
  N: 3,
  variant,
  kernel: "k",
  medianNs: ms * 1e6,
  p25Ns: ms * 1e6 * (1 - spread),
  p75Ns: ms * 1e6 * (1 + spread),
  gops: 1,
  speedupOverFp32: 2 / ms,
});

Deno.test("benchTable picks the fastest int8 path, the best arm path and the best dynamic", () => {
  const table = benchTable([
    record("fp32", "linear", 2),
    record("x86 static", "linear", 1),
    record("arm static", "linear", 1.6),
    record("x86-relaxed static", "linear", 0.5),
    record("x86 dynamic", "linear_dynamic", 0.8, 0.2),
  ]);
  const [header, , row] = table.split("\n");
  assert.match(header, /fp32 median ms \| best int8 median ms/);
  // The dynamic variant's quartiles are ±20% of its median: its speedup is marked unreliable.
  assert.equal(
    row,
    "| 1x2x3 | m | 2.000 | 0.500 | **4.00** | x86-relaxed static | 1.25 | 2.50? |",
  );
  assert.match(table, /\? = unreliable/);
});

Deno.test("parseBenchJson names the file and what is wrong", () => {
  const good = JSON.stringify({ records: [record("fp32", "linear", 2)] });
  assert.equal(parseBenchJson(good, "b.json").length, 1);
  for (
    const [text, why] of [
      ["not json", /b\.json is not a `deno task bench --json` file: not JSON/],
      ["{}", /no "records" array/],
      [JSON.stringify({ records: [{ name: "m" }] }), /records\[0\]\.op should be a string/],
      [
        JSON.stringify({ records: [{ ...record("fp32", "linear", 1), p25Ns: undefined }] }),
        /records\[0\]\.p25Ns should be a number, got undefined/,
      ],
    ] as const
  ) {
    assert.throws(() => parseBenchJson(text, "b.json"), why);
  }
});

Deno.test("bench_table.ts on a wrong file prints a clear error, on no file the usage", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  const script = new URL("./bench_table.ts", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", script, ...args],
    }).output();
    return { code: out.code, err: new TextDecoder().decode(out.stderr) };
  };
  try {
    await Deno.writeTextFile(file, JSON.stringify({ totals: {}, results: [] }));
    const wrong = await run(file);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.err,
      /^error: .* is not a `deno task bench --json` file: it has no "records"/,
    );
    const none = await run();
    assert.equal(none.code, 2);
    assert.match(none.err, /error: expected one bench JSON file\n\nusage:/);
  } finally {
    await Deno.remove(file);
  }
});
