#!/usr/bin/env python3
"""Exports a PyTorch model's state dict to a safetensors file that qint8's `loadStateDict` reads.

Works with PyTorch >= 1.13 and needs nothing else (no safetensors package). Every stage of every
eager-mode flow exports: a float model, a prepared and calibrated model (every observer's
buffers, HistogramObserver histograms included), a QAT model mid-training (fake-quantize
buffers), and converted static, dynamic and QAT models (per-tensor and per-channel weights).
Plain tensors keep PyTorch's keys and dtypes; PyTorch's packed quantized parameters, which no
tensor file can hold, are written as plain tensors under the module's prefix (the layout of
nn/quantized/state_dict.ts):

  Linear / LinearReLU (static and dynamic), `_packed_params._packed_params`, and Conv2d's
  quantized `weight`:
      weight I8 (int_repr), weight_scale F64 [] or [out], weight_zero_point I64 [] or [out],
      weight_axis I64 [] (per-channel only), bias F32 (QNNPACK unpacks a zero bias for a
      bias=False layer; the library accepts it)
  float16 dynamic Linear: weight F16, bias F32
  output qparams of Quantize, QFunctional, Linear, Conv (`scale`, `zero_point`):
      scale F64 [], zero_point I64 [] (a dynamic Linear saves PyTorch's unused 1.0 and 0 too)
  dynamic LSTM / GRU (`_all_weight_values.<i>.param`): per layer and direction
      weight_ih_l0 (+ _scale, _zero_point[, _axis]), weight_hh_l0 (…), bias_ih_l0, bias_hh_l0,
      …_reverse, …_l1 — the float module's names
  dynamic LSTMCell / GRUCell / RNNCell (`_packed_weight_ih`, `_packed_weight_hh`):
      weight_ih (…), weight_hh (…), bias_ih, bias_hh
  Embedding / EmbeddingBag (`_packed_params._packed_weight`):
      weight U8 (int_repr: [num, dim], or [num, dim/2] packed nibbles for quint4x2),
      weight_scale F32 [num], weight_zero_point F32 [num], weight_axis I64 []

Usage:
  python3 scripts/export_state_dict.py MODEL.pt OUT.safetensors [--import MODULE ...]
MODEL.pt holds `torch.save(model)` (its classes importable: `--import` adds modules, and the
current directory is on the path) or `torch.save(model.state_dict())` (enough for everything but
the dynamic LSTM/GRU, whose layer/direction names need the module). From Python:

  from export_state_dict import export_state_dict, write
  write("model.safetensors", export_state_dict(model))
"""
import argparse
import importlib
import json
import os
import re
import struct
import sys

import numpy as np
import torch

# -------------------------------------------------------------------------------------------------
# safetensors I/O (https://github.com/huggingface/safetensors): an 8-byte little-endian header
# length N, N bytes of JSON {name: {dtype, shape, data_offsets}} (plus "__metadata__"), then the
# raw little-endian row-major data. Like the reference `serialize`: compact JSON padded with spaces
# to a multiple of 8, tensors laid out by dtype (largest element first) then by name, so every
# tensor is aligned for its type; equal inputs give equal bytes.

DTYPES = {
    torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"),
    torch.int64: ("I64", "<i8"), torch.int32: ("I32", "<i4"), torch.int16: ("I16", "<i2"),
    torch.int8: ("I8", "i1"), torch.uint8: ("U8", "u1"), torch.bool: ("BOOL", "?"),
}
_NUMPY = {name: np.dtype(code) for name, code in DTYPES.values()}
_ORDER = ["BOOL", "U8", "I8", "I16", "F16", "I32", "F32", "F64", "I64"]  # safetensors' enum order


def encode(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (a dict name -> plain torch tensor)."""
    entries = []
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"tensor {name!r}: expected a torch.Tensor, got {type(t).__name__}")
        if t.is_quantized:
            raise TypeError(f"tensor {name!r}: store a quantized tensor's int_repr() and qparams")
        if t.dtype not in DTYPES:
            raise TypeError(f"tensor {name!r}: unsupported dtype {t.dtype}")
        code, np_dtype = DTYPES[t.dtype]
        data = t.detach().contiguous().numpy().astype(np_dtype, copy=False).tobytes()
        entries.append((-_ORDER.index(code), name, code, list(t.shape), data))
    entries.sort(key=lambda e: (e[0], e[1]))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in sorted(metadata.items())}
    offset = 0
    for _, name, code, shape, data in entries:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(e[4] for e in entries)


def write(path, tensors, metadata=None):
    """Writes `tensors` to `path`; returns the number of bytes written."""
    blob = encode(tensors, metadata)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def read(path):
    """Reads a safetensors file: (dict name -> torch tensor, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(blob[8 + n + begin:8 + n + end], dtype=_NUMPY[info["dtype"]])
        tensors[name] = torch.from_numpy(array.copy()).reshape(info["shape"])
    return tensors, metadata


# -------------------------------------------------------------------------------------------------
# the layout


def quantized_weight(out, key, weight):
    """An int8 weight (codes and qparams) under `key`, `key`_scale, `key`_zero_point[, _axis]."""
    if not weight.is_quantized:  # a float16 dynamic linear: its weight, rounded to float16
        out[key] = weight.detach().to(torch.float16).clone()
        return
    if weight.dtype != torch.qint8:
        raise TypeError(f"{key}: expected a qint8 weight, got {weight.dtype}")
    out[key] = weight.int_repr().clone()
    scheme = weight.qscheme()
    if scheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
        out[key + "_scale"] = torch.tensor(float(weight.q_scale()), dtype=torch.float64)
        out[key + "_zero_point"] = torch.tensor(int(weight.q_zero_point()), dtype=torch.int64)
    elif scheme in (torch.per_channel_affine, torch.per_channel_symmetric):
        out[key + "_scale"] = weight.q_per_channel_scales().to(torch.float64).clone()
        out[key + "_zero_point"] = weight.q_per_channel_zero_points().to(torch.int64).clone()
        out[key + "_axis"] = torch.tensor(int(weight.q_per_channel_axis()), dtype=torch.int64)
    else:
        raise TypeError(f"{key}: unsupported weight qscheme {scheme}")


def weight_and_bias(out, prefix, names, weight, bias):
    quantized_weight(out, prefix + names[0], weight)
    if bias is not None:
        out[prefix + names[1]] = bias.detach().to(torch.float32).clone()


def embedding_weight(out, prefix, weight):
    if weight.qscheme() != torch.per_channel_affine_float_qparams:
        raise TypeError(f"{prefix}: embedding weights are per_channel_affine_float_qparams")
    # int_repr() of a quint4x2 tensor is its flat packed bytes: give it its rows back.
    out[prefix + "weight"] = weight.int_repr().reshape(weight.shape[0], -1).clone()
    out[prefix + "weight_scale"] = weight.q_per_channel_scales().to(torch.float32).clone()
    out[prefix + "weight_zero_point"] = weight.q_per_channel_zero_points().to(torch.float32).clone()
    out[prefix + "weight_axis"] = torch.tensor(int(weight.q_per_channel_axis()), dtype=torch.int64)


def packed_linear(obj):
    """(weight, bias) of a LinearPackedParamsBase torchbind object."""
    state = obj.__getstate__()[0]
    return state[0], state[1]


def rnn_cells(out, prefix, module):
    """A dynamic LSTM/GRU's `_all_weight_values` under the float module's parameter names
    (`_weight_bias()`, PyTorch's own unpacking)."""
    if module is None:
        raise ValueError(f"{prefix}_all_weight_values: a dynamic LSTM/GRU needs the module to name "
                         "its layers and directions; export the model, not its state dict")
    unpacked = module._weight_bias()
    for name, weight in unpacked["weight"].items():
        bias_name = name.replace("weight", "bias", 1)
        weight_and_bias(out, prefix, (name, bias_name), weight, unpacked["bias"][bias_name])


def export_state_dict(model):
    """The tensors of `model` (a module, or a state dict) in the library's layout (see above)."""
    modules = dict(model.named_modules()) if isinstance(model, torch.nn.Module) else {}
    state = model.state_dict() if isinstance(model, torch.nn.Module) else model
    out = {}
    rnn = set()  # prefixes of dynamic LSTM/GRU modules
    output_qparams = set()
    for key, value in state.items():
        prefix, _, name = key.rpartition(".")
        prefix = prefix + "." if prefix else ""
        if isinstance(value, torch.dtype):
            continue  # `_packed_params.dtype`: the weights say it
        match = re.fullmatch(r"(.*)_all_weight_values\.(\d+)\.param", key)
        if match:
            rnn.add(match.group(1))
        elif key.endswith("_packed_params._packed_params"):
            w, b = value
            weight_and_bias(out, key[:-len("_packed_params._packed_params")], ("weight", "bias"),
                            w, b)
        elif key.endswith("_packed_params._packed_weight"):
            embedding_weight(out, key[:-len("_packed_params._packed_weight")], value)
        elif name in ("_packed_weight_ih", "_packed_weight_hh"):
            part = name[-2:]
            w, b = packed_linear(value)
            weight_and_bias(out, prefix, (f"weight_{part}", f"bias_{part}"), w, b)
        elif not isinstance(value, torch.Tensor):
            raise TypeError(f"{key}: cannot export a {type(value).__name__}")
        elif value.is_quantized:
            quantized_weight(out, key, value)  # Conv2d's weight
        elif name in ("scale", "zero_point") and (
                is_output_qparams(state, prefix) or is_quantized_batch_norm(modules, prefix)):
            output_qparams.add(prefix)  # written below as F64 [] / I64 []
        else:
            out[key] = value.detach().clone()
    for prefix in output_qparams:
        out[prefix + "scale"] = torch.tensor(float(state[prefix + "scale"]), dtype=torch.float64)
        out[prefix + "zero_point"] = torch.tensor(int(state[prefix + "zero_point"]),
                                                  dtype=torch.int64)
    for prefix in sorted(rnn):
        rnn_cells(out, prefix, modules.get(prefix[:-1]))
    return out


def is_quantized_batch_norm(modules, prefix):
    """nnq.BatchNorm2d / nniq.BNReLU2d keep calculate_qparams()'s own tensors (float32 and
    int32 one-element tensors) as their output qparams."""
    module = modules.get(prefix[:-1])
    return module is not None and type(module).__name__ in ("BatchNorm2d", "BNReLU2d") and \
        ".quantized." in type(module).__module__


def is_output_qparams(state, prefix):
    """A quantized module's output qparams: a one-element float32 `scale` with an int64
    `zero_point` (observers and fake quants keep int32 zero points)."""
    scale = state.get(prefix + "scale")
    zero_point = state.get(prefix + "zero_point")
    return (isinstance(scale, torch.Tensor) and isinstance(zero_point, torch.Tensor) and
            scale.dtype == torch.float32 and scale.numel() == 1 and
            zero_point.dtype == torch.int64 and zero_point.numel() == 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="torch.save'd model or state dict")
    parser.add_argument("out", help="the safetensors file to write")
    parser.add_argument("--import", dest="imports", action="append", default=[],
                        help="a module to import before loading (defines the model's classes)")
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    for name in args.imports:
        importlib.import_module(name)
    try:
        model = torch.load(args.model, weights_only=False)
    except TypeError:  # PyTorch < 2.0 has no weights_only
        model = torch.load(args.model)
    tensors = export_state_dict(model)
    size = write(args.out, tensors, {"format": "pt", "exporter": "scripts/export_state_dict.py",
                                     "torch": torch.__version__})
    print(f"{args.out}: {len(tensors)} tensors, {size} bytes")


if __name__ == "__main__":
    main()
