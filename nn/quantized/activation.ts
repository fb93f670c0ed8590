/**
 * The quantized activation modules convert puts in place of float ones: `QuantizedReLU6`,
 * `QuantizedDropout`, and `QuantizedActivation` — nnq.LeakyReLU, nnq.ELU, nnq.Hardswish and any
 * activation whose float module declares `static quantized` — which requantizes to its observed
 * output qparams. (ReLU, Sigmoid, Tanh, Hardtanh, Hardsigmoid and
 * the pooling modules stay: they run quantized tensors themselves.)
 * @module
 */
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import type { UnaryOp } from "../../ops/unary.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import { loadOutputQParams, saveOutputQParams } from "./state_dict.ts";
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

/**
 * How `convert` quantizes a float activation module whose quantized version requantizes to
 * observed output qparams (nnq.LeakyReLU, nnq.ELU, nnq.Hardswish): declared by the float module
 * class (`static quantized`), so a new activation needs no quantized class of its own.
 */
export interface QuantizedActivationSpec<P> {
  /** The requantizing unary op it runs. */
  readonly op: UnaryOp<P>;
  /** PyTorch's class name (`QuantizedLeakyReLU`), for printing. */
  readonly name: string;
  /** Whether PyTorch keeps the output qparams as `scale`/`zero_point` state (nnq.LeakyReLU). */
  readonly savesQParams: boolean;
  /** The op's parameters from the float module. */
  params(float: Module): P;
  /** PyTorch's extra repr of the parameters. */
  extraRepr(params: P): string;
}

/** A quantized activation with observed output qparams (see `QuantizedActivationSpec`). */
export class QuantizedActivation<P> extends Module {
  /** The output scale. */
  scale: number;
  /** The output zero point. */
  zeroPoint: number;

  /** A quantized activation of `spec` with parameters and output qparams. */
  constructor(
    private readonly spec: QuantizedActivationSpec<P>,
    private readonly params: P,
    scale: number,
    zeroPoint: number,
  ) {
    super();
    checkScale("scale", scale);
    checkZeroPoint("zeroPoint", zeroPoint, "quint8");
    this.scale = scale;
    this.zeroPoint = zeroPoint;
  }

  /** The op on `x`, to this module's output qparams. */
  forward(x: QTensor): QTensor {
    checkQTensor("x", x);
    return x.ops.unary(this.spec.op, x, this.params, this);
  }

  /** PyTorch's class name. */
  override getName(): string {
    return this.spec.name;
  }

  /** Adds `scale` and `zero_point` where PyTorch keeps them as state. */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    if (this.spec.savesQParams) saveOutputQParams(destination, prefix, this.scale, this.zeroPoint);
  }

  /** Reads `scale` and `zero_point` where PyTorch keeps them as state. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    if (this.spec.savesQParams) loadOutputQParams(reader, prefix, this);
  }

  /** The arguments PyTorch prints (the float module's: no qparams). */
  override extraRepr(): string {
    return this.spec.extraRepr(this.params);
  }
}
