/**
 * State dicts: the ordered key → tensor maps of `Module.stateDict()`, what `loadStateDict`
 * accepts, and the reader through which each module takes its own entries — checking dtypes and
 * shapes, collecting missing and unexpected keys, and deferring every write until the whole
 * state dict has been checked (a failed load changes nothing).
 * @module
 */
import { Tensor } from "../reference/tensor.ts";
import { show } from "./_util.ts";
import { asTypedTensor, showShape, type TensorLike, type TypedTensor } from "./typed_tensor.ts";

/** An ordered state dict: PyTorch key → typed tensor. */
export type StateDict = Map<string, TypedTensor>;

/** What `loadStateDict` accepts: a Map or a plain object of typed tensors or float Tensors. */
export type StateDictSource =
  | ReadonlyMap<string, TensorLike>
  | Readonly<Record<string, TensorLike>>;

/** Options of `loadStateDict`. */
export interface StateDictLoadOptions {
  /**
   * Whether missing and unexpected keys are errors (default true, as PyTorch). Shape and dtype
   * mismatches are errors either way.
   */
  strict?: boolean;
}

/** What `loadStateDict` returns (PyTorch's `_IncompatibleKeys`). */
export interface StateDictLoadResult {
  /** Keys the module expects that the state dict lacks (empty when strict). */
  missingKeys: string[];
  /** Keys of the state dict that no module consumed (empty when strict). */
  unexpectedKeys: string[];
}

/** A state dict that does not fit a module: the keys and the reasons, PyTorch's message. */
export class StateDictError extends Error {
  /** Keys the module expects that the state dict lacks. */
  readonly missingKeys: string[];
  /** Keys of the state dict that the module does not have. */
  readonly unexpectedKeys: string[];
  /** Shape or dtype mismatches and other errors, one message each (each names its key). */
  readonly mismatches: string[];

  /** Builds the message from the three lists, for module class `moduleName`. */
  constructor(
    moduleName: string,
    problems: { missingKeys: string[]; unexpectedKeys: string[]; mismatches: string[] },
  ) {
    const lines = [`Error(s) in loading state_dict for ${moduleName}:`];
    const quote = (keys: string[]) => keys.map((k) => `"${k}"`).join(", ");
    if (problems.missingKeys.length > 0) {
      lines.push(`\tMissing key(s) in state_dict: ${quote(problems.missingKeys)}.`);
    }
    if (problems.unexpectedKeys.length > 0) {
      lines.push(`\tUnexpected key(s) in state_dict: ${quote(problems.unexpectedKeys)}.`);
    }
    for (const m of problems.mismatches) lines.push(`\t${m}`);
    super(lines.join("\n"));
    this.name = "StateDictError";
    this.missingKeys = problems.missingKeys;
    this.unexpectedKeys = problems.unexpectedKeys;
    this.mismatches = problems.mismatches;
  }
}

/**
 * The state of one `loadStateDict` call, handed to every module's `loadFromStateDict`: it
 * tracks which keys were consumed, which are missing, what does not match, and defers every
 * write until the whole state dict has been checked — a failed load changes nothing.
 */
export class StateDictReader {
  private readonly source: Map<string, TypedTensor>;
  private readonly consumed = new Set<string>();
  private readonly writes: (() => void)[] = [];
  /** Keys the modules expected and did not find, in module order. */
  readonly missingKeys: string[] = [];
  /** Mismatch messages, each naming its key. */
  readonly mismatches: string[] = [];

  /** Wraps a state dict (Tensors are taken as F32). */
  constructor(source: StateDictSource) {
    if (typeof source !== "object" || source === null) {
      throw new TypeError(`stateDict: expected a Map or an object of tensors, got ${show(source)}`);
    }
    const entries = source instanceof Map
      ? [...source.entries()]
      : Object.entries(source as Record<string, TensorLike>);
    this.source = new Map();
    for (const [key, value] of entries) {
      if (
        !(value instanceof Tensor) &&
        (typeof value !== "object" || value === null || !("dtype" in value) ||
          !ArrayBuffer.isView((value as TypedTensor).data))
      ) {
        throw new TypeError(
          `stateDict[${show(key)}]: expected a Tensor or a {dtype, shape, data} tensor, got ` +
            show(value),
        );
      }
      this.source.set(key, asTypedTensor(value));
    }
  }

  /** Whether the state dict has `key`. */
  has(key: string): boolean {
    return this.source.has(key);
  }

  /** Returns the entry for `key` (or undefined) and marks it consumed. */
  take(key: string): TypedTensor | undefined {
    const entry = this.source.get(key);
    if (entry !== undefined) this.consumed.add(key);
    return entry;
  }

  /**
   * Adds `key` to the state dict when it is absent — PyTorch's way of accepting old state dicts
   * (BatchNorm without `num_batches_tracked`).
   */
  setDefault(key: string, value: TypedTensor): void {
    if (!this.source.has(key)) this.source.set(key, value);
  }

  /** Records `key` as missing. */
  markMissing(key: string): void {
    this.missingKeys.push(key);
  }

  /** Records an error about `key` (the message should name it). */
  reportMismatch(message: string): void {
    this.mismatches.push(message);
  }

  /** Queues a write, run only if the whole load succeeds. */
  defer(write: () => void): void {
    this.writes.push(write);
  }

  /**
   * Takes `key` and checks it has the dtype and shape of `target` (a `[1]` entry fits a `[]`
   * target, as in PyTorch); records it missing or mismatched otherwise.
   * @returns the entry, or undefined when missing or mismatched
   */
  expect(key: string, target: TensorLike): TypedTensor | undefined {
    const want = asTypedTensor(target);
    const got = this.take(key);
    if (got === undefined) {
      this.markMissing(key);
      return undefined;
    }
    if (got.dtype !== want.dtype) {
      this.reportMismatch(
        `dtype mismatch for ${key}: the state dict has ${got.dtype}, the module expects ` +
          `${want.dtype} (shape ${showShape(want.shape)})`,
      );
      return undefined;
    }
    const scalarFromOne = want.shape.length === 0 && got.shape.length === 1 &&
      got.shape[0] === 1;
    if (
      !scalarFromOne &&
      (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    ) {
      this.reportMismatch(
        `size mismatch for ${key}: copying a param with shape ${
          showShape(got.shape)
        } from checkpoint, the shape in current model is ${showShape(want.shape)}`,
      );
      return undefined;
    }
    return got;
  }

  /** `expect`, then a deferred copy of the entry into `target`'s data (in place). */
  copyInto(key: string, target: TensorLike): void {
    const got = this.expect(key, target);
    if (got === undefined) return;
    const data = asTypedTensor(target).data;
    this.defer(() => (data as Float32Array).set(got.data as Float32Array));
  }

  /** The keys nobody consumed, in state-dict order. */
  unexpectedKeys(): string[] {
    return [...this.source.keys()].filter((k) => !this.consumed.has(k));
  }

  /** Runs the deferred writes. */
  commit(): void {
    for (const write of this.writes) write();
  }
}
