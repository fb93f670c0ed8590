"""quantize_per_tensor / quantize_per_channel / dequantize_* cases (docs/numerics/quantize.md)."""
import numpy as np
import torch

from qgolden import GoldenFile, f32

QDTYPES = {"quint8": torch.quint8, "qint8": torch.qint8, "qint32": torch.qint32}
INT_REPR = {"quint8": torch.uint8, "qint8": torch.int8, "qint32": torch.int32}
RANGES = {"quint8": (0, 255), "qint8": (-128, 127), "qint32": (-2**31, 2**31 - 1)}


def adversarial_values(rng, scale, zp, dtype):
    """Float32 inputs near rounding ties, at the range edges and far outside it."""
    qmin, qmax = RANGES[dtype]
    lo, hi = (qmin - zp, qmax - zp) if dtype != "qint32" else (-1000, 1000)
    ks = np.unique(np.concatenate([rng.integers(lo - 3, hi + 3, 24), [lo, hi, lo - 1, hi + 1, 0, -1]]))
    inv = np.float32(1) / np.float32(scale)
    vals = []
    for k in ks:
        half = np.float32((k + 0.5) * scale)          # near (k+0.5)*scale
        exact = np.float32((k + 0.5) / inv)            # so that x*inv lands on the tie if it can
        for v in (half, exact):
            vals += [v, np.nextafter(v, np.float32(np.inf)), np.nextafter(v, np.float32(-np.inf))]
        vals.append(np.float32(k * scale))
    vals += [np.float32(0.0), np.float32(-0.0), np.float32(1e-40), np.float32(-1e-40),
             np.float32(scale * 1e6), np.float32(-scale * 1e6), np.float32(scale * 0.5),
             np.float32(-scale * 0.5)]
    return np.array(vals, dtype=np.float32)


def random_values(rng, n, scale, zp, dtype):
    qmin, qmax = RANGES[dtype]
    span = (qmax - qmin) if dtype != "qint32" else 2000
    centre = (qmin + qmax) / 2 - zp if dtype != "qint32" else 0
    return ((rng.standard_normal(n) * span / 3 + centre) * scale).astype(np.float32)


def scales_and_zps(rng, dtype):
    qmin, qmax = RANGES[dtype]
    if dtype == "qint32":
        zps = [0, 7, -100000, int(rng.integers(-2**20, 2**20))]
    else:
        zps = [0, qmin, qmax, int(rng.integers(qmin, qmax + 1)), (qmin + qmax + 1) // 2]
    scales = [1.0, 0.1, 1 / 3, 1e-5, 0.0137, float(rng.uniform(0.001, 2)), 3.7, 2.0 ** -7]
    return [(s, z) for s in scales for z in zps]


def per_tensor_cases(g, rng):
    for dtype in QDTYPES:
        for i, (scale, zp) in enumerate(scales_and_zps(rng, dtype)):
            x = np.concatenate([adversarial_values(rng, scale, zp, dtype),
                                random_values(rng, int(rng.integers(1, 40)), scale, zp, dtype)])
            shape = [len(x)] if i % 3 else [1, len(x)]
            xt = torch.from_numpy(x.copy()).reshape(shape)
            y = torch.quantize_per_tensor(xt, scale, zp, QDTYPES[dtype])
            g.add(f"qpt/{dtype}/{i}", "quantize_per_tensor",
                  {"scale": scale, "zero_point": zp, "dtype": dtype}, {"x": xt}, {"y": y})
    # qint32 beyond 2^24: the zero point is added in float32, so results land on the float grid.
    x = torch.tensor([16777216.0, 16777218.0, 2.0**30, 2147483520.0, -2147483520.0, 33554436.0])
    for zp in (1, 3, -1, 1000):
        y = torch.quantize_per_tensor(x, 1.0, zp, torch.qint32)
        g.add(f"qpt/qint32/float-grid-zp{zp}", "quantize_per_tensor",
              {"scale": 1.0, "zero_point": zp, "dtype": "qint32"}, {"x": x}, {"y": y})
    # Empty and scalar tensors.
    for dtype in ("quint8", "qint8"):
        for x in (torch.zeros(0), torch.tensor(2.5)):
            y = torch.quantize_per_tensor(x, 0.5, 1, QDTYPES[dtype])
            g.add(f"qpt/{dtype}/shape{list(x.shape)}", "quantize_per_tensor",
                  {"scale": 0.5, "zero_point": 1, "dtype": dtype}, {"x": x}, {"y": y})


def build_dependent_cases(g):
    """NaN, ±inf and values whose x/scale overflows: PyTorch's answer differs per build."""
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), 1e19, -1e19, 3e9, -3e9,
                      1e10, -1e10, 0.5, 1.5, -2.5], dtype=torch.float32)
    for dtype, zps in (("quint8", (0, 200)), ("qint8", (0, -5)), ("qint32", (0, 7))):
        for zp in zps:
            y = torch.quantize_per_tensor(x, 1.0, zp, QDTYPES[dtype])
            g.add(f"qpt/{dtype}/build-dependent-zp{zp}", "quantize_per_tensor",
                  {"scale": 1.0, "zero_point": zp, "dtype": dtype}, {"x": x}, {"y": y})


def random_shape(rng):
    rank = int(rng.integers(1, 5))
    return [int(rng.integers(1, 6)) for _ in range(rank)]


def per_channel_cases(g, rng):
    for dtype in QDTYPES:
        qmin, qmax = RANGES[dtype]
        for i in range(10):
            shape = random_shape(rng)
            axis = int(rng.integers(0, len(shape)))
            c = shape[axis]
            # Double scales that are not float32 values, as per-channel observers would not give.
            scales = torch.from_numpy(rng.uniform(0.002, 0.5, c)).double()
            if i % 3 == 0:
                scales[0] = 0.1
            if dtype == "qint32":
                zps = torch.from_numpy(rng.integers(-1000, 1000, c))
            else:
                zps = torch.from_numpy(rng.integers(qmin, qmax + 1, c))
            x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32) * 40 * float(scales.mean()))
            flat = x.reshape(-1)
            flat[: min(4, flat.numel())] = torch.tensor([0.5 * float(f32(scales[0])), -0.0, 1e6, -1e6])[: min(4, flat.numel())]
            y = torch.quantize_per_channel(x, scales, zps, axis, QDTYPES[dtype])
            g.add(f"qpc/{dtype}/{i}", "quantize_per_channel", {"axis": axis, "dtype": dtype},
                  {"x": x, "scales": scales, "zero_points": zps}, {"y": y})
    # Float qparams (embedding quantization): the zero point is added before rounding.
    for i in range(6):
        shape = random_shape(rng)
        if len(shape) < 2:
            shape = [3] + shape
        axis = 0
        c = shape[0]
        scales = torch.from_numpy(rng.uniform(0.01, 0.2, c).astype(np.float32))
        zps = torch.from_numpy((rng.uniform(0, 255, c)).astype(np.float32))
        x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32) * 5)
        y = torch.quantize_per_channel(x, scales, zps, axis, torch.quint8)
        g.add(f"qpc/quint8-float-qparams/{i}", "quantize_per_channel", {"axis": axis, "dtype": "quint8"},
              {"x": x, "scales": scales, "zero_points": zps}, {"y": y})
        d = y.dequantize()
        g.add(f"dqpc/quint8-float-qparams/{i}", "dequantize_per_channel",
              {"axis": axis, "dtype": "quint8"},
              {"q": y, "scales": y.q_per_channel_scales(), "zero_points": y.q_per_channel_zero_points()},
              {"y": d})


def quint4x2_cases(g, rng):
    for i, (scale, zp) in enumerate([(0.1, 3), (0.37, 0), (1.0, 8), (1 / 3, 15)]):
        x = torch.from_numpy(np.concatenate([
            adversarial_values(rng, scale, zp, "quint8")[:40],
            random_values(rng, 21, scale, zp, "quint8") / 16]).astype(np.float32))
        y = torch.quantize_per_tensor(x, scale, zp, torch.quint4x2)
        g.add(f"qpt/quint4x2/{i}", "quantize_per_tensor",
              {"scale": scale, "zero_point": zp, "dtype": "quint4x2"}, {"x": x}, {"y": y.int_repr()})


def dequantize_cases(g, rng):
    for dtype in ("quint8", "qint8"):
        qmin, qmax = RANGES[dtype]
        codes = torch.arange(qmin, qmax + 1, dtype=INT_REPR[dtype])
        for i, (scale, zp) in enumerate(scales_and_zps(rng, dtype)):
            q = torch._make_per_tensor_quantized_tensor(codes, scale, zp)
            g.add(f"dqpt/{dtype}/{i}", "dequantize_per_tensor",
                  {"scale": scale, "zero_point": zp, "dtype": dtype}, {"q": codes}, {"y": q.dequantize()})
    codes = torch.from_numpy(np.concatenate([rng.integers(-2**31, 2**31, 40),
                                             [2**31 - 1, -2**31, 16777217, -16777217, 0]]).astype(np.int32))
    for i, (scale, zp) in enumerate(scales_and_zps(rng, "qint32")[::3]):
        q = torch._make_per_tensor_quantized_tensor(codes, scale, zp)
        g.add(f"dqpt/qint32/{i}", "dequantize_per_tensor",
              {"scale": scale, "zero_point": zp, "dtype": "qint32"}, {"q": codes}, {"y": q.dequantize()})
    # Per channel: the product is taken in double, so non-float32 scales differ from per tensor.
    for dtype in ("quint8", "qint8", "qint32"):
        qmin, qmax = RANGES[dtype]
        for i in range(6):
            shape = random_shape(rng)
            axis = int(rng.integers(0, len(shape)))
            c = shape[axis]
            lo, hi = (qmin, qmax + 1) if dtype != "qint32" else (-2**24, 2**24)
            codes = torch.from_numpy(rng.integers(lo, hi, shape).astype(np.dtype(str(INT_REPR[dtype]).split(".")[1])))
            scales = torch.from_numpy(rng.uniform(0.001, 1, c)).double()
            scales[0] = 0.1
            zps = torch.from_numpy(rng.integers(max(qmin, -1000), min(qmax, 1000) + 1, c))
            q = torch._make_per_channel_quantized_tensor(codes, scales, zps, axis)
            g.add(f"dqpc/{dtype}/{i}", "dequantize_per_channel", {"axis": axis, "dtype": dtype},
                  {"q": codes, "scales": scales, "zero_points": zps}, {"y": q.dequantize()})


def generate(seed):
    g = GoldenFile("quantize", "scripts/golden/gen_quantize.py", seed)
    per_tensor_cases(g, g.rng)
    build_dependent_cases(g)
    per_channel_cases(g, g.rng)
    quint4x2_cases(g, g.rng)
    dequantize_cases(g, g.rng)
    return [g]
