import assert from "node:assert/strict";
import { ALIGNMENT, KernelMemory, KernelMemoryError, packAllOrNone } from "./memory.ts";

Deno.test("KernelMemory aligns blocks, reuses freed space and grows", () => {
  const mem = new KernelMemory(1);
  const a = mem.alloc(10);
  const b = mem.alloc(100);
  assert.equal(a.ptr % ALIGNMENT, 0);
  assert.equal(b.ptr % ALIGNMENT, 0);
  assert.ok(b.ptr >= a.ptr + a.bytes);
  mem.release(a);
  const c = mem.alloc(ALIGNMENT);
  assert.equal(c.ptr, a.ptr, "a freed block is reused");
  const big = mem.alloc(200_000);
  assert.ok(mem.memory.buffer.byteLength >= big.ptr + big.bytes, "memory grew to fit");
  mem.u8().fill(7, big.ptr, big.ptr + big.bytes);
  mem.release(b);
  mem.release(c);
  mem.release(big);
  assert.equal(mem.allocatedBytes, 0);
  assert.throws(() => mem.release(big), /not allocated/);
});

Deno.test("KernelMemory merges neighbouring free blocks", () => {
  const mem = new KernelMemory(1);
  const keep = mem.alloc(64);
  const blocks = [mem.alloc(64), mem.alloc(64), mem.alloc(64)];
  const guard = mem.alloc(64);
  for (const b of blocks) mem.release(b);
  const merged = mem.alloc(192);
  assert.equal(merged.ptr, blocks[0].ptr);
  mem.release(merged);
  mem.release(guard);
  mem.release(keep);
  assert.equal(mem.allocatedBytes, 0);
});

Deno.test("KernelMemory: an allocation beyond the limit throws and leaves the allocator as it was", () => {
  const mem = new KernelMemory(1, 4); // 256 KiB at most
  const first = mem.alloc(1000, "first");
  let error: unknown;
  assert.throws(() => mem.alloc(300_000, "scratch test.big"), (e) => (error = e) !== undefined);
  assert.ok(error instanceof KernelMemoryError && error instanceof RangeError);
  assert.match(
    error.message,
    /cannot allocate 300000 bytes of kernel memory \(scratch test\.big\)/,
  );
  assert.match(error.message, /may grow to at most 0\.250 MiB/);
  assert.deepEqual([error.bytes, error.limitBytes, error.engineRefused], [300_000, 262_144, false]);
  assert.equal(mem.allocatedBytes, first.bytes, "nothing was allocated");
  const next = mem.alloc(64, "next");
  assert.equal(next.ptr, first.ptr + first.bytes, "the top did not move");
  const most = mem.alloc(200_000, "fits");
  assert.ok(most.ptr + most.bytes <= mem.limitBytes);
  assert.equal(error.withOp("x86.linear").message.startsWith("x86.linear: cannot allocate"), true);
});

Deno.test("KernelMemory.allocAll allocates every block or none", () => {
  const mem = new KernelMemory(1, 4);
  const before = mem.allocatedBytes;
  assert.throws(
    () => mem.allocAll([[1000, "a"], [2000, "b"], [10_000_000, "c (too big)"]]),
    /\(c \(too big\)\)/,
  );
  assert.equal(mem.allocatedBytes, before, "the blocks of a and b were released");
  const [a, b] = mem.allocAll([[1000, "a"], [2000, "b"]]);
  assert.ok(b.ptr >= a.ptr + a.bytes);
});

Deno.test("packAllOrNone frees the handles packed before a failing pack", () => {
  const freed: string[] = [];
  const handles = ["g0", "g1"].map((name) => ({ free: () => freed.push(name) }));
  assert.throws(() =>
    packAllOrNone(handles, () => {
      throw new RangeError("no memory");
    }), /no memory/);
  assert.deepEqual(freed, ["g0", "g1"]);
  assert.equal(packAllOrNone(handles, () => 7), 7);
  assert.deepEqual(freed, ["g0", "g1"], "nothing freed on success");
});
