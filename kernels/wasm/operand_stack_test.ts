import assert from "node:assert/strict";
import { OperandStackChecker } from "./operand_stack.ts";

Deno.test("operand stack: pops check types from the top, failures restore the stack", () => {
  const s = new OperandStackChecker("fn", { params: [], results: ["i32"] });
  s.begin("a");
  s.push(["i32", "v128"]);
  s.begin("b");
  assert.throws(() => s.pop(["v128", "v128"]), {
    name: "TypeError",
    message: 'wasm function "fn", instruction #2 b: expected [v128 v128] on top of the stack, ' +
      "found [i32 v128]",
  });
  s.begin("c");
  assert.deepEqual(s.pop(["v128"]), ["v128"]);
  s.checkFunctionEnd();
  assert.equal(s.instructionCount, 3);
});

Deno.test("operand stack: frames, labels, else, and the polymorphic stack", () => {
  const s = new OperandStackChecker("fn", { params: [], results: [] });
  const outer = {}, inner = {};
  s.begin("block");
  s.enter("block", { params: [], results: ["f32"] }, outer);
  s.begin("loop");
  s.enter("loop", { params: [], results: [] }, inner);
  assert.equal(s.depth, 3);
  assert.equal(s.depthOf(outer), 1);
  assert.equal(s.depthOf(inner), 0);
  assert.equal(s.depthOf({}), -1);
  assert.deepEqual(s.labelTypes(1), ["f32"]);
  assert.deepEqual(s.labelTypes(0), []);
  assert.throws(() => s.labelTypes(3), RangeError);
  s.begin("unreachable");
  s.markUnreachable();
  assert.deepEqual(s.pop(["i64", "v128"]), ["unknown", "unknown"]);
  s.push(["unknown"]);
  assert.throws(() => s.exit(), /found \[unknown\]/);
  s.popAny();
  s.exit();
  s.begin("f32.const");
  s.push(["f32"]);
  s.exit();
  s.begin("drop");
  s.popAny();
  s.begin("drop");
  assert.throws(() => s.popAny(), /expected a value on the stack, found none/);
  s.begin("if");
  s.enter("if", { params: [], results: ["i32"] }, {});
  s.push(["i32"]);
  s.enterElse();
  assert.throws(() => s.enterElse(), /else without a matching if/);
  s.push(["i32"]);
  s.exit();
  s.popAny();
  assert.throws(() => s.exit(), /end without an open block/);
  s.checkFunctionEnd();
});
