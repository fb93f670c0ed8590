/**
 * The operand-stack type checker the function builder runs at emit time: the validation
 * algorithm of the WebAssembly spec (operand stack, control frames, polymorphic stack after
 * unconditional branches), with errors that name the function, the instruction and the types.
 *
 * @module
 */

import type { FuncType, ValType } from "./types.ts";

/** A type on the operand stack; `unknown` is a value of any type in unreachable code. */
export type StackValue = ValType | "unknown";

/** The kind of a control frame. */
export type FrameKind = "function" | "block" | "loop" | "if" | "else";

interface ControlFrame {
  kind: FrameKind;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly height: number;
  readonly label: object | undefined;
  readonly openedAt: number;
  unreachable: boolean;
}

const END = "end of function";

function list(types: readonly StackValue[]): string {
  return `[${types.join(" ")}]`;
}

/**
 * Tracks operand types and control frames of one function body. Call {@link begin} before
 * checking each instruction, so that errors can say which instruction failed.
 */
export class OperandStackChecker {
  readonly #functionName: string;
  readonly #stack: StackValue[] = [];
  readonly #frames: ControlFrame[] = [];
  #count = 0;
  #current = "";
  #snapshot: StackValue[] = [];

  /** Starts checking the body of function `functionName` with signature `signature`. */
  constructor(functionName: string, signature: FuncType) {
    this.#functionName = functionName;
    this.#frames.push({
      kind: "function",
      params: [],
      results: signature.results,
      height: 0,
      label: undefined,
      openedAt: 0,
      unreachable: false,
    });
  }

  /** Number of open control frames, the function body included. */
  get depth(): number {
    return this.#frames.length;
  }

  /** Number of instructions begun so far. */
  get instructionCount(): number {
    return this.#count;
  }

  /**
   * Marks the start of the next instruction (its text name, e.g. `i32x4.add`, `local.get $x`).
   * If the instruction is then rejected, the stack is restored to its state here.
   */
  begin(instruction: string): void {
    this.#count++;
    this.#current = instruction;
    this.#snapshot = this.#stack.slice();
  }

  /**
   * Throws an error of class `kind` prefixed with the function and current instruction, after
   * restoring the operand stack to its state before the instruction.
   */
  fail(message: string, kind: new (message: string) => Error = TypeError): never {
    this.#stack.splice(0, this.#stack.length, ...this.#snapshot);
    const where = this.#current === END ? END : `instruction #${this.#count} ${this.#current}`;
    throw new kind(`wasm function "${this.#functionName}", ${where}: ${message}`);
  }

  #top(): ControlFrame {
    return this.#frames[this.#frames.length - 1];
  }

  #available(): number {
    return this.#stack.length - this.#top().height;
  }

  /**
   * Checks that the top of the stack holds `types` (bottom to top) and pops them. Returns the
   * popped types (`unknown` where the stack was polymorphic).
   */
  pop(types: readonly ValType[]): StackValue[] {
    const frame = this.#top();
    const available = this.#available();
    const n = types.length;
    let ok = available >= n || frame.unreachable;
    for (let j = 0; ok && j < Math.min(n, available); j++) {
      const actual = this.#stack[this.#stack.length - 1 - j];
      if (actual !== "unknown" && actual !== types[n - 1 - j]) ok = false;
    }
    if (!ok) {
      const found = this.#stack.slice(this.#stack.length - Math.min(n, available));
      const short = available < n ? ` (only ${available} value(s) in the current block)` : "";
      this.fail(`expected ${list(types)} on top of the stack, found ${list(found)}${short}`);
    }
    const popped: StackValue[] = new Array(n).fill("unknown");
    for (let j = 0; j < Math.min(n, available); j++) popped[n - 1 - j] = this.#stack.pop()!;
    return popped;
  }

  /** Pops one value of any type (for `drop` and `select`). */
  popAny(): StackValue {
    if (this.#available() > 0) return this.#stack.pop()!;
    if (this.#top().unreachable) return "unknown";
    return this.fail("expected a value on the stack, found none in the current block");
  }

  /** Pushes result types. */
  push(types: readonly StackValue[]): void {
    for (const t of types) this.#stack.push(t);
  }

  /** Marks the rest of the current block unreachable (after `br`, `return`, `unreachable`). */
  markUnreachable(): void {
    const frame = this.#top();
    this.#stack.length = frame.height;
    frame.unreachable = true;
  }

  /** Opens a `block`, `loop` or `if` frame: pops its parameters and pushes them inside. */
  enter(kind: "block" | "loop" | "if", signature: FuncType, label: object): void {
    this.pop(signature.params);
    this.#frames.push({
      kind,
      params: signature.params,
      results: signature.results,
      height: this.#stack.length,
      label,
      openedAt: this.#count,
      unreachable: false,
    });
    this.push(signature.params);
  }

  #checkFrameEnd(frame: ControlFrame, what: string): void {
    const values = this.#stack.slice(frame.height);
    const expected = frame.results;
    let ok = values.length === expected.length ||
      (frame.unreachable && values.length < expected.length);
    const offset = expected.length - values.length;
    for (let i = 0; ok && i < values.length; i++) {
      if (values[i] !== "unknown" && values[i] !== expected[offset + i]) ok = false;
    }
    if (!ok) {
      this.fail(`${what}: expected the stack to be ${list(expected)}, found ${list(values)}`);
    }
  }

  /** Switches the innermost `if` frame to its `else` arm. */
  enterElse(): void {
    const frame = this.#top();
    if (frame.kind !== "if") this.fail("else without a matching if");
    this.#checkFrameEnd(frame, `end of the then-arm of the if opened at #${frame.openedAt}`);
    this.#stack.length = frame.height;
    frame.kind = "else";
    frame.unreachable = false;
    this.push(frame.params);
  }

  /** Closes the innermost `block`/`loop`/`if` frame, checks its results and pushes them. */
  exit(): void {
    const frame = this.#top();
    if (frame.kind === "function") this.fail("end without an open block");
    this.#checkFrameEnd(frame, `end of the ${frame.kind} opened at #${frame.openedAt}`);
    if (frame.kind === "if" && frame.params.join() !== frame.results.join()) {
      this.fail(
        `an if without else must leave its parameters ${list(frame.params)} unchanged, ` +
          `but its type produces ${list(frame.results)}`,
      );
    }
    this.#stack.length = frame.height;
    this.#frames.pop();
    this.push(frame.results);
  }

  /** Checks the end of the function body: no open blocks and exactly the results on the stack. */
  checkFunctionEnd(): void {
    this.#current = END;
    this.#snapshot = this.#stack.slice();
    if (this.#frames.length !== 1) {
      const open = this.#frames.slice(1).map((f) => `${f.kind} #${f.openedAt}`).join(", ");
      this.fail(`unbalanced control: ${this.#frames.length - 1} block(s) still open (${open})`);
    }
    this.#checkFrameEnd(this.#frames[0], "values left on the stack");
  }

  /** Branch depth of the frame labelled `label`, or -1 when it is not open. */
  depthOf(label: object): number {
    for (let i = this.#frames.length - 1; i >= 0; i--) {
      if (this.#frames[i].label === label) return this.#frames.length - 1 - i;
    }
    return -1;
  }

  /** Types a branch to depth `depth` carries: a loop's parameters, otherwise the results. */
  labelTypes(depth: number): readonly ValType[] {
    if (!Number.isInteger(depth) || depth < 0 || depth >= this.#frames.length) {
      this.fail(`branch depth ${depth} out of range 0..${this.#frames.length - 1}`, RangeError);
    }
    const frame = this.#frames[this.#frames.length - 1 - depth];
    return frame.kind === "loop" ? frame.params : frame.results;
  }
}
