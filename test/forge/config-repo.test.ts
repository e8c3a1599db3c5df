import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubConfigRepo, type DeployPull } from "../../src/forge/config-repo.js";
import { TestOctokit } from "../helpers/probot.js";

const API = "https://api.github.com";

function repo() {
  return new GitHubConfigRepo(
    new TestOctokit({ auth: { token: "ghs_test" } }),
    "acme",
    "aether-config",
  );
}

const PULL: DeployPull = {
  number: 7,
  nodeId: "PR_kwDOAbc",
  state: "open",
  merged: false,
  title: "Deploy roc-api 1.3.0",
  body: "",
  headRef: "monobot/deploy-roc-api",
  headSha: "1".repeat(40),
  baseRef: "main",
  url: "https://github.com/acme/aether-config/pull/7",
};

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("GitHubConfigRepo", () => {
  it("turns on auto-merge with the policy's merge method", async () => {
    let sent: { query: string; variables: Record<string, unknown> } | undefined;
    nock(API)
      .post("/graphql")
      .reply(200, (_uri, body) => {
        sent = body as typeof sent;
        return { data: { enablePullRequestAutoMerge: { clientMutationId: null } } };
      });
    expect(await repo().enableAutoMerge(PULL, "squash")).toEqual({ ok: true });
    expect(sent?.query).toContain(
      "enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod})",
    );
    expect(sent?.variables).toEqual({ pullRequestId: "PR_kwDOAbc", mergeMethod: "SQUASH" });
  });

  it("reports GitHub's refusal of auto-merge as a reason", async () => {
    nock(API)
      .post("/graphql")
      .reply(200, {
        data: null,
        errors: [
          {
            type: "UNPROCESSABLE",
            message: "Pull request Auto merge is not allowed for this repository",
          },
        ],
      });
    const r = await repo().enableAutoMerge(PULL, "merge");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain("Auto merge is not allowed for this repository");
  });

  it("a 422 on creating the branch or the pull request means a concurrent run got there first", async () => {
    nock(API)
      .post("/repos/acme/aether-config/git/refs")
      .reply(422, { message: "Reference already exists" })
      .post("/repos/acme/aether-config/pulls")
      .reply(422, {
        message: "Validation Failed",
        errors: [{ message: "A pull request already exists for acme:monobot/deploy-roc-api." }],
      });
    expect(await repo().createBranch("monobot/deploy-roc-api", "2".repeat(40))).toBe("exists");
    expect(
      await repo().createPull({
        head: "monobot/deploy-roc-api",
        base: "main",
        title: "t",
        body: "b",
      }),
    ).toBe("exists");
  });

  it("moves a deploy branch only from the commit it read (compare-and-swap), never with a blind force", async () => {
    const sent: { query: string; variables: Record<string, unknown> }[] = [];
    nock(API)
      .post("/graphql")
      .reply(200, (_uri, body) => {
        sent.push(body as (typeof sent)[number]);
        return { data: { repository: { id: "R_kgDOConfig" } } };
      })
      .post("/graphql")
      .reply(200, (_uri, body) => {
        sent.push(body as (typeof sent)[number]);
        return { data: { updateRefs: { clientMutationId: null } } };
      })
      .post("/graphql")
      .reply(200, {
        data: null,
        errors: [{ type: "UNPROCESSABLE", message: "refs/heads/monobot/deploy-roc-api moved" }],
      });
    const r = repo();
    const branch = "monobot/deploy-roc-api";
    expect(await r.git.replaceBranch(branch, "2".repeat(40), "3".repeat(40))).toBe("updated");
    expect(sent[1]?.query).toContain("updateRefs(");
    expect(sent[1]?.variables).toEqual({
      repositoryId: "R_kgDOConfig",
      refUpdates: [
        {
          name: "refs/heads/monobot/deploy-roc-api",
          beforeOid: "2".repeat(40),
          afterOid: "3".repeat(40),
          force: true,
        },
      ],
    });
    // The id is read once; a branch no longer at the expected commit is a rejection, not an error.
    expect(await r.git.replaceBranch(branch, "2".repeat(40), "4".repeat(40))).toBe("rejected");
    expect(nock.isDone()).toBe(true);
  });

  it("says which repository has no readable default branch", async () => {
    nock(API)
      .post("/graphql")
      .reply(200, { data: { repository: null } });
    await expect(repo().heads([])).rejects.toThrow(
      "acme/aether-config has no default branch monobot can read; check deploy.config_repo and that the app is installed there",
    );
  });
});
