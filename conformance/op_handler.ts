/**
 * The contract between the runner and the code that knows one golden op: which attributes,
 * inputs and outputs the op has, and how to compute the outputs on a path (the reference or a
 * kernel set).
 * @module
 */
import type { Produced } from "./compare.ts";
import type { AttrValue, GoldenCase, GoldenTensor } from "./golden_file.ts";
import { toNumbers } from "./golden_file.ts";
import type { KernelSet } from "../kernels/kernel_set.ts";

/** A path that conformance checks: the reference, or one kernel set. */
export interface ConformancePath {
  /** `reference`, or a kernel set's name (`x86`, `arm`, …). */
  readonly name: string;
  /** The kernel set of a kernel path (absent for the reference). */
  readonly kernels?: KernelSet;
}

/** Thrown by a handler when a case uses an op feature this implementation lacks. */
export class UnsupportedCase extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedCase";
  }
}

/** Thrown by a handler when a case is malformed (a missing or ill-typed attribute or input). */
export class MalformedCase extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedCase";
  }
}

/** Typed access to one golden case: its attributes and inputs. */
export interface CaseReader {
  readonly testCase: GoldenCase;
  readonly attrs: AttrReader;
  /** A required input; a missing one makes the case malformed. */
  input(name: string): GoldenTensor;
  /** An optional input. */
  optionalInput(name: string): GoldenTensor | undefined;
}

/** A reader over one case. */
export function caseReader(testCase: GoldenCase): CaseReader {
  return {
    testCase,
    attrs: new AttrReader(testCase.attrs),
    input(name) {
      const t = testCase.inputs[name];
      if (t === undefined) throw new MalformedCase(`input "${name}" is missing`);
      return t;
    },
    optionalInput: (name) => testCase.inputs[name],
  };
}

/** What a handler receives for one case on one path. */
export interface RunContext<P extends ConformancePath = ConformancePath> extends CaseReader {
  readonly path: P;
}

/** Which names an op accepts: a fixed list, or a pattern for numbered names (`x0`, `x1`, …). */
export type NameSpec = readonly (string | RegExp)[];

/** One golden op. */
export interface OpHandler<P extends ConformancePath = ConformancePath> {
  /** The op name in the golden file. */
  readonly op: string;
  /** Attribute names the op knows; any other makes the case `unsupported`. */
  readonly attrs: NameSpec;
  /** Input names the op knows. */
  readonly inputs: NameSpec;
  /** Output names the op can produce. */
  readonly outputs: NameSpec;
  /**
   * Whether the case runs on a kernel path. Omitted means the op is reference-only: the runner
   * then never reports it on a kernel path (a kernel path must run kernels to pass).
   */
  kernelSupport?(testCase: GoldenCase, kernels: KernelSet): boolean;
  /** Computes every output named in the case. */
  run(ctx: RunContext<P>): Record<string, Produced>;
}

/** Whether `name` matches a NameSpec. */
export function nameAllowed(spec: NameSpec, name: string): boolean {
  return spec.some((s) => (typeof s === "string" ? s === name : s.test(name)));
}

/** Typed access to a case's attributes; a missing or ill-typed one throws MalformedCase. */
export class AttrReader {
  constructor(private readonly attrs: Readonly<Record<string, AttrValue>>) {}

  /** Whether the attribute is present (and not null). */
  has(name: string): boolean {
    return this.attrs[name] !== undefined && this.attrs[name] !== null;
  }

  /** A finite number. */
  number(name: string): number {
    const v = this.get(name);
    if (typeof v !== "number" || !Number.isFinite(v)) this.bad(name, "a finite number", v);
    return v as number;
  }

  /** An integer. */
  int(name: string): number {
    const v = this.get(name);
    if (typeof v !== "number" || !Number.isInteger(v)) this.bad(name, "an integer", v);
    return v as number;
  }

  /** A boolean. */
  bool(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== "boolean") this.bad(name, "a boolean", v);
    return v as boolean;
  }

  /** A string. */
  string(name: string): string {
    const v = this.get(name);
    if (typeof v !== "string") this.bad(name, "a string", v);
    return v as string;
  }

  /** An array of integers. */
  ints(name: string): number[] {
    const v = this.get(name);
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) {
      this.bad(name, "an array of integers", v);
    }
    return [...(v as number[])];
  }

  /** An array of finite numbers. */
  numbers(name: string): number[] {
    const v = this.get(name);
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      this.bad(name, "an array of finite numbers", v);
    }
    return [...(v as number[])];
  }

  /** A pair of integers `[a, b]`. */
  pair(name: string): [number, number] {
    const v = this.ints(name);
    if (v.length !== 2) this.bad(name, "a pair of integers", v);
    return [v[0], v[1]];
  }

  /** A JSON object (e.g. an observer's constructor arguments). */
  object(name: string): Readonly<Record<string, AttrValue>> {
    const v = this.get(name);
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.bad(name, "an object", v);
    return v as Record<string, AttrValue>;
  }

  /** The attribute, or `fallback` when absent. */
  optional<T>(name: string, read: (name: string) => T, fallback: T): T {
    return this.has(name) ? read.call(this, name) : fallback;
  }

  private get(name: string): AttrValue {
    const v = this.attrs[name];
    if (v === undefined) throw new MalformedCase(`attribute "${name}" is missing`);
    return v;
  }

  private bad(name: string, what: string, v: unknown): never {
    throw new MalformedCase(`attribute "${name}" must be ${what}, got ${JSON.stringify(v)}`);
  }
}

/** A golden tensor's values as a Float32Array (it must be float32). */
export function float32Input(t: GoldenTensor, name: string): Float32Array {
  if (t.dtype !== "float32") {
    throw new MalformedCase(`input "${name}" must be float32, got ${t.dtype}`);
  }
  return t.data as Float32Array;
}

/** A golden tensor's values as numbers, checking the dtype is one of `dtypes`. */
export function numericInput(
  t: GoldenTensor,
  name: string,
  dtypes: readonly string[],
): Float64Array {
  if (!dtypes.includes(t.dtype)) {
    throw new MalformedCase(`input "${name}" must be ${dtypes.join(" or ")}, got ${t.dtype}`);
  }
  return toNumbers(t);
}

/** A Produced scalar (shape `[]`). */
export function scalar(value: number): Produced {
  return { shape: [], data: [value] };
}
