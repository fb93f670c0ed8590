"""Fake quantization cases, forward and backward, including the learnable LSQ ops
(docs/numerics/fake_quantize.md).

Ops (golden/README.md §Op catalog; the LSQ ops are additions):
- `fake_quantize_per_tensor_affine`: attrs `scale`, `zero_point`, `quant_min`, `quant_max`;
  inputs `x`, `dy`; outputs `y` and `dx` (x.grad after y.backward(dy)).
- `fake_quantize_per_channel_affine`: attrs `axis`, `quant_min`, `quant_max`; inputs `x`,
  `scale` f32, `zero_point` (int32, or float32 for PyTorch's float-zero-point path), `dy`;
  outputs `y`, `dx`.
- `fake_quantize_learnable_per_tensor_affine` / `fake_quantize_learnable_per_channel_affine`
  (torch._fake_quantize_learnable_*): attrs `quant_min`, `quant_max`, `grad_factor` (the double
  passed, computed as _LearnableFakeQuantize does) and, per channel, `axis`; inputs `x`,
  `scale` f32, `zero_point` f32, `dy`; outputs `y`, `dx`, `dscale`, `dzero_point` (the grads of
  x, scale and zero_point after y.backward(dy)).

Cases named `*/build-dependent*` hold NaN, ±inf and values whose code overflows the kernel's
integer conversion: there PyTorch builds disagree, and the suite reports deviations.

The scale and zero-point gradients of LSQ are reduced with torch.sum, whose order depends on the
shape and axis (and on the thread count: golden files are recorded single-threaded); the shapes
below cover each reduction path. The LSQ backward and float-zero-point kernels are compiled with
FMA contraction in the AVX2 kernels this build dispatches to; the values near rounding ties
below tell the FMA and non-FMA results apart.
"""
import numpy as np
import torch

from qgolden import GoldenFile, f32

RANGES = [(0, 255), (0, 127), (-128, 127), (-127, 127), (0, 15), (-20, 37), (5, 300)]
LSQ_RANGES = [(0, 255), (-128, 127), (0, 15), (-127, 127), (0, 127), (-20, 37)]


def nudged(v):
    """v and its two float32 neighbours."""
    v = np.float32(v)
    return [v, np.nextafter(v, np.float32(np.inf)), np.nextafter(v, np.float32(-np.inf))]


def tie_values(rng, scale, zp, qmin, qmax, count):
    """Float32 values at and next to rounding ties, the range edges and beyond (per tensor)."""
    inv = np.float32(1) / np.float32(scale)
    lo, hi = qmin - zp, qmax - zp  # codes relative to the zero point that are in range
    ks = np.unique(np.concatenate([rng.integers(lo - 2, hi + 3, count),
                                   [lo, hi, lo - 1, hi + 1, 0, -1]]))
    vals = []
    for k in ks:
        vals += nudged((k + 0.5) * scale)        # near (k+1/2)*scale
        vals += nudged((k + 0.5) / inv)          # so that x*inv lands on the tie if it can
        vals.append(np.float32(k * scale))
    vals += [np.float32(v) for v in (0.0, -0.0, 1e-40, -1e-40, scale * 1e6, -scale * 1e6,
                                     scale * 0.5, -scale * 0.5)]
    return np.array(vals, dtype=np.float32)


def float_zp_tie_values(rng, scale, zp, count):
    """Values with x*inv + zp near k + 1/2 for a float zero point: FMA and non-FMA differ here."""
    inv = np.float64(np.float32(1) / np.float32(scale))
    vals = []
    for k in rng.integers(-40, 300, count):
        vals += nudged((k + 0.5 - np.float64(zp)) / inv)
    return np.array(vals, dtype=np.float32)


def grad(x, dy, fn):
    """Runs fn on a leaf copy of x and back-propagates dy; returns (y, x.grad)."""
    xt = torch.from_numpy(np.ascontiguousarray(x)).clone().requires_grad_()
    y = fn(xt)
    y.backward(torch.from_numpy(np.ascontiguousarray(dy)))
    return y.detach(), xt.grad


def random_dy(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def per_tensor_cases(g, rng):
    scales = [1 / 3, 1e-5, 0.1, 2.0 ** -7, 1.0, None]
    i = 0
    for qmin, qmax in RANGES:
        zps = [qmin, qmax, int(rng.integers(qmin, qmax + 1))]
        for si, scale in enumerate(scales):
            scale = float(rng.uniform(1e-3, 2)) if scale is None else scale
            chosen = zps if scale in (1 / 3, 0.1) else [zps[(si + i) % 3]]
            for zp in chosen:
                x = np.concatenate([tie_values(rng, scale, zp, qmin, qmax, 8),
                                    (rng.standard_normal(16) * (qmax - qmin) * scale).astype(np.float32)])
                shape = [len(x)] if i % 4 else [2, len(x) // 2]
                x = x[: int(np.prod(shape))].reshape(shape)
                dy = random_dy(rng, shape)
                y, dx = grad(x, dy, lambda t: torch.fake_quantize_per_tensor_affine(t, scale, zp, qmin, qmax))
                g.add(f"fqpt/{qmin}_{qmax}/{i}", "fake_quantize_per_tensor_affine",
                      {"scale": scale, "zero_point": zp, "quant_min": qmin, "quant_max": qmax},
                      {"x": x, "dy": dy}, {"y": y, "dx": dx})
                i += 1
    # A scalar and an empty tensor.
    for x in (np.array(2.5, dtype=np.float32), np.zeros([0], dtype=np.float32)):
        dy = np.full(x.shape, -1.5, dtype=np.float32)
        y, dx = grad(x, dy, lambda t: torch.fake_quantize_per_tensor_affine(t, 0.5, 1, 0, 255))
        g.add(f"fqpt/shape{list(x.shape)}", "fake_quantize_per_tensor_affine",
              {"scale": 0.5, "zero_point": 1, "quant_min": 0, "quant_max": 255},
              {"x": x, "dy": dy}, {"y": y, "dx": dx})


def random_shape(rng, max_rank=4, max_dim=5):
    rank = int(rng.integers(1, max_rank + 1))
    return [int(rng.integers(1, max_dim + 1)) for _ in range(rank)]


def per_channel_cases(g, rng):
    for i in range(24):
        qmin, qmax = RANGES[i % len(RANGES)]
        float_zp = i % 3 == 2
        shape = random_shape(rng)
        axis = int(rng.integers(0, len(shape)))
        c = shape[axis]
        scale = rng.uniform(0.002, 0.5, c).astype(np.float32)
        if i % 4 == 0:
            scale[0] = np.float32(0.1)
        if float_zp:
            zp = rng.uniform(qmin - 5, qmax + 5, c).astype(np.float32)
            zp[: (c + 1) // 2] = np.round(zp[: (c + 1) // 2] * 2) / 2  # some half-integers
        else:
            zp = rng.integers(qmin, qmax + 1, c).astype(np.int32)
            zp[0] = qmin if i % 2 else qmax
        # Values per channel: ties of that channel's qparams, spread over its slice.
        bshape = [1] * len(shape)
        bshape[axis] = c
        x = (rng.standard_normal(shape) * (qmax - qmin) * 0.5 * scale.reshape(bshape)).astype(np.float32)
        moved = np.moveaxis(x, axis, 0)
        for ch in range(c):
            zc = float(zp[ch])
            pool = (float_zp_tie_values(rng, scale[ch], zc, 8) if float_zp
                    else tie_values(rng, scale[ch], int(zc), qmin, qmax, 3))
            flat = moved[ch].reshape(-1)
            flat[:] = rng.choice(pool, flat.size)
            moved[ch] = flat.reshape(moved[ch].shape)
        x = np.ascontiguousarray(np.moveaxis(moved, 0, axis))
        dy = random_dy(rng, shape)
        st, zt = torch.from_numpy(scale), torch.from_numpy(zp)
        y, dx = grad(x, dy, lambda t: torch.fake_quantize_per_channel_affine(t, st, zt, axis, qmin, qmax))
        kind = "float-zp" if float_zp else "int-zp"
        g.add(f"fqpc/{kind}/{i}", "fake_quantize_per_channel_affine",
              {"axis": axis, "quant_min": qmin, "quant_max": qmax},
              {"x": x, "scale": scale, "zero_point": zp, "dy": dy}, {"y": y, "dx": dx})
    # Larger per-channel tensors with many float-zero-point ties (where FMA rounding shows).
    for i, (shape, axis) in enumerate([([4, 64], 0), ([16, 3, 4], 1)]):
        c = shape[axis]
        scale = rng.uniform(0.01, 0.3, c).astype(np.float32)
        zp = rng.uniform(0, 255, c).astype(np.float32)
        moved = np.zeros([c] + [d for j, d in enumerate(shape) if j != axis], dtype=np.float32)
        for ch in range(c):
            moved[ch] = rng.choice(float_zp_tie_values(rng, scale[ch], float(zp[ch]), 30),
                                   moved[ch].shape)
        x = np.ascontiguousarray(np.moveaxis(moved, 0, axis))
        dy = random_dy(rng, shape)
        st, zt = torch.from_numpy(scale), torch.from_numpy(zp)
        y, dx = grad(x, dy, lambda t: torch.fake_quantize_per_channel_affine(t, st, zt, axis, 0, 255))
        g.add(f"fqpc/float-zp-ties/{i}", "fake_quantize_per_channel_affine",
              {"axis": axis, "quant_min": 0, "quant_max": 255},
              {"x": x, "scale": scale, "zero_point": zp, "dy": dy}, {"y": y, "dx": dx})


BUILD_DEPENDENT = [float("nan"), float("inf"), -float("inf"), 3e38, -3e38, 1e30, -1e30,
                   0.5, 1.5, -2.5, 100.0]


def build_dependent_cases(g, rng):
    """NaN, ±inf and codes beyond the kernel's integer conversion (PyTorch builds disagree)."""
    x = np.array(BUILD_DEPENDENT, dtype=np.float32)
    dy = random_dy(rng, x.shape)
    for scale, zp, qmin, qmax in ((1.0, 0, 0, 255), (0.1, 3, 0, 255), (1e-5, -128, -128, 127)):
        y, dx = grad(x, dy, lambda t: torch.fake_quantize_per_tensor_affine(t, scale, zp, qmin, qmax))
        g.add(f"fqpt/build-dependent/{qmin}_{qmax}_zp{zp}", "fake_quantize_per_tensor_affine",
              {"scale": scale, "zero_point": zp, "quant_min": qmin, "quant_max": qmax},
              {"x": x, "dy": dy}, {"y": y, "dx": dx})
    # Per channel: |code| of 3e9 fits int64 but not Windows' 32-bit `long` (float zero points).
    xc = np.stack([x, np.array([3e9, -3e9] + BUILD_DEPENDENT[2:], dtype=np.float32)])
    dyc = random_dy(rng, xc.shape)
    scale = np.array([1.0, 0.5], dtype=np.float32)
    for zp in (np.array([0, 7], dtype=np.int32), np.array([0.5, 7.25], dtype=np.float32)):
        st, zt = torch.from_numpy(scale), torch.from_numpy(zp)
        y, dx = grad(xc, dyc, lambda t: torch.fake_quantize_per_channel_affine(t, st, zt, 0, 0, 255))
        g.add(f"fqpc/build-dependent/{zp.dtype}", "fake_quantize_per_channel_affine",
              {"axis": 0, "quant_min": 0, "quant_max": 255},
              {"x": xc, "scale": scale, "zero_point": zp, "dy": dyc}, {"y": y, "dx": dx})
    # LSQ.
    s, z = torch.tensor([0.25]), torch.tensor([3.5])
    lsq_case(g, "lsqpt/build-dependent", x, dy, s, z, None, 0, 255, 1.0)
    s, z = torch.tensor([0.25, 1.0]), torch.tensor([3.5, -1.0])
    lsq_case(g, "lsqpc/build-dependent", xc, dyc, s, z, 0, -128, 127, 0.5)


def lsq_case(g, id, x, dy, scale, zero_point, axis, qmin, qmax, grad_factor):
    """Records one LSQ case; axis None is per tensor."""
    scale, zero_point = scale.float(), zero_point.float()
    xt = torch.from_numpy(np.ascontiguousarray(x)).clone().requires_grad_()
    st = scale.clone().requires_grad_()
    zt = zero_point.clone().requires_grad_()
    if axis is None:
        y = torch._fake_quantize_learnable_per_tensor_affine(xt, st, zt, qmin, qmax, grad_factor)
        op, attrs = "fake_quantize_learnable_per_tensor_affine", {}
    else:
        y = torch._fake_quantize_learnable_per_channel_affine(xt, st, zt, axis, qmin, qmax, grad_factor)
        op, attrs = "fake_quantize_learnable_per_channel_affine", {"axis": axis}
    y.backward(torch.from_numpy(np.ascontiguousarray(dy)))
    attrs.update({"quant_min": qmin, "quant_max": qmax, "grad_factor": grad_factor})
    g.add(id, op, attrs, {"x": x, "scale": scale, "zero_point": zero_point, "dy": dy},
          {"y": y.detach(), "dx": xt.grad, "dscale": st.grad, "dzero_point": zt.grad})


def lsq_values(rng, shape, scale, zp_forward, zp_backward, qmin, qmax):
    """Random values spanning the range and beyond, with ties for both zero-point roundings."""
    n = int(np.prod(shape))
    span = (qmax - qmin) * scale
    x = (rng.standard_normal(n) * span * 0.4 + (qmin + qmax) / 2 * scale - zp_forward * scale)
    x = x.astype(np.float32)
    inv = np.float64(np.float32(1) / np.float32(scale))
    k = rng.integers(qmin - 3, qmax + 4, n)
    ties = np.concatenate([np.float32((k + 0.5 - zp_backward) / inv),       # backward ties (FMA)
                           np.float32((k + 0.5) / inv),                     # forward ties
                           np.float32((k - zp_forward) * np.float64(scale))])
    pick = rng.random(n) < 0.5
    x[pick] = rng.choice(ties, int(pick.sum()))
    return x.reshape(shape)


def learnable_per_tensor_cases(g, rng):
    shapes = [[1], [3], [7], [8], [9], [2, 16], [31], [33], [4, 25], [257], [1000], [3, 683]]
    zps = [3.0, 2.5, -2.5, -2.7, 10.3, 127.5, 300.2, -5.0, 0.0, 255.0, 7.49999, 0.5]
    for i, shape in enumerate(shapes):
        qmin, qmax = LSQ_RANGES[i % len(LSQ_RANGES)]
        zp = np.float32(zps[i % len(zps)])
        scale = np.float32([rng.uniform(1e-3, 1), 1 / 3, 0.1, 1e-5][i % 4])
        zp_forward = min(max(float(np.rint(zp)), qmin), qmax)
        zp_backward = float(int(min(max(np.float32(zp + np.float32(0.5)), qmin), qmax)))
        x = lsq_values(rng, shape, float(scale), zp_forward, zp_backward, qmin, qmax)
        numel = int(np.prod(shape))
        grad_factor = 1.0 / (numel * qmax) ** 0.5 if i % 2 else 1.0
        lsq_case(g, f"lsqpt/{qmin}_{qmax}/{i}", x, random_dy(rng, shape), torch.tensor([scale]),
                 torch.tensor([zp]), None, qmin, qmax, grad_factor)
    # An empty input: PyTorch returns the scale and zero point themselves as their gradients.
    x = np.zeros([0], dtype=np.float32)
    lsq_case(g, "lsqpt/empty", x, x, torch.tensor([0.3]), torch.tensor([2.25]), None, 0, 255, 1.0)


def learnable_per_channel_cases(g, rng):
    # (shape, axis): each torch.sum path of the reduction over the other dims.
    layouts = [([4, 3, 5], 1),       # inner rows shorter than a vector, summed per outer index
               ([3, 6, 9], 1),       # vectorised inner rows
               ([8, 16], 0),         # one contiguous row per channel
               ([40, 3], 1),         # column sums, fewer than 8 columns: all row_sum
               ([40, 6], 1),         # 4 cascaded columns + 2 row_sum
               ([130, 9], 1),        # >= 8 columns: row_sum
               ([70, 33], 1),        # 32 cascaded columns + 1 row_sum
               ([2, 5, 3, 4], 2),
               ([300, 1, 5], 2),     # size-1 dims drop out; a 300-row cascade (two levels)
               ([5, 1], 1),          # one channel: a full reduction
               ([1, 7, 1, 3], 1),
               ([6, 4], 0)]
    for i, (shape, axis) in enumerate(layouts):
        qmin, qmax = LSQ_RANGES[i % len(LSQ_RANGES)]
        c = shape[axis]
        scale = rng.uniform(0.005, 0.5, c).astype(np.float32)
        zp = rng.uniform(qmin - 3, qmax + 3, c).astype(np.float32)
        zp[::2] = np.round(zp[::2] * 2) / 2  # half-integers
        zr = np.clip(np.rint(zp), qmin, qmax)
        moved_shape = [c] + [d for j, d in enumerate(shape) if j != axis]
        moved = np.zeros(moved_shape, dtype=np.float32)
        for ch in range(c):
            moved[ch] = lsq_values(rng, moved_shape[1:] or [1], float(scale[ch]), float(zr[ch]),
                                   float(zr[ch]), qmin, qmax).reshape(moved_shape[1:])
        x = np.ascontiguousarray(np.moveaxis(moved, 0, axis))
        numel = int(np.prod(shape))
        grad_factor = 1.0 / (numel * qmax) ** 0.5 if i % 2 else 1.0
        lsq_case(g, f"lsqpc/{qmin}_{qmax}/{i}", x, random_dy(rng, shape), torch.from_numpy(scale),
                 torch.from_numpy(zp), axis, qmin, qmax, grad_factor)
    x = np.zeros([0, 3], dtype=np.float32)
    lsq_case(g, "lsqpc/empty", x, x, torch.tensor([0.3, 0.2, 0.1]), torch.tensor([2.0, 3.5, -1.0]),
             1, -128, 127, 1.0)


def cpu_capability():
    """The kernels PyTorch dispatches to (the FMA contraction of the LSQ kernels depends on it)."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.strip(" -")
    return None


def generate(seed):
    g = GoldenFile("fake_quant", "scripts/golden/gen_fake_quant.py", seed, notes=cpu_capability())
    per_tensor_cases(g, g.rng)
    per_channel_cases(g, g.rng)
    build_dependent_cases(g, g.rng)
    learnable_per_tensor_cases(g, g.rng)
    learnable_per_channel_cases(g, g.rng)
    return [g]
