// End to end: the server process records a staging Deployment after a merge, verifies it, and
// after a soak interrupted by kill -9 opens the production promotion PR exactly once.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { exampleFiles } from "../helpers/env-config.js";
import { killHard, problems, startServer, stateFolder, StableAddress } from "./runtime-harness.js";

const CONFIG = "acme/aether-config";
const FLEET = "fleet/aether/fleet.yaml";
const TIMEOUT_MS = 120_000;
const WAIT_MS = 60_000;

describe("promotion, end to end: the server process against the sandbox", () => {
  let sandbox: Sandbox;
  let address: StableAddress;
  let stateDir: string;
  const servers: MonobotProcess[] = [];

  async function start(): Promise<MonobotProcess> {
    address.down();
    const server = await startServer(sandbox, {
      MONOBOT_STATE_DIR: stateDir,
      MONOBOT_SCHEDULER: "off",
    });
    servers.push(server);
    address.point(server.url);
    return server;
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
    sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
    sandbox.createOrg("acme", { members: ["alice"] });
    sandbox.createRepo({
      owner: "acme",
      name: "aether-config",
      installation: true,
      files: exampleFiles("8s"),
    });
    address = await StableAddress.start();
    sandbox.webhookUrl = address.webhookUrl;
    stateDir = stateFolder();
  });
  afterAll(async () => {
    for (const s of servers) s.kill();
    await Promise.all(servers.map((s) => s.exited));
    await address?.stop();
    await sandbox?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const deploymentsOf = () =>
    sandbox.deployments(CONFIG) as Array<{
      id: number;
      environment: string;
      statuses: Array<{ state: string; description: string }>;
    }>;
  const promotionPulls = () => {
    const out: Array<{ number: number; title: string; body: string; head: { ref: string } }> = [];
    // Pull requests only: the dashboard issue takes a number among them.
    for (const { number: n } of sandbox.pullInfos(CONFIG)) {
      const p = sandbox.pullRequest(CONFIG, n) as unknown as (typeof out)[number];
      if (p.head.ref.startsWith("monobot/promote-")) out.push(p);
    }
    return out;
  };

  it(
    "merge -> Deployment + dispatch (once, even redelivered) -> success -> kill -9 in the soak -> restart -> ONE production PR",
    async () => {
      const first = await start();
      const before = sandbox.branchSha(CONFIG, "main") as string;
      const fleet = sandbox.readFile(CONFIG, "main", FLEET) as string;
      sandbox.pushCommit(CONFIG, {
        branch: "deploy",
        author: "alice",
        message: "Deploy roc-api 1.4.0",
        files: { [FLEET]: fleet.replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      });
      const pr = sandbox.openPullRequest(CONFIG, {
        head: "deploy",
        user: "alice",
        title: "Deploy roc-api 1.4.0",
      });
      const after = sandbox.mergePullRequest(CONFIG, pr.number, {
        user: "alice",
        method: "squash",
      });
      const push = await sandbox.deliver(
        sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after }),
      );
      expect(push.status).toBe(202);
      const dispatch = await waitUntil(() => sandbox.workflowDispatches(CONFIG)[0], {
        timeoutMs: WAIT_MS,
        what: "the api-tests dispatch",
        seen: () => problems(first),
      });
      expect(dispatch.inputs).toMatchObject({ environment: "staging", version: "1.4.0" });
      // GitHub's redelivery of the push: no second Deployment or dispatch.
      await sandbox.deliver(
        { name: "push", payload: JSON.parse(push.body) as Record<string, unknown> },
        { deliveryId: push.id, rawBody: push.body },
      );
      await new Promise((r) => setTimeout(r, 1_500));
      expect(deploymentsOf()).toHaveLength(1);
      expect(sandbox.workflowDispatches(CONFIG)).toHaveLength(1);

      sandbox.completeWorkflowRun(dispatch.runId, "success");
      const event = sandbox.events.workflowRun({ repo: CONFIG, runId: dispatch.runId });
      (event.payload.workflow_run as Record<string, unknown>).display_title =
        dispatch.inputs.monobot_run_id;
      await sandbox.deliver(event);
      await waitUntil(
        () =>
          deploymentsOf()[0]?.statuses[0]?.description.startsWith("verified; soaking until") ||
          undefined,
        { timeoutMs: WAIT_MS, what: "the soak to start", seen: () => problems(first) },
      );
      await killHard(first);
      expect(promotionPulls()).toEqual([]);

      const second = await start();
      const opened = await waitUntil(() => promotionPulls()[0], {
        timeoutMs: WAIT_MS,
        what: "the promotion PR after the restart",
        seen: () => problems(second),
      });
      expect(opened.title).toBe("Promote roc-api 1.4.0 to production");
      expect(opened.head.ref).toBe("monobot/promote-roc-api-production");
      expect(deploymentsOf()[0]?.statuses[0]?.state).toBe("success");
      await new Promise((r) => setTimeout(r, 2_000));
      expect(promotionPulls()).toHaveLength(1);
      expect(sandbox.violations()).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
