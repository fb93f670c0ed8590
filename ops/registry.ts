/**
 * The op registry: every op descriptor, by name. Conformance, properties, benchmarks and nn find
 * ops here; adding an op to a family is adding its descriptor to this list.
 * @module
 */
import { UNARY_OPS } from "./activations.ts";
import { BINARY_OPS } from "./elementwise.ts";
import { POOL_OPS } from "./pool.ts";
import { cat } from "./cat.ts";
import { CHANNELWISE_OPS } from "./channelwise.ts";
import { FLOAT_OPS } from "./float_ops.ts";
import { GEMM_OPS } from "./gemm.ts";
import { conv2d } from "./conv.ts";
import { QUANTIZE_OPS } from "./quantize.ts";
import { ONNX_OPS } from "./onnx.ts";
import type { AnyOp } from "./op.ts";

/** Every registered op. */
export const OPS: readonly AnyOp[] = [
  ...QUANTIZE_OPS,
  ...GEMM_OPS,
  conv2d,
  ...UNARY_OPS,
  ...BINARY_OPS,
  ...POOL_OPS,
  cat,
  ...CHANNELWISE_OPS,
  ...FLOAT_OPS,
  ...ONNX_OPS,
];

/** The registered ops keyed by name (throws on a duplicate name). */
export function opRegistry(): ReadonlyMap<string, AnyOp> {
  const map = new Map<string, AnyOp>();
  for (const op of OPS) {
    if (map.has(op.name)) throw new Error(`two ops are named ${op.name}`);
    map.set(op.name, op);
  }
  return map;
}
