// Benchmark of the several-replicas queue: a burst of jobs over a few keys, one replica vs two.
import { pathToFileURL } from "node:url";
import type { QueuedJob } from "../src/runtime/job.js";
import { RedisQueue } from "../src/runtime/redis-queue.js";
import { startRedisServer } from "../src/runtime/redis-server.js";

interface Scenario {
  replicas: number;
  jobs: number;
  keys: number;
  /** Time one job takes: stands in for the spacing of writes of one installation. */
  workMs: number;
}

interface Outcome {
  enqueueMs: number;
  totalMs: number;
  duplicates: number;
  orderViolations: number;
  ranPerReplica: number[];
}

const CONCURRENCY = 4;

async function runScenario(url: string, prefix: string, s: Scenario): Promise<Outcome> {
  const starts = new Map<string, number>();
  const order = new Map<string, string[]>();
  const active = new Map<string, number>();
  let overlaps = 0;
  let finished = 0;
  const ranPerReplica = Array.from({ length: s.replicas }, () => 0);
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const replicas = ranPerReplica.map(
    (_, r) =>
      new RedisQueue(
        url,
        async (job: QueuedJob) => {
          starts.set(job.deliveryId, (starts.get(job.deliveryId) ?? 0) + 1);
          order.set(job.key, [...(order.get(job.key) ?? []), job.deliveryId]);
          const now = (active.get(job.key) ?? 0) + 1;
          active.set(job.key, now);
          if (now > 1) overlaps++;
          if (s.workMs > 0) await new Promise((res) => setTimeout(res, s.workMs));
          active.set(job.key, (active.get(job.key) ?? 1) - 1);
          ranPerReplica[r] = (ranPerReplica[r] ?? 0) + 1;
          if (++finished >= s.jobs) allDone();
        },
        { prefix, concurrency: CONCURRENCY, maxPending: s.jobs + 1 },
      ),
  );
  try {
    const expected = new Map<string, string[]>();
    const begin = performance.now();
    // Webhooks arrive at every replica: the burst is spread over them, a few in flight at once.
    // A batch holds distinct keys, so each key's order of acceptance is known.
    const inFlight = Math.min(20, s.keys);
    const ids = Array.from({ length: s.jobs }, (_, i) => i);
    for (let i = 0; i < ids.length; i += inFlight) {
      const batch = ids.slice(i, i + inFlight);
      for (const n of batch) {
        const key = `o/r#${n % s.keys}`;
        expected.set(key, [...(expected.get(key) ?? []), `d${n}`]);
      }
      await Promise.all(
        batch.map(async (n) => {
          const queue = replicas[n % s.replicas]!;
          const result = await queue.enqueue({
            handler: "bench",
            deliveryId: `d${n}`,
            key: `o/r#${n % s.keys}`,
            spec: {},
          });
          if (result !== "queued") throw new Error(`d${n} was not queued: ${result}`);
        }),
      );
    }
    const enqueueMs = performance.now() - begin;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the burst did not finish in 120 s")), 120_000);
      }),
    ]);
    clearTimeout(timer);
    const totalMs = performance.now() - begin;
    let orderViolations = overlaps;
    for (const [key, ids] of expected) {
      const ran = order.get(key) ?? [];
      const position = new Map(ran.map((id, i) => [id, i]));
      for (let i = 1; i < ids.length; i++) {
        if ((position.get(ids[i]!) ?? -1) < (position.get(ids[i - 1]!) ?? -1)) orderViolations++;
      }
    }
    const duplicates = [...starts.values()].reduce((sum, n) => sum + (n - 1), 0);
    return { enqueueMs, totalMs, duplicates, orderViolations, ranPerReplica };
  } finally {
    await Promise.all(replicas.map((q) => q.close()));
  }
}

export async function benchRedis(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const server = await startRedisServer();
  try {
    const rows: Array<Record<string, string | number>> = [];
    const scenarios: Scenario[] = [
      { replicas: 1, jobs: 2000, keys: 50, workMs: 0 },
      { replicas: 2, jobs: 2000, keys: 50, workMs: 0 },
      { replicas: 1, jobs: 400, keys: 20, workMs: 50 },
      { replicas: 2, jobs: 400, keys: 20, workMs: 50 },
    ];
    for (const [i, s] of scenarios.entries()) {
      const o = await runScenario(server.url, `bench${i}`, s);
      rows.push({
        replicas: s.replicas,
        "concurrency each": CONCURRENCY,
        jobs: s.jobs,
        keys: s.keys,
        "work ms": s.workMs,
        "enqueued/s": Math.round((s.jobs / o.enqueueMs) * 1000),
        "jobs/s": Math.round((s.jobs / o.totalMs) * 1000),
        "ran per replica": o.ranPerReplica.join(" / "),
        "duplicates run": o.duplicates,
        "order violations": o.orderViolations,
      });
    }
    return { rows };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchRedis();
  console.table(rows);
}
