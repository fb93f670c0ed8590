/**
 * qint8 — PyTorch 1.13's int8 quantization numerics, bit for bit, with WebAssembly SIMD kernels
 * that equal the reference exactly.
 *
 * - Tensors and dtypes: {@link Tensor}, {@link QuantizedTensor}, `QuantizedDType`, `QScheme`.
 * - Quantize/dequantize: {@link quantizePerTensor}, {@link quantizePerChannel}, {@link dequantize}.
 * - Fake quantization (forward, STE backward, LSQ): {@link fakeQuantizePerTensorAffine}, …
 * - Observers and fake-quant modules: {@link MinMaxObserver}, {@link HistogramObserver},
 *   {@link FakeQuantize}, {@link FusedMovingAvgObsFakeQuantize}, …
 * - Default qconfigs per backend: {@link getDefaultQConfig}, {@link getDefaultQatQConfig}, …
 * - BatchNorm folding: {@link fuseConvBnWeights}, {@link fuseLinearBnWeights}.
 * - Quantized linear layers and 2-D convolutions with FBGEMM or QNNPACK numerics:
 *   {@link quantizedLinear}, {@link quantizedLinearDynamic}, {@link linearWeight},
 *   {@link quantizedConv2d}, {@link convWeight}, {@link conv2dGeometry}.
 * - Kernels: {@link kernelSets}, {@link bestKernelSet} (int8), {@link Fp32Linear} (fp32 baseline).
 * - Op registry and kernel modules (`ops/`): {@link OPS}, {@link KernelModule} — the contract
 *   by which anyone's int8 kernels run under `deno task conform --kernels MODULE`.
 * - Models and flows (`nn/`): eager-mode modules with PyTorch's state-dict names, safetensors,
 *   {@link fuseModules}, {@link quantizeDynamic}, {@link prepare}/{@link convert},
 *   {@link prepareQat}, the quantized modules on a kernel set, a minimal autograd for QAT.
 * - Graph mode (`nn/fx/`): {@link symbolicTrace}, {@link GraphModule}, {@link prepareFx},
 *   {@link prepareQatFx}, {@link convertFx}, {@link QConfigMapping}, the backend configs.
 *
 * @example
 * ```ts
 * import { quantizePerTensor, Tensor } from "./mod.ts";
 * const q = quantizePerTensor(Tensor.from([0.5, 1.5, 2.5]), { scale: 1, zeroPoint: 0, dtype: "quint8" });
 * console.log(q.intRepr); // Uint8Array [0, 2, 2]: ties round to even
 * ```
 * @module
 */
export * from "./reference/mod.ts";
export * from "./kernels/mod.ts";
export * from "./nn/mod.ts";
export * from "./ops/mod.ts";
