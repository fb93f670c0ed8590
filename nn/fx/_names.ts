/**
 * Node naming exactly as torch.fx 1.13 names nodes (`Graph._target_to_str` and
 * `_Namespace.create_name`): the same graph built in PyTorch and here gets the same node names,
 * including the `_1`, `_2` suffixes of repeated names and of names that would shadow a Python
 * builtin or keyword (internal).
 * @module
 */

/** Python 3.11's keywords and builtins, plus torch.fx's own reserved names: never node names. */
const RESERVED = new Set(
  ("ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup " +
    "BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError " +
    "ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError " +
    "DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception " +
    "ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError FutureWarning " +
    "GeneratorExit IOError ImportError ImportWarning IndentationError IndexError " +
    "InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError " +
    "ModuleNotFoundError NameError None NoneType NotADirectoryError NotImplemented " +
    "NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError " +
    "ProcessLookupError RecursionError ReferenceError ResourceWarning RuntimeError " +
    "RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError " +
    "SystemExit TabError TimeoutError True TypeError UnboundLocalError UnicodeDecodeError " +
    "UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning " +
    "ValueError Warning ZeroDivisionError __build_class__ __debug__ __doc__ __import__ " +
    "__loader__ __name__ __package__ __spec__ abs aiter all and anext any as ascii assert " +
    "async await bin bool break breakpoint bytearray bytes callable chr class classmethod " +
    "compile complex continue copyright credits def del delattr device dict dir divmod elif " +
    "else enumerate eval except exec exit filter finally float for format from frozenset " +
    "fx_pytree getattr global globals hasattr hash help hex id if import in inf input int is " +
    "isinstance issubclass iter lambda len license list locals map max memoryview min nan next " +
    "nonlocal not object oct open or ord pass pow print property pytree quit raise range repr " +
    "return reversed round set setattr slice sorted staticmethod str sum super torch try tuple " +
    "type vars while with yield zip").split(" "),
);

/** `_snake_case`: a lower-case letter followed by an upper-case one gets an underscore. */
export function snakeCase(s: string): string {
  let out = "";
  let prevLower = false;
  for (const c of s) {
    const upper = c !== c.toLowerCase();
    if (prevLower && upper) out += "_";
    out += c.toLowerCase();
    prevLower = c !== c.toUpperCase() && !upper;
  }
  return out;
}

/**
 * The name candidate of a target (`_target_to_str`): a function's own name (the last component
 * of its qualified name), a method or module path as it is, dunder names without the
 * underscores; snake-cased.
 */
export function targetToName(op: string, target: string): string {
  let s = op === "call_function" ? target.slice(target.lastIndexOf(".") + 1) : target;
  if (op !== "call_function" && s.startsWith("__") && s.endsWith("__") && s.length > 4) {
    s = s.slice(2, -2);
  }
  return snakeCase(s);
}

/** The unique names of one graph (`_Namespace`). */
export class Namespace {
  private readonly used = new Set<string>();

  /** A fresh name from `candidate`, as `_Namespace.create_name(candidate, None)`. */
  createName(candidate: string): string {
    let c = candidate.replace(/[^0-9a-zA-Z_]+/g, "_");
    if (c === "") c = "_";
    if (/^[0-9]/.test(c)) c = `_${c}`;
    const match = /^(.*)_(\d+)$/s.exec(c);
    const base = match === null ? c : match[1];
    let num = match === null ? 0 : Number(match[2]);
    let name = match === null ? base : `${base}_${num}`;
    while (this.used.has(name) || RESERVED.has(name)) {
      num += 1;
      name = `${base}_${num}`;
    }
    this.used.add(name);
    return name;
  }
}
