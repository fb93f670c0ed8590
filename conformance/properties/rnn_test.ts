import assert from "node:assert/strict";
import { kernelSets } from "../../kernels/paths.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { WasmKernelSet } from "../../kernels/wasm_kernel_set.ts";
import { quantizedRnnDynamic } from "../../reference/quantized_rnn.ts";
import { Tensor } from "../../reference/tensor.ts";
import { propertyFails, runProperty } from "./property.ts";
import { type RnnImpl, rnnKernelProperties, rnnReferenceProperties } from "./rnn.ts";

Deno.test("rnn properties hold on the reference and on every kernel path", async () => {
  const checks = [
    ...rnnReferenceProperties(),
    ...kernelSets().flatMap((k) => rnnKernelProperties(k)),
  ];
  for (const check of checks) {
    const outcome = await runProperty(check, { seed: 7, runs: 12 });
    assert.ok(outcome.passed, `${check.path}: ${check.name}: ${outcome.reason}`);
  }
});

Deno.test("the kernel RNN properties catch a one-bit error planted in the GEMM", async () => {
  const broken = new WasmKernelSet(new KernelRuntime(), {
    name: "arm-flip",
    numerics: "qnnpack",
    variant: "dot16",
    mr: 4,
    mutation: "flip-bit",
    relaxed: false,
    description: "test",
  });
  for (const check of rnnKernelProperties(broken)) {
    assert.ok(await propertyFails(check, 30), check.name);
  }
});

Deno.test("the reference RNN properties catch planted errors", async () => {
  // Batch-first that forgets to transpose the output back.
  const noTransposeBack: RnnImpl = (x, w, config, initial) => {
    const out = quantizedRnnDynamic(x, w, config, initial);
    if (!config.batchFirst) return out;
    const [b, t, f] = out.y.shape;
    return { ...out, y: new Tensor(out.y.data, [t, b, f]) };
  };
  // The reverse direction's outputs left in processing order (not reversed back).
  const unreversed: RnnImpl = (x, w, config, initial) => {
    const out = quantizedRnnDynamic(x, w, config, initial);
    if (!config.bidirectional || config.batchFirst) return out;
    const [steps, batch, width] = out.y.shape;
    const y = out.y.data.slice();
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < batch; b++) {
        const from = ((steps - 1 - t) * batch + b) * width + width / 2;
        y.set(out.y.data.subarray(from, from + width / 2), (t * batch + b) * width + width / 2);
      }
    }
    return { ...out, y: new Tensor(y, out.y.shape) };
  };
  const byName = (impl: RnnImpl, prefix: string) =>
    rnnReferenceProperties(impl).find((c) => c.name.startsWith(prefix))!;
  assert.ok(await propertyFails(byName(noTransposeBack, "batch_first"), 60));
  assert.ok(await propertyFails(byName(unreversed, "a bidirectional"), 60));
});
