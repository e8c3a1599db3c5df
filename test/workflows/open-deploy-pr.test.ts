import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDeployMarker } from "../../src/core/deploy-pr.js";
import type { DeployComponent } from "../../src/core/deploy-plan.js";
import { GitHubConfigRepo, type ConfigRepoPort } from "../../src/forge/config-repo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import {
  openDeployPr,
  recomputeOpenDeployPrs,
  type DeployRequest,
} from "../../src/workflows/open-deploy-pr.js";
import { configRepo, fleetFiles } from "../helpers/config-repo.js";
import { installationOctokit, type Octokit } from "../sandbox/helpers.js";

const REPO = "acme/aether-config";
const BRANCH = "monobot/deploy-roc-api";

const ROC_API: DeployComponent = {
  name: "roc-api",
  image: "ghcr.io/acme/roc-api",
  charts: ["charts/roc-api"],
  valuesKey: "image.tag",
  chartBump: "patch",
};
const ROC_WEB: DeployComponent = {
  name: "roc-web",
  image: "ghcr.io/acme/roc-web",
  charts: ["charts/roc-web"],
  valuesKey: "image.tag",
  chartBump: "patch",
};

function request(to: string, from = "1.2.3", component = ROC_API): DeployRequest {
  return {
    component,
    version: { from, to },
    monorepo: { owner: "acme", name: "mono" },
    tags: { from: `${component.name}/v${from}`, to: `${component.name}/v${to}` },
    changes: [
      {
        sha: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        title: `fix(${component.name}): retry on 503`,
        author: "alice",
        pr: { number: 42, title: "Retry the upstream on 503" },
      },
    ],
  };
}

let sandbox: Sandbox;
let octokit: Octokit;
let port: ConfigRepoPort;

beforeEach(async () => {
  sandbox = await startSandbox();
  sandbox.createUser("alice");
  sandbox.createOrg("acme", { members: ["alice"] });
  const info = sandbox.createRepo({
    owner: "acme",
    name: "aether-config",
    installation: true,
    files: {
      ...configRepo(),
      ...fleetFiles(),
      ".github/monobot.yml": "deploy:\n  environments:\n    charts/legacy: [lab]\n",
    },
  });
  octokit = await installationOctokit(sandbox, info.installationId as number);
  port = new GitHubConfigRepo(octokit, "acme", "aether-config");
});

afterEach(async () => {
  sandbox.assertNoViolations();
  await sandbox.stop();
});

/** Requests since `mark`, as "METHOD operationId" (the first reads run in parallel: sort them). */
function readsThenWrites(mark: number): string[] {
  const all = requestsSince(mark);
  const firstWrite = all.findIndex((r) => !r.startsWith("GET") && r !== "POST graphql");
  const reads = firstWrite < 0 ? all : all.slice(0, firstWrite);
  return [...reads.sort(), ...(firstWrite < 0 ? [] : all.slice(firstWrite))];
}

/** Requests since `mark`, as "METHOD operationId". */
function requestsSince(mark: number): string[] {
  return sandbox.requests({ since: mark }).map((r) => `${r.method} ${r.operationId ?? r.path}`);
}

/** The port, with its compare-and-swap of a branch replaced (to race it). */
function withReplace(
  replace: (branch: string, expected: string, sha: string) => Promise<"updated" | "rejected">,
): ConfigRepoPort {
  return Object.assign(Object.create(port) as ConfigRepoPort, {
    git: Object.assign(Object.create(port.git) as ConfigRepoPort["git"], {
      replaceBranch: replace,
    }),
  });
}

async function commitOf(sha: string) {
  const { data } = await octokit.rest.git.getCommit({
    owner: "acme",
    repo: "aether-config",
    commit_sha: sha,
  });
  return data;
}

describe("openDeployPr against the sandbox", () => {
  it("a publish opens ONE pull request: the right files, body and branch, in 8 requests", async () => {
    const main = sandbox.branchSha(REPO, "main") as string;
    const mark = sandbox.mark();
    const outcome = await openDeployPr(port, request("1.3.0"));
    const cost = readsThenWrites(mark);

    expect(outcome.status).toBe("opened");
    expect(outcome.attempts).toBe(1);
    expect(outcome.message).toBe("roc-api 1.3.0: opened acme/aether-config#1.");
    expect(cost).toEqual([
      "GET git/get-tree",
      "GET pulls/list",
      "POST graphql",
      "POST graphql",
      "POST git/create-tree",
      "POST git/create-commit",
      "POST git/create-ref",
      "POST pulls/create",
    ]);

    const head = sandbox.branchSha(REPO, BRANCH) as string;
    expect(head).toBe(outcome.commitSha);
    const commit = await commitOf(head);
    expect(commit.parents.map((p) => p.sha)).toEqual([main]);
    expect(commit.message).toMatch(/^Deploy roc-api 1\.3\.0\n/);
    expect(commit.message).toContain("Monobot-Deploy: component=roc-api version=1.3.0");
    for (const edit of outcome.plan?.edits ?? []) {
      expect(sandbox.readFile(REPO, BRANCH, edit.path)).toBe(edit.after);
    }
    expect(sandbox.readFile(REPO, BRANCH, "charts/roc-api/values.yaml")).toContain(
      "  tag: 1.3.0  # roc-api release\n",
    );
    expect(sandbox.readFile(REPO, BRANCH, "charts/platform/Chart.yaml")).toContain(
      "version: 2.0.1\n",
    );

    const pr = sandbox.pullRequest(REPO, 1) as {
      title: string;
      body: string;
      head: { ref: string };
      base: { ref: string };
      state: string;
    };
    expect(pr).toMatchObject({
      title: "Deploy roc-api 1.3.0",
      head: { ref: BRANCH },
      base: { ref: "main" },
      state: "open",
    });
    expect(parseDeployMarker(pr.body)).toEqual({ component: "roc-api", version: "1.3.0" });
    expect(pr.body).toContain("- acme/mono#42 Retry the upstream on 503");
    expect(pr.body).toContain(
      "| `charts/aether` | 1.4.0 -> 1.4.1 | packages `charts/roc-api` (pin 0.4.1 -> 0.4.2) |",
    );
    expect(pr.body).toContain(
      "| staging | cluster group `staging` | `charts/platform` | **1.3.0** | `fleet/aether/fleet.yaml` |",
    );
  });

  it("a redelivered publish changes nothing: 4 reads, no write", async () => {
    const first = await openDeployPr(port, request("1.3.0"));
    const head = sandbox.branchSha(REPO, BRANCH);
    const body = (sandbox.pullRequest(REPO, 1) as { body: string }).body;
    const mark = sandbox.mark();
    const again = await openDeployPr(port, request("1.3.0"));
    expect(again).toMatchObject({
      status: "unchanged",
      pull: first.pull,
      message: "roc-api 1.3.0: acme/aether-config#1 proposes it already.",
    });
    expect(readsThenWrites(mark)).toEqual([
      "GET git/get-tree",
      "GET pulls/list",
      "POST graphql",
      "POST graphql",
    ]);
    expect(sandbox.branchSha(REPO, BRANCH)).toBe(head);
    expect((sandbox.pullRequest(REPO, 1) as { body: string }).body).toBe(body);
  });

  it("a newer version updates the same pull request: ONE commit on main, a new body", async () => {
    await openDeployPr(port, request("1.3.0"));
    const main = sandbox.branchSha(REPO, "main") as string;
    const mark = sandbox.mark();
    const outcome = await openDeployPr(port, request("1.4.0", "1.3.0"));
    expect(outcome.status).toBe("updated");
    expect(outcome.pull?.number).toBe(1);
    expect(readsThenWrites(mark)).toEqual([
      "GET git/get-tree",
      "GET pulls/list",
      "POST graphql",
      "POST graphql",
      "POST git/create-tree",
      "POST git/create-commit",
      // updateRefs: the branch moves only from the commit that was read (compare-and-swap).
      "POST graphql",
      "PATCH pulls/update",
    ]);
    const commit = await commitOf(sandbox.branchSha(REPO, BRANCH) as string);
    expect(commit.parents.map((p) => p.sha)).toEqual([main]);
    // Built from main again: the chart goes up once, not twice.
    expect(sandbox.readFile(REPO, BRANCH, "charts/roc-api/Chart.yaml")).toContain(
      "version: 0.4.2   # bumped by monobot",
    );
    expect(sandbox.readFile(REPO, BRANCH, "charts/roc-api/values.yaml")).toContain("tag: 1.4.0");
    const pr = sandbox.pullRequest(REPO, 1) as { title: string; body: string };
    expect(pr.title).toBe("Deploy roc-api 1.4.0");
    expect(parseDeployMarker(pr.body)?.version).toBe("1.4.0");
    expect(pr.body).toContain("Supersedes roc-api 1.3.0, proposed earlier in this pull request.");
    // And redelivering 1.4.0 keeps that body byte for byte.
    const again = await openDeployPr(port, request("1.4.0", "1.3.0"));
    expect(again.status).toBe("unchanged");
    // A late event for the older version does not go back.
    const late = await openDeployPr(port, request("1.3.0"));
    expect(late.status).toBe("skipped");
    expect(late.message).toBe(
      "acme/aether-config#1 proposes roc-api 1.4.0 already, newer than 1.3.0; left as is.",
    );
  });

  it("a rollback opens nothing and writes nothing", async () => {
    const mark = sandbox.mark();
    const outcome = await openDeployPr(port, request("1.2.0", "1.1.0"));
    expect(outcome.status).toBe("skipped");
    expect(outcome.message).toContain("1.2.0 would be a rollback, so monobot proposes nothing");
    expect(requestsSince(mark).filter((r) => !r.startsWith("GET") && r !== "POST graphql")).toEqual(
      [],
    );
    expect(sandbox.branchSha(REPO, BRANCH)).toBeUndefined();
  });

  it("a pull request closed without merging is not reopened; a newer version opens a new one", async () => {
    await openDeployPr(port, request("1.3.0"));
    sandbox.updatePullRequest(REPO, 1, { state: "closed" });
    const again = await openDeployPr(port, request("1.3.0"));
    expect(again.status).toBe("skipped");
    expect(again.message).toBe(
      "acme/aether-config#1 proposed roc-api 1.3.0 and was closed without merging; monobot does not propose it again.",
    );
    expect((sandbox.pullRequest(REPO, 1) as { state: string }).state).toBe("closed");

    const newer = await openDeployPr(port, request("1.4.0", "1.3.0"));
    expect(newer.status).toBe("opened");
    expect(newer.pull?.number).toBe(2);
    expect(sandbox.readFile(REPO, BRANCH, "charts/roc-api/values.yaml")).toContain("tag: 1.4.0");
  });

  it("refuses a branch that another component's name maps to", async () => {
    await openDeployPr(port, request("1.3.0"));
    const outcome = await openDeployPr(
      port,
      request("1.4.0", "1.3.0", { ...ROC_API, name: "roc api" }),
    );
    expect(outcome.status).toBe("refused");
    expect(outcome.message).toBe(
      "`monobot/deploy-roc-api` on acme/aether-config carries #1 for roc-api, another component whose name gives the same branch; rename one of them in components.define.",
    );
  });

  it("refuses to overwrite a branch tip monobot did not write", async () => {
    await openDeployPr(port, request("1.3.0"));
    const pushed = sandbox.pushCommit(REPO, {
      branch: BRANCH,
      files: { "charts/roc-api/values.yaml": "image:\n  tag: 1.3.0-hotfix\n" },
      author: "alice",
      message: "hand-made fix",
    });
    const outcome = await openDeployPr(port, request("1.4.0", "1.3.0"));
    expect(outcome.status).toBe("refused");
    expect(outcome.message).toMatch(/has a commit monobot did not write \(\w{7}\)/);
    expect(sandbox.branchSha(REPO, BRANCH)).toBe(pushed.sha);
  });
});

describe("the config repo's own policy", () => {
  it("auto_merge asks GitHub for auto-merge, and says when GitHub refuses", async () => {
    sandbox.pushCommit(REPO, {
      branch: "main",
      files: { ".github/monobot.yml": "deploy:\n  auto_merge: true\n  merge_method: rebase\n" },
      author: "alice",
    });
    const mark = sandbox.mark();
    const outcome = await openDeployPr(port, request("1.3.0"));
    expect(outcome.status).toBe("opened");
    // The sandbox's GraphQL has no mutations, as a repository without auto-merge allowed refuses.
    expect(outcome.message).toMatch(
      /^roc-api 1\.3\.0: opened acme\/aether-config#1\. Auto-merge could not be turned on: .+\.$/,
    );
    expect(requestsSince(mark).filter((r) => r === "POST graphql")).toHaveLength(3);
  });

  it("an invalid config repo policy falls back to the defaults, with a note in the body", async () => {
    sandbox.pushCommit(REPO, {
      branch: "main",
      files: { ".github/monobot.yml": "deploy:\n  auto_merge: maybe\n" },
      author: "alice",
    });
    const outcome = await openDeployPr(port, request("1.3.0"));
    expect(outcome.status).toBe("opened");
    const body = (sandbox.pullRequest(REPO, 1) as { body: string }).body;
    expect(body).toContain(
      "the config repo's .github/monobot.yml is invalid, so its defaults were used (no auto-merge, no environments):\n.github/monobot.yml:2:3: deploy.auto_merge must be a boolean",
    );
  });
});

describe("when the config repo moves under the workflow", () => {
  it("a branch moved between the read and the write: GitHub refuses the swap, read again, succeed on the second attempt", async () => {
    await openDeployPr(port, request("1.3.0"));
    let moves = 0;
    const racing = withReplace(async (branch, expected, sha) => {
      if (++moves === 1) {
        // Another replica rebuilds the branch (its own commit, monobot's trailer) meanwhile.
        sandbox.pushCommit(REPO, {
          branch: BRANCH,
          files: { "NOTES.md": "raced\n" },
          message: "Deploy roc-api 1.3.0\n\nMonobot-Deploy: component=roc-api version=1.3.0",
        });
      }
      return port.git.replaceBranch(branch, expected, sha);
    });
    const outcome = await openDeployPr(racing, request("1.4.0", "1.3.0"));
    expect(moves).toBe(2);
    expect(outcome).toMatchObject({ status: "updated", attempts: 2 });
    expect(sandbox.readFile(REPO, BRANCH, "charts/roc-api/values.yaml")).toContain("tag: 1.4.0");
    expect(sandbox.readFile(REPO, BRANCH, "NOTES.md")).toBeUndefined();
  });

  it("a human push between the read and the write is never overwritten: the retry refuses", async () => {
    await openDeployPr(port, request("1.3.0"));
    let pushed = "";
    const racing = withReplace(async (branch, expected, sha) => {
      pushed ||= sandbox.pushCommit(REPO, {
        branch: BRANCH,
        files: { "charts/roc-api/values.yaml": "image:\n  tag: 1.3.0-hotfix\n" },
        author: "alice",
        message: "hand-made fix",
      }).sha;
      return port.git.replaceBranch(branch, expected, sha);
    });
    const outcome = await openDeployPr(racing, request("1.4.0", "1.3.0"));
    expect(outcome).toMatchObject({ status: "refused", attempts: 2 });
    expect(outcome.message).toMatch(/has a commit monobot did not write \(\w{7}\)/);
    expect(sandbox.branchSha(REPO, BRANCH)).toBe(pushed);
  });

  it("gives up after bounded retries and says so, leaving the pull request as it was", async () => {
    await openDeployPr(port, request("1.3.0"));
    const head = sandbox.branchSha(REPO, BRANCH);
    // GitHub refusing every move, as when the branch keeps moving.
    const racing = withReplace(async () => "rejected");
    const outcome = await openDeployPr(racing, request("1.4.0", "1.3.0"));
    expect(outcome.status).toBe("failed");
    expect(outcome.attempts).toBe(3);
    expect(outcome.message).toBe(
      "roc-api 1.4.0 on acme/aether-config: the config repo changed under monobot 3 times in a row (last: ref monobot/deploy-roc-api: rejected); nothing more was written. The next publish or push to the default branch tries again.",
    );
    expect(sandbox.branchSha(REPO, BRANCH)).toBe(head);
    expect(
      parseDeployMarker((sandbox.pullRequest(REPO, 1) as { body: string }).body)?.version,
    ).toBe("1.3.0");
  });

  it("a concurrent run creates the branch first (422 on create): the retry finds its PR, opens no second", async () => {
    const other = new GitHubConfigRepo(octokit, "acme", "aether-config");
    let raced = false;
    const racing: ConfigRepoPort = Object.assign(Object.create(port) as ConfigRepoPort, {
      git: port.git,
      createBranch: async (branch: string, sha: string) => {
        if (!raced) {
          raced = true;
          // Another replica handling the same publish gets there first.
          const theirs = await openDeployPr(other, request("1.3.0"));
          expect(theirs.status).toBe("opened");
        }
        return port.createBranch(branch, sha);
      },
    });
    const outcome = await openDeployPr(racing, request("1.3.0"));
    expect(outcome).toMatchObject({ status: "unchanged", attempts: 2, pull: { number: 1 } });
    const all = await octokit.rest.pulls.list({
      owner: "acme",
      repo: "aether-config",
      state: "all",
    });
    expect(all.data).toHaveLength(1);
  });

  it("a push to main: the recompute rebuilds the PR as one commit on the new head", async () => {
    await openDeployPr(port, request("1.3.0"));
    const pushed = sandbox.pushCommit(REPO, {
      branch: "main",
      files: { "docs/runbook.md": "# runbook\n" },
      author: "alice",
    });
    const [outcome] = await recomputeOpenDeployPrs(port, {
      requestFor: async (marker) =>
        marker.component === "roc-api" ? request(marker.version) : null,
    });
    expect(outcome?.status).toBe("updated");
    const commit = await commitOf(sandbox.branchSha(REPO, BRANCH) as string);
    expect(commit.parents.map((p) => p.sha)).toEqual([pushed.sha]);
    expect(sandbox.readFile(REPO, BRANCH, "docs/runbook.md")).toBe("# runbook\n");
  });
});

describe("recomputeOpenDeployPrs", () => {
  it("after one deploy PR merges, the other is rebuilt on it: no two propose the same umbrella version", async () => {
    const api = await openDeployPr(port, request("1.3.0"));
    const web = await openDeployPr(port, request("2.1.0", "2.0.1", ROC_WEB));
    expect(sandbox.readFile(REPO, "monobot/deploy-roc-web", "charts/aether/Chart.yaml")).toContain(
      "version: 1.4.1\n",
    );
    sandbox.mergePullRequest(REPO, api.pull?.number as number, { user: "alice" });

    const requests: Record<string, DeployRequest> = {
      "roc-web": request("2.1.0", "2.0.1", ROC_WEB),
    };
    const mark = sandbox.mark();
    const outcomes = await recomputeOpenDeployPrs(port, {
      requestFor: async (marker) => requests[marker.component] ?? null,
    });
    expect(outcomes.map((o) => [o.status, o.pull?.number])).toEqual([
      ["updated", web.pull?.number],
    ]);
    expect(sandbox.readFile(REPO, "main", "charts/aether/Chart.yaml")).toContain(
      "version: 1.4.1\n",
    );
    expect(sandbox.readFile(REPO, "monobot/deploy-roc-web", "charts/aether/Chart.yaml")).toContain(
      "version: 1.4.2\n",
    );
    expect(
      sandbox.readFile(REPO, "monobot/deploy-roc-web", "charts/platform/Chart.yaml"),
    ).toContain("version: 2.0.2\n");
    expect(requestsSince(mark)).toEqual([
      "GET pulls/list",
      "POST graphql",
      "GET git/get-tree",
      "POST graphql",
      "POST git/create-tree",
      "POST git/create-commit",
      // updateRefs: the branch moves only from the commit that was read (compare-and-swap).
      "POST graphql",
      "PATCH pulls/update",
    ]);
    // Run again: nothing left to do.
    const again = await recomputeOpenDeployPrs(port, {
      requestFor: async (marker) => requests[marker.component] ?? null,
    });
    expect(again.map((o) => o.status)).toEqual(["unchanged"]);
  });

  it("reads the config repo once for several open PRs", async () => {
    await openDeployPr(port, request("1.3.0"));
    await openDeployPr(port, request("2.1.0", "2.0.1", ROC_WEB));
    sandbox.pushCommit(REPO, { branch: "main", files: { "NOTES.md": "x\n" }, author: "alice" });
    const mark = sandbox.mark();
    const outcomes = await recomputeOpenDeployPrs(port, {
      requestFor: async (marker) =>
        marker.component === "roc-api"
          ? request(marker.version)
          : request(marker.version, "2.0.1", ROC_WEB),
    });
    expect(outcomes.map((o) => o.status)).toEqual(["updated", "updated"]);
    const reads = requestsSince(mark).filter(
      (r) => r === "GET git/get-tree" || r === "POST graphql",
    );
    // One read (heads, tree, files), then each branch's compare-and-swap move (updateRefs).
    expect(reads).toEqual([
      "POST graphql",
      "GET git/get-tree",
      "POST graphql",
      "POST graphql",
      "POST graphql",
    ]);
  });
});
