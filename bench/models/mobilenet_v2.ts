/**
 * MobileNetV2 (width 1.0) as nn modules, written as torchvision's quantizable version
 * (torchvision/models/quantization/mobilenetv2.py): `QuantStub` → `features` (a 3×3 stem,
 * seventeen inverted residual blocks, a 1×1 conv to 1280 channels) → global average pool →
 * flatten → `classifier` (dropout, linear) → `DeQuantStub`. Each block's residual connection
 * is a `FloatFunctional.add` (`skip_add`), and `fuseModel()` fuses conv-bn(-relu) exactly as
 * torchvision's `fuse_model`. Module names are torchvision's, so state-dict keys are too.
 *
 * As in torchvision's quantizable model, the activations are ReLU (its `_replace_relu` swaps
 * every ReLU6 for ReLU before fusion). One difference: torchvision's `forward` calls
 * `adaptive_avg_pool2d` and `torch.flatten`; here they are modules (`avgpool`, `flatten`, no
 * parameters), so that the same forward runs float, quantized and fp32-baseline activations
 * alike.
 * @module
 */
import type { Tensor } from "../../reference/tensor.ts";
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  DeQuantStub,
  Dropout,
  Flatten,
  FloatFunctional,
  fuseModules,
  Linear,
  Module,
  QuantStub,
  ReLU,
  Sequential,
} from "../../nn/mod.ts";

/** torchvision's `Conv2dNormActivation`: conv (no bias, "same" padding), BatchNorm2d, ReLU. */
export class Conv2dNormActivation extends Sequential {
  /** A `kernel`×`kernel` conv from `inChannels` to `outChannels` with its norm and ReLU. */
  constructor(
    inChannels: number,
    outChannels: number,
    options: { kernel?: number; stride?: number; groups?: number } = {},
  ) {
    const kernel = options.kernel ?? 3;
    super(
      new Conv2d(inChannels, outChannels, kernel, {
        stride: options.stride ?? 1,
        padding: (kernel - 1) >> 1,
        groups: options.groups ?? 1,
        bias: false,
      }),
      new BatchNorm2d(outChannels),
      new ReLU(),
    );
  }
}

/** torchvision's `InvertedResidual` with its residual add through a FloatFunctional. */
export class QuantizableInvertedResidual extends Module {
  /** [1×1 expansion,] 3×3 depthwise, 1×1 projection conv, BatchNorm2d. */
  conv: Sequential;
  /** Whether the block adds its input (stride 1, same channels). */
  readonly useResConnect: boolean;
  /** The residual add. */
  skip_add = new FloatFunctional();

  /** A block from `inp` to `oup` channels with expansion `expandRatio`. */
  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    this.conv = new Sequential(
      ...(expandRatio !== 1 ? [new Conv2dNormActivation(inp, hidden, { kernel: 1 })] : []),
      new Conv2dNormActivation(hidden, hidden, { stride, groups: hidden }),
      new Conv2d(hidden, oup, 1, { bias: false }),
      new BatchNorm2d(oup),
    );
  }

  /** `skip_add.add(x, conv(x))` with a residual connection, else `conv(x)`. */
  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return this.useResConnect ? this.skip_add.add(x, y) : y;
  }

  /** torchvision's `fuse_model`: the projection conv with its BatchNorm, in place. */
  fuseModel(): void {
    const children = this.conv.namedChildren();
    children.forEach(([name, m], i) => {
      if (m.constructor === Conv2d) {
        fuseModules(this.conv, [name, children[i + 1][0]], { inplace: true });
      }
    });
  }
}

/** `(expansion t, output channels c, repeats n, first stride s)`, as torchvision's. */
const INVERTED_RESIDUAL_SETTING = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
] as const;

/** torchvision's `QuantizableMobileNetV2` (width 1.0, dropout 0.2). */
export class QuantizableMobileNetV2 extends Module {
  /** The stem, the inverted residual blocks and the last 1×1 conv. */
  features: Sequential;
  /** Global average pooling. */
  avgpool = new AdaptiveAvgPool2d(1);
  /** `torch.flatten(x, 1)`. */
  flatten = new Flatten(1);
  /** Dropout(0.2), Linear(1280 → classes). */
  classifier: Sequential;
  /** Marks where quantization starts (registered after torchvision's layers, as there). */
  quant = new QuantStub();
  /** Marks where quantization ends. */
  dequant = new DeQuantStub();

  /** MobileNetV2 with `classes` outputs (torchvision's default: 1000). */
  constructor(classes = 1000) {
    super();
    const features: Module[] = [new Conv2dNormActivation(3, 32, { stride: 2 })];
    let channels = 32;
    for (const [t, c, n, s] of INVERTED_RESIDUAL_SETTING) {
      for (let i = 0; i < n; i++) {
        features.push(new QuantizableInvertedResidual(channels, c, i === 0 ? s : 1, t));
        channels = c;
      }
    }
    features.push(new Conv2dNormActivation(channels, 1280, { kernel: 1 }));
    this.features = new Sequential(...features);
    this.classifier = new Sequential(new Dropout(0.2), new Linear(1280, classes));
  }

  /** Logits `[N, classes]` of images `[N, 3, H, W]`. */
  forward(x: Tensor): Tensor {
    let y = this.quant.forward(x);
    y = this.flatten.forward(this.avgpool.forward(this.features.forward(y)));
    return this.dequant.forward(this.classifier.forward(y));
  }

  /** torchvision's `fuse_model` (eval mode): every conv-bn-relu, then every block's. */
  fuseModel(): void {
    for (const m of this.modules()) {
      if (m instanceof Conv2dNormActivation) fuseModules(m, ["0", "1", "2"], { inplace: true });
      if (m instanceof QuantizableInvertedResidual) m.fuseModel();
    }
  }
}
