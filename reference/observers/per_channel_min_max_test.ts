import assert from "node:assert/strict";
import { Tensor } from "../tensor.ts";
import { MinMaxObserver } from "./min_max.ts";
import {
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
} from "./per_channel_min_max.ts";

const f32 = Math.fround;

Deno.test("PerChannelMinMaxObserver: never run gives ([1], [0]) and empty min/max", () => {
  const o = new PerChannelMinMaxObserver();
  assert.equal(o.minVal.length, 0);
  const { scale, zeroPoint } = o.calculateQParams();
  assert.deepEqual([[...scale], [...zeroPoint]], [[1], [0]]);
});

Deno.test("PerChannelMinMaxObserver: each channel equals a MinMaxObserver of its slice", () => {
  const x = new Tensor(Float32Array.from([-1, 2, 0.5, 3, -4, 0, 7, 1, -2, 2, 2, 2]), [2, 3, 2]);
  const o = new PerChannelMinMaxObserver({ chAxis: 1, dtype: "qint8" });
  o.forward(x);
  const slices = [[-1, 2, 7, 1], [0.5, 3, -2, 2], [-4, 0, 2, 2]];
  const { scale, zeroPoint } = o.calculateQParams();
  slices.forEach((s, c) => {
    const m = new MinMaxObserver({ dtype: "qint8" });
    m.forward(Tensor.from(s));
    assert.equal(scale[c], m.calculateQParams().scale[0]);
    assert.equal(zeroPoint[c], m.calculateQParams().zeroPoint[0]);
  });
});

Deno.test("PerChannelMinMaxObserver: chAxis -1 is the last axis; a bad axis or a 1-D tensor throws", () => {
  const x = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const last = new PerChannelMinMaxObserver({ chAxis: -1 });
  last.forward(x);
  assert.deepEqual([...last.minVal], [1, 2, 3]);
  assert.throws(() => new PerChannelMinMaxObserver({ chAxis: 2 }).forward(x), /chAxis: axis 2/);
  assert.throws(() => new PerChannelMinMaxObserver().forward(Tensor.from([1, 2])), /rank >= 2/);
  assert.throws(() => new PerChannelMinMaxObserver({ chAxis: 0.5 }), /chAxis.*0.5/);
  assert.throws(() => new PerChannelMinMaxObserver({ qscheme: "per_tensor_affine" }), /qscheme/);
  assert.throws(
    () => new PerChannelMinMaxObserver({ qscheme: "per_channel_symmetric", reduceRange: true }),
    /reduceRange/,
  );
});

Deno.test("PerChannelMinMaxObserver: float qparams are not widened to 0 and have float zero points", () => {
  const o = new PerChannelMinMaxObserver({ qscheme: "per_channel_affine_float_qparams" });
  o.forward(new Tensor(Float32Array.from([-1, 2, 0.5, 3]), [2, 2]));
  const { scale, zeroPoint } = o.calculateQParams();
  assert.ok(zeroPoint instanceof Float32Array);
  assert.deepEqual([...scale], [f32(3 / 255), f32(2.5 / 255)]);
  assert.deepEqual([...zeroPoint], [f32(1 / f32(3 / 255)), f32(-0.5 / f32(2.5 / 255))]);
  assert.deepEqual([...zeroPoint].map(Math.round), [85, -51]); // PyTorch: [85., -51.]
});

Deno.test("PerChannelMinMaxObserver: a one-channel history broadcasts like PyTorch", () => {
  const o = new PerChannelMinMaxObserver();
  o.forward(new Tensor(Float32Array.from([0, 1]), [1, 2]));
  o.forward(new Tensor(Float32Array.from([-1, 0, 2, 3, 0.5, 0.5]), [3, 2]));
  assert.deepEqual([...o.minVal], [-1, 0, 0]);
  assert.deepEqual([...o.maxVal], [1, 3, 1]);
  assert.throws(
    () => o.forward(new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2])),
    /2 channels do not match the 3/,
  );
});

Deno.test("MovingAveragePerChannelMinMaxObserver: moves each channel by c", () => {
  const o = new MovingAveragePerChannelMinMaxObserver({ averagingConstant: 0.5 });
  o.forward(new Tensor(Float32Array.from([0, 4, -2, 2]), [2, 2]));
  o.forward(new Tensor(Float32Array.from([2, 8, 0, 0]), [2, 2]));
  assert.deepEqual([...o.minVal], [1, -1]);
  assert.deepEqual([...o.maxVal], [6, 1]);
  assert.equal(o.className, "MovingAveragePerChannelMinMaxObserver");
});
