import assert from "node:assert/strict";
import { Tensor } from "../tensor.ts";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "./min_max.ts";

const f32 = Math.fround;
const qparams = (
  o: { calculateQParams(): { scale: Float32Array; zeroPoint: ArrayLike<number> } },
) => {
  const { scale, zeroPoint } = o.calculateQParams();
  return [[...scale], [...Array.from(zeroPoint)]];
};

Deno.test("MinMaxObserver: never run gives (1, 0)", () => {
  assert.deepEqual(qparams(new MinMaxObserver()), [[1], [0]]);
  assert.equal(new MinMaxObserver().minVal, Infinity);
  assert.equal(new MinMaxObserver().maxVal, -Infinity);
});

Deno.test("MinMaxObserver: all-zero input gives (eps, 0) = (1.1920929e-07, 0)", () => {
  const o = new MinMaxObserver();
  o.forward(Tensor.from([0, 0, 0]));
  assert.deepEqual(qparams(o), [[f32(1.1920929e-7)], [0]]);
  assert.equal(o.calculateQParams().scale[0], 2 ** -23);
});

Deno.test("MinMaxObserver: constant 3.0 gives (3/255, 0): the range is widened to include 0", () => {
  const o = new MinMaxObserver();
  o.forward(Tensor.from([3, 3]));
  assert.deepEqual(qparams(o), [[f32(3 / 255)], [0]]);
});

Deno.test("MinMaxObserver: [-1, 2] quint8 gives (3/255, 85), as PyTorch", () => {
  const o = new MinMaxObserver();
  assert.equal(o.forward(Tensor.from([-1, 2])).data[1], 2);
  assert.deepEqual(qparams(o), [[f32(3 / 255)], [85]]);
});

Deno.test("MinMaxObserver: symmetric zero points: qint8 0, quint8 128, custom quint8 the floor midpoint", () => {
  const x = Tensor.from([-1, 2]);
  const qint8 = new MinMaxObserver({ dtype: "qint8", qscheme: "per_tensor_symmetric" });
  qint8.forward(x);
  assert.deepEqual(qparams(qint8), [[f32(2 / 127.5)], [0]]);
  const quint8 = new MinMaxObserver({ qscheme: "per_tensor_symmetric" });
  quint8.forward(x);
  assert.equal(quint8.calculateQParams().zeroPoint[0], 128);
  const custom = new MinMaxObserver({
    qscheme: "per_tensor_symmetric",
    quantMin: 0,
    quantMax: 100,
  });
  custom.forward(x);
  assert.deepEqual(qparams(custom), [[f32(2 / 50)], [50]]);
});

Deno.test("MinMaxObserver: effective ranges (reduce_range, custom ranges floor-halved)", () => {
  const range = (o: MinMaxObserver) => [o.quantMin, o.quantMax];
  assert.deepEqual(range(new MinMaxObserver()), [0, 255]);
  assert.deepEqual(range(new MinMaxObserver({ reduceRange: true })), [0, 127]);
  assert.deepEqual(range(new MinMaxObserver({ dtype: "qint8", reduceRange: true })), [-64, 63]);
  assert.deepEqual(
    range(new MinMaxObserver({ dtype: "qint8", quantMin: -127, quantMax: 127, reduceRange: true })),
    [-64, 63],
  );
  assert.deepEqual(range(new MinMaxObserver({ dtype: "qint32", reduceRange: true })), [
    -(2 ** 31),
    2 ** 31 - 1,
  ]);
  assert.deepEqual(range(new MinMaxObserver({ dtype: "quint4x2", reduceRange: true })), [0, 15]);
  // Only one bound given: PyTorch ignores it.
  assert.deepEqual(range(new MinMaxObserver({ quantMin: 0 })), [0, 255]);
  // PyTorch does not check a custom quint8 range against the dtype.
  assert.deepEqual(range(new MinMaxObserver({ quantMin: 0, quantMax: 1000 })), [0, 1000]);
});

Deno.test("MinMaxObserver: constructor validation names the argument and the value", () => {
  assert.throws(
    () => new MinMaxObserver({ qscheme: "per_channel_affine" }),
    /qscheme.*per_channel_affine/,
  );
  assert.throws(
    () => new MinMaxObserver({ qscheme: "per_tensor_symmetric", reduceRange: true }),
    /reduceRange.*symmetric.*quint8/,
  );
  assert.throws(
    () => new MinMaxObserver({ quantMin: 1, quantMax: 10 }),
    /must include 0.*\[1, 10\]/,
  );
  assert.throws(() => new MinMaxObserver({ quantMin: 0, quantMax: 0 }), /strictly less/);
  assert.throws(
    () => new MinMaxObserver({ dtype: "qint8", quantMin: -300, quantMax: 0 }),
    /301 codes; qint8 allows at most 256/,
  );
  assert.throws(
    () => new MinMaxObserver({ dtype: "qint32", quantMin: -(2 ** 31), quantMax: 2 ** 31 - 1 }),
    /qint32 allows at most 2\^31/,
  );
  assert.throws(() => new MinMaxObserver({ dtype: "float16" as never }), /dtype.*"float16"/);
  assert.throws(() => new MinMaxObserver({ qscheme: "affine" as never }), /qscheme.*"affine"/);
  assert.throws(() => new MinMaxObserver({ quantMin: 0.5, quantMax: 10 }), /quantMin.*0.5/);
  assert.throws(() => new MinMaxObserver({ eps: "small" as never }), /eps.*"small"/);
  assert.throws(() => new MinMaxObserver({ reduceRange: 1 as never }), /reduceRange.*1/);
  assert.throws(
    () => new MinMaxObserver({ averagingConstant: 0.1 } as never),
    /unexpected option "averagingConstant"/,
  );
});

Deno.test("MinMaxObserver: running min/max over batches; empty batches are ignored", () => {
  const o = new MinMaxObserver();
  o.forward(Tensor.from([1, 2]));
  o.forward(new Tensor(new Float32Array(0), [0, 3]));
  o.forward(Tensor.from([-0.5, 1.5]));
  assert.equal(o.minVal, -0.5);
  assert.equal(o.maxVal, 2);
});

Deno.test("MinMaxObserver: NaN makes calculateQParams throw, like PyTorch's assertion", () => {
  const o = new MinMaxObserver();
  o.forward(Tensor.from([NaN, 1]));
  assert.ok(Number.isNaN(o.minVal));
  assert.throws(
    () => o.calculateQParams(),
    /RangeError: MinMaxObserver: min NaN should be less than or equal to max NaN/,
  );
});

Deno.test("MinMaxObserver: eps is stored as float32 and floors the scale", () => {
  const o = new MinMaxObserver({ eps: 0.1 });
  assert.equal(o.eps, f32(0.1));
  o.forward(Tensor.from([0, 1]));
  assert.equal(o.calculateQParams().scale[0], f32(0.1));
});

Deno.test("MinMaxObserver: a qint32 affine zero point whose rounding leaves int32 wraps as on x86", () => {
  const o = new MinMaxObserver({ dtype: "qint32" });
  o.forward(Tensor.from([-1000, 1]));
  assert.equal(o.calculateQParams().zeroPoint[0], 0); // PyTorch 1.13 on x86 gives 0 too
  const p = new MinMaxObserver({ dtype: "qint32" });
  p.forward(Tensor.from([-1, 1000]));
  assert.equal(p.calculateQParams().zeroPoint[0], -2143192972);
});

Deno.test("MovingAverageMinMaxObserver: first batch sets min/max, later batches move by c in float32", () => {
  const o = new MovingAverageMinMaxObserver();
  assert.equal(o.averagingConstant, 0.01);
  o.forward(Tensor.from([-1, 2]));
  assert.deepEqual([o.minVal, o.maxVal], [-1, 2]);
  o.forward(Tensor.from([-3, 5]));
  const c = f32(0.01);
  assert.equal(o.minVal, f32(-1 + f32(c * f32(-3 - -1))));
  assert.equal(o.maxVal, f32(2 + f32(c * f32(5 - 2))));
  assert.equal(o.minVal, -1.0199999809265137); // PyTorch's value
  assert.deepEqual(qparams(o)[1], [85]);
});

Deno.test("MovingAverageMinMaxObserver: validation", () => {
  assert.throws(
    () => new MovingAverageMinMaxObserver({ averagingConstant: "x" as never }),
    /averagingConstant/,
  );
  assert.throws(
    () => new MovingAverageMinMaxObserver({ qscheme: "per_channel_symmetric" }),
    /MovingAverageMinMaxObserver only supports per_tensor/,
  );
  assert.equal(new MovingAverageMinMaxObserver().className, "MovingAverageMinMaxObserver");
});
