import assert from "node:assert/strict";
import { blockSignature, VAL_TYPES, valTypeCode } from "./types.ts";

Deno.test("value type codes", () => {
  assert.deepEqual(VAL_TYPES.map(valTypeCode), [0x7f, 0x7e, 0x7d, 0x7c, 0x7b]);
  assert.throws(() => valTypeCode("i128" as "i32"), /unknown wasm value type "i128"/);
});

Deno.test("block signatures", () => {
  assert.deepEqual(blockSignature(undefined), { params: [], results: [] });
  assert.deepEqual(blockSignature("v128"), { params: [], results: ["v128"] });
  assert.deepEqual(blockSignature({ params: ["i32"] }), { params: ["i32"], results: [] });
  assert.throws(() => blockSignature({ results: ["x" as "i32"] }), TypeError);
});
