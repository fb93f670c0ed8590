import assert from "node:assert/strict";
import { compareOutput } from "./compare.ts";
import type { GoldenTensor } from "./golden_file.ts";

const recorded = (dtype: GoldenTensor["dtype"], data: GoldenTensor["data"]): GoldenTensor => ({
  dtype,
  shape: [data.length],
  data,
});

Deno.test("compareOutput fails an output whose dtype is not the recorded one", () => {
  // quint8 codes below 128 read the same as int8: only the dtype tells them apart.
  const codes = Uint8Array.of(1, 2, 3);
  const asInt8 = compareOutput(recorded("int8", Int8Array.of(1, 2, 3)), {
    shape: [3],
    data: codes,
  }, "exact");
  assert.equal(asInt8.status, "fail");
  assert.match(
    asInt8.reason!,
    /^dtype: PyTorch recorded int8, this implementation produced Uint8Array/,
  );
  const floats = compareOutput(recorded("float64", Float64Array.of(0.5)), {
    shape: [1],
    data: Float32Array.of(0.5),
  }, "exact");
  assert.match(floats.reason!, /^dtype: PyTorch recorded float64/);
  for (
    const [dtype, data, produced] of [
      ["uint8", Uint8Array.of(7), Uint8Array.of(7)],
      ["int64", new BigInt64Array([7n]), Int32Array.of(7)],
      ["int32", Int32Array.of(7), Int32Array.of(7)],
      ["float64", Float64Array.of(0.5), [0.5]],
    ] as const
  ) {
    const ok = compareOutput(recorded(dtype, data), { shape: [1], data: produced }, "exact");
    assert.equal(ok.status, "pass", `${dtype} from ${produced.constructor.name}`);
  }
});
