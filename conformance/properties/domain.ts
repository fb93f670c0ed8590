/**
 * Turns the parameter domains of op descriptors (`ops/domain.ts`) into fast-check arbitraries:
 * uniform values, with the domain's edge values drawn one time in four.
 * @module
 */
import fc from "fast-check";
import type { Domain } from "../../ops/domain.ts";

/** The arbitrary of one domain. */
export function domainArb(domain: Domain): fc.Arbitrary<unknown> {
  switch (domain.kind) {
    case "float": {
      const uniform = fc.double({ min: domain.min, max: domain.max, noNaN: true });
      return domain.edges.length === 0 ? uniform : fc.oneof(
        { weight: 3, arbitrary: uniform },
        { weight: 1, arbitrary: fc.constantFrom(...domain.edges) },
      );
    }
    case "int": {
      const uniform = fc.integer({ min: domain.min, max: domain.max });
      return domain.edges.length === 0 ? uniform : fc.oneof(
        { weight: 3, arbitrary: uniform },
        { weight: 1, arbitrary: fc.constantFrom(...domain.edges) },
      );
    }
    case "choice":
      return fc.constantFrom(...domain.values);
  }
}

/** The arbitrary of an object of domains. */
export function paramsArb(
  params: Readonly<Record<string, Domain>>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    Object.fromEntries(Object.entries(params).map(([k, d]) => [k, domainArb(d)])),
  ) as fc.Arbitrary<Record<string, unknown>>;
}
