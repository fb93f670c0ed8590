import assert from "node:assert/strict";
import { ALIGNMENT, KernelMemory } from "./memory.ts";

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
