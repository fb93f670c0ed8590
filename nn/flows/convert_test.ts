import assert from "node:assert/strict";
import { defaultQConfig, getDefaultQConfig } from "../../reference/qconfig.ts";
import { kernelSets } from "../../kernels/paths.ts";
import { fuseModules } from "../fuse.ts";
import { randomTensor, SMALL_NET_GROUPS, SmallNet } from "../_test_models.ts";
import { convert } from "./convert.ts";
import { prepare } from "./prepare.ts";

const kernels = kernelSets().find((k) => k.numerics === "qnnpack")!;

function prepared(): SmallNet {
  const fused = fuseModules(new SmallNet().eval(), SMALL_NET_GROUPS);
  fused.qconfig = getDefaultQConfig("qnnpack");
  return prepare(fused);
}

/** Runs `f` with console.warn captured; returns the warnings. */
function warnings(f: () => void): string[] {
  const seen: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => seen.push(args.join(" "));
  try {
    f();
  } finally {
    console.warn = original;
  }
  return seen;
}

Deno.test("convert warns once per observer that has seen no data, naming the module", () => {
  const seen = warnings(() => convert(prepared(), { kernels }));
  const named = seen.map((w) => /^Warning: convert: (\S+ \(\w+\)): its observer/.exec(w)?.[1]);
  assert.deepEqual(named, [
    "quant (QuantStub)",
    "conv1 (ConvReLU2d)",
    "conv2 (Conv2d)",
    "skip (FloatFunctional)",
    "fc1 (LinearReLU)",
    "fc2 (Linear)",
  ]);
  for (const w of seen) assert.match(w, /has seen no data.*"must run observer before calling/);
});

Deno.test("convert of a calibrated model warns about nothing", () => {
  const model = prepared();
  model.forward(randomTensor([2, 1, 8, 8], 3, -2, 2));
  assert.deepEqual(warnings(() => convert(model, { kernels })), []);
});

Deno.test("convert { uncalibrated: 'error' } throws instead; 'ignore' is silent", () => {
  assert.throws(
    () => convert(prepared(), { kernels, uncalibrated: "error" }),
    /^Error: convert: \w+ \(\w+\): its observer \(HistogramObserver\) has seen no data/,
  );
  assert.deepEqual(warnings(() => convert(prepared(), { kernels, uncalibrated: "ignore" })), []);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => convert(prepared(), { kernels, uncalibrated: "loud" as any }),
    /^RangeError: uncalibrated: expected "warn", "error" or "ignore", got "loud"/,
  );
});

Deno.test("convert names the module and its observer when ±Infinity gave scale Infinity", () => {
  // MinMaxObserver records an infinite range, as PyTorch's does, and computes scale Infinity.
  const fused = fuseModules(new SmallNet().eval(), SMALL_NET_GROUPS);
  fused.qconfig = defaultQConfig;
  const model = prepare(fused);
  const x = randomTensor([2, 1, 8, 8], 3, -2, 2);
  x.data[5] = Infinity;
  model.forward(x);
  assert.throws(
    () => convert(model, { kernels }),
    /^RangeError: convert: quant \(QuantStub\): MinMaxObserver computed scale Infinity from min -?\d.* and max Infinity; PyTorch 1.13 computes the same/,
  );
});

Deno.test("convert names the module's weight when a weight with ±Infinity gave scale Infinity", () => {
  const model = prepared();
  model.forward(randomTensor([2, 1, 8, 8], 3, -2, 2));
  const fc2 = model.namedModules().find(([n]) => n === "fc2")![1] as unknown as {
    weight: { data: Float32Array };
  };
  fc2.weight.data[0] = -Infinity;
  assert.throws(
    () => convert(model, { kernels }),
    /^RangeError: convert: fc2 \(Linear\)\.weight: MinMaxObserver computed scale Infinity from min -Infinity/,
  );
});
