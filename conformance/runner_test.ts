import assert from "node:assert/strict";
import { listGoldenFiles, MODEL_RECORDINGS_DIR } from "./runner.ts";

Deno.test("listGoldenFiles finds .json files recursively, sorted, and skips model recordings", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.mkdir(`${dir}/${MODEL_RECORDINGS_DIR}/digits`, { recursive: true });
    for (const f of ["b.json", "a.json", "notes.txt", "sub/c.json", "models/digits/m.json"]) {
      await Deno.writeTextFile(`${dir}/${f}`, "{}");
    }
    assert.deepEqual(await listGoldenFiles(dir), [
      `${dir}/a.json`,
      `${dir}/b.json`,
      `${dir}/sub/c.json`,
    ]);
    assert.deepEqual(await listGoldenFiles(`${dir}/b.json`), [`${dir}/b.json`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
