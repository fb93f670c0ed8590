import assert from "node:assert/strict";
import { isFactory, withArgs } from "./factory.ts";
import { MinMaxObserver } from "./min_max.ts";

Deno.test("withArgs: a factory builds a fresh instance with its preset arguments", () => {
  const factory = withArgs(MinMaxObserver, { dtype: "qint8", qscheme: "per_tensor_symmetric" });
  const a = factory.create();
  const b = factory.create();
  assert.notEqual(a, b);
  assert.equal(a.dtype, "qint8");
  assert.equal(factory.className, "MinMaxObserver");
  assert.deepEqual(factory.args, { dtype: "qint8", qscheme: "per_tensor_symmetric" });
  assert.ok(Object.isFrozen(factory.args));
  assert.ok(isFactory(factory));
  assert.ok(!isFactory(a));
});

Deno.test("withArgs: overrides and chained withArgs win over preset arguments", () => {
  const factory = withArgs(MinMaxObserver, { quantMin: 0, quantMax: 127 });
  assert.equal(factory.create({ quantMax: 63 }).quantMax, 63);
  const chained = factory.withArgs({ reduceRange: true });
  assert.deepEqual(chained.args, { quantMin: 0, quantMax: 127, reduceRange: true });
  assert.equal(chained.create().quantMax, 63);
});

Deno.test("withArgs: refuses what is not a class with a className", () => {
  assert.throws(() => withArgs((() => {}) as never, {}), /cls/);
  assert.throws(() => withArgs(MinMaxObserver, null as never), /args/);
});
