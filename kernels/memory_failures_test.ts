import assert from "node:assert/strict";
import { linearFbgemm, linearQnnpack, type LinearWeight } from "../reference/quantized_linear.ts";
import { KernelMemoryError } from "./memory.ts";
import { kernelSets } from "./paths.ts";
import { KernelRuntime } from "./runtime.ts";

const PARAMS = {
  inputScale: 0.05,
  inputZeroPoint: 3,
  outputScale: 0.2,
  outputZeroPoint: 100,
  relu: false,
};

function weight(n: number, k: number): LinearWeight {
  return {
    data: Int8Array.from({ length: n * k }, (_, i) => ((i * 37) % 255) - 127),
    outFeatures: n,
    inFeatures: k,
    perChannel: false,
    scales: Float64Array.of(0.01),
    zeroPoints: Int32Array.of(0),
    bias: null,
  };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
}

Deno.test("a failed allocation names the op, the bytes and the limit, and the runtime stays usable", () => {
  const runtime = new KernelRuntime(undefined, { maximumPages: 64 }); // 4 MiB
  const w = weight(16, 24);
  const x = Uint8Array.from({ length: 2 * 24 }, (_, i) => (i * 11) % 256);
  for (const set of kernelSets(undefined, { runtime })) {
    const reference = set.numerics === "fbgemm" ? linearFbgemm : linearQnnpack;
    const packed = set.packLinear(w);
    // 100 000 rows need megabytes of activations and outputs: more than the memory may hold.
    const big = new Uint8Array(100_000 * 24);
    const error = thrown(() => set.linear(big, 100_000, packed, PARAMS));
    const held = runtime.memory.allocatedBytes;
    assert.ok(thrown(() => set.linear(big, 100_000, packed, PARAMS)) instanceof KernelMemoryError);
    assert.equal(
      runtime.memory.allocatedBytes,
      held,
      `${set.name}: a repeated failure leaks nothing`,
    );
    assert.ok(error instanceof KernelMemoryError, `${set.name}: ${error}`);
    assert.ok(error instanceof RangeError);
    assert.match(error.message, new RegExp(`^${set.name}\\.linear: cannot allocate \\d+ bytes`));
    assert.match(error.message, /may grow to at most 4 MiB/);
    assert.ok(error.bytes > 0 && error.limitBytes === 64 * 65536);
    // Fully usable afterwards: the same call on a small batch is exact and packing still works.
    assert.deepEqual(set.linear(x, 2, packed, PARAMS), reference(x, 2, w, PARAMS), set.name);
    const again = set.packLinear(weight(8, 24));
    again.free();
    packed.free();
  }
});

Deno.test("a weight too large to pack names packLinear and leaks no kernel memory", () => {
  const runtime = new KernelRuntime(undefined, { maximumPages: 64 });
  for (const set of kernelSets(undefined, { runtime })) {
    const before = runtime.memory.allocatedBytes;
    const error = thrown(() => set.packLinear(weight(2048, 2048)));
    assert.ok(error instanceof KernelMemoryError, `${set.name}: ${error}`);
    assert.match(error.message, new RegExp(`^${set.name}\\.packLinear: cannot allocate`));
    assert.equal(runtime.memory.allocatedBytes, before, `${set.name}: nothing leaked`);
    set.packLinear(weight(4, 4)).free();
  }
});

Deno.test("a probe beyond memory: M = N = 65536 fails clearly and the next call works", () => {
  const runtime = new KernelRuntime();
  const set = kernelSets(undefined, { runtime })[0];
  const packed = set.packLinear(weight(65536, 16));
  const error = thrown(() => set.linear(new Uint8Array(65536 * 16), 65536, packed, PARAMS));
  assert.ok(error instanceof KernelMemoryError, String(error));
  assert.match(error.message, /^x86\.linear: cannot allocate \d+ bytes .* at most 4096 MiB/);
  const small = weight(4, 16);
  const p = set.packLinear(small);
  const x = new Uint8Array(16).fill(7);
  assert.deepEqual(set.linear(x, 1, p, PARAMS), linearFbgemm(x, 1, small, PARAMS));
  p.free();
  packed.free();
});
