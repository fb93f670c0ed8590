/**
 * Dev tool: prints WebAssembly text. With no argument it builds and prints a demo kernel (an
 * int8 dot product); with file arguments it prints those .wasm files.
 *
 *     deno run -A scripts/print_wasm.ts [module.wasm …]
 *
 * @module
 */

import { disassemble } from "../kernels/wasm/disassemble.ts";
import { ModuleBuilder, shuffleLanes } from "../kernels/wasm/mod.ts";

/** The demo: `dot_s8(a, b, n)` = Σ a[i]·b[i] over n int8 values (n a multiple of 8). */
export function demoModule(): ModuleBuilder {
  const m = new ModuleBuilder().importMemory("env", "memory", { initial: 1 });
  const f = m.function("dot_s8", {
    params: ["i32", "i32", "i32"],
    paramNames: ["a", "b", "n"],
    results: ["i32"],
  });
  const [a, b, n] = f.params;
  const acc = f.local("v128", "acc");
  f.localGet(n).i32.eqz().if(() => void f.i32.const(0).return());
  f.loop((next) => {
    f.localGet(acc);
    f.localGet(a).v128.load8x8S().localGet(b).v128.load8x8S().i32x4.dotI16x8S();
    f.i32x4.add().localSet(acc);
    f.localGet(a).i32.const(8).i32.add().localSet(a);
    f.localGet(b).i32.const(8).i32.add().localSet(b);
    f.localGet(n).i32.const(8).i32.sub().localTee(n).brIf(next);
  });
  // Horizontal sum of the four i32 lanes: acc += acc[2 3 0 1], then acc += acc[1 0 3 2].
  for (const lanes of [[2, 3, 0, 1], [1, 0, 3, 2]]) {
    f.localGet(acc).localGet(acc).localGet(acc).i8x16.shuffle(shuffleLanes("i32x4", lanes));
    f.i32x4.add().localSet(acc);
  }
  f.localGet(acc);
  f.i32x4.extractLane(0);
  m.exportFunction(f);
  return m;
}

if (import.meta.main) {
  const files = Deno.args;
  if (files.length === 0) console.log(await disassemble(demoModule().toBytes()));
  for (const file of files) {
    console.log(`;; ${file}`);
    console.log(await disassemble(await Deno.readFile(file)));
  }
}
