// A verification cut off half-way (kill -9, a replica lost) runs again with the same delivery:
// it posts the check runs still missing and the summary, and a finished one writes nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allChecks } from "../../src/core/checks/index.js";
import { GitHubRepo, pullRequestInfo, type RestPullRequest } from "../../src/forge/github.js";
import { silentLog } from "../../src/log.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { verifyPullRequestEvent } from "../../src/workflows/verify-pull-request.js";
import { installationOctokit } from "../sandbox/helpers.js";

const REPO = "acme/mono";
let sandbox: Sandbox;
let port: GitHubRepo;
let pr: ReturnType<typeof pullRequestInfo> & { headSha: string; baseSha: string };

beforeEach(async () => {
  sandbox = await startSandbox();
  sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
  sandbox.createOrg("acme", { members: ["alice"] });
  const info = sandbox.createRepo({
    owner: "acme",
    name: "mono",
    installation: true,
    files: {
      LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
      "services/api/VERSION": "1.0.0\n",
      "services/api/main.go": "// SPDX-License-Identifier: Apache-2.0\npackage api\n",
    },
  });
  sandbox.pushCommit(REPO, {
    branch: "change",
    author: "alice",
    message: "api: 1.1.0\n\nSigned-off-by: Alice Liddell <alice@example.com>",
    files: { "services/api/VERSION": "1.1.0\n" },
  });
  const opened = sandbox.openPullRequest(REPO, { head: "change", user: "alice" });
  const info2 = pullRequestInfo(
    sandbox.pullRequest(REPO, opened.number) as unknown as RestPullRequest,
  );
  pr = { ...info2, headSha: opened.headSha, baseSha: opened.baseSha };
  port = new GitHubRepo(
    await installationOctokit(sandbox, info.installationId as number),
    "acme",
    "mono",
  );
});

afterEach(async () => {
  sandbox.assertNoViolations();
  await sandbox.stop();
});

function verify(deliveryId: string, through: GitHubRepo = port) {
  return verifyPullRequestEvent(
    through,
    {
      repo: { owner: "acme", name: "mono", defaultBranch: "main" },
      pr,
      deliveryId,
      ci: { kind: "push" },
      checks: allChecks,
      botLogin: sandbox.botLogin,
      backend: { env: {} },
    },
    silentLog,
  );
}

function runNames(): string[] {
  return (sandbox.checkRuns(REPO, pr.headSha) as unknown as { name: string }[])
    .map((r) => r.name)
    .sort();
}

function writesSince(mark: number): string[] {
  return sandbox
    .requests({ since: mark })
    .filter((r) => r.method !== "GET" && r.operationId !== "graphql")
    .map((r) => `${r.method} ${r.operationId}`);
}

/** The port, cut off (as by kill -9) when it is about to create its `n`th check run. */
class CutOff extends GitHubRepo {
  created = 0;
  constructor(
    from: GitHubRepo,
    private readonly n: number,
  ) {
    super(from.octokit, from.owner, from.repo);
  }
  override async createCheckRun(...args: Parameters<GitHubRepo["createCheckRun"]>) {
    if (++this.created === this.n) throw new Error("the process was killed here");
    return super.createCheckRun(...args);
  }
}

describe("a verification that runs again with the same delivery", () => {
  it("cut off after two check runs: the next run posts the others and the summary, none twice; a third writes nothing", async () => {
    const cut = new CutOff(port, 3);
    await expect(verify("d-1", cut)).rejects.toThrow(/killed/);
    expect(runNames()).toEqual(["monobot/config", "monobot/lint"]);
    expect(sandbox.comments(REPO, pr.number)).toEqual([]);

    await expect(verify("d-1")).resolves.toMatchObject({ alreadyDone: false });
    const names = runNames();
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "monobot/config",
        "monobot/lint",
        "monobot/license",
        "monobot/dco",
        "monobot/secrets",
      ]),
    );
    expect(sandbox.comments(REPO, pr.number)).toHaveLength(1);

    const mark = sandbox.mark();
    await expect(verify("d-1")).resolves.toMatchObject({ alreadyDone: true });
    expect(writesSince(mark)).toEqual([]);
  });

  it("another delivery on the same head (a recheck) verifies again in full", async () => {
    await verify("d-1");
    const before = runNames().length;
    await expect(verify("d-2")).resolves.toMatchObject({ alreadyDone: false });
    expect(runNames()).toHaveLength(2 * before);
    expect(sandbox.comments(REPO, pr.number)).toHaveLength(1);
  });
});
