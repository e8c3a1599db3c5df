// The deploy story through the real app (handlers, queue, services, Probot's Octokit) against the sandbox.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDeployMarker } from "../../src/core/deploy-pr.js";
import { parseDeploySource } from "../../src/workflows/open-deploy-pr.js";
import {
  CONFIG,
  MONO,
  monorepoFiles,
  startDeployWorld,
  type DeployWorld,
} from "../helpers/deploy-world.js";

const BRANCH = "monobot/deploy-roc-api";

interface PullView {
  number: number;
  title: string;
  body: string;
  state: string;
  merged?: boolean;
  head: { ref: string; sha: string };
  user: { login: string; type: string };
}

let world: DeployWorld;

beforeEach(async () => {
  world = await startDeployWorld();
});

afterEach(async () => {
  try {
    expect(world.errors()).toEqual([]);
    world.sandbox.assertNoViolations();
  } finally {
    await world.close();
  }
});

function pulls(repo = CONFIG): PullView[] {
  const out: PullView[] = [];
  for (let n = 1; n < 100; n++) {
    try {
      out.push(world.sandbox.pullRequest(repo, n) as unknown as PullView);
    } catch {
      break;
    }
  }
  return out.filter((p) => p.head.ref.startsWith("monobot/"));
}

/** Requests since `mark` as "METHOD operationId", tokens left out. */
function requestsSince(mark: number): string[] {
  return world.sandbox
    .requests({ since: mark })
    .filter((r) => r.operationId !== "apps/create-installation-access-token")
    .map((r) => `${r.method} ${r.operationId ?? r.path}`);
}

/** Writes since `mark` to one repository (GraphQL reads left out). */
function writesTo(repo: string, mark: number): string[] {
  return world.sandbox
    .requests({ since: mark })
    .filter((r) => r.method !== "GET" && r.path.startsWith(`/repos/${repo}/`))
    .map((r) => `${r.method} ${r.operationId ?? r.path}`);
}

/** The deploy handler's messages (what happened to each deploy), oldest first. */
function deployMessages(): string[] {
  return world
    .logs()
    .filter((l) => l.handler === "deploy" && typeof l.status === "string")
    .map((l) => String(l.msg));
}

function commitOf(sha: string) {
  return world.configCommit(sha);
}

async function releaseApi(version: string, title: string): Promise<string> {
  return world.merge(MONO, { "services/roc-api/VERSION": `${version}\n` }, title);
}

async function publishApi(
  version: string,
  title: string,
  conclusion: "success" | "failure" = "success",
) {
  const merged = await releaseApi(version, title);
  const run = await world.completeRun(MONO, "publish.yml", conclusion, (i) =>
    String(i.image).endsWith(`:${version}`),
  );
  return { merged, ...run };
}

describe("deploy PRs on the config repo, through the app", () => {
  it("publish success -> ONE PR on the config repo: the right files, body and branch", async () => {
    const { sandbox } = world;
    const pushMark = sandbox.mark();
    const merged = await releaseApi("1.3.0", "Retry the upstream on 503");
    const mergeCost = requestsSince(pushMark);
    expect(sandbox.refs(MONO)["refs/tags/roc-api/v1.3.0"]).toBe(merged);
    expect(pulls()).toEqual([]);

    const mark = sandbox.mark();
    await world.completeRun(MONO, "publish.yml", "success");
    const publishCost = requestsSince(mark);

    const [pr] = pulls();
    expect(pr).toMatchObject({
      number: 1,
      title: "Deploy roc-api 1.3.0",
      state: "open",
      head: { ref: BRANCH },
    });
    expect(parseDeployMarker(pr?.body)).toEqual({ component: "roc-api", version: "1.3.0" });
    expect(pr?.body).toContain(
      "**roc-api** 1.2.3 -> **1.3.0**, image `ghcr.io/acme/roc-api:1.3.0`.",
    );
    expect(pr?.body).toContain("### Changes in acme/mono (roc-api/v1.2.3...roc-api/v1.3.0)");
    expect(pr?.body).toContain("- acme/mono#1 Retry the upstream on 503");
    expect(pr?.body).toMatch(
      /\[Compare roc-api\/v1\.2\.3\.\.\.roc-api\/v1\.3\.0\]\(http:\/\/127\.0\.0\.1:\d+\/acme\/mono\/compare\/roc-api\/v1\.2\.3\.\.\.roc-api\/v1\.3\.0\)/,
    );
    expect(pr?.body).toContain(
      "- `charts/edge` takes `roc-api` from oci://ghcr.io/acme/charts (pin 0.4.x)",
    );
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/values.yaml")).toContain(
      "  tag: 1.3.0  # roc-api release\n",
    );
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/Chart.yaml")).toContain(
      "version: 0.4.2   # bumped by monobot",
    );
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/aether/Chart.yaml")).toContain(
      "version: 1.4.1\n",
    );
    const head = await commitOf(sandbox.branchSha(CONFIG, BRANCH) as string);
    expect(head.parents).toEqual([sandbox.branchSha(CONFIG, "main")]);
    expect(parseDeploySource(head.message)).toEqual({ owner: "acme", name: "mono" });
    // The publish's own status, as for every CI job.
    expect(sandbox.statuses(MONO, merged).map((s) => [s.context, s.state])).toContainEqual([
      "ci/roc-api/publish",
      "success",
    ]);

    // What one bump costs, end to end (reported; the workflow's own share is pinned in its tests).
    expect(mergeCost.filter((r) => r.startsWith("POST actions/"))).toEqual([
      "POST actions/create-workflow-dispatch",
    ]);
    expect(publishCost).toEqual([
      "POST repos/create-commit-status",
      "GET repos/get-content",
      "GET git/list-matching-refs",
      "GET repos/compare-commits",
      // The component's folders (its VERSION is among the paths the compare lists), and the
      // commits that touched them (release notes per component).
      "GET repos/get-content",
      "POST graphql",
      "GET apps/get-repo-installation",
      "GET pulls/list",
      "POST graphql",
      "GET git/get-tree",
      "POST graphql",
      "POST git/create-tree",
      "POST git/create-commit",
      "POST git/create-ref",
      "POST pulls/create",
    ]);
    console.info(
      `one bump, end to end: merge push ${mergeCost.length} requests (${mergeCost.join(", ")}); publish result -> deploy PR ${publishCost.length} requests`,
    );
  });

  it("a newer version -> the same PR updated: one commit on main, new title and body", async () => {
    const { sandbox } = world;
    await publishApi("1.3.0", "Retry the upstream on 503");
    const first = sandbox.branchSha(CONFIG, BRANCH);
    await publishApi("1.4.0", "Add a health check");
    const all = pulls();
    expect(all).toHaveLength(1);
    const pr = all[0] as PullView;
    expect(pr.title).toBe("Deploy roc-api 1.4.0");
    expect(parseDeployMarker(pr.body)?.version).toBe("1.4.0");
    expect(pr.body).toContain("**roc-api** 1.3.0 -> **1.4.0**");
    expect(pr.body).toContain("Supersedes roc-api 1.3.0, proposed earlier in this pull request.");
    expect(pr.body).toContain("- acme/mono#2 Add a health check");
    expect(pr.body).not.toContain("acme/mono#1 Retry");
    const head = sandbox.branchSha(CONFIG, BRANCH) as string;
    expect(head).not.toBe(first);
    expect((await commitOf(head)).parents).toEqual([sandbox.branchSha(CONFIG, "main")]);
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/values.yaml")).toContain("tag: 1.4.0");
    // Built from main again: the chart goes up once.
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/Chart.yaml")).toContain(
      "version: 0.4.2",
    );
  });

  it("a redelivered publish changes nothing: the same delivery is dropped, a new process writes nothing to the config repo", async () => {
    const { sandbox } = world;
    const { event, delivery } = await publishApi("1.3.0", "Retry the upstream on 503");
    const pr = pulls()[0] as PullView;
    const head = sandbox.branchSha(CONFIG, BRANCH);

    let mark = sandbox.mark();
    await world.deliver(event, delivery);
    expect(requestsSince(mark)).toEqual([]);

    // A restarted monobot has forgotten the delivery id: the deploy runs again, and finds it done.
    mark = sandbox.mark();
    await world.deliver(event, `${delivery}-after-restart`);
    expect(writesTo(CONFIG, mark)).toEqual([]);
    expect(sandbox.branchSha(CONFIG, BRANCH)).toBe(head);
    expect(pulls()).toEqual([pr]);
  });

  it("the config repo's default branch moves -> the open PR is rebuilt on it", async () => {
    const { sandbox } = world;
    await publishApi("1.3.0", "Retry the upstream on 503");
    const before = sandbox.branchSha(CONFIG, "main") as string;
    // Someone releases the umbrella by hand meanwhile: the deploy must not propose 1.4.1 again.
    const moved = sandbox.pushCommit(CONFIG, {
      branch: "main",
      author: "alice",
      message: "aether 1.5.0",
      files: {
        "charts/aether/Chart.yaml": (
          sandbox.readFile(CONFIG, "main", "charts/aether/Chart.yaml") as string
        ).replace("version: 1.4.0", "version: 1.5.0"),
      },
    });
    const mark = sandbox.mark();
    await world.deliver(
      sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after: moved.sha }),
    );
    console.info(`base moved: ${requestsSince(mark).join(", ")}`);
    const head = sandbox.branchSha(CONFIG, BRANCH) as string;
    expect((await commitOf(head)).parents).toEqual([moved.sha]);
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/aether/Chart.yaml")).toContain(
      "version: 1.5.1\n",
    );
    const pr = pulls()[0] as PullView;
    expect(pr.body).toContain("| `charts/aether` | 1.5.0 -> 1.5.1 |");
    // The rebuild keeps the release notes (from the monorepo) and the version.
    expect(pr.body).toContain("- acme/mono#1 Retry the upstream on 503");
    expect(parseDeployMarker(pr.body)?.version).toBe("1.3.0");
    // The branch moved (its head is on the new base, above) by a compare-and-swap (GraphQL
    // updateRefs), never by a forced REST update-ref.
    expect(writesTo(CONFIG, mark)).toEqual(
      expect.arrayContaining(["POST git/create-commit", "PATCH pulls/update"]),
    );
    expect(writesTo(CONFIG, mark)).not.toContain("PATCH git/update-ref");

    // The same push again: the PR is on the new base, nothing is rebuilt.
    const again = sandbox.mark();
    await world.deliver(
      sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after: moved.sha }),
    );
    expect(writesTo(CONFIG, again).filter((w) => !w.includes("statuses"))).toEqual([]);
  });

  it("a 422 race on the deploy branch -> read again and retried", async () => {
    const { sandbox } = world;
    await releaseApi("1.3.0", "Retry the upstream on 503");
    const fault = sandbox.injectFault({
      method: "POST",
      pathPattern: `/repos/${CONFIG}/git/refs`,
      times: 1,
      kind: { status: 422, body: { message: "Reference already exists" } },
    });
    await world.completeRun(MONO, "publish.yml", "success");
    expect(fault.hits()).toBe(1);
    const all = pulls();
    expect(all.map((p) => [p.number, p.title])).toEqual([[1, "Deploy roc-api 1.3.0"]]);
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/values.yaml")).toContain("tag: 1.3.0");
    expect(
      sandbox
        .requests({ operationId: "git/create-ref" })
        .filter((r) => r.path.startsWith(`/repos/${CONFIG}/`))
        .map((r) => r.status),
    ).toEqual([422, 201]);
  });

  it("a rollback -> nothing: the config repo runs a newer version already", async () => {
    const { sandbox } = world;
    sandbox.pushCommit(CONFIG, {
      branch: "main",
      author: "alice",
      message: "roc-web 2.5.0 by hand",
      files: {
        "charts/roc-web/values.yaml": (
          sandbox.readFile(CONFIG, "main", "charts/roc-web/values.yaml") as string
        ).replace("tag: '2.0.1'", "tag: '2.5.0'"),
      },
    });
    const mark = sandbox.mark();
    await world.merge(MONO, { "services/roc-web/VERSION": "2.1.0\n" }, "roc-web: a fix");
    expect(sandbox.refs(MONO)["refs/tags/roc-web/v2.1.0"]).toBeDefined();
    expect(writesTo(CONFIG, mark)).toEqual([]);
    expect(pulls()).toEqual([]);
    expect(deployMessages()).toEqual([
      expect.stringMatching(
        /^roc-web 2\.1\.0 on acme\/aether-config: the config repo runs a newer roc-web already \(charts\/roc-web runs 2\.5\.0\); 2\.1\.0 would be a rollback/,
      ),
    ]);
  });

  it("a PR closed without merging is not reopened; a newer version opens a new one", async () => {
    const { sandbox } = world;
    const { event } = await publishApi("1.3.0", "Retry the upstream on 503");
    sandbox.updatePullRequest(CONFIG, 1, { state: "closed" });
    const mark = sandbox.mark();
    await world.deliver(event, "a-rerun-of-the-publish");
    expect(writesTo(CONFIG, mark)).toEqual([]);
    expect(pulls().map((p) => [p.number, p.state])).toEqual([[1, "closed"]]);
    expect(deployMessages().at(-1)).toBe(
      "acme/aether-config#1 proposed roc-api 1.3.0 and was closed without merging; monobot does not propose it again.",
    );

    await publishApi("1.4.0", "Add a health check");
    expect(pulls().map((p) => [p.number, p.state, p.title])).toEqual([
      [1, "closed", "Deploy roc-api 1.3.0"],
      [2, "open", "Deploy roc-api 1.4.0"],
    ]);
  });

  it("no publish job -> the release tag itself opens the deploy PR", async () => {
    const { sandbox } = world;
    const merged = await world.merge(
      MONO,
      { "services/roc-web/VERSION": "2.1.0\n" },
      "Faster pages",
    );
    expect(sandbox.refs(MONO)["refs/tags/roc-web/v2.1.0"]).toBe(merged);
    expect(sandbox.workflowDispatches(MONO)).toEqual([]);
    const [pr] = pulls();
    expect(pr).toMatchObject({
      title: "Deploy roc-web 2.1.0",
      head: { ref: "monobot/deploy-roc-web" },
    });
    expect(pr?.body).toContain("### Changes in acme/mono (roc-web/v2.0.1...roc-web/v2.1.0)");
    expect(pr?.body).toContain("- acme/mono#1 Faster pages");
    expect(
      sandbox.readFile(CONFIG, "monobot/deploy-roc-web", "charts/roc-web/values.yaml"),
    ).toContain("tag: '2.1.0'");
  });

  it("a failed publish -> nothing on the config repo", async () => {
    const { sandbox } = world;
    await releaseApi("1.3.0", "Retry the upstream on 503");
    const mark = sandbox.mark();
    await world.completeRun(MONO, "publish.yml", "failure");
    expect(requestsSince(mark)).toEqual(["POST repos/create-commit-status"]);
    expect(pulls()).toEqual([]);
  });

  it("a Jenkins or webhook job's callback reporting the publish's success deploys the same way", async () => {
    const { sandbox } = world;
    await releaseApi("1.3.0", "Retry the upstream on 503");
    const [dispatch] = sandbox.workflowDispatches(MONO);
    await world.callback({ run_id: dispatch?.inputs.monobot_run_id, result: "SUCCESS" });
    expect(pulls().map((p) => p.title)).toEqual(["Deploy roc-api 1.3.0"]);
    // The same callback again is the same job: dropped.
    const mark = sandbox.mark();
    await world.callback({ run_id: dispatch?.inputs.monobot_run_id, result: "SUCCESS" });
    expect(requestsSince(mark)).toEqual([]);
  });

  it("a repository dependency -> the follow-up PR once the config repo's chart publish succeeds", async () => {
    const { sandbox } = world;
    await publishApi("1.3.0", "Retry the upstream on 503");
    // A chart version that the chart repository has already is refused, not published again.
    sandbox.createTag(CONFIG, "legacy-0.9.1", "main");
    const before = sandbox.branchSha(CONFIG, "main") as string;
    const merged = sandbox.mergePullRequest(CONFIG, 1, { user: "alice", method: "merge" });
    await world.deliver(
      sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after: merged }),
    );
    const dispatched = sandbox
      .workflowDispatches(CONFIG)
      .map((d) => `${String(d.inputs.chart)}@${String(d.inputs.version)}`);
    expect(dispatched).toEqual([
      "charts/aether@1.4.1",
      "charts/platform@2.0.1",
      "charts/roc-api@0.4.2",
    ]);
    expect(
      sandbox
        .statuses(CONFIG, merged)
        .filter((s) => s.context === "ci/legacy/chart-publish")
        .map((s) => [s.state, s.description]),
    ).toEqual([
      [
        "failure",
        expect.stringMatching(/^chart legacy 0\.9\.1 is published already \(tag legacy-0\.9\.1 at/),
      ],
    ]);

    // aether's publish: nobody takes aether from a chart repository, so nothing follows.
    await world.completeRun(
      CONFIG,
      "chart-release.yml",
      "success",
      (i) => i.chart === "charts/aether",
    );
    expect(pulls().filter((p) => p.state === "open")).toEqual([]);

    await world.completeRun(
      CONFIG,
      "chart-release.yml",
      "success",
      (i) => i.chart === "charts/roc-api",
    );
    const open = pulls().filter((p) => p.state === "open");
    expect(open.map((p) => [p.title, p.head.ref])).toEqual([
      ["Take chart roc-api 0.4.2", "monobot/deploy-chart-roc-api"],
    ]);
    expect(parseDeployMarker(open[0]?.body)).toEqual({
      component: "chart:roc-api",
      version: "0.4.2",
    });
    expect(
      sandbox.readFile(CONFIG, "monobot/deploy-chart-roc-api", "charts/edge/Chart.yaml"),
    ).toContain("version: 3.1.1\n");
    expect(open[0]?.body).toContain(
      "- `charts/edge` takes `roc-api` from oci://ghcr.io/acme/charts: its pin admits 0.4.2.",
    );
  });

  it("a config repo where the App is not installed: the log says what to fix, nothing fails", async () => {
    await world.close();
    const files = monorepoFiles();
    files[".github/monobot.yml"] = (files[".github/monobot.yml"] as string).replace(
      "config_repo: acme/aether-config",
      "config_repo: acme/elsewhere",
    );
    world = await startDeployWorld({ mono: files });
    await publishApi("1.3.0", "Retry the upstream on 503");
    expect(pulls()).toEqual([]);
    expect(world.logs().map((l) => l.msg)).toContain(
      "monobot is not installed on acme/elsewhere (deploy.config_repo): install the App there, or correct deploy.config_repo",
    );
  });

  it("monobot's own deploy PR is verified like any other PR of the config repo", async () => {
    const { sandbox } = world;
    await publishApi("1.3.0", "Retry the upstream on 503");
    const pr = pulls()[0] as PullView;
    expect(pr.user).toMatchObject({ login: sandbox.botLogin, type: "Bot" });
    await world.deliver(
      sandbox.events.pullRequest({ repo: CONFIG, number: pr.number, action: "opened" }),
    );
    const runs = sandbox.checkRuns(CONFIG, pr.head.sha) as unknown as {
      name: string;
      conclusion: string;
    }[];
    expect(runs.map((r) => r.name)).toEqual(
      expect.arrayContaining(["monobot/config", "monobot/lint", "monobot/versions"]),
    );
    expect(runs.find((r) => r.name === "monobot/versions")?.conclusion).toBe("success");
    expect(runs.find((r) => r.name === "monobot/lint")?.conclusion).toBe("success");
    // Its CI runs too: the App's own pull request needs no /ok-to-test.
    expect(sandbox.statuses(CONFIG, pr.head.sha).map((s) => [s.context, s.state])).toContainEqual([
      "ci/aether-config/chart-lint",
      "pending",
    ]);
    expect(sandbox.workflowDispatches(CONFIG).map((d) => [d.workflowPath, d.inputs.pr])).toEqual([
      [".github/workflows/chart-lint.yml", String(pr.number)],
    ]);
  });
});
