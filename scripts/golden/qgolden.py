"""Helpers to write qgolden/1 files (golden/README.md §Format) from real PyTorch results.

Every value in a golden file comes from a PyTorch call made by a generator in this folder;
nothing is typed by hand. Files are written single-threaded (torch.set_num_threads(1)) because
PyTorch's vectorised kernels split work per thread and the split changes results.
"""
import base64
import contextlib
import json
import os
import platform
import zlib

import numpy as np
import torch

_DTYPES = {
    torch.float32: "float32", torch.float64: "float64", torch.uint8: "uint8",
    torch.int8: "int8", torch.int32: "int32", torch.int64: "int64", torch.bool: "bool",
    torch.quint8: "uint8", torch.qint8: "int8", torch.qint32: "int32",
}


def tensor(t):
    """Encodes a torch tensor (quantized tensors as their int_repr) or numpy array."""
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(t))
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"expected a tensor, got {type(t)}")
    t = t.detach()
    if t.is_quantized:
        t = t.int_repr()
    dtype = _DTYPES[t.dtype]
    data = t.contiguous().numpy().astype(np.dtype(dtype).newbyteorder("<"), copy=False).tobytes()
    return {"dtype": dtype, "shape": list(t.shape), "data": base64.b64encode(data).decode("ascii")}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def file_seed(seed, name):
    """The seed of one output file: the run's seed and the file's name, so that adding cases to
    one file never changes another file's cases."""
    return [seed, zlib.crc32(name.encode("utf-8"))]


class GoldenFile:
    """Collects cases and writes one qgolden/1 document. `rng` (numpy) and PyTorch's global
    generator are seeded from the run's seed and this file's name (`file_seed`)."""

    def __init__(self, name, generator, seed, engine=None, notes=None):
        self.name = name
        self.rng = np.random.default_rng(file_seed(seed, name))
        torch.manual_seed(int(np.random.default_rng(file_seed(seed, name)).integers(2**62)))
        self.cases = []
        self.ids = set()
        self.source = {
            "torch": torch.__version__,
            "engine": engine if engine is not None else torch.backends.quantized.engine,
            "machine": f"{platform.machine()} ({cpu_name()})",
            "build": "FBGEMM" if "fbgemm" in torch.backends.quantized.supported_engines
            else "without FBGEMM",
            "threads": torch.get_num_threads(),
            "generator": generator,
            "seed": seed,
        }
        if notes:
            self.source["notes"] = notes

    def add(self, id, op, attrs, inputs, outputs, engine=None, compare=None):
        if id in self.ids:
            raise ValueError(f"duplicate case id {id}")
        self.ids.add(id)
        case = {"id": id, "op": op}
        if engine is not None:
            case["engine"] = engine
        case["attrs"] = attrs
        case["inputs"] = {k: tensor(v) for k, v in inputs.items() if v is not None}
        case["outputs"] = {k: tensor(v) for k, v in outputs.items()}
        if compare:
            case["compare"] = compare
        self.cases.append(case)

    def write(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, self.name + ".json")
        doc = {"format": "qgolden/1", "source": self.source, "cases": self.cases}
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        return path, len(self.cases), os.path.getsize(path)


def f32(x):
    """The float32 nearest to x, as a Python float (what PyTorch stores for a float scale)."""
    return float(np.float32(x))


@contextlib.contextmanager
def quiet_stderr():
    """Silences C++ warnings (glog writes to fd 2, so sys.stderr redirection is not enough)."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
