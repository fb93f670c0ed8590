/** `deno task bench` misuse prints the usage and exits 2 before anything is built or timed. */
import assert from "node:assert/strict";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

Deno.test("bench: command-line misuse and a filter that matches nothing exit 2 with the usage", async () => {
  for (
    const [args, message] of [
      [["--foo"], /error: Unknown option '--foo'/],
      [["--json"], /error: Option '--json <value>' argument missing/],
      [["--filter", "("], /error: --filter: "\(" is not a regular expression/],
      [
        ["--filter", "nomatch"],
        /error: --filter "nomatch" matches no item; the items are: 1x768x768/,
      ],
      [["--quick", "--filter", "3072"], /matches no item of --quick/],
      [["--json", "/nonexistent-dir/b.json"], /error: --json: cannot write \/nonexistent-dir/],
    ] as const
  ) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", MAIN, ...args],
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 2, `${args.join(" ")}: ${err}`);
    assert.match(err, message, args.join(" "));
    assert.match(err, /\n\nUsage: deno task bench/);
    assert.equal(new TextDecoder().decode(stdout), "", "nothing was built or timed");
  }
});
