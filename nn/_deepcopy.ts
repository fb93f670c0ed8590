/**
 * `copy.deepcopy` for module trees (internal): copies Modules, Tensors, typed arrays, arrays,
 * Maps, Sets and class instances (prototype kept, every own property — symbol-keyed ones and
 * accessors included — copied), preserving sharing and cycles through a memo as Python does.
 * Frozen objects (QConfig, observer factories, tensor shapes) and functions are immutable and
 * shared.
 *
 * Instances of classes with JavaScript private (`#`) fields cannot be copied this way (their
 * private slots do not transfer): the caller rebuilds them (`custom`), refuses them (`refuse`,
 * an error) or shares them (`share`, the same object in the copy).
 * @module
 */

/**
 * Marks objects that every copy shares (kernel sets and their memory, which cannot be copied
 * and hold no per-model state): `deepCopy` keeps an object whose `[SHARED_ON_COPY]` is true.
 */
export const SHARED_ON_COPY: unique symbol = Symbol("sharedOnCopy");

/** Options of `deepCopy`. */
export interface DeepCopyOptions {
  /** Objects to keep as they are (the copy refers to the same object). */
  share?: (value: object) => boolean;
  /** A reason why `value` cannot be copied (the copy then throws a TypeError), or undefined. */
  refuse?: (value: object) => string | undefined;
  /**
   * A copy made another way (e.g. by rebuilding an object whose state is private), or
   * undefined to copy `value` normally; `copy` deep-copies parts of it with the same memo.
   */
  custom?: (value: object, copy: <U>(part: U) => U) => object | undefined;
}

/**
 * Deep-copies `value`; shared references stay shared in the copy.
 * @throws {TypeError} when `options.refuse` names an object that cannot be copied.
 */
export function deepCopy<T>(value: T, options: DeepCopyOptions = {}): T {
  return copyWith(value, new Map(), options);
}

function copyWith<T>(value: T, memo: Map<object, unknown>, options: DeepCopyOptions): T {
  if (value === null || typeof value !== "object") return value;
  const original = value as unknown as object;
  if (memo.has(original)) return memo.get(original) as T;
  if (
    Object.isFrozen(original) || (original as { [SHARED_ON_COPY]?: boolean })[SHARED_ON_COPY] ||
    options.share?.(original)
  ) {
    return value;
  }
  const reason = options.refuse?.(original);
  if (reason !== undefined) throw new TypeError(reason);
  const custom = options.custom?.(original, (part) => copyWith(part, memo, options));
  if (custom !== undefined) {
    memo.set(original, custom);
    return custom as T;
  }
  let copy: object;
  if (ArrayBuffer.isView(original)) {
    copy = original instanceof DataView
      ? new DataView(
        original.buffer.slice(original.byteOffset, original.byteOffset + original.byteLength),
      )
      : (original as unknown as { slice(): object }).slice();
    memo.set(original, copy);
    return copy as T;
  }
  if (original instanceof ArrayBuffer) {
    copy = original.slice(0);
    memo.set(original, copy);
    return copy as T;
  }
  if (original instanceof Map) {
    const map = new Map();
    Object.setPrototypeOf(map, Object.getPrototypeOf(original));
    memo.set(original, map);
    for (const [k, v] of original) map.set(k, copyWith(v, memo, options));
    copy = map;
  } else if (original instanceof Set) {
    const set = new Set();
    Object.setPrototypeOf(set, Object.getPrototypeOf(original));
    memo.set(original, set);
    for (const v of original) set.add(copyWith(v, memo, options));
    copy = set;
  } else if (Array.isArray(original)) {
    const array: unknown[] = [];
    memo.set(original, array);
    for (const v of original) array.push(copyWith(v, memo, options));
    return array as T;
  } else {
    copy = Object.create(Object.getPrototypeOf(original));
    memo.set(original, copy);
  }
  for (const key of Reflect.ownKeys(original)) {
    const desc = Object.getOwnPropertyDescriptor(original, key)!;
    if ("value" in desc) desc.value = copyWith(desc.value, memo, options);
    Object.defineProperty(copy, key, desc);
  }
  if (Object.isSealed(original)) Object.seal(copy);
  else if (!Object.isExtensible(original)) Object.preventExtensions(copy);
  return copy as T;
}
