import assert from "node:assert/strict";
import {
  caseChecksModule,
  checkKernelModule,
  engineNumerics,
  type KernelModule,
  referenceEngine,
  referenceKernelModule,
} from "./kernel_module.ts";
import { kernelModuleUrl, loadKernelModule } from "./load_kernel_module.ts";
import { add, mul } from "./elementwise.ts";
import { qLinearAdd } from "./onnx.ts";
import { relu } from "./activations.ts";

const ok = { name: "k", numerics: "qnnpack", ops: { quantized_add: () => null } };

Deno.test("checkKernelModule refuses each broken field, naming it", () => {
  const refuses = (value: unknown, error: typeof TypeError, message: RegExp) =>
    assert.throws(() => checkKernelModule(value, "m.ts"), (e: unknown) => {
      assert.ok(e instanceof error, String(e));
      assert.match((e as Error).message, /^kernel module m\.ts: /);
      assert.match((e as Error).message, message);
      return true;
    });
  refuses(undefined, TypeError, /default export .* \{ name, numerics, ops \}, got undefined/);
  refuses({ ...ok, name: undefined }, TypeError, /name: expected a non-empty string/);
  refuses({ ...ok, name: " " }, TypeError, /name: expected a non-empty string/);
  refuses({ ...ok, numerics: "arm" }, RangeError, /numerics: unknown numerics "arm"; .*qnnpack/);
  refuses({ ...ok, description: 3 }, TypeError, /description: expected a string/);
  refuses({ ...ok, ops: [] }, TypeError, /ops: expected an object/);
  refuses({ ...ok, ops: {} }, RangeError, /ops: implements no op/);
  refuses(
    { ...ok, ops: { quantized_ad: () => 0 } },
    RangeError,
    /ops\.quantized_ad: not a registered op; registered: .*quantized_add/,
  );
  refuses(
    { ...ok, ops: { quantized_add: 1 } },
    TypeError,
    /ops\.quantized_add: expected a function/,
  );
  refuses(
    { ...ok, numerics: "onnx" },
    RangeError,
    /ops\.quantized_add: its result depends on PyTorch's engine, and numerics "onnx" names none/,
  );
  const m = checkKernelModule({ ...ok, extra: 1 }, "m.ts");
  assert.deepEqual(Object.keys(m.ops), ["quantized_add"]);
});

Deno.test("numerics: engine-dependent ops take the cases and reference of the declared numerics", () => {
  assert.equal(engineNumerics("x86"), "fbgemm");
  assert.equal(engineNumerics("qnnpack"), "qnnpack");
  assert.equal(engineNumerics("fbgemm_avx512_vnni"), "fbgemm_avx512_vnni");
  assert.equal(referenceEngine("fbgemm_avx512_vnni", add), "fbgemm_avx512_vnni");
  assert.equal(referenceEngine("qnnpack", add), "qnnpack");
  assert.equal(referenceEngine("onednn", add), "onednn");
  assert.equal(referenceEngine("onnx", add), undefined);
  assert.equal(referenceEngine("onnx", mul), "onednn"); // engine-independent: any engine
  assert.equal(referenceEngine("fbgemm", qLinearAdd), "fbgemm");
  assert.ok(caseChecksModule(add, "qnnpack", "qnnpack"));
  assert.ok(!caseChecksModule(add, "onednn", "qnnpack"));
  assert.ok(caseChecksModule(add, "x86", "fbgemm"));
  assert.ok(!caseChecksModule(add, undefined, "qnnpack"));
  assert.ok(caseChecksModule(mul, "onednn", "qnnpack"));
  assert.ok(caseChecksModule(relu, undefined, "onnx"));
  assert.throws(
    () => referenceKernelModule("onnx", [add]),
    /quantized_add depends on PyTorch's engine/,
  );
});

Deno.test("loadKernelModule: a path, a file URL, the export `kernels`, a promised module, a built-in name", async () => {
  const dir = await Deno.makeTempDir();
  const module = (body: string) =>
    `export ${body} { name: "t", numerics: "qnnpack", ops: { quantized_relu: (a) => a.x } };`;
  await Deno.writeTextFile(`${dir}/a.ts`, module("default"));
  await Deno.writeTextFile(`${dir}/b.ts`, module("const kernels ="));
  await Deno.writeTextFile(
    `${dir}/c.ts`,
    `export default Promise.resolve(${module("").slice(7, -1)});`,
  );
  await Deno.writeTextFile(`${dir}/d.ts`, `export const other = 1;`);
  for (const name of ["a.ts", "b.ts", "c.ts"]) {
    const m: KernelModule = await loadKernelModule(`${dir}/${name}`);
    assert.equal(m.name, "t", name);
  }
  assert.equal((await loadKernelModule(`file://${dir}/a.ts`)).numerics, "qnnpack");
  await assert.rejects(() => loadKernelModule(`${dir}/d.ts`), /default export .* got undefined/);
  await assert.rejects(
    () => loadKernelModule(`${dir}/missing.ts`),
    /cannot import .*missing\.ts.*built in: onnxruntime-web/,
  );
  assert.match(kernelModuleUrl("onnxruntime-web").href, /peers\/onnxruntime_web\/kernels\.ts$/);
  assert.equal(kernelModuleUrl("x/y.ts").href, new URL("x/y.ts", `file://${Deno.cwd()}/`).href);
  await Deno.remove(dir, { recursive: true });
});
