"""quantized_conv2d cases, qnnpack engine (docs/numerics/linear_conv.md §QNNPACK).

Op `quantized_conv2d` (golden/README.md §Op catalog): attrs stride, padding, dilation (int pairs),
groups, x_scale, x_zero_point, y_scale, y_zero_point, relu, w_qscheme; inputs x (uint8 NCHW),
w (int8 OIHW), w_scales (float64), w_zero_points (int64), optional bias (float32); output y
(uint8 NCHW). Recorded with torch.ops.quantized.conv2d_prepack + conv2d / conv2d_relu.

The Debian PyTorch 1.13 build has no FBGEMM, so only QNNPACK numerics are recorded here; the
fbgemm semantics are checked by properties and by goldens recorded elsewhere (`--golden`).
"""
import numpy as np
import torch

from qgolden import GoldenFile

KERNELS = [(1, 1), (3, 3), (5, 5), (1, 3), (7, 7), (3, 1), (2, 2)]


def quantize_weight(rng, shape, per_channel, nonzero_zp, extreme=False):
    o = shape[0]
    w = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    if per_channel:
        scales = torch.from_numpy(rng.uniform(0.002, 0.05, o)).double()
        if extreme:
            scales = scales * 1e-3  # saturate most codes at -128 / 127
        zps = torch.from_numpy(rng.integers(-20, 21, o) if nonzero_zp else np.zeros(o, np.int64))
        return torch.quantize_per_channel(w, scales, zps, 0, torch.qint8), "per_channel_affine"
    scale = float(rng.uniform(0.005, 0.03)) * (1e-3 if extreme else 1)
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


def codes(rng, shape, kind):
    if kind == "max":
        return np.full(shape, 255, np.uint8)
    if kind == "min":
        return np.zeros(shape, np.uint8)
    if kind == "extreme":
        return rng.choice(np.array([0, 255], np.uint8), shape)
    return rng.integers(0, 256, shape).astype(np.uint8)


def bias_limit(wq, x_scale):
    """The largest |bias| whose int32 quantization (scale w_scale * x_scale) stays well inside
    int32: beyond it QNNPACK's result depends on the kernel and the CPU (build-dependent)."""
    if wq.qscheme() == torch.per_tensor_affine:
        ws = torch.tensor([wq.q_scale()], dtype=torch.float64)
    else:
        ws = wq.q_per_channel_scales().double()
    return (ws * x_scale * 2.0 ** 30).to(torch.float32)


def record(g, cid, rng, *, n, c_in, c_out, hw, kernel, stride, padding, dilation, groups,
           per_channel, nonzero_zp, relu, x_kind="rand", x_scale=None, x_zp=None, y_scale=None,
           y_zp=None, bias_kind="normal", extreme_w=False, allow_bias_overflow=False):
    kh, kw = kernel
    wq, qscheme = quantize_weight(rng, (c_out, c_in // groups, kh, kw), per_channel, nonzero_zp,
                                  extreme_w)
    if bias_kind is None:
        bias = None
    elif bias_kind == "overflow":  # beyond int32 once divided by w_scale * x_scale (both signs)
        bias = torch.tensor(([1e3, -1e3, 1e-3] * c_out)[:c_out], dtype=torch.float32)
    else:
        mag = {"normal": 1.0, "large": 300.0, "tiny": 1e-3}[bias_kind]
        bias = torch.from_numpy((rng.standard_normal(c_out) * mag).astype(np.float32))
    x_scale = float(rng.choice([0.01, 0.02, 0.05, 0.1, 1 / 3, 0.0037])) if x_scale is None else x_scale
    if bias is not None and not allow_bias_overflow:
        limit = bias_limit(wq, x_scale)
        bias = torch.maximum(torch.minimum(bias, limit), -limit)
    x_zp = int(rng.choice([0, 255, 128, int(rng.integers(0, 256))])) if x_zp is None else x_zp
    xq = torch._make_per_tensor_quantized_tensor(
        torch.from_numpy(codes(rng, (n, c_in, hw[0], hw[1]), x_kind)), x_scale, x_zp)
    y_scale = float(rng.choice([0.01, 0.05, 0.1, 0.3, 1.7, 0.0123])) if y_scale is None else y_scale
    y_zp = int(rng.choice([0, 255, int(rng.integers(0, 256))])) if y_zp is None else y_zp
    stride, padding, dilation = list(stride), list(padding), list(dilation)
    packed = torch.ops.quantized.conv2d_prepack(wq, bias, stride, padding, dilation, groups)
    op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
    y = op(xq, packed, y_scale, y_zp)
    g.add(cid, "quantized_conv2d",
          {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
           "x_scale": x_scale, "x_zero_point": x_zp, "y_scale": y_scale, "y_zero_point": y_zp,
           "relu": relu, "w_qscheme": qscheme},
          {"x": xq.int_repr(), **weight_inputs(wq), "bias": bias}, {"y": y}, engine="qnnpack")


def random_cases(g, rng, count):
    for i in range(count):
        kernel = KERNELS[i % len(KERNELS)]
        kind = ["g1", "g1", "g2", "g4", "dw1", "dw2"][i % 6]
        if kind == "g1":
            groups, c_in, c_out = 1, int(rng.integers(1, 7)), int(rng.integers(1, 9))
        elif kind in ("g2", "g4"):
            groups = 2 if kind == "g2" else 4
            c_in, c_out = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 3))
        else:
            c_in = int(rng.integers(1, 9))
            groups, c_out = c_in, c_in * (1 if kind == "dw1" else 2)
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if i % 3 == 0 else (1, 1)
        padding = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        min_h = dilation[0] * (kernel[0] - 1) + 1 - 2 * padding[0]
        min_w = dilation[1] * (kernel[1] - 1) + 1 - 2 * padding[1]
        hw = (max(1, min_h) + int(rng.integers(0, 5)), max(1, min_w) + int(rng.integers(0, 5)))
        x_kind = ["rand", "rand", "rand", "max", "min", "extreme"][i % 6 if i % 5 else 5]
        record(g, f"conv/{kind}/k{kernel[0]}x{kernel[1]}/{i}", rng, n=1 + (i % 4 == 1),
               c_in=c_in, c_out=c_out, hw=hw, kernel=kernel, stride=stride, padding=padding,
               dilation=dilation, groups=groups, per_channel=i % 2 == 0,
               nonzero_zp=i % 3 != 2, relu=i % 4 == 3, x_kind=x_kind,
               bias_kind=[None, "normal", "normal", "large", "tiny"][i % 5],
               extreme_w=i % 11 == 7)


def saturation_cases(g, rng):
    # Tiny output scales: nearly every output clamps at 0 or 255 (through int16 saturation).
    for i, y_scale in enumerate([1e-3, 2.5e-3, 0.004]):
        record(g, f"conv/saturate/{i}", rng, n=1, c_in=4, c_out=6, hw=(5, 5), kernel=(3, 3),
               stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, per_channel=i % 2 == 0,
               nonzero_zp=True, relu=i == 2, x_kind="extreme", y_scale=y_scale,
               y_zp=[0, 128, 255][i], bias_kind="large", extreme_w=True)
    # Extreme zero points with extreme codes.
    for i, (x_zp, y_zp) in enumerate([(0, 0), (255, 255), (0, 255), (255, 0)]):
        record(g, f"conv/extreme-zp/{i}", rng, n=1, c_in=3, c_out=4, hw=(4, 5), kernel=(3, 3),
               stride=(1, 2), padding=(2, 1), dilation=(1, 1), groups=1,
               per_channel=i % 2 == 1, nonzero_zp=True, relu=i % 2 == 0, x_kind="extreme",
               x_zp=x_zp, y_zp=y_zp)


def build_dependent_cases(g, rng):
    """A bias beyond int32 after quantization: the GEMM kernel (1x1, stride 1, no padding)
    saturates it, every other QNNPACK kernel gets INT32_MIN on x86 (ARM would saturate)."""
    for i, (kernel, padding) in enumerate([((1, 1), (0, 0)), ((3, 3), (1, 1))]):
        record(g, f"conv/build-dependent/bias-overflow-{i}", rng, n=1, c_in=2, c_out=3, hw=(3, 3),
               kernel=kernel, stride=(1, 1), padding=padding, dilation=(1, 1), groups=1,
               per_channel=False, nonzero_zp=True, relu=False, x_scale=0.0037, y_scale=0.3,
               bias_kind="overflow", extreme_w=True, allow_bias_overflow=True)


def model_cases(g, rng):
    """Layer shapes of ResNet-18 and MobileNetV2 (spatial sizes shrunk to keep files small)."""
    layers = [
        # name, c_in, c_out, hw, kernel, stride, padding, groups
        ("resnet18/conv1", 3, 64, (12, 12), (7, 7), 2, 3, 1),
        ("resnet18/layer1.conv", 64, 64, (4, 4), (3, 3), 1, 1, 1),
        ("resnet18/layer2.conv1", 64, 128, (4, 4), (3, 3), 2, 1, 1),
        ("resnet18/layer2.downsample", 64, 128, (4, 4), (1, 1), 2, 0, 1),
        ("mobilenet_v2/features0", 3, 32, (8, 8), (3, 3), 2, 1, 1),
        ("mobilenet_v2/dw3x3", 32, 32, (6, 6), (3, 3), 1, 1, 32),
        ("mobilenet_v2/dw3x3-s2", 96, 96, (5, 5), (3, 3), 2, 1, 96),
        ("mobilenet_v2/project", 32, 16, (4, 4), (1, 1), 1, 0, 1),
        ("mobilenet_v2/expand", 16, 96, (3, 3), (1, 1), 1, 0, 1),
    ]
    for i, (name, c_in, c_out, hw, kernel, stride, padding, groups) in enumerate(layers):
        record(g, f"conv/model/{name}", rng, n=1, c_in=c_in, c_out=c_out, hw=hw, kernel=kernel,
               stride=(stride, stride), padding=(padding, padding), dilation=(1, 1),
               groups=groups, per_channel=i % 2 == 0, nonzero_zp=False, relu=i % 3 != 2,
               bias_kind="normal")


def generate(seed):
    torch.backends.quantized.engine = "qnnpack"
    g = GoldenFile("conv_qnnpack", "scripts/golden/gen_conv.py", seed, engine="qnnpack",
                   notes="QNNPACK numerics; this PyTorch build has no FBGEMM")
    random_cases(g, g.rng, 120)
    saturation_cases(g, g.rng)
    model_cases(g, g.rng)
    build_dependent_cases(g, g.rng)
    return [g]
