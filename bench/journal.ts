// Benchmark: enqueue throughput and latency, the in-process queue vs the durable (journaled) one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DurableQueue } from "../src/runtime/durable-queue.js";
import { InProcessQueue } from "../src/runtime/in-process-queue.js";
import type { JobQueue, JobRunner, QueuedJob } from "../src/runtime/job.js";

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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchJournal();
  console.table(rows);
}
