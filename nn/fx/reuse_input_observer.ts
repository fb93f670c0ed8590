/**
 * `ReuseInputObserver` and `default_reuse_input_qconfig` (torch/ao/quantization/observer.py,
 * qconfig.py): the qconfig PyTorch's default QConfigMapping gives `reshape`, so that its output
 * reuses its input's observer (prepare shares the input's observer, or drops the output one).
 * @module
 */
import { withArgs } from "../../reference/observers/factory.ts";
import type { Observer, QParamsResult } from "../../reference/observers/observer.ts";
import { NoopObserver } from "../../reference/observers/placeholder.ts";
import { QConfig } from "../../reference/qconfig.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { checkOptionKeys } from "../../reference/observers/uniform.ts";

/** `torch.ao.quantization.ReuseInputObserver`: records nothing; its dtype is quint8. */
export class ReuseInputObserver implements Observer {
  /** PyTorch's class name. */
  static readonly className: string = "ReuseInputObserver";
  /** It takes no options. */
  static readonly optionKeys: readonly string[] = [];
  /** PyTorch's class name. */
  readonly className: string = ReuseInputObserver.className;
  /** Always quint8, as PyTorch's. */
  readonly dtype = "quint8" as const;

  /** @throws {TypeError} for any option. */
  constructor(options: Record<string, never> = {}) {
    checkOptionKeys("ReuseInputObserver", options, []);
  }

  /** `x` itself. */
  forward(x: Tensor): Tensor {
    return x;
  }

  /** @throws {Error} always, as PyTorch's. */
  calculateQParams(): QParamsResult {
    throw new Error("calculate_qparams should not be called for ReuseInputObserver");
  }
}

/** `default_reuse_input_qconfig`: (ReuseInputObserver, NoopObserver). */
export const defaultReuseInputQConfig: QConfig = new QConfig(
  withArgs(ReuseInputObserver, {}),
  withArgs(NoopObserver, {}),
);

/** `is_reuse_input_qconfig`: activation ReuseInputObserver and weight NoopObserver. */
export function isReuseInputQConfig(qconfig: QConfig | null | undefined): boolean {
  return qconfig !== null && qconfig !== undefined &&
    qconfig.activation.target === ReuseInputObserver &&
    qconfig.weight.target === NoopObserver;
}
