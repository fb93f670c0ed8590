/**
 * The proof on models nobody tuned for: what `scripts/models/record_flows.py`
 * recorded from real PyTorch 1.13 (qnnpack engine) in `golden/models/flows/`, every state loaded
 * through `loadStateDict` with PyTorch's keys (written by `scripts/export_state_dict.py`):
 *
 * - dynamic: the LSTM word language model of PyTorch's tutorial (`{LSTM, Linear}`, state carried
 *   between chunks), an EmbeddingBag + bidirectional LSTM + per-channel Linear model, and a
 *   4-bit EmbeddingBag + GRU + the four cells model — weights, qparams and float outputs bit for
 *   bit;
 * - static (per-channel weights, HistogramObserver with reduce_range): the calibrated prepared
 *   model loads (histograms included) and gives PyTorch's activation qparams; convert gives
 *   PyTorch's weights and QNNPACK's zero bias; the int8 output codes are PyTorch's, also after
 *   loading PyTorch's converted state into an uncalibrated skeleton;
 * - QAT: a model mid-training (observers and BN statistics live) loads and converts to PyTorch's
 *   converted model, whose int8 outputs are PyTorch's.
 * @module
 */
import assert from "node:assert/strict";
import { kernelSets } from "../../kernels/paths.ts";
import {
  defaultDynamicQConfig,
  floatQParamsWeightOnlyQConfig,
  floatQParamsWeightOnlyQConfig4bit,
  getDefaultQatQConfig,
  getDefaultQConfig,
  perChannelDynamicQConfig,
  type QConfig,
} from "../../reference/qconfig.ts";
import { Tensor } from "../../reference/tensor.ts";
import { convert } from "../flows/convert.ts";
import { prepare } from "../flows/prepare.ts";
import { prepareQat } from "../flows/prepare_qat.ts";
import type { ModuleClass } from "../flows/propagate.ts";
import { quantizeDynamic } from "../flows/quantize_dynamic.ts";
import { fuseModules } from "../fuse.ts";
import type { Module } from "../module.ts";
import { EmbeddingBag, GRU, GRUCell, Linear, LSTM, LSTMCell, RNNCell } from "../modules/mod.ts";
import type { ObserverModule } from "../observer_module.ts";
import { QTensor } from "../quantized/qtensor.ts";
import { readSafetensors } from "../safetensors.ts";
import type { TypedTensor } from "../typed_tensor.ts";
import { bits, diffEntries, tensorOf } from "./_digits_golden.ts";
import { BagTagger, CellStack, STAGES_FUSION, StagesNet, WordLM } from "./_flow_models.ts";

const DIR = new URL("../../golden/models/flows/", import.meta.url);
const QNNPACK_PATHS = kernelSets().filter((k) => k.numerics === "qnnpack");

function read(name: string): Map<string, TypedTensor> {
  return readSafetensors(Deno.readFileSync(new URL(name, DIR)));
}

/** Loads a float model's recorded state (strict) and puts it in eval mode. */
function loaded<M extends Module>(model: M, file: string): M {
  model.loadStateDict(read(file));
  return model.eval();
}

/**
 * The keys whose entries differ between our state dict and the recorded one (and the extras).
 * PyTorch's dynamic Linear also saves the output qparams it never uses (1.0, 0), which ours does
 * not save (it accepts them when loading): `dynamicLinears` names those modules.
 */
function stateDiff(
  model: Module,
  want: Map<string, TypedTensor>,
  dynamicLinears: readonly string[] = [],
): string[] {
  const got = model.stateDict();
  const unused = new Set(dynamicLinears.flatMap((m) => [`${m}.scale`, `${m}.zero_point`]));
  const out = [...want.keys()].filter((k) => !unused.has(k)).flatMap((k) => {
    const d = diffEntries(got.get(k), want.get(k));
    return d === "" ? [] : [`${k}: ${d}`];
  });
  for (const k of got.keys()) if (!want.has(k)) out.push(`${k}: not recorded`);
  return out;
}

function indices(t: TypedTensor | undefined): BigInt64Array {
  return t!.data as BigInt64Array;
}

for (const kernels of QNNPACK_PATHS) {
  Deno.test(`flows: the tutorial's LSTM word LM, quantize_dynamic({LSTM, Linear}) (${kernels.name})`, () => {
    const model = loaded(new WordLM(), "word_lm_float.safetensors");
    const q = quantizeDynamic(model, {
      qconfigSpec: new Set<ModuleClass>([LSTM, Linear]),
      kernels,
    });
    assert.deepEqual(stateDiff(q, read("word_lm_dynamic.safetensors"), ["decoder"]), []);
    const record = read("word_lm_record.safetensors");
    const tokens = indices(record.get("tokens"));
    const zeros = new Tensor(new Float32Array(3 * 3 * 40), [3, 3, 40]);
    let hidden: [Tensor, Tensor] = [zeros, zeros];
    for (const chunk of [0, 1]) {
      const [logits, state] = q.forward(
        { data: tokens.subarray(chunk * 30, chunk * 30 + 30), shape: [10, 3] },
        hidden,
      );
      assert.deepEqual(
        bits(logits),
        bits(tensorOf(record.get(`logits${chunk}`))),
        `chunk ${chunk}`,
      );
      hidden = state;
    }
    assert.deepEqual(bits(hidden[0]), bits(tensorOf(record.get("h"))));
    assert.deepEqual(bits(hidden[1]), bits(tensorOf(record.get("c"))));
  });

  Deno.test(`flows: EmbeddingBag + bidirectional LSTM + per-channel Linear (${kernels.name})`, () => {
    const model = loaded(new BagTagger(), "bag_tagger_float.safetensors");
    const spec = new Map<ModuleClass, QConfig>([
      [LSTM, defaultDynamicQConfig],
      [Linear, perChannelDynamicQConfig],
      [EmbeddingBag, floatQParamsWeightOnlyQConfig],
    ]);
    const q = quantizeDynamic(model, { qconfigSpec: spec, kernels });
    const exported = read("bag_tagger_dynamic.safetensors");
    assert.deepEqual(stateDiff(q, exported, ["head"]), []);
    const record = read("bag_tagger_record.safetensors");
    const y = q.forward(
      indices(record.get("indices")),
      indices(record.get("offsets")),
      tensorOf(record.get("per_sample_weights")).data,
      3,
    );
    assert.deepEqual(bits(y), bits(tensorOf(record.get("y"))));
    // PyTorch's exported quantized state loads into a quantized skeleton and runs the same.
    const skeleton = quantizeDynamic(new BagTagger().eval(), { qconfigSpec: spec, kernels });
    skeleton.loadStateDict(exported);
    assert.deepEqual(
      bits(skeleton.forward(
        indices(record.get("indices")),
        indices(record.get("offsets")),
        tensorOf(record.get("per_sample_weights")).data,
        3,
      )),
      bits(y),
    );
  });

  Deno.test(`flows: 4-bit EmbeddingBag, GRU, LSTMCell, GRUCell, RNNCells (${kernels.name})`, () => {
    const model = loaded(new CellStack(), "cell_stack_float.safetensors");
    const spec = new Map<ModuleClass, QConfig>([
      ...[GRU, LSTMCell, GRUCell, RNNCell, Linear].map((c) =>
        [c, defaultDynamicQConfig] as [ModuleClass, QConfig]
      ),
      [EmbeddingBag, floatQParamsWeightOnlyQConfig4bit],
    ]);
    const q = quantizeDynamic(model, { qconfigSpec: spec, kernels });
    const exported = read("cell_stack_dynamic.safetensors");
    assert.deepEqual(stateDiff(q, exported, ["head"]), []);
    const record = read("cell_stack_record.safetensors");
    const y = q.forward(indices(record.get("indices")), indices(record.get("offsets")), 6);
    assert.deepEqual(bits(y), bits(tensorOf(record.get("y"))));
  });
}

/** fc2's quantized output (the codes the DeQuantStub dequantizes) and the logits. */
function runStages(model: Module, x: Tensor) {
  let out: QTensor | undefined;
  model.getSubmodule("fc2").registerForwardHook((_m, _i, y) => {
    out = y as QTensor;
  });
  const logits = (model.forward as (x: Tensor) => Tensor)(x);
  assert.ok(out instanceof QTensor);
  return { codes: out.logicalCodes(), scale: out.scale, zeroPoint: out.zeroPoint, logits };
}

function assertRecordedRun(run: ReturnType<typeof runStages>, file: string): void {
  const record = read(file);
  assert.deepEqual(run.codes, record.get("codes")!.data);
  assert.equal(run.scale, (record.get("scale")!.data as Float64Array)[0]);
  assert.equal(run.zeroPoint, Number(record.get("zero_point")!.data[0]));
  assert.deepEqual(bits(run.logits), bits(tensorOf(record.get("logits"))));
}

const DATA = read("stages_data.safetensors");
const STATIC_OBSERVERS = ["quant", "conv1", "conv2", "skip", "fc1", "fc2"];

/** The float model, fused and prepared with the fbgemm qconfig (nothing calibrated). */
function preparedStages(): StagesNet {
  const fused = fuseModules(loaded(new StagesNet(), "stages_float.safetensors"), STAGES_FUSION);
  fused.qconfig = getDefaultQConfig("fbgemm");
  return prepare(fused);
}

Deno.test("flows: PyTorch's calibrated HistogramObservers load and give its qparams", () => {
  const prepared = preparedStages();
  prepared.loadStateDict(read("stages_prepared.safetensors"));
  const qparams = read("stages_observer_qparams.safetensors");
  for (const name of STATIC_OBSERVERS) {
    const key = `${name}.activation_post_process`;
    const observer = prepared.getSubmodule(key) as ObserverModule;
    assert.equal(observer.getName(), "HistogramObserver");
    const { scale, zeroPoint } = observer.calculateQParams();
    assert.equal(scale[0], (qparams.get(`${key}.scale`)!.data as Float32Array)[0], `${name} scale`);
    assert.equal(zeroPoint[0], Number(qparams.get(`${key}.zero_point`)!.data[0]), name);
  }
  // The loaded state saves back to exactly what PyTorch saved.
  assert.deepEqual(stateDiff(prepared, read("stages_prepared.safetensors")), []);
});

for (const kernels of QNNPACK_PATHS) {
  Deno.test(`flows: static PTQ at every stage, per-channel, QNNPACK's zero bias (${kernels.name})`, () => {
    const prepared = preparedStages();
    prepared.loadStateDict(read("stages_prepared.safetensors"));
    const ours = convert(prepared, { kernels });
    const exported = read("stages_static.safetensors");
    // Our fc1 (bias=False) has no bias where PyTorch's QNNPACK unpacked a zero one.
    assert.deepEqual(stateDiff(ours, exported), ["fc1.bias: missing"]);
    assertRecordedRun(
      runStages(ours, tensorOf(DATA.get("test"))),
      "stages_static_record.safetensors",
    );
    // PyTorch's converted state into an uncalibrated skeleton: the same codes.
    const skeleton = convert(preparedStages(), { kernels });
    skeleton.loadStateDict(exported);
    assert.deepEqual(stateDiff(skeleton, exported), []);
    assertRecordedRun(
      runStages(skeleton, tensorOf(DATA.get("test"))),
      "stages_static_record.safetensors",
    );
  });

  Deno.test(`flows: a QAT model mid-training loads and converts to PyTorch's (${kernels.name})`, () => {
    const fused = fuseModules(new StagesNet().train(), STAGES_FUSION, { qat: true });
    fused.qconfig = getDefaultQatQConfig("fbgemm");
    const qat = prepareQat(fused);
    qat.loadStateDict(read("stages_qat_mid.safetensors"));
    assert.deepEqual(stateDiff(qat, read("stages_qat_mid.safetensors")), []);
    const ours = convert(qat.eval(), { kernels });
    const exported = read("stages_qat.safetensors");
    assert.deepEqual(stateDiff(ours, exported), ["fc1.bias: missing"]);
    assertRecordedRun(runStages(ours, tensorOf(DATA.get("test"))), "stages_qat_record.safetensors");
  });
}
