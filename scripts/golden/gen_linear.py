"""quantized_linear (static) and quantized_linear_dynamic cases, qnnpack engine
(docs/numerics/linear_conv.md §QNNPACK, §Dynamic linear).

The Debian PyTorch 1.13 build has no FBGEMM, so only QNNPACK numerics are recorded here; the
fbgemm semantics are checked by properties and by goldens recorded elsewhere (`--golden`).
"""
import numpy as np
import torch

from qgolden import GoldenFile, quiet_stderr

K_VALUES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 257]


def random_weight(rng, n, k, per_channel, nonzero_zp):
    w = torch.from_numpy(rng.standard_normal((n, k)).astype(np.float32))
    if per_channel:
        scales = torch.from_numpy(rng.uniform(0.002, 0.05, n)).double()
        zps = torch.from_numpy(rng.integers(-20, 21, n) if nonzero_zp else np.zeros(n, np.int64))
        return torch.quantize_per_channel(w, scales, zps, 0, torch.qint8), "per_channel_affine"
    scale = float(rng.uniform(0.005, 0.03))
    zp = int(rng.integers(-30, 31)) if nonzero_zp else 0
    return torch.quantize_per_tensor(w, scale, zp, torch.qint8), "per_tensor_affine"


def weight_inputs(wq):
    if wq.qscheme() == torch.per_tensor_affine:
        scales = torch.tensor([wq.q_scale()], dtype=torch.float64)
        zps = torch.tensor([wq.q_zero_point()], dtype=torch.int64)
    else:
        scales = wq.q_per_channel_scales().double()
        zps = wq.q_per_channel_zero_points().long()
    return {"w": wq.int_repr(), "w_scales": scales, "w_zero_points": zps}


def activation_codes(rng, shape, kind):
    if kind == "max":
        return np.full(shape, 255, np.uint8)
    if kind == "min":
        return np.zeros(shape, np.uint8)
    return rng.integers(0, 256, shape).astype(np.uint8)


def static_cases(g, rng, count):
    for i in range(count):
        k = K_VALUES[i % len(K_VALUES)]
        n = int(rng.integers(1, 40))
        m = int(rng.integers(1, 9))
        shape = [m, k] if i % 5 else [2, max(1, m // 2), k]
        per_channel = i % 2 == 0
        wq, qscheme = random_weight(rng, n, k, per_channel, nonzero_zp=(i % 3 == 1))
        bias = None if i % 7 == 3 else torch.from_numpy((rng.standard_normal(n) * rng.choice([0.1, 5, 300])).astype(np.float32))
        x_scale = float(rng.choice([0.01, 0.02, 0.05, 0.1, 1 / 3, 0.0037]))
        x_zp = int(rng.choice([0, 255, 128, int(rng.integers(0, 256))]))
        codes = activation_codes(rng, shape, ["max", "min", "rand", "rand", "rand"][i % 5])
        xq = torch._make_per_tensor_quantized_tensor(torch.from_numpy(codes), x_scale, x_zp)
        y_scale = float(rng.choice([0.01, 0.05, 0.1, 0.3, 1.7, 0.0123]))
        y_zp = int(rng.choice([0, 255, int(rng.integers(0, 256))]))
        relu = i % 3 == 0
        packed = torch.ops.quantized.linear_prepack(wq, bias)
        op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
        y = op(xq, packed, y_scale, y_zp)
        g.add(f"linear/{qscheme}/{i}", "quantized_linear",
              {"x_scale": x_scale, "x_zero_point": x_zp, "y_scale": y_scale, "y_zero_point": y_zp,
               "relu": relu, "w_qscheme": qscheme},
              {"x": xq.int_repr(), **weight_inputs(wq), "bias": bias}, {"y": y}, engine="qnnpack")


def activations(rng, shape, kind):
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "positive":
        x = np.abs(x) * 3 + 0.5
    elif kind == "negative":
        x = -np.abs(x) * 0.01 - 1e-3
    elif kind == "zeros":
        x[:] = 0
    elif kind == "constant":
        x[:] = np.float32(2.5)
    elif kind == "tiny":
        x *= np.float32(1e-6)
    elif kind == "wide":
        x *= np.float32(1e3)
    return torch.from_numpy(x.astype(np.float32))


def dynamic_cases(g, rng, count):
    kinds = ["normal", "positive", "negative", "zeros", "constant", "tiny", "wide", "normal"]
    for i in range(count):
        k = K_VALUES[i % len(K_VALUES)]
        n = int(rng.integers(1, 40))
        m = int(rng.integers(1, 9))
        shape = [m, k] if i % 4 else [2, max(1, m // 2), k]
        per_channel = i % 2 == 1
        wq, qscheme = random_weight(rng, n, k, per_channel, nonzero_zp=(i % 3 == 2))
        bias = None if i % 6 == 5 else torch.from_numpy(rng.standard_normal(n).astype(np.float32))
        x = activations(rng, shape, kinds[i % len(kinds)])
        reduce_range = bool(i % 2)
        relu = i % 3 == 0
        packed = torch.ops.quantized.linear_prepack(wq, bias)
        op = torch.ops.quantized.linear_relu_dynamic if relu else torch.ops.quantized.linear_dynamic
        y = op(x, packed, reduce_range)
        g.add(f"linear_dynamic/{qscheme}/{i}", "quantized_linear_dynamic",
              {"reduce_range": reduce_range, "relu": relu, "w_qscheme": qscheme},
              {"x": x, **weight_inputs(wq), "bias": bias}, {"y": y}, engine="qnnpack")


def generate(seed):
    torch.backends.quantized.engine = "qnnpack"
    g = GoldenFile("linear_qnnpack", "scripts/golden/gen_linear.py", seed, engine="qnnpack",
                   notes="QNNPACK numerics; this PyTorch build has no FBGEMM")
    static_cases(g, g.rng, 160)
    with quiet_stderr():  # QNNPACK warns that it ignores reduce_range on every call
        dynamic_cases(g, g.rng, 120)
    return [g]
