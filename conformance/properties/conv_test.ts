import assert from "node:assert/strict";
import { propertyFails, runProperty } from "./property.ts";
import { convProperties, specGroupWeight } from "./conv.ts";
import { REFERENCE_LINEAR } from "../../reference/quantized_linear.ts";
import { parseGoldenFile } from "../golden_file.ts";
import { toNumbers } from "../golden_file.ts";
import type { Numerics } from "../../reference/engine.ts";
import {
  type Conv2dImpl,
  conv2dOutputShape,
  type ConvWeight,
  REFERENCE_CONV2D,
} from "../../reference/quantized_conv2d.ts";

Deno.test("conv properties pass on the reference", async () => {
  for (const family of ["qnnpack", "fbgemm"] as const) {
    for (const check of convProperties(family)) {
      const outcome = await runProperty(check, { seed: 11, runs: 100 });
      assert.ok(outcome.passed, `${family}: ${check.name}: ${outcome.reason}`);
    }
  }
});

async function failing(family: Numerics, impl: Conv2dImpl): Promise<string[]> {
  const names: string[] = [];
  for (const check of convProperties(family, impl, "broken")) {
    if (await propertyFails(check, 150)) names.push(check.name);
  }
  return names;
}

interface ConvAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  x_scale: number;
  x_zero_point: number;
  y_scale: number;
  y_zero_point: number;
  relu: boolean;
  w_qscheme: string;
}

/** The golden conv cases a conv implementation gets wrong (recorded with QNNPACK). */
function goldenFailures(impl: Conv2dImpl): number {
  const file = parseGoldenFile(
    Deno.readTextFileSync(new URL("../../golden/conv_qnnpack.json", import.meta.url)),
    "conv_qnnpack.json",
  );
  let failures = 0;
  for (const c of file.cases) {
    if (c.id.startsWith("conv/build-dependent")) continue;
    const a = c.attrs as unknown as ConvAttrs;
    const w = c.inputs.w;
    const [o, i, kh, kw] = w.shape;
    const perChannel = a.w_qscheme.startsWith("per_channel");
    const weight: ConvWeight = {
      data: w.data as Int8Array,
      outChannels: o,
      inChannelsPerGroup: i,
      kernelH: kh,
      kernelW: kw,
      perChannel,
      scales: Float64Array.from(toNumbers(c.inputs.w_scales)),
      zeroPoints: Int32Array.from(toNumbers(c.inputs.w_zero_points)),
      bias: (c.inputs.bias?.data as Float32Array | undefined) ?? null,
    };
    const y = impl(c.inputs.x.data as Uint8Array, c.inputs.x.shape, weight, {
      stride: a.stride,
      padding: a.padding,
      dilation: a.dilation,
      groups: a.groups,
      inputScale: a.x_scale,
      inputZeroPoint: a.x_zero_point,
      outputScale: a.y_scale,
      outputZeroPoint: a.y_zero_point,
      relu: a.relu,
    });
    if (y.some((v, k) => v !== c.outputs.y.data[k])) failures++;
  }
  return failures;
}

Deno.test("the reference passes every golden conv case (sanity check of goldenFailures)", () => {
  assert.equal(goldenFailures(REFERENCE_CONV2D.qnnpack), 0);
});

/**
 * A conv that multiplies (C, kh, kw)-ordered im2col rows — NCHW's order, not NHWC's — by weights
 * in the same order: the exact sum is unchanged, only FBGEMM's int16 pairs differ.
 */
function convWithChannelMajorK(family: Numerics): Conv2dImpl {
  return (x, shape, weight, p) => {
    const [n, c, h, w] = shape;
    const [, o, oh, ow] = conv2dOutputShape(shape, weight, p);
    const { kernelH: kh, kernelW: kw } = weight;
    const cg = c / p.groups;
    const og = o / p.groups;
    const k = cg * kh * kw;
    const out = new Uint8Array(n * o * oh * ow);
    for (let img = 0; img < n; img++) {
      for (let g = 0; g < p.groups; g++) {
        const rows = new Uint8Array(oh * ow * k);
        for (let y = 0; y < oh; y++) {
          for (let xo = 0; xo < ow; xo++) {
            let q = (y * ow + xo) * k;
            for (let ci = 0; ci < cg; ci++) {
              for (let r = 0; r < kh; r++) {
                for (let s = 0; s < kw; s++) {
                  const iy = y * p.stride[0] - p.padding[0] + r * p.dilation[0];
                  const ix = xo * p.stride[1] - p.padding[1] + s * p.dilation[1];
                  rows[q++] = iy >= 0 && iy < h && ix >= 0 && ix < w
                    ? x[((img * c + g * cg + ci) * h + iy) * w + ix]
                    : p.inputZeroPoint;
                }
              }
            }
          }
        }
        const lw = specGroupWeight(weight, p.groups, g);
        // OIHW is already (c, kh, kw) per output channel.
        lw.data.set(weight.data.subarray(g * og * k, (g + 1) * og * k));
        const res = REFERENCE_LINEAR[family](rows, oh * ow, lw, p);
        for (let pos = 0; pos < oh * ow; pos++) {
          for (let j = 0; j < og; j++) {
            out[(img * o + g * og + j) * oh * ow + pos] = res[pos * og + j];
          }
        }
      }
    }
    return out;
  };
}

Deno.test("conv properties catch an im2col K order of (C, kh, kw) under FBGEMM's pair saturation", async () => {
  const fbgemm = await failing("fbgemm", convWithChannelMajorK("fbgemm"));
  assert.ok(
    fbgemm.some((n) => n.startsWith("conv equals the engine's linear layer")),
    `failing: ${fbgemm}`,
  );
  // QNNPACK accumulates exactly, so the order is invisible there (and in its goldens).
  assert.deepEqual(await failing("qnnpack", convWithChannelMajorK("qnnpack")), []);
  assert.equal(goldenFailures(convWithChannelMajorK("qnnpack")), 0);
});

/** A conv that pads with code 0 instead of the input zero point. */
function convPaddingZero(family: Numerics): Conv2dImpl {
  return (x, shape, weight, p) => {
    const [n, c, h, w] = shape;
    const [ph, pw] = p.padding;
    const hp = h + 2 * ph;
    const wp = w + 2 * pw;
    const padded = new Uint8Array(n * c * hp * wp);
    for (let plane = 0; plane < n * c; plane++) {
      for (let y = 0; y < h; y++) {
        padded.set(
          x.subarray((plane * h + y) * w, (plane * h + y + 1) * w),
          (plane * hp + y + ph) * wp + pw,
        );
      }
    }
    return REFERENCE_CONV2D[family](padded, [n, c, hp, wp], weight, { ...p, padding: [0, 0] });
  };
}

Deno.test("conv properties and goldens catch padding with 0 instead of the zero point", async () => {
  for (const family of ["qnnpack", "fbgemm"] as const) {
    const names = await failing(family, convPaddingZero(family));
    assert.ok(
      names.some((n) => n.startsWith("conv equals the engine's linear layer")),
      `${family}: ${names}`,
    );
  }
  assert.ok(goldenFailures(convPaddingZero("qnnpack")) > 10);
});

/** A depthwise conv whose channel c reads input channel c+1 (a channel mix-up). */
function convDepthwiseMixUp(family: Numerics): Conv2dImpl {
  return (x, shape, weight, p) => {
    const [n, c, h, w] = shape;
    if (p.groups !== c || c === 1) return REFERENCE_CONV2D[family](x, shape, weight, p);
    const rotated = new Uint8Array(x.length);
    for (let img = 0; img < n; img++) {
      for (let ch = 0; ch < c; ch++) {
        rotated.set(
          x.subarray((img * c + (ch + 1) % c) * h * w, (img * c + (ch + 1) % c + 1) * h * w),
          (img * c + ch) * h * w,
        );
      }
    }
    return REFERENCE_CONV2D[family](rotated, shape, weight, p);
  };
}

Deno.test("conv properties and goldens catch a depthwise channel mix-up", async () => {
  for (const family of ["qnnpack", "fbgemm"] as const) {
    const names = await failing(family, convDepthwiseMixUp(family));
    assert.ok(names.some((n) => n.startsWith("a depthwise conv equals")), `${family}: ${names}`);
  }
  assert.ok(goldenFailures(convDepthwiseMixUp("qnnpack")) > 10);
});

Deno.test("conv properties catch a ReLU that clamps at 0 instead of the output zero point", async () => {
  const broken: Conv2dImpl = (x, shape, weight, p) =>
    p.relu
      ? REFERENCE_CONV2D.qnnpack(x, shape, weight, { ...p, relu: false }).map((v) => Math.max(v, 0))
      : REFERENCE_CONV2D.qnnpack(x, shape, weight, p);
  const names = await failing("qnnpack", broken);
  assert.ok(names.some((n) => n.startsWith("conv_relu")), `${names}`);
});
