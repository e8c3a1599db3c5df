// End to end from a publish: the server process opens a deploy PR that writes staging only; its
// merge is recorded and verified in staging; after the soak a promotion PR moves production, whose
// pin stays where it was until that PR merges.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMonobot, waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { CONFIG, MONO, monorepoFiles } from "../helpers/deploy-world.js";
import { exampleFiles } from "../helpers/env-config.js";
import { E2E_TIMEOUT_MS, MAIN_PATH, WAIT_MS, settle } from "./harness.js";

const FLEET = "fleet/aether/fleet.yaml";
const DEPLOY_BRANCH = "monobot/deploy-roc-api";
const PROMOTE_BRANCH = "monobot/promote-roc-api-production";
const TIMEOUT_MS = 240_000;

interface Pull {
  number: number;
  title: string;
  body: string;
  state: string;
  head: { ref: string };
}

interface Dep {
  id: number;
  environment: string;
  task: string;
  sha: string;
  payload: Record<string, unknown>;
  statuses: Array<{ state: string; description: string }>;
}

/** The version a fleet.yaml's target customization pins for roc-api. */
function pinned(fleet: string, target: "staging" | "production"): string | undefined {
  const at = fleet.indexOf(`- name: ${target}`);
  if (at < 0) return undefined;
  const m = /roc-api:\n(?:\s+replicaCount: \d+\n)?\s+image:\n\s+tag: "([^"]+)"/.exec(
    fleet.slice(at),
  );
  return m?.[1];
}

describe("environments end to end from a publish: the server process against the sandbox", () => {
  let sandbox: Sandbox;
  let server: MonobotProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(MAIN_PATH)) {
      throw new Error("dist/main.js is missing: the end-to-end suite runs the built server");
    }
    sandbox = await startSandbox();
    sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
    sandbox.createOrg("acme", { members: ["alice"] });
    sandbox.createRepo({ owner: "acme", name: "mono", installation: true, files: monorepoFiles() });
    sandbox.createRepo({
      owner: "acme",
      name: "aether-config",
      installation: true,
      files: exampleFiles("3s"),
    });
    sandbox.createTag(MONO, "roc-api/v1.2.3", "main");
    server = await startMonobot({
      env: { ...sandbox.env(), MONOBOT_SCHEDULER: "off" },
      mainPath: MAIN_PATH,
    });
    sandbox.webhookUrl = server.webhookUrl;
    await settle(sandbox);
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    try {
      if (server && server.child.exitCode === null) await server.stop(10_000);
    } finally {
      server?.kill();
      await sandbox?.stop();
    }
  });

  const problems = () =>
    (server?.logs() ?? [])
      .filter((l) => (l.level ?? 0) >= 40)
      .map((l) => JSON.stringify(l))
      .slice(-10)
      .join("\n");
  const pullFrom = (branch: string): Pull | undefined => {
    // Pull requests only: the dashboard issue takes a number among them.
    for (const { number: n } of sandbox.pullInfos(CONFIG)) {
      const p = sandbox.pullRequest(CONFIG, n) as unknown as Pull;
      if (p.head.ref === branch) return p;
    }
    return undefined;
  };
  const deployments = () =>
    (sandbox.deployments(CONFIG) as unknown as Dep[]).filter((d) => d.task === "deploy");
  const fleetOn = (ref: string) => sandbox.readFile(CONFIG, ref, FLEET) as string;
  /** Merges a config-repo pull request and delivers the push, as GitHub would. */
  const mergeConfig = async (pull: Pull): Promise<string> => {
    const before = sandbox.branchSha(CONFIG, "main") as string;
    const after = sandbox.mergePullRequest(CONFIG, pull.number, {
      user: "alice",
      method: "squash",
    });
    const push = await sandbox.deliver(
      sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after }),
    );
    expect(push.status).toBe(202);
    return after;
  };
  /** Completes a dispatched workflow run and delivers its workflow_run event. */
  const complete = async (
    repo: string,
    dispatch: { runId: number; inputs: Record<string, string> },
  ) => {
    sandbox.completeWorkflowRun(dispatch.runId, "success");
    const event = sandbox.events.workflowRun({ repo, runId: dispatch.runId });
    // GitHub evaluates `run-name: ${{ inputs.monobot_run_id }}`; the sandbox names runs after their workflow.
    (event.payload.workflow_run as Record<string, unknown>).display_title =
      dispatch.inputs.monobot_run_id;
    await sandbox.deliver(event);
  };

  it(
    "publish -> deploy PR writes staging only -> merge -> staging Deployment + verify -> success -> soak -> promotion PR -> merge -> production Deployment success",
    async () => {
      const timeline: string[] = [];
      const t0 = Date.now();
      const mark = (what: string) =>
        timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

      // A release of roc-api merged in the monorepo: tagged, publish dispatched.
      const before = sandbox.branchSha(MONO, "main") as string;
      sandbox.pushCommit(MONO, {
        branch: "release",
        author: "alice",
        message: "Retry the upstream on 503",
        files: { "services/roc-api/VERSION": "1.4.0\n" },
      });
      const release = sandbox.openPullRequest(MONO, {
        head: "release",
        user: "alice",
        title: "Retry the upstream on 503",
      });
      const merged = sandbox.mergePullRequest(MONO, release.number, {
        user: "alice",
        method: "squash",
      });
      await sandbox.deliver(
        sandbox.events.push({ repo: MONO, ref: "refs/heads/main", before, after: merged }),
      );
      const publish = await waitUntil(() => sandbox.workflowDispatches(MONO)[0], {
        timeoutMs: WAIT_MS,
        what: "the publish dispatch",
        seen: problems,
      });
      await waitUntil(
        () => sandbox.statuses(MONO, merged).some((s) => s.context === "ci/roc-api/publish"),
        { timeoutMs: WAIT_MS, what: "the publish's pending status", seen: problems },
      );
      mark("release merged; publish dispatched");

      // The image is published: the deploy PR writes staging's pin, not production's.
      await complete(MONO, publish as { runId: number; inputs: Record<string, string> });
      const deployPr = await waitUntil(() => pullFrom(DEPLOY_BRANCH), {
        timeoutMs: WAIT_MS,
        what: "the deploy PR",
        seen: problems,
      });
      mark(`publish succeeded; deploy PR #${deployPr.number} opened`);
      expect(deployPr.title).toBe("Deploy roc-api 1.4.0");
      expect(deployPr.body).toContain("Deploys to staging; production keeps 1.2.3 until promoted.");
      const proposed = fleetOn(DEPLOY_BRANCH);
      expect(pinned(proposed, "staging")).toBe("1.4.0");
      expect(pinned(proposed, "production")).toBe("1.2.3");
      expect(sandbox.readFile(CONFIG, DEPLOY_BRANCH, "charts/roc-api/values.yaml")).toContain(
        'tag: "1.4.0"',
      );

      // Merged: staging's Deployment and its verification; production untouched.
      const deployMerge = await mergeConfig(deployPr);
      const dispatch = await waitUntil(() => sandbox.workflowDispatches(CONFIG)[0], {
        timeoutMs: WAIT_MS,
        what: "the api-tests dispatch in staging",
        seen: problems,
      });
      mark("deploy PR merged; staging Deployment recorded, api-tests dispatched");
      expect(dispatch.inputs).toMatchObject({
        environment: "staging",
        component: "roc-api",
        version: "1.4.0",
      });
      expect(deployments()).toHaveLength(1);
      expect(deployments()[0]).toMatchObject({
        environment: "staging",
        sha: deployMerge,
        payload: { component: "roc-api", version: "1.4.0" },
      });
      expect(deployments()[0]?.statuses[0]?.state).toBe("in_progress");
      expect(pinned(fleetOn("main"), "production")).toBe("1.2.3");

      // Verified, soaked: the promotion PR proposes production; main's production pin waits for it.
      await complete(CONFIG, dispatch as { runId: number; inputs: Record<string, string> });
      await waitUntil(
        () =>
          deployments()[0]?.statuses[0]?.description.startsWith("verified; soaking") || undefined,
        { timeoutMs: WAIT_MS, what: "the soak to start", seen: problems },
      );
      mark("api-tests succeeded; soaking 3s");
      expect(pinned(fleetOn("main"), "production")).toBe("1.2.3");
      const promotion = await waitUntil(() => pullFrom(PROMOTE_BRANCH), {
        timeoutMs: WAIT_MS,
        what: "the promotion PR",
        seen: problems,
      });
      mark(`promotion PR #${promotion.number} opened`);
      expect(promotion.title).toBe("Promote roc-api 1.4.0 to production");
      expect(deployments()[0]?.statuses[0]?.state).toBe("success");
      expect(pinned(fleetOn(PROMOTE_BRANCH), "production")).toBe("1.4.0");
      expect(pinned(fleetOn(PROMOTE_BRANCH), "staging")).toBe("1.4.0");
      expect(pinned(fleetOn("main"), "production")).toBe("1.2.3");

      // Merged: production's Deployment; its verdict (no verify jobs there) comes from outside.
      const promotionMerge = await mergeConfig(promotion);
      const production = await waitUntil(
        () => deployments().find((d) => d.environment === "production"),
        { timeoutMs: WAIT_MS, what: "the production Deployment", seen: problems },
      );
      mark("promotion PR merged; production Deployment recorded");
      expect(production).toMatchObject({
        sha: promotionMerge,
        payload: { component: "roc-api", version: "1.4.0" },
      });
      expect(pinned(fleetOn("main"), "production")).toBe("1.4.0");
      sandbox.setDeploymentStatus(CONFIG, production.id, { state: "success", user: "alice" });
      await sandbox.deliver(
        sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: production.id }),
      );
      await waitUntil(
        () =>
          deployments().find((d) => d.id === production.id)?.statuses[0]?.description ===
            "verified" || undefined,
        { timeoutMs: WAIT_MS, what: "production's Deployment to succeed", seen: problems },
      );
      mark("production Deployment success");
      expect(deployments().filter((d) => d.environment === "production")).toHaveLength(1);
      expect(deployments().filter((d) => d.environment === "staging")).toHaveLength(1);
      expect(sandbox.violations()).toEqual([]);
      console.info(`environments from a publish, server process:\n  ${timeline.join("\n  ")}`);
    },
    TIMEOUT_MS,
  );
});
