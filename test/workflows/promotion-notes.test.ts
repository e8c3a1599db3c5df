// The promotion PR's release notes and preview through the real app against the sandbox: the
// monorepo named by the deploy commit's trailer, only the component's commits, the targets.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nock from "nock";
import { CONFIG, MONO, startDeployWorld, type DeployWorld } from "../helpers/deploy-world.js";
import { exampleFiles } from "../helpers/env-config.js";

const FLEET = "fleet/aether/fleet.yaml";
const PROMOTE = "monobot/promote-roc-api-production";

type Dep = { id: number; environment: string; payload: Record<string, unknown> };

describe("promotion PR: release notes per component and where it goes", () => {
  let world: DeployWorld;
  let branches = 0;
  beforeEach(() => {
    nock.enableNetConnect("127.0.0.1");
  });
  afterEach(async () => {
    await world?.close();
  });

  const fleet = () => world.sandbox.readFile(CONFIG, "main", FLEET) as string;
  /** The promotion pull request (found by its branch: the dashboard issue takes a number too). */
  const promotionPull = () => {
    const found = world.sandbox.pullInfos(CONFIG).find((p) => p.headRef === PROMOTE);
    if (!found) throw new Error(`no pull request from ${PROMOTE}`);
    return world.sandbox.pullRequest(CONFIG, found.number) as unknown as {
      head: { ref: string };
      body: string;
    };
  };

  /** roc-api 1.4.0 released in the monorepo, with a commit of roc-web and one of roc-api before it. */
  function releaseApi(): void {
    const { sandbox } = world;
    const commit = (files: Record<string, string>, message: string) =>
      sandbox.pushCommit(MONO, { branch: "main", files, message, author: "alice" });
    commit({ "services/roc-web/index.ts": "export const a = 1;\n" }, "Web: a (#5)");
    commit({ "services/roc-api/main.go": "package main // retry\n" }, "API: retry on 503 (#6)");
    commit({ "services/roc-api/VERSION": "1.4.0\n" }, "Release roc-api 1.4.0 (#7)");
    sandbox.createTag(MONO, "roc-api/v1.4.0", "main");
  }

  /** Merges `message`'s commit with a merge commit (the push lists it) and delivers the push. */
  async function mergeWithMessage(files: Record<string, string>, message: string) {
    const { sandbox } = world;
    const branch = `change-${++branches}`;
    const before = sandbox.branchSha(CONFIG, "main") as string;
    sandbox.pushCommit(CONFIG, { branch, files, author: "alice", message });
    const pr = sandbox.openPullRequest(CONFIG, { head: branch, user: "alice", title: message });
    const after = sandbox.mergePullRequest(CONFIG, pr.number, { user: "alice", method: "merge" });
    await world.deliver(
      sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after }),
    );
    return pr.number;
  }

  it("the deploy commit names the monorepo: notes of roc-api only, 1.2.3 -> 1.4.0; the production target; the source travels on", async () => {
    world = await startDeployWorld({ config: exampleFiles(undefined) });
    releaseApi();
    await mergeWithMessage(
      { [FLEET]: fleet().replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      "Deploy roc-api 1.4.0\n\nMonobot-Source: acme/mono",
    );
    const staging = world.sandbox.deployments(CONFIG)[0] as unknown as Dep;
    expect(staging.payload).toMatchObject({
      component: "roc-api",
      version: "1.4.0",
      source: "acme/mono",
    });

    const mark = world.sandbox.mark();
    await world.completeRun(CONFIG, "api-tests.yml", "success");
    const monorepoReads = world.sandbox
      .requests({ since: mark })
      .filter((r) => r.path.startsWith(`/repos/${MONO}/`))
      .map((r) => r.operationId);
    // roc-api's VERSION is among the paths the tags differ in: no tree listing.
    expect(monorepoReads).toEqual(["repos/get-content", "repos/compare-commits"]);

    const text = promotionPull().body;
    expect(text).toContain("Supersedes roc-api 1.2.3 in production.");
    expect(text).toContain("### Changes in acme/mono (roc-api/v1.2.3...roc-api/v1.4.0)");
    expect(text).toContain("- acme/mono#6 API: retry on 503");
    expect(text).toContain("- acme/mono#7 Release roc-api 1.4.0");
    expect(text).not.toContain("Web: a");
    expect(text).toMatch(
      /Only the commits that touched roc-api's folders \(`services\/roc-api`\); 1 other commit between the tags did not\./,
    );
    expect(text).toMatch(
      /### Where it goes in production\n\n\| Target \| Clusters \| Pin \|\n\| --- \| --- \| --- \|\n\| production \| [^|]+ \| `fleet\/aether\/fleet\.yaml:\d+` \|/,
    );

    // The promotion's commit names the monorepo too: production's Deployment records it.
    const before = world.sandbox.branchSha(CONFIG, "main") as string;
    const promotion = world.sandbox.pullInfos(CONFIG).find((p) => p.headRef === PROMOTE);
    const after = world.sandbox.mergePullRequest(CONFIG, promotion?.number ?? 0, {
      user: "alice",
      method: "merge",
    });
    await world.deliver(
      world.sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after }),
    );
    const prod = world.sandbox.deployments(CONFIG)[0] as unknown as Dep;
    expect(prod).toMatchObject({ environment: "production", payload: { source: "acme/mono" } });
    expect(world.errors()).toEqual([]);
    expect(world.sandbox.violations()).toEqual([]);
  });

  it("a hand edit of staging's pin names no monorepo: the PR says why it has no notes, and reads nothing there", async () => {
    world = await startDeployWorld({ config: exampleFiles(undefined) });
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      "bump by hand",
    );
    const mark = world.sandbox.mark();
    await world.completeRun(CONFIG, "api-tests.yml", "success");
    expect(
      world.sandbox.requests({ since: mark }).filter((r) => r.path.startsWith(`/repos/${MONO}/`)),
    ).toEqual([]);
    const pull = promotionPull();
    expect(pull.head.ref).toBe(PROMOTE);
    expect(pull.body).toContain(
      "### Release notes\n\nNo release notes: the change that deployed roc-api 1.4.0 does not name its monorepo",
    );
    expect(world.errors()).toEqual([]);
  });
});
