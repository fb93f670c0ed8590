import assert from "node:assert/strict";
import { PyTorchUndefinedError } from "../../reference/_check.ts";
import { kernelSets } from "../../kernels/paths.ts";
import type { Engine } from "../../reference/engine.ts";
import {
  type CellLinears,
  quantizedRnnDynamic,
  quantizeDynamicWeight,
  referenceDynamicLinear,
  rnnCellForward,
  rnnParameterSuffix,
} from "../../reference/quantized_rnn.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { quantizeDynamic } from "../flows/quantize_dynamic.ts";
import { Module } from "../module.ts";
import {
  Conv2d,
  GRU,
  GRUCell,
  Linear,
  LSTM,
  LSTMCell,
  RNNCell,
  Sequential,
} from "../modules/mod.ts";
import { seededRandom } from "../random.ts";
import { loadStateDictFromSafetensors, saveStateDictToSafetensors } from "../safetensors.ts";
import { randomTensor } from "../_test_models.ts";
import {
  DynamicQuantizedGRU,
  DynamicQuantizedGRUCell,
  DynamicQuantizedLSTM,
  DynamicQuantizedLSTMCell,
  DynamicQuantizedRNNCell,
} from "./dynamic_rnn.ts";
import { DynamicQuantizedLinear } from "./dynamic_linear.ts";

const bits = (t: Tensor) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)];

/** A sequence model: LSTM (2 layers, bidirectional, batch-first) then a Linear head. */
class Tagger extends Module {
  rnn = new LSTM(5, 17, {
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    random: seededRandom(1),
  });
  head = new Linear(34, 3, { random: seededRandom(2) });
  forward(x: Tensor): Tensor {
    return this.head.forward(this.rnn.forward(x)[0]);
  }
}

function referenceWeights(rnn: LSTM | GRU) {
  const weights = [];
  for (let layer = 0; layer < rnn.numLayers; layer++) {
    for (const reverse of rnn.bidirectional ? [false, true] : [false]) {
      weights.push({
        ih: quantizeDynamicWeight(...rnn.parameterPair(layer, reverse, "ih")),
        hh: quantizeDynamicWeight(...rnn.parameterPair(layer, reverse, "hh")),
      });
    }
  }
  return weights;
}

for (const kernels of kernelSets()) {
  const engine: Engine = kernels.numerics;
  if (engine === "onednn") {
    // PyTorch's dynamic RNNs pass reduce_range=True, undefined on oneDNN in PyTorch 1.13.
    Deno.test(`quantizeDynamic {LSTM, Linear} (${kernels.name}): refused there`, () => {
      const q = quantizeDynamic(new Tagger().eval(), {
        kernels,
        qconfigSpec: new Set([LSTM, Linear]),
      });
      assert.throws(() => q.forward(randomTensor([3, 4, 5], 7, -4, 4)), PyTorchUndefinedError);
    });
    continue;
  }

  Deno.test(`quantizeDynamic {LSTM, Linear} (${kernels.name}): equals the reference`, () => {
    const model = new Tagger().eval();
    const q = quantizeDynamic(model, { kernels, qconfigSpec: new Set([LSTM, Linear]) });
    assert.ok(q.rnn instanceof DynamicQuantizedLSTM);
    assert.ok(q.head instanceof DynamicQuantizedLinear);
    assert.equal(
      String(q.rnn),
      "DynamicQuantizedLSTM(5, 17, num_layers=2, batch_first=True, bidirectional=True)",
    );
    const x = randomTensor([3, 4, 5], 7, -4, 4);
    const h0 = randomTensor([4, 3, 17], 8);
    const c0 = randomTensor([4, 3, 17], 9);
    const [y, [h, c]] = (q.rnn as DynamicQuantizedLSTM).forward(x, [h0, c0]);
    const want = quantizedRnnDynamic(x, referenceWeights(model.rnn), { ...model.rnn, engine }, {
      h0,
      c0,
    });
    assert.deepEqual(bits(y), bits(want.y));
    assert.deepEqual(bits(h), bits(want.h));
    assert.deepEqual(bits(c), bits(want.c!));
    // The state dict round-trips through safetensors into a freshly quantized model.
    const other = quantizeDynamic(new Tagger().eval(), { kernels, qconfigSpec: [LSTM, Linear] });
    loadStateDictFromSafetensors(other, saveStateDictToSafetensors(q));
    assert.deepEqual(bits(other.forward(x)), bits(q.forward(x)));
  });

  Deno.test(`quantizeDynamic GRU (${kernels.name}): equals the reference`, () => {
    const gru = new GRU(3, 20, { numLayers: 3, random: seededRandom(4) }).eval();
    // As in PyTorch, quantize_dynamic swaps children: the root module stays.
    assert.ok(quantizeDynamic(gru, { kernels }) instanceof GRU);
    const q = quantizeDynamic(new Sequential(gru), { kernels }).at(0) as DynamicQuantizedGRU;
    assert.ok(q instanceof DynamicQuantizedGRU);
    const x = randomTensor([6, 2, 3], 11, -2, 2);
    const [y, h] = q.forward(x);
    const want = quantizedRnnDynamic(x, referenceWeights(gru), { ...gru, engine });
    assert.deepEqual(bits(y), bits(want.y));
    assert.deepEqual(bits(h), bits(want.h));
  });

  Deno.test(`quantizeDynamic cells (${kernels.name}): equal the reference`, () => {
    const cells = [
      new LSTMCell(6, 18, { random: seededRandom(5) }),
      new GRUCell(6, 18, { random: seededRandom(6) }),
      new RNNCell(6, 18, { nonlinearity: "relu", random: seededRandom(7) }),
      new RNNCell(6, 18, { random: seededRandom(8) }),
    ];
    const x = randomTensor([4, 6], 12, -3, 3);
    const h = randomTensor([4, 18], 13);
    const c = randomTensor([4, 18], 14);
    for (const cell of cells) {
      const q = quantizeDynamic(new Sequential(cell), { kernels }).at(0) as
        | DynamicQuantizedLSTMCell
        | DynamicQuantizedGRUCell
        | DynamicQuantizedRNNCell;
      const linears: CellLinears = {
        ih: referenceDynamicLinear(quantizeDynamicWeight(cell.weight_ih, cell.bias_ih), engine),
        hh: referenceDynamicLinear(quantizeDynamicWeight(cell.weight_hh, cell.bias_hh), engine),
      };
      const want = rnnCellForward(cell.mode, x, { h, c }, linears, cell);
      if (q instanceof DynamicQuantizedLSTMCell) {
        const [h1, c1] = q.forward(x, [h, c]);
        assert.deepEqual(bits(h1), bits(want.h));
        assert.deepEqual(bits(c1), bits(want.c!));
      } else {
        assert.deepEqual(bits(q.forward(x, h)), bits(want.h), cell.mode);
      }
    }
  });
}

Deno.test("quantizeDynamic: refuses what PyTorch would silently ignore or cannot do", () => {
  const noBias = new Sequential(new LSTM(3, 4, { bias: false }));
  assert.throws(() => quantizeDynamic(noBias), /require biases/);
  assert.throws(
    () => quantizeDynamic(new Sequential(new LSTM(3, 4)), { dtype: "float16" }),
    /float16 RNNs/,
  );
  assert.throws(
    () => quantizeDynamic(new Tagger(), { qconfigSpec: new Set([Conv2d]) }),
    /Conv2d has no dynamic quantized version \(PyTorch would ignore it silently\); supported: /,
  );
  assert.throws(
    () => quantizeDynamic(new Tagger(), { qconfigSpec: ["rnn2"] }),
    /has no submodule "rnn2"/,
  );
  // A container class propagates its qconfig to the layers it holds, as in PyTorch.
  const q = quantizeDynamic(new Tagger(), { qconfigSpec: new Set([Tagger]) });
  assert.ok(q.rnn instanceof DynamicQuantizedLSTM && q.head instanceof DynamicQuantizedLinear);
});

Deno.test("DynamicQuantizedLSTM: state dict keys mirror the float parameter names", () => {
  const q = quantizeDynamic(new Sequential(new LSTM(2, 3, { bidirectional: true })));
  const keys = [...q.stateDict().keys()].map((k) => k.replace(/^0\./, ""));
  for (const suffix of [rnnParameterSuffix(0, false), rnnParameterSuffix(0, true)]) {
    for (const part of ["ih", "hh"]) {
      for (const tail of ["", "_scale", "_zero_point"]) {
        assert.ok(
          keys.includes(`weight_${part}_${suffix}${tail}`),
          `weight_${part}_${suffix}${tail}`,
        );
      }
      assert.ok(keys.includes(`bias_${part}_${suffix}`));
    }
  }
  assert.equal(keys.length, 16);
});
