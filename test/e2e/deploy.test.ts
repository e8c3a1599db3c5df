// End to end: the real server process deploys a published release as ONE pull request on the config repo.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDeployMarker } from "../../src/core/deploy-pr.js";
import { startMonobot, waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { CONFIG, MONO, configFiles, monorepoFiles } from "../helpers/deploy-world.js";
import { E2E_TIMEOUT_MS, MAIN_PATH, WAIT_MS, settle } from "./harness.js";

const BRANCH = "monobot/deploy-roc-api";

describe("deploy PRs, end to end: the server process against the sandbox", () => {
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
      files: configFiles(),
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

  it(
    "release merged -> tag and publish dispatched; publish succeeds -> the deploy PR; the same delivery again -> nothing",
    async () => {
      const before = sandbox.branchSha(MONO, "main") as string;
      sandbox.pushCommit(MONO, {
        branch: "release",
        author: "alice",
        message: "Retry the upstream on 503",
        files: { "services/roc-api/VERSION": "1.3.0\n" },
      });
      const pr = sandbox.openPullRequest(MONO, {
        head: "release",
        user: "alice",
        title: "Retry the upstream on 503",
      });
      const merged = sandbox.mergePullRequest(MONO, pr.number, { user: "alice", method: "squash" });
      const push = await sandbox.deliver(
        sandbox.events.push({ repo: MONO, ref: "refs/heads/main", before, after: merged }),
      );
      expect(push.status).toBe(202);
      const dispatch = await waitUntil(() => sandbox.workflowDispatches(MONO)[0], {
        timeoutMs: WAIT_MS,
        what: "the publish dispatch",
        seen: problems,
      });
      expect(sandbox.refs(MONO)["refs/tags/roc-api/v1.3.0"]).toBe(merged);
      // The push's last write (Probot spaces writes a second apart): the publish's pending status.
      await waitUntil(
        () => sandbox.statuses(MONO, merged).some((s) => s.context === "ci/roc-api/publish"),
        { timeoutMs: WAIT_MS, what: "the publish's pending status", seen: problems },
      );

      sandbox.completeWorkflowRun(dispatch.runId, "success");
      const event = sandbox.events.workflowRun({ repo: MONO, runId: dispatch.runId });
      // GitHub evaluates `run-name: ${{ inputs.monobot_run_id }}`; the sandbox names runs after their workflow.
      (event.payload.workflow_run as Record<string, unknown>).display_title =
        dispatch.inputs.monobot_run_id;
      const mark = sandbox.mark();
      const delivery = await sandbox.deliver(event);
      expect(delivery.status).toBe(202);
      const opened = await waitUntil(
        () => {
          try {
            return sandbox.pullRequest(CONFIG, 1) as unknown as {
              title: string;
              body: string;
              head: { ref: string };
            };
          } catch {
            return undefined;
          }
        },
        { timeoutMs: WAIT_MS, what: "the deploy PR on the config repo", seen: problems },
      );
      expect(opened.title).toBe("Deploy roc-api 1.3.0");
      expect(opened.head.ref).toBe(BRANCH);
      expect(parseDeployMarker(opened.body)).toEqual({ component: "roc-api", version: "1.3.0" });
      expect(opened.body).toContain("- acme/mono#1 Retry the upstream on 503");
      expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/values.yaml")).toContain(
        "tag: 1.3.0",
      );
      const cost = sandbox
        .requests({ since: mark })
        .filter((r) => r.operationId !== "apps/create-installation-access-token");
      const writes = (since: number) =>
        sandbox
          .requests({ since })
          .filter(
            (r) =>
              r.method !== "GET" &&
              r.path !== "/graphql" &&
              r.operationId !== "apps/create-installation-access-token",
          )
          .map((r) => `${r.method} ${r.operationId}`);
      expect(writes(mark)).toEqual([
        "POST repos/create-commit-status",
        "POST git/create-tree",
        "POST git/create-commit",
        "POST git/create-ref",
        "POST pulls/create",
      ]);
      console.info(`publish result -> deploy PR, server process: ${cost.length} requests`);

      // GitHub's redelivery of the same event: the server has seen it, nothing is written.
      const again = sandbox.mark();
      const redelivered = await sandbox.deliver(
        { name: "workflow_run", payload: JSON.parse(delivery.body) as Record<string, unknown> },
        { deliveryId: delivery.id, rawBody: delivery.body },
      );
      expect(redelivered.status).toBe(202);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(writes(again)).toEqual([]);
      expect(sandbox.violations()).toEqual([]);
      expect(problems()).toBe("");
    },
    E2E_TIMEOUT_MS,
  );
});
