/**
 * Graph mode (torch.fx and torch.ao.quantization's FX flow).
 * @module
 */
export * from "./graph.ts";
export * from "./graph_module.ts";
export * from "./tracer.ts";
export * from "./proxy.ts";
export * as fx from "./functional.ts";
export * from "./modules.ts";
export * from "./module_types.ts";
export * from "./backend_config.ts";
export * from "./qconfig_mapping.ts";
export * from "./qconfig_json.ts";
export * from "./prepare.ts";
export * from "./convert.ts";
export * from "./graph_json.ts";
