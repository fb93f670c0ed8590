#!/usr/bin/env python3
"""Records golden/models/flows/ in real PyTorch: dynamic RNN/embedding models and a static / QAT
model at every stage, all exported with scripts/export_state_dict.py (see the folder's README.md).

Run by `deno task golden:flows` (= /usr/bin/python3 scripts/models/record_flows.py [--out DIR]).
Single-threaded, seeded, qnnpack engine. Every file is the exporter's output or plain tensors.
"""
import argparse
import copy
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))

import torch  # noqa: E402
import torch.ao.quantization as tq  # noqa: E402
from torch import nn  # noqa: E402

from export_state_dict import export_state_dict, write  # noqa: E402
from flow_models import BagTagger, CellStack, StagesNet, WordLM  # noqa: E402
from qgolden import cpu_name, quiet_stderr  # noqa: E402

ENGINE = "qnnpack"
SEED = 20261201


def plain(state):
    """A float model's state dict as plain tensors (every value already is one)."""
    return {k: v.detach().clone() for k, v in state.items()}


class Recorder:
    def __init__(self, out):
        self.out = out
        self.files = {}

    def write(self, name, tensors, description):
        size = write(os.path.join(self.out, name), tensors,
                     {"format": "pt", "description": description})
        self.files[name] = {"description": description, "tensors": len(tensors), "bytes": size,
                            "keys": sorted(tensors)}
        print(f"{name}: {len(tensors)} tensors, {size} bytes", flush=True)


def train_word_lm(model, steps=60):
    """Next-token training on a synthetic corpus (token t+1 = 7·t + 3 mod V, 10% noise)."""
    g = torch.Generator().manual_seed(SEED)
    ntoken = model.decoder.out_features
    seq = [int(torch.randint(ntoken, (1,), generator=g))]
    for _ in range(2000):
        noisy = torch.rand(1, generator=g).item() < 0.1
        seq.append(int(torch.randint(ntoken, (1,), generator=g)) if noisy else
                   (7 * seq[-1] + 3) % ntoken)
    data = torch.tensor(seq)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    model.train()
    for step in range(steps):
        start = (step * 37) % (len(data) - 41)
        chunk = data[start:start + 41].reshape(41, 1).repeat(1, 4)
        opt.zero_grad()
        out, _ = model(chunk[:-1], model.init_hidden(4))
        nn.functional.cross_entropy(out.reshape(-1, ntoken), chunk[1:].reshape(-1)).backward()
        opt.step()
    return model.eval(), data


def record_word_lm(rec):
    torch.manual_seed(SEED + 1)
    model, corpus = train_word_lm(WordLM())
    # The tutorial: quantize_dynamic(model, {nn.LSTM, nn.Linear}, dtype=torch.qint8).
    q = tq.quantize_dynamic(copy.deepcopy(model), {nn.LSTM, nn.Linear}, dtype=torch.qint8)
    tokens = corpus[100:100 + 2 * 10 * 3].reshape(2, 10, 3)
    with torch.no_grad():
        hidden = model.init_hidden(3)
        logits0, hidden = q(tokens[0], hidden)
        logits1, (h, c) = q(tokens[1], hidden)  # the tutorial's evaluate() carries the state
    rec.write("word_lm_float.safetensors", plain(model.state_dict()),
              "WordLM float state_dict after training (PyTorch's keys)")
    rec.write("word_lm_dynamic.safetensors", export_state_dict(q),
              "WordLM after quantize_dynamic({LSTM, Linear}), exported")
    rec.write("word_lm_record.safetensors",
              {"tokens": tokens, "logits0": logits0, "logits1": logits1, "h": h, "c": c},
              "tokens [2, 10, 3] (two chunks of 10 steps, batch 3); logits of each chunk with the "
              "state carried over from zeros; the final (h, c)")
    return {"quantized_repr": repr(q).splitlines()}


def bag_inputs(g, num, bags, per_sample=False):
    lengths = torch.randint(0, 5, (bags,), generator=g)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    indices = torch.randint(num, (int(lengths.sum()),), generator=g)
    weights = torch.randn(len(indices), generator=g) if per_sample else None
    return indices, offsets, weights


def record_bag_tagger(rec):
    torch.manual_seed(SEED + 2)
    model = BagTagger().eval()
    spec = {nn.LSTM: tq.default_dynamic_qconfig, nn.Linear: tq.per_channel_dynamic_qconfig,
            nn.EmbeddingBag: tq.float_qparams_weight_only_qconfig}
    q = tq.quantize_dynamic(copy.deepcopy(model), spec)
    g = torch.Generator().manual_seed(SEED + 3)
    indices, offsets, weights = bag_inputs(g, 80, 3 * 5, per_sample=True)
    with torch.no_grad():
        y = q(indices, offsets, weights, 3)
    rec.write("bag_tagger_float.safetensors", plain(model.state_dict()), "BagTagger float")
    rec.write("bag_tagger_dynamic.safetensors", export_state_dict(q),
              "BagTagger quantized: LSTM default_dynamic_qconfig, Linear per_channel_dynamic_qconfig,"
              " EmbeddingBag float_qparams_weight_only_qconfig; exported")
    rec.write("bag_tagger_record.safetensors",
              {"indices": indices, "offsets": offsets, "per_sample_weights": weights, "y": y},
              "15 bags (batch 3 × 5 steps, batch-first) with per-sample weights; y [3, 5, 5]")
    return {"quantized_repr": repr(q).splitlines()}


def record_cell_stack(rec):
    torch.manual_seed(SEED + 4)
    model = CellStack().eval()
    spec = {nn.GRU: tq.default_dynamic_qconfig, nn.LSTMCell: tq.default_dynamic_qconfig,
            nn.GRUCell: tq.default_dynamic_qconfig, nn.RNNCell: tq.default_dynamic_qconfig,
            nn.Linear: tq.default_dynamic_qconfig,
            nn.EmbeddingBag: tq.float_qparams_weight_only_qconfig_4bit}
    q = tq.quantize_dynamic(copy.deepcopy(model), spec)
    g = torch.Generator().manual_seed(SEED + 5)
    indices, offsets, _ = bag_inputs(g, 40, 6 * 2)
    with torch.no_grad():
        y = q(indices, offsets, 6)
    rec.write("cell_stack_float.safetensors", plain(model.state_dict()), "CellStack float")
    rec.write("cell_stack_dynamic.safetensors", export_state_dict(q),
              "CellStack quantized (4-bit EmbeddingBag, GRU, LSTMCell, GRUCell, RNNCell tanh and "
              "relu, Linear); exported")
    rec.write("cell_stack_record.safetensors", {"indices": indices, "offsets": offsets, "y": y},
              "12 bags (6 steps × batch 2, time-major); y [6, 2, 6]")
    return {"quantized_repr": repr(q).splitlines()}


def output_codes(qmodel, x):
    """The quint8 output of fc2 (what the DeQuantStub dequantizes) and the model's output."""
    got = {}
    handle = qmodel.fc2.register_forward_hook(lambda m, i, o: got.setdefault("y", o))
    with torch.no_grad():
        logits = qmodel(x)
    handle.remove()
    y = got["y"]
    return {"codes": y.int_repr(), "scale": torch.tensor(y.q_scale(), dtype=torch.float64),
            "zero_point": torch.tensor(y.q_zero_point(), dtype=torch.int64), "logits": logits}


def observer_qparams(prepared):
    """Every observer's calculate_qparams() (scale F32, zero point I32/I64 as returned)."""
    out = {}
    for name, mod in prepared.named_modules():
        if isinstance(mod, tq.ObserverBase) and not isinstance(mod, tq.PlaceholderObserver):
            scale, zero_point = mod.calculate_qparams()
            out[f"{name}.scale"] = scale.detach().clone()
            out[f"{name}.zero_point"] = zero_point.detach().clone()
    return out


def record_static(rec, data):
    torch.manual_seed(SEED + 6)
    model = StagesNet()
    with torch.no_grad():  # running statistics that are not the initial ones
        for batch in data["bn"]:
            model(batch)
    model.eval()
    fused = tq.fuse_modules(copy.deepcopy(model), StagesNet.FUSION)
    fused.qconfig = tq.get_default_qconfig("fbgemm")  # per-channel weights, reduce_range
    prepared = tq.prepare(fused)
    with torch.no_grad():
        for batch in data["calibration"]:
            prepared(batch)
    converted = tq.convert(copy.deepcopy(prepared))
    rec.write("stages_float.safetensors", plain(model.state_dict()),
              "StagesNet float state_dict (BN running statistics from 3 train-mode batches)")
    rec.write("stages_prepared.safetensors", export_state_dict(prepared),
              "fuse_modules + get_default_qconfig('fbgemm') + prepare, calibrated on 3 batches "
              "(HistogramObserver histograms, per-channel weight observers not run yet)")
    rec.write("stages_observer_qparams.safetensors", observer_qparams(prepared),
              "every activation observer's calculate_qparams() after calibration")
    rec.write("stages_static.safetensors", export_state_dict(converted),
              "convert(prepared): per-channel int8 weights, QNNPACK's zero bias for fc1, exported")
    rec.write("stages_static_record.safetensors", output_codes(converted, data["test"]),
              "fc2's quint8 output codes and qparams, and the logits, on the test batch")
    return {"fusion": StagesNet.FUSION, "qconfig": repr(fused.qconfig),
            "converted_repr": repr(converted).splitlines()}


def record_qat(rec, data):
    torch.manual_seed(SEED + 7)
    model = StagesNet().train()
    fused = tq.fuse_modules_qat(model, StagesNet.FUSION)
    fused.qconfig = tq.get_default_qat_qconfig("fbgemm")
    qat = tq.prepare_qat(fused)
    opt = torch.optim.SGD(qat.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(SEED + 8)
    for batch in data["qat"]:
        opt.zero_grad()
        target = torch.randint(4, (batch.shape[0],), generator=g)
        nn.functional.cross_entropy(qat(batch), target).backward()
        opt.step()
    rec.write("stages_qat_mid.safetensors", export_state_dict(qat),
              "prepare_qat + 5 SGD steps, observers and BN statistics still live (train mode)")
    converted = tq.convert(copy.deepcopy(qat).eval())
    rec.write("stages_qat.safetensors", export_state_dict(converted), "convert(qat.eval()), exported")
    rec.write("stages_qat_record.safetensors", output_codes(converted, data["test"]),
              "fc2's quint8 output codes and qparams, and the logits, on the test batch")
    return {"qconfig": repr(fused.qconfig), "converted_repr": repr(converted).splitlines()}


def record_float_ops(rec):
    """Float ops whose PyTorch result the library reproduces exactly, on awkward inputs."""
    g = torch.Generator().manual_seed(SEED + 10)
    t = {}
    lengths = list(range(1, 41)) + [100, 257]
    x = (torch.rand(sum(lengths), generator=g) - 0.5) * 20
    t["unary.x"] = x
    t["unary.lengths"] = torch.tensor(lengths)
    parts = x.split(lengths)
    t["unary.sigmoid"] = torch.cat([torch.sigmoid(p) for p in parts])
    t["unary.tanh"] = torch.cat([torch.tanh(p) for p in parts])
    shapes = [(7, 1000), (3, 37), (300, 40), (1000, 9), (64, 70), (130, 3), (2, 200, 45),
              (2, 3, 100), (6, 1000), (50, 2)]
    for i, shape in enumerate(shapes):
        v = (torch.rand(*shape, generator=g) * 2 - 1) * torch.exp(torch.randn(*shape, generator=g) * 3)
        t[f"reduce{i}.x"] = v
        t[f"reduce{i}.sum"] = v.sum()
        t[f"reduce{i}.mean"] = v.mean()
        for d in range(len(shape)):
            t[f"reduce{i}.sum{d}"] = v.sum(d)
            t[f"reduce{i}.mean{d}"] = v.mean(d)
    a = torch.randn(5, 33, generator=g) * 3
    b = torch.randn(5, 33, generator=g)
    t["mse.a"], t["mse.b"] = a, b
    for reduction in ("mean", "sum", "none"):
        t[f"mse.{reduction}"] = nn.functional.mse_loss(a, b, reduction=reduction)
    for i, shape in enumerate([(4, 3, 5, 5), (8, 6), (16, 5, 9), (3, 2, 40), (2, 20)]):
        c = shape[1]
        bn = nn.BatchNorm2d(c) if len(shape) == 4 else nn.BatchNorm1d(c)
        with torch.no_grad():
            bn.weight.copy_(torch.randn(c, generator=g))
            bn.bias.copy_(torch.randn(c, generator=g))
            bn.running_mean.copy_(torch.randn(c, generator=g))
            bn.running_var.copy_(torch.rand(c, generator=g) + 0.5)
        for k, v in bn.state_dict().items():
            t[f"bn{i}.{k}"] = v.clone()
        inputs = [torch.randn(*shape, generator=g) * 3 + 1 for _ in range(3)]
        bn.train()
        with torch.no_grad():
            for j, v in enumerate(inputs):
                t[f"bn{i}.x{j}"] = v
                t[f"bn{i}.train_y{j}"] = bn(v)
            for k, v in bn.state_dict().items():
                t[f"bn{i}.after.{k}"] = v.clone()
            bn.eval()
            t[f"bn{i}.eval_y"] = bn(inputs[0])
    w = torch.randn(20, 37, generator=g) * 3
    idx = torch.randint(0, 20, (50,), generator=g)
    off = torch.tensor([0, 3, 3, 10, 27, 49])
    psw = torch.randn(50, generator=g)
    t["bag.weight"], t["bag.indices"], t["bag.offsets"], t["bag.psw"] = w, idx, off, psw
    for mode in ("sum", "mean", "max"):
        t[f"bag.{mode}"] = nn.functional.embedding_bag(idx, w, off, mode=mode)
    t["bag.sum_psw"] = nn.functional.embedding_bag(idx, w, off, mode="sum", per_sample_weights=psw)
    rec.write("float_ops.safetensors", {k: v.detach().contiguous() for k, v in t.items()},
              "float sigmoid/tanh (lengths 1..40, 100, 257), sum/mean (all, per dim), mse_loss, "
              "BatchNorm train (3 steps: outputs and running statistics) and eval, embedding_bag")


def record(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.backends.quantized.engine = ENGINE
    rec = Recorder(out)
    g = torch.Generator().manual_seed(SEED + 9)
    images = lambda n: torch.randn(n, 3, 6, 6, generator=g) * 1.5 + 0.3  # noqa: E731
    data = {"bn": [images(8) for _ in range(3)], "calibration": [images(8) for _ in range(3)],
            "qat": [images(8) for _ in range(5)], "test": images(5)}
    rec.write("stages_data.safetensors",
              {"test": data["test"], **{f"calibration{i}": b for i, b in enumerate(data["calibration"])}},
              "StagesNet inputs: the test batch [5, 3, 6, 6] and the calibration batches")
    with quiet_stderr():  # QNNPACK warns that it ignores reduce_range
        info = {"word_lm": record_word_lm(rec), "bag_tagger": record_bag_tagger(rec),
                "cell_stack": record_cell_stack(rec), "static": record_static(rec, data),
                "qat": record_qat(rec, data)}
    record_float_ops(rec)
    manifest = {
        "format": "flows-models/1",
        "source": {"torch": torch.__version__, "engine": ENGINE,
                   "machine": f"{platform.machine()} ({cpu_name()})", "threads": 1,
                   "seed": SEED, "generator": "scripts/models/record_flows.py"},
        "models": info, "files": rec.files,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "golden", "models", "flows"))
    args = parser.parse_args()
    record(os.path.abspath(args.out))


if __name__ == "__main__":
    main()
