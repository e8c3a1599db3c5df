// Shared setup of the RedisQueue tests: replicas in this process, a test's gate, and small waits.
import { Redis } from "ioredis";
import { afterEach, beforeEach } from "vitest";
import type { QueuedJob } from "../../src/runtime/job.js";
import { RedisQueue, type RedisQueueOptions } from "../../src/runtime/redis-queue.js";
import type { TestRedis } from "./redis.js";
import { recordingRunner, type ChildReplica, type RunEvent } from "./redis-replica.js";

/**
 * Locks long enough that a busy CI machine never mistakes a live replica for a dead one; the
 * tests that kill a replica use KILL, short locks, so the death is noticed in about 3 s.
 */
export const FAST = { lockDurationMs: 15_000, stalledIntervalMs: 500, sweepIntervalMs: 1000 };
export const KILL = { lockDurationMs: 3000 };
export const childLocks = { lockMs: FAST.lockDurationMs, stalledMs: FAST.stalledIntervalMs };
export const childKillLocks = { lockMs: KILL.lockDurationMs, stalledMs: FAST.stalledIntervalMs };

/** Jobs a test holds running until it releases them (in this process's replicas). */
export class Gate {
  readonly #held = new Map<string, { promise: Promise<void>; release: () => void }>();
  hold(id: string): void {
    let release: () => void = () => undefined;
    const promise = new Promise<void>((r) => (release = r));
    this.#held.set(id, { promise, release });
  }
  wait = (job: QueuedJob): Promise<void> =>
    this.#held.get(job.deliveryId)?.promise ?? Promise.resolve();
  release(id: string): void {
    this.#held.get(id)?.release();
  }
}

export interface Replicas {
  /** A replica in this process with its own connections, closed after the test. */
  replica(
    prefix: string,
    name: string,
    options?: Partial<RedisQueueOptions>,
    runner?: (job: QueuedJob) => Promise<void>,
  ): RedisQueue;
  /** A plain client, closed after the test. */
  client(): Redis;
  /** The current test's gate. */
  readonly gate: Gate;
  /** Child replicas to stop after the test. */
  children: ChildReplica[];
}

export function useReplicas(redis: TestRedis): Replicas {
  const open: { close(): Promise<unknown> }[] = [];
  const children: ChildReplica[] = [];
  let gate = new Gate();
  beforeEach(() => {
    gate = new Gate();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
    await Promise.all(open.splice(0).map((q) => q.close()));
  });
  const client = () => {
    const c = new Redis(redis.url);
    open.push({ close: () => c.quit() });
    return c;
  };
  return {
    client,
    children,
    get gate() {
      return gate;
    },
    replica(prefix, name, options = {}, runner) {
      const run = runner ?? recordingRunner(client(), prefix, name, { hold: (j) => gate.wait(j) });
      const q = new RedisQueue(redis.url, run, { prefix, ...FAST, ...options });
      open.push(q);
      return q;
    },
  };
}

export function job(deliveryId: string, key: string, extra: Partial<QueuedJob> = {}): QueuedJob {
  return { handler: "test", deliveryId, key, spec: { ms: 0 }, ...extra };
}

export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it holds (bound it with `within`). */
export async function waitFor(check: () => Promise<boolean>, everyMs = 50): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}

/** Per key: the ids in the order they started, and the most runs of the key at once. */
export function perKey(events: RunEvent[]): Map<string, { order: string[]; maxAtOnce: number }> {
  const out = new Map<string, { order: string[]; maxAtOnce: number; now: number }>();
  for (const e of events) {
    const k = out.get(e.key) ?? { order: [], maxAtOnce: 0, now: 0 };
    if (e.phase === "start") {
      k.order.push(e.id);
      k.now++;
      k.maxAtOnce = Math.max(k.maxAtOnce, k.now);
    } else k.now--;
    out.set(e.key, k);
  }
  return out;
}
