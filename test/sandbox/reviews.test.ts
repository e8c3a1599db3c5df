import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox, type Octokit } from "./helpers.js";

describe("sandbox: reviews and teams", () => {
  let sandbox: Sandbox;
  let repo: string;
  let octokit: Octokit;
  let number: number;
  let headSha: string;

  beforeAll(async () => {
    let installationId: number;
    ({ sandbox, repo, installationId } = await standardSandbox());
    octokit = await installationOctokit(sandbox, installationId);
    sandbox.createUser("bob");
    sandbox.createOrg("other", { members: ["bob"] });
    sandbox.createTeam("acme", "platform", ["alice"]);
    sandbox.createTeam("other", "secret", ["bob"]);
    sandbox.pushCommit(repo, { branch: "change", files: { "x.txt": "x\n" }, author: "alice" });
    ({ number, headSha } = sandbox.openPullRequest(repo, { head: "change", user: "alice" }));
  });
  afterAll(async () => {
    sandbox.assertNoViolations();
    await sandbox.stop();
  });

  it("lists a pull request's reviews in GitHub's shape; a dismissal shows as DISMISSED", async () => {
    const approved = sandbox.review(repo, number, { user: "mallory", state: "APPROVED" });
    sandbox.review(repo, number, { user: "alice", state: "COMMENTED", body: "nice" });
    sandbox.dismissReview(repo, number, approved.id);
    const [owner = "", name = ""] = repo.split("/");
    const { data } = await octokit.rest.pulls.listReviews({
      owner,
      repo: name,
      pull_number: number,
    });
    expect(data.map((r) => [r.user?.login, r.state, r.commit_id])).toEqual([
      ["mallory", "DISMISSED", headSha],
      ["alice", "COMMENTED", headSha],
    ]);
    const event = sandbox.events.pullRequestReview({ repo, number, reviewId: approved.id });
    expect(event.name).toBe("pull_request_review");
    expect(event.payload).toMatchObject({
      action: "submitted",
      review: { id: approved.id, state: "dismissed", commit_id: headSha },
      pull_request: { number, head: { sha: headSha } },
    });
  });

  it("lists a team's members; another organisation's team and an unknown one are 404", async () => {
    const { data } = await octokit.rest.teams.listMembersInOrg({
      org: "acme",
      team_slug: "platform",
    });
    expect(data.map((u) => u.login)).toEqual(["alice"]);
    for (const [org, team_slug] of [
      ["other", "secret"],
      ["acme", "ghosts"],
    ] as const) {
      await expect(octokit.rest.teams.listMembersInOrg({ org, team_slug })).rejects.toMatchObject({
        status: 404,
      });
    }
  });
});
