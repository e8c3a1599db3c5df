// Benchmark: N pull requests in N installations at once, time until every one has its checks,
// next to one pull request alone; one server with its journal, then two replicas on one Redis
// (the real servers against the sandbox).
import { pathToFileURL } from "node:url";
import { waitUntil, type MonobotProcess } from "../src/demo.js";
import { startRedisServer, type RedisServer } from "../src/runtime/redis-server.js";
import { startSandbox, type Sandbox } from "../src/sandbox/driver.js";
import {
  createAlice,
  deliverAll,
  duplicatesOf,
  killHard,
  seedInstallations,
  startServer,
  verificationOf,
  type OpenPr,
} from "../test/e2e/runtime-harness.js";

const N = 12;

async function finished(servers: MonobotProcess[]): Promise<{ done: number; errors: number }> {
  let done = 0;
  let errors = 0;
  for (const s of servers) {
    const h = await s.handled();
    done += h.success + h.error;
    errors += h.error;
  }
  return { done, errors };
}

/**
 * Delivers `opened` for every PR at once, in turn to each server; seconds until every PR has its
 * check runs and summary, and the check runs or summaries that came twice.
 */
async function burst(
  sandbox: Sandbox,
  servers: MonobotProcess[],
  prs: OpenPr[],
  killAfterMs?: number,
): Promise<{ seconds: number; duplicates: number; ranPerServer: string }> {
  const before = await Promise.all(servers.map((s) => finished([s])));
  const started = performance.now();
  await deliverAll(sandbox, prs, (i) => servers[i % servers.length]!.webhookUrl);
  // Failover: the first server dies with SIGKILL mid-burst; the others must finish its jobs.
  const victim = killAfterMs === undefined ? undefined : servers[0];
  let killed: Promise<void> | undefined;
  if (victim) {
    await new Promise((r) => setTimeout(r, killAfterMs));
    killed = killHard(victim);
  }
  await waitUntil(() => prs.every((p) => verificationOf(sandbox, p).complete), {
    timeoutMs: 300_000,
    intervalMs: 50,
    what: "monobot to finish every pull request",
  });
  const seconds = (performance.now() - started) / 1000;
  // Let the last jobs count themselves, and a job that would run twice show itself.
  await new Promise((r) => setTimeout(r, 1_000));
  await killed;
  const alive = servers.filter((s) => s !== victim);
  const after = await Promise.all(alive.map((s) => finished([s])));
  const beforeAlive = before.filter((_, i) => servers[i] !== victim);
  if (after.some((a, i) => a.errors > (beforeAlive[i]?.errors ?? 0)))
    throw new Error("a job failed in monobot");
  const ran = after.map((a, i) => a.done - (beforeAlive[i]?.done ?? 0));
  const ranPerServer = (victim ? ["killed"] : []).concat(ran.map(String)).join(" / ");
  return { seconds, duplicates: duplicatesOf(sandbox, prs).length, ranPerServer };
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function benchBurst(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const sandbox = await startSandbox();
  const servers: MonobotProcess[] = [];
  let redis: RedisServer | undefined;
  try {
    createAlice(sandbox);
    const env = { MONOBOT_SCHEDULER: "off" };
    const journal = await startServer(sandbox, env);
    servers.push(journal);
    // Warm-up: app identity and the first token are not what is measured.
    await burst(sandbox, [journal], seedInstallations(sandbox, "warmup", 1));
    const one = await burst(sandbox, [journal], seedInstallations(sandbox, "solo", 1));
    const many = await burst(sandbox, [journal], seedInstallations(sandbox, "team", N));
    await journal.stop();

    redis = await startRedisServer();
    const replicas = [
      await startServer(sandbox, { ...env, REDIS_URL: redis.url }),
      await startServer(sandbox, { ...env, REDIS_URL: redis.url }),
    ];
    servers.push(...replicas);
    await burst(sandbox, replicas, seedInstallations(sandbox, "rwarm", 2));
    const shared = await burst(sandbox, replicas, seedInstallations(sandbox, "redis", N));
    // One replica killed 3 s into the burst, with the default lock and with the old 30 s one.
    const failover = async (lockSeconds?: string) => {
      const lock: Record<string, string> = lockSeconds
        ? { MONOBOT_REDIS_LOCK_SECONDS: lockSeconds }
        : {};
      const pair = [
        await startServer(sandbox, { ...env, ...lock, REDIS_URL: redis!.url }),
        await startServer(sandbox, { ...env, ...lock, REDIS_URL: redis!.url }),
      ];
      servers.push(...pair);
      await burst(sandbox, pair, seedInstallations(sandbox, `fwarm${lockSeconds ?? ""}`, 2));
      const prs = seedInstallations(sandbox, `failover${lockSeconds ?? ""}`, N);
      const r = await burst(sandbox, pair, prs, 3_000);
      await pair[1]!.stop();
      return r;
    };
    await Promise.all(replicas.map((s) => s.stop()));
    const fast = await failover();
    const slow = await failover("30");
    sandbox.assertNoViolations();
    const row = (
      scenario: string,
      r: { seconds: number; duplicates: number; ranPerServer: string },
    ) => ({
      scenario,
      "seconds until all checks": round(r.seconds),
      "ratio to one": round(r.seconds / one.seconds),
      "jobs run per server": r.ranPerServer,
      duplicates: r.duplicates,
    });
    return {
      rows: [
        row("1 pull request, 1 installation (journal, one server)", one),
        row(`${N} pull requests in ${N} installations at once (journal, one server)`, many),
        row(`${N} pull requests in ${N} installations (Redis, two replicas, alternating)`, shared),
        row(`same, one replica killed 3 s in (default lock, 5 s)`, fast),
        row(
          `same, one replica killed 3 s in (MONOBOT_REDIS_LOCK_SECONDS=30, the old default)`,
          slow,
        ),
      ],
    };
  } finally {
    for (const s of servers) await s.stop();
    await sandbox.stop();
    await redis?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchBurst();
  console.table(rows);
}
