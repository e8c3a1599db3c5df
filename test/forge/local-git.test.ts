import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalGit } from "../../src/forge/local-git.js";
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
