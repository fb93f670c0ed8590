/**
 * The binary family: elementwise ops of two quantized tensors of one shape (add, add_relu, mul,
 * mul_relu). On a kernel set they run `binary(kind, a, b, args)` on the codes in memory order
 * (ATen's add splits vector and scalar elements by position; QNNPACK's add and every mul do not).
 * @module
 */
import type { CaseReader } from "../conformance/op_handler.ts";
import { kernelEngine, type KernelSet } from "../kernels/kernel_set.ts";
import type { Engine } from "../reference/engine.ts";
import {
  checkBinary,
  elementwiseFamily,
  type QuantizedBinaryOptions,
} from "../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import type { EngineUse, OpDescriptor } from "./op.ts";
import { caseQuantized, type UnaryQParams } from "./unary.ts";

/** The arguments of a binary op. */
export interface BinaryArgs {
  /** The first operand (per-tensor quint8 or qint8). */
  readonly a: QuantizedTensor;
  /** The second operand, of `a`'s dtype and shape. */
  readonly b: QuantizedTensor;
  /** The output qparams. */
  readonly output: UnaryQParams;
}

/** What a binary op declares. */
export interface BinaryOpSpec {
  /** The golden op name. */
  readonly name: string;
  /** What PyTorch calls. */
  readonly pytorch: string;
  /** Whether the result depends on the engine (add: yes; mul: every engine agrees). */
  readonly engine: EngineUse;
  /** The kernel that computes it. */
  readonly kind: "add" | "mul";
  /** Whether a ReLU is fused. */
  readonly relu: boolean;
  /** The reference. */
  reference(
    a: QuantizedTensor,
    b: QuantizedTensor,
    options: QuantizedBinaryOptions,
  ): QuantizedTensor;
}

/** A binary op's descriptor. */
export interface BinaryOp extends OpDescriptor<BinaryArgs, QuantizedTensor> {
  readonly family: "binary";
  readonly spec: BinaryOpSpec;
}

/** Defines a binary op. */
export function binaryOp(spec: BinaryOpSpec): BinaryOp {
  return {
    name: spec.name,
    family: "binary",
    pytorch: spec.pytorch,
    engine: spec.engine,
    spec,
    check(args) {
      checkBinary(args.a, args.b, {
        outputScale: args.output?.scale,
        outputZeroPoint: args.output?.zeroPoint,
      });
    },
    reference: (args, engine) =>
      spec.reference(args.a, args.b, {
        engine,
        outputScale: args.output.scale,
        outputZeroPoint: args.output.zeroPoint,
      }),
    golden: {
      attrs: ["a_scale", "a_zero_point", "b_scale", "b_zero_point", "y_scale", "y_zero_point"],
      inputs: ["a", "b"],
      outputs: ["y"],
      decode: (c: CaseReader) => ({
        a: caseQuantized(c, "a"),
        b: caseQuantized(c, "b"),
        output: { scale: c.attrs.number("y_scale"), zeroPoint: c.attrs.int("y_zero_point") },
      }),
      encode: (y) => ({ y: { shape: y.shape, data: y.intRepr } }),
    },
    kernel: {
      supports(set: KernelSet, args, engine: Engine): boolean {
        if (args.a.dtype !== "quint8" || args.b.dtype !== "quint8") return false;
        return spec.engine === "optional" ||
          elementwiseFamily(engine) === elementwiseFamily(kernelEngine(set.numerics));
      },
      run(set: KernelSet, args): QuantizedTensor {
        const qp = (t: QuantizedTensor) => t.qparams as UnaryQParams;
        const y = set.binary(
          spec.kind,
          args.a.intRepr as Uint8Array,
          args.b.intRepr as Uint8Array,
          {
            a: qp(args.a),
            b: qp(args.b),
            output: args.output,
            relu: spec.relu,
          },
        );
        return new QuantizedTensor(y, args.a.shape, "quint8", {
          qscheme: "per_tensor_affine",
          scale: args.output.scale,
          zeroPoint: args.output.zeroPoint,
        });
      },
    },
    properties: { params: {} },
  };
}
