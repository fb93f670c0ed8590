/**
 * onnxruntime-web as a kernel module (`ops/kernel_module.ts`) of the `onnx` numerics: the
 * built-in `--kernels onnxruntime-web`. Importing it loads onnxruntime-web's WebAssembly backend.
 * @module
 */
import { OnnxruntimeWeb } from "./mod.ts";

/** onnxruntime-web's onnx-family ops (each a one-node model built at run time). */
const kernels = (await OnnxruntimeWeb.create()).kernelModule();
export default kernels;
