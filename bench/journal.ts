// Benchmark: enqueue throughput and latency, the in-process queue vs the durable (journaled) one;
// and what the state directory's lock costs a start-up.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DurableQueue } from "../src/runtime/durable-queue.js";
import { InProcessQueue } from "../src/runtime/in-process-queue.js";
import type { JobQueue, JobRunner, QueuedJob } from "../src/runtime/job.js";
import { Journal, LOCK_FILE } from "../src/runtime/journal.js";
import { readLockOwner, StateDirLock } from "../src/runtime/state-dir-lock.js";

const JOBS = 5_000;
const CONCURRENCY = 20;
const WARMUP = 200;
/** No run takes longer than this, whatever the disk: the loop stops issuing jobs. */
const RUN_LIMIT_MS = 60_000;

/** A job about the size intake makes of a `pull_request` delivery. */
function job(n: number): QueuedJob {
  return {
    handler: "pull-request",
    deliveryId: `bench-${n}-${Math.random().toString(36).slice(2)}`,
    key: `acme/mono#${n % 50}`,
    supersedeKey: `verify:acme/mono#${n % 50}:${n}`,
    installationId: 1,
    spec: {
      owner: "acme",
      repo: "mono",
      number: n % 50,
      action: "synchronize",
      head: { sha: "a".repeat(40), ref: "feature/change" },
      base: { sha: "b".repeat(40), ref: "main" },
      sender: "alice",
    },
  };
}

interface Measured {
  latenciesMs: number[];
  seconds: number;
  refused: number;
}

/** `concurrency` producers enqueue one job after another (as concurrent webhook requests do). */
async function load(queue: JobQueue, count: number, concurrency: number): Promise<Measured> {
  const latenciesMs: number[] = [];
  let next = 0;
  let refused = 0;
  const deadline = Date.now() + RUN_LIMIT_MS;
  const started = performance.now();
  const producer = async () => {
    while (next < count && Date.now() < deadline) {
      const n = next++;
      const t0 = performance.now();
      if ((await queue.enqueue(job(n))) !== "queued") refused++;
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, producer));
  return { latenciesMs, seconds: (performance.now() - started) / 1000, refused };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

interface Summary {
  name: string;
  jobs: number;
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
  fsyncsPerJob: number | "";
  refused: number;
}

function summarize(
  name: string,
  m: Measured,
  concurrency: number,
  fsyncs: number | undefined,
): Summary {
  const sorted = [...m.latenciesMs].sort((a, b) => a - b);
  return {
    name,
    jobs: m.latenciesMs.length,
    concurrency,
    perSecond: m.latenciesMs.length / m.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    fsyncsPerJob: fsyncs === undefined ? "" : round(fsyncs / m.latenciesMs.length, 3),
    refused: m.refused,
  };
}

// The handlers' work is not measured: jobs finish at once, so the queue never fills.
const runner: JobRunner = async () => undefined;
const options = { maxPending: 100_000, concurrency: 20 };

async function inProcess(count: number, concurrency: number): Promise<Summary> {
  const queue = new InProcessQueue(runner, options);
  await load(queue, WARMUP, concurrency);
  const measured = await load(queue, count, concurrency);
  await queue.idle();
  return summarize("in-process (memory)", measured, concurrency, undefined);
}

async function durable(count: number, concurrency: number): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), "monobot-bench-journal-"));
  try {
    const queue = await DurableQueue.open(dir, runner, options);
    await load(queue, WARMUP, concurrency);
    await queue.idle();
    const before = queue.journal.stats.flushes;
    const measured = await load(queue, count, concurrency);
    await queue.idle();
    // Every batch written is one fsync: the jobs' records and their `done` records together.
    const fsyncs = queue.journal.stats.flushes - before;
    await queue.close();
    return summarize(`durable (journal in ${tmpdir()})`, measured, concurrency, fsyncs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchJournal(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const memory = await inProcess(JOBS, CONCURRENCY);
  const journaled = await durable(JOBS, CONCURRENCY);
  // One producer: no appends to share an fsync with (the cost group commit saves).
  const alone = await durable(Math.round(JOBS / 5), 1);
  const row = (s: Summary): Record<string, string | number> => ({
    queue: s.name,
    jobs: s.jobs,
    concurrency: s.concurrency,
    "enqueued / s": round(s.perSecond, 0),
    "p50 ms": round(s.p50, 3),
    "p99 ms": round(s.p99, 3),
    "fsyncs / job": s.fsyncsPerJob,
    refused: s.refused,
  });
  return {
    rows: [
      row(memory),
      row(journaled),
      {
        queue: "ratio durable / in-process (concurrency 20)",
        jobs: "",
        concurrency: "",
        "enqueued / s": round(journaled.perSecond / memory.perSecond, 3),
        "p50 ms": round(journaled.p50 / memory.p50, 1),
        "p99 ms": round(journaled.p99 / memory.p99, 1),
        "fsyncs / job": "",
        refused: "",
      },
      row({ ...alone, name: `${alone.name}, one producer` }),
    ],
  };
}

const LOCK_ROUNDS = 200;

/** Median milliseconds of `round` over LOCK_ROUNDS fresh folders (`prepare` runs untimed). */
function timed(prepare: (dir: string) => void, round: (dir: string) => void): number {
  const times: number[] = [];
  for (let i = 0; i < LOCK_ROUNDS; i++) {
    const dir = mkdtempSync(join(tmpdir(), "monobot-bench-lock-"));
    try {
      prepare(dir);
      const started = process.hrtime.bigint();
      round(dir);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/**
 * Start-up cost of the lock: taking and releasing it alone, against the pid file it replaced
 * (one exclusive create and one unlink), and a whole journal open and close with it.
 */
export async function benchLock(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const nothing = () => undefined;
  const pidFile = timed(nothing, (dir) => {
    const path = join(dir, LOCK_FILE);
    writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
    unlinkSync(path);
  });
  const fresh = timed(nothing, (dir) => StateDirLock.take(dir).release());
  const released = timed(
    (dir) => StateDirLock.take(dir).release(),
    (dir) => StateDirLock.take(dir).release(),
  );
  // A holder killed in this pid namespace: its pid no longer runs, so no wait.
  const killed = timed(
    (dir) => {
      const first = StateDirLock.take(dir);
      const { place } = readLockOwner(dir) ?? { place: "" };
      first.release();
      mkdirSync(join(dir, LOCK_FILE), { recursive: true });
      writeFileSync(
        join(dir, LOCK_FILE, "000000000009"),
        JSON.stringify({ pid: 999_999_999, host: hostname(), place, token: "gone" }),
      );
    },
    (dir) => StateDirLock.take(dir).release(),
  );
  const journal = timed(nothing, (dir) => void Journal.open(dir).close());
  const ms = (n: number) => round(n, 3);
  return {
    rows: [
      { "start-up step": "pid file (before): create + unlink", "median ms": ms(pidFile) },
      { "start-up step": "lock: take + release, empty folder", "median ms": ms(fresh) },
      { "start-up step": "lock: take after a clean stop", "median ms": ms(released) },
      { "start-up step": "lock: take after kill -9 (same host)", "median ms": ms(killed) },
      { "start-up step": "journal open + close (with the lock)", "median ms": ms(journal) },
      {
        "start-up step": "lock: take after kill -9 on another host",
        "median ms": "waits the stale time (10 s): the entry must be seen unchanged",
      },
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchJournal();
  console.table(rows);
  console.table((await benchLock()).rows);
}
