/**
 * Graph mode: torch.fx's graph IR and symbolic tracing, and PyTorch 1.13's FX quantization flow
 * (`prepare_fx` / `prepare_qat_fx` / `convert_fx`) with its QConfigMappings, backend configs,
 * pattern fusion, observer insertion and sharing, and lowering to the quantized modules and ops
 * that run on a KernelSet.
 *
 * A model is a `Module` whose `forward` calls submodules and the functional API `fx` (`fx.F.relu`,
 * `fx.torch.add`, `fx.operator.add`, `fx.method.view`, …) so that `symbolicTrace` records the
 * graph PyTorch's tracer records for the same Python model.
 *
 * @example
 * ```ts
 * import { bestKernelSet } from "../../mod.ts";
 * import { convertFx, fx, getBackendConfig, getDefaultQConfigMapping, prepareFx } from "./mod.ts";
 * class Net extends Module {
 *   conv = new Conv2d(3, 8, 3);
 *   forward(x: Tensor): Tensor {
 *     return fx.F.relu(this.conv.forward(x));
 *   }
 * }
 * const prepared = prepareFx(new Net().eval(), getDefaultQConfigMapping("qnnpack"), [x], {
 *   backendConfig: getBackendConfig("qnnpack"),
 * });
 * for (const batch of calibration) prepared.forward(batch);
 * const int8 = convertFx(prepared, { kernels: bestKernelSet("qnnpack") });
 * console.log(String(int8.graph));
 * ```
 * @module
 */
export * from "./graph.ts";
export * from "./graph_module.ts";
export * from "./tracer.ts";
export * from "./proxy.ts";
export * as fx from "./functional.ts";
export type { FxValue } from "./functional.ts";
export * from "./modules.ts";
export * from "./module_types.ts";
export * from "./backend_config.ts";
export * from "./qconfig_mapping.ts";
export * from "./qconfig_json.ts";
export * from "./prepare.ts";
export * from "./convert.ts";
export * from "./graph_json.ts";
