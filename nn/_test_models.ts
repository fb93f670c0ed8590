/**
 * Small models shared by the nn tests (internal).
 * @module
 */
import { Tensor } from "../reference/tensor.ts";
import { Module } from "./module.ts";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  DeQuantStub,
  Dropout,
  Flatten,
  FloatFunctional,
  Linear,
  MaxPool2d,
  QuantStub,
  ReLU,
  ReLU6,
  Sequential,
} from "./modules/mod.ts";
import { seededRandom } from "./random.ts";

/**
 * The model of the key-name test: the same modules as the PyTorch script that printed the
 * expected keys (QuantStub, conv-bn-relu, pooling, FloatFunctional, a Sequential head).
 */
export class KeysNet extends Module {
  quant = new QuantStub();
  conv1 = new Conv2d(1, 4, 3, { padding: 1 });
  bn1 = new BatchNorm2d(4);
  relu1 = new ReLU();
  pool = new MaxPool2d(2);
  ff = new FloatFunctional();
  head = new Sequential(new Flatten(), new Dropout(0.1), new Linear(16, 3), new BatchNorm1d(3));
  dequant = new DeQuantStub();

  forward(x: Tensor): Tensor {
    let y = this.quant.forward(x);
    y = this.pool.forward(this.relu1.forward(this.bn1.forward(this.conv1.forward(y))));
    y = this.ff.add(y, y);
    return this.dequant.forward(this.head.forward(y));
  }
}

/** A deterministic float input `[n, c, h, w]` (or any shape) in [lo, hi). */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const random = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, () => lo + (hi - lo) * random()), shape);
}

/** Gives every BatchNorm non-trivial running statistics and affine parameters. */
export function randomizeBatchNorms(model: Module, seed: number): void {
  const random = seededRandom(seed);
  for (const m of model.modules()) {
    if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
      const fill = (t: Tensor | null, lo: number, hi: number) =>
        t?.data.forEach((_, i) => (t.data[i] = lo + (hi - lo) * random()));
      fill(m.weight, 0.5, 1.5);
      fill(m.bias, -0.3, 0.3);
      fill(m.runningMean, -0.5, 0.5);
      fill(m.runningVar, 0.2, 2);
    }
  }
}

/**
 * The model of the flow tests, mirrored by the PyTorch script that printed where `prepare`
 * observes: conv-bn-relu, conv-bn, a residual add_relu (FloatFunctional), max pooling, ReLU6,
 * dropout, global average pooling, flatten, linear-relu, linear.
 */
export class SmallNet extends Module {
  quant = new QuantStub();
  conv1 = new Conv2d(1, 4, 3, { padding: 1 });
  bn1 = new BatchNorm2d(4);
  relu1 = new ReLU();
  conv2 = new Conv2d(4, 4, 3, { padding: 1 });
  bn2 = new BatchNorm2d(4);
  skip = new FloatFunctional();
  pool = new MaxPool2d(2);
  relu6 = new ReLU6();
  drop = new Dropout(0.2);
  gap = new AdaptiveAvgPool2d(1);
  flat = new Flatten();
  fc1 = new Linear(4, 8);
  relu2 = new ReLU();
  fc2 = new Linear(8, 3);
  dequant = new DeQuantStub();

  forward(x: Tensor): Tensor {
    const q = this.quant.forward(x);
    const a = this.relu1.forward(this.bn1.forward(this.conv1.forward(q)));
    const b = this.bn2.forward(this.conv2.forward(a));
    let y = this.skip.addRelu(a, b);
    y = this.drop.forward(this.relu6.forward(this.pool.forward(y)));
    y = this.flat.forward(this.gap.forward(y));
    y = this.fc2.forward(this.relu2.forward(this.fc1.forward(y)));
    return this.dequant.forward(y);
  }
}

/** The fusion groups of SmallNet. */
export const SMALL_NET_GROUPS = [["conv1", "bn1", "relu1"], ["conv2", "bn2"], ["fc1", "relu2"]];

/**
 * A model of the ops SmallNet lacks: an unfused ReLU on a quantized tensor, cat and mul
 * through FloatFunctional, average pooling, and a flatten of a 2×2 map.
 */
export class CatNet extends Module {
  quant = new QuantStub();
  convA = new Conv2d(2, 3, 3, { padding: 1 });
  relu = new ReLU();
  convB = new Conv2d(2, 2, 1);
  cat = new FloatFunctional();
  mul = new FloatFunctional();
  pool = new AvgPool2d(2);
  flat = new Flatten();
  fc = new Linear(20, 4);
  dequant = new DeQuantStub();

  forward(x: Tensor): Tensor {
    const q = this.quant.forward(x);
    const a = this.relu.forward(this.convA.forward(q));
    const b = this.convB.forward(q);
    const c = this.cat.cat([a, b], 1);
    const y = this.pool.forward(this.mul.mul(c, c));
    return this.dequant.forward(this.fc.forward(this.flat.forward(y)));
  }
}
