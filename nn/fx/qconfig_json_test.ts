/**
 * QConfigMappings read from PyTorch's descriptions (golden/models/fx/<name>_custom_<backend>/
 * qconfig_mapping.json, written by scripts/export/fx_export.py from the mappings of
 * scripts/models/record_fx.py): they describe back to the same JSON, default qconfigs decode to
 * this library's own factories, and the precedence gives each module the qconfig PyTorch gave
 * it (the recordings' prepared graphs check the same end to end in `deno task conform`).
 */
import assert from "node:assert/strict";
import { getDefaultQConfig } from "../../reference/qconfig.ts";
import {
  describeQConfig,
  factoryFromJSON,
  QCONFIG_MAPPING_FORMAT,
  qconfigMappingFromJSON,
  type QConfigMappingJSON,
  qconfigMappingToJSON,
} from "./qconfig_json.ts";
import { qconfigEquals } from "./qconfig_mapping.ts";

function recorded(name: string): QConfigMappingJSON {
  return JSON.parse(
    Deno.readTextFileSync(
      new URL(`../../golden/models/fx/${name}/qconfig_mapping.json`, import.meta.url),
    ),
  );
}

const CUSTOM = ["mobile_custom_qnnpack", "digits_custom_x86"];

for (const name of CUSTOM) {
  Deno.test(`${name}: the mapping read back describes itself as PyTorch did`, () => {
    const json = recorded(name);
    assert.deepEqual(qconfigMappingToJSON(qconfigMappingFromJSON(json)), json);
  });
}

Deno.test("default qconfigs decode to factories equal to this library's defaults", () => {
  const m = qconfigMappingFromJSON(recorded("mobile_custom_qnnpack"));
  assert.ok(qconfigEquals(m.globalQConfig, getDefaultQConfig("qnnpack")));
  const x86 = qconfigMappingFromJSON(recorded("digits_custom_x86"));
  assert.ok(qconfigEquals(x86.globalQConfig, getDefaultQConfig("x86")));
});

Deno.test("precedence: object type < regex (first match) < module name < name+type+index", () => {
  const m = qconfigMappingFromJSON(recorded("mobile_custom_qnnpack"));
  const activation = (type: string, name: string) => {
    const q = m.qconfigForTypeOrName(type, name, m.globalQConfig);
    return q === null ? null : describeQConfig(q)!.activation;
  };
  const conv = "torch.nn.Conv2d";
  // Conv2d by type: a 512-bin histogram.
  assert.equal(activation(conv, "stem")?.class, "HistogramObserver");
  assert.equal(activation(conv, "stem")?.config.bins, 512);
  assert.equal(activation(conv, "project")?.config.bins, 512);
  // expand matches both regexes: the first (MinMax) wins over the type.
  assert.equal(activation(conv, "expand")?.class, "MinMaxObserver");
  // dw's module name beats both regexes.
  assert.equal(activation(conv, "dw")?.class, "MovingAverageMinMaxObserver");
  // A module name set to None leaves the module float, nested paths included.
  assert.equal(activation("torch.nn.Linear", "fc1"), null);
  assert.equal(activation("torch.nn.ReLU", "fc1.inner"), null);
  // (module name, object type, index): only the given call.
  const relu6 = "torch.nn.functional.relu6";
  assert.equal(m.qconfigForOrder("", relu6, 1, m.globalQConfig), null);
  assert.equal(m.qconfigForOrder("", relu6, 0, m.globalQConfig), m.globalQConfig);
  assert.equal(
    describeQConfig(m.qconfigForOrder("", "torch.add", 0, null))!.activation!.class,
    "MinMaxObserver",
  );
});

Deno.test("malformed mappings and descriptions are refused with the entry named", () => {
  const json = recorded("mobile_custom_qnnpack");
  assert.throws(
    () => qconfigMappingFromJSON({ ...json, format: "other" }),
    new RegExp(`expected format ${QCONFIG_MAPPING_FORMAT}`),
  );
  assert.throws(
    () => qconfigMappingFromJSON({ ...json, module_name: [["fc1"]] } as never),
    /module_name: expected a list of 2-element entries/,
  );
  assert.throws(
    () => factoryFromJSON({ class: "WeirdObserver", config: {} }, "global.activation"),
    /global.activation: observer class "WeirdObserver" is not supported/,
  );
  assert.throws(() => factoryFromJSON(null as never, "x"), /x: expected \{class, config\}/);
  const custom = factoryFromJSON(
    { class: "MinMaxObserver", config: { dtype: "quint8", quant_min: 0, quant_max: 127 } },
  );
  assert.notEqual(custom.create(), custom.create());
  assert.throws(() => custom.withArgs({}), /takes no more arguments/);
});
