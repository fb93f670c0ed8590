#!/usr/bin/env python3
"""Exports a PyTorch model quantized in graph mode, for `deno task model DIR` to reproduce.

    python3 scripts/export/fx_export.py --model FILE.py:FACTORY --input-shape 1,3,32,32 \
        [--flow static|qat|dynamic] [--backend qnnpack|fbgemm|x86|onednn] \
        [--calib-batches N] [--seed S] --out DIR

FACTORY() builds the float model (after torch.manual_seed(S)). The model is traced with
PyTorch's own tracer (QuantizationTracer, as prepare_fx traces), prepared with the backend's
default QConfigMapping and BackendConfig (PTQ: get_default_qconfig_mapping(backend); QAT:
get_default_qat_qconfig_mapping(backend); dynamic: default_dynamic_qconfig for Linear,
F.linear and the RNN modules), run on N
calibration batches of torch.randn(input shape) drawn from a generator seeded with S (QAT: those
batches in training mode, or the model file's `qat_train(prepared, batches)` when it defines
one), converted with convert_fx, and run on one more batch. Single-threaded. The quantized model
runs on the backend's own engine when this PyTorch has it, else on qnnpack (manifest `engine`).

DIR receives (all tensors safetensors, graphs JSON as in scripts/export/fx_common.py):
  manifest.json            what was run: torch, engine, flow, backend, shapes, seed, files
  float_graph.json         the traced float graph, node scopes, module specs
  float_state.safetensors  the traced model's state_dict
  prepared_graph.json      PyTorch's prepared graph: observers, their specs, shared observers
  prepared_state.safetensors  the prepared model's state_dict after calibration / QAT training
  converted_graph.json     PyTorch's converted graph and module specs
  converted_state.safetensors  quantized weights and qparams (int codes; see below)
  qconfig_mapping.json     only when `export` was given a QConfigMapping instead of the default
  io.safetensors           calibration batches `calib.<i>`, `input`, `float_output`, and every
                           converted node's value on `input`: `node.<name>` (float F32; quantized:
                           U8/I8 codes in logical order plus `node.<name>.scale` F64 [] and
                           `.zero_point` I64 []; ints I64)

Works with PyTorch 1.13 and later 2.x (same FX APIs).
"""
import argparse
import copy
import importlib.util
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "models"))

import torch  # noqa: E402
import torch.fx  # noqa: E402
from torch.ao.quantization import get_default_qat_qconfig_mapping, get_default_qconfig_mapping  # noqa: E402
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx, prepare_qat_fx  # noqa: E402

import safetensors_io  # noqa: E402
from fx_common import describe_qconfig_mapping, dynamic_qconfig_mapping, graph_module_json  # noqa: E402

FLOWS = ("static", "qat", "dynamic")
BACKENDS = ("qnnpack", "fbgemm", "x86", "onednn")


def backend_config(backend):
    """PyTorch's BackendConfig for a backend name (1.13 has none for onednn: the native one)."""
    from torch.ao.quantization import backend_config as bc
    if backend == "qnnpack":
        return bc.get_qnnpack_backend_config()
    if backend == "fbgemm":
        return bc.get_fbgemm_backend_config()
    if backend == "x86":
        try:
            from torch.ao.quantization.backend_config.x86 import get_x86_backend_config
        except ImportError:
            get_x86_backend_config = bc.get_x86_backend_config
        return get_x86_backend_config()
    if hasattr(bc, "get_onednn_backend_config"):
        return bc.get_onednn_backend_config()
    return bc.get_native_backend_config()


def qconfig_mapping(flow, backend):
    if flow == "static":
        return get_default_qconfig_mapping(backend)
    if flow == "qat":
        return get_default_qat_qconfig_mapping(backend)
    return dynamic_qconfig_mapping()


def choose_engine(backend):
    """Every backend runs on its own engine where this PyTorch has it, else on qnnpack."""
    engines = torch.backends.quantized.supported_engines
    return backend if backend in engines else "qnnpack"


def trace(model):
    """prepare_fx's trace: FloatFunctional swapped for FXFloatFunctional, QuantizationTracer."""
    from torch.ao.quantization.fx.tracer import QuantizationTracer
    from torch.ao.quantization.quantize_fx import _swap_ff_with_fxff
    model = copy.deepcopy(model)
    _swap_ff_with_fxff(model)
    tracer = QuantizationTracer([], [])
    graph = tracer.trace(model)
    return torch.fx.GraphModule(model, graph), tracer.node_name_to_scope


def plain_state(module):
    """A state_dict without ScriptObjects (packed parameters are dumped separately), plus the
    tensors get_attr nodes read that no state_dict holds (plain tensor attributes and the
    tracer's `_tensor_constant<i>`), which the TypeScript graph module keeps as buffers."""
    state = {k: v for k, v in module.state_dict().items() if isinstance(v, torch.Tensor)}
    graph = getattr(module, "graph", None)
    for n in graph.nodes if graph is not None else []:
        if n.op == "get_attr" and n.target not in state:
            value = module
            for atom in n.target.split("."):
                value = getattr(value, atom)
            if isinstance(value, torch.Tensor) and not value.is_quantized:
                state[n.target] = value.detach()
    return state


def quantized_state(gm):
    """Quantized weights and qparams in the layout the TypeScript modules save."""
    nnq = torch.ao.nn.quantized
    out = {}

    def weight(prefix, w, bias):
        out[prefix + "weight"] = w.int_repr()
        if w.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            out[prefix + "weight_scale"] = torch.tensor(w.q_scale(), dtype=torch.float64)
            out[prefix + "weight_zero_point"] = torch.tensor(w.q_zero_point(), dtype=torch.int64)
        else:
            out[prefix + "weight_scale"] = w.q_per_channel_scales().to(torch.float64)
            out[prefix + "weight_zero_point"] = w.q_per_channel_zero_points().to(torch.int64)
            out[prefix + "weight_axis"] = torch.tensor(w.q_per_channel_axis(), dtype=torch.int64)
        if bias is not None:
            out[prefix + "bias"] = bias.detach()

    def output(prefix, m):
        out[prefix + "scale"] = torch.tensor(float(m.scale), dtype=torch.float64)
        out[prefix + "zero_point"] = torch.tensor(int(m.zero_point), dtype=torch.int64)

    for name, m in gm.named_modules():
        prefix = name + "." if name else ""
        if isinstance(m, torch.ao.nn.quantized.dynamic.Linear):
            w, b = m._packed_params._weight_bias()
            weight(prefix, w, b)
        elif isinstance(m, (nnq.Linear, nnq.Conv2d)):
            weight(prefix, m.weight(), m.bias())
            output(prefix, m)
        elif isinstance(m, nnq.LeakyReLU):
            # nnq.LeakyReLU keeps its output qparams as state; nnq.Hardswish and nnq.ELU as
            # attributes (their converted graph's module specs carry them).
            output(prefix, m)
    for key, value in gm.__dict__.items():
        if key.startswith("_") and "_packed_weight_" in key:
            try:
                w, b = torch.ops.quantized.linear_unpack(value)
            except RuntimeError:
                w, b = torch.ops.quantized.conv2d_unpack(value)
            weight(key + ".", w, b)
    for key, value in gm.named_buffers():
        if "." not in key:
            out[key] = value
    return out


class Capture(torch.fx.Interpreter):
    """Runs a GraphModule and keeps every node's value."""

    def __init__(self, gm):
        super().__init__(gm)
        self.values = {}

    def run_node(self, n):
        value = super().run_node(n)
        self.values[n.name] = value
        return value


def node_tensors(values):
    """Every node's value: tensors (quantized: codes and qparams), ints, int lists; tuples of
    tensors (an LSTM's `(output, (h, c))`) element by element as `node.<name>.<i>[.<j>]`."""
    out = {}

    def flat(prefix, v):
        if isinstance(v, (tuple, list)) and any(isinstance(x, (torch.Tensor, tuple, list)) for x in v):
            for i, x in enumerate(v):
                yield from flat(f"{prefix}.{i}", x)
        else:
            yield prefix, v

    items = [(key, v) for name, value in values.items() for key, v in flat(name, value)]
    for name, v in items:
        key = f"node.{name}"
        if isinstance(v, torch.Tensor) and v.is_quantized:
            out[key] = v.int_repr().contiguous()
            out[key + ".scale"] = torch.tensor(float(v.q_scale()), dtype=torch.float64)
            out[key + ".zero_point"] = torch.tensor(int(v.q_zero_point()), dtype=torch.int64)
        elif isinstance(v, torch.Tensor):
            out[key] = v.detach().contiguous()
        elif isinstance(v, bool):
            continue
        elif isinstance(v, int):
            out[key] = torch.tensor(v, dtype=torch.int64)
        elif isinstance(v, (list, tuple, torch.Size)) and all(isinstance(x, int) for x in v):
            out[key] = torch.tensor(list(v), dtype=torch.int64)
    return out


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def export(model, *, flow, backend, calibration, test_input, out, train=None, description=None,
           qconfig_mapping_override=None):
    """Quantizes `model` in graph mode and writes DIR (see the module docstring). A
    `qconfig_mapping_override` replaces the backend's default mapping and is written to
    qconfig_mapping.json (every entry, qconfigs described by the observers they build)."""
    if flow not in FLOWS:
        raise ValueError(f"flow: expected one of {FLOWS}, got {flow!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    torch.set_num_threads(1)
    engine = choose_engine(backend)
    torch.backends.quantized.engine = engine
    os.makedirs(out, exist_ok=True)
    model = model.train() if flow == "qat" else model.eval()
    example = (calibration[0],)

    traced, scopes = trace(model)
    write_json(out, "float_graph.json", graph_module_json(traced, scopes))
    safetensors_io.write(os.path.join(out, "float_state.safetensors"), plain_state(traced))
    with torch.no_grad():
        float_output = model.eval()(test_input) if flow != "qat" else copy.deepcopy(model).eval()(test_input)
    model = model.train() if flow == "qat" else model.eval()

    bc = backend_config(backend)
    mapping = qconfig_mapping(flow, backend) if qconfig_mapping_override is None else qconfig_mapping_override
    if qconfig_mapping_override is not None:
        write_json(out, "qconfig_mapping.json", describe_qconfig_mapping(mapping))
    prepare = prepare_qat_fx if flow == "qat" else prepare_fx
    prepared = prepare(copy.deepcopy(model), mapping, example, backend_config=bc)
    write_json(out, "prepared_graph.json", graph_module_json(prepared))
    if flow == "qat":
        if train is not None:
            train(prepared, calibration)
        else:
            prepared.train()
            with torch.no_grad():
                for batch in calibration:
                    prepared(batch)
        prepared.eval()
    elif flow == "static":
        with torch.no_grad():
            for batch in calibration:
                prepared(batch)
    safetensors_io.write(os.path.join(out, "prepared_state.safetensors"), plain_state(prepared))

    converted = convert_fx(copy.deepcopy(prepared), backend_config=bc)
    write_json(out, "converted_graph.json", graph_module_json(converted))
    safetensors_io.write(os.path.join(out, "converted_state.safetensors"), quantized_state(converted))
    capture = Capture(converted)
    with torch.no_grad():
        result = capture.run(test_input)
    io = {f"calib.{i}": b for i, b in enumerate(calibration)}
    io["input"] = test_input
    io["float_output"] = float_output
    io.update(node_tensors(capture.values))
    if not isinstance(result, torch.Tensor):
        raise TypeError("the converted model must return one tensor")
    safetensors_io.write(os.path.join(out, "io.safetensors"), io)
    manifest = {
        "format": "qint8-fx-export/1",
        "description": description or "",
        "flow": flow,
        "backend": backend,
        "engine": engine,
        "input_shape": list(test_input.shape),
        "calib_batches": len(calibration),
        "source": {"torch": torch.__version__, "python": platform.python_version(),
                   "machine": f"{platform.machine()} ({cpu_name()})", "threads": 1,
                   "generator": "scripts/export/fx_export.py"},
        "files": {
            "float_graph.json": "traced float graph (QuantizationTracer), scopes, module specs",
            "float_state.safetensors": "float state_dict of the traced model",
            "prepared_graph.json": "prepare_fx / prepare_qat_fx graph with observers",
            "prepared_state.safetensors": "prepared state_dict after calibration / training",
            "converted_graph.json": "convert_fx graph",
            "converted_state.safetensors": "quantized weights and qparams",
            "io.safetensors": "calibration batches, input, float output, every converted node's value",
        },
    }
    if qconfig_mapping_override is not None:
        manifest["files"]["qconfig_mapping.json"] = "the QConfigMapping used instead of the default"
    write_json(out, "manifest.json", manifest)
    return manifest


def write_json(out, name, value):
    with open(os.path.join(out, name), "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def load_factory(spec):
    if ":" not in spec:
        raise SystemExit(f"--model: expected FILE.py:FACTORY, got {spec!r}")
    path, factory = spec.rsplit(":", 1)
    if not os.path.isfile(path):
        raise SystemExit(f"--model: no such file {path!r}")
    module_spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["exported_model"] = module
    module_spec.loader.exec_module(module)
    if not callable(getattr(module, factory, None)):
        raise SystemExit(f"--model: {path} has no callable {factory!r}")
    return module, getattr(module, factory)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="FILE.py:FACTORY")
    parser.add_argument("--input-shape", required=True, help="e.g. 1,3,32,32")
    parser.add_argument("--flow", choices=FLOWS, default="static")
    parser.add_argument("--backend", choices=BACKENDS, default="qnnpack")
    parser.add_argument("--calib-batches", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        shape = [int(d) for d in args.input_shape.split(",")]
    except ValueError:
        raise SystemExit(f"--input-shape: expected integers like 1,3,32,32, got {args.input_shape!r}")
    if not shape or any(d < 1 for d in shape):
        raise SystemExit(f"--input-shape: dimensions must be >= 1, got {args.input_shape!r}")
    if args.calib_batches < 1:
        raise SystemExit(f"--calib-batches: expected >= 1, got {args.calib_batches}")
    module, factory = load_factory(args.model)
    torch.manual_seed(args.seed)
    model = factory()
    generator = torch.Generator().manual_seed(args.seed)
    calibration = [torch.randn(shape, generator=generator) for _ in range(args.calib_batches)]
    test_input = torch.randn(shape, generator=generator)
    manifest = export(model, flow=args.flow, backend=args.backend, calibration=calibration,
                      test_input=test_input, out=args.out, train=getattr(module, "qat_train", None),
                      description=f"{args.model} ({args.flow}, {args.backend})")
    print(f"wrote {args.out}: {args.flow} {args.backend} on engine {manifest['engine']}, "
          f"torch {manifest['source']['torch']}")


if __name__ == "__main__":
    main()
