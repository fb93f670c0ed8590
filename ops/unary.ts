/**
 * The unary family: ops whose output code is a function of one input code (relu, relu6,
 * hardswish, sigmoid, tanh, leaky_relu, hardtanh, clamp, elu, hardsigmoid). A new unary op is
 * one `unaryOp({...})` call: its reference function, its parameters with their golden names and
 * property domains, and how its output qparams are chosen.
 *
 * On a kernel set every unary op runs one of two kernels:
 * - `clamp(lo, hi)` where the op is an integer clamp of the codes (relu, relu6, hardtanh, clamp);
 * - `lookup(table)` otherwise: the reference applied to the 256 codes is the table — exact by
 *   construction. ATen's x86 kernels compute the first `floor(n/64)·64` elements of a run with
 *   vector arithmetic and the rest with scalar arithmetic, so a table has a vector half and a
 *   scalar half (the same under QNNPACK).
 * @module
 */
import type { Produced } from "../conformance/compare.ts";
import { type CaseReader, MalformedCase, scalar } from "../conformance/op_handler.ts";
import type { CodeTable, KernelSet } from "../kernels/kernel_set.ts";
import { kernelEngine } from "../kernels/kernel_set.ts";
import { BoundedCache } from "../kernels/staging.ts";
import { checkScale, checkZeroPoint, show } from "../reference/_check.ts";
import { input8 } from "../reference/_aten_unary.ts";
import type { Engine } from "../reference/engine.ts";
import { elementwiseFamily, VECTOR_BLOCK } from "../reference/quantized_elementwise.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import type { Domain } from "./domain.ts";
import type { EngineUse, OpDescriptor } from "./op.ts";

/** Per-tensor qparams of a unary op's input or output. */
export interface UnaryQParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** The arguments of a unary op. */
export interface UnaryArgs<P = Record<string, number>> {
  /** A per-tensor quint8 (or qint8) tensor. */
  readonly x: QuantizedTensor;
  /** The op's own parameters (e.g. `negativeSlope`). */
  readonly params: P;
  /** The output qparams, for ops that requantize (`output: "requantized"`). */
  readonly output?: UnaryQParams;
}

/**
 * How a unary op's output qparams are chosen: `input` (kept: relu, clamp), `requantized` (given
 * by the caller: hardswish, leaky_relu, elu) or `fixed` (by PyTorch: sigmoid, tanh,
 * hardsigmoid; golden cases record them as `y_scale`/`y_zero_point` outputs).
 */
export type UnaryOutputQParams = "input" | "requantized" | "fixed";

/** What the reference function of a unary op receives besides the tensor and parameters. */
export interface UnaryReferenceOptions {
  /** The engine whose numerics to reproduce. */
  readonly engine: Engine;
  /** The output qparams (`requantized` ops). */
  readonly output?: UnaryQParams;
  /** Elements per vectorised step of ATen's kernels (0: all scalar); the reference's default. */
  readonly vectorBlock?: number;
}

/** A parameter of a unary op: its golden attribute name and its property domain. */
export interface UnaryParam {
  /** The golden attribute (PyTorch's argument name, e.g. `negative_slope`). */
  readonly golden: string;
  /** What the property tests draw. */
  readonly domain: Domain;
}

/** Everything a unary op declares. */
export interface UnaryOpSpec<P> {
  /** The golden op name. */
  readonly name: string;
  /** What PyTorch calls. */
  readonly pytorch: string;
  /** Whether the result depends on the engine. */
  readonly engine: EngineUse;
  /** How the output qparams are chosen. */
  readonly output: UnaryOutputQParams;
  /**
   * Whether PyTorch's output keeps the input's memory format (`suggest_memory_format`); false:
   * the output is NCHW-contiguous.
   */
  readonly keepsFormat: boolean;
  /** The op's parameters by their TypeScript name. */
  readonly params: { readonly [K in keyof P]: UnaryParam };
  /** The reference (it checks its own arguments). */
  reference(x: QuantizedTensor, params: P, options: UnaryReferenceOptions): QuantizedTensor;
  /**
   * Checks what the family does not: the op's parameters, and what its engine refuses for this
   * input (QNNPACK's clamp, hardsigmoid). The tensor and qparams are checked by the family.
   */
  check?(x: QuantizedTensor, params: P, engine: Engine): void;
  /**
   * For integer clamps: the code bounds `[lo, hi]` for input qparams `x` (the kernels clamp
   * instead of looking up).
   */
  clampBounds?(x: UnaryQParams, params: P, engine: Engine): readonly [number, number];
  /** Scales the property runs (default 1). */
  readonly runsFactor?: number;
}

/** A unary op's descriptor (with its spec, for the nn module and the property generators). */
export interface UnaryOp<P = Record<string, number>>
  extends OpDescriptor<UnaryArgs<P>, QuantizedTensor> {
  readonly family: "unary";
  readonly spec: UnaryOpSpec<P>;
  /**
   * The code table of these input qparams, parameters and output qparams on `engine`: what the
   * kernels look up (null for a clamp op).
   */
  table(args: Omit<UnaryArgs<P>, "x">, input: UnaryQParams, engine: Engine): CodeTable | null;
}

const TABLES = new BoundedCache<CodeTable>(256);

/** Defines a unary op. */
export function unaryOp<P>(spec: UnaryOpSpec<P>): UnaryOp<P> {
  const paramNames = Object.keys(spec.params) as (keyof P & string)[];
  const goldenAttrs = [
    "x_scale",
    "x_zero_point",
    ...(spec.output === "requantized" ? ["y_scale", "y_zero_point"] : []),
    ...paramNames.map((p) => spec.params[p].golden),
  ];
  const check = (args: UnaryArgs<P>, engine: Engine) => {
    if (typeof args !== "object" || args === null) {
      throw new TypeError(`${spec.name}: expected an arguments object, got ${show(args)}`);
    }
    const x = input8("x", args.x);
    if (spec.output === "requantized") {
      if (args.output === undefined) {
        throw new TypeError(`output: ${spec.name} needs output qparams`);
      }
      checkScale("output scale", args.output.scale);
      checkZeroPoint("output zero point", args.output.zeroPoint, args.x.dtype);
    }
    for (const p of paramNames) {
      const v = (args.params as Record<string, unknown>)?.[p];
      if (typeof v !== "number") throw new TypeError(`${p}: expected a number, got ${show(v)}`);
    }
    spec.check?.(args.x, args.params, engine);
    return x;
  };
  const reference = (args: UnaryArgs<P>, engine: Engine, vectorBlock?: number) =>
    spec.reference(args.x, args.params, { engine, output: args.output, vectorBlock });
  const table = (
    args: Omit<UnaryArgs<P>, "x">,
    input: UnaryQParams,
    engine: Engine,
  ): CodeTable | null => {
    if (spec.clampBounds !== undefined) return null;
    const family = elementwiseFamily(engine);
    const key = JSON.stringify([spec.name, family, input, args.output, args.params]);
    return TABLES.get(key, () => {
      const codes = new QuantizedTensor(
        Uint8Array.from({ length: 256 }, (_, i) => i),
        [256],
        "quint8",
        { qscheme: "per_tensor_affine", scale: input.scale, zeroPoint: input.zeroPoint },
      );
      const whole = { ...args, x: codes };
      const vector = reference(whole, engine, 256); // 256 codes, all on the vector path
      const tail = reference(whole, engine, 0); // all on the scalar path
      const qp = vector.qparams as UnaryQParams;
      return {
        vector: vector.intRepr as Uint8Array,
        scalar: tail.intRepr as Uint8Array,
        vectorBlock: VECTOR_BLOCK,
        output: { scale: qp.scale, zeroPoint: qp.zeroPoint },
      };
    });
  };
  return {
    name: spec.name,
    family: "unary",
    pytorch: spec.pytorch,
    engine: spec.engine,
    spec,
    table,
    check,
    reference: (args, engine) => reference(args, engine),
    golden: {
      attrs: goldenAttrs,
      inputs: ["x"],
      outputs: spec.output === "fixed" ? ["y", "y_scale", "y_zero_point"] : ["y"],
      decode(c: CaseReader): UnaryArgs<P> {
        const params = {} as Record<string, number>;
        for (const p of paramNames) params[p] = c.attrs.number(spec.params[p].golden);
        return {
          x: caseQuantized(c, "x"),
          params: params as P,
          output: spec.output === "requantized"
            ? { scale: c.attrs.number("y_scale"), zeroPoint: c.attrs.int("y_zero_point") }
            : undefined,
        };
      },
      encode(y: QuantizedTensor): Record<string, Produced> {
        const codes = { shape: y.shape, data: y.intRepr };
        if (spec.output !== "fixed") return { y: codes };
        const qp = y.qparams as UnaryQParams;
        return { y: codes, y_scale: scalar(qp.scale), y_zero_point: scalar(qp.zeroPoint) };
      },
    },
    kernel: {
      supports(set: KernelSet, args: UnaryArgs<P>, engine: Engine): boolean {
        if (args.x.dtype !== "quint8") return false; // the kernels take quint8 codes
        // A clamp, or a table built from the reference of the case's engine, is the same on
        // every path; only an engine-dependent table needs the path's own numerics.
        return spec.clampBounds !== undefined || spec.engine === "optional" ||
          elementwiseFamily(engine) === elementwiseFamily(kernelEngine(set.numerics));
      },
      run(set: KernelSet, args: UnaryArgs<P>, engine: Engine): QuantizedTensor {
        const input = args.x.qparams as UnaryQParams;
        const codes = args.x.intRepr as Uint8Array;
        let y: Uint8Array;
        let output: UnaryQParams;
        if (spec.clampBounds !== undefined) {
          const [lo, hi] = spec.clampBounds(input, args.params, engine);
          y = set.clamp(codes, lo, hi);
          output = input;
        } else {
          const t = table(args, input, engine)!;
          y = set.lookup(codes, t);
          output = t.output;
        }
        return new QuantizedTensor(y, args.x.shape, "quint8", {
          qscheme: "per_tensor_affine",
          scale: output.scale,
          zeroPoint: output.zeroPoint,
        });
      },
    },
    properties: {
      params: Object.fromEntries(paramNames.map((p) => [p, spec.params[p].domain])),
      runsFactor: spec.runsFactor,
    },
  };
}

/** A uint8 (quint8) or int8 (qint8) golden input with qparams from `<name>_scale`/`_zero_point`. */
export function caseQuantized(c: CaseReader, name: string, prefix = name): QuantizedTensor {
  const t = c.input(name);
  const qparams = {
    qscheme: "per_tensor_affine" as const,
    scale: c.attrs.number(`${prefix}_scale`),
    zeroPoint: c.attrs.int(`${prefix}_zero_point`),
  };
  if (t.dtype === "uint8") {
    return new QuantizedTensor(t.data as Uint8Array, t.shape, "quint8", qparams);
  }
  if (t.dtype === "int8") {
    return new QuantizedTensor(t.data as Int8Array, t.shape, "qint8", qparams);
  }
  throw new MalformedCase(`input "${name}" must be uint8 or int8, got ${t.dtype}`);
}
