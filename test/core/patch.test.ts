// Tests for the unified-diff parser: line numbers of added and removed lines, against real diffs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePatch, patchOf } from "../../src/core/patch.js";
import type { ChangedFile } from "../../src/core/types.js";
import { tempRepo } from "../helpers/git-repo.js";

// A patch as GitHub's pull request files listing returns it: hunks only, no file header.
const GITHUB_PATCH = [
  "@@ -1,4 +1,5 @@",
  " package main",
  "+",
  ' import "fmt"',
  "-// old comment",
  "+// new comment",
  " ",
  "@@ -10,3 +11,4 @@ func main() {",
  " \tfmt.Println(1)",
  "+\tfmt.Println(2)",
  " \tfmt.Println(3)",
  " }",
].join("\n");

describe("parsePatch", () => {
  const cases: {
    name: string;
    patch: string;
    added: [number, string][];
    removed: [number, string][];
    missingNewline?: boolean;
    lastLine?: number;
  }[] = [
    {
      name: "two hunks from the PR files listing",
      patch: GITHUB_PATCH,
      added: [
        [2, ""],
        [4, "// new comment"],
        [12, "\tfmt.Println(2)"],
      ],
      removed: [[3, "// old comment"]],
    },
    {
      name: "a new file",
      patch: "@@ -0,0 +1,3 @@\n+a\n+b\n+c",
      added: [
        [1, "a"],
        [2, "b"],
        [3, "c"],
      ],
      removed: [],
    },
    {
      name: "a deleted file",
      patch: "@@ -1,2 +0,0 @@\n-a\n-b",
      added: [],
      removed: [
        [1, "a"],
        [2, "b"],
      ],
    },
    {
      name: "hunk headers without counts",
      patch: "@@ -3 +3 @@\n-x\n+y",
      added: [[3, "y"]],
      removed: [[3, "x"]],
    },
    {
      name: "pure insertion after line 7 (count 0 on the base side)",
      patch: "@@ -7,0 +8,2 @@\n+one\n+two",
      added: [
        [8, "one"],
        [9, "two"],
      ],
      removed: [],
    },
    {
      name: "a local git diff with its file header, and lines that look like headers",
      patch: [
        "diff --git a/f.txt b/f.txt",
        "index 1111111..2222222 100644",
        "--- a/f.txt",
        "+++ b/f.txt",
        "@@ -1,2 +1,2 @@",
        "--- not a header",
        "+++ not a header either",
        " keep",
      ].join("\n"),
      added: [[1, "++ not a header either"]],
      removed: [[1, "-- not a header"]],
    },
    {
      name: "CRLF line endings",
      patch: "@@ -1,1 +1,2 @@\r\n keep\r\n+added \r\n",
      added: [[2, "added "]],
      removed: [],
    },
    {
      name: "an added last line without a newline",
      patch: "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file",
      added: [[2, "c"]],
      removed: [[2, "b"]],
      missingNewline: true,
      lastLine: 2,
    },
    {
      name: "a newline added at the end (only the base lacked it)",
      patch: "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b",
      added: [[2, "b"]],
      removed: [[2, "b"]],
    },
    {
      name: "an unchanged last line without a newline",
      patch: "@@ -1,2 +1,3 @@\n+new\n a\n b\n\\ No newline at end of file",
      added: [[1, "new"]],
      removed: [],
      missingNewline: true,
      lastLine: 3,
    },
    {
      name: "an empty context line whose space was stripped",
      patch: "@@ -1,3 +1,4 @@\n a\n\n+x\n b",
      added: [[3, "x"]],
      removed: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = parsePatch(c.patch);
      expect(parsed.added.map((l) => [l.line, l.text])).toEqual(c.added);
      expect(parsed.removed.map((l) => [l.line, l.text])).toEqual(c.removed);
      expect(parsed.headMissingFinalNewline).toBe(c.missingNewline);
      expect(parsed.headLastLine).toBe(c.lastLine);
    });
  }

  it("keeps the head's first lines when the first hunk starts at line 1", () => {
    expect(parsePatch(GITHUB_PATCH).headFromStart).toEqual([
      "package main",
      "",
      'import "fmt"',
      "// new comment",
      "",
    ]);
    expect(parsePatch("@@ -10,1 +10,1 @@\n-a\n+b").headFromStart).toEqual([]);
  });

  it("stops trusting a hunk whose counts do not add up instead of misnumbering", () => {
    const parsed = parsePatch("@@ -1,1 +1,1 @@\n+a\n+b\n@@ -5,1 +5,1 @@\n-x\n+y");
    expect(parsed.added.map((l) => l.line)).toEqual([1, 5]);
  });
});

describe("parsePatch on real git diffs", () => {
  const repo = tempRepo("patch-repo");
  afterAll(() => repo.remove());

  it("numbers every added line as in the head file and every removed line as in the base file", () => {
    const baseLines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
    const headLines = [...baseLines];
    headLines.splice(4, 1, "changed 5", "inserted after 5");
    headLines.splice(20, 2);
    headLines.splice(30, 0, "inserted near 31", "  trailing  ");
    headLines.push("last without newline");
    const base = repo.commit({ "src/app.txt": baseLines.join("\n") + "\n" }, "base");
    const head = repo.commit({ "src/app.txt": headLines.join("\n") }, "head");
    const diff = repo.git("diff", "--no-color", base, head, "--", "src/app.txt");

    const parsed = parsePatch(diff);
    const headFile = readFileSync(join(repo.dir, "src/app.txt"), "utf8").split("\n");
    expect(parsed.added.length).toBeGreaterThanOrEqual(5);
    for (const l of parsed.added) expect(headFile[l.line - 1]).toBe(l.text);
    for (const l of parsed.removed) expect(baseLines[l.line - 1]).toBe(l.text);
    expect(parsed.added.map((l) => l.text)).toContain("inserted near 31");
    expect(parsed.removed.map((l) => l.text)).toEqual(
      expect.arrayContaining(["line 5", "line 20", "line 21"]),
    );
    expect(parsed.headMissingFinalNewline).toBe(true);
    expect(parsed.headLastLine).toBe(headFile.length);
  });
});

describe("patchOf", () => {
  it("parses once per file object and returns undefined without a patch", () => {
    const file: ChangedFile = {
      path: "a.txt",
      status: "added",
      additions: 2,
      deletions: 0,
      patch: "@@ -0,0 +1,2 @@\n+a\n+b",
    };
    const first = patchOf(file);
    expect(patchOf(file)).toBe(first);
    // A new file shows every line: its end is known even without a "\" marker.
    expect(first?.headMissingFinalNewline).toBe(false);
    expect(first?.headLastLine).toBe(2);
    expect(patchOf({ ...file, patch: undefined })).toBeUndefined();
  });
});

describe("parsePatch on short hunks", () => {
  it("takes a hunk header inside a hunk that claimed more lines as a new hunk", () => {
    const parsed = parsePatch("@@ -1,5 +1,5 @@\n-a\n+b\n@@ -9,1 +9,1 @@\n-x\n+y");
    expect(parsed.added.map((l) => [l.line, l.text])).toEqual([
      [1, "b"],
      [9, "y"],
    ]);
  });
});
