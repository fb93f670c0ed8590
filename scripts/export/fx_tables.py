#!/usr/bin/env python3
"""Records PyTorch 1.13's graph-mode quantization tables, for the TypeScript tables to be checked.

Writes golden/models/fx/pytorch_fx_tables.json: every pattern config of the default backend
configs (native, fbgemm, x86, qnnpack; in their dict order, duplicates resolved as PyTorch
resolves them), and the default QConfigMappings (PTQ and QAT, per backend) with every qconfig
described by the observers it builds. nn/fx/tables_test.ts compares the TypeScript tables with
this file entry by entry.

Run: /usr/bin/python3 scripts/export/fx_tables.py [--out FILE]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
from torch.ao.quantization import backend_config as bc  # noqa: E402
from torch.ao.quantization import qconfig_mapping as qm  # noqa: E402
from torch.ao.quantization.backend_config.x86 import get_x86_backend_config as x86_backend_config  # noqa: E402

from fx_common import (  # noqa: E402
    describe_ctr, describe_qconfig, dynamic_qconfig_mapping, encode_pattern, jsonable, pattern_leaf,
    type_name)

BACKENDS = {
    "native": bc.get_native_backend_config,
    "fbgemm": bc.get_fbgemm_backend_config,
    "x86": x86_backend_config,
    "qnnpack": bc.get_qnnpack_backend_config,
}


def dtype_with_constraints(d):
    if d is None or d.dtype is None:
        return None
    out = {"dtype": jsonable(d.dtype)}
    for key in ("quant_min_lower_bound", "quant_max_upper_bound", "scale_min_lower_bound"):
        if getattr(d, key) is not None:
            out[key] = getattr(d, key)
    return out


def dtype_config(c):
    return {
        "input": dtype_with_constraints(c.input_dtype_with_constraints),
        "output": dtype_with_constraints(c.output_dtype_with_constraints),
        "weight": dtype_with_constraints(c.weight_dtype_with_constraints),
        "bias": None if c.bias_dtype is None else jsonable(c.bias_dtype),
        "is_dynamic": c.is_dynamic,
    }


def pattern_config(c):
    out = {
        "pattern": encode_pattern(c.pattern),
        "observation_type": c.observation_type.name.lower(),
        "dtype_configs": [dtype_config(d) for d in c.dtype_configs],
    }
    for key in ("root_module", "qat_module", "reference_quantized_module", "fused_module"):
        value = getattr(c, key)
        if value is not None:
            out[key] = type_name(value)
    if c.fuser_method is not None:
        out["fuser_method"] = True
    if c._num_tensor_args_to_observation_type:
        out["num_tensor_args_to_observation_type"] = {
            str(k): v.name.lower() for k, v in c._num_tensor_args_to_observation_type.items()}
    if c._input_type_to_index:
        out["input_type_to_index"] = dict(c._input_type_to_index)
    if c._overwrite_output_fake_quantize is not None:
        out["overwrite_output_fake_quantize"] = describe_ctr(c._overwrite_output_fake_quantize)
    if c._overwrite_output_observer is not None:
        out["overwrite_output_observer"] = describe_ctr(c._overwrite_output_observer)
    if c._input_output_observed is not None:
        out["input_output_observed"] = c._input_output_observed
    return out


def describe_mapping(m):
    return {
        "global": describe_qconfig(m.global_qconfig),
        "object_type": [[pattern_leaf(k), describe_qconfig(v)] for k, v in m.object_type_qconfigs.items()],
    }


def main_to(out):
    """Writes the tables to `out`."""
    tables = {
        "format": "qint8-fx-tables/1",
        "source": {"torch": torch.__version__, "generator": "scripts/export/fx_tables.py"},
        "backend_configs": {name: [pattern_config(c) for c in make().configs.values()]
                            for name, make in BACKENDS.items()},
        "qconfig_mappings": {
            flow: {backend: describe_mapping(make(backend))
                   for backend in ("fbgemm", "x86", "qnnpack", "onednn")}
            for flow, make in (("static", qm.get_default_qconfig_mapping),
                               ("qat", qm.get_default_qat_qconfig_mapping))},
        "qconfig_mappings_dynamic": describe_mapping(dynamic_qconfig_mapping()),
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(tables, f, indent=1, sort_keys=False)
        f.write("\n")
    count = sum(len(v) for v in tables["backend_configs"].values())
    print(f"wrote {out}: {count} pattern configs in 4 backend configs, 9 QConfigMappings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "golden", "models", "fx",
                                                      "pytorch_fx_tables.json"))
    main_to(parser.parse_args().out)


if __name__ == "__main__":
    main()
