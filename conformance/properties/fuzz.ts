/**
 * The fuzz suite of the kernel-set boundary: for every KernelSet method, small valid calls and
 * the same calls with one argument corrupted (wrong type, NaN, zero or negative scale, zero point
 * out of range, fractional or negative sizes, arrays shorter or longer than their shape, a freed
 * or foreign packed weight, …). The property: a valid call returns exactly what the reference
 * kernel set returns; a corrupted call throws a TypeError or RangeError whose message names the
 * corrupted argument — on the kernel path and on the reference path alike. A kernel set that
 * forgets a check fails it (see `fuzz_test.ts`, which plants one).
 * @module
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import type { LinearWeight } from "../../reference/quantized_linear.ts";
import type { ConvWeight } from "../../reference/quantized_conv2d.ts";
import type { PropertyCheck } from "./property.ts";
import { codes } from "./codes.ts";

/** One argument corruption: the argument it names and how it breaks the call. */
interface Corruption {
  /** The name the error message must contain. */
  readonly names: string;
  /** Returns the corrupted arguments (a fresh array). */
  apply(args: unknown[]): unknown[];
}

/** A KernelSet method under fuzz: how to draw valid arguments and how to corrupt them. */
interface FuzzedMethod {
  readonly method: string;
  /** Valid arguments from a seed (packing, where needed, is done by `prepare`). */
  valid(seed: number): unknown[];
  /** Replaces weights by packed handles of `set` (linear/conv), returning the handles to free. */
  prepare?(set: KernelSet, args: unknown[]): { args: unknown[]; free(): void };
  readonly corruptions: readonly Corruption[];
}

/** Sets argument `index` (a dotted path into it) to `value`. */
function set(index: number, path: string, value: unknown, names: string): Corruption {
  return {
    names,
    apply(args) {
      const out = [...args];
      if (path === "") {
        out[index] = value;
        return out;
      }
      const keys = path.split(".");
      const copy = (o: unknown) =>
        ArrayBuffer.isView(o) || Array.isArray(o) ? o : { ...(o as Record<string, unknown>) };
      const root = copy(out[index]) as Record<string, unknown>;
      out[index] = root;
      let node = root;
      for (const key of keys.slice(0, -1)) {
        node[key] = copy(node[key]);
        node = node[key] as Record<string, unknown>;
      }
      node[keys[keys.length - 1]] = value;
      return out;
    },
  };
}

/** Replaces argument `index` by `f(argument)`. */
function map(index: number, f: (v: never) => unknown, names: string): Corruption {
  return {
    names,
    apply(args) {
      const out = [...args];
      out[index] = f(out[index] as never);
      return out;
    },
  };
}

/** The ways a scale can be wrong. */
const BAD_SCALES = [0, -0.1, NaN, Infinity, 1e-46, "0.1", undefined];
/** The ways a quint8 zero point can be wrong. */
const BAD_ZERO_POINTS = [-1, 256, 1.5, NaN, "3", undefined];

function qparamsCorruptions(index: number, path: string, name: string): Corruption[] {
  const at = path === "" ? "" : `${path}.`;
  return [
    ...BAD_SCALES.map((v) => set(index, `${at}scale`, v, name)),
    ...BAD_ZERO_POINTS.map((v) => set(index, `${at}zeroPoint`, v, name)),
  ];
}

const floats = (seed: number, n: number) =>
  Float32Array.from(codes(seed, n, false), (c) => (c - 128) / 17);

function linearWeight(seed: number, n: number, k: number, perChannel: boolean): LinearWeight {
  const channels = perChannel ? n : 1;
  return {
    data: Int8Array.from(codes(seed, n * k, false), (c) => c - 128),
    outFeatures: n,
    inFeatures: k,
    perChannel,
    scales: Float64Array.from({ length: channels }, (_, i) => 0.01 + i / 1000),
    zeroPoints: new Int32Array(channels),
    bias: Float32Array.from({ length: n }, (_, i) => i - 2),
  };
}

function convWeight(seed: number, o: number, i: number): ConvWeight {
  return {
    data: Int8Array.from(codes(seed, o * i * 9, false), (c) => c - 128),
    outChannels: o,
    inChannelsPerGroup: i,
    kernelH: 3,
    kernelW: 3,
    perChannel: true,
    scales: Float64Array.from({ length: o }, (_, c) => 0.02 + c / 1000),
    zeroPoints: new Int32Array(o),
    bias: null,
  };
}

const STATIC = {
  inputScale: 0.05,
  inputZeroPoint: 3,
  outputScale: 0.2,
  outputZeroPoint: 120,
  relu: false,
};

const packLinear = (set: KernelSet, args: unknown[]) => {
  const packed = set.packLinear(args[2] as LinearWeight);
  const out = [...args];
  out[2] = packed;
  return { args: out, free: () => packed.free() };
};

/** Every method of the KernelSet interface. */
const METHODS: readonly FuzzedMethod[] = [
  {
    method: "quantize",
    valid: (seed) => [floats(seed, 37), { scale: 0.05, zeroPoint: 7, dtype: "quint8" }],
    corruptions: [
      set(0, "", [1, 2, 3], "x"),
      set(0, "", new Float64Array(3), "x"),
      ...qparamsCorruptions(1, "", "scale|zeroPoint"),
      set(1, "dtype", "quint4", "dtype"),
      set(1, "zeroPoint", -129, "zeroPoint"),
      set(1, "", undefined, "args"),
    ],
  },
  {
    method: "quantizePerChannel",
    valid: (seed) => [floats(seed, 24), {
      scales: [0.1, 0.2, 0.3],
      zeroPoints: [1, 2, 3],
      axis: 1,
      shape: [2, 3, 4],
      dtype: "qint8",
    }],
    corruptions: [
      set(1, "axis", 3, "axis"),
      set(1, "axis", 0.5, "axis"),
      set(1, "scales", [0.1, 0.2], "scales"),
      set(1, "scales", [0.1, 0, 0.3], "scales"),
      set(1, "zeroPoints", [1, 2, 300], "zeroPoints"),
      set(1, "shape", [2, 3, 5], "shape"),
      set(1, "shape", [2, -3, -4], "shape"),
      set(0, "", floats(1, 23), "shape"),
    ],
  },
  {
    method: "dequantize",
    valid: (seed) => [codes(seed, 33, false), { scale: 0.05, zeroPoint: 7, dtype: "quint8" }],
    corruptions: [
      set(0, "", new Int8Array(4), "q"),
      set(0, "", [1, 2], "q"),
      ...qparamsCorruptions(1, "", "scale|zeroPoint"),
    ],
  },
  {
    method: "dequantizePerChannel",
    valid: (seed) => [Int8Array.from(codes(seed, 12, false), (c) => c - 128), {
      scales: [0.1, 0.2],
      zeroPoints: [-3, 4],
      axis: 0,
      shape: [2, 6],
      dtype: "qint8",
    }],
    corruptions: [
      set(0, "", codes(1, 12, false), "q"),
      set(1, "axis", -3, "axis"),
      set(1, "scales", [0.1, NaN], "scales"),
      set(1, "zeroPoints", [-3, 128], "zeroPoints"),
      set(1, "shape", [3, 6], "shape"),
    ],
  },
  {
    method: "requantize",
    valid: (seed) => [
      Int32Array.from(codes(seed, 12, false), (c) => (c - 128) * 1000),
      3,
      { multipliers: Float32Array.of(0.001, 0.002, 0.003, 0.004), zeroPoint: 5, relu: true },
    ],
    corruptions: [
      set(1, "", 4, "x|acc"),
      set(1, "", 1.5, "m"),
      set(1, "", -1, "m"),
      set(2, "zeroPoint", 256, "zeroPoint"),
      set(2, "relu", 1, "relu"),
      set(0, "", new Float32Array(12), "acc"),
    ],
  },
  {
    method: "linear",
    valid: (
      seed,
    ) => [codes(seed, 3 * 20, false), 3, linearWeight(seed, 5, 20, seed % 2 === 0), STATIC],
    prepare: packLinear,
    corruptions: [
      set(1, "", 4, "x"),
      set(1, "", 2.5, "m"),
      set(1, "", -3, "m"),
      set(0, "", codes(1, 59, false), "x"),
      set(0, "", new Int8Array(60), "x"),
      ...BAD_SCALES.map((v) => set(3, "inputScale", v, "inputScale")),
      ...BAD_ZERO_POINTS.map((v) => set(3, "inputZeroPoint", v, "inputZeroPoint")),
      set(3, "outputScale", 0, "outputScale"),
      set(3, "outputZeroPoint", 300, "outputZeroPoint"),
      set(3, "relu", "yes", "relu"),
      set(2, "", { weight: {}, free() {} }, "packed|weight"),
    ],
  },
  {
    method: "linearDynamic",
    valid: (seed) => [floats(seed, 2 * 9), 2, linearWeight(seed, 4, 9, false), {
      reduceRange: false, // (true is undefined on oneDNN, refused there)
      relu: false,
    }],
    prepare: packLinear,
    corruptions: [
      set(0, "", floats(1, 17), "x"),
      set(1, "", 0.5, "m"),
      set(3, "reduceRange", undefined, "reduceRange"),
      set(3, "", undefined, "args"),
    ],
  },
  {
    method: "packLinear",
    valid: (seed) => [linearWeight(seed, 3, 5, true)],
    corruptions: [
      set(0, "bias", new Float32Array(2), "bias"),
      set(0, "data", new Int8Array(14), "weight.data"),
      set(0, "scales", Float64Array.of(0.1, 0, 0.1), "weight scales"),
      set(0, "scales", Float64Array.of(0.1), "weight"),
      set(0, "zeroPoints", Int32Array.of(0, 0, 200), "weight zero points"),
      set(0, "outFeatures", 2.5, "weight.outFeatures"),
      set(0, "", undefined, "weight"),
    ],
  },
  {
    method: "packConv2d",
    valid: (seed) => [convWeight(seed, 4, 2), {
      stride: [1, 1],
      padding: [1, 1],
      dilation: [1, 1],
      groups: 1,
    }],
    corruptions: [
      set(1, "stride", [0, 1], "stride"),
      set(1, "stride", [1.5, 1], "stride"),
      set(1, "padding", [-1, 0], "padding"),
      set(1, "dilation", [0, 1], "dilation"),
      set(1, "groups", 0, "groups"),
      set(0, "bias", new Float32Array(3), "bias"),
      set(0, "scales", Float64Array.of(0.1, 0.1, 0.1, 0), "weight scales"),
      set(0, "data", new Int8Array(71), "weight.data"),
    ],
  },
  {
    method: "conv2dNhwc",
    valid: (seed) => [
      { data: codes(seed, 1 * 6 * 5 * 4, false), shape: [1, 6, 5, 4] },
      convWeight(seed, 4, 2),
      STATIC,
    ],
    prepare(set, args) {
      const packed = set.packConv2d(args[1] as ConvWeight, {
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 2,
      });
      const out = [...args];
      out[1] = packed;
      return { args: out, free: () => packed.free() };
    },
    corruptions: [
      set(0, "data", codes(1, 119, false), "x"),
      set(0, "shape", [1, 6, 5, 3], "x|groups"),
      set(0, "shape", [1, 1, 1, 4], "x"),
      set(0, "data", new Int8Array(120), "x.data"),
      set(2, "outputScale", -1, "outputScale"),
      set(2, "inputZeroPoint", 256, "inputZeroPoint"),
    ],
  },
  {
    method: "binary",
    valid: (
      seed,
    ) => [seed % 2 === 0 ? "add" : "mul", codes(seed, 70, false), codes(seed + 1, 70, false), {
      a: { scale: 0.1, zeroPoint: 3 },
      b: { scale: 0.2, zeroPoint: 250 },
      output: { scale: 0.3, zeroPoint: 128 },
      relu: false,
    }],
    corruptions: [
      set(0, "", "sub", "kind"),
      set(2, "", codes(2, 69, false), "b"),
      set(1, "", new Float32Array(70), "a"),
      ...qparamsCorruptions(3, "a", "a scale|a zero point"),
      ...qparamsCorruptions(3, "output", "output scale|output zero point"),
      set(3, "relu", undefined, "relu"),
    ],
  },
  {
    method: "clamp",
    valid: (seed) => [codes(seed, 40, false), 3, 200],
    corruptions: [set(1, "", -1, "lo"), set(2, "", 256, "hi"), set(1, "", 2.5, "lo")],
  },
  {
    method: "lookup",
    valid: (seed) => [codes(seed, 90, false), {
      vector: codes(seed + 1, 256, false),
      scalar: codes(seed + 2, 256, false),
      vectorBlock: 64,
      output: { scale: 1, zeroPoint: 0 },
    }],
    corruptions: [
      set(1, "vector", new Uint8Array(255), "table.vector"),
      set(1, "vectorBlock", -64, "table.vectorBlock"),
      set(1, "scalar", undefined, "table.scalar"),
    ],
  },
  {
    method: "lookupChannels",
    valid: (seed) => [
      { data: codes(seed, 2 * 3 * 5, false), shape: [2, 3, 1, 5] },
      codes(seed + 1, 5 * 256, false),
    ],
    corruptions: [
      set(1, "", codes(1, 4 * 256, false), "tables"),
      set(0, "shape", [2, 3, 1, 4], "x|tables"),
      set(0, "data", codes(1, 29, false), "x"),
    ],
  },
  {
    method: "pool2dNhwc",
    valid: (seed) => [
      { data: codes(seed, 2 * 5 * 5 * 3, false), shape: [2, 5, 5, 3] },
      { scale: 0.1, zeroPoint: 7 },
      seed % 2 === 0
        ? {
          kind: "max",
          kernelSize: [3, 3],
          stride: [2, 2],
          padding: [1, 1],
          dilation: [1, 1],
          ceilMode: false,
        }
        : {
          kind: "avg",
          kernelSize: [2, 2],
          stride: [1, 1],
          padding: [0, 0],
          ceilMode: false,
          countIncludePad: true,
          divisorOverride: null,
        },
    ],
    corruptions: [
      set(0, "data", codes(1, 149, false), "x"),
      set(0, "shape", [2, 5, 5], "x"),
      set(2, "kernelSize", [0, 3], "kernelSize"),
      set(2, "stride", [2, 0], "stride"),
      set(2, "padding", [2, 2], "padding"),
      set(2, "kind", "min", "window.kind"),
      ...qparamsCorruptions(1, "", "x scale|x zero point"),
    ],
  },
  {
    method: "catChannelsNhwc",
    valid: (seed) => [[
      {
        tensor: { data: codes(seed, 2 * 3 * 3 * 4, false), shape: [2, 3, 3, 4] },
        qparams: { scale: 0.1, zeroPoint: 3 },
      },
      {
        tensor: { data: codes(seed + 1, 2 * 3 * 3 * 5, false), shape: [2, 3, 3, 5] },
        qparams: { scale: 0.2, zeroPoint: 9 },
      },
    ], { scale: 0.15, zeroPoint: 100 }],
    corruptions: [
      set(0, "", [], "xs"),
      map(
        0,
        (
          xs: { tensor: unknown; qparams: unknown }[],
        ) => [xs[0], {
          ...xs[1],
          tensor: { data: new Uint8Array(2 * 3 * 2 * 5), shape: [2, 3, 2, 5] },
        }],
        "xs[1]",
      ),
      map(
        0,
        (
          xs: { tensor: unknown; qparams: unknown }[],
        ) => [xs[0], { ...xs[1], tensor: { data: new Uint8Array(7), shape: [2, 3, 3, 5] } }],
        "xs[1].tensor",
      ),
      ...qparamsCorruptions(1, "", "output scale|output zero point"),
    ],
  },
];

type Outcome = { value: unknown } | { error: Error };

function call(set: KernelSet, m: FuzzedMethod, args: unknown[]): Outcome {
  let prepared: { args: unknown[]; free(): void } | undefined;
  try {
    prepared = m.prepare?.(set, args);
    const fn = (set as unknown as Record<string, (...a: unknown[]) => unknown>)[m.method];
    const value = fn.apply(set, prepared?.args ?? args);
    return { value };
  } catch (e) {
    return { error: e as Error };
  } finally {
    prepared?.free();
  }
}

/** What a valid call returns, in a comparable form (packed handles by their weight). */
function comparable(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "free" in value && "weight" in value) {
    (value as { free(): void }).free();
    return "packed";
  }
  return value;
}

/**
 * The fuzz properties of one kernel set against the reference kernel set of the same numerics
 * (both behind the checked boundary, as `kernelSets()` returns them).
 */
export function fuzzProperties(kernels: KernelSet, reference: KernelSet): PropertyCheck[] {
  return METHODS.map((m) => ({
    name: `${m.method}: valid calls equal the reference; corrupted calls throw naming the argument`,
    op: `fuzz ${m.method}`,
    path: kernels.name,
    property: () =>
      fc.property(
        fc.integer({ min: 0, max: 1 << 20 }),
        fc.nat(m.corruptions.length),
        (seed, which) => {
          const valid = m.valid(seed);
          if (which === m.corruptions.length) {
            const k = call(kernels, m, valid);
            const r = call(reference, m, valid);
            if ("error" in r) {
              assert.fail(
                `${m.method}: the valid call failed on the reference: ${r.error.message}`,
              );
            }
            if ("error" in k) {
              assert.fail(
                `${m.method}: the valid call failed on ${kernels.name}: ${k.error.message}`,
              );
            }
            assert.deepEqual(comparable(k.value), comparable(r.value), `${m.method}: result`);
            return;
          }
          const corruption = m.corruptions[which];
          const args = corruption.apply(valid);
          const names = new RegExp(`(^|[^A-Za-z])(${corruption.names.replace(/[.[\]]/g, "\\$&")})`);
          for (const [label, set] of [[kernels.name, kernels], ["reference", reference]] as const) {
            const outcome = call(set, m, args);
            if (!("error" in outcome)) {
              assert.fail(
                `${m.method} on ${label}: a call with a bad ${corruption.names} returned a result`,
              );
            }
            const e = outcome.error;
            assert.ok(
              e instanceof TypeError || e instanceof RangeError,
              `${m.method} on ${label}: threw ${e?.constructor?.name}: ${e?.message} (a TypeError or RangeError was expected)`,
            );
            assert.match(
              e.message,
              names,
              `${m.method} on ${label}: the error "${e.message}" does not name ${corruption.names}`,
            );
          }
        },
      ),
  }));
}
