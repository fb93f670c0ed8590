/**
 * The binary ops, one descriptor each.
 * @module
 */
import {
  quantizedAdd,
  quantizedAddRelu,
  quantizedMul,
  quantizedMulRelu,
} from "../reference/quantized_elementwise.ts";
import { binaryOp } from "./binary.ts";

/** `torch.ops.quantized.add(a, b, scale, zero_point)`. */
export const add = binaryOp({
  name: "quantized_add",
  pytorch: "torch.ops.quantized.add",
  engine: "required",
  kind: "add",
  relu: false,
  reference: quantizedAdd,
});

/** `torch.ops.quantized.add_relu`. */
export const addRelu = binaryOp({
  name: "quantized_add_relu",
  pytorch: "torch.ops.quantized.add_relu",
  engine: "required",
  kind: "add",
  relu: true,
  reference: quantizedAddRelu,
});

/** `torch.ops.quantized.mul(a, b, scale, zero_point)` (every engine computes the same). */
export const mul = binaryOp({
  name: "quantized_mul",
  pytorch: "torch.ops.quantized.mul",
  engine: "optional",
  kind: "mul",
  relu: false,
  reference: quantizedMul,
});

/** `torch.ops.quantized.mul_relu`. */
export const mulRelu = binaryOp({
  name: "quantized_mul_relu",
  pytorch: "torch.ops.quantized.mul_relu",
  engine: "optional",
  kind: "mul",
  relu: true,
  reference: quantizedMulRelu,
});

/** Every binary op. */
export const BINARY_OPS = [add, addRelu, mul, mulRelu] as const;
