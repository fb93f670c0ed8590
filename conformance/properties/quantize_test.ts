import assert from "node:assert/strict";
import { propertyFails, runProperty } from "./property.ts";
import { quantizeProperties, REFERENCE_QUANTIZE } from "./quantize.ts";
import { Tensor } from "../../reference/tensor.ts";

Deno.test("quantize properties pass on the reference", async () => {
  for (const check of quantizeProperties()) {
    const outcome = await runProperty(check, { seed: 7, runs: 100 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

/** Runs every property against a broken implementation; at least `expected` must fail. */
async function failingProperties(impl: typeof REFERENCE_QUANTIZE): Promise<string[]> {
  const failing: string[] = [];
  for (const check of quantizeProperties(impl, "broken")) {
    if (await propertyFails(check)) failing.push(check.name);
  }
  return failing;
}

Deno.test("quantize properties catch round-half-up instead of round-half-even", async () => {
  const broken = {
    ...REFERENCE_QUANTIZE,
    quantizePerTensor: (
      x: Tensor,
      o: Parameters<typeof REFERENCE_QUANTIZE.quantizePerTensor>[1],
    ) => {
      const q = REFERENCE_QUANTIZE.quantizePerTensor(x, o);
      const s = Math.fround(o.scale);
      x.data.forEach((v, i) => {
        const t = Math.fround(v * Math.fround(1 / s));
        if (Math.abs(t % 1) === 0.5 && q.intRepr[i] < 127) {
          q.intRepr[i] = Math.floor(t + 0.5) + o.zeroPoint;
        }
      });
      return q;
    },
  };
  assert.ok((await failingProperties(broken)).some((n) => n.startsWith("ties round to even")));
});

Deno.test("quantize properties catch a dequantize that drops the zero point", async () => {
  const broken = {
    ...REFERENCE_QUANTIZE,
    dequantize: (q: Parameters<typeof REFERENCE_QUANTIZE.dequantize>[0]) => {
      const y = REFERENCE_QUANTIZE.dequantize(q);
      if (q.qparams.qscheme === "per_tensor_affine" && q.qparams.zeroPoint !== 0) {
        const { scale } = q.qparams;
        return new Tensor(
          Float32Array.from(q.intRepr, (v) => Math.fround(v * Math.fround(scale))),
          q.shape,
        );
      }
      return y;
    },
  };
  assert.ok((await failingProperties(broken)).length >= 2);
});

Deno.test("quantize properties catch a per-channel quantize that uses the wrong channel's scale", async () => {
  const broken = {
    ...REFERENCE_QUANTIZE,
    quantizePerChannel: (
      x: Tensor,
      o: Parameters<typeof REFERENCE_QUANTIZE.quantizePerChannel>[1],
    ) =>
      REFERENCE_QUANTIZE.quantizePerChannel(x, {
        ...o,
        scales: [...Array.from(o.scales).slice(1), o.scales[0]],
      }),
  };
  assert.ok((await failingProperties(broken)).some((n) => n.startsWith("per channel")));
});
