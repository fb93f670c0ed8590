/**
 * Loads a kernel module (`ops/kernel_module.ts`) from a path, a URL or a built-in name.
 * @module
 */
import { checkKernelModule, type KernelModule } from "./kernel_module.ts";

/** Kernel modules known by name: the module that exports each. */
export const BUILT_IN_KERNEL_MODULES: Readonly<Record<string, URL>> = {
  "onnxruntime-web": new URL("../peers/onnxruntime_web/kernels.ts", import.meta.url),
};

/** The URL a `--kernels` argument names: a built-in name, a URL, or a path from the cwd. */
export function kernelModuleUrl(specifier: string): URL {
  if (typeof specifier !== "string" || specifier === "") {
    throw new TypeError(
      `kernels: expected a module path, URL or built-in name, got "${specifier}"`,
    );
  }
  const builtIn = BUILT_IN_KERNEL_MODULES[specifier];
  if (builtIn !== undefined) return builtIn;
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) {
    return new URL(specifier);
  }
  return new URL(specifier, `file://${Deno.cwd()}/`);
}

/**
 * Imports a kernel module and checks it: the default export, else the export `kernels` (either
 * may be a promise of the module).
 * @throws {TypeError|RangeError} when it cannot be imported or breaks the contract, naming what.
 */
export async function loadKernelModule(specifier: string): Promise<KernelModule> {
  const url = kernelModuleUrl(specifier);
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(url.href);
  } catch (e) {
    throw new TypeError(
      `kernel module ${specifier}: cannot import ${url.href} (${(e as Error).message}); ` +
        `built in: ${Object.keys(BUILT_IN_KERNEL_MODULES).join(", ")}`,
    );
  }
  const exported = await (namespace.default ?? namespace.kernels);
  return checkKernelModule(exported, specifier);
}
