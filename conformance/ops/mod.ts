/**
 * Every golden op this implementation knows, by name.
 * @module
 */
import type { OpHandler } from "../op_handler.ts";
import { elementwiseOps } from "./elementwise.ts";
import { embeddingOps } from "./embedding.ts";
import { fakeQuantizeOps } from "./fake_quantize.ts";
import { fusionOps } from "./fusion.ts";
import { observerOps } from "./observers.ts";
import { registeredOps } from "./registered.ts";
import { rnnOps } from "./rnn.ts";

/** All op handlers. */
export const OP_HANDLERS: readonly OpHandler[] = [
  ...elementwiseOps,
  ...registeredOps,
  ...fakeQuantizeOps,
  ...fusionOps,
  ...observerOps,
  ...rnnOps,
  ...embeddingOps,
];

/** The handlers keyed by op name. */
export function opHandlerMap(): Map<string, OpHandler> {
  const map = new Map<string, OpHandler>();
  for (const h of OP_HANDLERS) {
    if (map.has(h.op)) throw new Error(`two handlers for op ${h.op}`);
    map.set(h.op, h);
  }
  return map;
}
