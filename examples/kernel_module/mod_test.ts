import assert from "node:assert/strict";
import kernels from "./mod.ts";
import { runModuleGolden } from "../../conformance/module_golden.ts";
import { coverageLines } from "../../conformance/kernel_module_cli.ts";
import { kernelModuleProperties } from "../../conformance/properties/kernel_module.ts";
import { runProperty } from "../../conformance/properties/property.ts";
import { checkKernelModule } from "../../ops/kernel_module.ts";
import { OPS } from "../../ops/registry.ts";

const ROOT = new URL("../../", import.meta.url);
const GOLDEN = new URL("golden", ROOT).pathname;

Deno.test("the example kernel module passes every golden case and property of its ops", async () => {
  const module = checkKernelModule(kernels, "examples/kernel_module/mod.ts");
  const { results, coverage } = await runModuleGolden(module, [GOLDEN]);
  assert.deepEqual(results.filter((r) => r.status !== "pass"), []);
  for (const op of Object.keys(module.ops)) {
    assert.ok(results.filter((r) => r.op === op).length >= 40, `${op}: golden cases run`);
  }
  // add and max_pool2d depend on the engine: only the qnnpack cases check a qnnpack module.
  assert.ok(results.every((r) =>
    r.engine === undefined || r.engine === "qnnpack" ||
    r.op === "quantized_mul" || r.op === "quantized_relu"
  ));
  assert.ok(coverage.otherNumerics["quantized_add"] > 0);
  const { checks } = kernelModuleProperties(module);
  assert.equal(checks.length, 4);
  for (const check of checks) {
    const outcome = await runProperty(check, { seed: 3, runs: 100 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

Deno.test("the ops the example lacks are reported unsupported, with their case counts, not failed", async () => {
  const { results, coverage } = await runModuleGolden(kernels, [GOLDEN]);
  const lacking = OPS.map((op) => op.name).filter((name) => !(name in kernels.ops));
  assert.deepEqual(Object.keys(coverage.unsupported).sort(), lacking.sort());
  assert.ok(
    coverage.unsupported["quantized_relu6"] > 0 && coverage.unsupported["quantized_cat"] > 0,
  );
  assert.ok(results.every((r) => !lacking.includes(r.op)));
  const text = coverageLines(kernels, coverage, []).join("\n");
  assert.match(
    text,
    new RegExp(`${lacking.length} registered op\\(s\\), \\d+ golden case\\(s\\) not run`),
  );
  assert.match(text, /quantized_relu6 \(\d+\)/);
});

/** A copy of the example, as a file outside the project, with one planted wrong element. */
async function plantedCopy(): Promise<string> {
  const source = await Deno.readTextFile(new URL("./mod.ts", import.meta.url));
  const correct = "return clamp(i < vectorEnd ? sum | 0 : sum, lo, hi);";
  assert.ok(source.includes(correct));
  const planted = source
    .replace(
      correct,
      `return clamp((i < vectorEnd ? sum | 0 : sum) + (i === 5 ? 1 : 0), lo, hi);`,
    )
    .replace(`from "../../mod.ts"`, `from "${new URL("mod.ts", ROOT).href}"`);
  const dir = await Deno.makeTempDir();
  const file = `${dir}/planted_kernels.ts`;
  await Deno.writeTextFile(file, planted);
  return file;
}

Deno.test("conform --kernels catches one planted wrong element in a copy of the example, naming it", async () => {
  const file = await plantedCopy();
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["task", "conform", "--kernels", file, "--seed", "1", "--runs", "50", "--verbose"],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(run.stdout);
  assert.equal(run.code, 1, out.slice(-2000));
  assert.match(out, /\d+ passed, [1-9]\d* failed/);
  // The golden failure names the case, the element, both values.
  assert.match(
    out,
    /FAIL \[golden\] golden\/elementwise_\w+\.json#\S+ \(quantized_mul.*path example-scalar\): y: 1 of \d+ elements differ; first at index 5 \(\[[\d, ]+\]\): expected \d+, got \d+/,
  );
  // The property fails on the same element.
  assert.match(
    out,
    /FAIL \[property\] quantized_mul on example-scalar .*: y: 1 of \d+ elements differ; first at index 5 \(\[5\]\): expected \d+, got \d+/,
  );
  // The other ops still pass.
  assert.match(out, /golden\s+quantized_add\s+example-scalar\s+40\s+40\s+0/);
  await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
});
