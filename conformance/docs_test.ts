/**
 * The repository documents itself: no comment or document points to notes outside it, and every
 * pointer into `docs/` (a file, or a file and a `§Section`) and every relative Markdown link
 * names something that exists.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const SKIP_DIRS = new Set([".git", "node_modules", ".tmp"]);
const TEXT = /\.(ts|md|py|json|sh|mjs|yml|yaml|toml)$|^run$/;
const MAX_BYTES = 1 << 20; // recorded data files are not prose

/** Notes that live outside the repository (spelled in pieces so this file does not match). */
const OUTSIDE = [
  ["shared", "/"],
  ["NUMERICS", ".md"],
  ["KERNEL", "_NOTES"],
  ["GOLDEN", "_FORMAT"],
  ["DESIGN", ".md"],
].map((parts) => parts.join(""));

/** Every text file of the repository, as [path relative to the root, contents]. */
async function textFiles(dir = ""): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const entry of Deno.readDir(ROOT + dir)) {
    const path = dir + entry.name;
    if (entry.isDirectory) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...await textFiles(path + "/"));
    } else if (entry.isFile && TEXT.test(entry.name)) {
      const { size } = await Deno.stat(ROOT + path);
      if (size <= MAX_BYTES) out.push([path, await Deno.readTextFile(ROOT + path)]);
    }
  }
  return out;
}

const FILES = await textFiles();

/** The headings of a Markdown file, without `#` and backticks. */
function headings(text: string): Set<string> {
  return new Set(
    text.split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) =>
      l.replace(/^#+ /, "").replaceAll("`", "").trim()
    ),
  );
}

/** One `§Section`: up to `)`, `]`, `;`, `,`, `:`, a line end, or a full stop. */
const SECTION = String.raw`§[^)\];,:\n]+?(?=[)\];,:\n]|\.(?:\s|$)|$)`;
const SECTIONS = new RegExp(String.raw`^\)?\s?(${SECTION}(?:, ${SECTION})*)`);

/** The `§Section` names written right after position `at` (`§A, §B`). */
function sectionsAfter(text: string, at: number): string[] {
  const rest = text.slice(at).match(SECTIONS);
  return rest ? rest[1].split(", ").map((s) => s.slice(1).trim()) : [];
}

/** Problems with a pointer to `target` (a repository path) written at `at` of `text`. */
function checkTarget(target: string, text: string, at: number): string[] {
  let body: string;
  try {
    body = Deno.readTextFileSync(ROOT + target);
  } catch {
    return [`${target} does not exist`];
  }
  const known = headings(body);
  return sectionsAfter(text, at).filter((s) => !known.has(s)).map((s) =>
    `${target} has no section "${s}"`
  );
}

/** Resolves `link` relative to the directory of `file`; null when it leaves the repository. */
function resolve(file: string, link: string): string | null {
  const parts = file.split("/").slice(0, -1);
  for (const part of link.split("/")) {
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

Deno.test("no comment or document points to notes outside the repository", () => {
  const hits = FILES.flatMap(([path, text]) =>
    text.split("\n").flatMap((line, i) =>
      OUTSIDE.some((s) => line.includes(s)) ? [`${path}:${i + 1}: ${line.trim()}`] : []
    )
  );
  assert.ok(FILES.length > 100, `only ${FILES.length} files scanned`);
  assert.deepEqual(hits, []);
});

Deno.test("every pointer into docs/ names an existing file and section", () => {
  const problems: string[] = [];
  let pointers = 0;
  for (const [path, text] of FILES) {
    for (const m of text.matchAll(/(?<![\w.-])docs\/[\w/.-]+\.md\b/g)) {
      pointers++;
      const issues = checkTarget(m[0], text, m.index! + m[0].length);
      problems.push(...issues.map((p) => `${path}: ${p}`));
    }
  }
  assert.ok(pointers > 30, `only ${pointers} pointers found`);
  assert.deepEqual(problems, []);
});

Deno.test("every relative Markdown link names an existing file and section", () => {
  const problems: string[] = [];
  for (const [path, text] of FILES.filter(([p]) => p.endsWith(".md"))) {
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)\s]*)?\)/g)) {
      const link = m[1];
      if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
      const target = resolve(path, link);
      if (target === null) {
        problems.push(`${path}: ${link} leaves the repository`);
        continue;
      }
      if (!link.endsWith(".md")) {
        try {
          Deno.statSync(ROOT + target);
        } catch {
          problems.push(`${path}: ${link} does not exist`);
        }
        continue;
      }
      const issues = checkTarget(target, text, m.index! + m[0].length - 1);
      problems.push(...issues.map((p) => `${path}: ${p}`));
    }
  }
  assert.deepEqual(problems, []);
});
