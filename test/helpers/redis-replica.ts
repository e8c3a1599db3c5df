// A replica for the Redis tests: a runner that logs each run to Redis, and a child-process main.
// Run as `node --import tsx test/helpers/redis-replica.ts` with the REPLICA_* variables below.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { JobRunner, QueuedJob } from "../../src/runtime/job.js";
import { RedisQueue } from "../../src/runtime/redis-queue.js";

export interface RunEvent {
  replica: string;
  id: string;
  key: string;
  phase: "start" | "end";
}

/** The list every replica of one test appends its runs to, in the order Redis saw them. */
export const runLog = (prefix: string) => `${prefix}:test-run-log`;

/**
 * Logs start and end of each job to Redis; a job's spec `{ms, msOn, spinOn}` is how long it runs
 * (`msOn` by replica name, so a job can hang on the replica about to be killed and be quick
 * elsewhere; `spinOn` blocks that replica's event loop as long).
 */
export function recordingRunner(
  redis: Redis,
  prefix: string,
  replica: string,
  hooks: {
    /** Called once the start is in the log. */
    onStarted?: (job: QueuedJob) => void;
    /** Awaited between start and end: lets a test hold a job running. */
    hold?: (job: QueuedJob) => Promise<void>;
  } = {},
): JobRunner {
  return async (job: QueuedJob) => {
    const event = (phase: RunEvent["phase"]) =>
      JSON.stringify({ replica, id: job.deliveryId, key: job.key, phase } satisfies RunEvent);
    await redis.rpush(runLog(prefix), event("start"));
    hooks.onStarted?.(job);
    const spec = job.spec as {
      ms?: number;
      msOn?: Record<string, number>;
      spinOn?: Record<string, number>;
    };
    // Spinning blocks the event loop: the replica looks dead (no lock renewal) while it is alive.
    const spinUntil = Date.now() + (spec.spinOn?.[replica] ?? 0);
    while (Date.now() < spinUntil);
    await new Promise((r) => setTimeout(r, spec.msOn?.[replica] ?? spec.ms ?? 0));
    await hooks.hold?.(job);
    await redis.rpush(runLog(prefix), event("end"));
  };
}

export async function readRunLog(redis: Redis, prefix: string): Promise<RunEvent[]> {
  return (await redis.lrange(runLog(prefix), 0, -1)).map((e) => JSON.parse(e) as RunEvent);
}

export interface ChildReplica {
  child: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix` (e.g. `started d1`). */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  /** SIGTERM: drains and closes; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts a replica in a child process; it enqueues `jobs` itself once it runs. */
export function startChildReplica(env: {
  url: string;
  prefix: string;
  replica: string;
  lockMs: number;
  stalledMs: number;
  jobs?: QueuedJob[];
  concurrency?: number;
}): ChildReplica {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: {
      ...process.env,
      REPLICA_REDIS_URL: env.url,
      REPLICA_PREFIX: env.prefix,
      REPLICA_NAME: env.replica,
      REPLICA_LOCK_MS: String(env.lockMs),
      REPLICA_STALLED_MS: String(env.stalledMs),
      REPLICA_CONCURRENCY: String(env.concurrency ?? 2),
      REPLICA_JOBS: JSON.stringify(env.jobs ?? []),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  createInterface({ input: child.stdout! }).on("line", (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) {
      if (l.startsWith(w.prefix)) w.resolve(l);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return {
    child,
    line(prefix, timeoutMs = 15_000) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `child replica printed no "${prefix}" line in ${timeoutMs} ms; stderr: ${stderr}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          prefix,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

async function main(): Promise<void> {
  const url = process.env.REPLICA_REDIS_URL ?? "";
  const prefix = process.env.REPLICA_PREFIX ?? "";
  const replica = process.env.REPLICA_NAME ?? "child";
  const redis = new Redis(url);
  const record = recordingRunner(redis, prefix, replica, {
    onStarted: (job) => process.stdout.write(`started ${job.deliveryId}\n`),
  });
  const queue = new RedisQueue(url, record, {
    prefix,
    concurrency: Number(process.env.REPLICA_CONCURRENCY),
    lockDurationMs: Number(process.env.REPLICA_LOCK_MS),
    stalledIntervalMs: Number(process.env.REPLICA_STALLED_MS),
    sweepIntervalMs: 1000,
  });
  process.once("SIGTERM", () => {
    void queue
      .close(5000)
      .then(() => redis.quit())
      .then(() => process.exit(0));
  });
  const jobs = JSON.parse(process.env.REPLICA_JOBS ?? "[]") as QueuedJob[];
  for (const job of jobs) {
    process.stdout.write(`enqueued ${job.deliveryId} ${await queue.enqueue(job)}\n`);
  }
  process.stdout.write("ready\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
