/**
 * `deno task model` on recordings of golden/models/fx/: a faithful recording passes; planted
 * corruptions (one quantized code of one node's recorded output, one observer statistic, one
 * converted node's target) fail at the step and node they touch; directories that are not
 * fx_export output are refused by name; the CLI ends with `N passed, N failed` and its exit code
 * says whether everything matched.
 */
import assert from "node:assert/strict";
import { readSafetensors, writeSafetensors } from "../nn/safetensors.ts";
import type { TypedTensor } from "../nn/typed_tensor.ts";
import { checkExport } from "./check.ts";
import { FX_GOLDEN_DIR } from "./proof.ts";

const SOURCE = `${FX_GOLDEN_DIR}digits_static_qnnpack`;

/** A copy of the recording in a temporary directory. */
async function copyRecording(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fx_check_" });
  for await (const e of Deno.readDir(SOURCE)) {
    await Deno.copyFile(`${SOURCE}/${e.name}`, `${dir}/${e.name}`);
  }
  return dir;
}

async function rewrite(
  path: string,
  edit: (tensors: Map<string, TypedTensor>) => void,
): Promise<void> {
  const tensors = readSafetensors((await Deno.readFile(path)).slice());
  edit(tensors);
  await Deno.writeFile(path, writeSafetensors(tensors));
}

Deno.test("a faithful recording passes every check", async () => {
  const report = await checkExport(SOURCE);
  assert.equal(report.failed, 0);
  assert.ok(report.passed > 100, `${report.passed} checks`);
  const sections = new Set(report.rows.map((r) => r.section));
  for (const s of ["prepare", "observers", "convert", "weights", "outputs"]) {
    assert.ok(sections.has(s));
  }
});

Deno.test("planted: one code of one node's recorded output fails that node", async () => {
  const dir = await copyRecording();
  try {
    let key = "";
    await rewrite(`${dir}/io.safetensors`, (t) => {
      key = [...t.keys()].find((k) => k.startsWith("node.") && t.get(k)!.dtype === "U8")!;
      const data = t.get(key)!.data as Uint8Array;
      data[0] = data[0] === 255 ? 254 : data[0] + 1;
    });
    const report = await checkExport(dir);
    const failed = report.rows.filter((r) => r.status === "fail");
    assert.ok(failed.length > 0);
    assert.ok(failed.every((r) => r.section === "outputs" && `node.${r.item}` === key), key);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planted: one observer statistic changes the converted qparams and fails", async () => {
  const dir = await copyRecording();
  try {
    await rewrite(`${dir}/prepared_state.safetensors`, (t) => {
      const key = [...t.keys()].find((k) => k.endsWith(".max_val"))!;
      (t.get(key)!.data as Float32Array)[0] *= 1.5;
    });
    const report = await checkExport(dir);
    assert.ok(report.failed > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planted: a converted node with another target fails the convert step", async () => {
  const dir = await copyRecording();
  try {
    const path = `${dir}/converted_graph.json`;
    const json = JSON.parse(await Deno.readTextFile(path));
    const node = json.nodes.find((n: { target: string }) =>
      n.target === "torch.ops.quantized.add_relu"
    ) ??
      json.nodes.find((n: { op: string }) => n.op === "call_function");
    node.target = "torch.ops.quantized.mul";
    await Deno.writeTextFile(path, JSON.stringify(json));
    const report = await checkExport(dir);
    assert.ok(
      report.rows.some((r) =>
        r.section === "convert" && r.status === "fail" && r.item === node.name
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("directories that are not fx_export output are refused by name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fx_check_" });
  try {
    await assert.rejects(checkExport(dir), /cannot read manifest.json .*fx_export.py output/);
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify({ format: "other/1" }));
    await assert.rejects(checkExport(dir), /format "other\/1", expected qint8-fx-export\/1/);
    await Deno.writeTextFile(`${dir}/manifest.json`, "{");
    await assert.rejects(checkExport(dir), /manifest.json: not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function cli(dir: string): Promise<{ code: number; lastLine: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      new URL("./main.ts", import.meta.url).pathname,
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  return { code: out.code, lastLine: lines[lines.length - 1] };
}

Deno.test("the CLI ends with N passed, N failed and exits 0 only when all match", async () => {
  const good = await cli(SOURCE);
  assert.equal(good.code, 0);
  assert.match(good.lastLine, /^\d+ passed, 0 failed$/);
  const dir = await copyRecording();
  try {
    await rewrite(`${dir}/io.safetensors`, (t) => {
      const key = [...t.keys()].find((k) => k.startsWith("node.") && t.get(k)!.dtype === "U8")!;
      (t.get(key)!.data as Uint8Array)[0] ^= 1;
    });
    const bad = await cli(dir);
    assert.equal(bad.code, 1);
    assert.match(bad.lastLine, /^\d+ passed, [1-9]\d* failed$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const missing = await cli("/nonexistent/export");
  assert.equal(missing.code, 1);
  assert.equal(missing.lastLine, "0 passed, 1 failed");
});
