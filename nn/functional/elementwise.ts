/**
 * Elementwise float ops (`torch.relu`, `add`, `mul`, …) and reshapes, each one float32 op per
 * element as PyTorch computes it, recording its gradient on an active `GradTape`.
 * @module
 */
import { atenSigmoid, atenTanh } from "../../reference/aten_float.ts";
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { show } from "../_util.ts";
import {
  broadcastIndex,
  broadcastShapes,
  checkTensor,
  numel,
  reduceBroadcast,
  showShape,
} from "./_shape.ts";

const f32 = Math.fround;

/** `torch.relu(x)`: `x < 0 ? 0 : x` (NaN and −0 pass through, as in PyTorch). */
export function relu(x: Tensor): Tensor {
  checkTensor("x", x);
  const y = new Tensor(x.data.map((v) => (v < 0 ? 0 : v)), x.shape);
  // PyTorch's threshold_backward: the gradient passes where the output is > 0.
  recordOp([x], y, (g) => [g.map((gi, i) => (y.data[i] > 0 ? gi : 0))]);
  return y;
}

/**
 * `F.relu6(x)` (`hardtanh(x, 0, 6)`): NaN and −0 pass through; the gradient passes strictly
 * inside (0, 6), as `hardtanh_backward`.
 */
export function relu6(x: Tensor): Tensor {
  checkTensor("x", x);
  const y = new Tensor(x.data.map((v) => (v < 0 ? 0 : v > 6 ? 6 : v)), x.shape);
  recordOp([x], y, (g) => [g.map((gi, i) => (x.data[i] > 0 && x.data[i] < 6 ? gi : 0))]);
  return y;
}

/**
 * `torch.sigmoid(x)`, bit for bit as PyTorch 1.13's AVX2 CPU kernel on a contiguous tensor
 * (`reference/aten_float.ts`: SLEEF lanes for the first `floor(n/16)·16` elements, glibc for the
 * rest).
 */
export function sigmoid(x: Tensor): Tensor {
  checkTensor("x", x);
  const y = new Tensor(atenSigmoid(x.data), x.shape);
  recordOp([x], y, (g) => [g.map((gi, i) => gi * (1 - y.data[i]) * y.data[i])]);
  return y;
}

/** `torch.tanh(x)`, bit for bit as PyTorch 1.13's AVX2 CPU kernel (SLEEF on every element). */
export function tanh(x: Tensor): Tensor {
  checkTensor("x", x);
  const y = new Tensor(atenTanh(x.data), x.shape);
  recordOp([x], y, (g) => [g.map((gi, i) => gi * (1 - y.data[i] * y.data[i]))]);
  return y;
}

type Binary = "add" | "sub" | "mul" | "div";

function binary(op: Binary, a: Tensor, b: Tensor): Tensor {
  checkTensor(`${op}: a`, a);
  checkTensor(`${op}: b`, b);
  const shape = broadcastShapes(a.shape, b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const n = numel(shape);
  const out = new Float32Array(n);
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < n; i++) {
    const x = ad[ia[i]];
    const z = bd[ib[i]];
    out[i] = op === "add" ? x + z : op === "sub" ? x - z : op === "mul" ? x * z : x / z;
  }
  const y = new Tensor(out, shape);
  recordOp([a, b], y, (g, needs) => {
    let ga: Float64Array | null = null;
    let gb: Float64Array | null = null;
    if (needs[0]) {
      const d = op === "add" || op === "sub"
        ? g
        : g.map((gi, i) => (op === "mul" ? gi * bd[ib[i]] : gi / bd[ib[i]]));
      ga = reduceBroadcast(d, ia, a.size);
    }
    if (needs[1]) {
      const d = g.map((gi, i) => {
        if (op === "add") return gi;
        if (op === "sub") return -gi;
        if (op === "mul") return gi * ad[ia[i]];
        const z = bd[ib[i]];
        return -gi * ad[ia[i]] / (z * z);
      });
      gb = reduceBroadcast(d, ib, b.size);
    }
    return [ga, gb];
  });
  return y;
}

/** `torch.add(a, b)` with broadcasting: `f32(a + b)`. */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary("add", a, b);
}

/** `torch.sub(a, b)` with broadcasting: `f32(a − b)`. */
export function sub(a: Tensor, b: Tensor): Tensor {
  return binary("sub", a, b);
}

/** `torch.mul(a, b)` with broadcasting: `f32(a · b)`. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary("mul", a, b);
}

/** `torch.div(a, b)` with broadcasting: `f32(a / b)` (a true division). */
export function div(a: Tensor, b: Tensor): Tensor {
  return binary("div", a, b);
}

/** `torch.add(x, c)` for a Python scalar `c` (rounded to float32 first, as PyTorch does). */
export function addScalar(x: Tensor, c: number): Tensor {
  checkTensor("x", x);
  const s = f32(c);
  const y = new Tensor(x.data.map((v) => v + s), x.shape);
  recordOp([x], y, (g) => [g]);
  return y;
}

/** `torch.mul(x, c)` for a Python scalar `c` (rounded to float32 first). */
export function mulScalar(x: Tensor, c: number): Tensor {
  checkTensor("x", x);
  const s = f32(c);
  const y = new Tensor(x.data.map((v) => v * s), x.shape);
  recordOp([x], y, (g) => [g.map((gi) => gi * s)]);
  return y;
}

/** `torch.sqrt(x)` (correctly rounded, as the CPU kernel). */
export function sqrt(x: Tensor): Tensor {
  checkTensor("x", x);
  const y = new Tensor(x.data.map(Math.sqrt), x.shape);
  recordOp([x], y, (g) => [g.map((gi, i) => gi / (2 * y.data[i]))]);
  return y;
}

/**
 * `x.reshape(shape)` of a contiguous tensor: the same data (not copied) with another shape;
 * one dimension may be −1.
 * @throws {RangeError} when the element counts differ.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor("x", x);
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`shape: invalid shape ${show(shape)}`);
  }
  const rest = numel(known);
  const full = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d));
  if (numel(full) !== x.size || full.some((d) => !Number.isInteger(d))) {
    throw new RangeError(
      `shape: shape ${showShape(shape)} is invalid for input of size ${x.size}`,
    );
  }
  const y = new Tensor(x.data, full);
  recordOp([x], y, (g) => [g]);
  return y;
}

/**
 * `torch.flatten(x, startDim, endDim)`: merges dimensions `startDim..endDim` (negative counts
 * from the end); the data is shared. A scalar becomes `[1]`.
 * @throws {RangeError} for dimensions out of range or in the wrong order.
 */
export function flatten(x: Tensor, options: { startDim?: number; endDim?: number } = {}): Tensor {
  checkTensor("x", x);
  const shape = flattenShape(x.shape, options.startDim ?? 0, options.endDim ?? -1);
  return reshape(x, shape);
}

/** The shape `torch.flatten(startDim, endDim)` gives. */
export function flattenShape(shape: readonly number[], startDim: number, endDim: number): number[] {
  const rank = shape.length;
  if (rank === 0) return [1];
  const norm = (name: string, v: number) => {
    const n = v < 0 ? v + rank : v;
    if (!Number.isInteger(v) || n < 0 || n >= rank) {
      throw new RangeError(
        `${name}: Dimension out of range (expected to be in range of [${-rank}, ${
          rank - 1
        }], but got ${show(v)})`,
      );
    }
    return n;
  };
  const s = norm("startDim", startDim);
  const e = norm("endDim", endDim);
  if (s > e) {
    throw new RangeError(
      `startDim: flatten() has invalid args: start_dim (${s}) cannot come after end_dim (${e})`,
    );
  }
  return [...shape.slice(0, s), numel(shape.slice(s, e + 1)), ...shape.slice(e + 1)];
}

/**
 * `torch.cat(tensors, dim)`: tensors of equal rank whose shapes agree except along `dim`.
 * @throws {RangeError} for an empty list, a bad `dim` or mismatched shapes.
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new RangeError(`tensors: torch.cat() expected a non-empty list of Tensors`);
  }
  tensors.forEach((t, i) => checkTensor(`tensors[${i}]`, t));
  const rank = tensors[0].shape.length;
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(dim) || d < 0 || d >= rank) {
    throw new RangeError(`dim: ${show(dim)} is out of range for tensors of rank ${rank}`);
  }
  const base = tensors[0].shape;
  for (let i = 0; i < tensors.length; i++) {
    const t: Tensor = tensors[i];
    if (
      t.shape.length !== rank || t.shape.some((s: number, k: number) => k !== d && s !== base[k])
    ) {
      throw new RangeError(
        `tensors[${i}]: sizes of tensors must match except in dimension ${d}: expected ` +
          `${showShape(base)} but got ${showShape(t.shape)}`,
      );
    }
  }
  const outer = numel(base.slice(0, d));
  const inner = numel(base.slice(d + 1));
  const total = tensors.reduce((s, t) => s + t.shape[d], 0);
  const out = new Float32Array(outer * total * inner);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    const len = t.shape[d] * inner;
    for (let o = 0; o < outer; o++) {
      out.set(t.data.subarray(o * len, o * len + len), o * total * inner + offset);
    }
    offset += len;
  }
  const y = new Tensor(out, [...base.slice(0, d), total, ...base.slice(d + 1)]);
  recordOp(tensors, y, (g, needs) =>
    tensors.map((t, k) => {
      if (!needs[k]) return null;
      const len = t.shape[d] * inner;
      const gt = new Float64Array(t.size);
      for (let o = 0; o < outer; o++) {
        gt.set(
          g.subarray(o * total * inner + offsets[k], o * total * inner + offsets[k] + len),
          o * len,
        );
      }
      return gt;
    }));
  return y;
}
