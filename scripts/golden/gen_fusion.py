"""Conv/Linear + BatchNorm folding in eval mode (torch.nn.utils.fusion; docs/numerics/fusion.md).

Ops (golden/README.md §Op catalog):
- `fuse_conv_bn_eval`: attrs `eps`, `transpose`; inputs `conv_w`, optional `conv_b`, `bn_rm`,
  `bn_rv`, optional `bn_w`, `bn_b` (absent for affine=False); outputs `w`, `b`.
- `fuse_linear_bn_eval`: attrs `eps`; inputs `linear_w`, optional `linear_b`, `bn_rm`, `bn_rv`,
  `bn_w`, `bn_b`; outputs `w`, `b`.
Modules get PyTorch's default initialisation and random BN statistics, some running variances
at or near 0 (where eps dominates and rsqrt is large).
"""
import numpy as np
import torch
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from qgolden import GoldenFile


def bn_stats(rng, bn, c, near_zero):
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rng.standard_normal(c).astype(np.float32)))
        rv = (rng.random(c) * 3).astype(np.float32)
        if near_zero:
            rv[0] = 0.0
            rv[-1] = np.float32(1e-9)
            if c > 2:
                rv[1] = np.float32(2e-5)
        bn.running_var.copy_(torch.from_numpy(rv))
        if bn.affine:
            bn.weight.copy_(torch.from_numpy(rng.standard_normal(c).astype(np.float32)))
            bn.bias.copy_(torch.from_numpy(rng.standard_normal(c).astype(np.float32)))


def conv_cases(g, rng):
    specs = [  # (module factory, BN class, transpose)
        (lambda c, b: torch.nn.Conv2d(3, c, 3, bias=b), torch.nn.BatchNorm2d, False),
        (lambda c, b: torch.nn.Conv1d(4, c, 5, bias=b), torch.nn.BatchNorm1d, False),
        (lambda c, b: torch.nn.Conv3d(2, c, 2, bias=b), torch.nn.BatchNorm3d, False),
        (lambda c, b: torch.nn.Conv2d(c, c, 3, groups=c, bias=b), torch.nn.BatchNorm2d, False),
        (lambda c, b: torch.nn.ConvTranspose2d(3, c, 2, bias=b), torch.nn.BatchNorm2d, True),
        (lambda c, b: torch.nn.ConvTranspose1d(2, c, 3, bias=b), torch.nn.BatchNorm1d, True),
    ]
    i = 0
    for make, bn_class, transpose in specs:
        for variant in range(4):
            c = int(rng.integers(1, 17))
            has_bias = variant % 2 == 0
            affine = variant != 3
            eps = [1e-5, 1e-3][variant % 2]
            conv = make(c, has_bias).eval()
            bn = bn_class(c, eps=eps, affine=affine).eval()
            bn_stats(rng, bn, c, near_zero=variant >= 2)
            fused = fuse_conv_bn_eval(conv, bn, transpose=transpose)
            inputs = {"conv_w": conv.weight, "conv_b": conv.bias, "bn_rm": bn.running_mean,
                      "bn_rv": bn.running_var, "bn_w": bn.weight, "bn_b": bn.bias}
            g.add(f"conv/{type(conv).__name__}/{i}", "fuse_conv_bn_eval",
                  {"eps": eps, "transpose": transpose}, inputs,
                  {"w": fused.weight, "b": fused.bias})
            i += 1


def linear_cases(g, rng):
    for i in range(8):
        c = int(rng.integers(1, 24))
        eps = [1e-5, 1e-3][i % 2]
        linear = torch.nn.Linear(int(rng.integers(1, 12)), c, bias=i % 3 != 2).eval()
        bn = torch.nn.BatchNorm1d(c, eps=eps).eval()
        bn_stats(rng, bn, c, near_zero=i >= 4)
        fused = fuse_linear_bn_eval(linear, bn)
        inputs = {"linear_w": linear.weight, "linear_b": linear.bias, "bn_rm": bn.running_mean,
                  "bn_rv": bn.running_var, "bn_w": bn.weight, "bn_b": bn.bias}
        g.add(f"linear/{i}", "fuse_linear_bn_eval", {"eps": eps}, inputs,
              {"w": fused.weight, "b": fused.bias})


def generate(seed):
    g = GoldenFile("fusion", "scripts/golden/gen_fusion.py", seed)
    conv_cases(g, g.rng)
    linear_cases(g, g.rng)
    return [g]
