import { rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CatFileBatch, GitError, LocalGit } from "../../src/forge/local-git.js";
import { tempRepo, type TempRepo } from "../helpers/git-repo.js";

let repo: TempRepo;
let base: string;

beforeEach(() => {
  repo = tempRepo();
  base = repo.commit({
    "a.txt": "one\ntwo\nthree\n",
    "old/name.txt": "a file that will move somewhere else\nwith enough lines\nto be a rename\n",
    "gone.txt": "bye\n",
    "odd name with spaces.txt": "x\n",
  });
});

afterEach(() => repo.remove());

describe("LocalGit", () => {
  it("lists changed files like GitHub: statuses, renames, counts, patches from the first hunk", async () => {
    const head = repo.commit(
      {
        "a.txt": "one\n2\nthree\n",
        "old/name.txt": null,
        "new/name.txt": "a file that will move somewhere else\nwith enough lines\nto be a rename\n",
        "gone.txt": null,
        "bin.dat": "\0\x01\x02binary",
        "odd name with spaces.txt": "y\n",
      },
      "second",
    );
    const git = new LocalGit(repo.dir);
    const { files, truncated } = await git.changedFiles(base, head);
    expect(truncated).toBe(false);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(byPath["a.txt"]).toMatchObject({ status: "modified", additions: 1, deletions: 1 });
    expect(byPath["a.txt"]?.patch).toBe("@@ -1,3 +1,3 @@\n one\n-two\n+2\n three");
    expect(byPath["new/name.txt"]).toMatchObject({
      status: "renamed",
      previousPath: "old/name.txt",
    });
    expect(byPath["gone.txt"]).toMatchObject({ status: "removed", deletions: 1 });
    expect(byPath["bin.dat"]).toMatchObject({ status: "added", binary: true });
    expect(byPath["bin.dat"]?.patch).toBeUndefined();
    expect(byPath["odd name with spaces.txt"]?.patch).toContain("+y");
  });

  it("reads commits oldest first with authors, and files in one batch", async () => {
    repo.commit({ "b.txt": "b\n" }, "first\n\nSigned-off-by: A <a@example.com>", {
      name: "A",
      email: "a@example.com",
    });
    const head = repo.commit({ "c.txt": "c\n" }, "second");
    const git = new LocalGit(repo.dir);
    const commits = await git.commits(base, head);
    expect(commits.map((c) => c.message.split("\n")[0])).toEqual(["first", "second"]);
    expect(commits[0]).toMatchObject({ author: { name: "A", email: "a@example.com" }, parents: 1 });
    expect(commits[0]?.message).toContain("Signed-off-by: A <a@example.com>");
    const read = await git.readFiles([
      { sha: base, path: "a.txt" },
      { sha: head, path: "c.txt" },
      { sha: base, path: "c.txt" },
    ]);
    expect(read.get(`${base}:a.txt`)).toBe("one\ntwo\nthree\n");
    expect(read.get(`${head}:c.txt`)).toBe("c\n");
    expect(read.get(`${base}:c.txt`)).toBeNull();
    expect(await git.paths(head)).toEqual(
      expect.arrayContaining(["a.txt", "b.txt", "c.txt", "odd name with spaces.txt"]),
    );
  });
});

describe("LocalGit.openChange", () => {
  it("resolves the refs, the merge base and the tags, and reads through one cat-file", async () => {
    repo.git("tag", "api/v1.0.0");
    repo.git("tag", "-a", "-m", "annotated", "web/v2.0.0");
    repo.git("checkout", "-q", "-b", "feature");
    const head = repo.commit(
      { "a.txt": "one\n2\nthree\n", "bin.dat": "\0\x01binary" },
      "feature change",
    );
    repo.git("checkout", "-q", "main");
    const mainTip = repo.commit({ "m.txt": "main moved on\n" }, "main change");
    const change = await new LocalGit(repo.dir).openChange("main", "feature");
    try {
      expect(change).toMatchObject({ baseTip: mainTip, baseSha: base, headSha: head });
      expect(change.root.endsWith("/monorepo")).toBe(true);
      expect(await change.reader.tags("")).toEqual(["api/v1.0.0", "web/v2.0.0"]);
      expect(await change.reader.tags("web/")).toEqual(["web/v2.0.0"]);
      const { files } = await change.reader.changedFiles();
      expect(files.map((f) => f.path)).toEqual(["a.txt", "bin.dat"]);
      expect((await change.reader.commits()).map((c) => c.sha)).toEqual([head]);
      expect(await change.reader.paths(head)).toContain("a.txt");
      // Reads share the process; a missing or binary file is null, not an error.
      const first = await change.reader.readFiles([{ sha: head, path: "a.txt" }]);
      const [second, third] = await Promise.all([
        change.reader.readFiles([
          { sha: base, path: "a.txt" },
          { sha: head, path: "no/such/file" },
        ]),
        change.reader.readFiles([{ sha: head, path: "bin.dat" }]),
      ]);
      expect(first.get(`${head}:a.txt`)).toBe("one\n2\nthree\n");
      expect(second.get(`${base}:a.txt`)).toBe("one\ntwo\nthree\n");
      expect(second.get(`${head}:no/such/file`)).toBeNull();
      expect(third.get(`${head}:bin.dat`)).toBeNull();
    } finally {
      change.close();
    }
  });

  it.each([
    ["an unknown base", "nope", "main", 'unknown git ref "nope"'],
    ["an unknown head", "main", "nope", 'unknown git ref "nope"'],
    ["a ref that looks like an option", "--all", "main", 'unknown git ref "--all"'],
    ["a range instead of a ref", "main..main", "main", 'unknown git ref "main..main"'],
  ])("names the ref that is wrong: %s", async (_case, baseRef, headRef, message) => {
    await expect(new LocalGit(repo.dir).openChange(baseRef, headRef)).rejects.toThrow(message);
  });

  it("reports a folder that is not a git checkout as such", async () => {
    const outside = repo.dir.replace(/\/monorepo$/, "");
    await expect(new LocalGit(outside).openChange("main", "main")).rejects.toThrow(
      /git rev-parse failed in .*not a git repository/,
    );
  });
});

describe("CatFileBatch", () => {
  it("answers pipelined reads in order, bodies larger than one pipe chunk included", async () => {
    const big = `${"x".repeat(199)}\n`.repeat(2_000);
    const head = repo.commit({ "big.txt": big, "small.txt": "s\n" }, "big");
    const batch = new CatFileBatch(repo.dir);
    try {
      const reads = await Promise.all([
        batch.read(`${head}:big.txt`),
        batch.read(`${head}:missing`),
        batch.read(`${head}:small.txt`),
        batch.read(head),
      ]);
      expect(reads[0]?.body.toString()).toBe(big);
      expect(reads[1]).toBeNull();
      expect(reads[2]).toMatchObject({ type: "blob" });
      expect(reads[2]?.body.toString()).toBe("s\n");
      expect(reads[3]?.type).toBe("commit");
    } finally {
      batch.close();
    }
  });

  it("fails reads with a GitError once closed, instead of writing to a closed pipe", async () => {
    const batch = new CatFileBatch(repo.dir);
    await batch.read(base);
    batch.close();
    await expect(
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("cat-file did not end")), 5_000);
        const poll = () =>
          batch.read(base).then(
            () => setTimeout(poll, 10),
            (e: unknown) => {
              clearTimeout(t);
              resolve(e);
            },
          );
        poll();
      }),
    ).resolves.toBeInstanceOf(GitError);
  });
});

describe("LocalGit.openChange on every shape of history", () => {
  /** Builds a history on `repo` (main at `base`), leaving the branches `main` and `feature`. */
  const shapes: [string, () => void][] = [
    [
      "head ahead of base",
      () => {
        repo.git("checkout", "-q", "-b", "feature");
        repo.commit({ "f1.txt": "1\n" }, "f1");
      },
    ],
    [
      "base moved on",
      () => {
        repo.git("checkout", "-q", "-b", "feature");
        repo.commit({ "f1.txt": "1\n" }, "f1");
        repo.git("checkout", "-q", "main");
        repo.commit({ "m1.txt": "1\n" }, "m1");
      },
    ],
    [
      "base merged into head",
      () => {
        repo.git("checkout", "-q", "-b", "feature");
        repo.commit({ "f1.txt": "1\n" }, "f1");
        repo.git("checkout", "-q", "main");
        repo.commit({ "m1.txt": "1\n" }, "m1");
        repo.git("checkout", "-q", "feature");
        repo.git("merge", "-q", "--no-edit", "main");
        repo.commit({ "f2.txt": "2\n" }, "f2");
      },
    ],
    [
      "renames, deletions, additions, binary files and a type change",
      () => {
        repo.git("checkout", "-q", "-b", "feature");
        repo.commit(
          {
            "old/name.txt": null,
            "new/name.txt":
              "a file that will move somewhere else\nwith enough lines\nto be a rename\n",
            "gone.txt": null,
            "a.txt": "one\n2\nthree\n",
            "bin.dat": "\0\x01\x02binary",
            "new/added.txt": "added\n",
          },
          "many kinds",
        );
        // A file that becomes a symbolic link: a type change.
        rmSync(join(repo.dir, "odd name with spaces.txt"));
        symlinkSync("a.txt", join(repo.dir, "odd name with spaces.txt"));
        repo.commit({}, "now a link");
      },
    ],
    [
      "head behind base",
      () => {
        repo.git("branch", "feature");
        repo.commit({ "m1.txt": "1\n" }, "m1");
      },
    ],
    [
      "criss-cross merges (two merge bases)",
      () => {
        repo.git("checkout", "-q", "-b", "feature");
        const f1 = repo.commit({ "f1.txt": "1\n" }, "f1");
        repo.git("checkout", "-q", "main");
        const m1 = repo.commit({ "m1.txt": "1\n" }, "m1");
        repo.git("merge", "-q", "--no-edit", f1);
        repo.git("checkout", "-q", "feature");
        repo.git("merge", "-q", "--no-edit", m1);
        repo.commit({ "f2.txt": "2\n" }, "f2");
        repo.git("checkout", "-q", "main");
        repo.commit({ "m2.txt": "2\n" }, "m2");
      },
    ],
  ];

  it.each(shapes)("%s: the same change as asking git one question at a time", async (_s, build) => {
    build();
    const git = new LocalGit(repo.dir);
    const baseTip = await git.resolve("main");
    const headSha = await git.resolve("feature");
    const mergeBase = await git.mergeBase(baseTip, headSha);
    const change = await git.openChange("main", "feature");
    try {
      expect(change).toMatchObject({ baseTip, headSha, baseSha: mergeBase });
      expect(await change.reader.commits()).toEqual(await git.commits(mergeBase, headSha));
      expect(await change.reader.changedFiles()).toEqual(
        await git.changedFiles(mergeBase, headSha),
      );
      expect(await change.reader.paths(headSha)).toEqual(await git.paths(headSha));
      // Files of both sides read by object id give what `commit:path` gives, absent ones null.
      const paths = new Set([
        ...(await git.paths(mergeBase)),
        ...(await git.paths(headSha)),
        "no/such/file",
        "new",
      ]);
      const wanted = [...paths].flatMap((path) => [
        { sha: mergeBase, path },
        { sha: headSha, path },
        { sha: baseTip, path },
      ]);
      expect(await change.reader.readFiles(wanted)).toEqual(await git.readFiles(wanted));
    } finally {
      change.close();
    }
  });

  it("fails as git merge-base does for histories without a common commit", async () => {
    repo.git("checkout", "-q", "--orphan", "feature");
    repo.commit({ "other.txt": "x\n" }, "unrelated");
    await expect(new LocalGit(repo.dir).openChange("main", "feature")).rejects.toThrow(
      /git merge-base failed/,
    );
  });
});
