"""Models for the tracer test (nn/fx/tracer_test.ts mirrors them in TypeScript): what
symbolic tracing must reproduce beyond the proof models — a Sequential and a custom submodule
traced through (scopes), FloatFunctional add_relu / cat / add_scalar / mul, a reserved forward
argument name (`input`), two inputs, parameters, a buffer, a plain tensor attribute (read by
get_attr like a buffer) and a tensor made in forward (`_tensor_constant0`), `x.size(0)`, view, getitem with slices and Ellipsis, torch.mean with a
list of dims and keepdim, methods (relu, sigmoid, contiguous, flatten), torch.add with a scalar,
a tuple output, and a module called twice (`fc_1`).

`record()` traces each with prepare_fx's tracer (QuantizationTracer, FloatFunctional swapped
for FXFloatFunctional) and returns {name: {"graph": nodes with scopes, "printout": str(graph)}};
record_fx.py writes it to golden/models/fx/traces.json.
"""
import torch
import torch.nn.functional as F
from torch import nn

import fx_common
import fx_export


class Block(nn.Module):
    """A custom module: traced through, its nodes scoped to it."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.skip = nn.quantized.FloatFunctional()

    def forward(self, x):
        return self.skip.add_relu(self.bn(self.conv(x)), x)


class TraceNet(nn.Module):
    """Two inputs ([N, 3, 8, 8] image, [N, 4, 2] mask) -> (logits [N, 4], mask slice [N, 4])."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = Block(8)
        self.join = nn.quantized.FloatFunctional()
        self.bump = nn.quantized.FloatFunctional()
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(12, 4)
        self.scale = nn.Parameter(torch.ones(4))
        self.register_buffer("shift", torch.zeros(4))
        self.offset = torch.full((4,), 0.5)

    def forward(self, input, mask):
        x = self.features(input)
        x = self.block(x)
        x = self.join.cat([x, x[:, :4]], dim=1)
        x = self.bump.add_scalar(x, 1.0)
        x = self.pool(x).contiguous()
        n = x.size(0)
        x = x.view(n, -1)
        y = self.fc(x) * self.scale + self.shift
        y = y + self.offset
        y = torch.mean(y.relu().reshape(n, 2, 2), [1, 2], True).flatten(1)
        z = torch.add(mask[..., 0], 2).sigmoid() * torch.full((1,), 3.0)
        return self.fc(x) + y, z


class LinearStack(nn.Module):
    """[N, 6] -> [N, 3]: Linear-ReLU twice through a Sequential, dropout, F.linear-free."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
        self.drop = nn.Dropout(0.25)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        x = self.drop(self.body(x))
        return self.out(F.relu(x) + x)


MODELS = {"trace_net": TraceNet, "linear_stack": LinearStack}


def record():
    out = {}
    for name, make in MODELS.items():
        torch.manual_seed(0)
        traced, scopes = fx_export.trace(make())
        out[name] = {"graph": fx_common.encode_graph(traced.graph, scopes),
                     "printout": str(traced.graph)}
    return out
