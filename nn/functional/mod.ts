/**
 * Float functional ops (`torch.nn.functional`): the forward of the float modules, each
 * recording its gradient on an active `GradTape`.
 * @module
 */
export * from "./elementwise.ts";
export * from "./activation.ts";
export * from "./linear.ts";
export * from "./conv.ts";
export * from "./batch_norm.ts";
export * from "./pool.ts";
export * from "./dropout.ts";
export * from "./loss.ts";
export * from "./reduction.ts";
export { broadcastShapes, numel, showShape } from "./_shape.ts";
