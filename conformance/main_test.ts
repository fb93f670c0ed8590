/**
 * `deno task conform` as a user runs it: misuse prints the usage and exits 2 before any work, and
 * golden input that checks nothing — an empty directory, an empty cases list — is a failure
 * naming it, never `0 passed, 0 failed`.
 */
import assert from "node:assert/strict";
import { encodeTensor } from "./golden_file.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

async function conform(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-run", "--allow-env", MAIN, ...args],
  }).output();
  return {
    code,
    out: new TextDecoder().decode(stdout),
    err: new TextDecoder().decode(stderr),
  };
}

Deno.test("conform: command-line misuse prints the usage and exits 2", async () => {
  for (
    const [args, message] of [
      [["--foo"], /error: Unknown option '--foo'/],
      [["--golden"], /error: Option '--golden <value>' argument missing/],
      [["--runs", "-5"], /error: Option '--runs' argument is ambiguous/],
      [["--runs=-5"], /error: --runs: expected an integer >= 1, got "-5"/],
      [["--runs", "abc"], /error: --runs: expected an integer >= 1, got "abc"/],
      [["--seed", "1.5"], /error: --seed: expected an integer in \[0, 2147483647\]/],
      [["--json", "/nonexistent-dir/report.json"], /error: --json: cannot write \/nonexistent-dir/],
      [["--no-builtin", "--no-properties", "--no-unit"], /error: nothing to check/],
    ] as const
  ) {
    const { code, out, err } = await conform(...args);
    assert.equal(code, 2, `${args.join(" ")}: ${out}${err}`);
    assert.match(err, message, args.join(" "));
    assert.match(err, /Options:\n {2}--golden DIR\|FILE/, "the usage follows");
    assert.equal(out, "", `${args.join(" ")}: nothing ran`);
  }
});

Deno.test("conform: golden input that checks nothing fails, naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/empty`);
    const noCases = `${dir}/no_cases.json`;
    await Deno.writeTextFile(noCases, JSON.stringify({ format: "qgolden/1", cases: [] }));
    const only = ["--no-builtin", "--no-properties", "--no-unit", "--golden"];
    const empty = await conform(...only, `${dir}/empty`);
    assert.equal(empty.code, 1, empty.out);
    assert.match(empty.out, new RegExp(`FAIL .*${dir}/empty.*no golden files`));
    assert.match(empty.out, /0 passed, 1 failed\n$/);
    const none = await conform(...only, noCases);
    assert.equal(none.code, 1, none.out);
    assert.match(none.out, /FAIL \[golden\] .*no_cases\.json#\(file\).*no cases/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("conform: a recorded output dtype that differs fails (quint8 recorded as int8)", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const x = Float32Array.of(0.5, 1.5, 2.5);
    const codes = Int8Array.of(5, 15, 25); // quint8 codes < 128, written as int8
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        format: "qgolden/1",
        cases: [{
          id: "quint8-as-int8",
          op: "quantize_per_tensor",
          attrs: { scale: 0.1, zero_point: 0, dtype: "quint8" },
          inputs: { x: encodeTensor("float32", [3], x) },
          outputs: { y: encodeTensor("int8", [3], codes) },
        }],
      }),
    );
    const run = await conform("--no-builtin", "--no-properties", "--no-unit", "--golden", file);
    assert.equal(run.code, 1, run.out);
    assert.match(
      run.out,
      /y: dtype: PyTorch recorded int8, this implementation produced Uint8Array/,
    );
  } finally {
    await Deno.remove(file);
  }
});
