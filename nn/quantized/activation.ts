/**
 * `QuantizedReLU6` and `QuantizedDropout` (`nnq.ReLU6`, `nnq.Dropout`): what convert puts in
 * place of ReLU6 and Dropout. (ReLU and the pooling modules stay: they run quantized tensors.)
 * @module
 */
import { Module } from "../module.ts";
import { checkQTensor, type QTensor } from "./qtensor.ts";

/** `nnq.ReLU6`: `min(max(q, zp), q(6))`, qparams unchanged. */
export class QuantizedReLU6 extends Module {
  /** `quantized::relu6(x)`. */
  forward(x: QTensor): QTensor {
    checkQTensor("x", x);
    return x.ops.relu6(x);
  }
}

/** `nnq.Dropout`: the identity (quantized models are for inference). */
export class QuantizedDropout extends Module {
  /** The drop probability of the float module (unused). */
  readonly p: number;

  /** A quantized dropout. */
  constructor(p = 0.5) {
    super();
    this.p = p;
  }

  /** `x` itself. */
  forward(x: QTensor): QTensor {
    return x;
  }
}
