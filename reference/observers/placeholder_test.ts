import assert from "node:assert/strict";
import { Tensor } from "../tensor.ts";
import { NoopObserver, PlaceholderObserver } from "./placeholder.ts";

Deno.test("PlaceholderObserver: passes x through and calculateQParams throws", () => {
  const o = new PlaceholderObserver();
  const x = Tensor.from([1, 2]);
  assert.equal(o.forward(x), x);
  assert.equal(o.dtype, "float32");
  assert.equal(o.computeDtype, null);
  assert.throws(() => o.calculateQParams(), /should not be called for PlaceholderObserver/);
});

Deno.test("PlaceholderObserver: dtype and compute dtype of dynamic quantization", () => {
  const o = new PlaceholderObserver({ dtype: "quint8", computeDtype: "quint8" });
  assert.deepEqual([o.dtype, o.computeDtype], ["quint8", "quint8"]);
  assert.equal(new PlaceholderObserver({ dtype: "float16" }).dtype, "float16");
  assert.throws(() => new PlaceholderObserver({ dtype: "bfloat16" as never }), /dtype.*"bfloat16"/);
});

Deno.test("NoopObserver: float16 by default, calculateQParams throws", () => {
  const o = new NoopObserver();
  assert.equal(o.dtype, "float16");
  assert.throws(() => o.calculateQParams(), /NoopObserver/);
  assert.throws(() => new NoopObserver({ computeDtype: "quint8" } as never), /unexpected option/);
});
