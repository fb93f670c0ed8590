/**
 * `F.linear` in float32: accumulated in float64 and rounded once, so at least as accurate as
 * PyTorch's BLAS result but not bit-identical to it (float models never are across BLAS
 * libraries). Records its gradient on an active `GradTape`.
 * @module
 */
import { Tensor } from "../../reference/tensor.ts";
import { recordOp } from "../autograd.ts";
import { checkTensor, showShape } from "./_shape.ts";

/**
 * `F.linear(x, weight, bias)`: `y = x·Wᵀ + b` over the last dimension; `x` `[…, in]`,
 * `weight` `[out, in]`, `bias` `[out]` or null.
 * @throws {RangeError} when the shapes do not fit.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor("x", x);
  checkTensor("weight", weight);
  if (weight.shape.length !== 2) {
    throw new RangeError(`weight: expected shape [out, in], got ${showShape(weight.shape)}`);
  }
  const [n, k] = weight.shape;
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== k) {
    throw new RangeError(
      `x: mat1 and mat2 shapes cannot be multiplied: the last dimension of x ${
        showShape(x.shape)
      } must be in_features = ${k}`,
    );
  }
  if (bias !== null) {
    checkTensor("bias", bias);
    if (bias.size !== n) {
      throw new RangeError(
        `bias: expected ${n} values (out_features), got ${showShape(bias.shape)}`,
      );
    }
  }
  const m = x.size / k;
  const out = new Float32Array(m * n);
  const w = weight.data;
  const xd = x.data;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let acc = bias === null ? 0 : bias.data[j];
      for (let i = 0; i < k; i++) acc += xd[r * k + i] * w[j * k + i];
      out[r * n + j] = acc;
    }
  }
  const y = new Tensor(out, [...x.shape.slice(0, -1), n]);
  recordOp([x, weight, bias], y, (g, needs) => {
    let gx: Float64Array | null = null;
    let gw: Float64Array | null = null;
    let gb: Float64Array | null = null;
    if (needs[0]) {
      gx = new Float64Array(m * k);
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < n; j++) {
          const gj = g[r * n + j];
          if (gj === 0) continue;
          for (let i = 0; i < k; i++) gx[r * k + i] += gj * w[j * k + i];
        }
      }
    }
    if (needs[1]) {
      gw = new Float64Array(n * k);
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < n; j++) {
          const gj = g[r * n + j];
          if (gj === 0) continue;
          for (let i = 0; i < k; i++) gw[j * k + i] += gj * xd[r * k + i];
        }
      }
    }
    if (needs[2]) {
      gb = new Float64Array(n);
      for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) gb[j] += g[r * n + j];
    }
    return [gx, gw, gb];
  });
  return y;
}
