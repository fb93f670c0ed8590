/**
 * The README's library example must type-check and run as written on a fresh checkout, and print
 * the same codes from the reference and from the kernels.
 */
import assert from "node:assert/strict";

const REPO_ROOT = new URL("..", import.meta.url).pathname;

Deno.test("the README library example type-checks, runs, and the kernels equal the reference", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}README.md`);
  const block = readme.match(/```ts\n([\s\S]*?)```/);
  assert.ok(block, "README.md has a ```ts block");
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      block[1].replaceAll('"./mod.ts"', `"${new URL("../mod.ts", import.meta.url).href}"`),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--check", file],
      cwd: REPO_ROOT,
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    // Each printed line holds the reference's codes, then the kernels'.
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 2, `expected a line for linear and one for conv, got: ${out}`);
    for (const line of lines) {
      const arrays = [...line.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1].trim());
      assert.equal(arrays.length, 2, `expected two arrays: ${line}`);
      assert.ok(arrays[0].length > 0, `empty output: ${line}`);
      assert.equal(arrays[0], arrays[1], `reference and kernels differ: ${line}`);
    }
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("the README's kernel-module example passes conform --kernels", async () => {
  const { loadKernelModule } = await import("../ops/load_kernel_module.ts");
  const { runModuleGolden } = await import("./module_golden.ts");
  const { kernelModuleProperties } = await import("./properties/kernel_module.ts");
  const { runProperty } = await import("./properties/property.ts");
  const readme = await Deno.readTextFile(`${REPO_ROOT}README.md`);
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].find((m) =>
    m[1].includes("KernelModule")
  );
  assert.ok(block, "README.md has a kernel-module example");
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      block[1].replaceAll('"./mod.ts"', `"${new URL("../mod.ts", import.meta.url).href}"`),
    );
    const module = await loadKernelModule(file);
    const { results } = await runModuleGolden(module, [`${REPO_ROOT}golden`]);
    assert.ok(results.length > 50);
    assert.deepEqual(results.filter((r) => r.status !== "pass"), []);
    for (const check of kernelModuleProperties(module).checks) {
      const outcome = await runProperty(check, { seed: 5, runs: 100 });
      assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
    }
  } finally {
    await Deno.remove(file);
  }
});
