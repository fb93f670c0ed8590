/**
 * ResNet-18 as nn modules, written as torchvision's quantizable version
 * (torchvision/models/quantization/resnet.py): `QuantStub` → 7×7 stem → max pool → four stages
 * of two basic blocks → global average pool → flatten → fc → `DeQuantStub`; each block's
 * residual connection is a `FloatFunctional.add_relu`, and `fuseModel()` fuses conv-bn(-relu)
 * exactly as torchvision's `fuse_model`. Module names are torchvision's, so state-dict keys are
 * too. One difference: torchvision calls `torch.flatten` in `forward`; here it is a `Flatten`
 * module (no parameters), so that the same forward runs float, quantized and fp32-baseline
 * activations alike.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  DeQuantStub,
  Flatten,
  FloatFunctional,
  fuseModules,
  Linear,
  MaxPool2d,
  Module,
  QuantStub,
  ReLU,
  Sequential,
} from "../../nn/mod.ts";

/** torchvision's `BasicBlock` with its residual `add_relu` through a FloatFunctional. */
export class QuantizableBasicBlock extends Module {
  /** 3×3 conv (stride of the block), no bias. */
  conv1: Conv2d;
  /** BatchNorm2d. */
  bn1: BatchNorm2d;
  /** ReLU after bn1. */
  relu = new ReLU();
  /** 3×3 conv, no bias. */
  conv2: Conv2d;
  /** BatchNorm2d. */
  bn2: BatchNorm2d;
  /** `Sequential(conv1x1, BatchNorm2d)` where the shape changes, else absent. */
  downsample: Sequential | null;
  /** The residual `add_relu`. */
  add_relu = new FloatFunctional();

  /** A block from `inplanes` to `planes` channels. */
  constructor(inplanes: number, planes: number, stride: number) {
    super();
    this.conv1 = new Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = stride !== 1 || inplanes !== planes
      ? new Sequential(
        new Conv2d(inplanes, planes, 1, { stride, bias: false }),
        new BatchNorm2d(planes),
      )
      : null;
  }

  /** `add_relu(conv2(relu(conv1(x))), downsample(x) or x)` (with the BatchNorms). */
  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    const identity = this.downsample === null ? x : this.downsample.forward(x);
    return this.add_relu.addRelu(out, identity);
  }

  /** torchvision's `fuse_model`: conv1-bn1-relu, conv2-bn2 and the downsample conv-bn, in place. */
  fuseModel(): void {
    fuseModules(this, [["conv1", "bn1", "relu"], ["conv2", "bn2"]], { inplace: true });
    if (this.downsample !== null) fuseModules(this.downsample, ["0", "1"], { inplace: true });
  }
}

/** torchvision's `QuantizableResNet` with `BasicBlock` and layers `[2, 2, 2, 2]`. */
export class QuantizableResNet18 extends Module {
  /** 7×7 stem, stride 2, no bias. */
  conv1 = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
  /** BatchNorm2d(64). */
  bn1 = new BatchNorm2d(64);
  /** ReLU. */
  relu = new ReLU();
  /** 3×3 max pool, stride 2, padding 1. */
  maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
  /** 64 channels. */
  layer1: Sequential = stage(64, 64, 1);
  /** 128 channels, stride 2. */
  layer2: Sequential = stage(64, 128, 2);
  /** 256 channels, stride 2. */
  layer3: Sequential = stage(128, 256, 2);
  /** 512 channels, stride 2. */
  layer4: Sequential = stage(256, 512, 2);
  /** Global average pooling. */
  avgpool = new AdaptiveAvgPool2d(1);
  /** `torch.flatten(x, 1)`. */
  flatten = new Flatten(1);
  /** The classifier. */
  fc: Linear;
  /** Marks where quantization starts (registered after torchvision's layers, as there). */
  quant = new QuantStub();
  /** Marks where quantization ends. */
  dequant = new DeQuantStub();

  /** ResNet-18 with `classes` outputs (torchvision's default: 1000). */
  constructor(classes = 1000) {
    super();
    this.fc = new Linear(512, classes);
  }

  /** Logits `[N, classes]` of images `[N, 3, H, W]`. */
  forward(x: Tensor): Tensor {
    let y = this.quant.forward(x);
    y = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(y))));
    for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) {
      y = layer.forward(y);
    }
    y = this.fc.forward(this.flatten.forward(this.avgpool.forward(y)));
    return this.dequant.forward(y);
  }

  /** torchvision's `fuse_model` (eval mode): the stem conv-bn-relu, then every block's. */
  fuseModel(): void {
    fuseModules(this, ["conv1", "bn1", "relu"], { inplace: true });
    for (const m of this.modules()) {
      if (m instanceof QuantizableBasicBlock) m.fuseModel();
    }
  }
}

/** One stage: two basic blocks, the first with the stage's stride. */
function stage(inplanes: number, planes: number, stride: number): Sequential {
  return new Sequential(
    new QuantizableBasicBlock(inplanes, planes, stride),
    new QuantizableBasicBlock(planes, planes, 1),
  );
}
