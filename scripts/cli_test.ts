import assert from "node:assert/strict";
import {
  checkWritable,
  integerOption,
  parseCommandLine,
  patternOption,
  UsageError,
} from "./cli.ts";

Deno.test("parseCommandLine turns parseArgs' failures into UsageErrors", () => {
  const options = { runs: { type: "string" as const }, quick: { type: "boolean" as const } };
  assert.equal(parseCommandLine(["--runs", "3"], options).values.runs, "3");
  for (const args of [["--foo"], ["--runs"], ["--runs", "-5"], ["extra"]]) {
    assert.throws(() => parseCommandLine(args, options), UsageError, args.join(" "));
  }
});

Deno.test("integerOption and patternOption name the option and the bad value", () => {
  assert.equal(integerOption("runs", undefined, 100, { min: 1 }), 100);
  assert.equal(integerOption("runs", "7", 100, { min: 1 }), 7);
  for (const bad of ["0", "-5", "1.5", "abc", "", "1e400"]) {
    assert.throws(
      () => integerOption("runs", bad, 100, { min: 1 }),
      new RegExp(`^UsageError: --runs: expected an integer >= 1, got ${JSON.stringify(bad)}`),
    );
  }
  assert.throws(() => integerOption("seed", "-1", 0, { min: 0, max: 9 }), /in \[0, 9\]/);
  assert.equal(patternOption("filter", undefined), null);
  assert.ok(patternOption("filter", "conv|BERT")!.test("BERT"));
  assert.throws(() => patternOption("filter", "("), /^UsageError: --filter: "\(" is not a regular/);
});

Deno.test("checkWritable refuses what cannot be written and leaves no file behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await checkWritable("json", `${dir}/new.json`);
    await assert.rejects(() => Deno.stat(`${dir}/new.json`), Deno.errors.NotFound);
    await Deno.writeTextFile(`${dir}/old.json`, "keep");
    await checkWritable("json", `${dir}/old.json`);
    assert.equal(await Deno.readTextFile(`${dir}/old.json`), "keep");
    await assert.rejects(
      () => checkWritable("json", `${dir}/missing/report.json`),
      /^UsageError: --json: cannot write .*missing\/report\.json/,
    );
    await checkWritable("json", undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
