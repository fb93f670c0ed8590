/**
 * The README's graph-mode example runs as written and prints the graph PyTorch 1.13's convert_fx
 * prints for the same Python model (golden/models/fx/readme_example.txt, recorded by
 * scripts/models/record_fx.py).
 */
import assert from "node:assert/strict";

const REPO_ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("the README graph-mode example runs and prints PyTorch's converted graph", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}README.md`);
  const at = readme.indexOf("## Graph mode");
  assert.ok(at >= 0, "README.md has a graph-mode section");
  const block = readme.slice(at).match(/```ts\n([\s\S]*?)```/);
  assert.ok(block, "the graph-mode section has a ```ts block");
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      block[1].replaceAll('"./mod.ts"', `"${new URL("../../mod.ts", import.meta.url).href}"`),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-check", file],
      cwd: REPO_ROOT,
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const out = new TextDecoder().decode(stdout);
    const want = await Deno.readTextFile(`${REPO_ROOT}golden/models/fx/readme_example.txt`);
    assert.equal(out, want);
  } finally {
    await Deno.remove(file);
  }
});
