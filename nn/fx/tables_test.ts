/**
 * The backend configs and default QConfigMappings against the tables recorded from PyTorch 1.13
 * (golden/models/fx/pytorch_fx_tables.json, written by scripts/export/fx_tables.py): every
 * pattern config in order, and every default qconfig described by the observers it builds.
 */
import assert from "node:assert/strict";
import type { ObserverFactory } from "../../reference/qconfig.ts";
import {
  type BackendConfig,
  type BackendPatternConfig,
  type DTypeWithConstraints,
  getFbgemmBackendConfig,
  getNativeBackendConfig,
  getQnnpackBackendConfig,
  getX86BackendConfig,
} from "./backend_config.ts";
import { describeFactory as describeFactoryJSON } from "./qconfig_json.ts";
import {
  getDefaultDynamicQConfigMapping,
  getDefaultQatQConfigMapping,
  getDefaultQConfigMapping,
  type QConfigAny,
} from "./qconfig_mapping.ts";

const TABLES = JSON.parse(
  Deno.readTextFileSync(new URL("../../golden/models/fx/pytorch_fx_tables.json", import.meta.url)),
);

/** A factory described as PyTorch's recorder describes it: what it builds. */
export function describeFactory(f: ObserverFactory | undefined): unknown {
  return f === undefined ? undefined : describeFactoryJSON(f);
}

function describeQConfig(q: QConfigAny): unknown {
  if (q === null) return null;
  return { activation: describeFactory(q.activation), weight: describeFactory(q.weight) };
}

function constraints(d: DTypeWithConstraints | null): unknown {
  if (d === null) return null;
  const out: Record<string, unknown> = { dtype: d.dtype };
  if (d.quantMinLowerBound !== undefined) out.quant_min_lower_bound = d.quantMinLowerBound;
  if (d.quantMaxUpperBound !== undefined) out.quant_max_upper_bound = d.quantMaxUpperBound;
  if (d.scaleMinLowerBound !== undefined) out.scale_min_lower_bound = d.scaleMinLowerBound;
  return out;
}

function describeConfig(c: BackendPatternConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    pattern: c.pattern,
    observation_type: c.observationType,
    dtype_configs: c.dtypeConfigs.map((d) => ({
      input: constraints(d.input),
      output: constraints(d.output),
      weight: constraints(d.weight),
      bias: d.bias,
      is_dynamic: d.isDynamic,
    })),
  };
  if (c.rootModule) out.root_module = c.rootModule;
  if (c.qatModule) out.qat_module = c.qatModule;
  if (c.referenceQuantizedModule) out.reference_quantized_module = c.referenceQuantizedModule;
  if (c.fusedModule) out.fused_module = c.fusedModule;
  if (c.fuserMethod) out.fuser_method = true;
  if (c.numTensorArgsToObservationType) {
    out.num_tensor_args_to_observation_type = Object.fromEntries(
      Object.entries(c.numTensorArgsToObservationType),
    );
  }
  if (c.inputTypeToIndex) out.input_type_to_index = { ...c.inputTypeToIndex };
  if (c.overwriteOutputFakeQuantize) {
    out.overwrite_output_fake_quantize = describeFactory(c.overwriteOutputFakeQuantize);
  }
  if (c.overwriteOutputObserver) {
    out.overwrite_output_observer = describeFactory(c.overwriteOutputObserver);
  }
  if (c.inputOutputObserved !== undefined) out.input_output_observed = c.inputOutputObserved;
  return out;
}

function checkBackend(name: string, config: BackendConfig) {
  const want = TABLES.backend_configs[name] as Record<string, unknown>[];
  const got = config.configs.map(describeConfig);
  assert.equal(got.length, want.length, `${name}: pattern config count`);
  got.forEach((g, i) =>
    assert.deepEqual(g, want[i], `${name}: config ${i} (${JSON.stringify(want[i].pattern)})`)
  );
}

Deno.test("backend configs: native, fbgemm, x86 and qnnpack equal PyTorch 1.13's, config by config", () => {
  checkBackend("native", getNativeBackendConfig());
  checkBackend("fbgemm", getFbgemmBackendConfig());
  checkBackend("x86", getX86BackendConfig());
  checkBackend("qnnpack", getQnnpackBackendConfig());
});

Deno.test("default QConfigMappings (PTQ and QAT, four backends) equal PyTorch 1.13's", () => {
  for (
    const [flow, make] of [["static", getDefaultQConfigMapping], [
      "qat",
      getDefaultQatQConfigMapping,
    ]] as const
  ) {
    for (const backend of ["fbgemm", "x86", "qnnpack", "onednn"]) {
      const want = TABLES.qconfig_mappings[flow][backend];
      const m = make(backend);
      assert.deepEqual(describeQConfig(m.globalQConfig), want.global, `${flow}/${backend}: global`);
      const got = [...m.objectTypeQConfigs].map(([k, q]) => [k, describeQConfig(q)]);
      assert.deepEqual(got, want.object_type, `${flow}/${backend}: object types`);
    }
  }
  const dynamic = getDefaultDynamicQConfigMapping();
  assert.deepEqual(describeQConfig(dynamic.globalQConfig), TABLES.qconfig_mappings_dynamic.global);
  assert.deepEqual(
    [...dynamic.objectTypeQConfigs].map(([k, q]) => [k, describeQConfig(q)]),
    TABLES.qconfig_mappings_dynamic.object_type,
  );
});
