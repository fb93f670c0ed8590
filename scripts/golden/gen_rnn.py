"""quantized_lstm_dynamic and quantized_gru_dynamic cases, qnnpack engine.

Each case is a float `nn.LSTM` / `nn.GRU` (PyTorch's default uniform init, sometimes scaled)
converted with `nn.quantized.dynamic.LSTM.from_float` / `GRU.from_float` under
`default_dynamic_qconfig` (what `quantize_dynamic(model, {nn.LSTM, nn.GRU})` does), run on an
input and optional initial state. The inputs are the float parameters under PyTorch's names
(`weight_ih_l0`, `bias_hh_l1_reverse`, …); the implementation quantizes them as the qconfig's
weight observer does. Hidden sizes cross 16 so that ATen's vector/scalar split of sigmoid (16
elements per vector step, per gate row) is exercised; inputs include sequences whose later steps
are far larger than the first (the input projection chooses its qparams over the whole sequence).
The file's cases are seeded from its name.
"""
import numpy as np
import torch
import torch.ao.nn.quantized.dynamic as nnqd
from torch import nn
from torch.ao.quantization import default_dynamic_qconfig

from qgolden import GoldenFile, quiet_stderr

HIDDEN = [1, 2, 5, 8, 15, 16, 17, 20, 31, 32, 33, 40, 47]
INPUT = [1, 3, 4, 7, 16, 19, 24]


def sequence(rng, shape, kind):
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "growing":  # later steps larger: one qparams choice for the whole sequence
        x *= np.linspace(0.1, 8, shape[0], dtype=np.float32).reshape(-1, 1, 1)
    elif kind == "positive":
        x = np.abs(x) * 2
    elif kind == "zeros":
        x[:] = 0
    elif kind == "wide":
        x *= np.float32(30)
    return torch.from_numpy(x.astype(np.float32))


def float_rnn(rng, cls, config, weight_scale):
    torch.manual_seed(int(rng.integers(0, 2**31)))
    mod = cls(config["input_size"], config["hidden_size"], num_layers=config["num_layers"],
              bias=True, batch_first=config["batch_first"],
              bidirectional=config["bidirectional"])
    with torch.no_grad():
        for p in mod.parameters():
            p.mul_(weight_scale)
    return mod.eval()


def rnn_cases(g, rng, mode, count):
    cls = nn.LSTM if mode == "lstm" else nn.GRU
    qcls = nnqd.LSTM if mode == "lstm" else nnqd.GRU
    kinds = ["normal", "growing", "positive", "normal", "wide", "zeros"]
    for i in range(count):
        layers = int(rng.choice([1, 1, 2, 3]))
        bidirectional = bool(i % 4 >= 2)
        hidden = int(HIDDEN[(i * 5) % len(HIDDEN)])
        if layers * (2 if bidirectional else 1) > 1:
            hidden = min(hidden, 17)  # keeps the file small: stacked weights grow fast
        config = {
            "input_size": int(INPUT[i % len(INPUT)]),
            "hidden_size": hidden,
            "num_layers": layers,
            "bias": True,
            "batch_first": bool(i % 3 == 1),
            "bidirectional": bidirectional,
        }
        steps = int(rng.integers(1, 7))
        batch = int(rng.integers(1, 5))
        mod = float_rnn(rng, cls, config, float(rng.choice([1, 1, 3, 0.2])))
        mod.qconfig = default_dynamic_qconfig
        qmod = qcls.from_float(mod)
        shape = [steps, batch, config["input_size"]]
        x = sequence(rng, shape, kinds[i % len(kinds)])
        if config["batch_first"]:
            x = x.transpose(0, 1).contiguous()
        directions = 2 if config["bidirectional"] else 1
        state_shape = [config["num_layers"] * directions, batch, config["hidden_size"]]
        with_state = i % 2 == 0
        h0 = torch.from_numpy(rng.standard_normal(state_shape).astype(np.float32))
        c0 = torch.from_numpy(rng.standard_normal(state_shape).astype(np.float32) * 2)
        with torch.no_grad():
            if mode == "lstm":
                y, (h_n, c_n) = qmod(x, (h0, c0) if with_state else None)
                outputs = {"y": y, "h_n": h_n, "c_n": c_n}
                state = {"h0": h0, "c0": c0} if with_state else {}
            else:
                y, h_n = qmod(x, h0 if with_state else None)
                outputs = {"y": y, "h_n": h_n}
                state = {"h0": h0} if with_state else {}
        params = {k: v.detach().clone() for k, v in mod.state_dict().items()}
        tag = f"L{config['num_layers']}{'-bi' if config['bidirectional'] else ''}" \
              f"{'-bf' if config['batch_first'] else ''}"
        g.add(f"{mode}_dynamic/{tag}/h{config['hidden_size']}/{i}", f"quantized_{mode}_dynamic",
              config, {"x": x, **state, **params}, outputs, engine="qnnpack")


def generate(seed):
    torch.backends.quantized.engine = "qnnpack"
    files = []
    for mode, count in [("lstm", 40), ("gru", 32)]:
        name = f"{mode}_dynamic_qnnpack"
        g = GoldenFile(name, "scripts/golden/gen_rnn.py", seed, engine="qnnpack",
                       notes="QNNPACK numerics (this build has no FBGEMM); weights given in float, "
                             "quantized by default_dynamic_qconfig's weight observer")
        with quiet_stderr():  # QNNPACK warns that it ignores reduce_range on every call
            rnn_cases(g, g.rng, mode, count)
        files.append(g)
    return files
