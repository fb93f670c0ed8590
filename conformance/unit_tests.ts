/**
 * Runs the unit tests (`deno test`, the `*_test.ts` files) as part of `deno task conform` and
 * turns their JUnit report into check results.
 * @module
 */
import type { CheckResult } from "./report.ts";

const REPO_ROOT = new URL("..", import.meta.url).pathname;

/**
 * Runs `deno test` in the repository and returns one result per test; `progress` receives a line
 * every `everyMs` while it runs (tests done so far and seconds elapsed), so a long run is never
 * silent.
 */
export async function runUnitTests(
  progress: (line: string) => void = () => {},
  everyMs = 5000,
): Promise<CheckResult[]> {
  const junit = await Deno.makeTempFile({ suffix: ".xml" });
  try {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-env",
        "--reporter=dot",
        `--junit-path=${junit}`,
      ],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await withProgress(command.spawn(), progress, everyMs);
    const xml = await Deno.readTextFile(junit).catch(() => "");
    const results = parseJUnit(xml);
    if (results.length === 0 || (code !== 0 && !results.some((r) => r.status === "fail"))) {
      const output = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
      results.push({
        kind: "unit",
        op: "deno test",
        path: "-",
        name: "deno test",
        status: "fail",
        reason: `deno test exited with code ${code}: ${
          output.trim().split("\n").slice(-12).join(" | ")
        }`,
      });
    }
    return results;
  } finally {
    await Deno.remove(junit).catch(() => {});
  }
}

/**
 * Collects a child's output while reporting every `everyMs` how many tests the dot reporter has
 * marked done (`.` passed, `!` failed, `,` ignored).
 */
async function withProgress(
  child: Deno.ChildProcess,
  progress: (line: string) => void,
  everyMs: number,
): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }> {
  const started = performance.now();
  let done = 0;
  const collect = async (stream: ReadableStream<Uint8Array>, count: boolean) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (count) {
        for (const byte of chunk) if (byte === 46 || byte === 33 || byte === 44) done++;
      }
    }
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) out.set(c, (at += c.length) - c.length);
    return out;
  };
  const timer = setInterval(() => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    progress(`unit tests: ${done} done (${seconds} s)`);
  }, everyMs);
  try {
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout, true),
      collect(child.stderr, false),
      child.status,
    ]);
    return { code: status.code, stdout, stderr };
  } finally {
    clearInterval(timer);
  }
}

/** Parses Deno's JUnit XML into check results. */
export function parseJUnit(xml: string): CheckResult[] {
  const results: CheckResult[] = [];
  const pattern =
    /<testcase name="([^"]*)" classname="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const body = match[4] ?? "";
    const failure = /<failure[^>]*?(?:message="([^"]*)")?[^>]*>/.exec(body);
    const file = decodeEntities(match[2]).replace(/^\.\//, "");
    results.push({
      kind: "unit",
      op: file,
      path: "-",
      name: decodeEntities(match[1]),
      status: failure ? "fail" : "pass",
      reason: failure
        ? decodeEntities(failure[1] ?? "failed").split("\n").slice(0, 8).join(" ")
        : undefined,
    });
  }
  return results;
}

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+);/g, (_, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      case "amp":
        return "&";
      default:
        return String.fromCharCode(Number(e.slice(1)));
    }
  });
}
