import assert from "node:assert/strict";
import { kernelProperties } from "./kernels.ts";
import { propertyFails } from "./property.ts";
import type { PropertyCheck } from "./property.ts";
import { kernelPathConfigs } from "../../kernels/paths.ts";
import { KernelRuntime } from "../../kernels/runtime.ts";
import { WasmKernelSet } from "../../kernels/wasm_kernel_set.ts";
import type { QLinearPathConfig } from "../../kernels/qlinear.ts";
import {
  fbgemmArithmetic,
  type RequantArithmetic,
  requantArithmetic,
  type RequantInputs,
} from "../../kernels/qgemm/requant.ts";
import type { FunctionBuilder } from "../../kernels/wasm/mod.ts";

// Planted bugs go through test-only wrappers of the arithmetic a kernel set emits; production
// code only takes the arithmetic as a parameter.

const runtime = new KernelRuntime();
const fused = runtime.features.relaxedMaddFused === true;

/** Every path configuration this engine can run (as `kernelSets()` builds them). */
const configs = () => kernelPathConfigs(runtime.features);

/** The arithmetic with every multiplier one ulp larger (a planted one-ulp bug). */
function nudgedMultiplier(a: RequantArithmetic): RequantArithmetic {
  const wrap = (f: FunctionBuilder, io: RequantInputs): RequantInputs => ({
    ...io,
    multiplier: () => {
      io.multiplier();
      f.v128.const("i32x4", [1, 1, 1, 1]).i32x4.add();
    },
  });
  return {
    ...a,
    name: `${a.name}+1ulp`,
    emitU8: (f, io) => a.emitU8(f, wrap(f, io)),
    emitF32: (f, io) => a.emitF32(f, wrap(f, io)),
  };
}

function property(set: WasmKernelSet, prefix: string): PropertyCheck {
  const found = kernelProperties(set).find((p) => p.name.startsWith(prefix));
  assert.ok(found, `no property named ${prefix}…`);
  return found;
}

function build(config: QLinearPathConfig, changes: Partial<QLinearPathConfig>): WasmKernelSet {
  return new WasmKernelSet(runtime, {
    ...config,
    ...changes,
    name: `${config.name} (planted)`,
    description: "planted bug",
  });
}

Deno.test("every epilogue's properties catch a multiplier one ulp off (static, dynamic, conv)", async () => {
  for (const config of configs()) {
    const broken = build(config, {
      requant: nudgedMultiplier(requantArithmetic(config.numerics, config.relaxed && fused)),
    });
    assert.ok(
      await propertyFails(property(broken, "static linear equals the reference at output")),
      `${config.name}: static ties`,
    );
    assert.ok(
      await propertyFails(property(broken, "dynamic linear equals the reference (")),
      `${config.name}: dynamic`,
    );
    // The depthwise kernel's fused requantization uses the same arithmetic.
    assert.ok(
      await propertyFails(property(broken, "conv2d equals the reference at output")),
      `${config.name}: conv ties`,
    );
  }
});

Deno.test("FBGEMM's properties catch a bias term computed without the fused multiply-add", async () => {
  for (const config of configs()) {
    if (config.numerics !== "fbgemm" && config.numerics !== "fbgemm_avx512_vnni") continue;
    const broken = build(config, { requant: fbgemmArithmetic("unfused") });
    assert.ok(
      await propertyFails(property(broken, "static linear equals the reference at output")),
      `${config.name}: static ties`,
    );
    assert.ok(
      await propertyFails(property(broken, "dynamic linear equals the reference (")),
      `${config.name}: dynamic output`,
    );
    assert.ok(
      await propertyFails(property(broken, "conv2d equals the reference at output")),
      `${config.name}: conv ties`,
    );
  }
});

Deno.test("the dynamic tie property catches a quantizer that rounds once too often or too few", async () => {
  for (const config of configs()) {
    if (config.numerics === "qnnpack") continue; // QNNPACK quantizes with quantize_per_tensor
    const broken = build(config, {
      quantizeMulAdd: config.numerics === "onednn" ? "fused-emulated" : "unfused",
    });
    assert.ok(
      await propertyFails(property(broken, "dynamic linear equals the reference at activation")),
      config.name,
    );
  }
});

Deno.test("the same configurations without a planted bug pass the tie properties", async () => {
  for (const config of configs()) {
    const good = new WasmKernelSet(runtime, { ...config, description: "test" });
    for (
      const prefix of [
        "static linear equals the reference at",
        "dynamic linear equals the reference at",
      ]
    ) {
      assert.ok(!(await propertyFails(property(good, prefix), 100)), `${config.name}: ${prefix}`);
    }
  }
});
