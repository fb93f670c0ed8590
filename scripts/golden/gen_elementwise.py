"""Elementwise, pooling and activation cases for CNNs (docs/numerics/vectorized.md,
docs/numerics/elementwise.md, docs/numerics/pooling.md, docs/numerics/activations.md).

Recorded single-threaded under the qnnpack engine and, where the numerics differ there, under
onednn (whose elementwise kernels are ATen's AVX2-vectorized ones on this x86 machine: the first
floor(n/64)*64 elements of each contiguous run are vector lanes, the rest scalar).

Ops of the catalog (golden/README.md §Op catalog): quantized_add, quantized_add_relu, quantized_mul
(attrs a_scale, a_zero_point, b_scale, b_zero_point, y_scale, y_zero_point; inputs a, b uint8 of
one shape; output y uint8).

Ops defined here (all activations quint8 unless the input tensor is int8, which means qint8;
float attributes hold the exact double PyTorch was given; `channels_last` (optional, default
false) says the input tensors were stored channels-last (NHWC) when recorded — the data is still
written in logical NCHW order; it selects PyTorch's channels-last kernels):

- quantized_mul_relu: as quantized_mul (torch.ops.quantized.mul_relu).
- quantized_add_scalar, quantized_mul_scalar: attrs x_scale, x_zero_point, c (a float);
  input x; outputs y (codes), y_scale (float64 scalar), y_zero_point (int64 scalar)
  (torch.ops.quantized.add_scalar / mul_scalar).
- quantized_cat: attrs dim, y_scale, y_zero_point, x_scales (float array, one per input),
  x_zero_points (int array), channels_last; inputs x0, x1, ... (same rank, equal sizes outside
  dim); output y (torch.ops.quantized.cat(xs, dim, y_scale, y_zero_point)). Engine-independent:
  recorded without an engine (the NHWC fast path is AVX2 code on x86 for every engine).
- quantized_max_pool2d: attrs kernel_size, stride, padding, dilation (int pairs), ceil_mode,
  x_scale, x_zero_point, channels_last; input x (NCHW); output y (same qparams as x)
  (torch.nn.functional.max_pool2d).
- quantized_avg_pool2d: attrs kernel_size, stride, padding (int pairs), ceil_mode,
  count_include_pad, divisor_override (int, optional: absent means None), x_scale,
  x_zero_point, channels_last; input x; output y (same qparams) (F.avg_pool2d).
- quantized_adaptive_avg_pool2d: attrs output_size (int pair), x_scale, x_zero_point,
  channels_last; input x; output y (same qparams) (F.adaptive_avg_pool2d).
- quantized_relu, quantized_relu6: attrs x_scale, x_zero_point; input x; output y (same
  qparams) (torch.relu, torch.nn.functional.relu6 on quantized tensors).
- quantized_hardswish: attrs x_scale, x_zero_point, y_scale, y_zero_point; input x; output y
  (torch.ops.quantized.hardswish).
- quantized_sigmoid, quantized_tanh: attrs x_scale, x_zero_point; input x; outputs y (codes),
  y_scale (float64 scalar), y_zero_point (int64 scalar): the fixed output qparams PyTorch picks
  (torch.sigmoid, torch.tanh on quantized tensors).
"""
import numpy as np
import torch

from qgolden import GoldenFile

ENGINES = ["qnnpack", "onednn"]
SIZES = [1, 2, 7, 31, 63, 64, 65, 100, 127, 128, 129, 191, 200, 255, 256, 300, 1000]
SHAPES = [[2, 3, 4, 5], [1, 8, 7, 7], [3, 33], [2, 2, 64]]


def qtensor(codes, scale, zp):
    return torch._make_per_tensor_quantized_tensor(torch.from_numpy(np.ascontiguousarray(codes)),
                                                   scale, zp)


def rand_codes(rng, shape, dtype=np.uint8, kind="rand"):
    lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
    if kind == "extreme":
        return rng.choice(np.array([lo, hi], dtype), shape)
    return rng.integers(lo, hi + 1, shape).astype(dtype)


DECIMAL_SCALES = [0.01, 0.02, 0.05, 0.1, 0.037, 0.3, 0.0123, 1 / 3]


def rand_scale(rng):
    """A scale: mostly a short decimal (their simple ratios put many results on rounding ties,
    where the vector and scalar paths differ), else a float32-exact value or any double."""
    pick = rng.integers(0, 5)
    if pick == 0:
        return float(np.float32(rng.uniform(0.002, 0.5)))
    if pick == 1:
        return float(rng.uniform(0.002, 0.5))
    return float(rng.choice(DECIMAL_SCALES))


def rand_zp(rng, dtype=np.uint8):
    """A zero point: an extreme or the middle of the range, mostly an arbitrary one."""
    lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
    if rng.random() < 0.3:
        return int(rng.choice([lo, hi, (lo + hi + 1) // 2]))
    return int(rng.integers(lo, hi + 1))


def shape_of(i):
    return [SIZES[i % len(SIZES)]] if i % 4 else SHAPES[(i // 4) % len(SHAPES)]


# --------------------------------------------------------------------------- add / mul

def binary_cases(g, rng, engine, op, count):
    fn = {"quantized_add": torch.ops.quantized.add,
          "quantized_add_relu": torch.ops.quantized.add_relu,
          "quantized_mul": torch.ops.quantized.mul,
          "quantized_mul_relu": torch.ops.quantized.mul_relu}[op]
    for i in range(count):
        shape = shape_of(i)
        while True:
            sa, sb, sy = rand_scale(rng), rand_scale(rng), rand_scale(rng)
            if i % 3 == 1:
                # Output scale twice the inputs': many results land on a tie (k + 0.5), where
                # the FMA (vector) and plain (scalar) dequantize round differently.
                sa = float(rng.choice(DECIMAL_SCALES))
                sb, sy = (sa, 2 * sa) if i % 2 else (2 * sa, 2 * sa)
            if op.startswith("quantized_add"):
                # QNNPACK's add needs both scale ratios in [2^-14, 2^8) and one >= 2^-10.
                ra, rb = np.float32(sa) / np.float32(sy), np.float32(sb) / np.float32(sy)
                if not (2 ** -10 <= max(ra, rb) and min(ra, rb) >= 2 ** -14 and max(ra, rb) < 2 ** 8):
                    continue
            break
        za, zb, zy = rand_zp(rng), rand_zp(rng), rand_zp(rng)
        if op == "quantized_add_relu" and engine == "qnnpack" and zy == 255:
            zy = 254  # QNNPACK refuses the empty output range [255, 255]
        kind = "extreme" if i % 9 == 4 else "rand"
        a = qtensor(rand_codes(rng, shape, kind=kind), sa, za)
        b = qtensor(rand_codes(rng, shape, kind=kind), sb, zb)
        y = fn(a, b, sy, zy)
        g.add(f"{op[10:]}/{engine}/{i}-n{a.numel()}", op,
              {"a_scale": sa, "a_zero_point": za, "b_scale": sb, "b_zero_point": zb,
               "y_scale": sy, "y_zero_point": zy},
              {"a": a, "b": b}, {"y": y}, engine=engine)


def scalar_cases(g, rng, engine, count):
    for i in range(count):
        shape = shape_of(i)
        s, z = rand_scale(rng), rand_zp(rng)
        x = qtensor(rand_codes(rng, shape), s, z)
        c = float(rng.choice([0.0, float(rng.standard_normal() * 3), float(rng.standard_normal() * 100),
                              s * int(rng.integers(-300, 300)), s * (int(rng.integers(-5, 5)) + 0.5)]))
        for op, fn in (("quantized_add_scalar", torch.ops.quantized.add_scalar),
                       ("quantized_mul_scalar", torch.ops.quantized.mul_scalar)):
            y = fn(x, c)
            g.add(f"{op[10:]}/{engine}/{i}", op, {"x_scale": s, "x_zero_point": z, "c": c},
                  {"x": x}, {"y": y, "y_scale": torch.tensor(y.q_scale(), dtype=torch.float64),
                             "y_zero_point": torch.tensor(y.q_zero_point(), dtype=torch.int64)},
                  engine=engine)


def overflow_cases(g, rng, engine):
    """Output scales so small that a vector lane's int32 overflows: add's quantize clips to
    2147483520 and adds the zero point wrapping (zero points >= 128 give qmin), mul's cvtps2dq gives
    INT32_MIN; the scalar tail saturates instead. QNNPACK's add refuses these ratios, so only mul
    runs on the qnnpack engine (ATen's kernel there too)."""
    ops = [("quantized_mul", torch.ops.quantized.mul), ("quantized_mul_relu", torch.ops.quantized.mul_relu)]
    if engine != "qnnpack":
        ops += [("quantized_add", torch.ops.quantized.add),
                ("quantized_add_relu", torch.ops.quantized.add_relu)]
    for op, fn in ops:
        for i, (n, sy, zy) in enumerate([(80, 2 ** -24, 200), (200, 2 ** -20, 128), (129, 2 ** -17, 127),
                                         (64, 2 ** -30, 255), (100, 2 ** -16, 0)]):
            sa, sb = float(rng.choice([1.0, 0.5, 3.0])), float(rng.choice([1.0, 0.25, 2.0]))
            za, zb = rand_zp(rng), rand_zp(rng)
            a = qtensor(rand_codes(rng, [n]), sa, za)
            b = qtensor(rand_codes(rng, [n]), sb, zb)
            y = fn(a, b, sy, zy)
            g.add(f"{op[10:]}/{engine}/overflow{i}-n{n}", op,
                  {"a_scale": sa, "a_zero_point": za, "b_scale": sb, "b_zero_point": zb,
                   "y_scale": sy, "y_zero_point": zy},
                  {"a": a, "b": b}, {"y": y}, engine=engine)


def cat_overflow_cases(g, rng):
    """Channels-last cat into a tiny output scale: the vector channels clip and wrap (zero points
    >= 128 give qmin), the scalar tail saturates."""
    for i, (c, zy) in enumerate([(40, 200), (70, 128), (33, 100)]):
        x = qtensor(rand_codes(rng, [2, c, 2, 1]), 1.0, int(rng.integers(0, 60)))
        x = x.contiguous(memory_format=torch.channels_last)
        y = torch.ops.quantized.cat([x], 1, 2 ** -24, zy)
        g.add(f"cat/overflow{i}-r4-d1-cl", "quantized_cat",
              {"dim": 1, "y_scale": 2 ** -24, "y_zero_point": zy, "x_scales": [1.0],
               "x_zero_points": [x.q_zero_point()], "channels_last": True},
              {"x0": x}, {"y": y})


# --------------------------------------------------------------------------- cat

def cat_cases(g, rng, count):
    for i in range(count):
        channels_last = i % 3 == 0
        rank = 4 if channels_last or i % 2 else int(rng.integers(1, 5))
        dim = 1 if channels_last else int(rng.integers(0, rank))
        base = [int(rng.integers(1, 4)) for _ in range(rank)]
        if channels_last and i % 6 == 3:
            base[2] = base[3] = 1
        parts = int(rng.integers(1, 4))
        dtype = np.int8 if i % 7 == 5 else np.uint8
        sy, zy = rand_scale(rng), rand_zp(rng, dtype)
        xs, scales, zps = [], [], []
        for p in range(parts):
            shape = list(base)
            shape[dim] = int(rng.choice([1, 3, 8, 31, 32, 33, 40, 70])) if channels_last else int(rng.integers(1, 5))
            same = rng.random() < 0.3
            s, z = (sy, zy) if same else (rand_scale(rng), rand_zp(rng, dtype))
            x = qtensor(rand_codes(rng, shape, dtype), s, z)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            xs.append(x)
            scales.append(s)
            zps.append(z)
        if i % 9 == 0:
            # A crafted tie: (213 - 163)·0.01 / (1/3) = 1.5, which the FMA (vector) and plain
            # (scalar) dequantize round apart — it shows which channels take the vector path.
            sy, zy = 1 / 3, 41
            c = int(rng.choice([7, 12, 31, 47, 70]))
            codes = rng.choice(np.array([213, 113, 163, 200], np.uint8), (base[0], c, base[2], base[3]))
            x = qtensor(codes, 0.01, 163).contiguous(memory_format=torch.channels_last)
            xs, scales, zps = [x] + xs[1:], [0.01] + scales[1:], [163] + zps[1:]
            if dtype == np.int8:
                continue
        y = torch.ops.quantized.cat(xs, dim, sy, zy)
        g.add(f"cat/{i}-r{rank}-d{dim}{'-cl' if channels_last else ''}", "quantized_cat",
              {"dim": dim, "y_scale": sy, "y_zero_point": zy, "x_scales": scales,
               "x_zero_points": zps, "channels_last": channels_last},
              {f"x{p}": x for p, x in enumerate(xs)}, {"y": y})


# --------------------------------------------------------------------------- pooling

def pool_input(rng, shape, dtype, channels_last):
    s, z = rand_scale(rng), rand_zp(rng, dtype)
    x = qtensor(rand_codes(rng, shape, dtype), s, z)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, s, z


def pool_variant(rng, i, engine):
    """dtype, channels_last, shape: the kernel PyTorch picks depends on all three."""
    dtype = np.int8 if i % 5 == 4 else np.uint8
    channels_last = i % 4 == 1
    c = int(rng.choice([1, 2, 3, 8, 40])) if i % 3 else 1
    n = 1 + (i % 6 == 2)
    return dtype, channels_last, n, c


def max_pool_cases(g, rng, engine, count):
    for i in range(count):
        dtype, channels_last, n, c = pool_variant(rng, i, engine)
        while True:
            kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            if i % 7 == 0:
                kh, kw = 3, 3
            sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
            ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
            dh, dw = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if i % 2 else (1, 1)
            ceil = i % 3 == 2
            h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
            qnnpack_path = engine == "qnnpack" and dtype == np.uint8 and not ceil
            if qnnpack_path and kh * kw == 1:
                continue  # QNNPACK refuses 1x1 pooling
            x, s, z = pool_input(rng, (n, c, h, w), dtype, channels_last)
            try:
                y = torch.nn.functional.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw),
                                                   ceil_mode=ceil)
            except RuntimeError:
                continue  # output too small
            break
        g.add(f"max_pool2d/{engine}/{i}", "quantized_max_pool2d",
              {"kernel_size": [kh, kw], "stride": [sh, sw], "padding": [ph, pw],
               "dilation": [dh, dw], "ceil_mode": ceil, "x_scale": s, "x_zero_point": z,
               "channels_last": channels_last},
              {"x": x}, {"y": y}, engine=engine)


def avg_pool_cases(g, rng, engine, count):
    for i in range(count):
        dtype, channels_last, n, c = pool_variant(rng, i, engine)
        while True:
            kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            if i % 7 == 0:
                kh, kw = 3, 3
            sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
            ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
            ceil = i % 3 == 2
            cip = i % 2 == 0
            divisor = int(rng.integers(1, 12)) if i % 5 == 3 else None
            h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
            qnnpack_path = engine == "qnnpack" and dtype == np.uint8 and not ceil
            if qnnpack_path and kh * kw == 1:
                continue
            x, s, z = pool_input(rng, (n, c, h, w), dtype, channels_last)
            try:
                y = torch.nn.functional.avg_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil, cip,
                                                   divisor)
            except RuntimeError:
                continue
            break
        attrs = {"kernel_size": [kh, kw], "stride": [sh, sw], "padding": [ph, pw],
                 "ceil_mode": ceil, "count_include_pad": cip, "x_scale": s, "x_zero_point": z,
                 "channels_last": channels_last}
        if divisor is not None:
            attrs["divisor_override"] = divisor
        g.add(f"avg_pool2d/{engine}/{i}", "quantized_avg_pool2d", attrs, {"x": x}, {"y": y},
              engine=engine)


def adaptive_pool_cases(g, rng, engine, count):
    for i in range(count):
        dtype, channels_last, n, c = pool_variant(rng, i, engine)
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        if i % 4 == 0:  # divisible: QNNPACK's average pooling under the qnnpack engine
            oh = int(rng.choice([d for d in range(1, h + 1) if h % d == 0]))
            ow = int(rng.choice([d for d in range(1, w + 1) if w % d == 0]))
        elif i % 4 == 1:  # global pooling (ResNet / MobileNet heads, shrunk)
            h, w, oh, ow = int(rng.choice([4, 7])), int(rng.choice([4, 7])), 1, 1
        else:  # any size up to the input's (the 1.13 NHWC kernel misreads upsampling)
            oh, ow = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        x, s, z = pool_input(rng, (n, c, h, w), dtype, channels_last)
        y = torch.nn.functional.adaptive_avg_pool2d(x, (oh, ow))
        g.add(f"adaptive_avg_pool2d/{engine}/{i}", "quantized_adaptive_avg_pool2d",
              {"output_size": [oh, ow], "x_scale": s, "x_zero_point": z,
               "channels_last": channels_last},
              {"x": x}, {"y": y}, engine=engine)


# --------------------------------------------------------------------------- activations

def activation_input(rng, i, engine, dtype=np.uint8):
    """Every code once (a shuffled table) plus random codes; sizes straddle the vector split."""
    n = [256, 63, 319, 100, 64, 1][i % 6]
    lo = 0 if dtype == np.uint8 else -128
    if n >= 256:
        codes = np.concatenate([rng.permutation(256) + lo, rng.integers(lo, lo + 256, n - 256)])
    else:
        codes = rng.integers(lo, lo + 256, n)
    s = float(rng.choice([rand_scale(rng), float(rng.uniform(0.001, 0.2)), float(rng.uniform(0.2, 2))]))
    z = rand_zp(rng, dtype)
    return qtensor(codes.astype(dtype), s, z), s, z


def activation_cases(g, rng, engine, count):
    for i in range(count):
        dtype = np.int8 if engine != "qnnpack" and i % 4 == 3 else np.uint8
        x, s, z = activation_input(rng, i, engine, dtype)
        base = {"x_scale": s, "x_zero_point": z}
        if i < count // 2:
            g.add(f"relu/{engine}/{i}", "quantized_relu", base, {"x": x}, {"y": torch.relu(x)},
                  engine=engine)
            g.add(f"relu6/{engine}/{i}", "quantized_relu6", base, {"x": x},
                  {"y": torch.nn.functional.relu6(x)}, engine=engine)
        ys, yz = rand_scale(rng), rand_zp(rng, dtype)
        y = torch.ops.quantized.hardswish(x, ys, yz)
        g.add(f"hardswish/{engine}/{i}", "quantized_hardswish",
              {**base, "y_scale": ys, "y_zero_point": yz}, {"x": x}, {"y": y}, engine=engine)
        for op, fn in (("quantized_sigmoid", torch.sigmoid), ("quantized_tanh", torch.tanh)):
            y = fn(x)
            g.add(f"{op[10:]}/{engine}/{i}", op, base, {"x": x},
                  {"y": y, "y_scale": torch.tensor(y.q_scale(), dtype=torch.float64),
                   "y_zero_point": torch.tensor(y.q_zero_point(), dtype=torch.int64)},
                  engine=engine)


# --------------------------------------------------------------------------- generate

def generate(seed):
    files = []
    for engine in ENGINES:
        torch.backends.quantized.engine = engine
        g = GoldenFile(f"elementwise_{engine}", "scripts/golden/gen_elementwise.py", seed,
                       engine=engine,
                       notes="qnnpack: QNNPACK fixed-point add; onednn: ATen AVX2 vectorized "
                             "kernels (vector/scalar split at floor(n/64)*64), single-threaded")
        binary_cases(g, g.rng, engine, "quantized_add", 40)
        binary_cases(g, g.rng, engine, "quantized_add_relu", 30)
        binary_cases(g, g.rng, engine, "quantized_mul", 24)
        binary_cases(g, g.rng, engine, "quantized_mul_relu", 12)
        scalar_cases(g, g.rng, engine, 12)
        overflow_cases(g, g.rng, engine)
        files.append(g)
    for engine in ENGINES:
        torch.backends.quantized.engine = engine
        g = GoldenFile(f"pool_{engine}", "scripts/golden/gen_elementwise.py", seed, engine=engine,
                       notes="PyTorch picks QNNPACK (qnnpack engine, quint8, no ceil mode), "
                             "its channels-last kernels, or its NCHW loops")
        max_pool_cases(g, g.rng, engine, 40)
        avg_pool_cases(g, g.rng, engine, 50)
        adaptive_pool_cases(g, g.rng, engine, 32)
        files.append(g)
        g = GoldenFile(f"activations_{engine}", "scripts/golden/gen_elementwise.py", seed,
                       engine=engine,
                       notes="qnnpack: QNNPACK lookup tables (glibc expf/tanhf); onednn: ATen "
                             "AVX2 kernels (SLEEF vector lanes, glibc scalar tail)")
        activation_cases(g, g.rng, engine, 60)
        files.append(g)
    torch.backends.quantized.engine = "qnnpack"
    g = GoldenFile("cat", "scripts/golden/gen_elementwise.py", seed,
                   notes="engine-independent; the channels-last path is ATen's AVX2 code (x86)")
    cat_cases(g, g.rng, 36)
    cat_overflow_cases(g, g.rng)
    files.append(g)
    return files
