/**
 * Observer factories: PyTorch's `Observer.with_args(**kwargs)` partials. A qconfig holds
 * factories, not observers, because every layer needs its own observer instance.
 * @module
 */
import { show } from "../_check.ts";

/** A class built from one options object and carrying PyTorch's class name. */
export interface FactoryTarget<T, A> {
  /** Builds an instance from its options. */
  new (options: A): T;
  /** PyTorch's class name. */
  readonly className: string;
}

/**
 * A factory: the class plus preset constructor arguments (PyTorch's `_PartialWrapper`).
 * `create()` makes a fresh instance each time.
 */
export interface Factory<T, A = Record<string, unknown>> {
  /** The class name of what `create()` builds. */
  readonly className: string;
  /** The class (its constructor takes the options type `A`). */
  readonly target: { new (options: never): T; readonly className: string };
  /** The preset arguments (camelCase option names), frozen. */
  readonly args: Readonly<Partial<A>>;
  /** A new instance with the preset arguments, `overrides` taking precedence. */
  create(overrides?: Partial<A>): T;
  /** A factory with more preset arguments (later ones win), like chaining `with_args`. */
  withArgs(more: Partial<A>): Factory<T, A>;
}

/**
 * PyTorch's `cls.with_args(**kwargs)`: a factory for `cls` with preset options.
 * @example
 * ```ts
 * const factory = withArgs(MinMaxObserver, { dtype: "qint8", qscheme: "per_tensor_symmetric" });
 * const a = factory.create();
 * const b = factory.create(); // a different instance
 * ```
 * @throws {TypeError} when `cls` is not a class with a `className`, or `args` is not an object.
 */
export function withArgs<T, A>(
  cls: FactoryTarget<T, A>,
  args: Partial<NonNullable<A>> = {},
): Factory<T, NonNullable<A>> {
  if (typeof cls !== "function" || typeof cls.className !== "string") {
    throw new TypeError(`cls: expected an observer or fake-quantize class, got ${show(cls)}`);
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new TypeError(`args: expected an options object, got ${show(args)}`);
  }
  const preset = Object.freeze({ ...args });
  return Object.freeze({
    className: cls.className,
    target: cls,
    args: preset,
    create(overrides: Partial<NonNullable<A>> = {}): T {
      return new cls({ ...preset, ...overrides } as A);
    },
    withArgs(more: Partial<NonNullable<A>>): Factory<T, NonNullable<A>> {
      return withArgs(cls, { ...preset, ...more });
    },
  });
}

/** Whether `value` is a factory made by `withArgs`. */
export function isFactory(value: unknown): value is Factory<unknown, unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as Factory<unknown>).create === "function" &&
    typeof (value as Factory<unknown>).className === "string" &&
    typeof (value as Factory<unknown>).target === "function";
}
