#!/usr/bin/env python3
"""Records the graph-mode proof: DigitsNet and MobileBlockNet (fx_models.py) quantized by
PyTorch's prepare_fx / prepare_qat_fx / convert_fx, three flows (static, qat, dynamic) on two
backend configs (qnnpack, x86), LstmNet in the dynamic flow and ActsNet in the static and QAT
flows on both, each written by scripts/export/fx_export.py's `export` into
golden/models/fx/<model>_<flow>_<backend>/ (the directory format `deno task model` reads).

DigitsNet starts from the trained digits CNN (golden/models/digits/float_cnn.safetensors) and
runs on the digits split of digits.py: calibration = the 64 calibration images in 4 batches of
16, test input = the first 32 test images; its QAT is SGD (lr 1e-3, momentum 0.9, batch 32) for
one pass over 320 training images, BatchNorm statistics frozen after 6 steps, observers
disabled after 8. MobileBlockNet has random weights and BatchNorm statistics and runs on
torch.randn batches [4, 3, 16, 16] (4 calibration, 1 test); its QAT is 10 SGD steps on random
labels with the same schedule scaled. LstmNet (random weights, dynamic flow only) runs on
torch.randn sequences [6, 3, 8]. ActsNet (random weights; static and QAT) runs on torch.randn
batches [4, 3, 12, 12], its QAT 8 SGD steps on random labels. Every directory is seeded from its
own name.
mobile_static_onednn and acts_static_onednn run on PyTorch's onednn engine.
<model>_custom_<backend> (mobile on qnnpack, digits on x86) are static with a custom
QConfigMapping (`custom_mapping`, written to qconfig_mapping.json) that tests PyTorch's precedence.

Run: /usr/bin/python3 scripts/models/record_fx.py [--out DIR] [--only NAME]
Also writes golden/models/fx/pytorch_fx_tables.json (scripts/export/fx_tables.py),
float_ops.safetensors (`record_float_ops`), graph_api.json (fx_graph_api.py), traces.json
(fx_trace_models.py) and readme_example.txt (`record_readme_example`).
"""
import argparse
import hashlib
import json
import operator
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "export"))

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.intrinsic.qat import freeze_bn_stats  # noqa: E402
from torch.ao.quantization import disable_observer  # noqa: E402

import digits  # noqa: E402
import fx_export  # noqa: E402
import fx_graph_api  # noqa: E402
import fx_trace_models  # noqa: E402
import fx_models  # noqa: E402
import fx_tables  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
FLOWS = ("static", "qat", "dynamic")
BACKENDS = ("qnnpack", "x86")


def seed_of(name):
    """A seed from a directory name (adding directories never reseeds the others)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def qat_trainer(batches_of, steps, freeze_bn_after, disable_observer_after, seed):
    """SGD on (input, label) batches with the digits recipe's freeze schedule."""
    def train(prepared, _calibration):
        torch.manual_seed(seed)
        optimizer = torch.optim.SGD(prepared.parameters(), lr=1e-3, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        prepared.train()
        for step, (x, y) in enumerate(batches_of()):
            if step >= steps:
                break
            if step == freeze_bn_after:
                prepared.apply(freeze_bn_stats)
            if step == disable_observer_after:
                prepared.apply(disable_observer)
            optimizer.zero_grad()
            loss_fn(prepared(x), y).backward()
            optimizer.step()
    return train


def digits_case(name, flow):
    data = digits.load_split()
    model = fx_models.DigitsNet()
    state, _ = safetensors_io.read(os.path.join(ROOT, "golden", "models", "digits", "float_cnn.safetensors"))
    model.load_state_dict(state)
    calibration = list(data["calibration_x"].split(16))
    test_input = data["test_x"][:32]

    def batches():
        x, y = data["train_x"][:320], data["train_y"][:320]
        return zip(x.split(32), y.split(32))
    train = qat_trainer(batches, 10, 6, 8, seed_of(name)) if flow == "qat" else None
    return model, calibration, test_input, train


def mobile_case(name, flow):
    seed = seed_of(name)
    torch.manual_seed(seed)
    model = fx_models.MobileBlockNet()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    generator = torch.Generator().manual_seed(seed)
    calibration = [torch.randn(4, 3, 16, 16, generator=generator) for _ in range(4)]
    test_input = torch.randn(4, 3, 16, 16, generator=generator)

    def batches():
        g = torch.Generator().manual_seed(seed + 1)
        for _ in range(10):
            yield torch.randn(4, 3, 16, 16, generator=g), torch.randint(0, 10, (4,), generator=g)
    train = qat_trainer(batches, 10, 6, 8, seed) if flow == "qat" else None
    return model, calibration, test_input, train


def lstm_case(name, flow):
    seed = seed_of(name)
    torch.manual_seed(seed)
    model = fx_models.LstmNet()
    generator = torch.Generator().manual_seed(seed)
    calibration = [torch.randn(6, 3, 8, generator=generator) for _ in range(2)]
    test_input = torch.randn(6, 3, 8, generator=generator)
    return model, calibration, test_input, None


def acts_case(name, flow):
    seed = seed_of(name)
    torch.manual_seed(seed)
    model = fx_models.ActsNet()
    generator = torch.Generator().manual_seed(seed)
    calibration = [torch.randn(4, 3, 12, 12, generator=generator) for _ in range(3)]
    test_input = torch.randn(4, 3, 12, 12, generator=generator)

    def batches():
        g = torch.Generator().manual_seed(seed + 1)
        for _ in range(8):
            yield torch.randn(4, 3, 12, 12, generator=g), torch.randint(0, 6, (4,), generator=g)
    train = qat_trainer(batches, 8, 5, 6, seed) if flow == "qat" else None
    return model, calibration, test_input, train


CASES = {"digits": digits_case, "mobile": mobile_case, "lstm": lstm_case, "acts": acts_case}
# The LSTM has only dynamic dtype configs in PyTorch's backend configs; the activations only
# static ones.
FLOWS_OF = {"digits": FLOWS, "mobile": FLOWS, "lstm": ("dynamic",), "acts": ("static", "qat")}


def custom_mapping(model_name, backend):
    """The backend's default QConfigMapping plus entries exercising PyTorch's precedence (global < object type < module-name
    regex, first match < module name < module name + object type + call index), with qconfigs
    told apart by their activation observers, and `None` entries that leave ops float."""
    from torch.ao.quantization import (
        HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver, QConfig, get_default_qconfig,
        get_default_qconfig_mapping)
    base = get_default_qconfig(backend)
    rr = base.activation().reduce_range
    minmax = QConfig(activation=MinMaxObserver.with_args(reduce_range=rr), weight=base.weight)
    hist512 = QConfig(activation=HistogramObserver.with_args(bins=512, reduce_range=rr), weight=base.weight)
    moving = QConfig(activation=MovingAverageMinMaxObserver.with_args(averaging_constant=0.5, reduce_range=rr),
                     weight=base.weight)
    # From the default mapping: the fixed-qparams ops (sigmoid, tanh) need their observers.
    m = get_default_qconfig_mapping(backend)
    if model_name == "mobile":
        m.set_object_type(nn.Conv2d, hist512)            # stem, project: type beats global
        m.set_module_name_regex("expand|dw", minmax)     # expand: a regex beats the type
        m.set_module_name_regex("(d|e).*", moving)       # expand and dw match both: the first wins
        m.set_module_name("dw", moving)                  # a module name beats the regexes
        m.set_module_name("fc1", None)                   # fc1 stays float
        m.set_module_name_object_type_order("", torch.add, 0, minmax)
        m.set_module_name_object_type_order("", torch.nn.functional.relu6, 1, None)
    else:
        m.set_object_type(nn.Linear, None)               # fc stays float
        m.set_module_name_regex("res_.*", minmax)
        m.set_module_name("res_conv2", moving)
        m.set_module_name_object_type_order("", operator.add, 0, hist512)
    return m


CUSTOM = (("mobile", "qnnpack"), ("digits", "x86"))
# On PyTorch's onednn engine (the native config): the oneDNN numerics end to end.
ONEDNN = (("mobile", "static", "onednn"), ("acts", "static", "onednn"))

FLOAT_LENGTHS = (1, 7, 15, 16, 17, 31, 32, 33, 100, 1000)


def record_float_ops(out):
    """The float ops graphs leave float, on lengths around ATen's vector blocks: float_ops.safetensors
    holds `x.<n>` (torch.randn(n) * 4, seeded from the file name) and `<op>.<n>` for sigmoid,
    tanh, hardswish and hardsigmoid; `m` [2, 3, 5, 7] and `big` [2, 37, 9, 33] with
    `<name>.mean.<dims>` over trailing, inner and mixed dimensions (one thread, as the graphs run);
    `qmean.codes` (quint8, scale 0.05, zero point 128) and `qmean.<nchw|nhwc>.<dims>`, the codes of
    the quantized mean of it, contiguous and channels-last; `qmean_inner.<engine>.<dims>` (m for
    a minus sign) over its innermost dimensions; `qadd.<case>.{a,b,out}` (ADD_CASES)."""
    name = "float_ops.safetensors"
    g = torch.Generator().manual_seed(seed_of(name))
    tensors = {}
    for n in FLOAT_LENGTHS:
        x = torch.randn(n, generator=g) * 4
        tensors[f"x.{n}"] = x
        tensors[f"sigmoid.{n}"] = torch.sigmoid(x)
        tensors[f"tanh.{n}"] = torch.tanh(x)
        tensors[f"hardswish.{n}"] = torch.nn.functional.hardswish(x)
        tensors[f"hardsigmoid.{n}"] = torch.nn.functional.hardsigmoid(x)
    for key, shape in (("m", (2, 3, 5, 7)), ("big", (2, 37, 9, 33))):
        m = torch.randn(*shape, generator=g)
        tensors[key] = m
        for dims in ((3,), (2, 3), (1, 2, 3), (1,), (0,), (1, 2), (0, 2), (1, 3), (0, 1, 2, 3)):
            tensors[f"{key}.mean." + "_".join(map(str, dims))] = m.mean(dims)
    # Quantized mean on ATen's generic path (dequantize, float mean, quantize with the input's
    # qparams): the float mean walks the dequantized tensor in its memory format.
    torch.backends.quantized.engine = "qnnpack"
    x = torch.randn(2, 5, 6, 7, generator=g)
    q = torch.quantize_per_tensor(x, 0.05, 128, torch.quint8)
    tensors["qmean.codes"] = q.int_repr()
    for layout, qt in (("nchw", q), ("nhwc", q.contiguous(memory_format=torch.channels_last))):
        for dims in ((1,), (0,), (2,), (1, 2), (0, 2), (1, 3)):
            tensors[f"qmean.{layout}." + "_".join(map(str, dims))] = qt.mean(dims).int_repr()
    # Float adaptive average pooling of a channels-last tensor (ATen's channels-last kernel; a
    # 1x1 output is a mean): `aap_cl.x` [2, 20, 7, 9] and `aap_cl.<oh>_<ow>`.
    x = torch.randn(2, 20, 7, 9, generator=g)
    tensors["aap_cl.x"] = x
    xc = x.contiguous(memory_format=torch.channels_last)
    for oh, ow in ((1, 1), (3, 4), (2, 5), (7, 9)):
        tensors[f"aap_cl.{oh}_{ow}"] = torch.nn.functional.adaptive_avg_pool2d(xc, (oh, ow)).contiguous()
    # Quantized mean over the innermost dimensions of a contiguous tensor: ATen's integer
    # inner-dimension kernel (QNNPACK's global average pooling for (2, 3) on qnnpack).
    for engine in ("qnnpack", "onednn"):
        torch.backends.quantized.engine = engine
        for dims in ((3,), (2, 3), (1, 2, 3), (-1,)):
            key = "_".join(str(d) for d in dims).replace("-", "m")
            tensors[f"qmean_inner.{engine}.{key}"] = q.mean(dims).int_repr()
    torch.backends.quantized.engine = "qnnpack"
    # Quantized add where ATen's qadd_kernel runs (broadcasting on any engine; mixed memory
    # formats outside qnnpack): `qadd.<case>.a|b|out` codes, qparams in ADD_CASES.
    for case, (sa, sb, a_cl, b_cl, relu, engine) in ADD_CASES.items():
        torch.backends.quantized.engine = engine
        a = torch.quantize_per_tensor(torch.randn(*sa, generator=g) * 2, 0.05, 120, torch.quint8)
        b = torch.quantize_per_tensor(torch.randn(*sb, generator=g) * 2, 0.04, 131, torch.quint8)
        if a_cl:
            a = a.contiguous(memory_format=torch.channels_last)
        if b_cl:
            b = b.contiguous(memory_format=torch.channels_last)
        op = torch.ops.quantized.add_relu if relu else torch.ops.quantized.add
        c = op(a, b, 0.07, 125)
        tensors[f"qadd.{case}.a"] = a.int_repr().contiguous()
        tensors[f"qadd.{case}.b"] = b.int_repr().contiguous()
        tensors[f"qadd.{case}.out"] = c.int_repr().contiguous()
    # Every (a, b) code pair under qparams where the vector and scalar formulas disagree on 62
    # pairs: all on the vector path (rows of 256, b a broadcast scalar per row), and all on the
    # scalar path (rows of 32, shorter than a vector block).
    torch.backends.quantized.engine = "qnnpack"
    codes = torch.arange(256, dtype=torch.uint8)
    for case, a_codes, b_codes in (
            ("pairs_vector", codes.repeat(256, 1), codes.reshape(256, 1)),
            ("pairs_scalar", codes.reshape(8, 32).repeat(256, 1),
             codes.repeat_interleave(8).reshape(2048, 1))):
        a = torch._make_per_tensor_quantized_tensor(a_codes, 0.013, 77)
        b = torch._make_per_tensor_quantized_tensor(b_codes, 0.0171, 200)
        tensors[f"qadd.{case}.a"] = a_codes
        tensors[f"qadd.{case}.b"] = b_codes
        tensors[f"qadd.{case}.out"] = torch.ops.quantized.add(a, b, 0.023, 131).int_repr()
    # Long strided rows (scalar path): a contiguous [1, 256, 1, 256] + b channels-last, onednn.
    torch.backends.quantized.engine = "onednn"
    a = torch._make_per_tensor_quantized_tensor(codes.repeat(256, 1).reshape(1, 256, 1, 256), 0.013, 77)
    b = torch._make_per_tensor_quantized_tensor(
        codes.reshape(256, 1).repeat(1, 256).reshape(1, 256, 1, 256), 0.0171, 200)
    b = b.contiguous(memory_format=torch.channels_last)
    tensors["qadd.pairs_strided.a"] = a.int_repr()
    tensors["qadd.pairs_strided.b"] = b.int_repr().contiguous()
    tensors["qadd.pairs_strided.out"] = torch.ops.quantized.add(a, b, 0.023, 131).int_repr().contiguous()
    torch.backends.quantized.engine = "qnnpack"
    safetensors_io.write(os.path.join(out, name), tensors)


# name: (a shape, b shape, a channels-last, b channels-last, relu, engine); a: (0.05, 120),
# b: (0.04, 131), output (0.07, 125).
ADD_CASES = {
    "row4": ((2, 4), (4,), False, False, False, "qnnpack"),
    "row130": ((3, 130), (130,), False, False, False, "qnnpack"),
    "col100": ((4, 100), (4, 1), False, False, True, "qnnpack"),
    "mid70": ((2, 3, 70), (2, 1, 70), False, False, False, "qnnpack"),
    "bias_nchw": ((2, 5, 6, 7), (1, 5, 1, 1), False, False, False, "qnnpack"),
    "bias_nhwc": ((1, 80, 3, 3), (1, 80, 1, 1), True, False, True, "qnnpack"),
    "bias_nhwc_onednn": ((1, 80, 3, 3), (1, 80, 1, 1), True, False, False, "onednn"),
    "mixed_onednn": ((1, 70, 2, 3), (1, 70, 2, 3), False, True, False, "onednn"),
    "mixed_cl_onednn": ((1, 70, 2, 3), (1, 70, 2, 3), True, False, False, "onednn"),
}


def record_readme_example(out):
    """The README's graph-mode example in Python (`F.relu(self.conv(x) + 1)`, its input, the
    qnnpack default mapping and config): PyTorch's converted graph, printed, for
    nn/fx/readme_test.ts. The conv's weights do not change the graph."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.backend_config import get_qnnpack_backend_config
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "qnnpack"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, x):
            return torch.nn.functional.relu(self.conv(x) + 1)

    torch.manual_seed(0)
    x = torch.sin(torch.arange(2 * 3 * 8 * 8, dtype=torch.float32)).reshape(2, 3, 8, 8)
    prepared = prepare_fx(Net().eval(), get_default_qconfig_mapping("qnnpack"), (x,),
                          backend_config=get_qnnpack_backend_config())
    prepared(x)
    converted = convert_fx(prepared)
    with open(os.path.join(out, "readme_example.txt"), "w") as f:
        f.write(str(converted.graph) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "golden", "models", "fx"))
    parser.add_argument("--only", help="record only this directory name")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for model_name, make in CASES.items():
        for flow in FLOWS_OF[model_name]:
            for backend in BACKENDS:
                name = f"{model_name}_{flow}_{backend}"
                if args.only and args.only != name:
                    continue
                model, calibration, test_input, train = make(name, flow)
                manifest = fx_export.export(
                    model, flow=flow, backend=backend, calibration=calibration,
                    test_input=test_input, out=os.path.join(args.out, name), train=train,
                    description=f"{model_name} ({type(model).__name__}), {flow}, {backend} config")
                print(f"{name}: engine {manifest['engine']}")
    for model_name, flow, backend in ONEDNN:
        name = f"{model_name}_{flow}_{backend}"
        if args.only and args.only != name:
            continue
        model, calibration, test_input, train = CASES[model_name](name, flow)
        manifest = fx_export.export(
            model, flow=flow, backend=backend, calibration=calibration, test_input=test_input,
            out=os.path.join(args.out, name), train=train,
            description=f"{model_name} ({type(model).__name__}), {flow}, {backend} config")
        print(f"{name}: engine {manifest['engine']}")
    for model_name, backend in CUSTOM:
        name = f"{model_name}_custom_{backend}"
        if args.only and args.only != name:
            continue
        model, calibration, test_input, _ = CASES[model_name](name, "static")
        manifest = fx_export.export(
            model, flow="static", backend=backend, calibration=calibration, test_input=test_input,
            out=os.path.join(args.out, name), qconfig_mapping_override=custom_mapping(model_name, backend),
            description=f"{model_name} ({type(model).__name__}), static, {backend} config, custom QConfigMapping")
        print(f"{name}: engine {manifest['engine']}")
    if not args.only:
        record_float_ops(args.out)
        with open(os.path.join(args.out, "graph_api.json"), "w") as f:
            json.dump(fx_graph_api.record(), f, indent=1)
            f.write("\n")
        record_readme_example(args.out)
        with open(os.path.join(args.out, "traces.json"), "w") as f:
            json.dump(fx_trace_models.record(), f, indent=1)
            f.write("\n")
    fx_tables.main_to(os.path.join(args.out, "pytorch_fx_tables.json"))


if __name__ == "__main__":
    main()
