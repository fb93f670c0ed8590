/**
 * symbolicTrace against PyTorch 1.13's trace (prepare_fx's QuantizationTracer): the models of
 * scripts/models/fx_trace_models.py, written here the same way, must trace to the graphs in
 * golden/models/fx/traces.json node for node (names, ops, targets, arguments, scopes). Then the
 * tracer's own rules: leaves, errors for forwards it cannot name, constants, retracing.
 */
import assert from "node:assert/strict";
import { Tensor } from "../../reference/tensor.ts";
import { Module } from "../module.ts";
import { ReLU } from "../modules/activation.ts";
import { BatchNorm2d } from "../modules/batchnorm.ts";
import { Sequential } from "../modules/container.ts";
import { Conv2d } from "../modules/conv.ts";
import { FloatFunctional } from "../modules/float_functional.ts";
import { Linear } from "../modules/linear.ts";
import { AdaptiveAvgPool2d } from "../modules/pool.ts";
import { Dropout } from "../modules/container.ts";
import { ELLIPSIS, F, method, operator, slice, torch } from "./functional.ts";
import { graphToJSON, type NodeJSON } from "./graph_json.ts";
import { parameterNames, symbolicTrace } from "./tracer.ts";

const TRACES: Record<string, { graph: NodeJSON[]; printout: string }> = JSON.parse(
  Deno.readTextFileSync(new URL("../../golden/models/fx/traces.json", import.meta.url)),
);

/** fx_trace_models.Block: traced through, its nodes scoped to it. */
class Block extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;
  skip = new FloatFunctional();
  constructor(c: number) {
    super();
    this.conv = new Conv2d(c, c, 3, { padding: 1 });
    this.bn = new BatchNorm2d(c);
  }
  forward(x: Tensor): Tensor {
    return this.skip.addRelu(this.bn.forward(this.conv.forward(x)), x);
  }
}

/** fx_trace_models.TraceNet. */
class TraceNet extends Module {
  features = new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU());
  block = new Block(8);
  join = new FloatFunctional();
  bump = new FloatFunctional();
  pool = new AdaptiveAvgPool2d([1, 1]);
  fc = new Linear(12, 4);
  offset = new Tensor(new Float32Array([0.5, 0.5, 0.5, 0.5]), [4]);
  constructor() {
    super();
    this.registerParameter("scale", new Tensor(new Float32Array([1, 1, 1, 1]), [4]));
    this.registerBuffer("shift", new Tensor(new Float32Array(4), [4]));
  }
  forward(input: Tensor, mask: Tensor): Tensor[] {
    let x = this.features.forward(input);
    x = this.block.forward(x);
    x = this.join.cat([x, operator.getitem(x, [slice(), slice(null, 4)])], 1);
    x = this.bump.addScalar(x, 1.0);
    x = method.contiguous(this.pool.forward(x));
    const n = method.size(x, 0);
    x = method.view(x, n, -1);
    let y = operator.add(
      operator.mul(this.fc.forward(x), this.getParameter("scale")!),
      this.getBuffer("shift") as Tensor,
    );
    y = operator.add(y, this.offset);
    y = method.flatten(torch.mean(method.reshape(method.relu(y), n, 2, 2), [1, 2], true), 1);
    const z = operator.mul(
      method.sigmoid(torch.add(operator.getitem(mask, [ELLIPSIS, 0]), 2)),
      new Tensor(new Float32Array([3]), [1]),
    );
    return [operator.add(this.fc.forward(x), y), z];
  }
}

/** fx_trace_models.LinearStack. */
class LinearStack extends Module {
  body = new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 8), new ReLU());
  drop = new Dropout(0.25);
  out = new Linear(8, 3);
  forward(x: Tensor): Tensor {
    x = this.drop.forward(this.body.forward(x));
    return this.out.forward(operator.add(F.relu(x), x));
  }
}

const MODELS: Record<string, () => Module> = {
  trace_net: () => new TraceNet(),
  linear_stack: () => new LinearStack(),
};

for (const [name, make] of Object.entries(MODELS)) {
  Deno.test(`symbolicTrace(${name}) is PyTorch's trace node for node`, () => {
    const gm = symbolicTrace(make());
    const got = graphToJSON(gm.graph, gm.scopes);
    const want = TRACES[name].graph;
    // Custom module types are named by their Python module in PyTorch; compare the paths.
    const norm = (nodes: NodeJSON[]) =>
      nodes.map((n) => {
        const scope = n.scope as [string, string | null] | undefined;
        const custom = scope?.[1]?.startsWith("fx_trace_models.") ||
          (scope !== undefined && scope[1] !== null && !scope[1].startsWith("torch."));
        return custom ? { ...n, scope: [scope![0], "custom"] } : n;
      });
    assert.deepEqual(norm(got), norm(want));
    gm.graph.lint();
  });
}

Deno.test("the traced printout is PyTorch's (lists where Python has tuples)", () => {
  const gm = symbolicTrace(new LinearStack());
  assert.equal(String(gm.graph), TRACES.linear_stack.printout);
  const net = String(symbolicTrace(new TraceNet()).graph);
  // TypeScript has no tuples: PyTorch's `(a, b)` arguments print as `[a, b]` here.
  const pythonTuples = TRACES.trace_net.printout
    .replace(
      "(slice(None, None, None), slice(None, 4, None))",
      "[slice(None, None, None), slice(None, 4, None)]",
    )
    .replace("(Ellipsis, 0)", "[Ellipsis, 0]")
    .replace("return (add_5, mul_1)", "return [add_5, mul_1]")
    .replace(
      "add_1 : [#users=1] = call_function[target=torch.add](args = (%cat, 1.0)",
      "add_1 : [#users=1] = call_function[target=torch.add](args = (%cat, 1)",
    );
  assert.equal(net, pythonTuples);
});

Deno.test("the traced module reads plain tensor attributes and forward-made tensors", () => {
  const gm = symbolicTrace(new TraceNet());
  assert.ok(gm.getAttr("offset") instanceof Tensor);
  assert.ok(gm.getAttr("_tensor_constant0") instanceof Tensor);
  // Here they are buffers of the graph module, so its state dict (and JSON) carries them;
  // fx_export.py adds them to PyTorch's state for the same reason.
  const state = gm.stateDict();
  for (const k of ["offset", "_tensor_constant0", "shift", "scale"]) assert.ok(state.has(k), k);
});

Deno.test("parameterNames reads plain parameters and refuses what tracing cannot name", () => {
  assert.deepEqual(
    parameterNames(function (x: number, input = 2) {
      return x + input;
    }),
    ["x", "input"],
  );
  assert.deepEqual(parameterNames((a: number, /* note */ b: number) => a + b), ["a", "b"]);
  assert.throws(() => parameterNames((...xs: number[]) => xs.length), /cannot be traced/);
  assert.throws(
    () => parameterNames(({ x }: { x: number }) => x),
    /cannot be traced \(use plain named parameters\)/,
  );
});

Deno.test("symbolicTrace rejects what is not a module, and forwards a proxy cannot stand for", () => {
  assert.throws(() => symbolicTrace({} as Module), /root: expected a Module/);
  class Branchy extends Module {
    forward(x: Tensor): Tensor {
      // Reading values is what a proxy cannot do.
      return x.data[0] > 0 ? x : F.relu(x);
    }
  }
  assert.throws(() => symbolicTrace(new Branchy()));
});

Deno.test("leafModules keeps a custom module as one call_module node", () => {
  const gm = symbolicTrace(new TraceNet(), { leafModules: ["block"] });
  const block = gm.graph.nodes.filter((n) => n.target === "block");
  assert.equal(block.length, 1);
  assert.equal(block[0].op, "call_module");
  assert.ok(!gm.graph.nodes.some((n) => n.target === "block.conv"));
});

Deno.test("retracing a GraphModule gives its graph again", () => {
  const gm = symbolicTrace(new LinearStack());
  const again = symbolicTrace(gm);
  assert.equal(String(again.graph), String(gm.graph));
});
