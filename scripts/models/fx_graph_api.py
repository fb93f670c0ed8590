"""Records torch.fx 1.13's Graph API behaviour for nn/fx/graph_test.ts: scenarios of Graph edits
(create nodes, insertion points, replace uses, set args, erase, dead-code elimination, deepcopy),
each replayed here on a real torch.fx.Graph, recording after every scenario the printout
(`str(graph)`), every node's name, op, target and users in order, and any error raised.

A scenario is a list of steps; node references are indices into the nodes the scenario created
(in creation order): ["ref", i]. Steps:
  ["placeholder", name] ["get_attr", target] ["output", arg]
  ["call_module" | "call_function" | "call_method", target, [args...], {kwargs}, name?]
  ["before", i] / ["after", i] / ["end"]           set the insertion point
  ["replace_all_uses", i, j] ["replace_input", user, old, new] ["set_args", i, [args...]]
  ["erase", i] ["dce"] ["clone"] (later steps act on a deepcopy; refs map to the copies)
  ["lint"]
Functions are named by their qualified names (operator.add, torch.cat, torch.nn.functional.relu).

Written into golden/models/fx/graph_api.json by record_fx.py.
"""
import copy
import importlib
import json
import operator  # noqa: F401  (resolved by name)

import torch
import torch.fx

SCENARIOS = {
    "naming": [
        ["placeholder", "x"],
        ["placeholder", "input"],
        ["call_module", "layer1.0.conv1", [["ref", 0]], {}],
        ["call_module", "layer1.0.conv1", [["ref", 2]], {}],
        ["get_attr", "conv1.weight"],
        ["call_function", "operator.add", [["ref", 3], ["ref", 4]], {}],
        ["call_function", "operator.add", [["ref", 5], 1], {}],
        ["call_function", "torch.cat", [[["ref", 5], ["ref", 6]]], {"dim": 1}],
        ["call_method", "view", [["ref", 7], -1], {}],
        ["call_method", "__getitem__", [["ref", 8], 0], {}],
        ["call_module", "BatchNorm", [["ref", 9]], {}],
        ["call_module", "convBNReLU", [["ref", 10]], {}],
        ["call_function", "torch.nn.functional.relu", [["ref", 11]], {"inplace": False}],
        ["call_function", "operator.add", [["ref", 12], 2.5], {}, "add_1"],
        ["call_function", "operator.mul", [["ref", 13], -3], {}, "list"],
        ["call_function", "operator.mul", [["ref", 14], True], {}, "9lives"],
        ["call_method", "size", [["ref", 15]], {}, "size_7"],
        ["call_method", "size", [["ref", 15]], {}, "size_7"],
        ["call_method", "size", [["ref", 15], None], {}],
        ["output", [["ref", 15], ["ref", 16], {"a": ["ref", 17]}, ["ref", 18]]],
    ],
    "users_order_and_insertion": [
        ["placeholder", "x"],
        ["placeholder", "y"],
        ["call_function", "torch.relu", [["ref", 0]], {}],
        ["call_function", "operator.add", [["ref", 0], ["ref", 1]], {}],
        ["call_function", "operator.mul", [["ref", 1], ["ref", 0]], {}],
        ["output", [["ref", 2], ["ref", 3], ["ref", 4]]],
        ["before", 3],
        ["call_method", "dequantize", [["ref", 1]], {}],
        ["call_method", "dequantize", [["ref", 6]], {}],
        ["after", 2],
        ["call_function", "torch.sigmoid", [["ref", 2]], {}],
        ["call_function", "torch.tanh", [["ref", 2]], {}],
        ["end"],
        ["replace_input", 3, 1, 7],
        ["replace_all_uses", 1, 0],
        ["set_args", 4, [["ref", 9], ["ref", 8]]],
        ["call_function", "operator.add", [["ref", 2], ["ref", 0]], {}],
        ["lint"],
    ],
    "erase_and_dce": [
        ["placeholder", "x"],
        ["call_function", "torch.relu", [["ref", 0]], {}],
        ["call_function", "torch.sigmoid", [["ref", 1]], {}],
        ["call_function", "torch.tanh", [["ref", 2]], {}],
        ["call_method", "size", [["ref", 0]], {}],
        ["output", ["ref", 1]],
        ["erase", 3],
        ["dce"],
        ["call_function", "torch.relu", [["ref", 0]], {}],
    ],
    "erase_unused_then_reuse_name": [
        ["placeholder", "x"],
        ["call_function", "torch.relu", [["ref", 0]], {}],
        ["call_function", "torch.relu", [["ref", 1]], {}],
        ["output", ["ref", 1]],
        ["erase", 2],
        ["before", 3],
        ["call_function", "torch.relu", [["ref", 1]], {}],
        ["call_function", "torch.relu", [["ref", 4]], {}, "relu"],
    ],
    "clone": [
        ["placeholder", "x"],
        ["call_module", "fc", [["ref", 0]], {}],
        ["call_function", "torch.flatten", [["ref", 1], 1], {}],
        ["call_function", "torch.flatten", [["ref", 2]], {"start_dim": 1}],
        ["output", ["ref", 3]],
        ["clone"],
        ["before", 4],
        ["call_function", "torch.flatten", [["ref", 2]], {}],
        ["call_module", "fc", [["ref", 5]], {}],
        ["replace_all_uses", 3, 6],
    ],
    "constants": [
        ["placeholder", "x"],
        ["call_function", "torch.mean", [["ref", 0], [2, 3]], {"keepdim": True}],
        ["call_function", "torch.clamp", [["ref", 1]], {"min": -1.5, "max": None}],
        ["call_method", "reshape", [["ref", 2], [-1, 16]], {}],
        ["call_method", "to", [["ref", 3]], {"dtype": ["dtype", "float16"]}],
        ["output", {"out": ["ref", 4], "flag": False}],
    ],
    "erase_with_users_fails": [
        ["placeholder", "x"],
        ["call_function", "torch.relu", [["ref", 0]], {}],
        ["output", ["ref", 1]],
        ["erase", 1],
    ],
}


def resolve(qualified):
    module, _, name = qualified.rpartition(".")
    return getattr(importlib.import_module(module), name)


def replay(steps):
    graph = torch.fx.Graph()
    nodes = []
    insert = None
    error = None

    def arg(a):
        if isinstance(a, list):
            if len(a) == 2 and a[0] == "ref":
                return nodes[a[1]]
            if len(a) == 2 and a[0] == "dtype":
                return getattr(torch, a[1])
            return [arg(x) for x in a]
        if isinstance(a, dict):
            return {k: arg(v) for k, v in a.items()}
        return a

    def set_insert(make):
        # An insertion point takes effect when constructed: leave the old one first.
        nonlocal insert
        if insert is not None:
            insert.__exit__(None, None, None)
        insert = make() if make is not None else None
        if insert is not None:
            insert.__enter__()

    try:
        for step in steps:
            kind = step[0]
            if kind == "placeholder":
                nodes.append(graph.placeholder(step[1]))
            elif kind == "get_attr":
                nodes.append(graph.get_attr(step[1]))
            elif kind == "output":
                nodes.append(graph.output(arg(step[1])))
            elif kind in ("call_module", "call_function", "call_method"):
                target = resolve(step[1]) if kind == "call_function" else step[1]
                name = step[4] if len(step) > 4 else None
                args = tuple(arg(a) for a in step[2])
                nodes.append(graph.create_node(kind, target, args, arg(step[3]), name=name))
            elif kind == "before":
                set_insert(lambda: graph.inserting_before(nodes[step[1]]))
            elif kind == "after":
                set_insert(lambda: graph.inserting_after(nodes[step[1]]))
            elif kind == "end":
                set_insert(None)
            elif kind == "replace_all_uses":
                nodes[step[1]].replace_all_uses_with(nodes[step[2]])
            elif kind == "replace_input":
                nodes[step[1]].replace_input_with(nodes[step[2]], nodes[step[3]])
            elif kind == "set_args":
                nodes[step[1]].args = tuple(arg(a) for a in step[2])
            elif kind == "erase":
                graph.erase_node(nodes[step[1]])
            elif kind == "dce":
                graph.eliminate_dead_code()
            elif kind == "lint":
                graph.lint()
            elif kind == "clone":
                set_insert(None)
                copied = copy.deepcopy(graph)
                # The copy keeps the node names.
                by_name = {n.name: n for n in copied.nodes}
                nodes = [by_name.get(n.name) for n in nodes]
                graph = copied
            else:
                raise ValueError(f"unknown step {kind}")
    except Exception as e:  # recorded: the TypeScript replay must fail at the same step
        error = type(e).__name__
    set_insert(None)
    return {
        "printout": str(graph),
        "nodes": [{"name": n.name, "op": n.op, "target": n._pretty_print_target(n.target),
                   "users": [u.name for u in n.users]} for n in graph.nodes],
        "error": error,
    }


def record():
    return {name: {"steps": steps, **replay(steps)} for name, steps in SCENARIOS.items()}


if __name__ == "__main__":
    print(json.dumps(record(), indent=1))
