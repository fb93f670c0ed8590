/**
 * The graph-mode proof models in TypeScript (the digits CNN, a MobileNetV2-style block, an LSTM,
 * a string of activations), written as a graph-mode user writes them (no
 * QuantStub, no FloatFunctional, no fusion list): the same models as scripts/models/fx_models.py,
 * with the same parameter names, calling the graph-mode functional API so that `symbolicTrace`
 * records exactly PyTorch's graph. golden/models/fx/ holds PyTorch's traced, prepared and
 * converted graphs of the Python versions.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { Module } from "../module.ts";
import {
  ELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  ReLU,
  ReLU6,
} from "../modules/activation.ts";
import { BatchNorm2d } from "../modules/batchnorm.ts";
import { Conv2d } from "../modules/conv.ts";
import { Linear } from "../modules/linear.ts";
import { LSTM } from "../modules/rnn.ts";
import { AdaptiveAvgPool2d } from "../modules/pool.ts";
import { F, method, operator, torch } from "./functional.ts";

/**
 * The digits CNN for graph mode: `[N, 1, 8, 8]` → conv-bn-relu, strided conv-bn-relu, a
 * residual block `relu(block(x) + x)`, global average pooling, flatten, linear → 10 logits.
 * Its parameters load from golden/models/digits/float_cnn.safetensors.
 */
export class DigitsNet extends Module {
  /** Conv2d(1→8, 3×3, pad 1, no bias). */
  conv1 = new Conv2d(1, 8, 3, { padding: 1, bias: false });
  /** BatchNorm2d(8). */
  bn1 = new BatchNorm2d(8);
  /** ReLU. */
  relu1 = new ReLU();
  /** Conv2d(8→16, 3×3, stride 2, pad 1, no bias). */
  conv2 = new Conv2d(8, 16, 3, { stride: 2, padding: 1, bias: false });
  /** BatchNorm2d(16). */
  bn2 = new BatchNorm2d(16);
  /** ReLU. */
  relu2 = new ReLU();
  /** Residual block conv 1. */
  res_conv1 = new Conv2d(16, 16, 3, { padding: 1, bias: false });
  /** BatchNorm2d(16). */
  res_bn1 = new BatchNorm2d(16);
  /** ReLU. */
  res_relu1 = new ReLU();
  /** Residual block conv 2. */
  res_conv2 = new Conv2d(16, 16, 3, { padding: 1, bias: false });
  /** BatchNorm2d(16). */
  res_bn2 = new BatchNorm2d(16);
  /** Global average pooling. */
  pool = new AdaptiveAvgPool2d(1);
  /** Linear(16→10). */
  fc = new Linear(16, 10);

  /** Logits `[N, 10]`. */
  forward(x: Tensor): Tensor {
    x = this.relu1.forward(this.bn1.forward(this.conv1.forward(x)));
    x = this.relu2.forward(this.bn2.forward(this.conv2.forward(x)));
    let y = this.res_relu1.forward(this.res_bn1.forward(this.res_conv1.forward(x)));
    y = this.res_bn2.forward(this.res_conv2.forward(y));
    x = F.relu(operator.add(y, x));
    x = torch.flatten(this.pool.forward(x), 1);
    return this.fc.forward(x);
  }
}

/**
 * A MobileNetV2-style inverted residual block with the ops graph mode adds over eager mode:
 * `[N, 3, 16, 16]` → stem conv-bn-ReLU6, expand 1×1 + F.relu6, depthwise 3×3 + F.relu6,
 * project 1×1, `torch.add` skip, Hardswish, a sigmoid gate from a functional 1×1 conv,
 * a quantized mul, `torch.cat` with `F.max_pool2d`, adaptive average pooling,
 * `x.view(x.size(0), -1)`, linear + F.relu + F.hardswish, reshape, tanh, functional linear.
 */
export class MobileBlockNet extends Module {
  /** Stem conv 3→16, 3×3, stride 2. */
  stem = new Conv2d(3, 16, 3, { stride: 2, padding: 1, bias: false });
  /** BatchNorm2d(16). */
  stem_bn = new BatchNorm2d(16);
  /** ReLU6. */
  stem_act = new ReLU6();
  /** Expand 1×1, 16→64. */
  expand = new Conv2d(16, 64, 1, { bias: false });
  /** BatchNorm2d(64). */
  expand_bn = new BatchNorm2d(64);
  /** Depthwise 3×3. */
  dw = new Conv2d(64, 64, 3, { padding: 1, groups: 64, bias: false });
  /** BatchNorm2d(64). */
  dw_bn = new BatchNorm2d(64);
  /** Project 1×1, 64→16. */
  project = new Conv2d(64, 16, 1, { bias: false });
  /** BatchNorm2d(16). */
  project_bn = new BatchNorm2d(16);
  /** Hardswish after the skip add. */
  act = new Hardswish();
  /** Adaptive average pooling to 1×1. */
  pool = new AdaptiveAvgPool2d(1);
  /** Linear(32→32). */
  fc1 = new Linear(32, 32);

  /** The module with its four parameters of the functional conv and linear. */
  constructor() {
    super();
    this.registerParameter("gate_weight", new Tensor(new Float32Array(256), [16, 16, 1, 1]));
    this.registerParameter("gate_bias", new Tensor(new Float32Array(16)));
    this.registerParameter("head_weight", new Tensor(new Float32Array(320), [10, 32]));
    this.registerParameter("head_bias", new Tensor(new Float32Array(10)));
  }

  /** Logits `[N, 10]`. */
  forward(x: Tensor): Tensor {
    x = this.stem_act.forward(this.stem_bn.forward(this.stem.forward(x)));
    let y = F.relu6(this.expand_bn.forward(this.expand.forward(x)));
    y = F.relu6(this.dw_bn.forward(this.dw.forward(y)));
    y = this.project_bn.forward(this.project.forward(y));
    x = this.act.forward(torch.add(x, y));
    const gate = torch.sigmoid(
      F.conv2d(x, this.param("gate_weight"), this.param("gate_bias"), [1, 1], [0, 0], [1, 1], 1),
    );
    x = operator.mul(x, gate);
    x = torch.cat([x, F.maxPool2d(x, 3, { stride: 1, padding: 1 })], 1);
    x = this.pool.forward(x);
    x = method.view(x, method.size(x, 0), -1);
    x = F.hardswish(F.relu(this.fc1.forward(x)));
    x = torch.tanh(method.reshape(x, -1, 32));
    return F.linear(x, this.param("head_weight"), this.param("head_bias"));
  }

  private param(name: string): Tensor {
    return this.getParameter(name)!;
  }
}

/**
 * `[T, N, 8]` → `[N, 5]`: Linear + ReLU, a 2-layer LSTM, its last time step, Linear. The
 * dynamic flow makes the Linears and the LSTM dynamic quantized modules.
 */
export class LstmNet extends Module {
  /** Linear(8→16). */
  fc_in = new Linear(8, 16);
  /** LSTM(16, 12, num_layers=2). */
  lstm = new LSTM(16, 12, { numLayers: 2 });
  /** Linear(12→5). */
  fc = new Linear(12, 5);

  /** Logits `[N, 5]`. */
  forward(x: Tensor): Tensor {
    const y = torch.relu(this.fc_in.forward(x));
    const out = operator.getitem(this.lstm.forward(y), 0) as unknown as Tensor;
    return this.fc.forward(operator.getitem(out, -1));
  }
}

/**
 * `[N, 3, 12, 12]` → 6: the activations graph mode lowers to their quantized kernels — ELU and
 * LeakyReLU (modules and functionals, requantizing), Hardtanh and clamp (integer clamps),
 * Hardsigmoid (fixed qparams) — between convs, then pooling, linear, hardswish.
 */
export class ActsNet extends Module {
  /** Conv2d(3→16, 3×3, pad 1). */
  conv1 = new Conv2d(3, 16, 3, { padding: 1 });
  /** ELU(0.7). */
  elu = new ELU(0.7);
  /** Conv2d(16→16, 3×3, pad 1). */
  conv2 = new Conv2d(16, 16, 3, { padding: 1 });
  /** LeakyReLU(0.15). */
  lrelu = new LeakyReLU(0.15);
  /** Conv2d(16→16, 1×1). */
  conv3 = new Conv2d(16, 16, 1);
  /** Hardtanh(−0.5, 1.5). */
  htanh = new Hardtanh(-0.5, 1.5);
  /** Conv2d(16→8, 1×1). */
  conv4 = new Conv2d(16, 8, 1);
  /** Hardsigmoid. */
  hsig = new Hardsigmoid();
  /** Adaptive average pooling to 1×1. */
  pool = new AdaptiveAvgPool2d([1, 1]);
  /** Linear(8→6). */
  fc = new Linear(8, 6);

  /** `[N, 6]`. */
  forward(x: Tensor): Tensor {
    x = this.elu.forward(this.conv1.forward(x));
    x = this.lrelu.forward(F.leakyRelu(this.conv2.forward(x), 0.1));
    let y = this.htanh.forward(F.elu(this.conv3.forward(x), 0.5));
    y = torch.clamp(F.hardtanh(y, -0.25, 1.0), 0.0, 0.75);
    let z = F.hardsigmoid(this.hsig.forward(this.conv4.forward(y)));
    z = torch.flatten(this.pool.forward(z), 1);
    return F.hardswish(this.fc.forward(z));
  }
}
