// End to end: the journal in MONOBOT_STATE_DIR loses nothing the server accepted: kill -9, a
// drain that times out, a second process on the same folder, deliveries made while it was down.
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { readLockOwner } from "../../src/runtime/state-dir-lock.js";
import {
  StableAddress,
  createAlice,
  deliverAll,
  duplicatesOf,
  killHard,
  metric,
  opened,
  problems,
  seedInstallations,
  startServer,
  stateFolder,
  verificationOf,
  waitVerified,
} from "./runtime-harness.js";

/** Jobs one pull_request delivery queues: the verification, the deployment gate and the access check. */
const JOBS_PER_PR = 3;

const TIMEOUT_MS = 90_000;
const WAIT_MS = 60_000;

describe("the journal across restarts, end to end", () => {
  let sandbox: Sandbox;
  let address: StableAddress;
  let stateDir: string;
  const servers: MonobotProcess[] = [];

  /**
   * A server on the shared state folder, behind the stable address once it listens: until then
   * a delivery to the address fails, as GitHub's does to a server that is still starting.
   */
  async function start(env: Record<string, string> = {}): Promise<MonobotProcess> {
    address.down();
    const server = await startServer(sandbox, {
      MONOBOT_STATE_DIR: stateDir,
      MONOBOT_SCHEDULER: "off",
      ...env,
    });
    servers.push(server);
    address.point(server.url);
    return server;
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
    createAlice(sandbox);
    address = await StableAddress.start();
    sandbox.webhookUrl = address.webhookUrl;
    stateDir = stateFolder();
  });
  afterEach(async () => {
    // A test that failed half-way leaves no server holding the folder for the next one.
    for (const s of servers) s.kill();
    await Promise.all(servers.map((s) => s.exited));
    sandbox.clearFaults();
    expect(sandbox.violations().map((v) => `${v.method} ${v.path}: ${v.problem}`)).toEqual([]);
  });
  afterAll(async () => {
    for (const s of servers) s.kill();
    await Promise.all(servers.map((s) => s.exited));
    await address?.stop();
    await sandbox?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    "kill -9 with 12 pull requests of 12 installations in flight: after a restart on the same folder each has its checks and one summary, none twice",
    async () => {
      const prs = seedInstallations(sandbox, "crash", 12);
      const first = await start();
      const mark = sandbox.mark();
      await deliverAll(sandbox, prs);
      // Killed once monobot is writing: the verifications are under way, none finished.
      await waitUntil(
        () => sandbox.requests({ since: mark, operationId: "checks/create" }).length >= 3,
        { timeoutMs: WAIT_MS, what: "the first check runs", seen: () => problems(first) },
      );
      await killHard(first);
      const finishedBefore = prs.filter((pr) => verificationOf(sandbox, pr).complete).length;
      expect(finishedBefore).toBeLessThan(prs.length);

      const second = await start();
      await waitVerified(sandbox, prs, { timeoutMs: WAIT_MS, seen: () => problems(second) });
      expect(duplicatesOf(sandbox, prs)).toEqual([]);
      // Every job not recorded done ran again (a finished one whose `done` had not reached the
      // disk too: it found its check runs and wrote nothing).
      const recovered = await metric(second, "monobot_jobs_recovered_total");
      expect(recovered).toBeGreaterThanOrEqual(prs.length - finishedBefore);
      expect(recovered).toBeLessThanOrEqual(prs.length * JOBS_PER_PR);
      await waitUntil(
        async () => {
          const h = await second.handled();
          return h.success + h.error >= recovered;
        },
        { timeoutMs: WAIT_MS, what: "the recovered jobs to finish" },
      );
      expect((await second.handled()).error).toBe(0);
      expect(second.logs().find((l) => l.recovered === recovered)?.msg).toMatch(/runs again/);
      expect(await second.stop()).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    "SIGTERM whose drain times out: jobs not started stay in the journal and run after the restart; a delivery made while it was down is redelivered by the sweep",
    async () => {
      const prs = seedInstallations(sandbox, "drain", 4);
      const waiting = prs.slice(0, 3);
      // One job at a time, and the first one slow: the other two have not started at SIGTERM.
      const server = await start({ MONOBOT_CONCURRENCY: "1", MONOBOT_DRAIN_SECONDS: "1" });
      const slow = sandbox.injectFault({
        method: "GET",
        pathPattern: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
        times: 1,
        kind: { delayMs: 8_000 },
      });
      const answers = await deliverAll(sandbox, waiting);
      await waitUntil(() => slow.hits() === 1, { timeoutMs: WAIT_MS, what: "the slow request" });
      const stopped = Date.now();
      expect(await server.stop()).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(6_000);
      const timedOut = server.logs().find((l) => /drain timed out/.test(String(l.msg)));
      expect(timedOut, problems(server)).toBeDefined();
      const handedBack = timedOut?.handedBack as string[];
      // Every job not started: the slow verification's other jobs, and all jobs of the other two.
      expect(handedBack).toHaveLength(waiting.length * JOBS_PER_PR - 1);
      expect(handedBack.every((id) => answers.some((a) => id.startsWith(a.id)))).toBe(true);
      // Nothing of the two was written to GitHub.
      expect(waiting.filter((pr) => verificationOf(sandbox, pr).summaries > 0)).toEqual([]);

      // While no server runs, GitHub delivers a fourth pull request: the address answers 502.
      address.down();
      const lost = await sandbox.deliver(opened(sandbox, prs[3]!));
      expect(lost.status).toBe(502);

      const restarted = await start();
      await waitVerified(sandbox, prs, { timeoutMs: WAIT_MS, seen: () => problems(restarted) });
      expect(duplicatesOf(sandbox, prs)).toEqual([]);
      // The three accepted ones came back from the journal (the one cut off mid-run too).
      expect(await metric(restarted, "monobot_jobs_recovered_total")).toBe(
        waiting.length * JOBS_PER_PR,
      );
      // The fourth came back from GitHub: the sweep asked for it once, at start-up.
      expect(await metric(restarted, "monobot_webhook_redeliveries_requested_total")).toBe(1);
      await sandbox.settleRedeliveries();
      const attempts = sandbox.hookDeliveries().filter((d) => d.guid === lost.id);
      expect(attempts.map((a) => [a.statusCode, a.redelivery])).toEqual([
        [502, false],
        [202, true],
      ]);
      expect(await restarted.stop()).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    "a second server on the same folder exits 1 with one line naming it; a lock left by kill -9 does not block the restart",
    async () => {
      const holder = await start();
      expect(readLockOwner(stateDir)?.pid).toBe(holder.child.pid);
      const refused = await startServer(sandbox, { MONOBOT_STATE_DIR: stateDir }).then(
        () => "started",
        (e: Error) => e.message,
      );
      // startMonobot's message: "monobot exited (CODE) before listening: STDERR".
      const m = /^monobot exited \((\d+)\) before listening: ([\s\S]*)$/.exec(refused);
      expect(m, refused).not.toBeNull();
      expect(m?.[1]).toBe("1");
      const stderr = m?.[2] ?? "";
      expect(stderr.split("\n")).toHaveLength(1);
      expect(stderr).toContain(stateDir);
      expect(stderr).toContain(`pid ${holder.child.pid}`);
      expect((await fetch(`${holder.url}/readyz`)).status).toBe(200);

      await killHard(holder);
      // kill -9 leaves the lock behind, holding a pid that no longer runs.
      expect(readLockOwner(stateDir)).toMatchObject({ pid: holder.child.pid });
      expect(readLockOwner(stateDir)?.released).toBeUndefined();
      const next = await start();
      expect(
        next.logs().find((l) => l.staleLockPid === holder.child.pid)?.msg,
        problems(next),
      ).toMatch(/unclean stop/);
      expect((await fetch(`${next.url}/readyz`)).status).toBe(200);
      expect(await next.stop()).toBe(0);
    },
    TIMEOUT_MS,
  );
});
