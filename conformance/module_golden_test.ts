import assert from "node:assert/strict";
import { runModuleGolden } from "./module_golden.ts";
import { pytorchDifferences } from "./pytorch_differences.ts";
import { kernelModuleProperties } from "./properties/kernel_module.ts";
import { propertyFails } from "./properties/property.ts";
import { type KernelModule, referenceKernelModule } from "../ops/kernel_module.ts";
import {
  ONNX_OPS,
  qLinearAdd,
  type QLinearBinaryOpArgs,
  type QLinearConvOpArgs,
  quantizeLinear,
  type QuantizeLinearOpArgs,
} from "../ops/onnx.ts";
import { maxPool2d, type PoolArgs } from "../ops/pool.ts";
import { f32, reciprocalF32, roundHalfEven } from "../reference/float32.ts";
import * as onnx from "../reference/onnx/mod.ts";

const ONNX_GOLDEN = new URL("../golden/onnx", import.meta.url).pathname;
const reference = referenceKernelModule("onnx", ONNX_OPS);

/** The reference with one op replaced (a planted bug). */
function planted(op: string, impl: KernelModule["ops"][string]): KernelModule {
  return { ...reference, name: "planted", ops: { ...reference.ops, [op]: impl } };
}

Deno.test("the onnx goldens pass on the reference module and catch one wrong element, naming it", async () => {
  const ok = await runModuleGolden(reference, [ONNX_GOLDEN]);
  assert.ok(ok.results.length > 300);
  assert.deepEqual(ok.results.filter((r) => r.status !== "pass"), []);
  // One wrong element in every QLinearConv output, answered asynchronously.
  const bad = await runModuleGolden(
    planted("onnx.QLinearConv", async (a: QLinearConvOpArgs) => {
      const y = onnx.qLinearConv(a.x, a.w, a);
      const data = y.data.slice();
      data[data.length >> 1] ^= 1;
      return await Promise.resolve({ data, shape: y.shape });
    }),
    [ONNX_GOLDEN],
  );
  const failed = bad.results.filter((r) => r.status === "fail");
  assert.equal(failed.length, bad.results.filter((r) => r.op === "onnx.QLinearConv").length);
  assert.match(
    failed[0].reason!,
    /y: 1 of \d+ elements differ; first at index \d+ \(\[\d+, \d+, \d+, \d+\]\): expected \d+, got \d+/,
  );
});

Deno.test("the onnx properties fail for PyTorch's reciprocal multiply and for rounding before the zero point", async () => {
  const reciprocal = planted("onnx.QuantizeLinear", (args: QuantizeLinearOpArgs) => {
    const s = args.scale as number;
    const { min, max } = onnx.int8Range(args.type);
    const y = onnx.quantizeLinear(args.x, args);
    args.x.data.forEach((v, i) => {
      if (Number.isFinite(v)) {
        y[i] = Math.min(
          max,
          Math.max(min, roundHalfEven(f32(v * reciprocalF32(s))) + (args.zeroPoint as number ?? 0)),
        );
      }
    });
    return y;
  });
  const roundFirst = planted("com.microsoft.QLinearAdd", (args: QLinearBinaryOpArgs) => {
    const c = onnx.qLinearAdd(args.a, args.b, args);
    // ONNX's formula read literally: round, then add the zero point (ties differ).
    const { min, max } = onnx.int8Range(c.data instanceof Int8Array ? "int8" : "uint8");
    const zc = args.cZeroPoint ?? 0;
    const data = c.data.slice();
    const { a, b } = args;
    for (let i = 0; i < data.length; i++) {
      const va = f32(f32(args.aScale) * (a.data[i % a.data.length] - (args.aZeroPoint ?? 0)));
      const vb = f32(f32(args.bScale) * (b.data[i % b.data.length] - (args.bZeroPoint ?? 0)));
      data[i] = Math.min(
        max,
        Math.max(min, roundHalfEven(f32(f32(va + vb) / f32(args.cScale))) + zc),
      );
    }
    return { data, shape: c.shape };
  });
  const check = (m: KernelModule, op: string) =>
    kernelModuleProperties(m).checks.find((c) => c.op === op)!;
  assert.equal(await propertyFails(check(reference, quantizeLinear.name), 50), false);
  assert.equal(await propertyFails(check(reciprocal, quantizeLinear.name), 200), true);
  assert.equal(await propertyFails(check(roundFirst, qLinearAdd.name), 500), true);
});

Deno.test("a module that answers where the reference refuses fails the property", async () => {
  const base = referenceKernelModule("qnnpack", [maxPool2d]);
  const lenient: KernelModule = {
    ...base,
    name: "lenient",
    ops: {
      [maxPool2d.name]: (args: PoolArgs) => {
        try {
          return base.ops[maxPool2d.name](args);
        } catch {
          return args.x; // answers a window that does not fit instead of refusing it
        }
      },
    },
  };
  const check = (m: KernelModule) => kernelModuleProperties(m).checks[0];
  assert.equal(await propertyFails(check(base), 100), false);
  assert.equal(await propertyFails(check(lenient), 300), true);
});

Deno.test("test_dynamicquantizelinear: x = -2.5 gives 26 by division, PyTorch's reciprocal multiply 25", async () => {
  const rows = await pytorchDifferences(reference, [
    new URL("../golden/quantize.json", import.meta.url).pathname,
  ]);
  const q = rows.find((r) => r.op === "quantize_per_tensor")!;
  assert.ok(q.elementsDiffering > 0 && q.maxAbsDifference === 1, JSON.stringify(q));
  const scale = f32(f32(2 - -3) / 255);
  const zp = roundHalfEven(f32(0 - f32(-3 / scale)));
  assert.equal(zp, 153);
  assert.equal(
    onnx.quantizeLinear({ data: Float32Array.of(-2.5), shape: [1] }, {
      scale,
      zeroPoint: zp,
      type: "uint8",
    })[0],
    26,
  );
  assert.equal(roundHalfEven(f32(-2.5 * reciprocalF32(scale))) + zp, 25);
});
