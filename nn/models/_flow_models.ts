/**
 * The models of `scripts/models/flow_models.py` in TypeScript, with the same module names, for
 * the proofs of `flows_test.ts` (internal): `WordLM` (PyTorch's dynamic-quantization LSTM word
 * language model tutorial, smaller), `BagTagger` (EmbeddingBag + bidirectional LSTM + Linear),
 * `CellStack` (4-bit EmbeddingBag, GRU and the four cells) and `StagesNet` (a CNN for static PTQ
 * and QAT).
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import type { IndexArray } from "../../reference/quantized_embedding.ts";
import { Module } from "../module.ts";
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  DeQuantStub,
  Dropout,
  ELU,
  Embedding,
  EmbeddingBag,
  Flatten,
  FloatFunctional,
  GRU,
  GRUCell,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  Linear,
  LSTM,
  LSTMCell,
  QuantStub,
  ReLU,
  RNNCell,
} from "../modules/mod.ts";

/** Forward of an LSTM or its dynamic quantized version. */
type LstmForward = (x: Tensor, hx: readonly [Tensor, Tensor] | null) => [Tensor, [Tensor, Tensor]];
/** Forward of a GRU (or cell) or its dynamic quantized version. */
type HiddenForward = (x: Tensor, hx: Tensor | null) => Tensor | [Tensor, Tensor];
/** Forward of an LSTM cell or its dynamic quantized version. */
type CellForward = (x: Tensor, hx: readonly [Tensor, Tensor]) => [Tensor, Tensor];
/** Forward of a float or quantized linear. */
type LinearForward = (x: Tensor) => Tensor;

function reshape(t: Tensor, shape: number[]): Tensor {
  return new Tensor(t.data, shape);
}

/** The tutorial's `RNNModel('LSTM', ntoken, ninp, nhid, nlayers)`. */
export class WordLM extends Module {
  /** Dropout (identity in eval). */
  drop = new Dropout(0.2);
  /** Embedding(60, 24). */
  encoder = new Embedding(60, 24);
  /** LSTM(24, 40, 3 layers, dropout 0.2). */
  rnn = new LSTM(24, 40, { numLayers: 3, dropout: 0.2 });
  /** Linear(40, 60). */
  decoder = new Linear(40, 60);

  /** Logits `[T, B, 60]` and the new state, from tokens `[T, B]` and a state. */
  forward(tokens: { data: IndexArray; shape: number[] }, hidden: [Tensor, Tensor]) {
    const emb = this.drop.forward(this.encoder.forward(tokens));
    const [output, state] = (this.rnn.forward as LstmForward)(emb, hidden);
    const decoded = (this.decoder.forward as LinearForward)(this.drop.forward(output));
    return [decoded, state] as const;
  }
}

/** Bags per position → LSTM (2 layers, bidirectional, batch-first) → Linear. */
export class BagTagger extends Module {
  /** EmbeddingBag(80, 16, sum). */
  bag = new EmbeddingBag(80, 16, { mode: "sum" });
  /** LSTM(16, 24, 2 layers, bidirectional, batch-first). */
  rnn = new LSTM(16, 24, { numLayers: 2, bidirectional: true, batchFirst: true });
  /** Linear(48, 5). */
  head = new Linear(48, 5);

  /** `[batch, steps, 5]` from `batch·steps` bags. */
  forward(indices: IndexArray, offsets: IndexArray, weights: Float32Array, batch: number): Tensor {
    const e = this.bag.forward(indices, offsets, weights);
    const [y] = (this.rnn.forward as LstmForward)(
      reshape(e, [batch, e.shape[0] / batch, 16]),
      null,
    );
    return (this.head.forward as LinearForward)(y);
  }
}

/** A 4-bit EmbeddingBag, a GRU, then four cells stepped over time, and a Linear. */
export class CellStack extends Module {
  /** EmbeddingBag(40, 12, sum). */
  bag = new EmbeddingBag(40, 12, { mode: "sum" });
  /** GRU(12, 20). */
  gru = new GRU(12, 20);
  /** LSTMCell(20, 18). */
  lstm_cell = new LSTMCell(20, 18);
  /** GRUCell(18, 17). */
  gru_cell = new GRUCell(18, 17);
  /** RNNCell(17, 16, tanh). */
  tanh_cell = new RNNCell(17, 16);
  /** RNNCell(16, 15, relu). */
  relu_cell = new RNNCell(16, 15, { nonlinearity: "relu" });
  /** Linear(15, 6). */
  head = new Linear(15, 6);

  /** `[steps, batch, 6]` from `steps·batch` bags (time-major). */
  forward(indices: IndexArray, offsets: IndexArray, steps: number): Tensor {
    const e = this.bag.forward(indices, offsets);
    const batch = e.shape[0] / steps;
    const [g] = (this.gru.forward as HiddenForward)(reshape(e, [steps, batch, 12]), null) as [
      Tensor,
      Tensor,
    ];
    const zeros = (n: number) => new Tensor(new Float32Array(batch * n), [batch, n]);
    let [h1, c1] = [zeros(18), zeros(18)];
    let [h2, h3, h4] = [zeros(17), zeros(16), zeros(15)];
    const outs: Float32Array[] = [];
    for (let t = 0; t < steps; t++) {
      const gt = new Tensor(g.data.slice(t * batch * 20, (t + 1) * batch * 20), [batch, 20]);
      [h1, c1] = (this.lstm_cell.forward as CellForward)(gt, [h1, c1]);
      h2 = (this.gru_cell.forward as HiddenForward)(h1, h2) as Tensor;
      h3 = (this.tanh_cell.forward as HiddenForward)(h2, h3) as Tensor;
      h4 = (this.relu_cell.forward as HiddenForward)(h3, h4) as Tensor;
      outs.push((this.head.forward as LinearForward)(h4).data);
    }
    const out = new Float32Array(steps * batch * 6);
    outs.forEach((o, t) => out.set(o, t * batch * 6));
    return new Tensor(out, [steps, batch, 6]);
  }
}

/** `fuse_modules` list of StagesNet. */
export const STAGES_FUSION: readonly (readonly string[])[] = [
  ["conv1", "bn1", "relu1"],
  ["conv2", "bn2"],
  ["fc1", "relu2"],
];

/** QuantStub, conv-bn-relu, conv-bn + residual add_relu, pool, bias-less Linear+ReLU, Linear. */
export class StagesNet extends Module {
  /** Marks where quantization starts. */
  quant = new QuantStub();
  /** Conv2d(3→8, 3×3, pad 1, no bias). */
  conv1 = new Conv2d(3, 8, 3, { padding: 1, bias: false });
  /** BatchNorm2d(8). */
  bn1 = new BatchNorm2d(8);
  /** ReLU. */
  relu1 = new ReLU();
  /** Conv2d(8→8, 3×3, pad 1). */
  conv2 = new Conv2d(8, 8, 3, { padding: 1 });
  /** BatchNorm2d(8). */
  bn2 = new BatchNorm2d(8);
  /** The residual add_relu. */
  skip = new FloatFunctional();
  /** Global average pooling. */
  pool = new AdaptiveAvgPool2d(1);
  /** Flatten. */
  flatten = new Flatten();
  /** Linear(8→16, no bias). */
  fc1 = new Linear(8, 16, { bias: false });
  /** ReLU. */
  relu2 = new ReLU();
  /** Linear(16→4). */
  fc2 = new Linear(16, 4);
  /** Marks where quantization ends. */
  dequant = new DeQuantStub();

  /** Logits `[N, 4]` of images `[N, 3, H, W]`. */
  forward(x: Tensor): Tensor {
    let y = this.quant.forward(x);
    y = this.relu1.forward(this.bn1.forward(this.conv1.forward(y)));
    y = this.skip.addRelu(this.bn2.forward(this.conv2.forward(y)), y);
    y = this.flatten.forward(this.pool.forward(y));
    return this.dequant.forward(this.fc2.forward(this.relu2.forward(this.fc1.forward(y))));
  }
}

/**
 * `ActivationsNet` (scripts/models/flow_models.py): conv → BN → LeakyReLU, conv → BN+ReLU
 * (70 channels) → Hardswish → ELU → Hardtanh → Hardsigmoid, pool, Linear — the activations and
 * batch norm that convert quantizes.
 */
export class ActivationsNet extends Module {
  /** Marks where quantization starts. */
  quant = new QuantStub();
  /** Conv2d(3→12, 3×3, pad 1). */
  conv1 = new Conv2d(3, 12, 3, { padding: 1 });
  /** BatchNorm2d(12), quantized on its own. */
  bn1 = new BatchNorm2d(12);
  /** LeakyReLU(0.1). */
  leaky = new LeakyReLU(0.1);
  /** Conv2d(12→70, 1×1). */
  conv2 = new Conv2d(12, 70, 1);
  /** BatchNorm2d(70), fused with relu2. */
  bn2 = new BatchNorm2d(70);
  /** ReLU. */
  relu2 = new ReLU();
  /** Hardswish. */
  hswish = new Hardswish();
  /** ELU(0.7). */
  elu = new ELU(0.7);
  /** Hardtanh(−0.5, 2). */
  htanh = new Hardtanh(-0.5, 2);
  /** Hardsigmoid. */
  hsig = new Hardsigmoid();
  /** Global average pooling. */
  pool = new AdaptiveAvgPool2d(1);
  /** Flatten. */
  flatten = new Flatten();
  /** Linear(70→5). */
  fc = new Linear(70, 5);
  /** Marks where quantization ends. */
  dequant = new DeQuantStub();

  /** Logits `[N, 5]` of images `[N, 3, H, W]`. */
  forward(x: Tensor): Tensor {
    let y = this.quant.forward(x);
    y = this.leaky.forward(this.bn1.forward(this.conv1.forward(y)));
    y = this.relu2.forward(this.bn2.forward(this.conv2.forward(y)));
    y = this.hsig.forward(this.htanh.forward(this.elu.forward(this.hswish.forward(y))));
    return this.dequant.forward(this.fc.forward(this.flatten.forward(this.pool.forward(y))));
  }
}

/** `ActivationsNet.FUSION`. */
export const ACTIVATIONS_FUSION = [["bn2", "relu2"]];
