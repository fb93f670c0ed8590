/**
 * Every property check of the reference (kernel paths add their own).
 * @module
 */
import type { PropertyCheck } from "./property.ts";
import { convProperties } from "./conv.ts";
import { elementwiseProperties } from "./elementwise.ts";
import { fakeQuantizeProperties } from "./fake_quantize.ts";
import { fusionProperties } from "./fusion.ts";
import { fbgemmDotProperties, linearProperties } from "./linear.ts";
import { observerProperties } from "./observers.ts";
import { poolProperties } from "./pool.ts";
import { quantizeProperties } from "./quantize.ts";
import { rnnReferenceProperties } from "./rnn.ts";
import { embeddingProperties } from "./embedding.ts";

/** All reference properties. */
export function referenceProperties(): PropertyCheck[] {
  return [
    ...quantizeProperties(),
    ...linearProperties("qnnpack"),
    ...linearProperties("fbgemm"),
    ...fbgemmDotProperties(),
    ...convProperties("qnnpack"),
    ...convProperties("fbgemm"),
    ...elementwiseProperties(),
    ...poolProperties(),
    ...fakeQuantizeProperties(),
    ...fusionProperties(),
    ...observerProperties(),
    ...rnnReferenceProperties(),
    ...embeddingProperties(),
  ];
}
