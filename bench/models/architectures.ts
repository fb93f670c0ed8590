/**
 * ResNet-18 and MobileNetV2 (torchvision's architectures, as their quantizable versions look
 * after conv-bn-relu fusion: BatchNorm folded into the convs, ReLU6 replaced by ReLU, residual
 * adds through FloatFunctional).
 * @module
 */
import { type Graph, GraphBuilder } from "./graph.ts";

/** ResNet-18: 7×7 stem, max pool, four stages of two basic blocks, global pool, classifier. */
export function resnet18(classes = 1000): Graph {
  const g = new GraphBuilder("ResNet-18", 3);
  let x = g.conv(g.input, 64, 7, { stride: 2 });
  x = g.maxPool(x, 3, 2, 1);
  let channels = 64;
  for (const [width, firstStride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let block = 0; block < 2; block++) {
      const stride = block === 0 ? firstStride : 1;
      const y = g.conv(g.conv(x, width, 3, { stride }), width, 3, { relu: false });
      const shortcut = stride !== 1 || channels !== width
        ? g.conv(x, width, 1, { stride, relu: false })
        : x;
      x = g.add(y, shortcut, true);
      channels = width;
    }
  }
  return finish(g, x, classes);
}

/** MobileNetV2 (width 1.0): inverted residual blocks with depthwise 3×3 convolutions. */
export function mobileNetV2(classes = 1000): Graph {
  const g = new GraphBuilder("MobileNetV2", 3);
  let x = g.conv(g.input, 32, 3, { stride: 2 });
  let channels = 32;
  // (expansion t, output channels c, repeats n, first stride s), as in the paper and torchvision.
  const settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [
    6,
    160,
    3,
    2,
  ], [6, 320, 1, 1]];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = channels * t;
      let y = t === 1 ? x : g.conv(x, hidden, 1);
      y = g.conv(y, hidden, 3, { stride, groups: hidden });
      y = g.conv(y, c, 1, { relu: false });
      x = stride === 1 && channels === c ? g.add(y, x, false) : y;
      channels = c;
    }
  }
  x = g.conv(x, 1280, 1);
  return finish(g, x, classes);
}

function finish(g: GraphBuilder, x: number, classes: number): Graph {
  g.linear(g.globalAvgPool(x), classes);
  return g.build();
}
