// The sandbox's git objects get exactly the ids real git gives the same content, trees and commits.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { EMPTY_TREE_SHA, ObjectStore, hashObject } from "../../src/sandbox/git-objects.js";
import { git, tempDir } from "./helpers.js";

const FILES: Record<string, string> = {
  "README.md": "# hello\n",
  "a.txt": "dot sorts before slash\n",
  "a/b.txt": "nested\n",
  "a-b": "dash sorts before slash too\n",
  a0: "zero sorts after slash\n",
  "deep/er/still/file.yaml": "key: value\n",
  "no-newline": "last line without newline",
  "unicode/é.txt": "héllo wörld\n",
  empty: "",
};

describe("git object ids", () => {
  const tmp = tempDir("sandbox-git-");
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
    tmp.cleanup();
  });

  it("blob ids equal git hash-object, including empty and binary content", () => {
    const store = new ObjectStore();
    const binary = Buffer.from([0, 1, 2, 255, 0, 10]);
    writeFileSync(join(tmp.dir, "bin"), binary);
    writeFileSync(join(tmp.dir, "text"), "hello\n");
    writeFileSync(join(tmp.dir, "empty"), "");
    expect(store.putBlob(binary)).toBe(git(tmp.dir, ["hash-object", "bin"]));
    expect(store.putBlob("hello\n")).toBe(git(tmp.dir, ["hash-object", "text"]));
    expect(store.putBlob("")).toBe(git(tmp.dir, ["hash-object", "empty"]));
    expect(hashObject("tree", Buffer.alloc(0))).toBe(EMPTY_TREE_SHA);
  });

  it("tree and commit ids equal those of a real repository with the same files, modes, author and date", () => {
    const repoDir = join(tmp.dir, "repo");
    mkdirSync(repoDir);
    git(repoDir, ["init", "-q", "-b", "main"]);
    for (const [path, content] of Object.entries(FILES)) {
      mkdirSync(join(repoDir, path, ".."), { recursive: true });
      writeFileSync(join(repoDir, path), content);
    }
    writeFileSync(join(repoDir, "run.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(repoDir, "run.sh"), 0o755);
    symlinkSync("README.md", join(repoDir, "link"));
    const env = { GIT_AUTHOR_DATE: "1700000000 +0000", GIT_COMMITTER_DATE: "1700000000 +0000" };
    git(repoDir, ["add", "-A"]);
    git(repoDir, ["commit", "-q", "-m", "Initial import"], env);
    // A second commit that modifies, deletes a whole directory and adds a file, to check parents and removal.
    writeFileSync(join(repoDir, "README.md"), "# hello again\n");
    git(repoDir, ["rm", "-q", "-r", "deep"]);
    writeFileSync(join(repoDir, "new.txt"), "new\n");
    git(repoDir, ["add", "-A"]);
    git(repoDir, ["commit", "-q", "-m", "Second"], {
      GIT_AUTHOR_DATE: "1700000100 +0000",
      GIT_COMMITTER_DATE: "1700000100 +0000",
    });

    sandbox.createUser("ada", { name: "Ada Lovelace", email: "ada@example.com" });
    const repo = sandbox.createRepo({ owner: "ada", name: "same" }).fullName;
    const first = sandbox.pushCommit(repo, {
      branch: "main",
      files: {
        ...FILES,
        "run.sh": { content: "#!/bin/sh\necho hi\n", mode: "100755" },
        link: { content: "README.md", mode: "120000" },
      },
      message: "Initial import",
      author: "ada",
      date: new Date(1700000000 * 1000),
    });
    const second = sandbox.pushCommit(repo, {
      branch: "main",
      files: {
        "README.md": "# hello again\n",
        "deep/er/still/file.yaml": null,
        "new.txt": "new\n",
      },
      message: "Second",
      author: "ada",
      date: new Date(1700000100 * 1000),
    });

    expect(first.sha).toBe(git(repoDir, ["rev-parse", "HEAD~1"]));
    expect(sandbox.state.treeOf(first.sha)).toBe(git(repoDir, ["rev-parse", "HEAD~1^{tree}"]));
    expect(second.before).toBe(first.sha);
    expect(sandbox.state.treeOf(second.sha)).toBe(git(repoDir, ["rev-parse", "HEAD^{tree}"]));
    expect(second.sha).toBe(git(repoDir, ["rev-parse", "HEAD"]));
    // The removed directory disappears entirely, as in git.
    expect(sandbox.readFile(repo, "main", "deep/er/still/file.yaml")).toBeUndefined();
    expect(sandbox.state.store.lookup(sandbox.state.treeOf(second.sha), "deep")).toBeUndefined();
  });

  it("seeding from a folder gives the tree git write-tree gives for that folder", () => {
    const dir = join(tmp.dir, "seed");
    mkdirSync(join(dir, "services", "api"), { recursive: true });
    writeFileSync(join(dir, "services", "api", "VERSION"), "1.0.0\n");
    writeFileSync(join(dir, "Makefile"), "all:\n\ttrue\n");
    writeFileSync(join(dir, "build.sh"), "#!/bin/sh\n");
    chmodSync(join(dir, "build.sh"), 0o755);
    git(dir, ["init", "-q"]);
    git(dir, ["add", "-A"]);
    const expected = git(dir, ["write-tree"]);

    sandbox.createUser("seeder");
    const repo = sandbox.createRepo({ owner: "seeder", name: "seeded" }).fullName;
    const sha = sandbox.seedFromDirectory(repo, dir, { message: "seed" });
    expect(sandbox.state.treeOf(sha)).toBe(expected);
    expect(sandbox.readFile(repo, "main", "services/api/VERSION")).toBe("1.0.0\n");
  });

  it("annotated tags get git's tag object id", () => {
    const dir = join(tmp.dir, "tagged");
    mkdirSync(dir);
    git(dir, ["init", "-q", "-b", "main"]);
    writeFileSync(join(dir, "f"), "x\n");
    git(dir, ["add", "f"]);
    const env = { GIT_AUTHOR_DATE: "1700000000 +0000", GIT_COMMITTER_DATE: "1700000000 +0000" };
    git(dir, ["commit", "-q", "-m", "c"], env);
    git(dir, ["tag", "-a", "v1", "-m", "release v1"], env);

    const store = new ObjectStore();
    const blob = store.putBlob("x\n");
    const tree = store.putTree([{ name: "f", mode: "100644", type: "blob", sha: blob }]);
    const who = { name: "Ada Lovelace", email: "ada@example.com", time: 1700000000, tz: "+0000" };
    const commit = store.putCommit({
      tree,
      parents: [],
      author: who,
      committer: who,
      message: "c\n",
    });
    expect(commit).toBe(git(dir, ["rev-parse", "HEAD"]));
    const tag = store.putTag({
      object: commit,
      type: "commit",
      tag: "v1",
      tagger: who,
      message: "release v1\n",
    });
    expect(tag).toBe(git(dir, ["rev-parse", "v1"]));
    expect(store.peel(tag)).toBe(commit);
  });
});
