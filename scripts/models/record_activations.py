#!/usr/bin/env python3
"""Records golden/models/activations/ in real PyTorch 1.13: ActivationsNet (flow_models.py)
through static PTQ on the qnnpack and onednn engines — the float state, the calibrated prepared
state, the converted state (exported with scripts/export_state_dict.py), a test batch and every
quantized module's output codes and qparams. nn/models/activations_test.ts checks the library's
prepare/convert on them, layer by layer.

Run by `deno task golden:activations` (/usr/bin/python3 scripts/models/record_activations.py).
Single-threaded and seeded.
"""
import argparse
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))

import torch  # noqa: E402
import torch.ao.quantization as tq  # noqa: E402

from export_state_dict import export_state_dict, write  # noqa: E402
from flow_models import ActivationsNet  # noqa: E402
from qgolden import cpu_name  # noqa: E402

SEED = 20261203
LAYERS = ["quant", "conv1", "bn1", "leaky", "conv2", "bn2", "hswish", "elu", "htanh", "hsig",
          "pool", "fc"]


def plain(state):
    return {k: v.detach().clone() for k, v in state.items()}


def layer_outputs(model, x):
    """Each listed module's quantized output: codes, scale (F64) and zero point (I64)."""
    got = {}
    handles = [getattr(model, name).register_forward_hook(
        lambda m, i, o, name=name: got.setdefault(name, o)) for name in LAYERS]
    with torch.no_grad():
        logits = model(x)
    for h in handles:
        h.remove()
    out = {"logits": logits}
    for name, y in got.items():
        out[f"{name}.codes"] = y.int_repr()
        out[f"{name}.scale"] = torch.tensor(y.q_scale(), dtype=torch.float64)
        out[f"{name}.zero_point"] = torch.tensor(y.q_zero_point(), dtype=torch.int64)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "golden", "models",
                                                      "activations"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = ActivationsNet()
    g = torch.Generator().manual_seed(SEED + 1)
    data = {
        "bn": [torch.randn(4, 3, 8, 8, generator=g) * 2 for _ in range(3)],
        "calibration": [torch.randn(4, 3, 8, 8, generator=g) * 2 for _ in range(3)],
        "test": torch.randn(2, 3, 8, 8, generator=g) * 2,
    }
    with torch.no_grad():  # running statistics that are not the initial ones
        for batch in data["bn"]:
            model(batch)
    model.eval()
    manifest = {"torch": torch.__version__, "machine": cpu_name(), "seed": SEED, "files": {}}

    def save(name, tensors, description):
        size = write(os.path.join(args.out, name), tensors, {"format": "pt",
                                                             "description": description})
        manifest["files"][name] = {"description": description, "bytes": size}
        print(f"{name}: {len(tensors)} tensors, {size} bytes", flush=True)

    save("float.safetensors", plain(model.state_dict()), "ActivationsNet float state_dict")
    save("data.safetensors", {**{f"calibration{i}": b for i, b in enumerate(data["calibration"])},
                              "test": data["test"]}, "calibration batches and the test batch")
    for engine in ("qnnpack", "onednn"):
        torch.backends.quantized.engine = engine
        fused = tq.fuse_modules(copy.deepcopy(model), ActivationsNet.FUSION)
        fused.qconfig = tq.get_default_qconfig(engine)
        prepared = tq.prepare(fused)
        with torch.no_grad():
            for batch in data["calibration"]:
                prepared(batch)
        converted = tq.convert(copy.deepcopy(prepared))
        save(f"{engine}_prepared.safetensors", export_state_dict(prepared),
             f"fuse_modules + get_default_qconfig('{engine}') + prepare, calibrated")
        save(f"{engine}_static.safetensors", export_state_dict(converted),
             f"convert(prepared) under the {engine} engine, exported")
        save(f"{engine}_record.safetensors", layer_outputs(converted, data["test"]),
             "every quantized module's output codes and qparams on the test batch, and the logits")
        manifest[f"{engine}_converted_repr"] = repr(converted).splitlines()
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
