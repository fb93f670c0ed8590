/**
 * Folding an eval-mode BatchNorm into the convolution or linear layer before it, bit for bit as
 * PyTorch 1.13's `torch.nn.utils.fusion.fuse_conv_bn_weights` / `fuse_linear_bn_weights` compute
 * it (docs/numerics/fusion.md §Folding an eval-mode BatchNorm). Every step is one float32 tensor
 * op, rounded once:
 * - `r = rsqrt(f32(rv + f32(eps)))`, where PyTorch's CPU rsqrt is `f32(1 / f32(sqrt(v)))` (two
 *   roundings, not a correctly rounded reciprocal square root);
 * - conv: `w' = f32(w * f32(γ * r))` per output channel (dim 0, or dim 1 with `transpose`),
 *   `b' = f32(f32(f32(f32(b - rm) * r) * γ) + β)`;
 * - linear: `sc = f32(γ * r)`, `w' = f32(w * sc)` per row, `b' = f32(f32(f32(b - rm) * sc) + β)` —
 *   a different grouping from conv's, so the biases differ in the last bits.
 * A missing bias is zeros, a missing BN weight ones, a missing BN bias zeros (as PyTorch fills
 * them); the linear version needs the BN weight and bias (PyTorch 1.13 fails without them).
 * @module
 */
import { checkLength, checkOptions, checkTensor, optionalBoolean, show } from "./_check.ts";
import { f32 } from "./float32.ts";
import { Tensor } from "./tensor.ts";

/** The eval-mode BatchNorm a layer is fused with (PyTorch's `bn_rm`, `bn_rv`, `bn_eps`, …). */
export interface BatchNormParams {
  /** `running_mean`, one per channel. */
  bnRm: Tensor;
  /** `running_var`, one per channel. */
  bnRv: Tensor;
  /** `eps`, a double (PyTorch adds it to the float32 variance as float32). */
  bnEps: number;
}

/** Options of `fuseConvBnWeights`. */
export interface FuseConvBnOptions extends BatchNormParams {
  /** The BN `weight` (γ); `null` for `affine=False` (ones). */
  bnW: Tensor | null;
  /** The BN `bias` (β); `null` for `affine=False` (zeros). */
  bnB: Tensor | null;
  /** A transposed convolution (weights `[in, out/groups, …]`): scale along dim 1. Default false. */
  transpose?: boolean;
}

/** Options of `fuseLinearBnWeights`. */
export interface FuseLinearBnOptions extends BatchNormParams {
  /** The BN `weight` (γ). */
  bnW: Tensor;
  /** The BN `bias` (β). */
  bnB: Tensor;
}

/** Fused parameters. */
export interface FusedWeights {
  /** The fused weight, shaped like the layer's weight. */
  weight: Tensor;
  /** The fused bias, one per output channel. */
  bias: Tensor;
}

/** `torch.rsqrt` on CPU: `f32(1 / f32(sqrt(v)))`. */
function rsqrtF32(v: number): number {
  return f32(1 / f32(Math.sqrt(v)));
}

/** Checks an optional per-channel vector (`null` means absent). */
function checkVector(name: string, t: Tensor | null, channels: number): void {
  if (t === null) return;
  checkTensor(name, t);
  checkLength(name, t.data, channels);
}

function checkBn(o: BatchNormParams): number {
  checkOptions("options", o, "bnRm, bnRv, bnEps, bnW, bnB");
  checkTensor("bnRm", o.bnRm);
  const channels = o.bnRm.size;
  checkTensor("bnRv", o.bnRv);
  checkVector("bnRv", o.bnRv, channels);
  if (typeof o.bnEps !== "number" || !Number.isFinite(o.bnEps) || o.bnEps < 0) {
    throw new RangeError(`bnEps: must be a finite number >= 0, got ${show(o.bnEps)}`);
  }
  return channels;
}

/** `f32(rv + f32(eps))` then rsqrt, per channel. */
function invStd(bnRv: Tensor, bnEps: number): Float32Array {
  const eps = f32(bnEps);
  return Float32Array.from(bnRv.data, (v) => rsqrtF32(f32(v + eps)));
}

/**
 * `torch.nn.utils.fusion.fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b,
 * transpose)`: the weight and bias of the convolution that computes `bn(conv(x))` in eval mode.
 * @param convW the convolution weight, `[out, in/groups, k…]` (or `[in, out/groups, k…]` with
 * `transpose`), rank >= 2
 * @param convB the convolution bias, or `null`
 * @throws {RangeError} when a BN vector or the bias does not have one entry per output channel,
 * or the weight's channel dimension differs from it.
 * @example
 * ```ts
 * const { weight, bias } = fuseConvBnWeights(Tensor.from([2, 4], [2, 1]), null, {
 *   bnRm: Tensor.from([1, 0]), bnRv: Tensor.from([4, 1]), bnEps: 0,
 *   bnW: null, bnB: Tensor.from([0.5, 0]),
 * });
 * weight.data; // Float32Array [1, 4]  (2·1/√4, 4·1/√1)
 * bias.data;   // Float32Array [0, 0]  ((0−1)·½ + ½, 0)
 * ```
 */
export function fuseConvBnWeights(
  convW: Tensor,
  convB: Tensor | null,
  options: FuseConvBnOptions,
): FusedWeights {
  checkTensor("convW", convW);
  const channels = checkBn(options);
  const transpose = optionalBoolean("transpose", options.transpose, false);
  if (convW.shape.length < 2) {
    throw new RangeError(`convW: a convolution weight has rank >= 2, got shape [${convW.shape}]`);
  }
  const dim = transpose ? 1 : 0;
  if (convW.shape[dim] !== channels) {
    throw new RangeError(
      `convW: dim ${dim} of shape [${convW.shape}] must equal the ${channels} BN channels` +
        (transpose ? " (a grouped transposed convolution cannot be fused)" : ""),
    );
  }
  checkVector("convB", convB, channels);
  checkVector("bnW", options.bnW, channels);
  checkVector("bnB", options.bnB, channels);
  const r = invStd(options.bnRv, options.bnEps);
  const gamma = (c: number) => (options.bnW === null ? 1 : options.bnW.data[c]);
  const factor = Float32Array.from(r, (rc, c) => f32(gamma(c) * rc));
  // Element (i0, i1, rest) of a row-major weight: the channel is i0, or i1 when transposed.
  const d0 = convW.shape[0];
  const d1 = convW.shape[1];
  const rest = convW.size / (d0 * d1) || 0;
  const weight = new Float32Array(convW.size);
  for (let i = 0; i < convW.size; i++) {
    const c = transpose ? Math.floor(i / rest) % d1 : Math.floor(i / (d1 * rest));
    weight[i] = f32(convW.data[i] * factor[c]);
  }
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const b = convB === null ? 0 : convB.data[c];
    const beta = options.bnB === null ? 0 : options.bnB.data[c];
    bias[c] = f32(f32(f32(f32(b - options.bnRm.data[c]) * r[c]) * gamma(c)) + beta);
  }
  return { weight: new Tensor(weight, convW.shape), bias: new Tensor(bias) };
}

/**
 * `torch.nn.utils.fusion.fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w,
 * bn_b)`: the weight and bias of the linear layer that computes `bn(linear(x))` in eval mode.
 * @param linearW the weight `[out, in]`
 * @param linearB the bias, or `null`
 * @throws {RangeError} when the shapes do not match the BN channels.
 */
export function fuseLinearBnWeights(
  linearW: Tensor,
  linearB: Tensor | null,
  options: FuseLinearBnOptions,
): FusedWeights {
  checkTensor("linearW", linearW);
  const channels = checkBn(options);
  if (linearW.shape.length !== 2 || linearW.shape[0] !== channels) {
    throw new RangeError(
      `linearW: expected shape [${channels}, in] for ${channels} BN channels, got [${linearW.shape}]`,
    );
  }
  checkVector("linearB", linearB, channels);
  if (options.bnW === null || options.bnB === null) {
    throw new TypeError(
      `bnW/bnB: fuse_linear_bn_weights needs the BN weight and bias (PyTorch 1.13 fails with ` +
        `affine=False), got ${show(options.bnW === null ? "bnW null" : "bnB null")}`,
    );
  }
  checkVector("bnW", options.bnW, channels);
  checkVector("bnB", options.bnB, channels);
  const r = invStd(options.bnRv, options.bnEps);
  const scale = Float32Array.from(r, (rc, c) => f32(options.bnW.data[c] * rc));
  const inFeatures = linearW.shape[1];
  const weight = Float32Array.from(
    linearW.data,
    (w, i) => f32(w * scale[Math.floor(i / inFeatures)]),
  );
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const b = linearB === null ? 0 : linearB.data[c];
    bias[c] = f32(f32(f32(b - options.bnRm.data[c]) * scale[c]) + options.bnB.data[c]);
  }
  return { weight: new Tensor(weight, linearW.shape), bias: new Tensor(bias) };
}
