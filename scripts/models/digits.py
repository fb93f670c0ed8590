"""The digits models and data: what golden/models/digits/ records (see its README.md).

Two tiny models for scikit-learn's handwritten digits (1797 grayscale 8x8 images, ten classes),
written for PyTorch's eager-mode quantization: QuantStub/DeQuantStub mark where tensors enter and
leave int8, a FloatFunctional carries the residual add (so it gets its own observer and becomes a
quantized add), and every layer is a named child module because the names are the state_dict keys
the TypeScript side loads.
"""
import numpy as np
import torch
from torch import nn
from torch.ao.quantization import DeQuantStub, QuantStub
from sklearn.datasets import load_digits

SPLIT_SEED = 20261124
"""Seed of the train/test permutation (numpy's legacy RandomState, stable across numpy versions)."""

TEST_SIZE = 360
CALIBRATION_SIZE = 64

CNN_FUSION = [
    ["conv1", "bn1", "relu1"],
    ["conv2", "bn2", "relu2"],
    ["res_conv1", "res_bn1", "res_relu1"],
    ["res_conv2", "res_bn2"],
]
"""fuse_modules list of DigitsCNN, the same for static PTQ (eval) and QAT (fuse_modules_qat)."""

MLP_FUSION = [["fc1", "relu1"], ["fc2", "relu2"]]
"""fuse_modules list of DigitsMLP for static PTQ (dynamic PTQ runs on the unfused model)."""


class DigitsCNN(nn.Module):
    """conv-bn-relu, strided conv-bn-relu, a residual block, global average pool, linear head.

    Shapes for an [N, 1, 8, 8] input: conv1 -> [N, 8, 8, 8], conv2 -> [N, 16, 4, 4], the residual
    block keeps [N, 16, 4, 4], pool -> [N, 16, 1, 1], flatten -> [N, 16], fc -> [N, 10] logits.
    """

    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
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
        # add_relu is one op in every flow: float add+relu, one observer after it, and
        # quantized::add_relu after convert (an nn.ReLU after a plain add would stay a separate
        # relu on the quantized tensor).
        self.skip_add = nn.quantized.FloatFunctional()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16, 10)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        y = self.res_relu1(self.res_bn1(self.res_conv1(x)))
        y = self.res_bn2(self.res_conv2(y))
        x = self.skip_add.add_relu(y, x)  # a = residual branch, b = skip connection
        x = self.flatten(self.pool(x))
        return self.dequant(self.fc(x))


class DigitsMLP(nn.Module):
    """flatten, linear(64->64)-relu, linear(64->32)-relu, linear(32->10) logits.

    Takes [N, 1, 8, 8] images (or [N, 64] rows); the flatten runs in float before the QuantStub.
    """

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.quant = QuantStub()
        self.fc1 = nn.Linear(64, 64)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(64, 32)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(32, 10)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(self.flatten(x))
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        return self.dequant(self.fc3(x))


def load_split():
    """The fixed split: a dict of float32 images [N, 1, 8, 8] in [0, 1], int64 labels, indices.

    Pixels are scikit-learn's 0..16 counts divided by 16 (exact in float32). `train_index`,
    `test_index` and `calibration_index` index load_digits() order; the calibration images are
    the first CALIBRATION_SIZE images of the training permutation.
    """
    digits = load_digits()
    images = torch.from_numpy((digits.data / 16.0).astype(np.float32)).reshape(-1, 1, 8, 8)
    labels = torch.from_numpy(digits.target.astype(np.int64))
    order = torch.from_numpy(np.random.RandomState(SPLIT_SEED).permutation(len(labels)))
    test_index, train_index = order[:TEST_SIZE], order[TEST_SIZE:]
    calibration_index = train_index[:CALIBRATION_SIZE]
    return {
        "train_x": images[train_index], "train_y": labels[train_index],
        "test_x": images[test_index], "test_y": labels[test_index],
        "calibration_x": images[calibration_index], "calibration_y": labels[calibration_index],
        "train_index": train_index, "test_index": test_index,
        "calibration_index": calibration_index,
    }
