"""quantized_linear, quantized_linear_dynamic and quantized_conv2d cases, onednn engine.

oneDNN's int8 numerics (docs/numerics/linear_conv.md §oneDNN) as PyTorch 1.13 calls them through
ideep, recorded on this machine's CPU (the onednn numerics are those of a CPU with VNNI; the
`source` field names the CPU). Adversarial on purpose: K = 1 and odd K, shapes at the kernels' tile
edges (M around 4, N around 8, K around 16), weights at -128 and 127, activation and output zero
points 0, 128 and 255, outputs that saturate at 0 and 255, per-tensor and per-channel weights,
depthwise and groupwise convolutions, and rows whose accumulators land within 1e-5 of a rounding
tie.

Two pitfalls of PyTorch 1.13's onednn engine shape this generator:
- ideep caches primitives process-wide under a key (shapes, geometry, post-ops, output scales)
  that leaves out the zero points, so a call whose key matches an earlier one silently reuses
  the earlier call's zero points. Every case here has its own key (`PrimitiveKeys`), and after
  recording, a fresh process replays all static cases in reverse order and must reproduce every
  output bit for bit (`verify`).
- Each output file draws its random numbers from its own generator (`GoldenFile.rng`, seeded by
  the run's seed and the file's name), so adding cases to one file never changes another.

Run through `generate.py --only gen_onednn`, or `gen_onednn.py --verify FILE` (the replay).
"""
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import torch

from gen_conv import codes as activation_codes, weight_inputs
from gen_linear import activations
from qgolden import GoldenFile, quiet_stderr

K_EDGES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 257]
N_EDGES = [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33]
M_EDGES = [1, 2, 3, 4, 5, 7, 8, 9]
ZERO_POINTS = [0, 128, 255]


def f32(x):
    return np.float32(x)


def output_scales(x_scale, w_scales, per_channel, y_scale):
    """oneDNN's per-column output scales as ideep computes them (only to keep keys unique)."""
    src = f32(1.0 / x_scale)
    dst = f32(1.0) if y_scale is None else f32(1.0 / y_scale)
    w = [f32(1) / f32(s) for s in w_scales] if per_channel else [f32(1.0 / w_scales[0])]
    return tuple(float(dst / f32(src * wi)) for wi in w)


class PrimitiveKeys:
    """The ideep cache keys used so far: a case whose key repeats would reuse stale zero points."""

    def __init__(self):
        self.seen = set()

    def fresh(self, key):
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def int8_weight(rng, shape, per_channel, kind):
    """Symmetric qint8 weight codes (oneDNN requires zero points of 0) and their scales."""
    if kind == "min":
        codes = np.full(shape, -128, np.int8)
    elif kind == "extreme":
        codes = rng.choice(np.array([-128, 127], np.int8), shape)
    elif kind == "mixed":
        codes = rng.integers(-128, 128, shape).astype(np.int8)
        codes[rng.random(shape) < 0.3] = -128
    else:
        codes = np.clip(np.rint(rng.standard_normal(shape) * 40), -128, 127).astype(np.int8)
    o = shape[0]
    if per_channel:
        scales = rng.uniform(0.001, 0.05, o)
        w = torch._make_per_channel_quantized_tensor(
            torch.from_numpy(codes), torch.from_numpy(scales), torch.zeros(o, dtype=torch.long), 0)
        return w, "per_channel_affine", [float(s) for s in scales]
    scale = float(rng.uniform(0.001, 0.05))
    w = torch._make_per_tensor_quantized_tensor(torch.from_numpy(codes), scale, 0)
    return w, "per_tensor_affine", [scale]


def make_bias(rng, n, kind):
    if kind is None:
        return None
    mag = {"normal": 1.0, "large": 300.0, "tiny": 1e-3, "huge": 1e6}[kind]
    return torch.from_numpy((rng.standard_normal(n) * mag).astype(np.float32))


def tie_rows(rng, os_, y_zp, m):
    """Activation rows [c0, c1] for weights (127, 1): accumulators 127*c0 + c1 whose scaled value
    plus the zero point lies within 1e-5 of a rounding tie (oneDNN's rounding is half to even)."""
    acc = np.arange(0, 32641, dtype=np.int64)
    v = acc.astype(np.float64) * os_ + y_zp
    frac = np.abs(v - np.floor(v) - 0.5)
    near = acc[(frac < 1e-5) & (v > 0) & (v < 255)]
    if len(near) == 0:
        near = acc[np.argsort(frac)[:m]]
    pick = rng.choice(near, size=m, replace=len(near) < m)
    return np.stack([pick // 127, pick % 127], 1).astype(np.uint8)


# --- static linear ---------------------------------------------------------------------------

def record_linear(g, keys, rng, cid, *, m_shape, k, n, per_channel, w_kind="normal",
                  x_kind="rand", x_zp=None, y_zp=None, y_scale=None, x_scale=None,
                  bias_kind="normal", relu=False, codes=None, weight=None):
    if weight is None:
        wq, qscheme, w_scales = int8_weight(rng, (n, k), per_channel, w_kind)
    else:
        wq, qscheme, w_scales = weight
    bias = make_bias(rng, n, bias_kind)
    x_scale = float(rng.uniform(0.002, 0.2)) if x_scale is None else x_scale
    x_zp = int(rng.choice(ZERO_POINTS + [int(rng.integers(0, 256))])) if x_zp is None else x_zp
    y_zp = int(rng.choice(ZERO_POINTS + [int(rng.integers(0, 256))])) if y_zp is None else y_zp
    y_scale = float(rng.uniform(0.005, 2.0)) if y_scale is None else y_scale
    m = int(np.prod(m_shape))
    while True:  # a key of its own (see the module documentation)
        key = ("linear", m, k, n, bias is None, relu,
               output_scales(x_scale, w_scales, per_channel, y_scale))
        if keys.fresh(key):
            break
        y_scale *= 1 + 2 ** -20
    if codes is None:
        codes = activation_codes(rng, (*m_shape, k), x_kind)
    xq = torch._make_per_tensor_quantized_tensor(torch.from_numpy(codes), x_scale, x_zp)
    packed = torch.ops.quantized.linear_prepack(wq, bias)
    op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
    y = op(xq, packed, y_scale, y_zp)
    attrs = {"x_scale": x_scale, "x_zero_point": x_zp, "y_scale": y_scale, "y_zero_point": y_zp,
             "relu": relu, "w_qscheme": qscheme}
    inputs = {"x": xq.int_repr(), **weight_inputs(wq), "bias": bias}
    g.add(cid, "quantized_linear", attrs, inputs, {"y": y}, engine="onednn")


def linear_cases(g, keys, rng):
    for i in range(140):
        k = K_EDGES[i % len(K_EDGES)]
        n = N_EDGES[(i * 7) % len(N_EDGES)]
        m = M_EDGES[(i * 3) % len(M_EDGES)]
        m_shape = (m,) if i % 6 else (2, max(1, m // 2))
        record_linear(
            g, keys, rng, f"onednn/linear/edges/k{k}-n{n}-m{m}/{i}", m_shape=m_shape, k=k, n=n,
            per_channel=i % 2 == 0, w_kind=["normal", "normal", "mixed", "min", "extreme"][i % 5],
            x_kind=["rand", "rand", "rand", "max", "min", "extreme"][i % 6],
            x_zp=ZERO_POINTS[i % 3] if i % 4 else None, y_zp=ZERO_POINTS[(i // 3) % 3] if i % 5 else None,
            bias_kind=[None, "normal", "large", "tiny", "normal"][i % 5], relu=i % 3 == 0)
    # Saturating outputs: tiny output scales and huge biases clamp at 0 and 255.
    for i in range(16):
        record_linear(g, keys, rng, f"onednn/linear/saturate/{i}", m_shape=(3,), k=17 + i, n=9,
                      per_channel=i % 2 == 1, w_kind="extreme", x_kind="extreme",
                      y_scale=[1e-4, 1e-3, 0.003, 0.01][i % 4], y_zp=ZERO_POINTS[i % 3],
                      bias_kind=["huge", "large", None, "normal"][i % 4], relu=i % 4 == 2)
    # Rounding ties: weights (127, 1), rows whose accumulator lands next to a tie.
    for i in range(40):
        per_channel = i % 2 == 0
        s = float(rng.uniform(0.001, 0.05))
        w_scales = [s, float(rng.uniform(0.001, 0.05))] if per_channel else [s]
        codes = np.array([[127, 1], [37, -91]], np.int8)
        if per_channel:
            wq = torch._make_per_channel_quantized_tensor(
                torch.from_numpy(codes), torch.tensor(w_scales, dtype=torch.float64),
                torch.zeros(2, dtype=torch.long), 0)
            qscheme = "per_channel_affine"
        else:
            wq = torch._make_per_tensor_quantized_tensor(torch.from_numpy(codes), s, 0)
            qscheme = "per_tensor_affine"
        x_scale = float(rng.uniform(0.002, 0.2))
        y_scale = float(32640 * x_scale * s / rng.uniform(60, 150))
        y_zp = int(rng.integers(0, 100))
        os_ = output_scales(x_scale, w_scales, per_channel, y_scale)[0]
        rows = tie_rows(rng, os_, y_zp, 24)
        record_linear(g, keys, rng, f"onednn/linear/ties/{i}", m_shape=(24,), k=2, n=2,
                      per_channel=per_channel, x_zp=0, y_zp=y_zp, y_scale=y_scale,
                      x_scale=x_scale, bias_kind=None if i % 3 else "normal", relu=i % 4 == 1,
                      codes=rows, weight=(wq, qscheme, w_scales))


# --- dynamic linear --------------------------------------------------------------------------

def dynamic_activations(rng, shape, kind):
    """gen_linear's activation kinds, plus `ties`: values near the quantization ties."""
    if kind != "ties":
        return activations(rng, shape, kind)
    x = rng.standard_normal(shape).astype(np.float32)
    # values whose product with the reciprocal scale lands on k + 0.5, and their neighbours
    lo, hi = float(x.min()), float(x.max())
    step = (max(hi, 0) - min(lo, 0)) / 255
    k = rng.integers(-100, 100, x.shape)
    x = ((k + 0.5) * step).astype(np.float32)
    x.flat[0], x.flat[-1] = np.float32(lo), np.float32(hi)
    nudge = rng.integers(-1, 2, x.shape)
    x = np.where(nudge > 0, np.nextafter(x, np.float32(np.inf)),
                 np.where(nudge < 0, np.nextafter(x, np.float32(-np.inf)), x)).astype(np.float32)
    return torch.from_numpy(x.astype(np.float32))


def dynamic_cases(g, rng):
    kinds = ["normal", "positive", "negative", "zeros", "constant", "tiny", "wide", "ties", "ties"]
    for i in range(120):
        k = K_EDGES[(i * 5) % len(K_EDGES)]
        n = N_EDGES[i % len(N_EDGES)]
        m = M_EDGES[(i * 7) % len(M_EDGES)]
        shape = (m, k) if i % 5 else (2, max(1, m // 2), k)
        per_channel = i % 2 == 1
        wq, qscheme, _ = int8_weight(rng, (n, k), per_channel, ["normal", "mixed", "min"][i % 3])
        bias = make_bias(rng, n, [None, "normal", "large", "normal"][i % 4])
        x = dynamic_activations(rng, shape, kinds[i % len(kinds)])
        reduce_range = i % 2 == 0
        relu = i % 3 == 0
        packed = torch.ops.quantized.linear_prepack(wq, bias)
        op = torch.ops.quantized.linear_relu_dynamic if relu else torch.ops.quantized.linear_dynamic
        y = op(x, packed, reduce_range)
        again = op(x, torch.ops.quantized.linear_prepack(wq, bias), reduce_range)
        if not torch.equal(y.view(torch.int32), again.view(torch.int32)):
            raise RuntimeError(f"onednn linear_dynamic case {i} is not deterministic")
        g.add(f"onednn/linear_dynamic/{qscheme}/{kinds[i % len(kinds)]}/{i}",
              "quantized_linear_dynamic",
              {"reduce_range": reduce_range, "relu": relu, "w_qscheme": qscheme},
              {"x": x, **weight_inputs(wq), "bias": bias}, {"y": y}, engine="onednn")


# --- conv2d ----------------------------------------------------------------------------------

def record_conv(g, keys, rng, cid, *, n, c_in, c_out, hw, kernel, stride, padding, dilation,
                groups, per_channel, relu, w_kind="normal", x_kind="rand", x_zp=None, y_zp=None,
                y_scale=None, bias_kind="normal"):
    kh, kw = kernel
    wq, qscheme, w_scales = int8_weight(rng, (c_out, c_in // groups, kh, kw), per_channel, w_kind)
    bias = make_bias(rng, c_out, bias_kind)
    x_scale = float(rng.uniform(0.002, 0.2))
    x_zp = int(rng.choice(ZERO_POINTS + [int(rng.integers(0, 256))])) if x_zp is None else x_zp
    y_zp = int(rng.choice(ZERO_POINTS + [int(rng.integers(0, 256))])) if y_zp is None else y_zp
    y_scale = float(rng.uniform(0.01, 3.0)) if y_scale is None else y_scale
    while True:
        key = ("conv", n, c_in, hw, c_out, kernel, stride, padding, dilation, groups,
               bias is None, relu, output_scales(x_scale, w_scales, per_channel, y_scale))
        if keys.fresh(key):
            break
        y_scale *= 1 + 2 ** -20
    xq = torch._make_per_tensor_quantized_tensor(
        torch.from_numpy(activation_codes(rng, (n, c_in, hw[0], hw[1]), x_kind)), x_scale, x_zp)
    stride, padding, dilation = list(stride), list(padding), list(dilation)
    packed = torch.ops.quantized.conv2d_prepack(wq, bias, stride, padding, dilation, groups)
    op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
    y = op(xq, packed, y_scale, y_zp)
    g.add(cid, "quantized_conv2d",
          {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
           "x_scale": x_scale, "x_zero_point": x_zp, "y_scale": y_scale, "y_zero_point": y_zp,
           "relu": relu, "w_qscheme": qscheme},
          {"x": xq.int_repr(), **weight_inputs(wq), "bias": bias}, {"y": y}, engine="onednn")


KERNELS = [(1, 1), (3, 3), (5, 5), (1, 3), (3, 1), (2, 2), (7, 7)]


def conv_cases(g, keys, rng):
    for i in range(120):
        kernel = KERNELS[i % len(KERNELS)]
        kind = ["dense", "dense", "groupwise", "depthwise", "depthwise-x2", "depthwise"][i % 6]
        if kind == "dense":
            groups, c_in, c_out = 1, int(rng.integers(1, 20)), int(rng.integers(1, 20))
        elif kind == "groupwise":
            groups = int(rng.choice([2, 3, 4, 8]))
            c_in, c_out = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 4))
        else:
            c_in = int(rng.choice([1, 3, 8, 16, 17, 24, 32]))
            groups, c_out = c_in, c_in * (2 if kind == "depthwise-x2" else 1)
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if i % 4 == 0 else (1, 1)
        padding = (int(rng.integers(0, kernel[0] // 2 + 2)), int(rng.integers(0, kernel[1] // 2 + 2)))
        min_h = dilation[0] * (kernel[0] - 1) + 1 - 2 * padding[0]
        min_w = dilation[1] * (kernel[1] - 1) + 1 - 2 * padding[1]
        hw = (max(1, min_h) + int(rng.integers(0, 6)), max(1, min_w) + int(rng.integers(0, 6)))
        record_conv(
            g, keys, rng, f"onednn/conv/{kind}/k{kernel[0]}x{kernel[1]}/{i}", n=1 + (i % 5 == 1),
            c_in=c_in, c_out=c_out, hw=hw, kernel=kernel, stride=stride, padding=padding,
            dilation=dilation, groups=groups, per_channel=i % 2 == 0, relu=i % 4 == 3,
            w_kind=["normal", "mixed", "normal", "extreme", "min"][i % 5],
            x_kind=["rand", "rand", "max", "rand", "extreme", "min"][i % 6],
            x_zp=ZERO_POINTS[i % 3] if i % 3 else None, y_zp=ZERO_POINTS[(i // 2) % 3] if i % 4 else None,
            bias_kind=[None, "normal", "normal", "large", "tiny"][i % 5])
    # MobileNet-like depthwise layers and saturating outputs.
    for i, (c, stride) in enumerate([(32, 1), (96, 2), (144, 1), (40, 2)]):
        record_conv(g, keys, rng, f"onednn/conv/model/dw3x3-c{c}-s{stride}", n=1, c_in=c, c_out=c,
                    hw=(6, 5), kernel=(3, 3), stride=(stride, stride), padding=(1, 1),
                    dilation=(1, 1), groups=c, per_channel=i % 2 == 0, relu=True)
    for i, y_scale in enumerate([1e-3, 3e-3, 1e-2]):
        record_conv(g, keys, rng, f"onednn/conv/saturate/{i}", n=1, c_in=5, c_out=6, hw=(5, 5),
                    kernel=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1,
                    per_channel=i % 2 == 0, relu=i == 2, w_kind="extreme", x_kind="extreme",
                    y_scale=y_scale, y_zp=ZERO_POINTS[i], bias_kind="huge")


# --- recording and the replay check ----------------------------------------------------------

def run_case(case):
    """Recomputes a recorded static case (for the replay check)."""
    t = case["inputs"]
    w = t["w"]
    if case["attrs"]["w_qscheme"] == "per_tensor_affine":
        wq = torch._make_per_tensor_quantized_tensor(w, float(t["w_scales"][0]), 0)
    else:
        wq = torch._make_per_channel_quantized_tensor(
            w, t["w_scales"], t["w_zero_points"], 0)
    a = case["attrs"]
    xq = torch._make_per_tensor_quantized_tensor(t["x"], a["x_scale"], a["x_zero_point"])
    bias = t.get("bias")
    if case["op"] == "quantized_linear":
        packed = torch.ops.quantized.linear_prepack(wq, bias)
        op = torch.ops.quantized.linear_relu if a["relu"] else torch.ops.quantized.linear
    else:
        packed = torch.ops.quantized.conv2d_prepack(
            wq, bias, a["stride"], a["padding"], a["dilation"], a["groups"])
        op = torch.ops.quantized.conv2d_relu if a["relu"] else torch.ops.quantized.conv2d
    return op(xq, packed, a["y_scale"], a["y_zero_point"]).int_repr()


def static_cases_for_replay(goldens):
    import base64
    out = []
    for g in goldens:
        for case in g.cases:
            if case["op"] == "quantized_linear_dynamic":
                continue
            def decode(t):
                dtype = {"uint8": np.uint8, "int8": np.int8, "float32": np.float32,
                         "float64": np.float64, "int64": np.int64}[t["dtype"]]
                data = np.frombuffer(base64.b64decode(t["data"]), dtype=dtype).reshape(t["shape"])
                return torch.from_numpy(data.copy())
            out.append({"id": case["id"], "op": case["op"], "attrs": case["attrs"],
                        "inputs": {k: decode(v) for k, v in case["inputs"].items()},
                        "y": decode(case["outputs"]["y"])})
    return out


def verify(goldens):
    """Replays every static case in reverse order in a fresh process (a fresh ideep cache)."""
    cases = static_cases_for_replay(goldens)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cases.pickle")
        with open(path, "wb") as f:
            pickle.dump(cases, f)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--verify", path], check=True)


def replay(path):
    torch.set_num_threads(1)
    torch.backends.quantized.engine = "onednn"
    with open(path, "rb") as f:
        cases = pickle.load(f)
    bad = [c["id"] for c in reversed(cases) if not torch.equal(run_case(c), c["y"])]
    if bad:
        raise SystemExit(f"replay in reverse order changed {len(bad)} case(s): {bad[:5]}")
    print(f"gen_onednn: {len(cases)} static cases replayed in reverse order, identical", flush=True)


def generate(seed):
    if "onednn" not in torch.backends.quantized.supported_engines:
        raise RuntimeError("this PyTorch has no onednn engine")
    torch.backends.quantized.engine = "onednn"
    keys = PrimitiveKeys()
    notes = ("oneDNN numerics (VNNI CPU); every static case has its own ideep primitive key "
             "and was replayed in reverse order in a fresh process with identical results")
    linear = GoldenFile("linear_onednn", "scripts/golden/gen_onednn.py", seed, engine="onednn",
                        notes=notes)
    linear_cases(linear, keys, linear.rng)
    with quiet_stderr():
        dynamic_cases(linear, linear.rng)
    conv = GoldenFile("conv_onednn", "scripts/golden/gen_onednn.py", seed, engine="onednn",
                      notes=notes)
    conv_cases(conv, keys, conv.rng)
    verify([linear, conv])
    return [linear, conv]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        replay(sys.argv[2])
    else:
        raise SystemExit(__doc__)
