/**
 * GEMM shapes from real models: `M` rows (batch·tokens, or output pixels for a pointwise
 * convolution), `K` input features, `N` output features.
 * @module
 */

/** One benchmark shape. */
export interface Shape {
  /** Where it comes from, e.g. `BERT-base attention output`. */
  readonly model: string;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Part of the quick set. */
  readonly quick?: boolean;
}

/** The shapes `deno task bench` runs. */
export const SHAPES: readonly Shape[] = [
  // BERT-base: attention projections (768→768), FFN up (768→3072) and down (3072→768).
  { model: "BERT-base attn 768→768", m: 1, k: 768, n: 768, quick: true },
  { model: "BERT-base FFN 768→3072", m: 1, k: 768, n: 3072 },
  { model: "BERT-base FFN 3072→768", m: 1, k: 3072, n: 768 },
  { model: "BERT-base attn 768→768", m: 16, k: 768, n: 768 },
  { model: "BERT-base FFN 768→3072", m: 16, k: 768, n: 3072 },
  { model: "BERT-base FFN 3072→768", m: 16, k: 3072, n: 768 },
  { model: "BERT-base attn 768→768", m: 128, k: 768, n: 768, quick: true },
  { model: "BERT-base FFN 768→3072", m: 128, k: 768, n: 3072 },
  { model: "BERT-base FFN 3072→768", m: 128, k: 3072, n: 768 },
  // An LSTM's four gates: hidden 512 + input 512 → 4·512.
  { model: "LSTM gates 1024→2048", m: 1, k: 1024, n: 2048 },
  // Pointwise (1×1) convolutions as GEMMs: M = H·W output pixels, K = C_in, N = C_out.
  { model: "ResNet-18 downsample 1×1 64→128 @28²", m: 784, k: 64, n: 128 },
  { model: "ResNet-18 downsample 1×1 256→512 @7²", m: 49, k: 256, n: 512 },
  { model: "MobileNetV2 expand 1×1 24→144 @56²", m: 3136, k: 24, n: 144 },
  { model: "MobileNetV2 project 1×1 384→64 @14²", m: 196, k: 384, n: 64 },
  { model: "MobileNetV2 expand 1×1 160→960 @7²", m: 49, k: 160, n: 960 },
];
