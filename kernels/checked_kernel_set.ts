/**
 * The checked boundary of every kernel set: `checkedKernelSet(set)` wraps a KernelSet so that
 * each call's arguments are checked before the kernels see them — typed-array types, lengths
 * against shapes (a short input would otherwise read stale kernel memory), qparams, geometry,
 * packed weights that are someone else's — with the reference's own check functions, so a
 * kernel path refuses what the reference refuses, with the same error class and message.
 * `kernelSets()` returns only checked sets; a new kernel set cannot forget a check. Every check
 * is O(1) in the tensor sizes except the weight checks of `pack*`, which run once per weight.
 * @module
 */
import {
  checkBoolean,
  checkInteger,
  checkObject,
  checkScale,
  checkShape,
  checkTypedArray,
  checkZeroPoint,
  show,
} from "../reference/_check.ts";
import {
  checkConvWeight,
  type Conv2dGeometry,
  conv2dGeometry,
  conv2dOutputShape,
  type ConvWeight,
} from "../reference/quantized_conv2d.ts";
import {
  checkDynamicReduceRange,
  checkLinearWeight,
  checkStaticLinearParams,
  type LinearWeight,
  type StaticLinearParams,
} from "../reference/quantized_linear.ts";
import {
  quantizedAdaptiveAvgPool2d,
  quantizedAvgPool2d,
  quantizedMaxPool2d,
} from "../reference/quantized_pool.ts";
import { QuantizedTensor } from "../reference/tensor.ts";
import type {
  CatInput,
  CodeTable,
  DynamicLinearArgs,
  KernelSet,
  NhwcTensor,
  PackedConvWeight,
  PackedLinearWeight,
  PerChannelArgs,
  PerTensorArgs,
  PoolWindowArgs,
  QParams8,
  QuantizedBinaryArgs,
} from "./kernel_set.ts";
import { checkNotFreed, kernelEngine } from "./kernel_set.ts";
import { namingMemoryFailures } from "./memory_failures.ts";

const CHECKED = Symbol("checked kernel set");

/** Whether `set` is already a checked boundary. */
function isChecked(set: KernelSet): boolean {
  return (set as unknown as Record<symbol, unknown>)[CHECKED] === true;
}

/** `set` behind the checked boundary (a checked set is returned as is). */
export function checkedKernelSet(set: KernelSet): KernelSet {
  return isChecked(set) ? set : new CheckedKernelSet(namingMemoryFailures(set));
}

/** Checks quint8 per-tensor qparams, naming the argument. */
export function checkQParams8(name: string, qp: QParams8): void {
  checkObject(name, qp);
  checkScale(`${name} scale`, qp.scale);
  checkZeroPoint(`${name} zero point`, qp.zeroPoint, "quint8");
}

/** Checks a row count `m` and that `x` holds exactly `m·k` values. */
function checkRows(x: ArrayLike<number>, m: number, k: number): void {
  checkInteger("m", m);
  if (m < 0) throw new RangeError(`m: expected an integer >= 0, got ${m}`);
  if (x.length !== m * k) {
    throw new RangeError(`x: expected ${m}×${k} = ${m * k} values, got ${x.length}`);
  }
}

/** Checks an NHWC tensor's shape and that its data holds exactly that many codes. */
export function checkNhwcTensor(
  name: string,
  x: NhwcTensor,
): readonly [number, number, number, number] {
  checkObject(name, x);
  checkTypedArray(`${name}.data`, x.data, Uint8Array, "quint8 codes");
  const s = x.shape;
  if (!Array.isArray(s) || s.length !== 4) {
    throw new RangeError(`${name}: expected an NHWC shape [N, H, W, C], got ${show(s)}`);
  }
  const size = checkShape(`${name}.shape`, s);
  if (x.data.length !== size) {
    throw new RangeError(`${name}: ${x.data.length} codes for shape [${s}] (${size} expected)`);
  }
  return [s[0], s[1], s[2], s[3]];
}

function checkPerTensor(args: PerTensorArgs): void {
  checkObject("args", args);
  if (args.dtype !== "quint8" && args.dtype !== "qint8") {
    throw new TypeError(`dtype: expected "quint8" or "qint8", got ${show(args.dtype)}`);
  }
  checkScale("scale", args.scale);
  checkZeroPoint("zeroPoint", args.zeroPoint, args.dtype);
}

function checkPerChannel(args: PerChannelArgs, length: number): void {
  checkObject("args", args);
  if (args.dtype !== "quint8" && args.dtype !== "qint8") {
    throw new TypeError(`dtype: expected "quint8" or "qint8", got ${show(args.dtype)}`);
  }
  const size = checkShape("shape", args.shape);
  if (size !== length) {
    throw new RangeError(`shape: [${args.shape}] holds ${size} values, the data has ${length}`);
  }
  checkInteger("axis", args.axis);
  const rank = args.shape.length;
  const axis = args.axis < 0 ? args.axis + rank : args.axis;
  if (axis < 0 || axis >= rank) {
    throw new RangeError(`axis: ${args.axis} is out of range for a tensor of rank ${rank}`);
  }
  const channels = args.shape[axis];
  for (
    const [name, values] of [["scales", args.scales], ["zeroPoints", args.zeroPoints]] as const
  ) {
    if (values === null || typeof values !== "object" || values.length !== channels) {
      throw new RangeError(
        `${name}: expected ${channels} values (one per index of axis ${args.axis}), got ${
          show(values)
        }`,
      );
    }
  }
  for (let c = 0; c < channels; c++) {
    checkScale(`scales[${c}]`, args.scales[c]);
    checkZeroPoint(`zeroPoints[${c}]`, args.zeroPoints[c], args.dtype);
  }
}

function checkCodes(name: string, q: unknown, dtype: "quint8" | "qint8"): void {
  if (dtype === "quint8") checkTypedArray(name, q, Uint8Array, "quint8 codes");
  else checkTypedArray(name, q, Int8Array, "qint8 codes");
}

/** A KernelSet whose every call is checked first (see the module documentation). */
class CheckedKernelSet implements KernelSet {
  readonly [CHECKED] = true;

  constructor(private readonly inner: KernelSet) {}

  get name(): string {
    return this.inner.name;
  }
  get numerics() {
    return this.inner.numerics;
  }
  get relaxed(): boolean {
    return this.inner.relaxed;
  }
  get description(): string {
    return this.inner.description;
  }
  get kernelNames(): readonly string[] {
    return this.inner.kernelNames;
  }
  get lastKernel(): string {
    return this.inner.lastKernel;
  }

  quantize(x: Float32Array, args: PerTensorArgs): Uint8Array | Int8Array {
    checkTypedArray("x", x, Float32Array, "floats");
    checkPerTensor(args);
    return this.inner.quantize(x, args);
  }

  quantizePerChannel(x: Float32Array, args: PerChannelArgs): Uint8Array | Int8Array {
    checkTypedArray("x", x, Float32Array, "floats");
    checkPerChannel(args, x.length);
    return this.inner.quantizePerChannel(x, args);
  }

  dequantize(q: Uint8Array | Int8Array, args: PerTensorArgs): Float32Array {
    checkPerTensor(args);
    checkCodes("q", q, args.dtype);
    return this.inner.dequantize(q, args);
  }

  dequantizePerChannel(q: Uint8Array | Int8Array, args: PerChannelArgs): Float32Array {
    checkObject("args", args);
    checkCodes("q", q, args.dtype);
    checkPerChannel(args, q.length);
    return this.inner.dequantizePerChannel(q, args);
  }

  requantize(
    acc: Int32Array,
    m: number,
    args: { multipliers: Float32Array; zeroPoint: number; relu: boolean },
  ): Uint8Array {
    checkTypedArray("acc", acc, Int32Array, "int32 accumulators");
    checkObject("args", args);
    checkTypedArray("multipliers", args.multipliers, Float32Array, "floats");
    checkRows(acc, m, args.multipliers.length);
    checkZeroPoint("zeroPoint", args.zeroPoint, "quint8");
    checkBoolean("relu", args.relu);
    return this.inner.requantize(acc, m, args);
  }

  packLinear(weight: LinearWeight): PackedLinearWeight {
    checkLinearWeight(weight);
    return this.inner.packLinear(weight);
  }

  linear(
    x: Uint8Array,
    m: number,
    packed: PackedLinearWeight,
    params: StaticLinearParams,
  ): Uint8Array {
    checkTypedArray("x", x, Uint8Array, "quint8 codes");
    checkPacked(`${this.name}.linear`, "packed", packed);
    checkRows(x, m, packed.weight.inFeatures);
    checkObject("params", params);
    checkStaticLinearParams(params);
    return this.inner.linear(x, m, packed, params);
  }

  linearDynamic(
    x: Float32Array,
    m: number,
    packed: PackedLinearWeight,
    args: DynamicLinearArgs,
  ): Float32Array {
    checkTypedArray("x", x, Float32Array, "floats");
    checkPacked(`${this.name}.linearDynamic`, "packed", packed);
    checkRows(x, m, packed.weight.inFeatures);
    checkObject("args", args);
    checkBoolean("reduceRange", args.reduceRange);
    checkBoolean("relu", args.relu);
    checkDynamicReduceRange(this.numerics, args.reduceRange);
    return this.inner.linearDynamic(x, m, packed, args);
  }

  packConv2d(weight: ConvWeight, geometry: Conv2dGeometry): PackedConvWeight {
    checkObject("weight", weight);
    checkTypedArray("weight.data", weight.data, Int8Array, "qint8 codes");
    checkConvWeight(weight);
    checkObject("geometry", geometry);
    conv2dGeometry(geometry);
    return this.inner.packConv2d(weight, geometry);
  }

  conv2dNhwc(x: NhwcTensor, packed: PackedConvWeight, params: StaticLinearParams): NhwcTensor {
    const [n, h, w, c] = checkNhwcTensor("x", x);
    checkPacked(`${this.name}.conv2dNhwc`, "packed", packed);
    conv2dOutputShape([n, c, h, w], packed.weight, packed.geometry);
    checkObject("params", params);
    checkStaticLinearParams(params);
    return this.inner.conv2dNhwc(x, packed, params);
  }

  binary(kind: "add" | "mul", a: Uint8Array, b: Uint8Array, args: QuantizedBinaryArgs): Uint8Array {
    if (kind !== "add" && kind !== "mul") {
      throw new RangeError(`kind: expected "add" or "mul", got ${show(kind)}`);
    }
    checkTypedArray("a", a, Uint8Array, "quint8 codes");
    checkTypedArray("b", b, Uint8Array, "quint8 codes");
    if (a.length !== b.length) {
      throw new RangeError(
        `b: ${b.length} elements, a has ${a.length} (same-shape operands only; broadcasting is ` +
          `not supported)`,
      );
    }
    checkObject("args", args);
    checkQParams8("a", args.a);
    checkQParams8("b", args.b);
    checkQParams8("output", args.output);
    checkBoolean("relu", args.relu);
    return this.inner.binary(kind, a, b, args);
  }

  catChannelsNhwc(xs: readonly CatInput[], output: QParams8): NhwcTensor {
    if (!Array.isArray(xs) || xs.length === 0) {
      throw new RangeError(`xs: expected at least one input, got ${show(xs)}`);
    }
    let first: readonly number[] | undefined;
    xs.forEach((input, i) => {
      checkObject(`xs[${i}]`, input);
      const s = checkNhwcTensor(`xs[${i}].tensor`, input.tensor);
      checkQParams8(`xs[${i}].qparams`, input.qparams);
      first ??= s;
      if (s[0] !== first[0] || s[1] !== first[1] || s[2] !== first[2]) {
        throw new RangeError(
          `xs[${i}]: N, H, W [${s.slice(0, 3)}] differ from the first input's [${
            first.slice(0, 3)
          }]`,
        );
      }
    });
    checkQParams8("output", output);
    return this.inner.catChannelsNhwc(xs, output);
  }

  pool2dNhwc(x: NhwcTensor, qparams: QParams8, window: PoolWindowArgs): NhwcTensor {
    const [, h, w, c] = checkNhwcTensor("x", x);
    checkQParams8("x", qparams);
    checkObject("window", window);
    // The reference pooling of an empty batch checks the window exactly as the reference would
    // for this engine and a channels-last input.
    const empty = new QuantizedTensor(new Uint8Array(0), [0, c, h, w], "quint8", {
      qscheme: "per_tensor_affine",
      scale: qparams.scale,
      zeroPoint: qparams.zeroPoint,
    });
    const common = { engine: kernelEngine(this.numerics), channelsLast: true };
    if (window.kind === "max") quantizedMaxPool2d(empty, { ...common, ...window });
    else if (window.kind === "avg") quantizedAvgPool2d(empty, { ...common, ...window });
    else if (window.kind === "adaptive_avg") {
      quantizedAdaptiveAvgPool2d(empty, { ...common, outputSize: window.outputSize });
    } else {
      throw new RangeError(
        `window.kind: expected "max", "avg" or "adaptive_avg", got ${
          show((window as { kind: unknown }).kind)
        }`,
      );
    }
    return this.inner.pool2dNhwc(x, qparams, window);
  }

  clamp(x: Uint8Array, lo: number, hi: number): Uint8Array {
    checkTypedArray("x", x, Uint8Array, "quint8 codes");
    for (const [name, v] of [["lo", lo], ["hi", hi]] as const) {
      checkInteger(name, v);
      if (v < 0 || v > 255) throw new RangeError(`${name}: expected a code in [0, 255], got ${v}`);
    }
    return this.inner.clamp(x, lo, hi);
  }

  lookupChannels(x: NhwcTensor, tables: Uint8Array): NhwcTensor {
    const [, , , c] = checkNhwcTensor("x", x);
    checkTypedArray("tables", tables, Uint8Array, "codes (256 per channel)");
    if (tables.length !== 256 * c) {
      throw new RangeError(
        `tables: expected 256 codes per channel (${256 * c}), got ${tables.length}`,
      );
    }
    return this.inner.lookupChannels(x, tables);
  }

  lookup(x: Uint8Array, table: CodeTable): Uint8Array {
    checkTypedArray("x", x, Uint8Array, "quint8 codes");
    checkObject("table", table);
    for (const half of ["vector", "scalar"] as const) {
      checkTypedArray(`table.${half}`, table[half], Uint8Array, "256 codes");
      if (table[half].length !== 256) {
        throw new RangeError(`table.${half}: expected 256 codes, got ${table[half].length}`);
      }
    }
    checkInteger("table.vectorBlock", table.vectorBlock);
    if (table.vectorBlock < 0) {
      throw new RangeError(`table.vectorBlock: expected an integer >= 0, got ${table.vectorBlock}`);
    }
    return this.inner.lookup(x, table);
  }
}

/**
 * Checks a packed weight handle: that it is one and not freed (the set checks that it is its
 * own).
 */
function checkPacked(
  op: string,
  name: string,
  packed: PackedLinearWeight | PackedConvWeight,
): void {
  checkObject(name, packed);
  checkObject(`${name}.weight`, packed.weight);
  checkNotFreed(op, name, packed);
}
