// Repository contents, pull requests, their files and commits, compare and pagination, through a real Octokit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox, type Octokit } from "./helpers.js";

describe("repositories and pull requests", () => {
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

  describe("contents", () => {
    it("returns a file as JSON with base64 content, sha and URLs", async () => {
      const { data } = await octokit.rest.repos.getContent({
        owner,
        repo: name,
        path: "services/api/VERSION",
      });
      expect(Array.isArray(data)).toBe(false);
      const file = data as {
        type: string;
        content: string;
        encoding: string;
        sha: string;
        html_url: string;
      };
      expect(file.type).toBe("file");
      expect(file.encoding).toBe("base64");
      expect(Buffer.from(file.content, "base64").toString()).toBe("1.2.3\n");
      expect(file.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(file.html_url).toBe(`${sandbox.url}/acme/mono/blob/main/services/api/VERSION`);
    });

    it("returns raw text for the raw media type, as Probot's config loader asks", async () => {
      const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner,
        repo: name,
        path: ".github/monobot.yml",
        mediaType: { format: "raw" },
      });
      expect(res.data).toBe("components: {}\n");
      expect(res.headers["content-type"]).not.toBe("application/json; charset=utf-8");
      const config = await octokit.config.get({ owner, repo: name, path: ".github/monobot.yml" });
      expect(config.config).toEqual({ components: {} });
    });

    it("lists the root directory for an empty path", async () => {
      const { data } = await octokit.rest.repos.getContent({ owner, repo: name, path: "" });
      expect((data as Array<{ path: string }>).map((e) => e.path)).toEqual([
        ".github",
        "README.md",
        "services",
      ]);
    });

    it("lists a directory, reads at a ref, and answers 404 for a missing path or ref", async () => {
      const { data } = await octokit.rest.repos.getContent({ owner, repo: name, path: "services" });
      expect((data as Array<{ name: string; type: string }>).map((e) => [e.name, e.type])).toEqual([
        ["api", "dir"],
        ["web", "dir"],
      ]);
      const { sha } = sandbox.pushCommit(repo, {
        branch: "content-ref",
        files: { "services/api/VERSION": "9.9.9\n" },
      });
      const atRef = await octokit.rest.repos.getContent({
        owner,
        repo: name,
        path: "services/api/VERSION",
        ref: sha,
      });
      expect(Buffer.from((atRef.data as { content: string }).content, "base64").toString()).toBe(
        "9.9.9\n",
      );
      await expect(
        octokit.rest.repos.getContent({ owner, repo: name, path: "nope.txt" }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        octokit.rest.repos.getContent({
          owner,
          repo: name,
          path: "README.md",
          ref: "no-such-branch",
        }),
      ).rejects.toMatchObject({ status: 404 });
    });

    it("creates and updates a file through the contents API with sha checks", async () => {
      const created = await octokit.rest.repos
        .createOrUpdateFileContents({
          owner,
          repo: name,
          path: "docs/new.md",
          message: "Add docs",
          content: Buffer.from("doc\n").toString("base64"),
          branch: "docs",
        })
        .catch((e: unknown) => e);
      // The branch does not exist yet: GitHub answers 404 for a missing branch in a non-empty repository.
      expect(created).toMatchObject({ status: 404 });
      sandbox.createBranch(repo, "docs");
      const ok = await octokit.rest.repos.createOrUpdateFileContents({
        owner,
        repo: name,
        path: "docs/new.md",
        message: "Add docs",
        content: Buffer.from("doc\n").toString("base64"),
        branch: "docs",
      });
      expect(ok.status).toBe(201);
      expect(ok.data.commit.author?.name).toBe(sandbox.botLogin);
      await expect(
        octokit.rest.repos.createOrUpdateFileContents({
          owner,
          repo: name,
          path: "docs/new.md",
          message: "Overwrite without sha",
          content: Buffer.from("x\n").toString("base64"),
          branch: "docs",
        }),
      ).rejects.toMatchObject({ status: 422 });
      expect(sandbox.readFile(repo, "docs", "docs/new.md")).toBe("doc\n");
    });
  });

  describe("pull requests", () => {
    let number: number;
    let headSha: string;

    beforeAll(() => {
      sandbox.pushCommit(repo, {
        branch: "feature",
        files: {
          "services/api/VERSION": "1.3.0\n",
          "services/web/VERSION": null,
          "services/api/main.go": null,
          "services/api/cmd/main.go": 'package main\n\nfunc main() {\n\tprintln("hi")\n}\n',
          "services/new/VERSION": "0.1.0\n",
        },
        message: "Bump api, remove web, move main.go, add new",
        author: "alice",
      });
      headSha = sandbox.pushCommit(repo, {
        branch: "feature",
        files: { "README.md": "# mono\n\nmore\n" },
        author: "alice",
      }).sha;
      number = sandbox.openPullRequest(repo, {
        head: "feature",
        user: "alice",
        title: "Feature",
      }).number;
    });

    it("reads the pull request with head/base SHAs, author association and counts", async () => {
      const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
      expect(data.head.sha).toBe(headSha);
      expect(data.base.sha).toBe(sandbox.branchSha(repo, "main"));
      expect(data.head.ref).toBe("feature");
      expect(data.user.login).toBe("alice");
      expect(data.author_association).toBe("MEMBER");
      expect(data.html_url).toBe(`${sandbox.url}/acme/mono/pull/${number}`);
      expect(data.commits).toBe(2);
      expect(data.changed_files).toBe(5);
      expect(data.merged).toBe(false);
      expect(data.draft).toBe(false);
    });

    it("lists files with statuses, renames and real patches", async () => {
      const { data } = await octokit.rest.pulls.listFiles({
        owner,
        repo: name,
        pull_number: number,
      });
      const summary = data.map((f) => [
        f.filename,
        f.status,
        f.previous_filename,
        f.additions,
        f.deletions,
      ]);
      expect(summary).toEqual([
        ["README.md", "modified", undefined, 2, 0],
        ["services/api/VERSION", "modified", undefined, 1, 1],
        ["services/api/cmd/main.go", "renamed", "services/api/main.go", 0, 0],
        ["services/new/VERSION", "added", undefined, 1, 0],
        ["services/web/VERSION", "removed", undefined, 0, 1],
      ]);
      const byName = new Map(data.map((f) => [f.filename, f]));
      expect(byName.get("services/api/VERSION")?.patch).toBe("@@ -1 +1 @@\n-1.2.3\n+1.3.0");
      expect(byName.get("README.md")?.patch).toBe("@@ -1 +1,3 @@\n # mono\n+\n+more");
      expect(byName.get("services/web/VERSION")?.patch).toBe("@@ -1 +0,0 @@\n-0.4.0-dev");
      expect(byName.get("services/new/VERSION")?.changes).toBe(1);
      expect(byName.get("services/new/VERSION")?.blob_url).toBe(
        `${sandbox.url}/acme/mono/blob/${headSha}/services/new/VERSION`,
      );
    });

    it("lists the pull request's commits oldest first", async () => {
      const { data } = await octokit.rest.pulls.listCommits({
        owner,
        repo: name,
        pull_number: number,
      });
      expect(data.map((c) => c.commit.message)).toEqual([
        "Bump api, remove web, move main.go, add new",
        "Update files",
      ]);
      expect(data[1]?.sha).toBe(headSha);
      expect(data[0]?.author?.login).toBe("alice");
    });

    it("follows pushes to the head branch and filters the list by head and state", async () => {
      const { sha } = sandbox.pushCommit(repo, {
        branch: "feature",
        files: { "services/api/VERSION": "1.3.1\n" },
      });
      const { data } = await octokit.rest.pulls.list({ owner, repo: name, head: "acme:feature" });
      expect(data.map((p) => [p.number, p.head.sha])).toEqual([[number, sha]]);
      const none = await octokit.rest.pulls.list({ owner, repo: name, head: "acme:other" });
      expect(none.data).toEqual([]);
      const closed = await octokit.rest.pulls.list({ owner, repo: name, state: "closed" });
      expect(closed.data).toEqual([]);
    });

    it("creates a pull request as the bot, refuses a duplicate, and edits it", async () => {
      sandbox.pushCommit(repo, { branch: "bot-branch", files: { "bot.txt": "by bot\n" } });
      const created = await octokit.rest.pulls.create({
        owner,
        repo: name,
        head: "bot-branch",
        base: "main",
        title: "Bot PR",
      });
      expect(created.status).toBe(201);
      expect(created.data.user.login).toBe(sandbox.botLogin);
      await expect(
        octokit.rest.pulls.create({
          owner,
          repo: name,
          head: "bot-branch",
          base: "main",
          title: "Again",
        }),
      ).rejects.toMatchObject({ status: 422 });
      const updated = await octokit.rest.pulls.update({
        owner,
        repo: name,
        pull_number: created.data.number,
        body: "new body",
        state: "closed",
      });
      expect(updated.data.state).toBe("closed");
      expect(updated.data.body).toBe("new body");
    });

    it("compares two refs with files, commits and ahead/behind counts", async () => {
      const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
        owner,
        repo: name,
        basehead: "main...feature",
      });
      expect(data.status).toBe("ahead");
      expect(data.ahead_by).toBe(3);
      expect(data.behind_by).toBe(0);
      expect(data.commits.map((c) => c.sha).at(-1)).toBe(sandbox.branchSha(repo, "feature"));
      expect(data.files?.find((f) => f.filename === "services/api/VERSION")?.patch).toBe(
        "@@ -1 +1 @@\n-1.2.3\n+1.3.1",
      );
      expect(data.merge_base_commit.sha).toBe(sandbox.branchSha(repo, "main"));
    });

    it("merges with a merge commit and reports merged", async () => {
      sandbox.pushCommit(repo, { branch: "to-merge", files: { "merged.txt": "m\n" } });
      const pr = sandbox.openPullRequest(repo, { head: "to-merge", user: "alice" });
      const mainBefore = sandbox.branchSha(repo, "main");
      const merge = await octokit.rest.pulls.merge({ owner, repo: name, pull_number: pr.number });
      expect(merge.data.merged).toBe(true);
      expect(sandbox.branchSha(repo, "main")).toBe(merge.data.sha);
      const commit = await octokit.rest.git.getCommit({
        owner,
        repo: name,
        commit_sha: merge.data.sha,
      });
      expect(commit.data.parents.map((p) => p.sha)).toEqual([mainBefore, pr.headSha]);
      const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: pr.number });
      expect(data).toMatchObject({
        state: "closed",
        merged: true,
        merge_commit_sha: merge.data.sha,
      });
    });
  });

  describe("fork pull requests", () => {
    it("opens a PR from a fork: head repo and label are the fork's, files diff against the base", async () => {
      const fork = sandbox.fork(repo, "mallory");
      expect(fork.fullName).toBe("mallory/mono");
      const { sha } = sandbox.pushCommit(fork.fullName, {
        branch: "fix",
        files: { "services/web/VERSION": "0.4.1-dev\n" },
        author: "mallory",
      });
      const pr = sandbox.openPullRequest(repo, {
        head: "fix",
        fromFork: fork.fullName,
        user: "mallory",
      });
      expect(pr.headRepo).toBe("mallory/mono");
      const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: pr.number });
      expect(data.head).toMatchObject({
        label: "mallory:fix",
        ref: "fix",
        sha,
        repo: { full_name: "mallory/mono", fork: true },
      });
      expect(data.base.repo.full_name).toBe("acme/mono");
      expect(data.author_association).toBe("NONE");
      expect(data.maintainer_can_modify).toBe(true);
      const files = await octokit.rest.pulls.listFiles({
        owner,
        repo: name,
        pull_number: pr.number,
      });
      expect(files.data.map((f) => [f.filename, f.patch])).toEqual([
        ["services/web/VERSION", "@@ -1 +1 @@\n-0.4.0-dev\n+0.4.1-dev"],
      ]);
      const listed = await octokit.rest.pulls.list({ owner, repo: name, head: "mallory:fix" });
      expect(listed.data.map((p) => p.number)).toEqual([pr.number]);
      // GitHub leaves pull_requests empty on check runs for a fork's head commit.
      const run = await octokit.rest.checks.create({
        owner,
        repo: name,
        name: "monobot/dco",
        head_sha: sha,
      });
      expect(run.data.pull_requests).toEqual([]);
    });
  });

  describe("pagination", () => {
    it("pages a 250-file pull request by per_page with Link headers, and Octokit's paginate collects all", async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 250; i++) files[`many/f${String(i).padStart(3, "0")}.txt`] = `${i}\n`;
      sandbox.pushCommit(repo, { branch: "many", files });
      const pr = sandbox.openPullRequest(repo, { head: "many", user: "alice" });
      const first = await octokit.rest.pulls.listFiles({
        owner,
        repo: name,
        pull_number: pr.number,
        per_page: 100,
      });
      expect(first.data).toHaveLength(100);
      const link = String(first.headers.link);
      expect(link).toContain(
        `${sandbox.apiBaseUrl}/repos/acme/mono/pulls/${pr.number}/files?per_page=100&page=2>; rel="next"`,
      );
      expect(link).toContain('page=3>; rel="last"');
      const third = await octokit.rest.pulls.listFiles({
        owner,
        repo: name,
        pull_number: pr.number,
        per_page: 100,
        page: 3,
      });
      expect(third.data).toHaveLength(50);
      expect(String(third.headers.link)).toContain('rel="prev"');
      expect(String(third.headers.link)).not.toContain('rel="next"');
      const all = await octokit.paginate(octokit.rest.pulls.listFiles, {
        owner,
        repo: name,
        pull_number: pr.number,
        per_page: 100,
      });
      expect(all).toHaveLength(250);
      expect(new Set(all.map((f) => f.filename)).size).toBe(250);
      // per_page above 100 is capped at 100, as on GitHub.
      const capped = await octokit.rest.pulls.listFiles({
        owner,
        repo: name,
        pull_number: pr.number,
        per_page: 500,
      });
      expect(capped.data).toHaveLength(100);
    });

    it("stops a pull request's file list at 3,000 files", async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 3100; i++) files[`huge/d${i % 10}/f${i}.txt`] = "x\n";
      sandbox.pushCommit(repo, { branch: "huge", files });
      const pr = sandbox.openPullRequest(repo, { head: "huge", user: "alice" });
      const all = await octokit.paginate(octokit.rest.pulls.listFiles, {
        owner,
        repo: name,
        pull_number: pr.number,
        per_page: 100,
      });
      expect(all).toHaveLength(3000);
      const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: pr.number });
      expect(data.changed_files).toBe(3100);
    });
  });

  it("recorded no OpenAPI violations for all of the above", () => {
    expect(sandbox.violations()).toEqual([]);
  });
});
