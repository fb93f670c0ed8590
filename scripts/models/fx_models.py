"""The graph-mode proof models: plain float models, no QuantStub, no FloatFunctional, no fusion
list — graph mode finds the adds, the functional ReLUs and the conv-bn-relu chains itself.

DigitsNet is the digits CNN of digits.py written for graph mode (the same parameter names, so the
trained float_cnn.safetensors loads into it). MobileBlockNet is a MobileNetV2-style inverted
residual block with the ops graph mode adds over eager mode: torch.add, ReLU6 and F.relu6 after
conv-bn, Hardswish (module and functional), sigmoid with fixed qparams, a quantized mul,
torch.cat, F.max_pool2d, adaptive average pooling, x.view(x.size(0), -1), reshape (which reuses
its input's observer), tanh, F.linear and F.conv2d as functionals with their own parameters.

LstmNet is a 2-layer LSTM between two Linears, for the dynamic flow. ActsNet strings the
activations that graph mode lowers to their quantized kernels (ELU, LeakyReLU, Hardtanh, clamp,
Hardsigmoid) between convs.

nn/fx/proof_models.ts has the same models in TypeScript; their traced graphs must be these
models' traced graphs, node for node.
"""
import torch
import torch.nn.functional as F
from torch import nn


class DigitsNet(nn.Module):
    """[N, 1, 8, 8] -> 10 logits: conv-bn-relu, strided conv-bn-relu, a residual block
    (relu(block(x) + x)), global average pooling, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.relu2 = nn.ReLU()
        self.res_conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.res_bn1 = nn.BatchNorm2d(16)
        self.res_relu1 = nn.ReLU()
        self.res_conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.res_bn2 = nn.BatchNorm2d(16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        y = self.res_relu1(self.res_bn1(self.res_conv1(x)))
        y = self.res_bn2(self.res_conv2(y))
        x = F.relu(y + x)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


class MobileBlockNet(nn.Module):
    """[N, 3, 16, 16] -> 10 logits around one inverted residual block (expand 1x1, depthwise
    3x3, project 1x1, skip add)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.stem_act = nn.ReLU6()
        self.expand = nn.Conv2d(16, 64, 1, bias=False)
        self.expand_bn = nn.BatchNorm2d(64)
        self.dw = nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)
        self.dw_bn = nn.BatchNorm2d(64)
        self.project = nn.Conv2d(64, 16, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(16)
        self.act = nn.Hardswish()
        self.gate_weight = nn.Parameter(torch.randn(16, 16, 1, 1) * 0.25)
        self.gate_bias = nn.Parameter(torch.zeros(16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(32, 32)
        self.head_weight = nn.Parameter(torch.randn(10, 32) * 0.2)
        self.head_bias = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        x = self.stem_act(self.stem_bn(self.stem(x)))
        y = F.relu6(self.expand_bn(self.expand(x)))
        y = F.relu6(self.dw_bn(self.dw(y)))
        y = self.project_bn(self.project(y))
        x = self.act(torch.add(x, y))
        # PyTorch 1.13 prepacks a functional conv from its positional arguments: all given, as pairs.
        gate = torch.sigmoid(F.conv2d(x, self.gate_weight, self.gate_bias, (1, 1), (0, 0), (1, 1), 1))
        x = x * gate
        x = torch.cat([x, F.max_pool2d(x, 3, stride=1, padding=1)], 1)
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        x = F.hardswish(F.relu(self.fc1(x)))
        x = torch.tanh(x.reshape(-1, 32))
        return F.linear(x, self.head_weight, self.head_bias)


class LstmNet(nn.Module):
    """[T, N, 8] -> [N, 5]: Linear + ReLU, a 2-layer LSTM, its last time step, Linear. Graph
    mode's dynamic flow makes the Linears and the LSTM dynamic quantized modules."""

    def __init__(self):
        super().__init__()
        self.fc_in = nn.Linear(8, 16)
        self.lstm = nn.LSTM(16, 12, num_layers=2)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        y = torch.relu(self.fc_in(x))
        # Indexing, not unpacking: PyTorch 1.13's tracer cannot unpack a proxy on Python 3.11.
        out = self.lstm(y)[0]
        return self.fc(out[-1])


class ActsNet(nn.Module):
    """[N, 3, 12, 12] -> 6: the activations graph mode lowers to their quantized kernels — ELU
    and LeakyReLU (modules and functionals, requantizing), Hardtanh and clamp (integer clamps),
    Hardsigmoid (fixed qparams) — between convs, then pooling, linear, hardswish."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.elu = nn.ELU(0.7)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.lrelu = nn.LeakyReLU(0.15)
        self.conv3 = nn.Conv2d(16, 16, 1)
        self.htanh = nn.Hardtanh(-0.5, 1.5)
        self.conv4 = nn.Conv2d(16, 8, 1)
        self.hsig = nn.Hardsigmoid()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 6)

    def forward(self, x):
        x = self.elu(self.conv1(x))
        x = self.lrelu(F.leaky_relu(self.conv2(x), 0.1))
        y = self.htanh(F.elu(self.conv3(x), 0.5))
        y = torch.clamp(F.hardtanh(y, -0.25, 1.0), 0.0, 0.75)
        z = F.hardsigmoid(self.hsig(self.conv4(y)))
        z = torch.flatten(self.pool(z), 1)
        return F.hardswish(self.fc(z))
