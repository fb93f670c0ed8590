"""quantized_embedding_bag and quantized_embedding cases (engine-independent).

The float table is quantized as `float_qparams_weight_only_qconfig` (quint8) or its `_4bit`
version (quint4x2) does — the qconfig's weight observer, then `quantize_per_channel` — packed
with `quantized::embedding_bag_prepack` (what `nn.quantized.EmbeddingBag` / `Embedding` hold) and
looked up with `quantized::embedding_bag_byte` / `embedding_bag_4bit` (the module's ops) or
`embedding_byte` / `embedding_4bit`. `mode` cycles through sum/mean/max: PyTorch 1.13's ops
ignore it and return the sum, which is what is recorded. Some rows are constant, zero, tiny or
huge; bags may be empty (an empty index tensor crashes `embedding_byte` in 1.13, so
embedding cases have at least one index); 2-D indices (fixed-length bags, no offsets) are included. The file's
cases are seeded from its name.
"""
import numpy as np
import torch
from torch.ao.quantization import (float_qparams_weight_only_qconfig,
                                   float_qparams_weight_only_qconfig_4bit)

from qgolden import GoldenFile

MODES = {"sum": 0, "mean": 1, "max": 2}


def table(rng, num, dim):
    w = rng.standard_normal((num, dim)).astype(np.float32) * np.float32(rng.choice([0.1, 1, 20]))
    for r in range(num):
        kind = rng.integers(0, 12)
        if kind == 0:
            w[r] = np.float32(rng.standard_normal())  # constant row
        elif kind == 1:
            w[r] = 0
        elif kind == 2:
            w[r] *= np.float32(1e-5)
        elif kind == 3:
            w[r] = np.abs(w[r])  # all positive: zero point below 0
    return torch.from_numpy(w)


def quantize(w, dtype):
    qconfig = float_qparams_weight_only_qconfig if dtype == "quint8" \
        else float_qparams_weight_only_qconfig_4bit
    obs = qconfig.weight()
    obs(w)
    scales, zero_points = obs.calculate_qparams()
    qweight = torch.quantize_per_channel(w, scales, zero_points, 0, obs.dtype)
    return torch.ops.quantized.embedding_bag_prepack(qweight)


def bag_cases(g, rng, count):
    for i in range(count):
        dtype = "quint8" if i % 2 == 0 else "quint4x2"
        num = int(rng.integers(1, 40))
        dim = int(rng.choice([2, 4, 6, 8, 16, 18, 32, 34, 64]))
        w = table(rng, num, dim)
        packed = quantize(w, dtype)
        mode = list(MODES)[i % 3]
        include_last = bool(i % 4 >= 2)
        two_d = i % 7 == 6 and not include_last
        weights = None
        if two_d:
            bags, length = int(rng.integers(1, 5)), int(rng.integers(1, 5))
            indices = torch.from_numpy(rng.integers(0, num, (bags, length)))
            offsets = None
        else:
            n = int(rng.integers(0, 30))
            indices = torch.from_numpy(rng.integers(0, num, n))
            cuts = np.sort(rng.integers(0, n + 1, int(rng.integers(1, 7))))
            cuts[0] = 0
            if include_last:
                cuts = np.append(cuts, n)
            offsets = torch.from_numpy(cuts.astype(np.int64))
            if i % 3 == 1:
                weights = torch.from_numpy(
                    (rng.standard_normal(n) * rng.choice([0.5, 3])).astype(np.float32))
        op = torch.ops.quantized.embedding_bag_byte if dtype == "quint8" \
            else torch.ops.quantized.embedding_bag_4bit
        y = op(packed, indices, offsets, False, MODES[mode], False, weights, None, include_last)
        g.add(f"embedding_bag/{dtype}/{mode}/{i}", "quantized_embedding_bag",
              {"mode": mode, "dtype": dtype, "include_last_offset": include_last},
              {"weight": w, "indices": indices, "offsets": offsets,
               "per_sample_weights": weights}, {"y": y})


def embedding_cases(g, rng, count):
    for i in range(count):
        dtype = "quint8" if i % 2 == 0 else "quint4x2"
        num = int(rng.integers(1, 40))
        dim = int(rng.choice([2, 4, 6, 16, 18, 32]))
        w = table(rng, num, dim)
        packed = quantize(w, dtype)
        shape = (int(rng.integers(1, 12)),) if i % 3 else (int(rng.integers(1, 4)),
                                                          int(rng.integers(1, 5)))
        indices = torch.from_numpy(rng.integers(0, num, shape))
        op = torch.ops.quantized.embedding_byte if dtype == "quint8" \
            else torch.ops.quantized.embedding_4bit
        y = op(packed, indices)
        g.add(f"embedding/{dtype}/{i}", "quantized_embedding", {"dtype": dtype},
              {"weight": w, "indices": indices}, {"y": y})


def generate(seed):
    name = "embedding"
    g = GoldenFile(name, "scripts/golden/gen_embedding.py", seed,
                   notes="float tables quantized by float_qparams_weight_only_qconfig(_4bit)")
    rng = g.rng
    bag_cases(g, rng, 60)
    embedding_cases(g, rng, 30)
    return [g]
