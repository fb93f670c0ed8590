#!/usr/bin/env python3
"""Records the `onnx` profile's golden cases (run by `deno task golden:onnx`).

1. golden/onnx/backend_node.json: ONNX's own backend node tests for the quantization operators
   (python3-onnx 1.12's case generators, `onnx.backend.test.case.node`, which compute inputs and
   expected outputs with NumPy), one case per test, the expanded-function variants included.
2. Candidate cases (random, seeded from each file's name) with outputs from the NumPy model of
   the ONNX operator definitions in onnx_model.py, written to --candidates; scripts/onnx/record.ts
   then runs each through onnxruntime-web and records in golden/onnx/ only the cases where both
   oracles agree bit for bit.

Usage: generate.py [--out DIR] [--candidates DIR] [--seed N]
"""
import argparse
import os
import sys
import warnings
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
sys.path.insert(0, HERE)

# onnx 1.12's case generators use aliases that NumPy 1.24 removed.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _alias, _type in (("float", float), ("int", int), ("bool", bool), ("object", object)):
        if not hasattr(np, _alias):
            setattr(np, _alias, _type)

import onnx  # noqa: E402
import onnx.backend.test.case.node as onnx_node_cases  # noqa: E402
from onnx import numpy_helper  # noqa: E402

from qgolden import GoldenFile, cpu_name  # noqa: E402
import onnx_model as M  # noqa: E402

QUANT_OPS = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger",
             "QLinearMatMul", "ConvInteger", "QLinearConv"]
F32 = np.float32


class OnnxGoldenFile(GoldenFile):
    """A qgolden/1 file of ONNX cases: ONNX/NumPy provenance, NumPy scalars taken as 0-d tensors."""

    def __init__(self, name, generator, seed, notes):
        super().__init__(name, generator=generator, seed=seed)
        self.source = {"onnx": onnx.__version__, "numpy": np.__version__, "machine": cpu_name(),
                       "generator": generator, "seed": seed, "notes": notes}

    def add(self, id, op, attrs, inputs, outputs):
        # As torch tensors: qgolden's numpy path (np.ascontiguousarray) turns 0-d arrays into 1-d.
        as_arrays = lambda d: {k: torch.from_numpy(np.array(v)) for k, v in d.items()}  # noqa: E731
        super().add(id, op, attrs, as_arrays(inputs), as_arrays(outputs))


golden = OnnxGoldenFile


def attribute_value(a):
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [int(x) for x in v]
    return v


def backend_node_file(seed):
    """ONNX's own test cases for the quantization operators."""
    g = golden("backend_node", "scripts/onnx/generate.py (onnx.backend.test.case.node)", seed,
               "ONNX's backend node tests; expected outputs computed by onnx's NumPy case generators")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = onnx_node_cases.collect_testcases("")
    for case in cases:
        graph = case.model.graph
        # An expanded case runs the operator's function body; it is recorded as the operator.
        expanded = case.name.endswith("_expanded")
        op = next((o for o in sorted(QUANT_OPS, key=len, reverse=True)
                   if o.lower() in case.name.replace("_", "")), None) \
            if expanded else next((n.op_type for n in graph.node if n.op_type in QUANT_OPS), None)
        if op is None:
            continue
        schema = onnx.defs.get_schema(op)
        node = None if expanded else next(n for n in graph.node if n.op_type == op)
        inputs, outputs = case.data_sets[0]
        # Graph inputs/outputs follow the node's; name them as the operator definition does.
        in_names = [schema.inputs[i].name for i in range(len(inputs))] if node is None else \
            [schema.inputs[list(node.input).index(v.name)].name for v in graph.input]
        out_names = [schema.outputs[i].name for i in range(len(outputs))]
        attrs = {} if node is None else {a.name: attribute_value(a) for a in node.attribute}
        if op == "DynamicQuantizeLinear":
            # The operator defines y_scale and y_zero_point as scalars; onnx 1.12's generator
            # stores them as 1-element vectors (its test runner compares with broadcasting).
            outputs = [outputs[0]] + [np.asarray(v).reshape(()) for v in outputs[1:]]
        g.add(case.name, f"onnx.{op}", attrs, dict(zip(in_names, inputs)), dict(zip(out_names, outputs)))
    return g


def rng_for(name, seed):
    return np.random.default_rng(zlib.crc32(name.encode()) ^ seed)


def codes(rng, dtype, shape):
    lo, hi = M.RANGES[np.dtype(dtype)]
    return rng.integers(lo, hi + 1, size=shape).astype(dtype)


def scale(rng):
    return F32(np.exp(rng.uniform(np.log(1e-3), np.log(0.5))))


def zero_point(rng, dtype):
    lo, hi = M.RANGES[np.dtype(dtype)]
    return np.array(rng.integers(lo, hi + 1), dtype)


def shape(rng, rank, hi=6):
    return tuple(int(d) for d in rng.integers(1, hi + 1, size=rank))


def floats(rng, n, s, zp, dtype):
    """Values around the representable range, with exact ties (k + 0.5)·s and extremes."""
    lo, hi = M.RANGES[np.dtype(dtype)]
    x = (rng.uniform(lo - 40, hi + 40, size=n) - float(zp)) * float(s)
    ties = rng.random(n) < 0.3
    x[ties] = ((rng.integers(lo - 10, hi + 10, size=ties.sum()) - int(zp)) + 0.5) * float(s)
    return x.astype(F32)


def quantize_file(seed):
    name = "quantize"
    rng = rng_for(name, seed)
    g = golden(name, "scripts/onnx/generate.py (onnx_model.py)", seed, "NumPy model of ONNX's "
               "QuantizeLinear/DequantizeLinear/DynamicQuantizeLinear; recorded where onnxruntime-web agrees")
    for i in range(60):
        dtype = [np.uint8, np.int8][i % 2]
        per_axis = i % 3 == 2
        shp = shape(rng, int(rng.integers(1, 5)))
        if per_axis:
            axis = int(rng.integers(-len(shp), len(shp)))
            ch = shp[axis]
            s = np.array([scale(rng) for _ in range(ch)], F32)
            z = np.array([zero_point(rng, dtype) for _ in range(ch)], dtype)
            x = floats(rng, int(np.prod(shp)), s.mean(), 0, dtype).reshape(shp)
            x = (x / F32(s.mean()) * M.along(s, shp, axis)).astype(F32)
            attrs = {"axis": axis}
        else:
            s, z = np.array(scale(rng), F32), zero_point(rng, dtype)
            x = floats(rng, int(np.prod(shp)), s, z, dtype).reshape(shp)
            axis, attrs = 1, {}
        if i % 10 == 9:
            x.reshape(-1)[:3] = [np.inf, -np.inf, F32(3e38)][: x.size]
        y = M.quantize_linear(x, s, z, axis)
        g.add(f"quantize_linear/{np.dtype(dtype).name}/{'axis' if per_axis else 'tensor'}-{i}",
              "onnx.QuantizeLinear", attrs, {"x": x, "y_scale": s, "y_zero_point": z}, {"y": y})
    for i in range(30):
        dtype = [np.uint8, np.int8, np.int32][i % 3]
        shp = shape(rng, int(rng.integers(1, 5)))
        per_axis = i % 2 == 1 and dtype != np.int32
        if dtype == np.int32:
            x = rng.integers(-2**31, 2**31, size=shp, dtype=np.int64).astype(np.int32)
        else:
            x = codes(rng, dtype, shp)
        if per_axis:
            axis = int(rng.integers(-len(shp), len(shp)))
            s = np.array([scale(rng) for _ in range(shp[axis])], F32)
            z = np.array([zero_point(rng, dtype) for _ in range(shp[axis])], dtype)
            attrs = {"axis": axis}
        else:
            s = np.array(scale(rng), F32)
            z = np.array(0, np.int32) if dtype == np.int32 else zero_point(rng, dtype)
            axis, attrs = 1, {}
        y = M.dequantize_linear(x, s, z, axis)
        g.add(f"dequantize_linear/{np.dtype(dtype).name}/{'axis' if per_axis else 'tensor'}-{i}",
              "onnx.DequantizeLinear", attrs, {"x": x, "x_scale": s, "x_zero_point": z}, {"y": y})
    for i in range(40):
        shp = shape(rng, int(rng.integers(1, 4)), 9)
        kind = i % 4
        lo, hi = [(-3, 3), (0.1, 5), (-5, -0.1), (-1e-3, 2e-3)][kind]
        x = rng.uniform(lo, hi, size=shp).astype(F32)
        if i % 5 == 4:
            s = F32((max(x.max(), 0) - min(x.min(), 0)) / 255)
            x.reshape(-1)[0] = F32((np.round(x.reshape(-1)[0] / s) + 0.5) * s)
        y, ys, yz = M.dynamic_quantize_linear(x)
        g.add(f"dynamic_quantize_linear/{['mixed', 'positive', 'negative', 'tiny'][kind]}-{i}",
              "onnx.DynamicQuantizeLinear", {}, {"x": x}, {"y": y, "y_scale": ys, "y_zero_point": yz})
    return g


def matmul_file(seed):
    name = "matmul"
    rng = rng_for(name, seed)
    g = golden(name, "scripts/onnx/generate.py (onnx_model.py)", seed, "NumPy model of ONNX's "
               "MatMulInteger/QLinearMatMul; recorded where onnxruntime-web agrees")
    combos = [(np.uint8, np.uint8), (np.uint8, np.int8), (np.int8, np.int8), (np.int8, np.uint8)]
    for i in range(40):
        ta, tb = combos[i % 4]
        m, k, n = (int(v) for v in rng.integers(1, 40, size=3))
        batch = [(), (2,), (3, 1)][i % 3]
        a = codes(rng, ta, batch + (m, k))
        b = codes(rng, tb, (k, n) if i % 2 else batch[-1:] + (k, n))
        az = zero_point(rng, ta)
        bz = zero_point(rng, tb) if i % 3 else np.array([zero_point(rng, tb) for _ in range(n)], tb)
        g.add(f"matmul_integer/{np.dtype(ta).name}x{np.dtype(tb).name}-{i}", "onnx.MatMulInteger", {},
              {"A": a, "B": b, "a_zero_point": az, "b_zero_point": bz},
              {"Y": M.matmul_integer(a, b, az, bz)})
    for i in range(60):
        ta, tb = combos[i % 4]
        m, k, n = (int(v) for v in rng.integers(1, 48, size=3))
        batch = [(), (), (2,)][i % 3]
        a = codes(rng, ta, batch + (m, k))
        b = codes(rng, tb, (k, n))
        per_col = i % 5 >= 3
        bs = np.array([scale(rng) * 0.05 for _ in range(n)] if per_col else scale(rng) * 0.05, F32)
        bz = np.array([zero_point(rng, tb) for _ in range(n)], tb) if per_col else zero_point(rng, tb)
        a_s, a_z = np.array(scale(rng) * 0.2, F32), zero_point(rng, ta)
        y_s, y_z = np.array(scale(rng), F32), zero_point(rng, ta)
        y = M.qlinear_matmul(a, a_s, a_z, b, bs, bz, y_s, y_z)
        g.add(f"qlinear_matmul/{np.dtype(ta).name}x{np.dtype(tb).name}/{'column' if per_col else 'tensor'}-{i}",
              "onnx.QLinearMatMul", {},
              {"a": a, "a_scale": a_s, "a_zero_point": a_z, "b": b, "b_scale": bs, "b_zero_point": bz,
               "y_scale": y_s, "y_zero_point": y_z}, {"y": y})
    return g


def conv_geometry(rng, i):
    depthwise = i % 5 == 3
    c = int(rng.integers(1, 9)) * (2 if i % 4 == 1 else 1)
    group = c if depthwise else (2 if i % 4 == 1 else 1)
    m = c if depthwise else int(rng.integers(1, 9)) * group
    k = int(rng.integers(1, 4))
    h, w = (int(v) for v in rng.integers(k + 2, 12, size=2))
    strides = [int(v) for v in rng.integers(1, 3, size=2)]
    dilations = [int(v) for v in rng.integers(1, 3, size=2)] if i % 3 == 2 else [1, 1]
    pads = [int(v) for v in rng.integers(0, k, size=4)] if k > 1 else [0, 0, 0, 0]
    attrs = {"kernel_shape": [k, k], "strides": strides, "dilations": dilations, "group": group, "pads": pads}
    geometry = {"strides": strides, "pads": pads, "dilations": dilations, "group": group}
    return (int(rng.integers(1, 3)), c, h, w), (m, c // group, k, k), attrs, geometry


def conv_file(seed):
    name = "conv"
    rng = rng_for(name, seed)
    g = golden(name, "scripts/onnx/generate.py (onnx_model.py)", seed, "NumPy model of ONNX's "
               "ConvInteger/QLinearConv; recorded where onnxruntime-web agrees")
    for i in range(24):
        xs, ws, attrs, geometry = conv_geometry(rng, i)
        x, w = codes(rng, np.uint8, xs), codes(rng, np.uint8, ws)
        xz, wz = zero_point(rng, np.uint8), zero_point(rng, np.uint8)
        g.add(f"conv_integer/uint8-{i}", "onnx.ConvInteger", attrs,
              {"x": x, "w": w, "x_zero_point": xz, "w_zero_point": wz},
              {"y": M.conv_integer(x, w, xz, wz, **geometry)})
    combos = [(np.uint8, np.uint8), (np.uint8, np.int8), (np.int8, np.int8)]
    for i in range(48):
        tx, tw = combos[i % 3]
        xs, ws, attrs, geometry = conv_geometry(rng, i)
        m = ws[0]
        x, w = codes(rng, tx, xs), codes(rng, tw, ws)
        per_channel = i % 2 == 1
        w_s = np.array([scale(rng) * 0.05 for _ in range(m)] if per_channel else [scale(rng) * 0.05], F32)
        w_z = np.array([zero_point(rng, tw) if tw == np.uint8 else 0] * (m if per_channel else 1), tw)
        x_s, x_z = np.array(scale(rng) * 0.2, F32), zero_point(rng, tx)
        y_s, y_z = np.array(scale(rng), F32), zero_point(rng, tx)
        bias = rng.integers(-5000, 5000, size=m).astype(np.int32) if i % 4 < 2 else None
        y = M.qlinear_conv(x, x_s, x_z, w, w_s, w_z, y_s, y_z, bias, **geometry)
        inputs = {"x": x, "x_scale": x_s, "x_zero_point": x_z, "w": w, "w_scale": w_s, "w_zero_point": w_z,
                  "y_scale": y_s, "y_zero_point": y_z}
        if bias is not None:
            inputs["B"] = bias
        g.add(f"qlinear_conv/{np.dtype(tx).name}x{np.dtype(tw).name}/{'channel' if per_channel else 'tensor'}-{i}",
              "onnx.QLinearConv", attrs, inputs, {"y": y})
    return g


def binary_file(seed):
    name = "binary"
    rng = rng_for(name, seed)
    g = golden(name, "scripts/onnx/generate.py (onnx_model.py)", seed, "NumPy model of com.microsoft "
               "QLinearAdd/QLinearMul; recorded where onnxruntime-web agrees")
    for op in ("add", "mul"):
        for i in range(40):
            dtype = [np.uint8, np.int8][i % 2]
            shp = shape(rng, int(rng.integers(1, 4)), 8)
            bshape = [shp, shp[-1:], (), shp[:-1] + (1,) if len(shp) > 1 else (1,)][i % 4]
            a, b = codes(rng, dtype, shp), codes(rng, dtype, bshape)
            qp = [np.array(scale(rng) * (0.3 if op == "mul" else 1), F32) for _ in range(3)]
            zs = [zero_point(rng, dtype) for _ in range(3)]
            c = M.qlinear_binary(op, a, qp[0], zs[0], b, qp[1], zs[1], qp[2], zs[2])
            g.add(f"qlinear_{op}/{np.dtype(dtype).name}-{i}", f"com.microsoft.QLinear{op.capitalize()}", {},
                  {"A": a, "A_scale": qp[0], "A_zero_point": zs[0], "B": b, "B_scale": qp[1],
                   "B_zero_point": zs[1], "C_scale": qp[2], "C_zero_point": zs[2]}, {"C": c})
    return g


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.join(HERE, "..", "..")
    parser.add_argument("--out", default=os.path.join(root, "golden", "onnx"))
    parser.add_argument("--candidates", default=os.path.join(root, ".tmp", "onnx_candidates"))
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    path, n, size = backend_node_file(args.seed).write(os.path.abspath(args.out))
    print(f"{os.path.relpath(path)}: {n} cases, {size / 1024:.0f} KiB")
    for make in (quantize_file, matmul_file, conv_file, binary_file):
        path, n, size = make(args.seed).write(os.path.abspath(args.candidates))
        print(f"{os.path.relpath(path)}: {n} candidate cases, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
