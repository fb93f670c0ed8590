import assert from "node:assert/strict";
import {
  loadStateDictFromSafetensors,
  readSafetensors,
  readSafetensorsFile,
  SafetensorsError,
  saveStateDictToSafetensors,
  writeSafetensors,
} from "./safetensors.ts";
import { StateDictError } from "./module.ts";
import { KeysNet, randomTensor } from "./_test_models.ts";

/** A file built by hand from the format's definition (not by our writer). */
function handMade(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test("safetensors: reads a hand-made file (unaligned header, every dtype)", () => {
  const f32 = new Uint8Array(new Float32Array([1.5, -2]).buffer);
  const i64 = new Uint8Array(new BigInt64Array([7n]).buffer);
  const i8 = new Uint8Array(new Int8Array([-3, 4, 5]).buffer);
  const f16 = new Uint8Array(new Uint16Array([0x3c00]).buffer);
  const data = new Uint8Array([...f32, ...i64, ...i8, ...f16]);
  const file = handMade({
    __metadata__: { format: "pt" },
    "a.weight": { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    "a.n": { dtype: "I64", shape: [], data_offsets: [8, 16] },
    "q.codes": { dtype: "I8", shape: [3, 1], data_offsets: [16, 19] },
    "h": { dtype: "F16", shape: [1], data_offsets: [19, 21] },
  }, data);
  const { tensors, metadata } = readSafetensorsFile(file);
  assert.deepEqual(metadata, { format: "pt" });
  assert.deepEqual([...tensors.get("a.weight")!.data as Float32Array], [1.5, -2]);
  assert.deepEqual([...tensors.get("a.n")!.data as BigInt64Array], [7n]);
  assert.deepEqual(tensors.get("a.n")!.shape, []);
  assert.deepEqual([...tensors.get("q.codes")!.data as Int8Array], [-3, 4, 5]);
  assert.deepEqual([...tensors.get("h")!.data as Uint16Array], [0x3c00]);
});

Deno.test("safetensors: malformed files are refused with the reason", () => {
  const data = new Uint8Array(8);
  const bad = (header: Record<string, unknown>, bytes = data) => () =>
    readSafetensors(handMade(header, bytes));
  assert.throws(() => readSafetensors(new Uint8Array(4)), /truncated file/);
  assert.throws(
    bad({ a: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }),
    /tensor "a" has dtype BF16, which this library does not read/,
  );
  assert.throws(
    bad({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }),
    /shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] hold 8/,
  );
  assert.throws(
    bad({
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
    }),
    /overlap/,
  );
  assert.throws(bad({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }), /unused/);
  assert.throws(bad({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }), /past the end/);
  assert.throws(
    bad({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }),
    /cover 4 data bytes/,
  );
  assert.throws(
    bad({ a: { dtype: "X9", shape: [1], data_offsets: [0, 8] } }),
    /unknown dtype "X9"/,
  );
  assert.throws(
    () => readSafetensors(handMade({}, new Uint8Array()).fill(0x5b, 8)),
    SafetensorsError,
  );
});

Deno.test("safetensors: a model's state dict round-trips through a file", () => {
  const a = new KeysNet().eval();
  const bytes = saveStateDictToSafetensors(a, { format: "pt" });
  assert.equal(new DataView(bytes.buffer).getBigUint64(0, true) % 8n, 0n);
  const b = new KeysNet().eval();
  loadStateDictFromSafetensors(b, bytes);
  const x = randomTensor([1, 1, 4, 4], 3);
  assert.deepEqual(b.forward(x).data, a.forward(x).data);
  // Writing what was read gives the same bytes.
  assert.deepEqual(writeSafetensors(readSafetensors(bytes), { format: "pt" }), bytes);
});

Deno.test("safetensors: loading a file that does not fit the model names the keys", () => {
  const sd = new KeysNet().stateDict();
  sd.delete("conv1.bias");
  const bytes = writeSafetensors(sd);
  assert.throws(
    () => loadStateDictFromSafetensors(new KeysNet(), bytes),
    (e: unknown) =>
      e instanceof StateDictError && /Missing key\(s\).*"conv1\.bias"/.test(e.message),
  );
});

Deno.test("safetensors: the writer refuses bad input", () => {
  assert.throws(() => writeSafetensors({ "": randomTensor([1], 1) }), /non-empty/);
  assert.throws(
    () => writeSafetensors({ __metadata__: randomTensor([1], 1) }),
    /reserved/,
  );
  assert.throws(
    () => writeSafetensors({ a: { dtype: "F32", shape: [3], data: new Float32Array(2) } }),
    /shape \[3\] has 3 elements, data has 2/,
  );
});
