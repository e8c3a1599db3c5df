import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changeFingerprint } from "../../src/core/fingerprint.js";
import type { ChangedFile } from "../../src/core/types.js";
import { LocalGit } from "../../src/forge/local-git.js";
import { tempRepo, type TempRepo } from "../helpers/git-repo.js";

const lines = (n: number, prefix = "line") =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`).join("\n") + "\n";

let repo: TempRepo;
let git: LocalGit;
let base: string;

const original = {
  "services/api/main.go": lines(40),
  "services/api/VERSION": "1.0.0\n",
  "docs/guide.md": lines(10, "doc"),
};

/** The change a PR branch makes, as the forge reads it: `git diff base...head` per file. */
async function fingerprintOf(from: string, to: string): Promise<string> {
  const { files } = await git.changedFiles(from, to);
  return changeFingerprint(files);
}

/** Apply `edit` to the file in the working tree at the current HEAD and commit. */
function editFile(path: string, edit: (text: string) => string, message: string): string {
  const current = repo.git("show", `HEAD:${path}`);
  return repo.commit({ [path]: edit(current) }, message);
}

/** The PR's edit: change line 20 and add a line after line 30 of main.go, bump VERSION. */
function prEdit(text: string): string {
  return text.replace("line 20\n", "line 20 changed\n").replace("line 30\n", "line 30\nadded\n");
}

beforeEach(() => {
  repo = tempRepo();
  base = repo.commit(original, "base");
  git = new LocalGit(repo.dir);
});

afterEach(() => repo.remove());

describe("changeFingerprint on real git patches", () => {
  it("is the same after a rebase onto a base that inserted lines above the change", async () => {
    repo.git("checkout", "-q", "-b", "pr");
    editFile("services/api/main.go", prEdit, "the change");
    const head1 = repo.commit({ "services/api/VERSION": "1.1.0\n" }, "bump");
    const before = await fingerprintOf(base, head1);

    // Upstream moves: five lines inserted at the top of the same file, and another file changes.
    repo.git("checkout", "-q", "main");
    const newBase = editFile(
      "services/api/main.go",
      (t) => `${lines(5, "header")}${t}`,
      "upstream header",
    );
    // Rebase the PR (same patches) onto the new base.
    repo.git("checkout", "-q", "pr");
    repo.git("rebase", "-q", "main");
    const head2 = repo.git("rev-parse", "HEAD").trim();
    expect(head2).not.toBe(head1);

    // The hunk headers moved by five lines, the fingerprint did not.
    const moved = (await git.changedFiles(newBase, head2)).files.find(
      (f) => f.path === "services/api/main.go",
    );
    const was = (await git.changedFiles(base, head1)).files.find(
      (f) => f.path === "services/api/main.go",
    );
    expect(moved?.patch).not.toBe(was?.patch);
    expect(moved?.patch).toMatch(/^@@ -22,/);
    expect(await fingerprintOf(newBase, head2)).toBe(before);
  });

  it("is the same when only the commit message changed (amend)", async () => {
    repo.git("checkout", "-q", "-b", "pr");
    const head1 = editFile("services/api/main.go", prEdit, "first message");
    repo.git(
      "commit",
      "-q",
      "--amend",
      "-m",
      "a better message\n\nSigned-off-by: Dev <dev@example.com>",
    );
    const head2 = repo.git("rev-parse", "HEAD").trim();
    expect(head2).not.toBe(head1);
    expect(await fingerprintOf(base, head2)).toBe(await fingerprintOf(base, head1));
  });

  it("is the same when the same change is split into different commits", async () => {
    repo.git("checkout", "-q", "-b", "one");
    const single = repo.commit(
      {
        "services/api/main.go": prEdit(original["services/api/main.go"]),
        "services/api/VERSION": "1.1.0\n",
      },
      "all at once",
    );
    repo.git("checkout", "-q", "-b", "two", base);
    editFile("services/api/main.go", prEdit, "code");
    const split = repo.commit({ "services/api/VERSION": "1.1.0\n" }, "version");
    expect(await fingerprintOf(base, split)).toBe(await fingerprintOf(base, single));
  });

  it.each([
    { name: "one changed line", edit: (t: string) => prEdit(t).replace("added\n", "added!\n") },
    {
      name: "one more added line",
      edit: (t: string) => prEdit(t).replace("line 5\n", "line 5\nmore\n"),
    },
    { name: "one removed line", edit: (t: string) => prEdit(t).replace("line 2\n", "") },
    {
      name: "whitespace in an added line",
      edit: (t: string) => prEdit(t).replace("added\n", "added \n"),
    },
    {
      name: "the same line added elsewhere",
      edit: (t: string) =>
        t.replace("line 20\n", "line 20 changed\n").replace("line 10\n", "line 10\nadded\n"),
    },
  ])("changes with $name", async ({ edit }) => {
    repo.git("checkout", "-q", "-b", "a");
    const head1 = editFile("services/api/main.go", prEdit, "change");
    repo.git("checkout", "-q", "-b", "b", base);
    const head2 = editFile("services/api/main.go", edit, "change");
    expect(await fingerprintOf(base, head2)).not.toBe(await fingerprintOf(base, head1));
  });

  it("changes when the base changed right next to the edit (context lines differ)", async () => {
    repo.git("checkout", "-q", "-b", "pr");
    const head1 = editFile("services/api/main.go", prEdit, "change");
    const before = await fingerprintOf(base, head1);
    repo.git("checkout", "-q", "main");
    const newBase = editFile(
      "services/api/main.go",
      (t) => t.replace("line 17\n", "line 17 upstream\n"),
      "nearby",
    );
    repo.git("checkout", "-q", "pr");
    repo.git("rebase", "-q", "main");
    const head2 = repo.git("rev-parse", "HEAD").trim();
    expect(await fingerprintOf(newBase, head2)).not.toBe(before);
  });

  it("changes with a renamed file, a different status or a different path", async () => {
    repo.git("checkout", "-q", "-b", "a");
    const modified = editFile("docs/guide.md", (t) => `${t}more\n`, "edit");
    repo.git("checkout", "-q", "-b", "b", base);
    repo.git("mv", "docs/guide.md", "docs/manual.md");
    repo.commit({ "docs/manual.md": `${original["docs/guide.md"]}more\n` }, "rename");
    const renamed = repo.git("rev-parse", "HEAD").trim();
    repo.git("checkout", "-q", "-b", "c", base);
    const removed = repo.commit({ "docs/guide.md": null }, "remove");
    const prints = new Set([
      await fingerprintOf(base, modified),
      await fingerprintOf(base, renamed),
      await fingerprintOf(base, removed),
    ]);
    expect(prints.size).toBe(3);
  });

  it("counts a mode change when the patch carries git's mode lines", () => {
    const patch = (mode: string) =>
      `diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode ${mode}\nindex 1111111..2222222\n--- a/run.sh\n+++ b/run.sh\n@@ -1 +1 @@\n-a\n+b`;
    const file = (p: string): ChangedFile => ({
      path: "run.sh",
      status: "modified",
      additions: 1,
      deletions: 1,
      patch: p,
    });
    expect(changeFingerprint([file(patch("100755"))])).not.toBe(
      changeFingerprint([file(patch("100644"))]),
    );
    // The index line's blob ids change on every rebase and are ignored.
    expect(changeFingerprint([file(patch("100755"))])).toBe(
      changeFingerprint([file(patch("100755").replace("1111111..2222222", "3333333..4444444"))]),
    );
  });
});

describe("changeFingerprint without patches", () => {
  const binary = (additions: number, status: ChangedFile["status"] = "modified"): ChangedFile => ({
    path: "logo.png",
    status,
    additions,
    deletions: 0,
    binary: true,
  });

  it("uses path, status and counts (a limitation: same counts look the same)", () => {
    expect(changeFingerprint([binary(0)])).toBe(changeFingerprint([binary(0)]));
    expect(changeFingerprint([binary(0)])).not.toBe(changeFingerprint([binary(0, "added")]));
    expect(changeFingerprint([binary(0)])).not.toBe(changeFingerprint([binary(3)]));
  });

  it("does not depend on the order of files, and ignores unchanged entries", () => {
    const a: ChangedFile = {
      path: "a",
      status: "modified",
      additions: 1,
      deletions: 0,
      patch: "@@ -1 +1,2 @@\n x\n+y",
    };
    const b: ChangedFile = {
      path: "b",
      status: "added",
      additions: 1,
      deletions: 0,
      patch: "@@ -0,0 +1 @@\n+z",
    };
    const same: ChangedFile = { path: "c", status: "unchanged", additions: 0, deletions: 0 };
    expect(changeFingerprint([a, b])).toBe(changeFingerprint([b, a, same]));
    expect(changeFingerprint([a, b])).toMatch(/^fp1:[0-9a-f]{40}$/);
  });

  it("cannot be fooled by moving a line across a file boundary", () => {
    const one: ChangedFile[] = [
      {
        path: "a",
        status: "modified",
        additions: 2,
        deletions: 0,
        patch: "@@ -1 +1,3 @@\n x\n+y\n+z",
      },
      { path: "b", status: "modified", additions: 0, deletions: 0, patch: "@@ -1 +1 @@\n q" },
    ];
    const two: ChangedFile[] = [
      { path: "a", status: "modified", additions: 1, deletions: 0, patch: "@@ -1 +1,2 @@\n x\n+y" },
      { path: "b", status: "modified", additions: 1, deletions: 0, patch: "@@ -1 +1,2 @@\n+z\n q" },
    ];
    expect(changeFingerprint(one)).not.toBe(changeFingerprint(two));
  });
});
