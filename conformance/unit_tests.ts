/**
 * Runs the unit tests (`deno test`, the `*_test.ts` files) as part of `deno task conform` and
 * turns their JUnit report into check results.
 * @module
 */
import type { CheckResult } from "./report.ts";

const REPO_ROOT = new URL("..", import.meta.url).pathname;

/** Runs `deno test` in the repository and returns one result per test. */
export async function runUnitTests(): Promise<CheckResult[]> {
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
    const { code, stdout, stderr } = await command.output();
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
