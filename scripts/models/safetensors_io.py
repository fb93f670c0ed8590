"""Writes and reads safetensors files (PyTorch 1.13 on Debian ships no safetensors package).

Format (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned header
length N, N bytes of JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}` (plus an
optional "__metadata__" object of strings), then the raw little-endian, row-major tensor bytes;
offsets count from the first byte after the header.

Like the reference implementation's `serialize`, the header is compact JSON padded with spaces
to a multiple of 8 bytes, `__metadata__` first, and tensors are laid out by dtype in the
reference's enum order, largest first (I64, F64, F32, I32, F16, I16, I8, U8, BOOL), then by name:
every tensor starts at an offset that is a multiple of its element size, so a reader can view it
as a typed array in place.
The output depends only on the tensors (no timestamps, sorted keys): equal inputs, equal bytes.
"""
import json
import struct

import numpy as np
import torch

DTYPES = {
    torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"),
    torch.int64: ("I64", "<i8"), torch.int32: ("I32", "<i4"), torch.int16: ("I16", "<i2"),
    torch.int8: ("I8", "i1"), torch.uint8: ("U8", "u1"), torch.bool: ("BOOL", "?"),
}
_NUMPY = {name: np.dtype(code) for name, code in DTYPES.values()}
# safetensors' Dtype enum order (src/tensor.rs) for the dtypes above; serialize sorts by it.
_ORDER = ["BOOL", "U8", "I8", "I16", "F16", "I32", "F32", "F64", "I64"]


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
