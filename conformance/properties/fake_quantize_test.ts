import assert from "node:assert/strict";
import { propertyFails, runProperty } from "./property.ts";
import {
  type FakeQuantizeImpl,
  fakeQuantizeProperties,
  REFERENCE_FAKE_QUANTIZE,
} from "./fake_quantize.ts";
import { Tensor } from "../../reference/tensor.ts";
import { f32, reciprocalF32, roundHalfEven } from "../../reference/float32.ts";
import type { FakeQuantizePerTensorOptions } from "../../reference/fake_quantize.ts";

Deno.test("fake quantize properties pass on the reference", async () => {
  for (const check of fakeQuantizeProperties()) {
    const outcome = await runProperty(check, { seed: 11, runs: 100 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

/** The names of the properties a broken implementation fails. */
async function failingProperties(impl: FakeQuantizeImpl): Promise<string[]> {
  const failing: string[] = [];
  for (const check of fakeQuantizeProperties(impl, "broken")) {
    if (await propertyFails(check)) failing.push(check.name);
  }
  return failing;
}

/** A per-tensor fake quantization written out, with hooks to plant a bug. */
function perTensor(
  x: Tensor,
  o: FakeQuantizePerTensorOptions,
  bug: { zeroPointBeforeRounding?: boolean; maskOffByOneAtMax?: boolean },
): { y: Tensor; mask: number[] } {
  const inv = reciprocalF32(o.scale);
  const mask: number[] = [];
  const y = Float32Array.from(x.data, (v) => {
    const q = bug.zeroPointBeforeRounding
      ? roundHalfEven(f32(f32(v * inv) + o.zeroPoint))
      : f32(o.zeroPoint + roundHalfEven(f32(v * inv)));
    const c = Math.min(o.quantMax, Math.max(o.quantMin, q));
    mask.push(
      q >= o.quantMin && (bug.maskOffByOneAtMax ? q < o.quantMax : q <= o.quantMax) ? 1 : 0,
    );
    return (c - o.zeroPoint) * f32(o.scale);
  });
  return { y: new Tensor(y, x.shape), mask };
}

Deno.test("fake quantize properties catch a mask that is off by one at quantMax", async () => {
  const bug = { maskOffByOneAtMax: true };
  const broken: FakeQuantizeImpl = {
    ...REFERENCE_FAKE_QUANTIZE,
    fakeQuantizePerTensorAffineBackward: (dy, x, o) => {
      const { mask } = perTensor(x, o, bug);
      return new Tensor(Float32Array.from(dy.data, (d, i) => d * mask[i]), dy.shape);
    },
  };
  const failing = await failingProperties(broken);
  assert.ok(failing.some((n) => n.startsWith("the straight-through mask")), failing.join("; "));
  assert.ok(failing.some((n) => n.startsWith("dx = dy")), failing.join("; "));
});

Deno.test("fake quantize properties catch a zero point added before rounding", async () => {
  const bug = { zeroPointBeforeRounding: true };
  const broken: FakeQuantizeImpl = {
    ...REFERENCE_FAKE_QUANTIZE,
    fakeQuantizePerTensorAffine: (x, o) => perTensor(x, o, bug).y,
  };
  const failing = await failingProperties(broken);
  assert.ok(failing.some((n) => n.startsWith("ties round half to even")), failing.join("; "));
  assert.ok(
    failing.some((n) => n.startsWith("fake quantize equals dequantize")),
    failing.join("; "),
  );
});

Deno.test("fake quantize properties catch a per-channel op that reads the wrong axis", async () => {
  const broken: FakeQuantizeImpl = {
    ...REFERENCE_FAKE_QUANTIZE,
    // Treats the last dimension as the channel axis whatever `axis` says (when the sizes allow).
    fakeQuantizePerChannelAffine: (x, o) => {
      const last = x.shape.length - 1;
      const axis = x.shape[last] === o.scales.length ? last : o.axis;
      return REFERENCE_FAKE_QUANTIZE.fakeQuantizePerChannelAffine(x, { ...o, axis });
    },
  };
  const failing = await failingProperties(broken);
  assert.ok(failing.some((n) => n.startsWith("per channel equals per tensor")), failing.join("; "));
});

Deno.test("fake quantize properties catch an LSQ forward that truncates the zero point", async () => {
  const broken: FakeQuantizeImpl = {
    ...REFERENCE_FAKE_QUANTIZE,
    fakeQuantizeLearnablePerTensorAffine: (x, o) =>
      REFERENCE_FAKE_QUANTIZE.fakeQuantizePerTensorAffine(x, {
        ...o,
        zeroPoint: Math.trunc(o.zeroPoint) + 1,
      }),
  };
  const failing = await failingProperties(broken);
  assert.ok(failing.some((n) => n.startsWith("LSQ forward equals")), failing.join("; "));
});

Deno.test("fake quantize properties catch an LSQ per-channel backward that sums in the wrong order", async () => {
  const broken: FakeQuantizeImpl = {
    ...REFERENCE_FAKE_QUANTIZE,
    fakeQuantizeLearnablePerChannelAffineBackward: (dy, x, o) => {
      const g = REFERENCE_FAKE_QUANTIZE.fakeQuantizeLearnablePerChannelAffineBackward(dy, x, o);
      // Recompute the per-channel sums front to back (not PyTorch's cascade) from per-element
      // terms obtained with the per-tensor backward on one element at a time.
      const channels = o.scales.length;
      const rows = x.size / channels;
      const dScale = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        for (let r = 0; r < rows; r++) {
          const i = c * rows + r;
          const one = REFERENCE_FAKE_QUANTIZE.fakeQuantizeLearnablePerTensorAffineBackward(
            Tensor.from([dy.data[i]]),
            Tensor.from([x.data[i]]),
            { ...o, scale: o.scales[c], zeroPoint: o.zeroPoints[c] },
          );
          dScale[c] = f32(dScale[c] + one.dScale.data[0]);
        }
      }
      return { ...g, dScale: new Tensor(dScale) };
    },
  };
  const failing = await failingProperties(broken);
  assert.ok(failing.some((n) => n.startsWith("LSQ per-channel gradients")), failing.join("; "));
});
