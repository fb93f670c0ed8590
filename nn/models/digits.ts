/**
 * The digits models of `scripts/models/digits.py` in TypeScript, with the same module names (so
 * the state dicts recorded in `golden/models/digits/` load as they are): `DigitsCNN` (conv-bn-relu
 * blocks, a residual add through FloatFunctional, global average pooling, a linear head) and
 * `DigitsMLP`, plus their fusion lists.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import { Module } from "../module.ts";
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  DeQuantStub,
  Flatten,
  FloatFunctional,
  Linear,
  QuantStub,
  ReLU,
} from "../modules/mod.ts";

/** `fuse_modules` list of DigitsCNN (static PTQ in eval, QAT with `qat: true`). */
export const DIGITS_CNN_FUSION: readonly (readonly string[])[] = [
  ["conv1", "bn1", "relu1"],
  ["conv2", "bn2", "relu2"],
  ["res_conv1", "res_bn1", "res_relu1"],
  ["res_conv2", "res_bn2"],
];

/** `fuse_modules` list of DigitsMLP for static PTQ (dynamic PTQ runs unfused). */
export const DIGITS_MLP_FUSION: readonly (readonly string[])[] = [["fc1", "relu1"], [
  "fc2",
  "relu2",
]];

/**
 * DigitsCNN: `[N, 1, 8, 8]` → conv1-bn1-relu1 (8 channels) → conv2-bn2-relu2 (16, stride 2) →
 * a residual block (res_conv1-res_bn1-res_relu1, res_conv2-res_bn2, `skip_add.add_relu(residual,
 * skip)`) → global average pool → flatten → fc (10 logits).
 */
export class DigitsCNN extends Module {
  /** Marks where quantization starts. */
  quant = new QuantStub();
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
  /** Residual block: Conv2d(16→16, 3×3, pad 1, no bias). */
  res_conv1 = new Conv2d(16, 16, 3, { padding: 1, bias: false });
  /** BatchNorm2d(16). */
  res_bn1 = new BatchNorm2d(16);
  /** ReLU. */
  res_relu1 = new ReLU();
  /** Conv2d(16→16, 3×3, pad 1, no bias). */
  res_conv2 = new Conv2d(16, 16, 3, { padding: 1, bias: false });
  /** BatchNorm2d(16). */
  res_bn2 = new BatchNorm2d(16);
  /** The residual add_relu. */
  skip_add = new FloatFunctional();
  /** Global average pooling. */
  pool = new AdaptiveAvgPool2d(1);
  /** Flatten to [N, 16] (in the MLP: to [N, 64], in float). */
  flatten = new Flatten();
  /** Linear(16→10). */
  fc = new Linear(16, 10);
  /** Marks where quantization ends. */
  dequant = new DeQuantStub();

  /** Logits `[N, 10]` of images `[N, 1, 8, 8]`. */
  forward(x: Tensor): Tensor {
    let y = this.quant.forward(x);
    y = this.relu1.forward(this.bn1.forward(this.conv1.forward(y)));
    y = this.relu2.forward(this.bn2.forward(this.conv2.forward(y)));
    let r = this.res_relu1.forward(this.res_bn1.forward(this.res_conv1.forward(y)));
    r = this.res_bn2.forward(this.res_conv2.forward(r));
    y = this.skip_add.addRelu(r, y); // a = residual branch, b = skip connection
    y = this.flatten.forward(this.pool.forward(y));
    return this.dequant.forward(this.fc.forward(y));
  }
}

/** DigitsMLP: flatten (in float, before the stub) → fc1-relu1 (64) → fc2-relu2 (32) → fc3 (10). */
export class DigitsMLP extends Module {
  /** Flatten to [N, 16] (in the MLP: to [N, 64], in float). */
  flatten = new Flatten();
  /** Marks where quantization starts. */
  quant = new QuantStub();
  /** Linear(64→64). */
  fc1 = new Linear(64, 64);
  /** ReLU. */
  relu1 = new ReLU();
  /** Linear(64→32). */
  fc2 = new Linear(64, 32);
  /** ReLU. */
  relu2 = new ReLU();
  /** Linear(32→10). */
  fc3 = new Linear(32, 10);
  /** Marks where quantization ends. */
  dequant = new DeQuantStub();

  /** Logits `[N, 10]` of images `[N, 1, 8, 8]` (or rows `[N, 64]`). */
  forward(x: Tensor): Tensor {
    let y = this.quant.forward(this.flatten.forward(x));
    y = this.relu1.forward(this.fc1.forward(y));
    y = this.relu2.forward(this.fc2.forward(y));
    return this.dequant.forward(this.fc3.forward(y));
  }
}
