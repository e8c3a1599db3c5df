// End to end: webhook intake refuses what GitHub did not sign and survives payloads it cannot handle.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../src/demo.js";
import { signBody } from "../../src/sandbox/webhooks.js";
import {
  E2E_TIMEOUT_MS,
  checkNamesOk,
  checkRunsOn,
  deliverAndWait,
  handledJobs,
  metricValue,
  openCleanPullRequest,
  pause,
  startWorld,
  violationLines,
  WAIT_MS,
  type World,
} from "./harness.js";

describe("webhook intake, end to end", () => {
  let world: World;

  beforeAll(async () => {
    // The scheduler off: nothing but the deliveries calls GitHub: "no request reaches the sandbox" is exact.
    world = await startWorld({ env: { MONOBOT_SCHEDULER: "off" } });
  });
  afterEach(() => {
    expect(violationLines(world)).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });

  it(
    "a bad signature gets 4xx and causes nothing: no job, no request to GitHub",
    async () => {
      const pr = openCleanPullRequest(world);
      const event = world.sandbox.events.pullRequest({
        repo: world.repo,
        number: pr.number,
        action: "opened",
      });
      const body = JSON.stringify(event.payload);
      const jobs = await handledJobs(world);
      const mark = world.sandbox.mark();

      const answers = [
        // Signed with another secret.
        await world.sandbox.deliver(event, { secret: "not-the-webhook-secret" }),
        // The right secret over another body: the payload was changed in transit.
        await world.sandbox.deliver(event, {
          rawBody: body.replace('"opened"', '"reopened"'),
          signature: signBody(world.sandbox.webhookSecret, body),
        }),
        // Not a signature at all.
        await world.sandbox.deliver(event, { signature: "sha256=00" }),
        // No X-Hub-Signature-256 header.
        await world.sandbox.deliver(event, { signature: "" }),
      ];
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 400]);

      await pause(1_500);
      expect(world.sandbox.requests({ since: mark })).toEqual([]);
      expect(await handledJobs(world)).toBe(jobs);
      expect(checkRunsOn(world, pr.headSha)).toEqual([]);
      expect(
        await metricValue(world, "monobot_webhook_events_total", { outcome: "bad_signature" }),
      ).toBe(3);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "signed but malformed payloads get 4xx; the server keeps serving and handles the next good delivery",
    async () => {
      const pr = openCleanPullRequest(world);
      const good = world.sandbox.events.pullRequest({
        repo: world.repo,
        number: pr.number,
        action: "opened",
      });
      const mark = world.sandbox.mark();
      const pullRequest = good.payload.pull_request as Record<string, unknown>;
      const malformed: Array<{ name: string; body: string }> = [
        { name: "pull_request", body: "this is not JSON {" },
        { name: "pull_request", body: "null" },
        { name: "pull_request", body: JSON.stringify({ action: "opened" }) },
        {
          name: "pull_request",
          body: JSON.stringify({
            ...good.payload,
            pull_request: { ...pullRequest, head: undefined, base: undefined },
          }),
        },
        { name: "issue_comment", body: JSON.stringify({ action: "created" }) },
      ];
      for (const m of malformed) {
        const answer = await world.sandbox.deliver(
          { name: m.name, payload: {} },
          { rawBody: m.body },
        );
        expect(answer.status, `${m.name} ${m.body.slice(0, 40)}`).toBe(400);
      }

      // Well-formed but without an installation: accepted, and each job it queued (the
      // verification, the deployment gate and the access check) fails for want of a token.
      const { installation: _installation, ...uninstalled } = good.payload;
      const jobs = await world.server.handled();
      const queued = () =>
        metricValue(world, "monobot_webhook_events_total", { outcome: "queued" });
      const queuedBefore = await queued();
      const accepted = await world.sandbox.deliver({ name: good.name, payload: uninstalled });
      expect(accepted.status).toBe(202);
      const failing = (await queued()) - queuedBefore;
      expect(failing).toBe(3);
      await waitUntil(async () => (await world.server.handled()).error === jobs.error + failing, {
        timeoutMs: WAIT_MS,
        what: "the jobs of the delivery without an installation to fail",
      });

      expect(world.server.child.exitCode).toBeNull();
      expect((await fetch(`${world.server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${world.server.url}/readyz`)).status).toBe(200);
      // Nothing was written to GitHub for them.
      expect(
        world.sandbox
          .requests({ since: mark })
          .filter((r) => r.method !== "GET")
          .map((r) => `${r.method} ${r.operationId} ${r.status}`),
      ).toEqual([]);

      await deliverAndWait(world, good);
      expect(checkNamesOk(checkRunsOn(world, pr.headSha).map((r) => r.name))).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  // BUG (src/server/http-server.ts): the "is a JSON object" test lets arrays through, so a signed array
  // is acknowledged 202 as if it were an event; it should get the same 400 as `null`.
  it(
    "a signed JSON array is refused like any payload that is not a JSON object",
    async () => {
      const answer = await world.sandbox.deliver(
        { name: "pull_request", payload: {} },
        { rawBody: "[1, 2, 3]" },
      );
      expect(answer.status).toBe(400);
    },
    E2E_TIMEOUT_MS,
  );
});
