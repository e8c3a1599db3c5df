// Benchmark: deliveries accepted, then kill -9 and a restart on the same MONOBOT_STATE_DIR: how
// many are lost (the journal's promise: none) and how long the restarted server takes to finish.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { waitUntil, type MonobotProcess } from "../src/demo.js";
import { Journal } from "../src/runtime/journal.js";
import { startSandbox, type Sandbox } from "../src/sandbox/driver.js";
import {
  createAlice,
  deliverAll,
  duplicatesOf,
  killHard,
  metric,
  opened,
  seedInstallations,
  startServer,
  stateFolder,
  verificationOf,
  type OpenPr,
} from "../test/e2e/runtime-harness.js";

const PRS = 24;
const SAME_PR_DELIVERIES = 2_000;
const FINISH_LIMIT_MS = 180_000;

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Jobs the journal in `dir` still holds as not done (after the server stopped). */
function unfinished(dir: string): number {
  const journal = Journal.open(dir);
  const n = journal.state.jobs.size;
  void journal.close();
  return n;
}

/** Waits (bounded) until every pull request is verified; what is not by then counts as lost. */
async function waitFinished(sandbox: Sandbox, prs: OpenPr[]): Promise<void> {
  await waitUntil(() => prs.every((pr) => verificationOf(sandbox, pr).complete), {
    timeoutMs: FINISH_LIMIT_MS,
    intervalMs: 50,
    what: "every pull request to be verified",
  }).catch(() => undefined);
}

/** Check runs posted more than once by one delivery (same external id and name). */
function runsPostedTwice(sandbox: Sandbox, pr: OpenPr): number {
  const runs = sandbox.checkRuns(pr.repo, pr.headSha) as unknown as {
    name: string;
    external_id: string;
  }[];
  const seen = new Set<string>();
  let twice = 0;
  for (const r of runs) {
    const key = `${r.external_id} ${r.name}`;
    if (seen.has(key)) twice++;
    seen.add(key);
  }
  return twice;
}

interface Row {
  scenario: string;
  accepted: number;
  recovered: number | string;
  lost: number;
  duplicates: number;
  "restart to listening s": number | string;
  "s to finish": number;
}

/** `prs` delivered at once; killed right after the last 202 (or not), then restarted. */
async function pullRequests(
  sandbox: Sandbox,
  prefix: string,
  kill: boolean,
  n = PRS,
): Promise<Row> {
  const dir = stateFolder();
  const prs = seedInstallations(sandbox, prefix, n);
  let server: MonobotProcess | undefined;
  try {
    server = await startServer(sandbox, { MONOBOT_STATE_DIR: dir, MONOBOT_SCHEDULER: "off" });
    sandbox.webhookUrl = server.webhookUrl;
    // From the first delivery, or (killed) from the restart's spawn, until every PR is verified.
    let from = performance.now();
    await deliverAll(sandbox, prs);
    let restartMs: number | string = "";
    let recovered: number | string = "";
    if (kill) {
      await killHard(server);
      from = performance.now();
      server = await startServer(sandbox, { MONOBOT_STATE_DIR: dir, MONOBOT_SCHEDULER: "off" });
      restartMs = performance.now() - from;
      sandbox.webhookUrl = server.webhookUrl;
      recovered = await metric(server, "monobot_jobs_recovered_total");
    }
    await waitFinished(sandbox, prs);
    const finishMs = performance.now() - from;
    const lost = prs.filter((pr) => !verificationOf(sandbox, pr).complete).length;
    return {
      scenario: kill
        ? `${n} PRs in ${n} installations accepted, kill -9 at once, restart`
        : `${n} PRs in ${n} installations, no kill (for comparison)`,
      accepted: n,
      recovered,
      lost,
      duplicates: duplicatesOf(sandbox, prs).length,
      "restart to listening s": typeof restartMs === "number" ? seconds(restartMs) : "",
      "s to finish": seconds(finishMs),
    };
  } finally {
    if (server) await server.stop(60_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Many deliveries of one pull request (each a new delivery id, as a burst of pushes would be):
 * journaled, killed, replayed; newer heads supersede older ones, so few jobs run.
 */
async function samePr(sandbox: Sandbox): Promise<Row> {
  const dir = stateFolder();
  const [pr] = seedInstallations(sandbox, "replay", 1) as [OpenPr];
  let server: MonobotProcess | undefined;
  try {
    server = await startServer(sandbox, { MONOBOT_STATE_DIR: dir, MONOBOT_SCHEDULER: "off" });
    const event = opened(sandbox, pr);
    let accepted = 0;
    let next = 0;
    const url = server.webhookUrl;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < SAME_PR_DELIVERIES) {
          next++;
          const answer = await sandbox.deliver(event, { url, deliveryId: randomUUID() });
          if (answer.status === 202) accepted++;
        }
      }),
    );
    await killHard(server);
    const restarting = performance.now();
    server = await startServer(sandbox, { MONOBOT_STATE_DIR: dir, MONOBOT_SCHEDULER: "off" });
    const restartMs = performance.now() - restarting;
    const recovered = await metric(server, "monobot_jobs_recovered_total");
    // Until every recovered job ran.
    const restarted = server;
    await waitUntil(
      async () => {
        const h = await restarted.handled();
        return h.success + h.error >= recovered;
      },
      { timeoutMs: FINISH_LIMIT_MS, intervalMs: 50, what: "the recovered jobs" },
    ).catch(() => undefined);
    await waitFinished(sandbox, [pr]);
    const finishMs = performance.now() - restarting;
    await server.stop(60_000);
    server = undefined;
    return {
      scenario: `${SAME_PR_DELIVERIES} deliveries of one PR accepted, kill -9, restart (older heads superseded)`,
      accepted,
      recovered,
      // Every accepted job ran or was superseded: none is left in the journal as not done.
      lost: unfinished(dir) + (verificationOf(sandbox, pr).complete ? 0 : 1),
      // Each delivery posts its own check runs (external id = delivery id): a job run twice
      // would post a name twice under one id.
      duplicates: runsPostedTwice(sandbox, pr),
      "restart to listening s": seconds(restartMs),
      "s to finish": seconds(finishMs),
    };
  } finally {
    if (server) await server.stop(60_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRecovery(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const sandbox = await startSandbox();
  try {
    createAlice(sandbox);
    // Warm-up: the sandbox's first requests (OpenAPI compilation) are not what is measured.
    await pullRequests(sandbox, "warmup", false, 2).catch(() => undefined);
    const rows = [
      await pullRequests(sandbox, "calm", false),
      await pullRequests(sandbox, "crash", true),
      await samePr(sandbox),
    ];
    sandbox.assertNoViolations();
    return { rows: rows as unknown as Array<Record<string, string | number>> };
  } finally {
    await sandbox.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchRecovery();
  console.table(rows);
}
