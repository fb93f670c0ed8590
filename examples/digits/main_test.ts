/** The digits example refuses a bad command line with the usage (exit 2) before any work. */
import assert from "node:assert/strict";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

Deno.test("digits example: --qat-epochs and --kernels are validated", async () => {
  for (
    const [args, message] of [
      [["--qat-epochs", "abc"], /error: --qat-epochs: expected an integer >= 1, got "abc"/],
      [["--qat-epochs", "0"], /error: --qat-epochs: expected an integer >= 1, got "0"/],
      [["--kernels", "nope"], /error: --kernels: no kernel set named nope/],
      [["--foo"], /error: Unknown option '--foo'/],
    ] as const
  ) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", MAIN, ...args],
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 2, err);
    assert.match(err, message);
    assert.match(err, /\n\nusage: deno run --allow-read examples\/digits\/main\.ts/);
    assert.equal(new TextDecoder().decode(stdout), "");
  }
});
