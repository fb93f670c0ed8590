/**
 * GraphModules through JSON: the float, prepared and converted MobileNetV2-style block
 * (nn/fx/proof_models.ts, random weights) written with `graphModuleToJSON` + its state dict and
 * rebuilt with `graphModuleFromJSON` print the same graph and compute the same bits; a rebuilt
 * prepared model keeps calibrating like the original. Malformed JSON is refused with the
 * offending entry named.
 */
import assert from "node:assert/strict";
import type { Tensor } from "../../reference/tensor.ts";
import { bestKernelSet } from "../../kernels/paths.ts";
import { quantizedOps } from "../flows/convert.ts";
import { randomizeBatchNorms, randomTensor } from "../_test_models.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { type Backend, getBackendConfig } from "./backend_config.ts";
import { convertFx } from "./convert.ts";
import { type GraphModule } from "./graph_module.ts";
import { graphModuleFromJSON, type GraphModuleJSON, graphModuleToJSON } from "./graph_json.ts";
import { prepareFx } from "./prepare.ts";
import { MobileBlockNet } from "./proof_models.ts";
import { getDefaultQConfigMapping } from "./qconfig_mapping.ts";
import { symbolicTrace } from "./tracer.ts";

function model(): MobileBlockNet {
  const m = new MobileBlockNet();
  let seed = 1;
  for (const [, p] of m.namedParameters()) {
    p.data.set(randomTensor([p.size], seed++, -0.4, 0.4).data);
  }
  randomizeBatchNorms(m, 99);
  return m.eval();
}

const batch = (seed: number): Tensor => randomTensor([2, 3, 16, 16], seed, -2, 2);

function bits(v: unknown): unknown {
  if (v instanceof QTensor) return [v.scale, v.zeroPoint, [...v.logicalCodes()]];
  const t = v as Tensor;
  return [[...t.shape], [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)]];
}

/** The JSON as a file would carry it. */
function viaText(json: GraphModuleJSON): GraphModuleJSON {
  return JSON.parse(JSON.stringify(json));
}

/** Rebuilt from JSON and the state dict; a new module trains, as in PyTorch, so match `gm`. */
function roundTrip(gm: GraphModule, options = {}): GraphModule {
  const back = graphModuleFromJSON(viaText(graphModuleToJSON(gm)), {
    stateDict: gm.stateDict(),
    ...options,
  });
  return gm.training ? back : back.eval();
}

for (const backend of ["qnnpack", "x86"] as const satisfies readonly Backend[]) {
  Deno.test(`float, prepared and converted graph modules round-trip through JSON (${backend})`, () => {
    const backendConfig = getBackendConfig(backend);
    const float = symbolicTrace(model());
    const floatBack = roundTrip(float);
    assert.equal(String(floatBack.graph), String(float.graph));
    assert.deepEqual(bits(floatBack.forward(batch(1))), bits(float.forward(batch(1))));

    const prepared = prepareFx(model(), getDefaultQConfigMapping(backend), [batch(1)], {
      backendConfig,
    });
    for (let i = 0; i < 3; i++) prepared.forward(batch(10 + i));
    const json = viaText(graphModuleToJSON(prepared));
    const preparedBack = graphModuleFromJSON(json).eval();
    preparedBack.loadStateDict(prepared.stateDict());
    assert.equal(String(preparedBack.graph), String(prepared.graph));
    assert.deepEqual(json.shared_observers, graphModuleToJSON(preparedBack).shared_observers);
    // One more calibration batch on both: the observers move the same way.
    prepared.forward(batch(20));
    preparedBack.forward(batch(20));
    const a = prepared.stateDict();
    const b = preparedBack.stateDict();
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);

    const kernels = bestKernelSet(backend === "qnnpack" ? "qnnpack" : "fbgemm");
    const converted = convertFx(prepared, { kernels, backendConfig });
    const convertedBack = roundTrip(converted, { ops: quantizedOps({ kernels }) });
    assert.equal(String(convertedBack.graph), String(converted.graph));
    assert.deepEqual(bits(convertedBack.forward(batch(30))), bits(converted.forward(batch(30))));
  });
}

Deno.test("graphModuleFromJSON refuses malformed JSON, naming what is wrong", () => {
  const json = viaText(graphModuleToJSON(symbolicTrace(model())));
  assert.throws(
    () => graphModuleFromJSON({ ...json, format: "x" }),
    /expected a qint8-fx-graph\/1/,
  );
  assert.throws(
    () => graphModuleFromJSON({ ...json, shared_observers: [["nowhere", "x"]] }),
    /shared_observers: unknown observer "nowhere"/,
  );
  assert.throws(
    () =>
      graphModuleFromJSON({
        ...json,
        attributes: { ...json.attributes, odd: { dtype: "complex64", shape: [1] } },
      }),
    /attributes.odd: unsupported dtype complex64/,
  );
  const broken = structuredClone(json);
  broken.nodes[3].args = [{ node: "no_such_node" }];
  assert.throws(() => graphModuleFromJSON(broken), /no_such_node/);
  // A strict state dict: a missing weight is named.
  const state = symbolicTrace(model()).stateDict();
  state.delete("stem.weight");
  assert.throws(() => graphModuleFromJSON(json, { stateDict: state }), /stem\.weight/);
});
