import assert from "node:assert/strict";
import { propertyFails, runProperty } from "./property.ts";
import { elementwiseProperties, REFERENCE_ELEMENTWISE } from "./elementwise.ts";
import { poolProperties, REFERENCE_POOL } from "./pool.ts";
import { parseGoldenFile } from "../golden_file.ts";
import { quantizedAdd } from "../../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";

Deno.test("elementwise and pooling properties pass on the reference", async () => {
  for (const check of [...elementwiseProperties(), ...poolProperties()]) {
    const outcome = await runProperty(check, { seed: 5, runs: 100 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

async function failingNames(checks: ReturnType<typeof elementwiseProperties>): Promise<string[]> {
  const names: string[] = [];
  for (const check of checks) if (await propertyFails(check, 150)) names.push(check.name);
  return names;
}

/** The onednn golden add cases that an add implementation gets wrong. */
function addGoldenFailures(add: typeof quantizedAdd): number {
  const file = parseGoldenFile(
    Deno.readTextFileSync(new URL("../../golden/elementwise_onednn.json", import.meta.url)),
    "elementwise_onednn.json",
  );
  let failures = 0;
  for (const c of file.cases) {
    if (c.op !== "quantized_add") continue;
    const a = c.attrs as Record<string, number>;
    const q = (name: "a" | "b") =>
      new QuantizedTensor(c.inputs[name].data as Uint8Array, c.inputs[name].shape, "quint8", {
        qscheme: "per_tensor_affine",
        scale: a[`${name}_scale`],
        zeroPoint: a[`${name}_zero_point`],
      });
    const y = add(q("a"), q("b"), {
      engine: "onednn",
      outputScale: a.y_scale,
      outputZeroPoint: a.y_zero_point,
    });
    if (y.intRepr.some((v, i) => v !== c.outputs.y.data[i])) failures++;
  }
  return failures;
}

Deno.test("add properties and goldens catch a vector/scalar split at 32 instead of 64", async () => {
  const split32: typeof quantizedAdd = (a, b, o) => quantizedAdd(a, b, { ...o, vectorBlock: 32 });
  const names = await failingNames(
    elementwiseProperties({ ...REFERENCE_ELEMENTWISE, quantizedAdd: split32 }, "broken"),
  );
  assert.ok(names.some((n) => n.startsWith("add (aten_avx2)")), `${names}`);
  assert.equal(addGoldenFailures(quantizedAdd), 0);
  assert.ok(addGoldenFailures(split32) > 0);
  // All-scalar (no FMA dequantize) also fails the goldens.
  assert.ok(addGoldenFailures((a, b, o) => quantizedAdd(a, b, { ...o, vectorBlock: 0 })) > 0);
});

Deno.test("pooling properties catch an average that always divides by kH·kW", async () => {
  // Right for QNNPACK, wrong for ATen's loops, whose windows hanging over the edge in ceil mode
  // divide by the taps inside the (padded) input.
  const broken: typeof REFERENCE_POOL.quantizedAvgPool2d = (x, o) => {
    const k = typeof o.kernelSize === "number" ? [o.kernelSize, o.kernelSize] : o.kernelSize;
    return REFERENCE_POOL.quantizedAvgPool2d(
      x,
      o.pytorchKernel === "qnnpack" ? o : { ...o, divisorOverride: k[0] * k[1] },
    );
  };
  const names = await failingNames(
    poolProperties({ ...REFERENCE_POOL, quantizedAvgPool2d: broken }, "broken"),
  );
  assert.ok(names.some((n) => n.startsWith("avg_pool2d of a constant")), `${names}`);
});

Deno.test("pooling properties catch a max pool that pads with the zero point", async () => {
  const broken: typeof REFERENCE_POOL.quantizedMaxPool2d = (x, o) => {
    const [ph, pw] = o.padding === undefined
      ? [0, 0]
      : typeof o.padding === "number"
      ? [o.padding, o.padding]
      : o.padding;
    if (ph === 0 && pw === 0) return REFERENCE_POOL.quantizedMaxPool2d(x, o);
    const [n, c, h, w] = x.shape;
    const zp = (x.qparams as { zeroPoint: number }).zeroPoint;
    const hp = h + 2 * ph;
    const wp = w + 2 * pw;
    const data = x.dtype === "quint8"
      ? new Uint8Array(n * c * hp * wp)
      : new Int8Array(n * c * hp * wp);
    data.fill(zp);
    for (let plane = 0; plane < n * c; plane++) {
      for (let y = 0; y < h; y++) {
        for (let i = 0; i < w; i++) {
          data[(plane * hp + y + ph) * wp + i + pw] = x.intRepr[(plane * h + y) * w + i];
        }
      }
    }
    const padded = new QuantizedTensor(data, [n, c, hp, wp], x.dtype, x.qparams);
    return REFERENCE_POOL.quantizedMaxPool2d(padded, { ...o, padding: 0 });
  };
  const names = await failingNames(
    poolProperties({ ...REFERENCE_POOL, quantizedMaxPool2d: broken }, "broken"),
  );
  assert.ok(names.some((n) => n.startsWith("max_pool2d of a constant")), `${names}`);
});
