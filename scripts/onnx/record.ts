/**
 * Step 2 of `deno task golden:onnx`: runs every candidate case that scripts/onnx/generate.py
 * wrote (outputs from its NumPy model of the ONNX operator definitions) through
 * onnxruntime-web, and records in golden/onnx/ only the cases where both oracles agree bit for
 * bit; lists the others.
 *
 * Usage: deno run -A scripts/onnx/record.ts [CANDIDATES_DIR] [OUT_DIR]
 * @module
 */
import { listGoldenFiles, loadGoldenFile } from "../../conformance/runner.ts";
import { runModuleCase } from "../../conformance/module_golden.ts";
import { opRegistry } from "../../ops/registry.ts";
import { OnnxruntimeWeb } from "../../peers/onnxruntime_web/mod.ts";

const root = new URL("../..", import.meta.url).pathname;
const [candidates = `${root}.tmp/onnx_candidates`, out = `${root}golden/onnx`] = Deno.args;
const ort = await OnnxruntimeWeb.create();
const module = ort.kernelModule();
const registry = opRegistry();
let disagreements = 0;
for (const file of await listGoldenFiles(candidates)) {
  const loaded = await loadGoldenFile(file);
  if (!("cases" in loaded)) throw new Error(`${file}: ${loaded.reason}`);
  const doc = JSON.parse(await Deno.readTextFile(file));
  const kept = [];
  for (const [i, testCase] of loaded.cases.entries()) {
    const op = registry.get(testCase.op);
    if (op === undefined) throw new Error(`${file}#${testCase.id}: unknown op ${testCase.op}`);
    const r = await runModuleCase(testCase, op, module);
    if (r.status === "pass") kept.push(doc.cases[i]);
    else {
      disagreements++;
      console.log(`  not recorded: ${testCase.id}: onnxruntime-web ${r.status}: ${r.reason}`);
    }
  }
  doc.cases = kept;
  doc.source.onnxruntime_web = ort.version;
  doc.source.notes += `; ${kept.length} of ${loaded.cases.length} candidates agreed`;
  const name = file.split("/").pop()!;
  await Deno.writeTextFile(`${out}/${name}`, JSON.stringify(doc) + "\n");
  console.log(
    `golden/onnx/${name}: ${kept.length} of ${loaded.cases.length} candidate cases recorded`,
  );
}
console.log(
  `${disagreements} candidate case(s) not recorded (onnxruntime-web disagrees with the NumPy model or has no kernel for them)`,
);
