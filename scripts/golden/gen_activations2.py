"""Quantized leaky_relu, hardtanh, clamp, elu, hardsigmoid and batch_norm2d (with and without
ReLU), and their float32 counterparts.

Recorded single-threaded under the qnnpack and onednn engines. On this x86 machine every one of
these ops runs ATen's AVX2 kernels under both engines, except hardtanh/clamp and hardsigmoid of
quint8 tensors under qnnpack (QNNPACK's clamp operator and its hardsigmoid lookup table). In
ATen's kernels the first floor(n/64)*64 elements are vector lanes (FMA dequantize, vector
quantize) and the rest a scalar tail; batch norm splits each pixel's channels instead (32-channel
vectors, then 8-channel vectors, then scalar channels). Sizes, channel counts and qparams are
chosen around those splits and around rounding ties, where the paths differ.

Each output file draws its cases from its own random stream (`GoldenFile.rng`), so adding cases
to one file leaves the others unchanged.

Ops (int8 inputs mean qint8, uint8 quint8; float attributes hold the exact double PyTorch was
given):

- quantized_leaky_relu: attrs negative_slope, x_scale, x_zero_point, y_scale, y_zero_point;
  input x; output y (torch.ops.quantized.leaky_relu(x, negative_slope, False, y_scale,
  y_zero_point)).
- quantized_hardtanh: attrs min_val, max_val, x_scale, x_zero_point; input x; output y, with x's
  qparams (torch.ao.nn.quantized.functional.hardtanh).
- quantized_clamp: attrs min, max, x_scale, x_zero_point; input x; output y (torch.clamp).
- quantized_elu: attrs alpha, x_scale, x_zero_point, y_scale, y_zero_point; input x; output y
  (torch.ops.quantized.elu(x, y_scale, y_zero_point, alpha)).
- quantized_hardsigmoid: attrs x_scale, x_zero_point; input x; outputs y, y_scale (float64
  scalar), y_zero_point (int64 scalar): the fixed output qparams PyTorch picks
  (torch.ao.nn.quantized.functional.hardsigmoid).
- quantized_batch_norm2d: attrs eps, relu, x_scale, x_zero_point, y_scale, y_zero_point; inputs
  x (NCHW), weight, bias, mean, var (float32 [C]); output y (NCHW)
  (torch.ops.quantized.batch_norm2d, or batch_norm2d_relu when relu is true).

Float32 counterparts (activations2_fp32.json, engine-independent; input x float32, output y
float32; sizes around the 16-float vector step of cpu_kernel_vec, special values included):

- leaky_relu (negative_slope): torch.nn.functional.leaky_relu.
- hardtanh (min_val, max_val): torch.nn.functional.hardtanh.
- clamp (min, max): torch.clamp.
- elu (alpha): torch.nn.functional.elu.
- hardsigmoid: torch.nn.functional.hardsigmoid.
- batch_norm2d (eps; inputs x NCHW, weight, bias, mean, var): torch.nn.functional.batch_norm
  with the running statistics (eval mode).
"""
import ctypes
import ctypes.util

import numpy as np
import torch
import torch.ao.nn.quantized.functional as qF

from gen_elementwise import DECIMAL_SCALES, qtensor, rand_codes, rand_scale, rand_zp
from qgolden import GoldenFile, quiet_stderr

GENERATOR = "scripts/golden/gen_activations2.py"
ENGINES = ["qnnpack", "onednn"]
# Around the 64-element vector step of ATen's AVX2 kernels (and 128, AVX-512's).
SIZES = [1, 7, 31, 63, 64, 65, 100, 127, 128, 129, 191, 192, 255, 256, 257, 319, 320]
SHAPES = [[2, 3, 4, 5], [1, 8, 7, 7], [3, 33], [2, 2, 64], [4, 64]]
TINY_SCALES = [1e-6, 3e-9, 1e-30]
HUGE_SCALES = [8.0, 100.0, 1e4]


def dtype_range(dtype):
    return (0, 255) if dtype == np.uint8 else (-128, 127)


def unary_scale(rng, i):
    """An input or output scale: mostly decimal (tie-prone), sometimes tiny or huge."""
    pick = i % 10
    if pick == 7:
        return float(rng.choice(TINY_SCALES))
    if pick == 8:
        return float(rng.choice(HUGE_SCALES))
    return rand_scale(rng)


def unary_input(rng, i, dtype, scale=None):
    """A quantized input whose size straddles the vector split; every code once from 256 on."""
    shape = SHAPES[(i // 5) % len(SHAPES)] if i % 5 == 0 else [SIZES[i % len(SIZES)]]
    n = int(np.prod(shape))
    lo, hi = dtype_range(dtype)
    if n >= 256:
        codes = np.concatenate([rng.permutation(256) + lo, rng.integers(lo, hi + 1, n - 256)])
    elif i % 7 == 3:
        codes = rand_codes(rng, n, dtype, kind="extreme")
    else:
        codes = rng.integers(lo, hi + 1, n)
    s = unary_scale(rng, i) if scale is None else scale
    z = rand_zp(rng, dtype)
    return qtensor(codes.astype(dtype).reshape(shape), s, z), s, z


def case_dtype(i):
    return np.int8 if i % 6 == 5 else np.uint8


def output_qparams(rng, i, s, dtype):
    """Output qparams: often the input scale or twice it (many results land on ties)."""
    pick = i % 4
    if pick == 1:
        so = s
    elif pick == 2:
        so = 2 * s
    else:
        so = unary_scale(rng, i + 3)
    return so, rand_zp(rng, dtype)


def fixed_qparams_outputs(y):
    return {"y": y, "y_scale": torch.tensor(y.q_scale(), dtype=torch.float64),
            "y_zero_point": torch.tensor(y.q_zero_point(), dtype=torch.int64)}


# --------------------------------------------------------------------------- leaky_relu, elu

SLOPES = [0.01, 0.1, 0.2, 0.5, 0.0, -0.5, -1.0, 1.0, 2.0, 3.3, 1e3, -1e3, 1e6, -1e6]
ALPHAS = [1.0, 0.5, 0.1, 0.0, -1.0, 2.0, 10.0, 1e3, -1e3]


def wrap_case(rng, dtype):
    """x below its zero point, a large negative slope, a small output scale and an output zero
    point >= 128: the vector lanes' int32 add wraps (PyTorch gives 0 there, the scalar tail 255)."""
    lo, hi = dtype_range(dtype)
    z = int(rng.integers(lo + 100, hi + 1))
    codes = rng.integers(lo, z, 100).astype(dtype)
    s = rand_scale(rng)
    return qtensor(codes, s, z), s, z, 1e-3, hi if dtype == np.int8 else int(rng.integers(128, 256))


# The requantizing ops: their parameter's golden name, typical values, a uniform range, the call.
REQUANTIZING = {
    "quantized_leaky_relu": (
        "negative_slope", SLOPES, (-2, 2),
        lambda x, p, so, zo: torch.ops.quantized.leaky_relu(x, p, False, so, zo)),
    "quantized_elu": ("alpha", ALPHAS, (-2, 3),
                      lambda x, p, so, zo: torch.ops.quantized.elu(x, so, zo, p)),
}


def requantizing_cases(g, rng, engine, op, count):
    attr, typical, (lo, hi), call = REQUANTIZING[op]
    for i in range(count):
        dtype = case_dtype(i)
        x, s, z = unary_input(rng, i, dtype)
        so, zo = output_qparams(rng, i, s, dtype)
        p = float(rng.choice(typical)) if i % 3 else float(rng.uniform(lo, hi))
        if i % 11 == 10:
            x, s, z, so, zo = wrap_case(rng, dtype)
            p = float(rng.choice([-1e6, -1e9]))
        g.add(f"{op[10:]}/{engine}/{i}-n{x.numel()}", op,
              {attr: p, "x_scale": s, "x_zero_point": z, "y_scale": so, "y_zero_point": zo},
              {"x": x}, {"y": call(x, p, so, zo)}, engine=engine)


def libm_expf():
    """glibc's expf (what ATen's scalar tail calls), to find tie-prone ELU parameters."""
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.expf.restype, libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
    return libm.expf


def elu_alpha_input(rng, expf):
    """A 63-element (all scalar-tail) input, alpha and output qparams where rounding alpha to
    float changes some codes: only PyTorch's `Scalar::to<float>(alpha)` gets them right."""
    while True:
        s, z = rand_scale(rng), int(rng.integers(128, 256))
        so, zo = rand_scale(rng), int(rng.integers(0, 256))
        alpha = float(rng.uniform(0.2, 3))
        codes = np.arange(0, z)
        e = np.array([np.float32(expf(float(np.float32(s) * np.float32(q - z)))) - np.float32(1)
                      for q in codes], np.float32)
        inv = np.float32(1 / np.float32(so))
        exact = np.rint((e * np.float32(alpha)) * inv)
        double = np.rint((e.astype(np.float64) * alpha).astype(np.float32) * inv)
        differ = codes[exact != double]
        if len(differ):
            picked = rng.choice(np.arange(256), 63)
            picked[:min(63, len(differ))] = differ[:63]
            return qtensor(picked.astype(np.uint8), s, z), s, z, so, zo, alpha


def elu_cases(g, rng, engine, count):
    expf = libm_expf()
    for i in range(2):
        x, s, z, so, zo, alpha = elu_alpha_input(rng, expf)
        g.add(f"elu/{engine}/alpha-float-{i}", "quantized_elu",
              {"alpha": alpha, "x_scale": s, "x_zero_point": z, "y_scale": so, "y_zero_point": zo},
              {"x": x}, {"y": torch.ops.quantized.elu(x, so, zo, alpha)}, engine=engine)
    requantizing_cases(g, rng, engine, "quantized_elu", count)


# --------------------------------------------------------------------------- hardtanh, clamp

def clamp_bounds(rng, i, s, z, dtype):
    """(min, max): in range, on half-code ties, beyond the codes, beyond int64 once divided by
    the scale (PyTorch's x86 quantize_val then gives the lowest code), equal, or crossed."""
    lo, hi = dtype_range(dtype)
    pick = i % 9
    if pick == 0:
        return -1.0, 1.0
    if pick == 1:
        return 0.0, 6.0
    if pick == 2:  # half-code ties: quantize_val rounds them to even
        a, b = sorted(int(v) for v in rng.integers(lo - z, hi - z + 1, 2))
        return s * (a + 0.5), s * (b + 0.5)
    if pick == 3:
        return float(rng.choice([-1e3, -1e6])), float(rng.choice([1e3, 1e6]))
    if pick == 4:
        return -1e30, float(rng.choice([1e30, 3e38, 5.0]))
    if pick == 5:
        v = float(s * rng.integers(lo - z, hi - z + 1))
        return v, v
    if pick == 6:  # crossed: every element becomes max's code (an error under QNNPACK)
        a, b = sorted(float(v) for v in s * rng.uniform(lo - z, hi - z, 2))
        return b, a
    a, b = sorted(float(v) for v in s * rng.uniform(lo - z - 20, hi - z + 20, 2))
    return a, b


def clamp_cases(g, rng, engine, op, count):
    names = ("min_val", "max_val") if op == "quantized_hardtanh" else ("min", "max")
    fn = qF.hardtanh if op == "quantized_hardtanh" else torch.clamp
    i = 0
    while i < count:
        dtype = case_dtype(i)
        x, s, z = unary_input(rng, i, dtype)
        lo_v, hi_v = clamp_bounds(rng, i, s, z, dtype)
        try:
            with quiet_stderr():
                y = fn(x, lo_v, hi_v)
        except RuntimeError:
            continue  # QNNPACK refuses a crossed range: draw another case
        g.add(f"{op[10:]}/{engine}/{i}-n{x.numel()}", op,
              {names[0]: lo_v, names[1]: hi_v, "x_scale": s, "x_zero_point": z},
              {"x": x}, {"y": y}, engine=engine)
        i += 1


# --------------------------------------------------------------------------- hardsigmoid

def hardsigmoid_codes(s, z, codes, vector):
    """ATen's quantized hardsigmoid of `codes` (float32 numpy emulation): the vector lanes'
    dequantize is one FMA, exact here in double before its single rounding."""
    s32 = np.float32(s)
    q = codes.astype(np.float64)
    if vector:
        x = (np.float64(s32) * q + np.float64(s32 * np.float32(-z))).astype(np.float32)
    else:
        x = (s32 * (codes.astype(np.int32) - z).astype(np.float32)).astype(np.float32)
    h = np.minimum(np.maximum(x + np.float32(3), np.float32(0)), np.float32(6)) / np.float32(6)
    return np.rint(h.astype(np.float32) * np.float32(256))


def hardsigmoid_split_input(rng, dtype):
    """A scale, zero point and codes where ATen's vector lanes and scalar tail round apart: the
    codes sit both in the first 64 elements and in the tail of a 100-element input."""
    lo, hi = dtype_range(dtype)
    codes = np.arange(lo, hi + 1)
    while True:
        s = float(np.float32(rng.uniform(0.01, 0.1)))
        for z in rng.permutation(np.arange(lo, hi + 1))[:64]:
            vector = hardsigmoid_codes(s, z, codes, True)
            differ = codes[vector != hardsigmoid_codes(s, z, codes, False)]
            if len(differ):
                picked = rng.choice(differ, 100)
                picked[64:64 + min(36, len(differ))] = differ[:36]
                return qtensor(picked.astype(dtype), s, int(z)), s, int(z)


def hardsigmoid_cases(g, rng, engine, count):
    for i, dtype in enumerate([np.uint8, np.int8]):
        x, s, z = hardsigmoid_split_input(rng, dtype)
        g.add(f"hardsigmoid/{engine}/split-{i}", "quantized_hardsigmoid",
              {"x_scale": s, "x_zero_point": z}, {"x": x},
              fixed_qparams_outputs(qF.hardsigmoid(x)), engine=engine)
    for i in range(count):
        dtype = case_dtype(i)
        scale = None
        if i % 8 == 2:  # exact steps of 1/256 in the output: many ties
            scale = float(rng.choice([3 / 128, 3 / 64, 3 / 256, 0.75 / 64]))
        elif i % 8 == 6 and (engine != "qnnpack" or dtype == np.int8):
            scale = 1e-40  # subnormal in float32: QNNPACK refuses it, ATen does not
        x, s, z = unary_input(rng, i, dtype, scale)
        g.add(f"hardsigmoid/{engine}/{i}-n{x.numel()}", "quantized_hardsigmoid",
              {"x_scale": s, "x_zero_point": z}, {"x": x},
              fixed_qparams_outputs(qF.hardsigmoid(x)), engine=engine)


# --------------------------------------------------------------------------- batch_norm2d

CHANNELS = [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 39, 40, 41, 47, 63, 64, 65, 70]


def bn_params(rng, c, i):
    """Per-channel weight, bias, mean, var with extremes in some channels."""
    w = rng.standard_normal(c).astype(np.float32)
    b = (rng.standard_normal(c) * 2).astype(np.float32)
    m = rng.standard_normal(c).astype(np.float32)
    v = rng.uniform(0, 3, c).astype(np.float32)
    if i % 2:
        k = max(1, c // 4)
        idx = rng.choice(c, min(c, 4 * k), replace=False)
        w[idx[:k]] = rng.choice([0.0, -0.0, 1e3, -1e3, 1e-6], k)
        b[idx[k:2 * k]] = rng.choice([0.0, 1e2, -1e2, 1e6], k)
        m[idx[2 * k:3 * k]] = rng.choice([0.0, 1e2, -1e2], k)
        v[idx[3 * k:4 * k]] = rng.choice([0.0, 1e-12, 1e4, 1.0], k)
    return w, b, m, v


def add_batch_norm(g, engine, name, x, params, eps, so, zo, relu):
    """Records torch.ops.quantized.batch_norm2d (or batch_norm2d_relu) of x with per-channel
    (weight, bias, mean, var) `params`, as case `batch_norm2d/<engine>/<name>[-relu]`."""
    weight, bias, mean, var = params
    fn = torch.ops.quantized.batch_norm2d_relu if relu else torch.ops.quantized.batch_norm2d
    y = fn(x, torch.from_numpy(weight), torch.from_numpy(bias), torch.from_numpy(mean),
           torch.from_numpy(var), eps, so, zo)
    g.add(f"batch_norm2d/{engine}/{name}{'-relu' if relu else ''}", "quantized_batch_norm2d",
          {"eps": eps, "relu": relu, "x_scale": x.q_scale(), "x_zero_point": x.q_zero_point(),
           "y_scale": so, "y_zero_point": zo},
          {"x": x, "weight": weight, "bias": bias, "mean": mean, "var": var}, {"y": y},
          engine=engine)


def batch_norm_overflow_cases(g, rng, engine):
    """Channel counts that use every path (32-, 8-channel vectors, scalar channels) with alpha
    past int32 and int64 (var 0 with a tiny eps) or infinite (var 0, eps 0): there the vector
    lanes' wrapping int32 add and the scalar channels' INT64_MIN lrintf give different codes."""
    for i, (c, dtype, eps) in enumerate([(24, np.uint8, 1e-30), (40, np.uint8, 0.0),
                                         (70, np.int8, 1e-30), (47, np.int8, 0.0),
                                         (41, np.uint8, 1e-20), (15, np.int8, 1e-30)]):
        lo, hi = dtype_range(dtype)
        weight, bias, mean, _ = bn_params(rng, c, 1)
        weight[:3] = [1e3, -1e3, 0.0][:min(3, c)]
        var = np.zeros(c, np.float32)
        x = qtensor(rng.integers(lo, hi + 1, (2, c, 2, 2)).astype(dtype), rand_scale(rng),
                    int(rng.integers(lo, hi + 1)))
        so = rand_scale(rng)
        zo = int(rng.choice([lo, hi, 0, -5 if dtype == np.int8 else 200]))
        relu = i % 2 == 1
        add_batch_norm(g, engine, f"overflow-{i}-c{c}", x, (weight, bias, mean, var), eps, so, zo,
                       relu)


def bn_codes(params, eps, si, so, zo, d, variant=""):
    """Emulates quantized batch norm of the differences `d = q - zp` for one channel in numpy
    (float32 arithmetic, double where PyTorch uses double). `variant` names a plausible mistake:
    `plain` (no FMA), `float_ratio` (x_scale / y_scale in float), `float_div` (beta / y_scale in
    float). It only selects tie-prone parameters; the recorded values come from PyTorch."""
    f32 = np.float32
    w, b, m, v = (f32(p) for p in params)
    inv = f32(1.0 / np.float64(np.sqrt(f32(v + f32(eps)))))
    ratio = f32(si / so) if variant == "float_ratio" else si / so
    alpha = f32(np.float64(f32(inv * w)) * np.float64(ratio))
    shifted = f32(b - f32(f32(m * inv) * w))
    beta = f32(shifted / f32(so)) if variant == "float_div" else f32(np.float64(shifted) / so)
    d = d.astype(np.float64)
    if variant == "plain":
        y = (alpha * d.astype(np.float32)).astype(np.float32) + beta
    else:
        y = (np.float64(alpha) * d + np.float64(beta)).astype(np.float32)
    return zo + np.rint(y)


NICE = [0.5, 1.5, 0.25, 0.75, 1.0, 2.0, 0.1, 0.3, 1 / 3, 0.2, 3.0]


def batch_norm_tie_cases(g, rng, engine):
    """Channels whose parameters put some outputs on a rounding tie that the FMA, the double
    scale ratio and the double division each decide (found with `bn_codes`), in channel counts
    that place them on the scalar channels (C < 8, and 45 = 32 + 8 + 5) and the vector ones."""
    for i, c in enumerate([3, 5, 7, 45, 40, 6]):
        si, so = float(rng.choice(DECIMAL_SCALES)), float(rng.choice(DECIMAL_SCALES))
        zi, zo = int(rng.integers(0, 256)), int(rng.integers(20, 236))
        eps = float(rng.choice([0.0, 1e-5]))
        d_all = np.arange(-zi, 256 - zi)
        channels, codes = [], []
        while len(channels) < c:
            params = [float(rng.choice(NICE)) * float(rng.choice([1, -1])), float(rng.choice(NICE)),
                      float(rng.choice(NICE + [0.0])), float(rng.choice([1.0, 0.25, 4.0, 0.5]))]
            exact = bn_codes(params, eps, si, so, zo, d_all)
            differ = set()
            for variant in ("plain", "float_ratio", "float_div"):
                differ |= set(d_all[bn_codes(params, eps, si, so, zo, d_all, variant) != exact])
            if not differ and rng.random() < 0.9:
                continue
            channels.append(params)
            picked = rng.choice(d_all, 16) + zi
            chosen = sorted(differ)[:16]
            picked[:len(chosen)] = np.array(chosen) + zi
            codes.append(picked)
        weight, bias, mean, var = (np.array(col, np.float32) for col in zip(*channels))
        x = qtensor(np.stack(codes, 1).reshape(2, 2, 4, c).transpose(0, 3, 1, 2).astype(np.uint8),
                    si, zi)
        relu = i % 2 == 1
        add_batch_norm(g, engine, f"ties-{i}-c{c}", x, (weight, bias, mean, var), eps, so, zo,
                       relu)


def batch_norm_cases(g, rng, engine, count):
    batch_norm_overflow_cases(g, rng, engine)
    batch_norm_tie_cases(g, rng, engine)
    for i in range(count):
        dtype = np.int8 if i % 9 == 4 else np.uint8
        c = CHANNELS[i % len(CHANNELS)] if i % 4 else int(rng.integers(1, 71))
        n, h, w_ = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        weight, bias, mean, var = bn_params(rng, c, i)
        eps = float(rng.choice([1e-5, 1e-5, 1e-3, 0.1]))
        tag = ""
        if i % 10 == 3:  # var 0 and a tiny eps: alpha near 1e15, past int32 and int64
            var[:] = 0
            eps, tag = float(rng.choice([1e-30, 1e-20])), "-tiny-eps"
        elif i % 10 == 7:  # var 1, eps 0: alpha is weight * x_scale / y_scale exactly
            var[:] = 1
            eps, tag = 0.0, "-unit-var"
        elif i % 20 == 9:  # var 0 and eps 0: infinite alpha, NaN where x equals its zero point
            var[:] = 0
            eps, tag = 0.0, "-zero-var-eps"
        lo, hi = dtype_range(dtype)
        codes = rng.integers(lo, hi + 1, (n, c, h, w_)).astype(dtype)
        if i % 6 == 5:
            codes = rand_codes(rng, (n, c, h, w_), dtype, kind="extreme")
        s, z = rand_scale(rng), rand_zp(rng, dtype)
        so, zo = (s, rand_zp(rng, dtype)) if i % 5 == 1 else (rand_scale(rng), rand_zp(rng, dtype))
        relu = i % 2 == 0
        x = qtensor(codes, s, z)
        add_batch_norm(g, engine, f"{i}-c{c}{tag}", x, (weight, bias, mean, var), eps, so, zo,
                       relu)


# --------------------------------------------------------------------------- wide ranges

def log_uniform(rng, lo, hi):
    return float(10 ** rng.uniform(np.log10(lo), np.log10(hi)))


def wide_value(rng):
    """A parameter or bound of either sign, from 1e-4 to 1e8 in magnitude (or a small one)."""
    if rng.random() < 0.3:
        return float(rng.uniform(-3, 3))
    return float(rng.choice([-1, 1])) * log_uniform(rng, 1e-4, 1e8)


def wide_qparams(rng, dtype):
    lo, hi = dtype_range(dtype)
    return log_uniform(rng, 1e-8, 1e4), int(rng.integers(lo, hi + 1))


def wide_unary_cases(g, rng, engine, count):
    """Every unary op on one input with scales from 1e-8 to 1e4, any zero point, parameters and
    bounds of either sign up to 1e8, and any size up to 900."""
    for i in range(count):
        dtype = np.int8 if i % 3 == 2 else np.uint8
        lo, hi = dtype_range(dtype)
        n = int(rng.integers(1, 700))
        shape = [n] if i % 2 else [int(rng.integers(1, 4)), int(rng.integers(1, 300))]
        s, z = wide_qparams(rng, dtype)
        x = qtensor(rng.integers(lo, hi + 1, shape).astype(dtype), s, z)
        so, zo = wide_qparams(rng, dtype)
        base = {"x_scale": s, "x_zero_point": z}
        for op, (attr, _, _, call) in REQUANTIZING.items():
            p = wide_value(rng)
            g.add(f"{op[10:]}/{engine}/wide-{i}", op,
                  {attr: p, **base, "y_scale": so, "y_zero_point": zo}, {"x": x},
                  {"y": call(x, p, so, zo)}, engine=engine)
        bounds = wide_value(rng), wide_value(rng)
        for op, names, fn in (("quantized_clamp", ("min", "max"), torch.clamp),
                              ("quantized_hardtanh", ("min_val", "max_val"), qF.hardtanh)):
            try:
                with quiet_stderr():
                    y = fn(x, *bounds)
            except RuntimeError:
                continue  # QNNPACK refuses crossed codes
            g.add(f"{op[10:]}/{engine}/wide-{i}", op, {**dict(zip(names, bounds)), **base},
                  {"x": x}, {"y": y}, engine=engine)
        g.add(f"hardsigmoid/{engine}/wide-{i}", "quantized_hardsigmoid", base, {"x": x},
              fixed_qparams_outputs(qF.hardsigmoid(x)), engine=engine)


def wide_batch_norm_cases(g, rng, engine, count):
    """Batch norm with per-channel parameters spread over six decades, variances from 1e-8 to 1e4,
    eps from 1e-12 to 0.1 and scales from 1e-8 to 1e4."""
    for i in range(count):
        dtype = np.int8 if i % 3 == 2 else np.uint8
        lo, hi = dtype_range(dtype)
        c = int(rng.integers(1, 100))
        n, h, w_ = (int(v) for v in rng.integers(1, 4, 3))
        s, z = wide_qparams(rng, dtype)
        x = qtensor(rng.integers(lo, hi + 1, (n, c, h, w_)).astype(dtype), s, z)
        spread = lambda: (rng.standard_normal(c) * 10 ** rng.uniform(-3, 3, c)).astype(np.float32)
        weight, bias, mean = spread(), spread(), spread()
        var = (10 ** rng.uniform(-8, 4, c)).astype(np.float32)
        so, zo = wide_qparams(rng, dtype)
        add_batch_norm(g, engine, f"wide-{i}-c{c}", x, (weight, bias, mean, var),
                       log_uniform(rng, 1e-12, 0.1), so, zo, i % 2 == 0)


# --------------------------------------------------------------------------- float32

FP32_SIZES = [1, 7, 15, 16, 17, 31, 32, 33, 47, 64, 100]
SPECIALS = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), -3.0, 3.0, 1e-40, -1e-40,
            1e30, -1e30, 6.0, -1.0, 1.0]


def fp32_input(rng, i):
    n = FP32_SIZES[i % len(FP32_SIZES)]
    x = (rng.standard_normal(n) * float(rng.choice([1.0, 3.0, 10.0]))).astype(np.float32)
    k = int(rng.integers(0, n // 3 + 1))
    x[rng.choice(n, k, replace=False)] = rng.choice(SPECIALS, k)
    return torch.from_numpy(x)


def fp32_cases(g, rng, count):
    F = torch.nn.functional
    for i in range(count):
        x = fp32_input(rng, i)
        slope = float(rng.choice(SLOPES))
        g.add(f"leaky_relu/{i}-n{x.numel()}", "leaky_relu", {"negative_slope": slope}, {"x": x},
              {"y": F.leaky_relu(x, slope)})
        lo_v, hi_v = sorted(float(v) for v in rng.uniform(-4, 4, 2))
        if i % 5 == 4:
            lo_v, hi_v = hi_v, lo_v
        if i % 5 == 3:
            lo_v, hi_v = 0.0, float(rng.choice([0.0, 6.0]))
        g.add(f"hardtanh/{i}-n{x.numel()}", "hardtanh", {"min_val": lo_v, "max_val": hi_v},
              {"x": x}, {"y": F.hardtanh(x, lo_v, hi_v)})
        g.add(f"clamp/{i}-n{x.numel()}", "clamp", {"min": lo_v, "max": hi_v}, {"x": x},
              {"y": torch.clamp(x, lo_v, hi_v)})
        alpha = float(rng.choice(ALPHAS))
        g.add(f"elu/{i}-n{x.numel()}", "elu", {"alpha": alpha}, {"x": x},
              {"y": F.elu(x, alpha)})
        g.add(f"hardsigmoid/{i}-n{x.numel()}", "hardsigmoid", {}, {"x": x},
              {"y": F.hardsigmoid(x)})
    for i in range(count):
        c = CHANNELS[i % len(CHANNELS)]
        n, h, w_ = int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
        x = (rng.standard_normal((n, c, h, w_)) * 3).astype(np.float32)
        weight, bias, mean, var = bn_params(rng, c, i)
        eps = float(rng.choice([1e-5, 1e-3, 0.1]))
        y = F.batch_norm(torch.from_numpy(x), torch.from_numpy(mean), torch.from_numpy(var),
                         torch.from_numpy(weight), torch.from_numpy(bias), False, 0.1, eps)
        g.add(f"batch_norm2d/{i}-c{c}-hw{h * w_}", "batch_norm2d", {"eps": eps},
              {"x": x, "weight": weight, "bias": bias, "mean": mean, "var": var}, {"y": y})


# --------------------------------------------------------------------------- generate

def generate(seed):
    files = []
    for engine in ENGINES:
        torch.backends.quantized.engine = engine
        g = GoldenFile(f"activations2_{engine}", GENERATOR, seed, engine=engine,
                       notes="ATen AVX2 kernels (vector/scalar split at floor(n/64)*64) for "
                             "every op but quint8 clamp/hardtanh and hardsigmoid under qnnpack "
                             "(QNNPACK clamp and lookup table), single-threaded")
        rng = g.rng
        requantizing_cases(g, rng, engine, "quantized_leaky_relu", 66)
        clamp_cases(g, rng, engine, "quantized_hardtanh", 45)
        clamp_cases(g, rng, engine, "quantized_clamp", 45)
        elu_cases(g, rng, engine, 66)
        hardsigmoid_cases(g, rng, engine, 56)
        wide_unary_cases(g, rng, engine, 12)
        files.append(g)
        g = GoldenFile(f"batch_norm_{engine}", GENERATOR, seed, engine=engine,
                       notes="ATen's NHWC batch-norm kernel under both engines (32- and "
                             "8-channel AVX2 vectors, scalar channels), single-threaded")
        batch_norm_cases(g, g.rng, engine, 80)
        wide_batch_norm_cases(g, g.rng, engine, 12)
        files.append(g)
    g = GoldenFile("activations2_fp32", GENERATOR, seed,
                   notes="float32 ops on contiguous tensors (AVX2, 16 floats per vector step)")
    fp32_cases(g, g.rng, 44)
    files.append(g)
    return files
