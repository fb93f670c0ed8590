import assert from "node:assert/strict";
import { Tensor } from "../../reference/tensor.ts";
import { Module } from "../module.ts";
import { Sequential } from "./container.ts";

/** Appends its tag to a trace (a Tensor of tags), so a forward shows which children ran. */
class Tag extends Module {
  constructor(readonly tag: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return Tensor.from([...x.data, this.tag]);
  }
}

const ran = (seq: Module) => [...(seq.forward as (x: Tensor) => Tensor)(Tensor.from([])).data];

Deno.test("Sequential.forward runs the children as they are now, after every kind of change", () => {
  const seq = new Sequential(new Tag(1), new Tag(2));
  assert.deepEqual(ran(seq), [1, 2]);
  seq.registerModule("2", new Tag(3));
  assert.deepEqual(ran(seq), [1, 2, 3]);
  seq.setSubmodule("0", new Tag(9));
  assert.deepEqual(ran(seq), [9, 2, 3]);
  seq.deleteModule("1");
  assert.deepEqual(ran(seq), [9, 3]);
  // A child assigned to a property (PyTorch's `seq.extra = m`) is adopted and runs at once.
  (seq as unknown as Record<string, Module>).extra = new Tag(4);
  assert.deepEqual(ran(seq), [9, 3, 4]);
  (seq as unknown as Record<string, Module>).extra = new Tag(5);
  assert.deepEqual(ran(seq), [9, 3, 5]);
});

Deno.test("Sequential.forward: a field that comes to hold a Module runs; copies run their own", () => {
  class WithField extends Sequential {
    later: Module | null = null;
  }
  const seq = new WithField(new Tag(1));
  assert.deepEqual(ran(seq), [1]);
  seq.later = new Tag(2);
  assert.deepEqual(ran(seq), [1, 2]);
  const copy = seq.clone();
  copy.setSubmodule("0", new Tag(7));
  assert.deepEqual(ran(copy), [7, 2]);
  assert.deepEqual(ran(seq), [1, 2]);
});
