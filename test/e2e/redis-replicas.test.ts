// End to end: two server processes sharing one Redis (REDIS_URL) do every piece of work once: a
// delivery sent to both, a burst over both, a replica killed mid-job, each schedule slot.
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startRedisServer, type RedisServer } from "../../src/runtime/redis-server.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import {
  createAlice,
  deliverAll,
  duplicatesOf,
  killHard,
  opened,
  problems,
  seedInstallation,
  seedInstallations,
  startServer,
  verificationOf,
  waitVerified,
} from "./runtime-harness.js";

const TIMEOUT_MS = 90_000;
const WAIT_MS = 60_000;
const SCHEDULED = "sched/nightly";

/** A repository whose `nightly` job runs every minute for each of its two components. */
function seedScheduledRepo(sandbox: Sandbox): void {
  sandbox.createOrg("sched", { members: ["alice"] });
  sandbox.createRepo({
    owner: "sched",
    name: "nightly",
    installation: true,
    files: {
      LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
      "services/api/VERSION": "1.0.0\n",
      "services/web/VERSION": "1.0.0\n",
      ".github/monobot.yml": [
        "jobs:",
        "  templates:",
        "    nightly:",
        "      on: schedule",
        '      cron: "* * * * *"',
        "      backend: { type: github-actions, workflow: nightly.yml }",
        '      inputs: { component: "{component}" }',
        "",
      ].join("\n"),
      ".github/workflows/nightly.yml": [
        "name: nightly",
        "run-name: ${{ inputs.monobot_run_id }}",
        "on:",
        "  workflow_dispatch:",
        "    inputs:",
        "      component: { required: true, type: string }",
        "      monobot_run_id: { required: false, type: string }",
        "jobs:",
        "  test: { runs-on: ubuntu-latest, steps: [{ run: echo nightly }] }",
        "",
      ].join("\n"),
    },
  });
}

/** Verification jobs finished (the `pull-request` handler's; the gate's are not counted). */
async function handled(...servers: MonobotProcess[]): Promise<number> {
  let total = 0;
  for (const s of servers) {
    const text = await s.metrics();
    for (const m of text.matchAll(/^monobot_handler_duration_seconds_count\{([^}]*)\} (\S+)$/gm)) {
      if ((m[1] ?? "").includes('event="pull-request"')) total += Number(m[2]);
    }
  }
  return total;
}

describe("two replicas on one Redis, end to end", () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let a: MonobotProcess;
  let b: MonobotProcess;
  const servers: MonobotProcess[] = [];

  async function replica(): Promise<MonobotProcess> {
    const server = await startServer(sandbox, {
      REDIS_URL: redis.url,
      // A replica silent for 3 s is taken over (30 s in production): keeps the failover short.
      MONOBOT_REDIS_LOCK_SECONDS: "3",
      MONOBOT_CONCURRENCY: "6",
    });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    sandbox = await startSandbox();
    createAlice(sandbox);
    seedScheduledRepo(sandbox);
    a = await replica();
    b = await replica();
    sandbox.webhookUrl = a.webhookUrl;
  });
  afterEach(() => {
    expect(sandbox.violations().map((v) => `${v.method} ${v.path}: ${v.problem}`)).toEqual([]);
  });
  afterAll(async () => {
    for (const s of servers) s.kill();
    await Promise.all(servers.map((s) => s.exited));
    await sandbox?.stop();
    await redis?.stop();
  });

  it(
    "the same delivery sent to both replicas is handled once",
    async () => {
      const pr = seedInstallation(sandbox, "twice");
      const before = await handled(a, b);
      const event = opened(sandbox, pr);
      const deliveryId = randomUUID();
      const answers = await Promise.all(
        [a, b].map((s) => sandbox.deliver(event, { url: s.webhookUrl, deliveryId })),
      );
      expect(answers.map((x) => x.status)).toEqual([202, 202]);
      await waitVerified(sandbox, [pr], { timeoutMs: WAIT_MS, seen: () => problems(a, b) });
      // Time for a second run to show itself, were there one.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await handled(a, b)).toBe(before + 1);
      expect(duplicatesOf(sandbox, [pr])).toEqual([]);
      const runs = sandbox.checkRuns(pr.repo, pr.headSha) as unknown as { external_id: string }[];
      expect(new Set(runs.map((r) => r.external_id))).toEqual(new Set([deliveryId]));
    },
    TIMEOUT_MS,
  );

  it(
    "a burst of 12 pull requests from 12 installations, delivered to both replicas in turn: every one gets its checks once",
    async () => {
      const prs = seedInstallations(sandbox, "burst", 12);
      const before = await handled(a, b);
      await deliverAll(sandbox, prs, (i) => (i % 2 === 0 ? a : b).webhookUrl);
      await waitVerified(sandbox, prs, { timeoutMs: WAIT_MS, seen: () => problems(a, b) });
      expect(duplicatesOf(sandbox, prs)).toEqual([]);
      await waitUntil(async () => (await handled(a, b)) >= before + prs.length, {
        timeoutMs: 10_000,
        what: "the handled counters",
      });
      expect(await handled(a, b)).toBe(before + prs.length);
      expect((await a.handled()).error + (await b.handled()).error).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    "each schedule slot fires once across the replicas",
    async () => {
      // Both schedulers know the repository (listed at start-up, then a first tick) and tick
      // just after each minute: the first minute after that is raced for by both.
      const registered: number[] = [];
      for (const s of [a, b]) {
        const line = await waitUntil(
          () => s.logs().find((l) => l.msg === "scheduler: repositories registered"),
          { timeoutMs: WAIT_MS, what: "the scheduler to list the installed repositories" },
        );
        registered.push(Number(line.time));
      }
      const nextSlot = Math.floor(Math.max(...registered) / 60_000) * 60_000 + 60_000;
      const started = () =>
        [a, b].flatMap((s) => s.logs().filter((l) => l.msg === "scheduled job started"));
      // The first minute to start after both were up, and its dispatches (one per component).
      await waitUntil(
        () => started().filter((l) => Date.parse(String(l.fire)) >= nextSlot).length >= 2,
        {
          timeoutMs: 75_000,
          intervalMs: 250,
          what: "a schedule slot to fire",
          seen: () => problems(a, b),
        },
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const fires = started().map((l) => `${String(l.component)}@${String(l.fire)}`);
      const dispatches = sandbox.workflowDispatches(SCHEDULED);
      const slots = dispatches.map(
        (d) =>
          `${String(d.inputs.component)}@${new Date(Math.floor(Date.parse(d.at) / 60_000) * 60_000).toISOString()}`,
      );
      // Every fire dispatched once, by one replica or the other, and nothing else dispatched.
      expect(new Set(fires).size).toBe(fires.length);
      expect(slots.sort()).toEqual([...fires].sort());
      expect(fires).toEqual(
        expect.arrayContaining([
          `api@${new Date(nextSlot).toISOString()}`,
          `web@${new Date(nextSlot).toISOString()}`,
        ]),
      );
    },
    TIMEOUT_MS,
  );

  it(
    "kill -9 of one replica mid-job: the other completes its work, once",
    async () => {
      const prs = seedInstallations(sandbox, "failover", 8);
      const mark = sandbox.mark();
      await deliverAll(sandbox, prs, (i) => (i % 2 === 0 ? a : b).webhookUrl);
      // All 8 are running (6 at most on one replica): each replica has some in hand.
      await waitUntil(
        () => prs.every((pr) => Object.keys(verificationOf(sandbox, pr).runsByName).length > 0),
        { timeoutMs: WAIT_MS, what: "every verification to start", seen: () => problems(a, b) },
      );
      expect(sandbox.requests({ since: mark, operationId: "checks/create" }).length).toBeLessThan(
        prs.length * 6,
      );
      await killHard(a);
      await waitVerified(sandbox, prs, { timeoutMs: WAIT_MS, seen: () => problems(b) });
      expect(duplicatesOf(sandbox, prs)).toEqual([]);
      // The survivor picked up the jobs cut off on the dead replica and finished what they began.
      expect(
        b.logs().filter((l) => /^resuming a verification cut off/.test(String(l.msg))).length,
        problems(b),
      ).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    "/readyz answers 503 once Redis is gone; /healthz still 200",
    async () => {
      expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
      await redis.stop();
      const answer = await fetch(`${b.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(await answer.text()).toMatch(/Redis does not answer/);
      expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
    },
    TIMEOUT_MS,
  );
});
