/**
 * `QFunctional` (`nnq.QFunctional`): the quantized FloatFunctional — add, add_relu, mul, cat
 * with the output qparams observed during calibration; scalar add/mul as PyTorch's. As in
 * PyTorch, add, add_relu, mul and cat pass their result through `activation_post_process` (an
 * Identity), so hooks registered there see it; the scalar ops do not.
 * @module
 */
import { checkScale, checkZeroPoint } from "../../reference/_check.ts";
import { Module, type StateDict, type StateDictReader } from "../module.ts";
import { Identity } from "../modules/container.ts";
import type { QTensor } from "./qtensor.ts";
import { loadOutputQParams, saveOutputQParams } from "./state_dict.ts";

/** `torch.ao.nn.quantized.QFunctional`. */
export class QFunctional extends Module {
  /** The output scale. */
  scale: number;
  /** The output zero point. */
  zeroPoint: number;

  /**
   * A quantized functional with output qparams.
   * @throws {RangeError} for a bad scale or zero point.
   */
  constructor(scale = 1, zeroPoint = 0) {
    super();
    checkScale("scale", scale);
    checkZeroPoint("zeroPoint", zeroPoint, "quint8");
    this.scale = scale;
    this.zeroPoint = zeroPoint;
    // PyTorch's QFunctional keeps an Identity `activation_post_process`.
    this.registerModule("activation_post_process", new Identity());
  }

  /** Not callable, as in PyTorch. */
  forward(): never {
    throw new Error(
      "Functional is not intended to use the 'forward'. Please use the underlying operation",
    );
  }

  /** Runs a result through `activation_post_process` (and its hooks), as PyTorch does. */
  private post(r: QTensor): QTensor {
    // The child's slot (a Map read) first: getSubmodule inspects every property, per add.
    const slot = (this as unknown as Record<string, unknown>).activation_post_process;
    const app = slot instanceof Module ? slot : this.getSubmodule("activation_post_process");
    return (app.forward as (x: QTensor) => QTensor).call(app, r);
  }

  /** `quantized::add(x, y, scale, zero_point)`. */
  add(x: QTensor, y: QTensor): QTensor {
    return this.post(x.ops.binary("add", x, y, this));
  }

  /** `quantized::add_relu(x, y, scale, zero_point)`. */
  addRelu(x: QTensor, y: QTensor): QTensor {
    return this.post(x.ops.binary("add", x, y, this, true));
  }

  /** `quantized::mul(x, y, scale, zero_point)`. */
  mul(x: QTensor, y: QTensor): QTensor {
    return this.post(x.ops.binary("mul", x, y, this));
  }

  /** `quantized::cat(xs, dim, scale, zero_point)`. */
  cat(xs: readonly QTensor[], dim = 0): QTensor {
    if (xs.length === 0) throw new RangeError(`xs: expected at least one quantized tensor`);
    return this.post(xs[0].ops.cat(xs, dim, this));
  }

  /** `quantized::add_scalar(x, c)` (its own output qparams, not this module's). */
  addScalar(x: QTensor, c: number): QTensor {
    return x.ops.scalar("add", x, c);
  }

  /** `quantized::mul_scalar(x, c)`. */
  mulScalar(x: QTensor, c: number): QTensor {
    return x.ops.scalar("mul", x, c);
  }

  /** Adds this module's entries (see `nn/quantized/state_dict.ts` for quantized ones). */
  protected override saveToStateDict(destination: StateDict, prefix: string): void {
    super.saveToStateDict(destination, prefix);
    saveOutputQParams(destination, prefix, this.scale, this.zeroPoint);
  }

  /** Reads this module's entries, checking dtypes and shapes. */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    super.loadFromStateDict(reader, prefix);
    loadOutputQParams(reader, prefix, this);
  }

  /** The arguments PyTorch prints for this module. */
  override extraRepr(): string {
    return `scale=${this.scale}, zero_point=${this.zeroPoint}`;
  }
}
