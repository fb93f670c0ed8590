"""What the graph-mode exporters share: PyTorch names and JSON encodings of graphs and modules.

The TypeScript side (nn/fx/) reads exactly these encodings:

- a module type is its public PyTorch name (`torch.nn.Conv2d`, `torch.nn.intrinsic.ConvReLU2d`,
  `torch.nn.quantized.Linear`, `torch.ao.quantization.HistogramObserver`): the first namespace of
  NAMESPACES that exports the class, else `module.qualname`;
- a call_function target is torch.fx's qualified name with `_operator` spelled `operator`;
- a node argument is JSON with `{"node": name}` for nodes, `{"dtype": "quint8"}` for dtypes,
  arrays for lists and tuples, `{"float": "inf"}` for non-finite floats;
- a module spec is `{"type", "config", "children"?}` with the constructor arguments in PyTorch's
  keywords; observers and fake-quantize modules carry their attributes (`dtype`, `qscheme`,
  `quant_min`, ...).
"""
import importlib
import math
import operator

import torch
import torch.fx

NAMESPACES = [
    "torch.nn", "torch.nn.intrinsic", "torch.nn.intrinsic.qat", "torch.nn.intrinsic.quantized",
    "torch.nn.intrinsic.quantized.dynamic", "torch.nn.qat", "torch.nn.quantized",
    "torch.nn.quantized.dynamic", "torch.ao.quantization",
]


def dynamic_qconfig_mapping():
    """The dynamic flow's mapping: default_dynamic_qconfig globally (only ops with a dynamic dtype
    config — linear, the RNNs — take it), the fixed-qparams ops (sigmoid, tanh, ...) opted out,
    since prepare_fx refuses a dynamic qconfig on them."""
    from torch.ao.quantization import QConfigMapping, default_dynamic_qconfig
    from torch.ao.quantization.qconfig_mapping import _FIXED_QPARAMS_OP_TO_OBSERVER
    mapping = QConfigMapping().set_global(default_dynamic_qconfig)
    for op in _FIXED_QPARAMS_OP_TO_OBSERVER:
        mapping.set_object_type(op, None)
    return mapping


def type_name(cls):
    """The public PyTorch name of a class."""
    for ns in NAMESPACES:
        mod = importlib.import_module(ns)
        if getattr(mod, cls.__name__, None) is cls:
            return f"{ns}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def function_name(fn):
    """torch.fx's qualified name of a function, `_operator.` spelled `operator.`."""
    if isinstance(fn, str):
        return fn
    name = torch.fx.node._get_qualified_name(fn)
    return "operator." + name[len("_operator."):] if name.startswith("_operator.") else name


def pattern_leaf(p):
    """A pattern element: a module type name, a function's qualified name, or a method name."""
    if isinstance(p, type):
        return type_name(p)
    if isinstance(p, str):
        return p
    return function_name(p)


def encode_pattern(p):
    if isinstance(p, tuple):
        return [encode_pattern(x) for x in p]
    return pattern_leaf(p)


def encode_arg(a):
    """A node argument as JSON."""
    if isinstance(a, torch.fx.Node):
        return {"node": a.name}
    if isinstance(a, (list, tuple)):
        return [encode_arg(x) for x in a]
    if isinstance(a, dict):
        return {"dict": {k: encode_arg(v) for k, v in a.items()}}
    if isinstance(a, torch.dtype):
        return {"dtype": str(a).replace("torch.", "")}
    if isinstance(a, float) and not math.isfinite(a):
        return {"float": str(a)}
    if isinstance(a, slice):
        return {"slice": [encode_arg(a.start), encode_arg(a.stop), encode_arg(a.step)]}
    if a is Ellipsis:
        return {"ellipsis": True}
    if a is None or isinstance(a, (bool, int, float, str)):
        return a
    if isinstance(a, torch.memory_format) or isinstance(a, torch.device):
        return {"repr": str(a)}
    raise TypeError(f"cannot encode node argument {a!r} ({type(a).__name__})")


def target_of(node):
    return function_name(node.target) if node.op == "call_function" else node.target


def encode_graph(graph, scopes=None):
    """The nodes of a graph (with each node's scope [path, type] when known)."""
    nodes = []
    for n in graph.nodes:
        entry = {"name": n.name, "op": n.op, "target": target_of(n),
                 "args": encode_arg(n.args), "kwargs": {k: encode_arg(v) for k, v in n.kwargs.items()}}
        if scopes is not None and n.name in scopes:
            path, typ = scopes[n.name]
            entry["scope"] = [path, None if typ is None else type_name(typ)]
        nodes.append(entry)
    return nodes


OBSERVER_ATTRIBUTES = ["dtype", "qscheme", "reduce_range", "quant_min", "quant_max", "eps", "ch_axis",
                       "averaging_constant", "bins", "upsample_rate", "compute_dtype", "scale",
                       "zero_point"]


def jsonable(v):
    if isinstance(v, torch.dtype):
        return str(v).replace("torch.", "")
    if isinstance(v, torch.qscheme):
        return str(v).replace("torch.", "")
    if isinstance(v, torch.Tensor):
        return v.tolist() if v.numel() != 1 else v.item()
    return v


def observer_config(obs):
    """An observer's or fake quant's attributes, as the TypeScript side describes its own."""
    fake_quant = isinstance(obs, torch.ao.quantization.FakeQuantizeBase)
    config = {}
    for key in OBSERVER_ATTRIBUTES:
        if fake_quant and key in ("scale", "zero_point", "reduce_range", "eps", "compute_dtype"):
            continue
        if hasattr(obs, key) and getattr(obs, key) is not None:
            value = jsonable(getattr(obs, key))
            if key == "ch_axis" and fake_quant and not obs.is_per_channel:
                value = -1
            config[key] = value
    if fake_quant:
        config["fake_quant_enabled"] = bool(obs.fake_quant_enabled[0])
        config["observer_enabled"] = bool(obs.observer_enabled[0])
    return config


def conv_config(m):
    return {"in_channels": m.in_channels, "out_channels": m.out_channels,
            "kernel_size": list(m.kernel_size), "stride": list(m.stride),
            "padding": m.padding if isinstance(m.padding, str) else list(m.padding),
            "dilation": list(m.dilation), "groups": m.groups,
            "bias": m.bias is not None if not callable(m.bias) else m.bias() is not None,
            "padding_mode": m.padding_mode}


def module_config(m):
    """Constructor arguments of the modules the TypeScript side rebuilds; {} for others."""
    nn, nnq = torch.nn, torch.ao.nn.quantized
    if isinstance(m, torch.ao.quantization.ObserverBase) or \
            isinstance(m, torch.ao.quantization.FakeQuantizeBase):
        return observer_config(m)
    if isinstance(m, (nn.Conv2d, nnq.Conv2d)):
        config = conv_config(m)
    elif isinstance(m, (nn.Linear, nnq.Linear, torch.ao.nn.quantized.dynamic.Linear)):
        config = {"in_features": m.in_features, "out_features": m.out_features,
                  "bias": (m.bias() if callable(m.bias) else m.bias) is not None}
        if isinstance(m, torch.ao.nn.quantized.dynamic.Linear):
            config["dtype"] = jsonable(m._packed_params.dtype)
    elif isinstance(m, nn.modules.batchnorm._BatchNorm):
        config = {"num_features": m.num_features, "eps": m.eps, "momentum": m.momentum,
                  "affine": m.affine, "track_running_stats": m.track_running_stats}
    elif isinstance(m, nn.MaxPool2d):
        config = {"kernel_size": m.kernel_size, "stride": m.stride, "padding": m.padding,
                  "dilation": m.dilation, "ceil_mode": m.ceil_mode}
    elif isinstance(m, nn.AvgPool2d):
        config = {"kernel_size": m.kernel_size, "stride": m.stride, "padding": m.padding,
                  "ceil_mode": m.ceil_mode, "count_include_pad": m.count_include_pad,
                  "divisor_override": m.divisor_override}
    elif isinstance(m, nn.AdaptiveAvgPool2d):
        size = m.output_size
        config = {"output_size": list(size) if isinstance(size, tuple) else [size, size]}
    elif isinstance(m, nn.Flatten):
        config = {"start_dim": m.start_dim, "end_dim": m.end_dim}
    elif isinstance(m, (nn.Dropout, nnq.Dropout)):
        config = {"p": m.p}
    elif isinstance(m, (nn.LeakyReLU, nnq.LeakyReLU)):
        config = {"negative_slope": m.negative_slope}
    elif isinstance(m, (nn.ELU, nnq.ELU)):
        config = {"alpha": m.alpha}
    elif isinstance(m, nn.Hardtanh) and not isinstance(m, nn.ReLU6):
        config = {"min_val": m.min_val, "max_val": m.max_val}
    elif isinstance(m, (nn.LSTM, nn.GRU, torch.ao.nn.quantized.dynamic.LSTM, torch.ao.nn.quantized.dynamic.GRU)):
        config = {"input_size": m.input_size, "hidden_size": m.hidden_size, "num_layers": m.num_layers,
                  "bias": m.bias, "batch_first": m.batch_first, "dropout": float(m.dropout),
                  "bidirectional": m.bidirectional}
    elif isinstance(m, (nn.RNNCellBase, torch.ao.nn.quantized.dynamic.modules.rnn.RNNCellBase)):
        config = {"input_size": m.input_size, "hidden_size": m.hidden_size, "bias": m.bias}
        if hasattr(m, "nonlinearity"):
            config["nonlinearity"] = m.nonlinearity
    else:
        config = {}
    if hasattr(m, "scale") and hasattr(m, "zero_point") and \
            not isinstance(m, (torch.ao.quantization.ObserverBase,)):
        config["scale"] = float(m.scale)
        config["zero_point"] = int(m.zero_point)
    return {k: jsonable(v) for k, v in config.items()}


def module_spec(m):
    """A module's spec with its children (packed-parameter holders left out)."""
    spec = {"type": type_name(type(m)), "config": module_config(m)}
    children = {}
    for name, child in m.named_children():
        if isinstance(child, (torch.ao.nn.quantized.modules.linear.LinearPackedParams,)):
            continue
        children[name] = module_spec(child)
    if children:
        spec["children"] = children
    return spec


def graph_module_json(gm, scopes=None):
    """A GraphModule: its nodes, the specs of the modules its call_module/get_attr nodes name,
    and which observer nodes share one observer instance."""
    modules = {}
    attributes = {}
    named = dict(gm.named_modules(remove_duplicate=False))
    for n in gm.graph.nodes:
        if n.op == "call_module":
            modules[n.target] = module_spec(named[n.target])
        elif n.op == "get_attr":
            value = gm
            for part in n.target.split("."):
                value = getattr(value, part)
            if isinstance(value, torch.nn.Module):
                modules[n.target] = module_spec(value)
            elif isinstance(value, torch.Tensor):
                attributes[n.target] = {"dtype": str(value.dtype).replace("torch.", ""),
                                        "shape": list(value.shape)}
            else:
                attributes[n.target] = {"type": type(value).__name__}
    shared = {}
    for n in gm.graph.nodes:
        if n.op == "call_module" and isinstance(named[n.target], (
                torch.ao.quantization.ObserverBase, torch.ao.quantization.FakeQuantizeBase)):
            shared.setdefault(id(named[n.target]), []).append(n.target)
    return {
        "format": "qint8-fx-graph/1",
        "nodes": encode_graph(gm.graph, scopes),
        "modules": modules,
        "attributes": attributes,
        "shared_observers": [names for names in shared.values() if len(names) > 1],
    }


def describe_ctr(ctr):
    """An observer or fake-quant constructor, described by what it builds."""
    if ctr is None:
        return None
    obj = ctr()
    desc = {"class": type(obj).__name__, "config": observer_config(obj)}
    if isinstance(obj, torch.ao.quantization.FakeQuantizeBase):
        inner = obj.activation_post_process
        desc["observer"] = {"class": type(inner).__name__, "config": observer_config(inner)}
    return desc


def describe_qconfig(q):
    if q is None:
        return None
    return {"activation": describe_ctr(q.activation), "weight": describe_ctr(q.weight)}


def describe_qconfig_mapping(m):
    """A whole QConfigMapping, every entry in its order, qconfigs by the observers they build."""
    return {
        "format": "qint8-fx-qconfig-mapping/1",
        "global": describe_qconfig(m.global_qconfig),
        "object_type": [[pattern_leaf(k), describe_qconfig(v)] for k, v in m.object_type_qconfigs.items()],
        "module_name_regex": [[k, describe_qconfig(v)] for k, v in m.module_name_regex_qconfigs.items()],
        "module_name": [[k, describe_qconfig(v)] for k, v in m.module_name_qconfigs.items()],
        "module_name_object_type_order": [
            [name, pattern_leaf(t), index, describe_qconfig(v)]
            for (name, t, index), v in m.module_name_object_type_order_qconfigs.items()],
    }
