// Check runs (with the 50-annotation limit), check suites, commit statuses, comments and permissions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox, type Octokit } from "./helpers.js";

function annotations(n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => ({
    path: "services/api/VERSION",
    start_line: 1,
    end_line: 1,
    annotation_level: "warning" as const,
    message: `annotation ${from + i}`,
  }));
}

describe("checks, statuses, comments", () => {
  let sandbox: Sandbox;
  let repo: string;
  let octokit: Octokit;
  let headSha: string;
  let number: number;
  const owner = "acme";
  const name = "mono";

  beforeAll(async () => {
    let installationId: number;
    ({ sandbox, repo, installationId } = await standardSandbox());
    octokit = await installationOctokit(sandbox, installationId);
    headSha = sandbox.pushCommit(repo, {
      branch: "pr",
      files: { "services/api/VERSION": "1.3.0\n" },
    }).sha;
    number = sandbox.openPullRequest(repo, { head: "pr", user: "alice" }).number;
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  describe("check runs", () => {
    it("creates a check run on the head SHA that names its pull request and suite", async () => {
      const { data } = await octokit.rest.checks.create({
        owner,
        repo: name,
        name: "monobot/versions",
        head_sha: headSha,
        status: "in_progress",
      });
      expect(data).toMatchObject({
        name: "monobot/versions",
        head_sha: headSha,
        status: "in_progress",
        conclusion: null,
      });
      expect(data.pull_requests.map((p) => p.number)).toEqual([number]);
      expect(data.app?.slug).toBe(sandbox.appSlug);
      const suite = await octokit.rest.checks.getSuite({
        owner,
        repo: name,
        check_suite_id: data.check_suite?.id as number,
      });
      expect(suite.data).toMatchObject({
        head_sha: headSha,
        status: "in_progress",
        head_branch: "pr",
      });
    });

    it("answers 422 for more than 50 annotations in one request, and records the violation", async () => {
      const { data: run } = await octokit.rest.checks.create({
        owner,
        repo: name,
        name: "monobot/lint",
        head_sha: headSha,
      });
      sandbox.resetViolations();
      await expect(
        octokit.rest.checks.update({
          owner,
          repo: name,
          check_run_id: run.id,
          output: { title: "lint", summary: "too many", annotations: annotations(51) },
        }),
      ).rejects.toMatchObject({ status: 422 });
      expect(sandbox.violations()).toEqual([
        expect.objectContaining({
          operationId: "checks/update",
          kind: "invalid-body",
          problem: "/output/annotations must NOT have more than 50 items",
        }),
      ]);
      sandbox.resetViolations();
    });

    it("accumulates annotations across updates (50 + 50 + 20) and pages them", async () => {
      const { data: run } = await octokit.rest.checks.create({
        owner,
        repo: name,
        name: "monobot/license",
        head_sha: headSha,
        output: { title: "license", summary: "first batch", annotations: annotations(50) },
      });
      await octokit.rest.checks.update({
        owner,
        repo: name,
        check_run_id: run.id,
        output: { title: "license", summary: "second batch", annotations: annotations(50, 50) },
      });
      const done = await octokit.rest.checks.update({
        owner,
        repo: name,
        check_run_id: run.id,
        conclusion: "failure",
        output: { title: "license", summary: "3 problems", annotations: annotations(20, 100) },
      });
      expect(done.data).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(done.data.output.annotations_count).toBe(120);
      expect(done.data.output.summary).toBe("3 problems");
      expect(done.data.completed_at).toMatch(/Z$/);
      const all = await octokit.paginate(octokit.rest.checks.listAnnotations, {
        owner,
        repo: name,
        check_run_id: run.id,
        per_page: 50,
      });
      expect(all).toHaveLength(120);
      expect(all[119]?.message).toBe("annotation 119");
      expect(sandbox.violations()).toEqual([]);
    });

    it("requires a conclusion when completing", async () => {
      await expect(
        octokit.rest.checks.create({
          owner,
          repo: name,
          name: "x",
          head_sha: headSha,
          status: "completed",
        }),
      ).rejects.toMatchObject({ status: 422 });
    });

    it("lists check runs for a ref, latest per name, filtered by check_name", async () => {
      await octokit.rest.checks.create({
        owner,
        repo: name,
        name: "monobot/dco",
        head_sha: headSha,
        conclusion: "success",
      });
      const second = await octokit.rest.checks.create({
        owner,
        repo: name,
        name: "monobot/dco",
        head_sha: headSha,
        conclusion: "failure",
      });
      const byName = await octokit.rest.checks.listForRef({
        owner,
        repo: name,
        ref: headSha,
        check_name: "monobot/dco",
      });
      expect(byName.data.total_count).toBe(1);
      expect(byName.data.check_runs[0]?.id).toBe(second.data.id);
      const all = await octokit.rest.checks.listForRef({
        owner,
        repo: name,
        ref: "pr",
        check_name: "monobot/dco",
        filter: "all",
      });
      expect(all.data.total_count).toBe(2);
      const driverView = sandbox.checkRuns(repo, headSha).filter((r) => r.name === "monobot/dco");
      expect(driverView.map((r) => r.conclusion)).toEqual(["failure", "success"]);
    });
  });

  describe("statuses", () => {
    it("combines the latest status per context", async () => {
      await octokit.rest.repos.createCommitStatus({
        owner,
        repo: name,
        sha: headSha,
        state: "pending",
        context: "ci/api/verify",
      });
      await octokit.rest.repos.createCommitStatus({
        owner,
        repo: name,
        sha: headSha,
        state: "success",
        context: "ci/api/verify",
      });
      const created = await octokit.rest.repos.createCommitStatus({
        owner,
        repo: name,
        sha: headSha,
        state: "failure",
        context: "ci/web/verify",
        target_url: "http://ci.example/1",
        description: "tests failed",
      });
      expect(created.data.creator?.login).toBe(sandbox.botLogin);
      const { data } = await octokit.rest.repos.getCombinedStatusForRef({
        owner,
        repo: name,
        ref: "pr",
      });
      expect(data.state).toBe("failure");
      expect(data.sha).toBe(headSha);
      expect(data.total_count).toBe(2);
      expect(Object.fromEntries(data.statuses.map((s) => [s.context, s.state]))).toEqual({
        "ci/api/verify": "success",
        "ci/web/verify": "failure",
      });
      expect(sandbox.combinedStatus(repo, headSha).state).toBe("failure");
    });
  });

  describe("comments", () => {
    it("posts a comment as the app's bot, edits and deletes it", async () => {
      const { data } = await octokit.rest.issues.createComment({
        owner,
        repo: name,
        issue_number: number,
        body: "<!-- monobot -->\nSummary",
      });
      expect(data.user?.login).toBe(`${sandbox.appSlug}[bot]`);
      expect(data.user?.type).toBe("Bot");
      expect(data.performed_via_github_app?.id).toBe(sandbox.appId);
      expect(data.html_url).toBe(`${sandbox.url}/acme/mono/pull/${number}#issuecomment-${data.id}`);
      const edited = await octokit.rest.issues.updateComment({
        owner,
        repo: name,
        comment_id: data.id,
        body: "<!-- monobot -->\nNew",
      });
      expect(edited.data.body).toBe("<!-- monobot -->\nNew");
      expect(sandbox.comments(repo, number).map((c) => c.body)).toEqual(["<!-- monobot -->\nNew"]);
      await octokit.rest.issues.deleteComment({ owner, repo: name, comment_id: data.id });
      expect(sandbox.comments(repo, number)).toEqual([]);
    });

    it("lists users' comments with their author association", async () => {
      sandbox.comment(repo, number, { user: "alice", body: "recheck" });
      sandbox.comment(repo, number, { user: "mallory", body: "recheck" });
      sandbox.comment(repo, number, {
        user: "mallory",
        body: "/ok-to-test",
        association: "FIRST_TIME_CONTRIBUTOR",
      });
      const { data } = await octokit.rest.issues.listComments({
        owner,
        repo: name,
        issue_number: number,
      });
      expect(data.map((c) => [c.user?.login, c.author_association])).toEqual([
        ["alice", "MEMBER"],
        ["mallory", "NONE"],
        ["mallory", "FIRST_TIME_CONTRIBUTOR"],
      ]);
      const paged = await octokit.rest.issues.listComments({
        owner,
        repo: name,
        issue_number: number,
        per_page: 2,
      });
      expect(paged.data).toHaveLength(2);
      expect(String(paged.headers.link)).toContain('rel="next"');
    });

    it("answers collaborator permission levels", async () => {
      sandbox.createUser("carol");
      sandbox.setPermission(repo, "carol", "maintain");
      const perm = async (username: string) =>
        (await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo: name, username }))
          .data;
      expect(await perm("carol")).toMatchObject({
        permission: "write",
        role_name: "maintain",
        user: { login: "carol" },
      });
      expect(await perm("alice")).toMatchObject({ permission: "read", role_name: "read" });
      expect(await perm("mallory")).toMatchObject({ permission: "read", role_name: "read" });
      sandbox.setPermission(repo, "mallory", "write");
      expect(await perm("mallory")).toMatchObject({ permission: "write", role_name: "write" });
      await expect(perm("nobody-at-all")).rejects.toMatchObject({ status: 404 });
    });
  });

  it("recorded no OpenAPI violations for the conforming calls above", () => {
    expect(sandbox.violations()).toEqual([]);
  });
});
