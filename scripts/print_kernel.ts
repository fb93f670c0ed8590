/**
 * Dev tool: prints generated kernels as WebAssembly text (via npm:wabt).
 *
 *     deno run -A scripts/print_kernel.ts               # lists the kernels
 *     deno run -A scripts/print_kernel.ts NAME_PATTERN  # prints the matching ones
 *
 * @module
 */
import { kernelCatalog } from "../kernels/catalog.ts";
import { disassemble } from "../kernels/wasm/disassemble.ts";

const pattern = Deno.args[0];
const entries = kernelCatalog();
if (pattern === undefined) {
  for (const e of entries) console.log(e.name);
} else {
  const matching = entries.filter((e) => e.name.includes(pattern));
  if (matching.length === 0) {
    console.error(
      `no kernel matches ${JSON.stringify(pattern)}; run without arguments to list them`,
    );
    Deno.exit(1);
  }
  for (const e of matching) {
    console.log(`;; ${e.name}`);
    console.log(await disassemble(e.build().toBytes()));
  }
}
