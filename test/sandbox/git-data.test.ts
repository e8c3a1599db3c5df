// The Git database API: writing a commit from blobs and trees, and refs with GitHub's 422 races.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox, type Octokit } from "./helpers.js";

describe("git data API", () => {
  let sandbox: Sandbox;
  let repo: string;
  let octokit: Octokit;
  const owner = "acme";
  const name = "mono";

  beforeAll(async () => {
    let installationId: number;
    ({ sandbox, repo, installationId } = await standardSandbox());
    octokit = await installationOctokit(sandbox, installationId);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("writes a commit the way a bot bumps versions: blob, tree on base_tree (with a deletion), commit, ref", async () => {
    const main = sandbox.branchSha(repo, "main") as string;
    const baseCommit = await octokit.rest.git.getCommit({ owner, repo: name, commit_sha: main });
    const blob = await octokit.rest.git.createBlob({
      owner,
      repo: name,
      content: "1.2.4\n",
      encoding: "utf-8",
    });
    expect(blob.status).toBe(201);
    const tree = await octokit.rest.git.createTree({
      owner,
      repo: name,
      base_tree: baseCommit.data.tree.sha,
      tree: [
        { path: "services/api/VERSION", mode: "100644", type: "blob", sha: blob.data.sha },
        { path: "services/web/CHANGELOG.md", mode: "100644", type: "blob", content: "## 0.4.0\n" },
        { path: "README.md", mode: "100644", type: "blob", sha: null },
      ],
    });
    expect(tree.status).toBe(201);
    const commit = await octokit.rest.git.createCommit({
      owner,
      repo: name,
      message: "Bump api to 1.2.4",
      tree: tree.data.sha,
      parents: [main],
      author: { name: "monobot", email: "bot@example.com", date: "2024-05-01T10:00:00Z" },
    });
    expect(commit.data.parents.map((p) => p.sha)).toEqual([main]);
    expect(commit.data.author.date).toBe("2024-05-01T10:00:00Z");
    const ref = await octokit.rest.git.updateRef({
      owner,
      repo: name,
      ref: "heads/main",
      sha: commit.data.sha,
    });
    expect(ref.data.object.sha).toBe(commit.data.sha);

    expect(sandbox.readFile(repo, "main", "services/api/VERSION")).toBe("1.2.4\n");
    expect(sandbox.readFile(repo, "main", "services/web/CHANGELOG.md")).toBe("## 0.4.0\n");
    expect(sandbox.readFile(repo, "main", "README.md")).toBeUndefined();
    expect(sandbox.readFile(repo, "main", "services/api/main.go")).toContain("package main");
  });

  it("lists a tree recursively with blob sizes, truncated false", async () => {
    const { data } = await octokit.rest.git.getTree({
      owner,
      repo: name,
      tree_sha: "main",
      recursive: "1",
    });
    expect(data.truncated).toBe(false);
    const paths = data.tree.map((e) => `${e.type} ${e.path}`);
    expect(paths).toContain("tree services");
    expect(paths).toContain("blob services/api/VERSION");
    expect(data.tree.find((e) => e.path === "services/api/VERSION")).toMatchObject({
      mode: "100644",
      size: 6,
    });
    const flat = await octokit.rest.git.getTree({ owner, repo: name, tree_sha: data.sha });
    expect(flat.data.tree.every((e) => !String(e.path).includes("/"))).toBe(true);
  });

  it("reads a blob back as base64", async () => {
    const entry = sandbox.state.store.lookup(
      sandbox.state.treeOf(sandbox.branchSha(repo, "main") as string),
      "services/api/VERSION",
    );
    const { data } = await octokit.rest.git.getBlob({
      owner,
      repo: name,
      file_sha: entry?.sha as string,
    });
    expect(Buffer.from(data.content, "base64").toString()).toBe("1.2.4\n");
    expect(data.size).toBe(6);
  });

  it('answers 422 "Reference already exists" when creating a ref twice', async () => {
    const sha = sandbox.branchSha(repo, "main") as string;
    const first = await octokit.rest.git.createRef({
      owner,
      repo: name,
      ref: "refs/tags/api/v1.2.4",
      sha,
    });
    expect(first.status).toBe(201);
    await expect(
      octokit.rest.git.createRef({ owner, repo: name, ref: "refs/tags/api/v1.2.4", sha }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { message: "Reference already exists" } },
    });
    const tag = await octokit.rest.git.getRef({ owner, repo: name, ref: "tags/api/v1.2.4" });
    expect(tag.data.object).toMatchObject({ sha, type: "commit" });
    const matching = await octokit.rest.git.listMatchingRefs({
      owner,
      repo: name,
      ref: "tags/api/",
    });
    expect(matching.data.map((r) => r.ref)).toEqual(["refs/tags/api/v1.2.4"]);
    await expect(
      octokit.rest.git.getRef({ owner, repo: name, ref: "tags/none" }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("refuses a non-fast-forward ref update with 422 unless forced, like a lost race", async () => {
    const base = sandbox.branchSha(repo, "main") as string;
    sandbox.createBranch(repo, "race", base);
    const ours = sandbox.pushCommit(repo, { branch: "race", files: { "ours.txt": "ours\n" } }).sha;
    // Someone else moves the branch first: our commit's parent is no longer the tip.
    const theirs = await octokit.rest.git.createCommit({
      owner,
      repo: name,
      message: "theirs",
      tree: sandbox.state.treeOf(base),
      parents: [base],
    });
    await expect(
      octokit.rest.git.updateRef({ owner, repo: name, ref: "heads/race", sha: theirs.data.sha }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { message: "Update is not a fast forward" } },
    });
    expect(sandbox.branchSha(repo, "race")).toBe(ours);
    const forced = await octokit.rest.git.updateRef({
      owner,
      repo: name,
      ref: "heads/race",
      sha: theirs.data.sha,
      force: true,
    });
    expect(forced.data.object.sha).toBe(theirs.data.sha);
    await expect(
      octokit.rest.git.updateRef({ owner, repo: name, ref: "heads/does-not-exist", sha: base }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("creates annotated tags and deletes refs", async () => {
    const sha = sandbox.branchSha(repo, "main") as string;
    const tag = await octokit.rest.git.createTag({
      owner,
      repo: name,
      tag: "web/v0.4.0",
      message: "web 0.4.0",
      object: sha,
      type: "commit",
      tagger: { name: "monobot", email: "bot@example.com", date: "2024-05-01T10:00:00Z" },
    });
    expect(tag.data.object.sha).toBe(sha);
    await octokit.rest.git.createRef({
      owner,
      repo: name,
      ref: "refs/tags/web/v0.4.0",
      sha: tag.data.sha,
    });
    const ref = await octokit.rest.git.getRef({ owner, repo: name, ref: "tags/web/v0.4.0" });
    expect(ref.data.object).toMatchObject({ type: "tag", sha: tag.data.sha });
    expect(sandbox.state.resolveCommit(sandbox.repo(repo), "web/v0.4.0")).toBe(sha);
    const del = await octokit.rest.git.deleteRef({ owner, repo: name, ref: "tags/web/v0.4.0" });
    expect(del.status).toBe(204);
    await expect(
      octokit.rest.git.deleteRef({ owner, repo: name, ref: "tags/web/v0.4.0" }),
    ).rejects.toMatchObject({
      status: 422,
    });
  });

  it("refuses trees and commits that point at missing objects", async () => {
    await expect(
      octokit.rest.git.createTree({
        owner,
        repo: name,
        tree: [
          {
            path: "x",
            mode: "100644",
            type: "blob",
            sha: "0123456789012345678901234567890123456789",
          },
        ],
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      octokit.rest.git.createCommit({
        owner,
        repo: name,
        message: "m",
        tree: "0123456789012345678901234567890123456789",
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("recorded no OpenAPI violations for the conforming calls above", () => {
    expect(sandbox.violations()).toEqual([]);
  });
});
