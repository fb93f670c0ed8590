import assert from "node:assert/strict";
import { listGoldenFiles, MODEL_RECORDINGS_DIR, nothingChecked } from "./runner.ts";

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

Deno.test("a golden file that checks nothing is a failure naming it", () => {
  const none = nothingChecked("mine.json", []);
  assert.equal(none?.status, "fail");
  assert.equal(none?.file, "mine.json");
  assert.match(none!.reason!, /no cases: the file's "cases" list is empty/);
  const unsupported = {
    kind: "golden" as const,
    file: "mine.json",
    id: "c",
    op: "future_op",
    path: "reference",
    status: "unsupported" as const,
  };
  assert.match(
    nothingChecked("mine.json", [unsupported])!.reason!,
    /all 1 case\(s\) are unsupported/,
  );
  assert.equal(nothingChecked("mine.json", [{ ...unsupported, status: "pass" }]), undefined);
  assert.equal(nothingChecked("mine.json", [{ ...unsupported, status: "fail" }]), undefined);
});
