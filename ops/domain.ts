/**
 * Parameter domains: what an op parameter may be, as data. The property tests turn a domain
 * into a generator (uniform values plus the listed edge values); descriptors stay free of any
 * test library.
 * @module
 */

/** A float parameter: uniform in `[min, max]`, plus `edges` drawn often. */
export interface FloatDomain {
  readonly kind: "float";
  readonly min: number;
  readonly max: number;
  /** Values drawn with a higher weight (0, −0, bounds, huge, tiny, …). */
  readonly edges: readonly number[];
}

/** An integer parameter in `[min, max]`. */
export interface IntDomain {
  readonly kind: "int";
  readonly min: number;
  readonly max: number;
  readonly edges: readonly number[];
}

/** One of a fixed list of values. */
export interface ChoiceDomain {
  readonly kind: "choice";
  readonly values: readonly (number | boolean | string | null)[];
}

/** A parameter domain. */
export type Domain = FloatDomain | IntDomain | ChoiceDomain;

/** A float domain. */
export function float(min: number, max: number, edges: readonly number[] = []): FloatDomain {
  return { kind: "float", min, max, edges };
}

/** An integer domain. */
export function int(min: number, max: number, edges: readonly number[] = []): IntDomain {
  return { kind: "int", min, max, edges };
}

/** A choice among values. */
export function choice(...values: (number | boolean | string | null)[]): ChoiceDomain {
  return { kind: "choice", values };
}
