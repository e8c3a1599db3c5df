// Patches the sandbox computes match `git diff`, apply back to the new text, and name renames like GitHub.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { diffTrees, unifiedPatch } from "../../src/sandbox/diff.js";
import { ObjectStore, type PathChange } from "../../src/sandbox/git-objects.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir("sandbox-diff-");
afterAll(() => tmp.cleanup());

/** The hunks `git diff --no-index` prints for two texts, without its file headers. */
function gitPatch(a: string, b: string): string {
  writeFileSync(join(tmp.dir, "a"), a);
  writeFileSync(join(tmp.dir, "b"), b);
  let out: string;
  try {
    out = execFileSync("git", ["diff", "--no-index", "--no-color", "--no-ext-diff", "a", "b"], {
      cwd: tmp.dir,
      encoding: "utf8",
    });
  } catch (err) {
    out = String((err as { stdout: string }).stdout);
  }
  const at = out.indexOf("\n@@");
  return at < 0 ? "" : out.slice(at + 1).replace(/\n$/, "");
}

/** Applies hunks in GitHub's `patch` form to a text, to prove the patch describes the change. */
function applyPatch(oldText: string, patch: string): string {
  const oldLines = oldText === "" ? [] : oldText.replace(/\n$/, "").split("\n");
  const oldHasFinalNewline = oldText.endsWith("\n") || oldText === "";
  const out: string[] = [];
  let pos = 0;
  let newNoNewline = false;
  const lines = patch.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@/.exec(line);
    if (h) {
      const start = Number(h[1]);
      const count = h[2] === undefined ? 1 : Number(h[2]);
      const from = count === 0 ? start : start - 1;
      while (pos < from) out.push(oldLines[pos++] as string);
      continue;
    }
    const next = lines[i + 1];
    const noNl = next === "\\ No newline at end of file";
    if (line.startsWith(" ")) {
      out.push(oldLines[pos++] as string);
      if (noNl) newNoNewline = true;
    } else if (line.startsWith("-")) pos++;
    else if (line.startsWith("+")) {
      out.push(line.slice(1));
      if (noNl) newNoNewline = true;
    }
  }
  while (pos < oldLines.length) out.push(oldLines[pos++] as string);
  if (out.length === 0) return "";
  const tailFromOld =
    pos === oldLines.length && !oldHasFinalNewline && !patch.includes("\\ No newline");
  return out.join("\n") + (newNoNewline || tailFromOld ? "" : "\n");
}

const lines = (n: number, f: (i: number) => string = (i) => `line ${i}`): string =>
  Array.from({ length: n }, (_, i) => `${f(i)}\n`).join("");

describe("unified patches", () => {
  const cases: Array<[string, string, string]> = [
    ["one line changed", "a\nb\nc\n", "a\nB\nc\n"],
    ["file added", "", "x\ny\n"],
    ["file emptied", "x\ny\n", ""],
    ["newline added at end", "a\nb", "a\nb\n"],
    ["newline removed at end", "a\nb\n", "a\nc"],
    [
      "two far hunks",
      lines(40),
      lines(40, (i) => (i === 5 ? "five" : i === 30 ? "thirty" : `line ${i}`)),
    ],
    [
      "close hunks merge",
      lines(20),
      lines(20, (i) => (i === 5 || i === 11 ? `changed ${i}` : `line ${i}`)),
    ],
    [
      "function context in the header",
      "func main() {\n\ta\n\tb\n\tc\n\td\n\te\n\tf\n}\n",
      "func main() {\n\ta\n\tb\n\tc\n\td\n\tE\n\tf\n}\n",
    ],
    ["deletion and append", lines(20), lines(20).replace("line 10\n", "") + "appended\n"],
    ["insert at the top", lines(5), `new first\n${lines(5)}`],
  ];

  it.each(cases)("%s: same hunks as git diff", (_name, a, b) => {
    const mine = unifiedPatch(a, b);
    expect(mine?.patch).toBe(gitPatch(a, b));
  });

  it("counts additions and deletions", () => {
    const p = unifiedPatch("a\nb\nc\n", "a\nB\nc\nd\n");
    expect(p).toMatchObject({ additions: 2, deletions: 1 });
  });

  it("random edits: every patch applies back to the new text", () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const base = Array.from({ length: rand(30) }, () => `w${rand(8)}`);
      const edited = [...base];
      for (let k = rand(6); k > 0; k--) {
        const op = rand(3);
        const at = rand(edited.length + 1);
        if (op === 0) edited.splice(at, 0, `n${rand(8)}`);
        else if (op === 1 && edited.length > 0) edited.splice(Math.min(at, edited.length - 1), 1);
        else if (edited.length > 0) edited[Math.min(at, edited.length - 1)] = `m${rand(8)}`;
      }
      const a = base.map((l) => `${l}\n`).join("");
      const b = edited.map((l) => `${l}\n`).join("");
      const p = unifiedPatch(a, b);
      expect(p).toBeDefined();
      expect(applyPatch(a, p?.patch ?? "")).toBe(b);
    }
  });
});

describe("tree diffs", () => {
  function treeOf(store: ObjectStore, files: Record<string, string | Buffer>): string {
    const changes = new Map<string, PathChange>();
    for (const [path, content] of Object.entries(files))
      changes.set(path, { mode: "100644", type: "blob", sha: store.putBlob(content) });
    return store.applyChanges(null, changes);
  }

  it("lists added, modified, removed and renamed files in path order with patches", () => {
    const store = new ObjectStore();
    const body = lines(20, (i) => `config line ${i}`);
    const before = treeOf(store, {
      "keep.txt": "same\n",
      "mod.txt": "one\ntwo\n",
      "gone.txt": "bye\n",
      "old/name.txt": body,
      "exact/old.bin": "exactly the same\n",
    });
    const after = treeOf(store, {
      "keep.txt": "same\n",
      "mod.txt": "one\n2\n",
      "new.txt": "hello\n",
      "new/name.txt": body.replace("config line 3\n", "config line three\n"),
      "exact/new.bin": "exactly the same\n",
    });
    const files = diffTrees(store, before, after);
    expect(files.map((f) => [f.path, f.status, f.previousPath])).toEqual([
      ["exact/new.bin", "renamed", "exact/old.bin"],
      ["gone.txt", "removed", undefined],
      ["mod.txt", "modified", undefined],
      ["new.txt", "added", undefined],
      ["new/name.txt", "renamed", "old/name.txt"],
    ]);
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(byPath.get("mod.txt")).toMatchObject({
      additions: 1,
      deletions: 1,
      patch: "@@ -1,2 +1,2 @@\n one\n-two\n+2",
    });
    expect(byPath.get("new.txt")).toMatchObject({
      additions: 1,
      deletions: 0,
      patch: "@@ -0,0 +1 @@\n+hello",
    });
    expect(byPath.get("gone.txt")).toMatchObject({
      additions: 0,
      deletions: 1,
      patch: "@@ -1 +0,0 @@\n-bye",
    });
    expect(byPath.get("exact/new.bin")).toMatchObject({ additions: 0, deletions: 0 });
    expect(byPath.get("exact/new.bin")?.patch).toBeUndefined();
    expect(byPath.get("new/name.txt")).toMatchObject({ additions: 1, deletions: 1 });
    expect(byPath.get("new/name.txt")?.patch).toContain("-config line 3\n+config line three");
  });

  it("leaves the patch out for binary files", () => {
    const store = new ObjectStore();
    const a = treeOf(store, { "img.png": Buffer.from([137, 80, 78, 71, 0, 1]) });
    const b = treeOf(store, { "img.png": Buffer.from([137, 80, 78, 71, 0, 2]) });
    const [f] = diffTrees(store, a, b);
    expect(f).toMatchObject({
      path: "img.png",
      status: "modified",
      binary: true,
      additions: 0,
      deletions: 0,
    });
    expect(f?.patch).toBeUndefined();
  });
});
